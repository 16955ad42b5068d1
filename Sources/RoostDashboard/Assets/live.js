import { session, refresh } from './api.js';

// The realtime WebSocket: one per page load, resubscribed after every reconnect (each
// subscription is answered with a fresh snapshot, so pages catch up), with backoff, and a
// "reconnecting" notice while it is down.
export class Live {
  constructor(status) {
    this.status = status;
    this.handlers = new Set();
    this.subscriptions = [];
    this.delay = 500;
    this.socket = null;
    this.stopped = false;
  }

  on(fn) { this.handlers.add(fn); return () => this.handlers.delete(fn); }

  /** Replaces what the page watches. */
  watch(...subscriptions) {
    if (this.socket?.readyState === WebSocket.OPEN) {
      for (const s of this.subscriptions) this.socket.send(JSON.stringify({ ...s, type: 'unsubscribe' }));
    }
    this.subscriptions = subscriptions;
    if (this.socket?.readyState === WebSocket.OPEN) for (const s of subscriptions) this.send(s);
    else this.connect();
  }

  send(s) { this.socket.send(JSON.stringify({ ...s, type: 'subscribe' })); }

  connect() {
    if (this.stopped || (this.socket && this.socket.readyState <= WebSocket.OPEN)) return;
    const s = session();
    if (!s) return;
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${proto}://${location.host}/api/v1/realtime?token=${encodeURIComponent(s.access)}`);
    this.socket = socket;
    socket.onopen = () => {
      this.delay = 500;
      this.status.textContent = '';
      for (const sub of this.subscriptions) this.send(sub);
    };
    socket.onmessage = (m) => {
      let event;
      try { event = JSON.parse(m.data); } catch { return; }
      for (const fn of this.handlers) fn(event);
    };
    socket.onclose = async (e) => {
      if (this.stopped || this.socket !== socket) return;
      this.status.textContent = 'Reconnecting…';
      if (e.code === 4401) { try { await refresh(); } catch { return; } }
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(15_000, this.delay * 2);
    };
  }

  stop() {
    this.stopped = true;
    this.socket?.close();
    this.status.textContent = '';
  }
}
