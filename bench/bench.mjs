// Helpwire benchmark: what the widget costs a host page, and how fast it is, side by side with
// two widgets people use today (Gleap's browser SDK and Rocket.Chat's Livechat). Headless
// Chromium (Debian's, through playwright-core) against a release build; every timing is the
// median of several runs. Prints a table and writes JSON to bench/out/.
//
// Usage: node bench/bench.mjs [--runs 5] [--dist dist] [--window 30] [--no-peers] [--out file]
// (scripts/bench.sh builds the release into its own folder, installs the peers and runs this.)
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const RUNS = Number(opt('--runs', 5));
const DIST = path.resolve(ROOT, opt('--dist', process.env.HELPWIRE_DIST || 'dist'));
const WINDOW_S = Number(opt('--window', 30)); // seconds per state for the request counts
const SETTLE_MS = 6000; // every page is observed from navigation until `load` + this
const PEERS_DIR = path.join(ROOT, 'bench/out/peers/node_modules');
const WITH_PEERS = !args.includes('--no-peers') && fs.existsSync(PEERS_DIR);
const OUT = path.resolve(ROOT, opt('--out', `bench/out/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`));
const LOCAL_HELPDESK_KEY = 'helpwire:v1:local-helpdesk'; // src/web/executor.rs
const SNAPSHOT_KEY = 'helpwire:v1:local:'; // core/src/engine/storage.rs storage_key("local", None)

const BUDGET = { loaderGzip: 2048, restGzip: 100 * 1024, longTasksBeforeInteraction: 0, appendMs: 2, hiddenRequests: 0 };

// ---------------------------------------------------------------------------------------------
// Pages and server

const ARTICLE = `<main><h1>A host page</h1>${'<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris.</p>'.repeat(30)}<button id="own">The page's own button</button></main>`;
const page = (head) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host page</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">${head}</head><body>${ARTICLE}</body></html>`;

const PAGES = {
  // The same host page without any widget: the baseline every cost is measured against.
  '/bench/base.html': page(''),
  '/bench/helpwire.html': page('<script async src="/helpwire.js" data-provider="local"></script>'),
  // Gleap: their docs' snippet loads the browser build asynchronously, then calls initialize().
  '/bench/gleap.html': page(`<script>
!function(){var s=document.createElement('script');s.async=true;s.src='/peers/gleap/build/browser/index.js';
s.onload=function(){var G=window.Gleap&&(window.Gleap.default||window.Gleap);G.initialize('benchmarkApiKey0000000000000000')};
document.head.appendChild(s)}();</script>`),
  // Rocket.Chat: the embed snippet from their docs (widget-demo.html), pointing at our copy of the build.
  '/bench/rocketchat.html': page(`<script>
(function(w, d, s, u) {
  w.RocketChat = function(c) { w.RocketChat._.push(c) }; w.RocketChat._ = []; w.RocketChat.url = u;
  var h = d.getElementsByTagName(s)[0], j = d.createElement(s);
  j.async = true; j.src = '/livechat/rocketchat-livechat.min.js?_=201903270000';
  h.parentNode.insertBefore(j, h);
})(window, document, 'script', location.origin + '/livechat');
</script>`),
};

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml' };

function fileFor(pathname) {
  if (pathname.startsWith('/peers/gleap/')) return path.join(PEERS_DIR, 'gleap', pathname.slice('/peers/gleap/'.length));
  const livechat = path.join(PEERS_DIR, '@rocket.chat/livechat/build');
  if (pathname === '/livechat' || pathname === '/livechat/') return path.join(livechat, 'index.html');
  if (pathname.startsWith('/livechat/')) return path.join(livechat, pathname.slice('/livechat/'.length));
  return path.join(DIST, pathname);
}

function startServer() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (PAGES[url.pathname]) {
      res.writeHead(200, { 'Content-Type': TYPES['.html'], 'Cache-Control': 'no-store' });
      return res.end(PAGES[url.pathname]);
    }
    const file = fileFor(decodeURIComponent(url.pathname));
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end('not found');
      }
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
      res.end(data);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

