/// `/docs`: a readable page built in the browser from `/openapi.json`, with no CDN and no
/// build step (plain HTML and a small script).
enum DocsPage {
    static let html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Roost API</title>
        <style>
        body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2433;background:#f7f8fa}
        header{background:#1d2433;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
        main{max-width:980px;margin:0 auto;padding:16px 24px}
        section{background:#fff;border:1px solid #dde1e8;border-radius:8px;margin:12px 0;padding:12px 16px}
        .m{display:inline-block;min-width:64px;font:600 12px monospace;padding:2px 6px;border-radius:4px;color:#fff;text-align:center}
        .get{background:#2f7d32}.post{background:#1565c0}.patch{background:#ef6c00}.delete{background:#c62828}
        code{font:13px monospace}table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #dde1e8;padding:3px 8px;font-size:13px;text-align:left}
        pre{background:#f0f2f5;padding:8px;overflow:auto;font-size:12px}h2{font-size:17px;margin-top:28px}
        </style></head>
        <body><header><h1>Roost API</h1><div id="desc"></div></header><main id="main">Loading /openapi.json…</main>
        <script type="module">
        const spec = await (await fetch('/openapi.json')).json();
        const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
        document.getElementById('desc').textContent = spec.info.description;
        const byTag = {};
        for (const [path, ops] of Object.entries(spec.paths))
          for (const [method, op] of Object.entries(ops)) (byTag[op.tags[0]] ??= []).push({path, method, op});
        let html = '<p>Send <code>Authorization: Bearer &lt;access token&gt;</code> (from <code>POST /api/v1/auth/login</code>) or a personal API key. <a href="/openapi.json">openapi.json</a></p>';
        for (const [tag, ops] of Object.entries(byTag)) {
          html += `<h2>${esc(tag)}</h2>`;
          for (const {path, method, op} of ops) {
            html += `<section><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code> — ${esc(op.summary)}`;
            if (op.security && op.security.length === 0) html += ' <em>(no login)</em>';
            if (op.parameters) html += '<table><tr><th>parameter</th><th>in</th><th>description</th></tr>' +
              op.parameters.map(p => `<tr><td><code>${esc(p.name)}</code>${p.required ? ' *' : ''}</td><td>${esc(p.in)}</td><td>${esc(p.description)}</td></tr>`).join('') + '</table>';
            const body = op.requestBody?.content?.['application/json']?.schema?.$ref;
            if (body) html += `<div>body: <code>${esc(body.split('/').pop())}</code></div>`;
            html += '<div>responses: ' + Object.entries(op.responses).map(([c, r]) => {
              const ref = Object.values(r.content ?? {})[0]?.schema?.$ref;
              return `<code>${esc(c)}</code>${ref ? ' ' + esc(ref.split('/').pop()) : ''}`; }).join(', ') + '</div></section>';
          }
        }
        html += '<h2>schemas</h2>';
        for (const [name, schema] of Object.entries(spec.components.schemas))
          html += `<section><b>${esc(name)}</b><pre>${esc(JSON.stringify(schema, null, 2))}</pre></section>`;
        document.getElementById('main').innerHTML = html;
        </script></body></html>
        """
}
