// Elements built from data, never from HTML strings: device names and payloads cannot inject markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function mount(...children) {
  const app = document.getElementById('app');
  app.replaceChildren(...children);
  app.focus();
}

export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const ago = (Date.now() - d.getTime()) / 1000;
  if (ago < 60) return `${Math.max(0, Math.round(ago))} s ago`;
  if (ago < 3600) return `${Math.round(ago / 60)} min ago`;
  return d.toLocaleString();
}

export function values(data) {
  return Object.entries(data || {}).map(([k, v]) => `${k} ${typeof v === 'number' ? +v.toFixed(3) : v}`).join(', ');
}
