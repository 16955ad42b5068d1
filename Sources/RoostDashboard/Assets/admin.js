import { api } from './api.js';
import { h, mount, when } from './dom.js';

export const isAdmin = (me) => ['tenant_admin', 'platform_admin'].includes(me.role);

/** What a new device needs once: its credentials, a mosquitto_pub line and a Python snippet. */
function credentialsCard(device, creds) {
  const host = location.hostname;
  const topic = `${device.tenant}/devices/${device.uid}/telemetry`;
  const pub = `mosquitto_pub -h ${host} -p 1883 -u '${creds.mqtt_username}' -P '${creds.mqtt_password}' -q 1 -t '${topic}' -m '{"temp": 21.5}'`;
  const py = [
    'import json, time, uuid',
    'import paho.mqtt.client as mqtt',
    `c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="${device.uid}")`,
    `c.username_pw_set("${creds.mqtt_username}", "${creds.mqtt_password}")`,
    `c.connect("${host}", 1883)`,
    'c.loop_start()',
    'while True:',
    `    msg = {"msg_id": str(uuid.uuid4()), "ts": int(time.time()), "data": {"temp": 21.5}}`,
    `    c.publish("${topic}", json.dumps(msg), qos=1).wait_for_publish()`,
    '    time.sleep(5)',
  ].join('\n');
  return h('section', { class: 'notice', id: 'credentials' },
    h('h2', {}, `Credentials of ${device.uid} — shown once`),
    h('p', {}, 'MQTT user ', h('code', { id: 'cred-username' }, creds.mqtt_username), ' password ',
      h('code', { id: 'cred-password' }, creds.mqtt_password), ' · HTTP API key ', h('code', { id: 'cred-api-key' }, creds.api_key)),
    h('p', {}, 'mosquitto_pub:'), h('pre', { id: 'cred-mosquitto' }, pub),
    h('p', {}, 'Python (paho-mqtt, as seed 000 sends):'), h('pre', { id: 'cred-python' }, py));
}

