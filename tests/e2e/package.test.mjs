// End to end: the npm package as a site's front-end developer uses it. scripts/package.mjs builds
// it from dist/, `npm pack` packs it, a scratch project installs the tarball (no registry: the
// package has no dependencies), esbuild bundles the project's page, and Chromium runs it with the
// widget's files hosted from node_modules/helpwire/dist/ on another origin (a CDN), under the
// strict CSP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { launch, watchConsole, waitForState, ROOT, DIST } from './harness.mjs';
import { serve } from '../../scripts/serve.mjs';

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let scratch;
let tarball;
let packed; // the tarball's file list
let browser;
let cdn;
let site;
const version = JSON.parse(fs.readFileSync(path.join(DIST, 'manifest.json'), 'utf8')).version;

// The scratch project's page: its own code, bundled, drives the widget as a single-page app would.
const MAIN = `
import { loadHelpwire, destroyHelpwire } from 'helpwire';
const src = document.querySelector('meta[name="helpwire-src"]').content;
// The test calls these as the app's router would.
window.app = {
  load: (settings, url = src) => loadHelpwire({ src: url, settings }),
  destroy: destroyHelpwire,
  loadTwice(settings) {
    const a = loadHelpwire({ src, settings });
    const b = loadHelpwire({ src, settings });
    return { same: a === b, done: Promise.all([a, b]).then(([x, y]) => x === y && x === window.Helpwire) };
  },
};
`;

