import { api, session } from './api.js';
import { h, when } from './dom.js';

const pretty = (v) => JSON.stringify(v ?? {}, null, 2);

/** The device shadow: desired, reported and delta, with desired editable (If-Match). */
export async function shadowSection(d, canOperate, live) {
  const desired = h('pre', { id: 'shadow-desired' });
  const reported = h('pre', { id: 'shadow-reported' });
  const delta = h('pre', { id: 'shadow-delta' });
  const version = h('span', { class: 'muted', id: 'shadow-version' });
  const error = h('p', { class: 'error', role: 'alert', id: 'shadow-error' });
  let current = null;
  const show = (s) => {
    current = s;
    desired.textContent = pretty(s.desired);
    reported.textContent = pretty(s.reported);
    delta.textContent = pretty(s.delta);
    version.textContent = `version ${s.version}`;
  };
  show(await api(`/devices/${d.id}/shadow`));
  let form = null;
  if (canOperate) {
    const edit = h('textarea', { id: 'shadow-edit', rows: 4, cols: 40, placeholder: '{"mode": "cool"} (null deletes a key)' });
    form = h('form', { class: 'row', onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        const patch = JSON.parse(edit.value);
        const s = session();
        const r = await fetch(`/api/v1/devices/${d.id}/shadow/desired`, {
          method: 'PUT', body: JSON.stringify(patch),
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${s.access}`, 'If-Match': `"${current.version}"` },
        });
        const body = await r.json();
        if (r.status === 412) { error.textContent = 'The shadow changed meanwhile; it is reloaded, apply again.'; show(await api(`/devices/${d.id}/shadow`)); return; }
        if (!r.ok) { error.textContent = body?.error?.message || `HTTP ${r.status}`; return; }
        show(body);
        edit.value = '';
      } catch (err) { error.textContent = err.message; }
    } }, h('label', { for: 'shadow-edit' }, 'Change desired', edit), h('button', { type: 'submit', id: 'shadow-save' }, 'Apply'));
  }
  const off = live.on((e) => { if (e.type === 'shadow' && e.device === d.id) show(e); });
  return { off, el: h('section', {}, h('h2', {}, 'Shadow ', version),
    h('div', { class: 'cards' }, h('div', {}, h('h3', {}, 'Desired'), desired), h('div', {}, h('h3', {}, 'Reported'), reported),
      h('div', {}, h('h3', {}, 'Delta'), delta)), form, error) };
}

/** The device's schedules: list with next run, create (every N s or cron), edit in place, delete. */
export async function schedulesSection(d, canOperate) {
  const body = h('tbody', { id: 'schedules' });
  const error = h('p', { class: 'error', role: 'alert', id: 'schedule-error' });
  let edit = () => {};
  const load = async () => {
    const list = (await api('/schedules')).items.filter((s) => s.device === d.id);
    body.replaceChildren(...list.map((s) => h('tr', { 'data-schedule': s.id }, h('td', {}, s.command),
      h('td', {}, s.cron ? `cron ${s.cron} (${s.tz})` : s.every_s ? `every ${s.every_s} s` : `at ${s.at}`),
      h('td', { class: 'schedule-next' }, s.next_run_at ? new Date(s.next_run_at).toLocaleString() : '—'),
      h('td', {}, when(s.last_run_at)),
      h('td', {}, canOperate ? [h('button', { type: 'button', class: 'secondary schedule-edit', onclick: () => edit(s) }, 'Edit'),
        h('button', { type: 'button', class: 'secondary', onclick: async () => {
          if (!confirm('Delete this schedule?')) return;
          await api(`/schedules/${s.id}`, { method: 'DELETE' });
          load();
        } }, 'Delete')] : ''))));
  };
  let form = null;
  if (canOperate) {
    const command = h('input', { id: 'schedule-command', required: true });
    const when_ = h('input', { id: 'schedule-when', required: true, placeholder: '900 (seconds) or 0 6 * * mon-fri' });
    const tz = h('input', { id: 'schedule-tz', value: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' });
    const submit = h('button', { type: 'submit', id: 'schedule-create' }, 'Schedule');
    const cancel = h('button', { type: 'button', class: 'secondary', id: 'schedule-cancel', hidden: true, onclick: () => reset() }, 'Cancel');
    let editing = null;
    const reset = () => {
      editing = null;
      command.value = when_.value = '';
      submit.textContent = 'Schedule';
      cancel.hidden = true;
    };
    // Editing fills the form with the schedule; saving sends only what the form holds (PATCH).
    edit = (s) => {
      editing = s.id;
      command.value = s.command;
      when_.value = s.cron ?? (s.every_s != null ? String(s.every_s) : '');
      if (s.tz) tz.value = s.tz;
      submit.textContent = 'Save';
      cancel.hidden = false;
      command.focus();
    };
    form = h('form', { class: 'row', onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      const s = { device: String(d.id), command: command.value };
      if (/^\d+$/.test(when_.value.trim())) s.every_s = Number(when_.value); else { s.cron = when_.value.trim(); s.tz = tz.value; }
      try {
        if (editing) await api(`/schedules/${editing}`, { method: 'PATCH', body: s });
        else await api('/schedules', { method: 'POST', body: s });
        reset();
        load();
      } catch (err) { error.textContent = err.message; }
    } }, h('label', { for: 'schedule-command' }, 'Command', command), h('label', { for: 'schedule-when' }, 'Every (s) or cron', when_),
    h('label', { for: 'schedule-tz' }, 'Time zone', tz), submit, cancel);
  }
  await load();
  return h('section', {}, h('h2', {}, 'Schedules'), form, error,
    h('table', {}, h('thead', {}, h('tr', {}, ['Command', 'When', 'Next run', 'Last run', ''].map((t) => h('th', { scope: 'col' }, t)))), body));
}