// ---------------------------------------------------------------------------------------------
// Helpers

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const sizes = (buf) => ({
  raw: buf.length,
  gzip: zlib.gzipSync(buf, { level: 9 }).length,
  brotli: zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tbtOf = (tasks) => tasks.reduce((s, [, d]) => s + Math.max(0, d - 50), 0);

// Runs in every document before its own scripts: long tasks, load and ready times, and a count
// of the local helpdesk's requests (the `local` provider answers them in the page: each one
// reads the helpdesk's state from storage once).
const INIT = `(() => {
  const b = window.__bench = { lt: [], t: {}, helpdesk: 0 };
  try { new PerformanceObserver((l) => { for (const e of l.getEntries()) b.lt.push([e.startTime, e.duration]); })
    .observe({ type: 'longtask', buffered: true }); } catch (e) {}
  addEventListener('load', () => { b.t.load = performance.now(); });
  new MutationObserver(() => {
    const h = document.querySelector('helpwire-chat');
    if (h && h.getAttribute('data-state') === 'ready' && b.t.ready === undefined) b.t.ready = performance.now();
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  const get = Storage.prototype.getItem;
  Storage.prototype.getItem = function (k) { if (k === '${LOCAL_HELPDESK_KEY}') b.helpdesk++; return get.call(this, k); };
})();`;

async function newPage(browser, seed) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(INIT);
  if (seed) {
    await context.addInitScript(({ entries }) => {
      if (location.pathname.startsWith('/bench/') && !sessionStorage.getItem('seeded')) {
        for (const [k, v] of entries) localStorage.setItem(k, v);
        sessionStorage.setItem('seeded', '1');
      }
    }, { entries: Object.entries(seed) });
  }
  const p = await context.newPage();
  const responses = [];
  const failed = [];
  p.on('response', (r) => responses.push(r));
  p.on('requestfailed', (r) => failed.push(r.url()));
  return { context, page: p, responses, failed };
}

/** Bytes of every response of our origin except the host page itself. */
async function bytesOf(responses, origin) {
  const files = [];
  for (const r of responses) {
    const u = new URL(r.url());
    if (u.origin !== origin || u.pathname.startsWith('/bench/')) continue;
    let body;
    try { body = await r.body(); } catch { continue; }
    if (!body || r.status() !== 200) continue;
    files.push({ path: u.pathname, ...sizes(body) });
  }
  return files;
}
const sum = (files, k) => files.reduce((s, f) => s + f[k], 0);

/** Loads `pathname`, waits until `load` + SETTLE_MS (and ready, for Helpwire), returns the cost. */
async function measureHost(browser, origin, pathname, { seed, waitReady = false } = {}) {
  const { context, page: p, responses, failed } = await newPage(browser, seed);
  await p.goto(origin + pathname, { waitUntil: 'load' });
  if (waitReady) await p.waitForSelector('helpwire-chat[data-state=ready]', { state: 'attached', timeout: 30000 });
  const now = await p.evaluate(() => performance.now());
  const loadAt = await p.evaluate(() => window.__bench.t.load);
  await sleep(Math.max(0, loadAt + SETTLE_MS - now));
  const b = await p.evaluate(() => window.__bench);
  const files = await bytesOf(responses, origin);
  return { context, page: p, b, files, failed, responses };
}

// ---------------------------------------------------------------------------------------------
// A long conversation, seeded into storage from a real one

/** Has a short real conversation on the local helpdesk and returns its storage, as a template. */
async function recordTemplate(browser, origin) {
  const { context, page: p } = await newPage(browser);
  await p.goto(origin + '/bench/helpwire.html');
  await p.waitForSelector('helpwire-chat[data-state=ready]', { state: 'attached', timeout: 30000 });
  await p.getByRole('button', { name: /^Support chat/ }).click();
  const box = p.getByRole('textbox', { name: 'Message to support' });
  await box.fill('Hello, a question about my invoice');
  await box.press('Enter');
  await p.locator('helpwire-chat [data-author=agent]').first().waitFor({ timeout: 20000 });
  await p.locator('helpwire-chat [data-author=visitor][data-status=sent]').first().waitFor({ timeout: 20000 });
  await sleep(500);
  const storage = await p.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
  await context.close();
  return storage;
}

const WORDS = 'thanks invoice order refund shipping account password page error browser team answer question'.split(' ');
function seedConversation(template, n) {
  const snap = JSON.parse(template[SNAPSHOT_KEY]);
  const visitor = snap.messages.find((m) => m.author.kind === 'visitor');
  const agent = snap.messages.find((m) => m.author.kind !== 'visitor');
  const start = Date.now() - n * 60000;
  const messages = [];
  for (let i = 0; i < n; i++) {
    const m = structuredClone(i % 2 ? agent : visitor);
    const text = `Message ${i}: ` + Array.from({ length: 8 + (i % 13) }, (_, j) => WORDS[(i * 7 + j) % WORDS.length]).join(' ');
    m.id = `bench-${i}`;
    if (m.local_id) m.local_id = `bench-local-${i}`;
    m.body = { kind: 'text', value: text };
    m.created_at = start + i * 60000;
    messages.push(m);
  }
  // The template's own (newest) messages stay last, so the helpdesk's cursor still matches.
  snap.messages = messages.concat(snap.messages);
  snap.unread = 0;
  return { ...template, [SNAPSHOT_KEY]: JSON.stringify(snap) };
}

/** Types one message into the composer and presses Enter: Enter → in the DOM, and what changed. */
function appendOne(p) {
  return p.evaluate(async () => {
    const root = document.querySelector('helpwire-chat').shadowRoot;
    const log = root.querySelector('[role=log]');
    const input = root.querySelector('textarea');
    const seen = { added: 0, removed: 0, addedMessages: 0, removedMessages: 0 };
    let tAdded = null; // when a message element was first seen added
    const isMsg = (node) => node.nodeType === 1 && (node.hasAttribute('data-author') || node.querySelector?.('[data-author]'));
    const note = (records, at) => {
      for (const r of records) {
        seen.added += r.addedNodes.length; seen.removed += r.removedNodes.length;
        for (const x of r.addedNodes) if (isMsg(x)) { seen.addedMessages++; tAdded ??= at; }
        for (const x of r.removedNodes) if (isMsg(x)) seen.removedMessages++;
      }
    };
    const mo = new MutationObserver((records) => note(records, performance.now()));
    mo.observe(log, { subtree: true, childList: true });
    // A visitor types in the composer: focus is there before Enter, as after a click into it
    // (showing the whole history leaves it on the log, and moving it forces a layout).
    input.focus();
    input.value = 'One more message for the benchmark';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const t0 = performance.now();
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true, composed: true }));
    const tSync = performance.now();
    // What the handler itself changed: in the DOM when it returned. (The observer's callback runs
    // later, at the next microtask checkpoint, after whatever this script does first.)
    note(mo.takeRecords(), tSync);
    // Without querying the log (45,000 nodes with all 5,000 rendered: a millisecond a query).
    while (!seen.addedMessages) await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const tPaint = performance.now();
    await new Promise((r) => setTimeout(r, 50));
    mo.disconnect();
    return { sync: tSync - t0, dom: (tAdded ?? tPaint) - t0, painted: tPaint - t0, ...seen };
  });
}

