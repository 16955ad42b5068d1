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

  /** Replaces what the page watches: the new subscriptions first, then the old ones go, so
   *  that no event falls between the two (the server resolves a subscription before it takes). */
  watch(...subscriptions) {
    const key = (s) => JSON.stringify(s);
    const before = this.subscriptions;
    const next = new Set(subscriptions.map(key));
    const gone = before.filter((s) => !next.has(key(s)));
    this.subscriptions = subscriptions;
    if (this.socket?.readyState !== WebSocket.OPEN) { this.connect(); return; }
    const had = new Set(before.map(key));
    for (const s of subscriptions) if (!had.has(key(s))) this.send(s);
    for (const s of gone) this.socket.send(JSON.stringify({ ...s, type: 'unsubscribe' }));
    // An unsubscribe naming a device or the tenant a new subscription names too took that
    // one's kinds with it: subscribe those again.
    const names = (s) => [...(s.devices || []), ...(s.tenant ? ['*tenant'] : [])];
    const goneNames = new Set(gone.flatMap(names));
    for (const s of subscriptions) if (names(s).some((n) => goneNames.has(n))) this.send(s);
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
