// A small static server for dist/ (the demo, the end-to-end tests and the benchmark).
// Serves .wasm as application/wasm and can send a strict Content-Security-Policy header.
// Usage: node scripts/serve.mjs [--port 8080] [--root dist] [--csp "<policy>"]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain; charset=utf-8',
};

/** Starts a server; resolves to {server, url}. `pages` maps extra paths to HTML strings or to
 *  {type, body} (tests' host pages and their scripts). */
export function serve({ root = 'dist', port = 0, csp = null, pages = {} } = {}) {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const headers = {};
    if (csp) headers['Content-Security-Policy'] = csp;
    const page = pages[url.pathname];
    if (page !== undefined) {
      const { type, body } = typeof page === 'string' ? { type: TYPES['.html'], body: page } : page;
      res.writeHead(200, { ...headers, 'Content-Type': type, 'Cache-Control': 'no-store' });
      return res.end(body);
    }
    let file = path.join(base, decodeURIComponent(url.pathname));
    if (!file.startsWith(base)) {
      res.writeHead(403);
      return res.end();
    }
    if (file.endsWith(path.sep)) file = path.join(file, 'index.html');
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end('not found');
      }
      const type = TYPES[path.extname(file)] || 'application/octet-stream';
      res.writeHead(200, { ...headers, 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(data);
    });
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      resolve({ server, url: `http://127.0.0.1:${server.address().port}` });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const { url } = await serve({ root: opt('--root', 'dist'), port: Number(opt('--port', 8080)), csp: opt('--csp', null) });
  console.log(`Helpwire demo: ${url}/  (Ctrl+C to stop)`);
}