export async function adminPage(me) {
  if (!isAdmin(me)) {
    mount(h('h1', {}, 'Administration'), h('p', { class: 'error', role: 'alert', id: 'forbidden' }, 'Your role cannot see this page.'));
    return null;
  }
  const shown = h('div');
  const error = h('p', { class: 'error', role: 'alert', id: 'admin-error' });
  const fail = (e) => { error.textContent = e.message; };
  const devices = h('tbody', { id: 'admin-devices' });
  const users = h('tbody', { id: 'admin-users' });
  const tenants = h('tbody', { id: 'admin-tenants' });
  const tenantSelect = h('select', { id: 'new-user-tenant' });
  const deviceTenant = h('select', { id: 'new-device-tenant' });

  const load = async () => {
    const [t, u, d] = await Promise.all([api('/tenants'), api('/users'), api('/devices?limit=200')]);
    tenants.replaceChildren(...t.items.map((x) => h('tr', {}, h('td', {}, x.name), h('td', { class: 'num' }, x.id))));
    for (const sel of [tenantSelect, deviceTenant]) sel.replaceChildren(...t.items.map((x) => h('option', { value: x.id }, x.name)));
    users.replaceChildren(...u.items.map((x) => h('tr', {}, h('td', {}, x.email), h('td', {}, x.role),
      h('td', {}, x.id === me.id ? '' : h('button', { type: 'button', class: 'secondary', onclick: async () => {
        if (!confirm(`Delete ${x.email}?`)) return;
        await api(`/users/${x.id}`, { method: 'DELETE' }).catch(fail);
        load();
      } }, 'Delete')))));
    devices.replaceChildren(...d.items.map((x) => h('tr', { 'data-admin-device': x.uid }, h('td', {}, x.uid), h('td', {}, x.tenant),
      h('td', {}, h('button', { type: 'button', class: 'secondary rotate', onclick: async () => {
        try {
          const creds = await api(`/devices/${x.id}/credentials`, { method: 'POST' });
          shown.replaceChildren(credentialsCard(x, creds.credentials || creds));
        } catch (e) { fail(e); }
      } }, 'Rotate credentials'), ' ',
      h('button', { type: 'button', class: 'secondary', onclick: async () => {
        if (!confirm(`Delete ${x.uid} and all its data?`)) return;
        await api(`/devices/${x.id}`, { method: 'DELETE' }).catch(fail);
        load();
      } }, 'Delete')))));
  };

  const uid = h('input', { id: 'new-device-uid', required: true });
  const name = h('input', { id: 'new-device-name' });
  const labels = h('input', { id: 'new-device-labels', placeholder: 'site=roof, kind=pump' });
  const newDevice = h('form', { class: 'row', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const body = { uid: uid.value };
      if (name.value) body.name = name.value;
      if (labels.value.trim()) body.labels = Object.fromEntries(labels.value.split(',').map((p) => p.split('=').map((s) => s.trim())));
      if (me.role === 'platform_admin') body.tenant = Number(deviceTenant.value);
      const d = await api('/devices', { method: 'POST', body });
      shown.replaceChildren(credentialsCard(d, d.credentials));
      uid.value = name.value = labels.value = '';
      load();
    } catch (err) { fail(err); }
  } }, h('label', { for: 'new-device-uid' }, 'uid', uid), h('label', { for: 'new-device-name' }, 'Name', name),
  h('label', { for: 'new-device-labels' }, 'Labels', labels),
  me.role === 'platform_admin' ? h('label', { for: 'new-device-tenant' }, 'Tenant', deviceTenant) : null,
  h('button', { type: 'submit', id: 'new-device-create' }, 'Create device'));

  const email = h('input', { id: 'new-user-email', type: 'email', required: true });
  const password = h('input', { id: 'new-user-password', type: 'password', required: true, minlength: 8 });
  const role = h('select', { id: 'new-user-role' }, ['viewer', 'operator', 'tenant_admin'].map((r) => h('option', { value: r }, r)));
  const newUser = h('form', { class: 'row', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const body = { email: email.value, password: password.value, role: role.value };
      if (me.role === 'platform_admin') body.tenant_id = Number(tenantSelect.value);
      await api('/users', { method: 'POST', body });
      email.value = password.value = '';
      load();
    } catch (err) { fail(err); }
  } }, h('label', { for: 'new-user-email' }, 'Email', email), h('label', { for: 'new-user-password' }, 'Password', password),
  h('label', { for: 'new-user-role' }, 'Role', role),
  me.role === 'platform_admin' ? h('label', { for: 'new-user-tenant' }, 'Tenant', tenantSelect) : null,
  h('button', { type: 'submit' }, 'Add user'));

  const tenantName = h('input', { id: 'new-tenant-name', required: true });
  const newTenant = me.role !== 'platform_admin' ? null : h('form', { class: 'row', onsubmit: async (e) => {
    e.preventDefault();
    try { await api('/tenants', { method: 'POST', body: { name: tenantName.value } }); tenantName.value = ''; load(); } catch (err) { fail(err); }
  } }, h('label', { for: 'new-tenant-name' }, 'Tenant name', tenantName), h('button', { type: 'submit' }, 'Add tenant'));

  mount(h('h1', {}, 'Administration'), error,
    h('h2', {}, 'Devices'), newDevice, shown,
    h('table', {}, h('thead', {}, h('tr', {}, ['Device', 'Tenant', ''].map((t) => h('th', { scope: 'col' }, t)))), devices),
    h('h2', {}, 'Users'), newUser,
    h('table', {}, h('thead', {}, h('tr', {}, ['Email', 'Role', ''].map((t) => h('th', { scope: 'col' }, t)))), users),
    h('h2', {}, 'Tenants'), newTenant,
    h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Id'].map((t) => h('th', { scope: 'col' }, t)))), tenants));
  await load();
  return null;
}