/**
 * Opens a seeded conversation of n messages, appends `appendsPerPhase` messages by typing, shows
 * the whole history, and appends as many again.
 */
async function measureConversation(browser, origin, seed, n, appendsPerPhase) {
  const { context, page: p } = await newPage(browser, seed);
  const cdp = await context.newCDPSession(p);
  await p.goto(origin + '/bench/helpwire.html');
  await p.waitForSelector('helpwire-chat[data-state=ready]', { state: 'attached', timeout: 60000 });
  const boot = await p.evaluate(() => window.__bench);
  // Open: the launcher click → the newest message in the DOM, and → the next frame painted (the
  // log renders the newest pages; earlier ones are shown on request). Then the whole history:
  // "Show earlier messages" pressed until every message is in the DOM.
  const render = await p.evaluate(async (expected) => {
    const root = document.querySelector('helpwire-chat').shadowRoot;
    const count = () => root.querySelectorAll('[data-author]').length;
    const newest = () => [...root.querySelectorAll('[data-author] .text')].some((e) => e.textContent.startsWith(`Message ${expected - 1}:`));
    const until = (ok) => ok() ? Promise.resolve() : new Promise((resolve) => {
      const mo = new MutationObserver(() => { if (ok()) { mo.disconnect(); resolve(); } });
      mo.observe(root, { subtree: true, childList: true });
    });
    const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const before = count();
    const launcher = [...root.querySelectorAll('button')].find((b) => b.hasAttribute('aria-expanded'));
    const t0 = performance.now();
    launcher.click();
    const tClick = performance.now();
    await until(newest);
    const tDom = performance.now();
    await frame();
    const tPaint = performance.now();
    return { before, shown: count(), sync: tClick - t0, dom: tDom - t0, painted: tPaint - t0 };
  }, n);
  await sleep(300);
  const appends = async () => {
    const results = [];
    for (let i = 0; i < appendsPerPhase; i++) {
      results.push(await appendOne(p));
      await sleep(150);
    }
    return results;
  };
  const appendResults = await appends();
  // The whole history: "Show earlier messages" pressed, a frame each, until every message is in
  // the DOM; then the same appends again, now onto 5,000 rendered messages.
  const whole = await p.evaluate(async () => {
    const root = document.querySelector('helpwire-chat').shadowRoot;
    const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const t0 = performance.now();
    let presses = 0;
    // The button stays in the DOM, hidden once everything is shown.
    for (let b; (b = root.querySelector('button.earlier:not([hidden])')); presses++) {
      b.click();
      await frame();
    }
    return { presses, ms: performance.now() - t0, after: root.querySelectorAll('[data-author]').length };
  });
  render.wholeHistory = whole.ms;
  render.presses = whole.presses;
  render.after = whole.after;
  await sleep(300);
  const appendWholeResults = await appends();
  let memory = null;
  if (n >= 5000) {
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await cdp.send('Runtime.getHeapUsage');
    const dom = await cdp.send('Memory.getDOMCounters').catch(() => null);
    const wasm = await p.evaluate(async (glue) => {
      const m = await import(`/${glue}`);
      const w = await m.default(); // already initialised: returns the instance's exports
      return w.memory.buffer.byteLength;
    }, bundleOf('local').js);
    memory = { jsHeapUsed: heap.usedSize, wasmMemory: wasm, nodes: dom && dom.nodes };
  }
  await context.close();
  const bootLong = boot.lt.filter(([s]) => s <= boot.t.ready + 1);
  return { n, readyAfterLoad: boot.t.ready - boot.t.load, bootLongTasks: bootLong.length, bootTbt: tbtOf(bootLong), render, appends: appendResults, appendsWhole: appendWholeResults, memory };
}

