import { api, login, APIError } from './api.js';
import { h, mount, when, values } from './dom.js';
import { liveChart, historyChart } from './charts.js';
import { rulesSection } from './admin.js';
import { shadowSection, schedulesSection } from './device-extras.js';
import { statusTimeline, recentMessages } from './device-history.js';

const canOperate = (me) => ['operator', 'tenant_admin', 'platform_admin'].includes(me.role);

export function loginPage(message, done) {
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' }, message || '');
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'stack', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      await login(email.value, password.value);
      done();
    } catch (err) {
      error.textContent = err instanceof APIError && err.status === 401 ? 'Wrong email or password.' : err.message;
    }
  } },
    h('label', { for: 'email' }, 'Email', email),
    h('label', { for: 'password' }, 'Password', password),
    h('button', { type: 'submit', id: 'login-submit' }, 'Log in'),
    error);
  mount(h('section', { class: 'login' },
    h('h1', {}, 'Log in to Roost'), form,
    h('p', { class: 'muted' }, 'First start? roost serve prints the admin account and a generated password once in its log ',
      '(the line "created the first admin"); ROOST_ADMIN_PASSWORD sets it instead.')));
  email.focus();
}

export async function overviewPage(live) {
  const cards = {};
  const card = (key, label) => (cards[key] = h('div', { class: 'value', id: `stat-${key}` }, '…'),
    h('div', { class: 'card' }, cards[key], h('div', { class: 'label' }, label)));
  mount(h('h1', {}, 'Overview'), h('div', { class: 'cards' },
    card('devices_total', 'devices'), card('devices_online', 'online'), card('messages_per_minute', 'messages / minute'),
    card('alerts_open', 'open alerts'), card('ingest_queue_depth', 'ingest queue')));
  const load = async () => {
    const [stats, alerts] = await Promise.all([api('/stats'), api('/alerts?state=open&limit=1000')]);
    for (const k of ['devices_total', 'devices_online', 'messages_per_minute', 'ingest_queue_depth']) cards[k].textContent = stats[k];
    cards.alerts_open.textContent = alerts.items.length + (alerts.next_cursor ? '+' : '');
  };
  await load();
  let pending = null;
  const soon = () => { pending ??= setTimeout(() => { pending = null; load().catch(() => {}); }, 1000); };
  const off = live.on((e) => { if (e.type === 'status' || e.type === 'alert') soon(); });
  live.watch({ tenant: true, kinds: ['status', 'alert'] });
  const tick = setInterval(() => load().catch(() => {}), 10_000);
  return () => { off(); clearInterval(tick); clearTimeout(pending); };
}

