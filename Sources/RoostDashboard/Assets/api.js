// The REST API with the session's tokens: refreshed before they expire and once on a 401;
// a session that cannot be refreshed goes back to the login page with a message.
const KEY = 'roost.session';
let refreshing = null;
let timer = null;
const listeners = new Set();

export function session() {
  try { return JSON.parse(sessionStorage.getItem(KEY)); } catch { return null; }
}

function save(tokens) {
  const s = { access: tokens.access_token, refresh: tokens.refresh_token, expires: Date.now() + tokens.expires_in * 1000 };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  schedule(s);
  return s;
}

function schedule(s) {
  clearTimeout(timer);
  if (!s) return;
  const wait = Math.max(5_000, (s.expires - Date.now()) * 0.8);
  timer = setTimeout(() => refresh().catch(() => {}), wait);
}

/** Called with a reason when the session ends (logout, expiry). */
export function onSessionEnd(fn) { listeners.add(fn); }

export function endSession(reason) {
  clearTimeout(timer);
  sessionStorage.removeItem(KEY);
  for (const fn of listeners) fn(reason);
}

export class APIError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
  }
}

export async function login(email, password) {
  const r = await fetch('/api/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }),
  });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new APIError(r.status, body);
  return save(body);
}

export async function logout() {
  const s = session();
  if (s) {
    await fetch('/api/v1/auth/logout', {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${s.access}` },
      body: JSON.stringify({ refresh_token: s.refresh }),
    }).catch(() => {});
  }
  endSession('');
}

export function refresh() {
  if (refreshing) return refreshing;
  const s = session();
  if (!s) return Promise.reject(new Error('no session'));
  refreshing = fetch('/api/v1/auth/refresh', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: s.refresh }),
  }).then(async (r) => {
    const body = await r.json().catch(() => null);
    if (!r.ok) {
      endSession('Your session expired. Log in again.');
      throw new APIError(r.status, body);
    }
    return save(body);
  }).finally(() => { refreshing = null; });
  return refreshing;
}

export async function api(path, { method = 'GET', body } = {}, retried = false) {
  const s = session();
  if (!s) throw new APIError(401, null);
  const headers = { Authorization: `Bearer ${s.access}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401 && !retried) {
    await refresh();
    return api(path, { method, body }, true);
  }
  if (r.status === 204) return null;
  const json = await r.json().catch(() => null);
  if (!r.ok) throw new APIError(r.status, json);
  return json;
}

schedule(session());