/** The alert rules of the caller's tenant: list, create, delete. */
export async function rulesSection(me, canOperate) {
  const body = h('tbody', { id: 'rules' });
  const error = h('p', { class: 'error', role: 'alert', id: 'rule-error' });
  let edit = () => {};
  const load = async () => {
    const list = await api('/alert-rules');
    body.replaceChildren(...list.items.map((r) => h('tr', { 'data-rule': r.id }, h('td', {}, r.name),
      h('td', {}, r.uid || (r.labels ? JSON.stringify(r.labels) : 'all devices')),
      h('td', { class: 'rule-when' }, r.kind === 'threshold' ? `${r.key} ${r.op} ${r.threshold} for ${r.for_s} s` : `${r.kind} ${r.after_s} s`),
      h('td', {}, r.enabled ? 'on' : 'off'),
      h('td', {}, canOperate ? [r.kind === 'threshold' ? h('button', { type: 'button', class: 'secondary rule-edit', onclick: () => edit(r) }, 'Edit') : '',
        h('button', { type: 'button', class: 'secondary', onclick: async () => {
          if (!confirm(`Delete rule ${r.name}?`)) return;
          await api(`/alert-rules/${r.id}`, { method: 'DELETE' });
          load();
        } }, 'Delete')] : ''))));
  };
  let form = null;
  if (canOperate) {
    const f = {
      name: h('input', { id: 'rule-name', required: true }), device: h('input', { id: 'rule-device', placeholder: 'uid (empty: all)' }),
      key: h('input', { id: 'rule-key', placeholder: 'temp', required: true }),
      op: h('select', { id: 'rule-op' }, ['>', '>=', '<', '<=', '==', '!='].map((o) => h('option', { value: o }, o))),
      threshold: h('input', { id: 'rule-threshold', type: 'number', step: 'any', required: true }),
      for: h('input', { id: 'rule-for', type: 'number', min: 0, value: 0 }),
    };
    const submit = h('button', { type: 'submit', id: 'rule-create' }, 'Add rule');
    const cancel = h('button', { type: 'button', class: 'secondary', id: 'rule-cancel', hidden: true, onclick: () => reset() }, 'Cancel');
    let editing = null;
    const reset = () => {
      editing = null;
      f.name.value = f.device.value = f.key.value = f.threshold.value = '';
      f.for.value = 0;
      submit.textContent = 'Add rule';
      cancel.hidden = true;
    };
    // Editing fills the form with the rule; saving sends what the form holds (PATCH keeps the
    // rest, such as a label selector), the device only when it was changed.
    edit = (r) => {
      editing = r;
      f.name.value = r.name; f.device.value = r.uid || ''; f.key.value = r.key;
      f.op.value = r.op; f.threshold.value = r.threshold; f.for.value = r.for_s;
      submit.textContent = 'Save rule';
      cancel.hidden = false;
      f.name.focus();
    };
    form = h('form', { class: 'row', onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      const rule = { name: f.name.value, key: f.key.value, op: f.op.value, threshold: Number(f.threshold.value), for_s: Number(f.for.value) };
      try {
        if (editing) {
          if (f.device.value !== (editing.uid || '')) rule.device = f.device.value || null;
          await api(`/alert-rules/${editing.id}`, { method: 'PATCH', body: rule });
        } else {
          if (f.device.value) rule.device = f.device.value;
          if (!f.device.value && me.role === 'platform_admin') rule.tenant = 't0';
          await api('/alert-rules', { method: 'POST', body: rule });
        }
        reset();
        load();
      } catch (err) { error.textContent = err.message; }
    } }, ...Object.entries(f).map(([k, el]) => h('label', { for: el.id }, k === 'for' ? 'held for (s)' : k, el)), submit, cancel);
  }
  await load();
  return h('section', {}, h('h2', {}, 'Rules'), form, error,
    h('table', {}, h('thead', {}, h('tr', {}, ['Rule', 'Watches', 'When', 'Enabled', ''].map((t) => h('th', { scope: 'col' }, t)))), body));
}