export async function devicesPage(live, params) {
  const q = new URLSearchParams(params);
  const status = h('select', { id: 'filter-status' }, ['', 'online', 'offline', 'unknown'].map((s) =>
    h('option', { value: s, selected: q.get('status') === s }, s || 'any status')));
  const label = h('input', { id: 'filter-label', placeholder: 'key:value', value: q.get('label') || '' });
  const search = h('input', { id: 'filter-search', type: 'search', placeholder: 'uid or name', value: q.get('q') || '' });
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', id: 'more' }, 'More');
  const total = h('span', { class: 'muted', id: 'devices-total' });
  const rows = new Map();
  let cursor = null;
  const apply = (e) => {
    e?.preventDefault();
    const next = new URLSearchParams();
    if (status.value) next.set('status', status.value);
    if (label.value) next.set('label', label.value);
    if (search.value) next.set('q', search.value);
    location.hash = `#/devices?${next}`;
  };
  mount(h('h1', {}, 'Devices '), h('form', { class: 'row', onsubmit: apply },
    h('label', { for: 'filter-status' }, 'Status', status), h('label', { for: 'filter-label' }, 'Label', label),
    h('label', { for: 'filter-search' }, 'Search', search), h('button', { type: 'submit' }, 'Filter'), total),
  h('table', {}, h('thead', {}, h('tr', {}, ['Device', 'Status', 'Last seen', 'Latest values'].map((t) => h('th', { scope: 'col' }, t)))), body),
  more);
  const row = (d) => {
    const cells = [h('td', {}, h('a', { href: `#/devices/${encodeURIComponent(d.uid)}` }, d.name ? `${d.name} (${d.uid})` : d.uid)),
      h('td', { class: `status-${d.status}` }, d.status), h('td', {}, when(d.last_seen)), h('td', { class: 'num' }, values(d.latest?.data))];
    const tr = h('tr', { 'data-device': d.id }, cells);
    rows.set(d.id, { tr, cells, device: d });
    return tr;
  };
  const page = async () => {
    const p = new URLSearchParams(q);
    p.set('limit', '50');
    if (cursor) p.set('cursor', cursor);
    const list = await api(`/devices?${p}`);
    body.append(...list.items.map(row));
    cursor = list.next_cursor;
    more.hidden = !cursor;
    total.textContent = `${list.total} device${list.total === 1 ? '' : 's'}`;
    live.watch({ devices: [...rows.keys()].map(String), kinds: ['telemetry', 'status'] });
  };
  more.addEventListener('click', () => page());
  await page();
  const off = live.on((e) => {
    const r = rows.get(e.device);
    if (!r) return;
    if (e.type === 'status') {
      r.cells[1].className = `status-${e.status}`;
      r.cells[1].textContent = e.status;
    } else if (e.type === 'telemetry') {
      r.device.latest = { ts: e.ts, data: { ...(r.device.latest?.data || {}), ...e.data } };
      r.cells[2].textContent = when(e.received_at || e.ts);
      r.cells[3].textContent = values(r.device.latest.data);
    }
  });
  return off;
}

