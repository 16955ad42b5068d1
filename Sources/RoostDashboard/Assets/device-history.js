import { api } from './api.js';
import { h } from './dom.js';

const time = (iso) => new Date(iso).toLocaleString();

/**
 * The device's status timeline: a strip of online / offline spans over the transitions shown
 * (the last 50, from `/devices/{ref}/events`), and the transitions with their reasons, newest
 * first; a status event on the socket adds one without a reload.
 */
export async function statusTimeline(d) {
  const strip = h('div', { class: 'timeline', id: 'status-timeline', role: 'img' });
  const body = h('tbody', { id: 'status-events' });
  let events = (await api(`/devices/${d.id}/events?limit=50`)).items;
  const row = (e) => h('tr', { 'data-event': e.id }, h('td', {}, time(e.at)),
    h('td', { class: e.online ? 'status-online' : 'status-offline' }, e.online ? 'online' : 'offline'), h('td', {}, e.reason));
  const draw = () => {
    const ordered = [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    const now = Date.now();
    const start = ordered.length ? Date.parse(ordered[0].at) : now;
    const total = Math.max(1, now - start);
    strip.replaceChildren(...ordered.map((e, i) => {
      const from = Date.parse(e.at);
      const to = i + 1 < ordered.length ? Date.parse(ordered[i + 1].at) : now;
      const state = e.online ? 'online' : 'offline';
      const piece = h('span', { class: `span-${state}`, title: `${state} from ${time(e.at)} (${e.reason})` });
      piece.style.width = `${((to - from) / total * 100).toFixed(3)}%`;
      return piece;
    }));
    strip.setAttribute('aria-label', ordered.length
      ? `status since ${time(ordered[0].at)}: ${ordered.length} transitions, now ${ordered.at(-1).online ? 'online' : 'offline'}` : 'no status changes recorded');
  };
  body.replaceChildren(...events.map(row));
  draw();
  return {
    el: h('section', {}, h('h2', {}, 'Status timeline'), strip,
      h('table', {}, h('thead', {}, h('tr', {}, ['Time', 'Status', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))), body)),
    /** A `status` event from the socket. */
    push(e) {
      const event = { id: `live-${Date.now()}`, online: e.status === 'online', at: e.at || new Date().toISOString(), reason: e.reason || '' };
      events = [event, ...events].slice(0, 50);
      body.prepend(row(event));
      while (body.rows.length > 50) body.deleteRow(-1);
      draw();
    },
  };
}

/**
 * Raw recent messages: the last 20 stored (`/telemetry?include=payload`, what the device sent),
 * newest first, and each telemetry event from the socket after them.
 */
export async function recentMessages(d) {
  const body = h('tbody', { id: 'messages' });
  const row = (m) => h('tr', {}, h('td', {}, time(m.ts)), h('td', {}, m.msg_id ?? '—'),
    h('td', {}, h('code', { class: 'raw' }, JSON.stringify(m.payload ?? m.data))));
  const page = await api(`/devices/${d.id}/telemetry?limit=20&order=desc&include=payload`);
  body.replaceChildren(...page.items.map(row));
  return {
    el: h('section', {}, h('h2', {}, 'Recent messages'),
      h('table', {}, h('thead', {}, h('tr', {}, ['Time', 'msg_id', 'Message'].map((t) => h('th', { scope: 'col' }, t)))), body)),
    /** A `telemetry` event from the socket. */
    push(e) {
      body.prepend(row({ ts: e.ts, msg_id: e.msg_id, data: e.data }));
      while (body.rows.length > 20) body.deleteRow(-1);
    },
  };
}