before(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'helpwire-package-'));
  run('node', [path.join(ROOT, 'scripts/package.mjs'), DIST, path.join(scratch, 'pkg')], ROOT);
  const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch, path.join(scratch, 'pkg')], scratch));
  tarball = path.join(scratch, info.filename);
  packed = info.files.map((f) => f.path).sort();

  const app = path.join(scratch, 'app');
  fs.mkdirSync(path.join(app, 'public'), { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'scratch-site', private: true }));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], app);
  fs.writeFileSync(path.join(app, 'main.js'), MAIN);
  await build({ entryPoints: [path.join(app, 'main.js')], bundle: true, format: 'esm', outfile: path.join(app, 'public/app.js'), absWorkingDir: app, logLevel: 'error' });

  browser = await launch();
  // The widget's files as installed, on their own origin with the README's headers.
  cdn = await serve({ root: path.join(app, 'node_modules/helpwire/dist') });
  const csp = `default-src 'none'; script-src 'self' ${cdn.url} 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' ${cdn.url}; img-src 'self' data:`;
  site = await serve({
    root: path.join(app, 'public'),
    csp,
    pages: {
      '/': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Scratch site</title>
<link rel="icon" href="data:,"><meta name="helpwire-src" content="${cdn.url}/helpwire.js">
<script type="module" src="/app.js"></script></head><body><h1>A site built with esbuild</h1></body></html>`,
    },
  });
});

after(async () => {
  await browser?.close();
  cdn?.server.close();
  site?.server.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

async function open() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const console = watchConsole(page);
  await page.goto(`${site.url}/`);
  await page.waitForFunction(() => window.app);
  return { context, page, console };
}

test('the tarball holds the entry, the testing helpers, their types, the README, the loader and every bundle', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(DIST, 'manifest.json'), 'utf8'));
  const expected = ['README.md', 'index.d.ts', 'index.js', 'testing.d.ts', 'testing.js', 'package.json', 'dist/manifest.json',
    ...Object.keys(manifest.files).map((f) => `dist/${f}`)].sort();
  assert.deepEqual(packed, expected);
  assert.equal(Object.keys(manifest.bundles).length, 7);
  assert.ok(packed.includes('dist/helpwire.d.ts'));
  assert.equal(path.basename(tarball), `helpwire-${version}.tgz`);
});

test('loadHelpwire() resolves with the API once ready, with the settings given', async () => {
  const { context, page, console } = await open();
  const result = await page.evaluate(async () => {
    const api = await window.app.load({ provider: 'local', title: 'Acme help', theme: 'dark' });
    return { same: api === window.Helpwire, version: api.version, state: document.querySelector('helpwire-chat').dataset.state };
  });
  assert.deepEqual(result, { same: true, version, state: 'ready' });
  await page.evaluate(() => window.Helpwire.open());
  await page.getByRole('dialog', { name: 'Acme help' }).waitFor();
  // The page's own window.HelpwireSettings is left as it was (none).
  assert.equal(await page.evaluate(() => 'HelpwireSettings' in window), false);
  assert.deepEqual(console.errors, []);
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('called twice, it loads the widget once and both calls get the same API', async () => {
  const { context, page, console } = await open();
  const result = await page.evaluate(async () => {
    const { same, done } = window.app.loadTwice({ provider: 'local' });
    const again = await window.app.load({ provider: 'local' }); // after it resolved: the same too
    return { same, sameApi: await done, again: again === window.Helpwire, loaders: document.querySelectorAll('script[data-helpwire-loader]').length };
  });
  assert.deepEqual(result, { same: true, sameApi: true, again: true, loaders: 1 });
  assert.equal(await page.locator('helpwire-chat').count(), 1);
  // Other settings while loaded: a warning, and the widget as it is.
  await page.evaluate(() => window.app.load({ provider: 'local', title: 'Other' }));
  assert.ok(console.warnings.some((w) => w.includes('call destroy() first')), console.warnings.join('\n'));
  assert.deepEqual(console.errors, []);
  await context.close();
});

test('destroy() on a route change, then loadHelpwire() again: a fresh widget with the new settings', async () => {
  const { context, page, console } = await open();
  await page.evaluate(() => window.app.load({ provider: 'local', title: 'First route' }));
  await waitForState(page);
  await page.evaluate(() => window.Helpwire.destroy());
  assert.equal(await page.locator('helpwire-chat').count(), 0);
  assert.equal(await page.evaluate(() => window.Helpwire), undefined);
  await page.evaluate(() => window.app.load({ provider: 'local', title: 'Second route' }));
  assert.equal(await page.locator('helpwire-chat').count(), 1);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await page.getByRole('dialog', { name: 'Second route' }).waitFor();
  const box = page.getByRole('textbox', { name: 'Message to support' });
  await box.fill('after a route change');
  await box.press('Enter');
  await page.locator('helpwire-chat [data-author="visitor"][data-status="sent"]').filter({ hasText: 'after a route change' }).waitFor({ timeout: 10000 });
  // Destroyed before it was ready: the pending promise rejects, and the next call works.
  const early = await page.evaluate(async () => {
    window.Helpwire.destroy();
    const p = window.app.load({ provider: 'local' });
    await new Promise((r) => setTimeout(r, 0));
    while (!window.Helpwire) await new Promise((r) => setTimeout(r, 10));
    window.Helpwire.destroy();
    return p.then(() => 'resolved', (e) => e.message);
  });
  assert.match(early, /destroyed before it was ready/);
  await page.evaluate(() => window.app.load({ provider: 'local' }));
  await waitForState(page);
  assert.equal(await page.locator('helpwire-chat').count(), 1);
  assert.deepEqual(console.pageErrors, []);
  assert.deepEqual(console.errors, []);
  await context.close();
});

test('destroyHelpwire() in every state, as a single-page app (and React\'s strict mode) calls it', async () => {
  const { context, page, console } = await open();
  // Mounted, unmounted and mounted again before the loader has even run: one widget, one promise.
  const strict = await page.evaluate(async () => {
    const first = window.app.load({ provider: 'local', title: 'Strict' });
    window.app.destroy();
    const second = window.app.load({ provider: 'local', title: 'Strict' });
    return { same: first === second, ready: (await second) === window.Helpwire };
  });
  assert.deepEqual(strict, { same: true, ready: true });
  assert.equal(await page.locator('helpwire-chat').count(), 1);
  // Loaded: removed, and the global with it.
  await page.evaluate(() => window.app.destroy());
  assert.equal(await page.locator('helpwire-chat').count(), 0);
  // Left before the loader ran: the promise rejects with an AbortError and no widget appears.
  const left = await page.evaluate(async () => {
    const p = window.app.load({ provider: 'local' });
    window.app.destroy();
    return p.then(() => 'resolved', (e) => e.name);
  });
  assert.equal(left, 'AbortError');
  await page.waitForTimeout(500);
  assert.equal(await page.locator('helpwire-chat').count(), 0);
  assert.equal(await page.evaluate(() => window.Helpwire), undefined);
  assert.deepEqual(console.pageErrors, []);
  assert.deepEqual(console.errors, []);
  await context.close();
});

test('a loader that cannot load rejects, and a later call with the right URL works', async () => {
  const { context, page } = await open();
  const failed = await page.evaluate((bad) => window.app.load({ provider: 'local' }, bad).then(() => 'resolved', (e) => e.message), `${cdn.url}/missing/helpwire.js`);
  assert.match(failed, /could not load/);
  await page.evaluate(() => window.app.load({ provider: 'local' }));
  await waitForState(page);
  await context.close();
});
