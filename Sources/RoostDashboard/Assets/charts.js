import { api } from './api.js';
import { h } from './dom.js';

// Charts with dygraphs 2.2.1 (Debian's libjs-dygraphs, vendored in vendor/), loaded the first
// time a page draws one: the first load of the dashboard carries none of it.
let loading = null;
export function loadDygraph() {
  loading ??= new Promise((resolve, reject) => {
    document.head.append(h('link', { rel: 'stylesheet', href: '/assets/vendor/dygraph-2.2.1.min.css' }));
    const s = h('script', { src: '/assets/vendor/dygraph-2.2.1.min.js' });
    s.onload = () => resolve(window.Dygraph);
    s.onerror = () => reject(new Error('the chart library did not load'));
    document.head.append(s);
  });
  return loading;
}

const numericKeys = (data) => Object.entries(data || {}).filter(([, v]) => typeof v === 'number').map(([k]) => k).slice(0, 6);

/** A chart of the last `max` live points of the device's numeric fields, fed by `push`. */
export async function liveChart(el, keys, max = 300) {
  const Dygraph = await loadDygraph();
  const rows = [];
  let graph = null;
  return {
    push(ts, data) {
      const fields = keys.length ? keys : numericKeys(data);
      if (!keys.length) keys.push(...fields);
      if (!keys.length) return;
      rows.push([new Date(ts), ...keys.map((k) => (typeof data[k] === 'number' ? data[k] : null))]);
      if (rows.length > max) rows.shift();
      // The page may have been left meanwhile: dygraphs cannot measure a detached element.
      if (!el.isConnected) return;
      if (!graph) graph = new Dygraph(el, rows, { labels: ['time', ...keys], connectSeparatedPoints: true, height: 220 });
      else graph.updateOptions({ file: rows });
    },
  };
}

const ranges = { hour: [3_600_000, '1m'], day: [86_400_000, '10m'], week: [7 * 86_400_000, '1h'] };
const buckets = [['30s', 30_000], ['1m', 60_000], ['5m', 300_000], ['10m', 600_000], ['30m', 1_800_000], ['1h', 3_600_000],
  ['6h', 21_600_000], ['1d', 86_400_000]];
/** The smallest bucket that keeps a span under 1,000 points (a month: 1h, a year: 1d). */
const bucketFor = (span) => (buckets.find(([, ms]) => span / ms <= 1000) || buckets.at(-1))[0];
const localInput = (ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/**
 * The aggregate history (averages per bucket) of `keys` over a chosen range: the last hour,
 * day or week, or a custom from–to (`custom`, a form of two local times shown when chosen).
 */
export async function historyChart(el, deviceID, keys, picker, custom) {
  const Dygraph = await loadDygraph();
  let graph = null;
  const draw = async (from, to, bucket) => {
    if (!keys.length) { el.textContent = 'No numeric fields yet.'; return; }
    const q = new URLSearchParams({ keys: keys.join(','), from: String(from), to: String(to), bucket, fn: 'avg' });
    const agg = await api(`/devices/${deviceID}/aggregate?${q}`);
    if (!el.isConnected) return;  // the page was left while the answer was on its way
    const rows = agg.buckets.filter((b) => keys.some((k) => b.values[k]?.avg != null))
      .map((b) => [new Date(b.start), ...keys.map((k) => b.values[k]?.avg ?? null)]);
    if (!rows.length) { graph?.destroy(); graph = null; el.textContent = 'No data in this range.'; return; }
    el.textContent = '';
    // The axis spans the range asked for, however few buckets hold data.
    const options = { dateWindow: [from, to] };
    if (!graph) graph = new Dygraph(el, rows, { ...options, labels: ['time', ...keys], height: 220, connectSeparatedPoints: true, drawPoints: true, pointSize: 2 });
    else graph.updateOptions({ ...options, file: rows });
  };
  const last = (range) => {
    const [span, bucket] = ranges[range] || ranges.day;
    const to = Date.now();
    return draw(to - span, to, bucket);
  };
  const fail = (e) => { el.textContent = e.message; };
  const [fromInput, toInput] = custom.querySelectorAll('input');
  const error = custom.querySelector('.error');
  picker.addEventListener('change', () => {
    custom.hidden = picker.value !== 'custom';
    if (picker.value !== 'custom') { last(picker.value).catch(fail); return; }
    if (!fromInput.value) { fromInput.value = localInput(Date.now() - 86_400_000); toInput.value = localInput(Date.now()); }
    fromInput.focus();
  });
  custom.addEventListener('submit', (e) => {
    e.preventDefault();
    error.textContent = '';
    const from = new Date(fromInput.value).getTime();
    const to = new Date(toInput.value).getTime();
    if (!(from < to)) { error.textContent = 'From must be before to.'; return; }
    draw(from, to, bucketFor(to - from)).catch(fail);
  });
  await last(picker.value);
}
