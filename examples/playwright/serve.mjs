// The example site, served the way a site would: its page, and the widget's files from the
// installed package (node_modules/helpwire/dist) under /helpwire/, with the types they need.
// Usage: node serve.mjs [port]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const roots = { '/helpwire/': path.join(here, 'node_modules/helpwire/dist'), '/': path.join(here, 'site') };
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const port = Number(process.argv[2] || 4311);

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const prefix = Object.keys(roots).find((p) => url.pathname.startsWith(p));
  const rest = url.pathname.slice(prefix.length) || 'index.html';
  const file = path.join(roots[prefix], path.normalize(rest).replace(/^(\.\.[/\\])+/, ''));
  fs.readFile(file, (error, data) => {
    if (error) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' }).end(data);
  });
}).listen(port, '127.0.0.1');
