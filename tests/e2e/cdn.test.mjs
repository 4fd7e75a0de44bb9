// End to end: the widget's files on a CDN, i.e. another origin than the host page, under the
// strict CSP with only that origin added: the headers scripts/serve.mjs sends (README, "Hosting")
// are enough, and without Access-Control-Allow-Origin the widget fails cleanly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { launch, startServer, watchConsole, waitForState, write, mine, DIST } from './harness.mjs';
import { serve } from '../../scripts/serve.mjs';

const manifest = JSON.parse(fs.readFileSync(path.join(DIST, 'manifest.json'), 'utf8'));

/** The strict CSP of the other end-to-end tests, with the widget's origin allowed. */
const cspFor = (cdn) => `default-src 'none'; script-src 'self' ${cdn} 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' ${cdn}; img-src 'self' data:`;

const hostPage = (loaderTag) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host page</title>
<link rel="icon" href="data:,">${loaderTag}</head><body><h1>A host page on its own origin</h1></body></html>`;

let browser;
let cdn; // the widget's files, with the headers of the README's "Hosting"
let badCdn; // the same files without Access-Control-Allow-Origin
let host;
const pages = {};

before(async () => {
  browser = await launch();
  cdn = await startServer();
  badCdn = await startServer({ cors: false });
  // The host page's CSP names the CDN, whose port is known only now: one host server per CDN.
  host = {
    good: await serve({ root: path.join(DIST, 'demo'), pages, csp: cspFor(cdn.url) }),
    bad: await serve({ root: path.join(DIST, 'demo'), pages, csp: cspFor(badCdn.url) }),
    // The CDN in script-src only: the glue's fetch of the wasm is blocked (connect-src).
    scriptOnly: await serve({ root: path.join(DIST, 'demo'), pages, csp: cspFor(cdn.url).replace(`connect-src 'self' ${cdn.url}`, "connect-src 'self'") }),
  };
  pages['/good.html'] = hostPage(`<script async src="${cdn.url}/helpwire.js" data-provider="local"></script>`);
  pages['/german.html'] = hostPage(`<script async src="${cdn.url}/helpwire.js" data-provider="local" data-locale="de-AT"></script>`);
  pages['/bad.html'] = hostPage(`<script async src="${badCdn.url}/helpwire.js" data-provider="local"></script>`);
  const pinned = manifest.pinnedLoader;
  pages['/pinned.html'] = hostPage(`<script async src="${cdn.url}/${pinned}" integrity="${manifest.files[pinned].integrity}" crossorigin="anonymous" data-provider="local"></script>`);
});

after(async () => {
  await browser?.close();
  for (const s of [cdn, badCdn, host?.good, host?.bad, host?.scriptOnly]) s?.server.close();
});

async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const console = watchConsole(page);
  const responses = [];
  page.on('response', (r) => responses.push(r));
  return { context, page, console, responses };
}

test('host page on one origin, widget files on another, under a strict CSP', async () => {
  const { context, page, console, responses } = await newPage();
  await page.goto(`${host.good.url}/good.html`);
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await write(page, 'Hello from another origin');
  await mine(page, 'Hello from another origin', 'sent').waitFor({ timeout: 10000 });
  assert.deepEqual(console.pageErrors, []);
  assert.deepEqual(console.errors, [], 'no CORS or CSP error');

  const { js, wasm } = manifest.bundles.local;
  const byName = (name) => responses.find((r) => new URL(r.url()).pathname === `/${name}`);
  for (const name of ['helpwire.js', js, wasm]) {
    const r = byName(name);
    assert.ok(r, `${name} was fetched`);
    assert.equal(new URL(r.url()).origin, cdn.url, `${name} came from the CDN's origin`);
    assert.equal(r.status(), 200);
    assert.equal((await r.allHeaders())['access-control-allow-origin'], '*', name);
  }
  const headers = async (name) => byName(name).allHeaders();
  assert.equal((await headers(wasm))['content-type'], 'application/wasm');
  assert.equal((await headers(wasm))['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal((await headers(js))['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal((await headers('helpwire.js'))['cache-control'], 'public, max-age=300');
  await context.close();
});