/** Each backend's bundle (glue + wasm) in the build, as the loader would fetch it for that backend. */
function bundleSizes() {
  const out = {};
  for (const [backend, { js, wasm }] of Object.entries(manifest().bundles)) {
    const parts = [js, wasm].map((x) => sizes(fs.readFileSync(path.join(DIST, x))));
    out[backend] = { raw: sum(parts, 'raw'), gzip: sum(parts, 'gzip'), brotli: sum(parts, 'brotli') };
  }
  return out;
}

/** The build's manifest.json (scripts/cdn-layout.mjs): its content-hashed bundle names. */
function manifest() {
  return JSON.parse(fs.readFileSync(path.join(DIST, 'manifest.json'), 'utf8'));
}

function bundleOf(backend) {
  return manifest().bundles[backend];
}

/** Medians of append samples, and the most message elements any one of them added or removed. */
function appendSummary(xs) {
  if (!xs.length) return null;
  return {
    dom: median(xs.map((a) => a.dom)),
    painted: median(xs.map((a) => a.painted)),
    sync: median(xs.map((a) => a.sync)),
    addedMessages: Math.max(...xs.map((a) => a.addedMessages)),
    removedMessages: Math.max(...xs.map((a) => a.removedMessages)),
    addedNodes: Math.max(...xs.map((a) => a.added)),
  };
}

