import { api, session, logout, onSessionEnd } from './api.js';
import { Live } from './live.js';
import { loginPage, overviewPage, devicesPage, devicePage, alertsPage } from './pages.js';
import { h, mount } from './dom.js';
import { adminPage, isAdmin } from './admin.js';

const bar = document.getElementById('bar');
const live = new Live(document.getElementById('live'));
let me = null;
let leave = null;
let message = '';

onSessionEnd((reason) => {
  message = reason;
  me = null;
  live.stop();
  // One render of the login page: changing the hash routes by itself (hashchange).
  if (location.hash !== '#/login') location.hash = '#/login';
  else route();
});

document.getElementById('logout').addEventListener('click', () => logout());
window.addEventListener('hashchange', () => route());

async function route() {
  leave?.();
  leave = null;
  const [path, query] = location.hash.slice(1).split('?');
  const parts = (path || '/overview').split('/').filter(Boolean);
  if (!session()) {
    bar.hidden = true;
    loginPage(message, () => { message = ''; live.stopped = false; location.hash = '#/overview'; route(); });
    return;
  }
  try {
    me ??= await api('/me');
    bar.hidden = false;
    document.getElementById('who').textContent = `${me.email} (${me.role})`;
    bar.querySelector('[data-nav="admin"]').hidden = !isAdmin(me);
    for (const a of bar.querySelectorAll('[data-nav]')) {
      if (a.dataset.nav === parts[0]) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    switch (parts[0]) {
      case 'devices':
        leave = parts[1] ? await devicePage(live, me, decodeURIComponent(parts[1])) : await devicesPage(live, query || '');
        break;
      case 'alerts': leave = await alertsPage(live, me); break;
      case 'admin': leave = await adminPage(me); break;
      case 'login': location.hash = '#/overview'; break;
      default: leave = await overviewPage(live);
    }
  } catch (err) {
    if (err.status === 401) return;
    mount(h('h1', {}, 'Something went wrong'), h('p', { class: 'error', role: 'alert' }, err.message));
  }
}

route();