export async function devicePage(live, me, ref) {
  const d = await api(`/devices/${encodeURIComponent(ref)}`);
  const latest = h('p', { class: 'num', id: 'latest' }, values(d.latest?.data));
  const stat = h('span', { class: `status-${d.status}`, id: 'device-status' }, d.status);
  const commands = h('tbody', { id: 'commands' });
  const cmdRows = new Map();
  // Steps can arrive out of order (the socket's `succeeded` before the POST's answer): a row
  // only moves forward.
  const rank = { queued: 0, sent: 1, delivered: 2 };
  const show = (cell, status) => {
    if ((rank[status] ?? 3) >= (rank[cell.textContent] ?? 3)) cell.textContent = status;
  };
  const commandRow = (c) => {
    const status = h('td', { class: 'command-status' }, c.status);
    const tr = h('tr', { 'data-command': c.id }, h('td', {}, c.command), status, h('td', {}, when(c.created_at)));
    cmdRows.set(c.id, status);
    return tr;
  };
  let form = null;
  if (canOperate(me)) {
    const name = h('input', { id: 'command-name', required: true, placeholder: 'reboot' });
    const params = h('input', { id: 'command-params', placeholder: '{"delay":5}' });
    const error = h('span', { class: 'error', role: 'alert', id: 'command-error' });
    form = h('form', { class: 'row', onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        const body = { command: name.value };
        if (params.value.trim()) body.params = JSON.parse(params.value);
        const c = await api(`/devices/${d.id}/commands`, { method: 'POST', body });
        if (!cmdRows.has(c.id)) commands.prepend(commandRow(c)); else show(cmdRows.get(c.id), c.status);
      } catch (err) { error.textContent = err.message; }
    } }, h('label', { for: 'command-name' }, 'Command', name), h('label', { for: 'command-params' }, 'Params (JSON)', params),
    h('button', { type: 'submit', id: 'command-send' }, 'Send'), error);
  }
  const liveEl = h('div', { class: 'chart', id: 'live-chart', role: 'img', 'aria-label': 'live values' });
  const historyEl = h('div', { class: 'chart', id: 'history-chart', role: 'img', 'aria-label': 'history' });
  const range = h('select', { id: 'history-range' }, ['hour', 'day', 'week'].map((r) => h('option', { value: r, selected: r === 'day' }, `last ${r}`)),
    h('option', { value: 'custom' }, 'custom…'));
  const customRange = h('form', { class: 'row', id: 'history-custom', hidden: true },
    h('label', { for: 'history-from' }, 'From', h('input', { id: 'history-from', type: 'datetime-local', required: true })),
    h('label', { for: 'history-to' }, 'To', h('input', { id: 'history-to', type: 'datetime-local', required: true })),
    h('button', { type: 'submit', id: 'history-show' }, 'Show'), h('span', { class: 'error', role: 'alert' }));
  const messages = await recentMessages(d);
  const timeline = await statusTimeline(d);
  mount(h('h1', {}, d.name || d.uid, ' ', stat), h('p', { class: 'muted' }, `uid ${d.uid} · tenant ${d.tenant} · last seen `,
    h('span', { id: 'last-seen' }, when(d.last_seen))), h('h2', {}, 'Latest values'), latest,
  h('h2', {}, 'Live chart'), liveEl,
  h('h2', {}, 'History ', h('label', { for: 'history-range', class: 'inline' }, 'range ', range)), customRange, historyEl,
  messages.el, timeline.el,
  h('h2', {}, 'Commands'), form, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Command'), h('th', {}, 'Status'), h('th', {}, 'Created'))), commands));
  for (const c of (await api(`/devices/${d.id}/commands?limit=20`)).items) commands.append(commandRow(c));
  const data = { ...(d.latest?.data || {}) };
  const keys = Object.entries(data).filter(([, v]) => typeof v === 'number').map(([k]) => k).slice(0, 6);
  const chart = await liveChart(liveEl, [...keys]);
  historyChart(historyEl, d.id, keys, range, customRange).catch((e) => { historyEl.textContent = e.message; });
  const off = live.on((e) => {
    if (e.device !== d.id) return;
    if (e.type === 'telemetry') {
      Object.assign(data, e.data);
      latest.textContent = values(data);
      chart.push(e.ts, e.data);
      messages.push(e);
    } else if (e.type === 'status') {
      stat.className = `status-${e.status}`;
      stat.textContent = e.status;
      timeline.push(e);
    } else if (e.type === 'command') {
      const cell = cmdRows.get(e.id);
      if (cell) show(cell, e.status); else commands.prepend(commandRow(e));
    }
  });
  const shadow = await shadowSection(d, canOperate(me), live);
  document.getElementById('app').append(shadow.el, await schedulesSection(d, canOperate(me)));
  live.watch({ devices: [String(d.id)], kinds: ['telemetry', 'status', 'command', 'shadow'] });
  return () => { off(); shadow.off(); };
}

export async function alertsPage(live, me) {
  const body = h('tbody', { id: 'alerts' });
  const load = async () => {
    const list = await api('/alerts?limit=100');
    body.replaceChildren(...list.items.map((a) => h('tr', { 'data-alert': a.id },
      h('td', {}, a.rule_name), h('td', {}, h('a', { href: `#/devices/${encodeURIComponent(a.uid)}` }, a.uid)),
      h('td', { class: 'alert-state' }, a.state), h('td', { class: 'num' }, a.value ?? '—'), h('td', {}, when(a.opened_at)),
      h('td', {}, a.state === 'open' && canOperate(me)
        ? h('button', { type: 'button', class: 'ack', onclick: async () => { await api(`/alerts/${a.id}/ack`, { method: 'POST' }); load(); } }, 'Acknowledge')
        : ''))));
  };
  mount(h('h1', {}, 'Alerts'), h('table', {}, h('thead', {}, h('tr', {},
    ['Rule', 'Device', 'State', 'Value', 'Opened', ''].map((t) => h('th', { scope: 'col' }, t)))), body));
  await load();
  document.getElementById('app').append(await rulesSection(me, canOperate(me)));
  const off = live.on((e) => { if (e.type === 'alert') load().catch(() => {}); });
  live.watch({ tenant: true, kinds: ['alert'] });
  return off;
}
