// A small static server for dist/ (the demo, the end-to-end tests and the benchmark), sending the
// headers a CDN serving the widget must send (README, "Hosting"): .wasm as application/wasm,
// Access-Control-Allow-Origin on every file (the loader imports the glue as an ES module and the
// glue fetches the wasm, both cross-origin on a CDN), a year's immutable cache for the hashed
// files and a short one for the stable names (the loader), with an ETag to revalidate.
// Can send a strict Content-Security-Policy header with its pages.
// Usage: node scripts/serve.mjs [--port 8080] [--root dist] [--csp "<policy>"] [--loader-max-age 300]
import crypto from 'node:crypto';
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

/** A content-hashed name (helpwire_local.0123abcdef.wasm): its content never changes. */
const HASHED = /\.[0-9a-f]{10}\.(?:js|wasm|json)$/;

/** The caching and cross-origin headers a CDN sends with the widget's file `name`. */
export function cdnHeaders(name, { loaderMaxAge = 300, cors = true } = {}) {
  const headers = {
    'Cache-Control': HASHED.test(name)
      ? 'public, max-age=31536000, immutable'
      : loaderMaxAge > 0 ? `public, max-age=${loaderMaxAge}` : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  };
  if (cors) {
    headers['Access-Control-Allow-Origin'] = '*';
    // For host pages that require it of every subresource (Cross-Origin-Embedder-Policy).
    headers['Cross-Origin-Resource-Policy'] = 'cross-origin';
  }
  return headers;
}

/** Starts a server; resolves to {server, url}. `pages` maps extra paths to HTML strings or to
 *  {type, body} (tests' host pages and their scripts), sent with no-store. Files from `root` get
 *  cdnHeaders(); `cors: false` leaves out Access-Control-Allow-Origin (a misconfigured CDN). */
export function serve({ root = 'dist', port = 0, csp = null, pages = {}, loaderMaxAge = 300, cors = true } = {}) {
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
      const etag = `"${crypto.createHash('sha1').update(data).digest('base64url')}"`;
      Object.assign(headers, cdnHeaders(path.basename(file), { loaderMaxAge, cors }), { ETag: etag });
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers);
        return res.end();
      }
      res.writeHead(200, { ...headers, 'Content-Type': type });
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
  const { url } = await serve({
    root: opt('--root', 'dist'),
    port: Number(opt('--port', 8080)),
    csp: opt('--csp', null),
    loaderMaxAge: Number(opt('--loader-max-age', 300)),
  });
  console.log(`Helpwire demo: ${url}/  (Ctrl+C to stop)`);
}