test('a German visitor: the German texts come from the CDN beside the bundle, under the same CSP, before the widget shows', async () => {
  const { context, page, console, responses } = await newPage();
  await page.goto(`${host.good.url}/german.html`);
  await waitForState(page);
  // Ready means mounted: in German from the start, never English first.
  assert.equal(await page.getByRole('button', { name: /^Support chat/ }).count(), 0);
  await page.getByRole('button', { name: /^Support-Chat/ }).click();
  await page.getByRole('textbox', { name: 'Nachricht an den Support' }).waitFor();
  const file = manifest.languages.de;
  const r = responses.find((x) => new URL(x.url()).pathname === `/${file}`);
  assert.ok(r, `${file} was fetched`);
  assert.equal(new URL(r.url()).origin, cdn.url);
  const headers = await r.allHeaders();
  assert.equal(headers['content-type'], 'application/json');
  assert.equal(headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(responses.filter((x) => /helpwire_(fr|es|pt|ja|ar)\./.test(x.url())).length, 0, 'only the one language');
  assert.deepEqual(console.errors, []);
  assert.deepEqual(console.warnings, []);
  await context.close();
});

test('without Access-Control-Allow-Origin the widget fails cleanly and says why', async () => {
  const { context, page, console } = await newPage();
  await page.goto(`${host.bad.url}/bad.html`);
  await page.evaluate(() => Helpwire.open());
  await waitForState(page, 'error');
  assert.ok(console.errors.some((e) => /CORS/i.test(e)), console.errors.join('\n'));
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('the CSP line of the README is needed whole: without the CDN in connect-src the wasm is blocked', async () => {
  const { context, page, console } = await newPage();
  await page.goto(`${host.scriptOnly.url}/good.html`);
  await page.evaluate(() => Helpwire.open());
  await waitForState(page, 'error');
  assert.ok(console.errors.some((e) => e.includes('connect-src')), console.errors.join('\n'));
  await context.close();
});

test('the pinned loader with its SRI hash from manifest.json loads the widget', async () => {
  const { context, page, console } = await newPage();
  await page.goto(`${host.good.url}/pinned.html`);
  await waitForState(page);
  assert.deepEqual(console.errors, []);
  await context.close();
});

test('manifest.json lists every file of the widget with its SRI hash and cache class', async () => {
  const listed = Object.keys(manifest.files).sort();
  const built = fs.readdirSync(DIST).filter((f) => f.startsWith('helpwire')).sort();
  assert.deepEqual(listed, built);
  for (const [name, { bytes, integrity, cache }] of Object.entries(manifest.files)) {
    const data = fs.readFileSync(path.join(DIST, name));
    assert.equal(bytes, data.length, name);
    assert.equal(integrity, `sha384-${crypto.createHash('sha384').update(data).digest('base64')}`, name);
    assert.equal(cache, /\.[0-9a-f]{10}\.(js|wasm|json)$/.test(name) ? 'immutable' : 'short', name);
  }
  // Each language but English, under the name its content gives it.
  assert.deepEqual(Object.keys(manifest.languages).sort(), ['ar', 'de', 'es', 'fr', 'ja', 'pt']);
  for (const [lang, name] of Object.entries(manifest.languages)) {
    const data = fs.readFileSync(path.join(DIST, name));
    assert.equal(name, `helpwire_${lang}.${crypto.createHash('sha256').update(data).digest('hex').slice(0, 10)}.json`);
    assert.equal(JSON.parse(data.toString('utf8')).lang, lang);
    assert.ok(manifest.files[name], name);
  }
  // The stable loader names each backend's bundle by its hash.
  const loader = fs.readFileSync(path.join(DIST, 'helpwire.js'), 'utf8');
  assert.equal(Object.keys(manifest.bundles).length, 7);
  for (const [backend, { js, wasm }] of Object.entries(manifest.bundles)) {
    const hash = js.split('.')[1];
    assert.equal(wasm, `helpwire_${backend}.${hash}.wasm`);
    assert.ok(loader.includes(hash), `the loader references ${backend}'s bundle ${hash}`);
  }
});