/** Requests made in each state over WINDOW_S seconds, scaled to a minute. */
async function measureRequests(browser, origin, seed) {
  const { context, page: p } = await newPage(browser, seed);
  let network = 0;
  const t0 = Date.now();
  p.on('request', () => { if (Date.now() - t0 > 0) network++; });
  await p.goto(origin + '/bench/helpwire.html');
  await p.waitForSelector('helpwire-chat[data-state=ready]', { state: 'attached', timeout: 30000 });
  await sleep(1500);
  const snapshot = async () => ({ helpdesk: await p.evaluate(() => window.__bench.helpdesk), network });
  const window = async () => {
    const a = await snapshot();
    await sleep(WINDOW_S * 1000);
    const b = await snapshot();
    const perMin = (k) => ((b[k] - a[k]) * 60) / WINDOW_S;
    return { helpdesk: perMin('helpdesk'), network: perMin('network') };
  };
  const closed = await window();
  await p.getByRole('button', { name: /^Support chat/ }).click();
  await sleep(500);
  const open = await window();
  // Headless tabs are always visible: report hidden the way the page itself sees it.
  await p.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await sleep(500);
  const hidden = await window();
  await context.close();
  return { windowSeconds: WINDOW_S, closed, open, hidden };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  if (!fs.existsSync(path.join(DIST, 'helpwire.js'))) throw new Error(`no build in ${DIST}: run scripts/build.sh first`);
  const { server, url: origin } = await startServer();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-precise-memory-info'],
  });
  const log = (s) => process.stderr.write(s + '\n');
  const samples = { base: [], helpwire: [], gleap: [], rocketchat: [] };
  const conv = { 1000: [], 5000: [] };
  let baseHeap = [];
  log(`Helpwire benchmark: ${RUNS} runs, build ${path.relative(ROOT, DIST) || '.'}, peers ${WITH_PEERS ? 'on' : 'off'}`);
  const template = await recordTemplate(browser, origin);
  const seeds = { 1000: seedConversation(template, 1000), 5000: seedConversation(template, 5000) };

  for (let run = 1; run <= RUNS; run++) {
    log(`run ${run}/${RUNS}`);
    // The page without a widget.
    {
      const { context, page: p, b } = await measureHost(browser, origin, '/bench/base.html');
      const cdp = await context.newCDPSession(p);
      await cdp.send('HeapProfiler.collectGarbage');
      baseHeap.push((await cdp.send('Runtime.getHeapUsage')).usedSize);
      samples.base.push({ lt: b.lt, tbt: tbtOf(b.lt), long: b.lt.length });
      await context.close();
    }
    // Helpwire: host cost, then the visitor opens it.
    {
      const { context, page: p, b, files } = await measureHost(browser, origin, '/bench/helpwire.html', { waitReady: true });
      const before = b.lt.filter(([s]) => s <= b.t.load + SETTLE_MS);
      const open = await p.evaluate(async () => {
        const root = document.querySelector('helpwire-chat').shadowRoot;
        const launcher = [...root.querySelectorAll('button')].find((x) => x.hasAttribute('aria-expanded'));
        const r = launcher.getBoundingClientRect();
        window.__bench.launcher = { x: r.x + r.width / 2, y: r.y + r.height / 2 };
        window.__bench.focusAt = undefined;
        root.addEventListener('focusin', (e) => {
          if (e.target.tagName === 'TEXTAREA' && window.__bench.focusAt === undefined) window.__bench.focusAt = performance.now();
        });
        addEventListener('pointerdown', () => { window.__bench.downAt = performance.now(); }, { capture: true, once: true });
        return window.__bench.launcher;
      });
      const ltBefore = (await p.evaluate(() => window.__bench.lt.length));
      await p.mouse.click(open.x, open.y);
      await p.waitForFunction(() => window.__bench.focusAt !== undefined, null, { timeout: 10000 });
      await sleep(300);
      const after = await p.evaluate(() => window.__bench);
      const openTasks = after.lt.slice(ltBefore);
      samples.helpwire.push({
        files, long: before.length, tbt: tbtOf(before), lt: before,
        readyAfterLoad: b.t.ready - b.t.load, clickToFocus: after.focusAt - after.downAt,
        openLong: openTasks.length, openTbt: tbtOf(openTasks),
      });
      await context.close();
    }
    for (const n of [1000, 5000]) conv[n].push(await measureConversation(browser, origin, seeds[n], n, n === 5000 ? 3 : 1));
    if (WITH_PEERS) {
      for (const [name, pathname] of [['gleap', '/bench/gleap.html'], ['rocketchat', '/bench/rocketchat.html']]) {
        const { context, b, files, failed } = await measureHost(browser, origin, pathname);
        samples[name].push({ files, long: b.lt.length, tbt: tbtOf(b.lt), lt: b.lt, failed: failed.length });
        await context.close();
      }
    }
  }
  log(`requests per minute (${WINDOW_S} s per state)`);
  const requests = await measureRequests(browser, origin, seedConversation(template, 20));
  const chromiumVersion = browser.version();
  await browser.close();
  server.close();

  // ---- summarise
  const fileSet = (xs) => xs[0]?.files || [];
  const hwFiles = fileSet(samples.helpwire);
  const loader = hwFiles.find((f) => f.path === '/helpwire.js') || { raw: 0, gzip: 0, brotli: 0 };
  const rest = hwFiles.filter((f) => f.path !== '/helpwire.js');
  const med = (xs, k) => median(xs.map((x) => (typeof k === 'function' ? k(x) : x[k])));
  const base = { long: med(samples.base, 'long'), tbt: med(samples.base, 'tbt') };
  const widget = (name) => {
    const xs = samples[name];
    if (!xs.length) return null;
    const files = fileSet(xs);
    return {
      files,
      bytes: { raw: sum(files, 'raw'), gzip: sum(files, 'gzip'), brotli: sum(files, 'brotli') },
      requests: files.length,
      longTasks: med(xs, 'long'),
      tbt: med(xs, 'tbt'),
      addedLongTasks: Math.max(0, med(xs, 'long') - base.long),
      addedTbt: Math.max(0, med(xs, 'tbt') - base.tbt),
    };
  };
  const hw = widget('helpwire');
  const peers = WITH_PEERS ? { gleap: widget('gleap'), rocketchat: widget('rocketchat') } : {};
  const c = (n) => ({
    readyAfterLoad: med(conv[n], 'readyAfterLoad'),
    bootLongTasks: med(conv[n], 'bootLongTasks'),
    bootTbt: med(conv[n], 'bootTbt'),
    renderedBeforeOpen: med(conv[n], (x) => x.render.before),
    openToDom: med(conv[n], (x) => x.render.dom),
    openToPainted: med(conv[n], (x) => x.render.painted),
    shownOnOpen: med(conv[n], (x) => x.render.shown),
    wholeHistory: med(conv[n], (x) => x.render.wholeHistory),
    wholeHistoryPresses: med(conv[n], (x) => x.render.presses),
    allRendered: Math.min(...conv[n].map((x) => x.render.after)),
    append: appendSummary(conv[n].flatMap((x) => x.appends)),
    appendWhole: appendSummary(conv[n].flatMap((x) => x.appendsWhole || [])),
    memory: n >= 5000 ? {
      jsHeapUsed: med(conv[n], (x) => x.memory?.jsHeapUsed),
      jsHeapAddedOverBase: med(conv[n], (x) => x.memory?.jsHeapUsed) - median(baseHeap),
      wasmMemory: med(conv[n], (x) => x.memory?.wasmMemory),
      domNodes: med(conv[n], (x) => x.memory?.nodes),
    } : null,
  });
  const result = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), os: `${os.type()} ${os.release()}`, node: process.version, chromium: chromiumVersion },
    runs: RUNS,
    budgets: BUDGET,
    helpwire: {
      loader, rest, restTotal: { raw: sum(rest, 'raw'), gzip: sum(rest, 'gzip'), brotli: sum(rest, 'brotli') },
      readyAfterLoad: med(samples.helpwire, 'readyAfterLoad'),
      clickToFocus: med(samples.helpwire, 'clickToFocus'),
      openLongTasks: med(samples.helpwire, 'openLong'), openTbt: med(samples.helpwire, 'openTbt'),
      host: hw,
      bundles: bundleSizes(),
      conversation: { 1000: c(1000), 5000: c(5000) },
      requestsPerMinute: requests,
    },
    base,
    peers,
    peerVersions: WITH_PEERS ? Object.fromEntries(['gleap', '@rocket.chat/livechat'].map((n) => [n, JSON.parse(fs.readFileSync(path.join(PEERS_DIR, n, 'package.json'), 'utf8')).version])) : {},
    raw: { samples, conv },
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2));
  fs.writeFileSync(path.join(path.dirname(OUT), 'latest.json'), JSON.stringify(result, null, 2));
  console.log(report(result));
  console.error(`\nJSON: ${path.relative(ROOT, OUT)}`);
}

