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

/** The aggregate history (averages per bucket) of `keys` over a chosen range. */
export async function historyChart(el, deviceID, keys, picker) {
  const Dygraph = await loadDygraph();
  let graph = null;
  const draw = async (range) => {
    if (!keys.length) { el.textContent = 'No numeric fields yet.'; return; }
    const [span, bucket] = ranges[range] || ranges.day;
    const to = Date.now();
    const q = new URLSearchParams({ keys: keys.join(','), from: String(to - span), to: String(to), bucket, fn: 'avg' });
    const agg = await api(`/devices/${deviceID}/aggregate?${q}`);
    if (!el.isConnected) return;  // the page was left while the answer was on its way
    const rows = agg.buckets.filter((b) => keys.some((k) => b.values[k]?.avg != null))
      .map((b) => [new Date(b.start), ...keys.map((k) => b.values[k]?.avg ?? null)]);
    if (!rows.length) { graph?.destroy(); graph = null; el.textContent = 'No data in this range.'; return; }
    el.textContent = '';
    if (!graph) graph = new Dygraph(el, rows, { labels: ['time', ...keys], height: 220, connectSeparatedPoints: true });
    else graph.updateOptions({ file: rows });
  };
  picker.addEventListener('change', () => draw(picker.value).catch((e) => { el.textContent = e.message; }));
  await draw(picker.value);
}