// ---------------------------------------------------------------------------------------------
// The table

const kb = (b) => (b == null ? '—' : `${(b / 1024).toFixed(1)} KB`);
const ms = (x) => (x == null ? '—' : `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`);
const ok = (good) => (good ? 'within' : '**over**');

export function report(r) {
  const h = r.helpwire;
  const c1 = h.conversation[1000], c5 = h.conversation[5000];
  const lines = [];
  lines.push(`Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB; ${r.machine.os}; Node ${r.machine.node}; Chromium ${r.machine.chromium} headless; median of ${r.runs} runs`);
  lines.push('');
  lines.push('| Helpwire | value | budget |');
  lines.push('|---|---|---|');
  lines.push(`| loader \`helpwire.js\` raw / gzip / brotli | ${kb(h.loader.raw)} / ${kb(h.loader.gzip)} / ${kb(h.loader.brotli)} | ≤ 2 KB gzip: ${ok(h.loader.gzip <= r.budgets.loaderGzip)} |`);
  for (const f of h.rest) lines.push(`| \`${f.path.slice(1)}\` raw / gzip / brotli | ${kb(f.raw)} / ${kb(f.gzip)} / ${kb(f.brotli)} | |`);
  lines.push(`| everything else, total raw / gzip / brotli | ${kb(h.restTotal.raw)} / ${kb(h.restTotal.gzip)} / ${kb(h.restTotal.brotli)} | ≤ 100 KB gzip: ${ok(h.restTotal.gzip <= r.budgets.restGzip)} |`);
  lines.push(`| page \`load\` → \`data-state="ready"\` (loader waits for idle) | ${ms(h.readyAfterLoad)} | |`);
  lines.push(`| launcher click → composer focused | ${ms(h.clickToFocus)} | |`);
  lines.push(`| long tasks / TBT on the host page before interaction (page without widget: ${r.base.long} / ${ms(r.base.tbt)}) | ${h.host.longTasks} / ${ms(h.host.tbt)} (added: ${h.host.addedLongTasks} / ${ms(h.host.addedTbt)}) | no long task: ${ok(h.host.addedLongTasks <= 0)} |`);
  lines.push(`| long tasks / TBT while opening | ${h.openLongTasks} / ${ms(h.openTbt)} | |`);
  for (const [n, x] of [[1000, c1], [5000, c5]]) {
    lines.push(`| ${n.toLocaleString('en')} messages: load → ready; long tasks / TBT at boot | ${ms(x.readyAfterLoad)}; ${x.bootLongTasks} / ${ms(x.bootTbt)} | |`);
    lines.push(`| ${n.toLocaleString('en')} messages: open → newest in the DOM / painted (${x.shownOnOpen} messages shown) | ${ms(x.openToDom)} / ${ms(x.openToPainted)} | |`);
    lines.push(`| ${n.toLocaleString('en')} messages: the whole history shown (${x.wholeHistoryPresses} presses of "Show earlier messages", a frame each; ${x.allRendered.toLocaleString('en')} in the DOM) | ${ms(x.wholeHistory)} | |`);
  }
  for (const [a, what] of [[c5.append, 'as opened (newest pages rendered)'], [c5.appendWhole, 'with all 5,000 rendered']]) {
    if (!a) continue;
    lines.push(`| append 1 message to 5,000, ${what}: Enter → in the DOM (keydown handler alone; → next frame painted) | ${ms(a.dom)} (${ms(a.sync)}; ${ms(a.painted)}) | ≤ 2 ms: ${ok(a.dom <= r.budgets.appendMs)} |`);
    lines.push(`| … message elements added / removed by that append | ${a.addedMessages} / ${a.removedMessages} | keyed: ${ok(a.addedMessages <= 1 && a.removedMessages === 0)} |`);
  }
  if (c5.memory) lines.push(`| memory after 5,000 messages: JS heap (added over the bare page) + wasm linear memory | ${kb(c5.memory.jsHeapAddedOverBase)} + ${kb(c5.memory.wasmMemory)} (${c5.memory.domNodes} DOM nodes) | |`);
  const q = h.requestsPerMinute;
  const rq = (s) => `${s.helpdesk.toFixed(1)} helpdesk, ${s.network.toFixed(1)} network`;
  lines.push(`| requests per minute closed / open / hidden (${q.windowSeconds} s each) | ${rq(q.closed)} / ${rq(q.open)} / ${rq(q.hidden)} | none hidden: ${ok(q.hidden.helpdesk + q.hidden.network <= r.budgets.hiddenRequests)} |`);
  const bundles = Object.entries(h.bundles || {});
  if (bundles.length) {
    lines.push('');
    lines.push('| each backend\'s bundle (glue + wasm; the loader fetches only the configured one) | raw | gzip | brotli | ≤ 100 KB gzip |');
    lines.push('|---|---|---|---|---|');
    for (const [name, b] of bundles) lines.push(`| \`${name}\` | ${kb(b.raw)} | ${kb(b.gzip)} | ${kb(b.brotli)} | ${ok(b.gzip <= r.budgets.restGzip)} |`);
  }
  const peerNames = Object.keys(r.peers || {}).filter((k) => r.peers[k]);
  if (peerNames.length) {
    lines.push('');
    lines.push('| on the same host page | requests | bytes raw | gzip | brotli | long tasks | TBT added | gzip × Helpwire | TBT × Helpwire |');
    lines.push('|---|---|---|---|---|---|---|---|---|');
    const row = (name, w) => {
      const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(1)}×` : a > 0 ? '∞' : '—');
      lines.push(`| ${name} | ${w.requests} | ${kb(w.bytes.raw)} | ${kb(w.bytes.gzip)} | ${kb(w.bytes.brotli)} | ${w.longTasks} | ${ms(w.addedTbt)} | ${ratio(w.bytes.gzip, r.helpwire.host.bytes.gzip)} | ${ratio(w.addedTbt, r.helpwire.host.addedTbt)} |`);
    };
    row('Helpwire', r.helpwire.host);
    const v = r.peerVersions || {};
    if (r.peers.gleap) row(`Gleap SDK (npm \`gleap\` ${v.gleap || ''})`, r.peers.gleap);
    if (r.peers.rocketchat) row(`Rocket.Chat Livechat (npm \`@rocket.chat/livechat\` ${v['@rocket.chat/livechat'] || ''})`, r.peers.rocketchat);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
