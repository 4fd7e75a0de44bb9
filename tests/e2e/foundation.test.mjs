// End to end: the real loader and release build on host pages, driven like a visitor and a site.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, startServer, hostPage, watchConsole, waitForState, ROOT, settled, bundleFiles } from './harness.mjs';
import { checkScreenshot, PICTURE_TIME } from './screenshots.mjs';

const STRICT_CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self' data:";

let browser;
let server;
let base;
let cspServer;
let cspBase;

// A wasm module exporting `trap`, a function that executes `unreachable`.
const TRAP_WASM = Buffer.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 8, 1, 4, 116, 114, 97, 112, 0, 0, 10, 5, 1, 3, 0, 0, 11]);

const pages = {
  '/plain.html': hostPage(),
  '/api.html': hostPage({
    async: false,
    body: `<script>
      window.__events = [];
      ['ready','open','close','message','sent','unread','error'].forEach(function (name) {
        Helpwire.on(name, function (detail) { window.__events.push({ name: name, detail: detail === undefined ? null : detail }); });
      });
      Helpwire.open(); // before the wasm has loaded: queued
    </script>`,
  }),
  '/themed.html': hostPage({
    head: '<style>helpwire-chat { --helpwire-accent: rgb(0, 170, 119); --helpwire-radius: 3px; }</style>',
  }),
  '/hostile.html': hostPage({
    head: `<style>
      * { font-size: 40px !important; display: block !important; color: red !important; line-height: 3 !important; }
      button { display: none !important; }
      div, section, textarea { visibility: hidden !important; position: static !important; }
      helpwire-chat { position: static !important; opacity: 0.2; transform: scale(0.1); font-family: "Comic Sans MS" !important; }
    </style>`,
  }),
  '/dark-left.html': hostPage({ attrs: 'data-provider="local" data-theme="dark" data-position="left"' }),
  '/broken-wasm.html': hostPage({ attrs: 'data-provider="local"' }).replace('/helpwire.js', '/broken/helpwire.js'),
  '/broken/helpwire.js': null, // filled in before()
  '/bad-config.html': hostPage({ attrs: 'data-provider="intercom" data-theme="neon"' }),
  // A stand-in bundle whose "widget" traps in its wasm when opened, as a release build does on a
  // panic; the host page traps in a wasm of its own when its button is clicked.
  '/crashing.html': hostPage({ attrs: 'data-provider="local"' }).replace('/helpwire.js', '/crashing/helpwire.js')
    .replace('</body>', `<script>
      WebAssembly.instantiateStreaming(fetch('/host-trap.wasm')).then(function (r) {
        document.getElementById('own').addEventListener('click', function () { r.instance.exports.trap(); });
      });
    </script></body>`),
  '/crashing/helpwire.js': null, // filled in before(), and the stand-in bundle under the build's names
};
const CRASHING_BUNDLE = {
  js: { type: 'text/javascript', body: `
    let instance;
    export default async function init({ module_or_path }) {
      instance = (await WebAssembly.instantiateStreaming(fetch(module_or_path))).instance;
    }
    export async function boot(settings, host) {
      host.setAttribute('data-state', 'ready');
      return { open() { setTimeout(() => instance.exports.trap(), 0); }, destroy() {} };
    }` },
  wasm: { type: 'application/wasm', body: TRAP_WASM },
};
Object.assign(pages, {
  '/host-trap.wasm': { type: 'application/wasm', body: TRAP_WASM },
  '/bancroft-bundle.html': hostPage({ attrs: 'data-provider="bancroft" data-api-base="http://127.0.0.1:9/bancroft" data-api-key="bnc_cl_test"' }),
  '/csp.html': hostPage({ attrs: 'data-provider="local"' }),
});

before(async () => {
  const fs = await import('node:fs');
  // The loader served from a folder without the wasm beside it: the wasm fails to load.
  pages['/broken/helpwire.js'] = { type: 'text/javascript', body: fs.readFileSync(path.join(ROOT, 'dist/helpwire.js'), 'utf8') };
  pages['/crashing/helpwire.js'] = pages['/broken/helpwire.js'];
  const local = bundleFiles('local');
  pages[`/crashing/${local.js}`] = CRASHING_BUNDLE.js;
  pages[`/crashing/${local.wasm}`] = CRASHING_BUNDLE.wasm;
  browser = await launch();
  ({ server, url: base } = await startServer({ pages }));
  ({ server: cspServer, url: cspBase } = await startServer({ pages, csp: STRICT_CSP }));
});

after(async () => {
  await browser?.close();
  server?.close();
  cspServer?.close();
});

async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  return { context, page, console: watchConsole(page) };
}

function widget(page) {
  return {
    launcher: page.getByRole('button', { name: /^Support chat/ }),
    dialog: page.getByRole('dialog', { name: 'Support' }),
    log: page.getByRole('log'),
    composer: page.getByRole('textbox', { name: 'Message to support' }),
    send: page.getByRole('button', { name: 'Send' }),
    messages: (author) => page.locator(`helpwire-chat [data-author="${author}"]`),
  };
}

test('a plain page with only the script tag gets a working launcher', async () => {
  const { context, page, console } = await newPage();
  await page.goto(`${base}/plain.html`);
  await waitForState(page);
  const w = widget(page);
  await w.launcher.waitFor();
  assert.equal(await w.launcher.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.locator('helpwire-chat').count(), 1, 'one host element');
  assert.equal(await page.evaluate(() => document.querySelector('helpwire-chat').shadowRoot.mode), 'open');
  assert.deepEqual(console.errors, []);
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('full flow: open, write, get an answer, reload, the conversation is still there', async () => {
  const { context, page, console } = await newPage();
  await page.goto(`${base}/plain.html`);
  await waitForState(page);
  const w = widget(page);
  await w.launcher.click();
  await w.dialog.waitFor();
  assert.equal(await w.launcher.getAttribute('aria-expanded'), 'true');
  // The composer has focus: the visitor can type at once.
  await page.keyboard.type('Hello! How much does the Team plan cost?');
  await page.keyboard.press('Enter');
  await w.messages('visitor').filter({ hasText: 'Team plan' }).waitFor();
  await page.locator('helpwire-chat [data-author="visitor"][data-status="sent"]').waitFor();
  const answer = w.messages('agent').first();
  await answer.waitFor({ timeout: 15000 });
  assert.match(await answer.innerText(), /Maya from Support/);
  assert.match(await answer.innerText(), /billing|plan/i);

  // Shift+Enter adds a line instead of sending.
  await w.composer.click();
  await page.keyboard.type('line one');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('line two');
  assert.equal(await w.composer.inputValue(), 'line one\nline two');
  await w.send.click();
  await page.locator('helpwire-chat [data-author="visitor"]').nth(1).waitFor();
  await page.locator('helpwire-chat [data-author="visitor"][data-status="sent"]').nth(1).waitFor();
  await w.messages('agent').nth(1).waitFor({ timeout: 15000 });

  await page.reload();
  await waitForState(page);
  await w.launcher.click();
  await w.dialog.waitFor();
  assert.equal(await w.messages('visitor').count(), 2, 'both visitor messages after reload');
  assert.equal(await w.messages('agent').count(), 2, 'both answers after reload');
  assert.match(await w.messages('visitor').nth(1).innerText(), /line one\s+line two/);

  // The conversation goes on after the reload.
  await w.composer.fill('thanks!');
  await w.composer.press('Enter');
  await w.messages('agent').nth(2).waitFor({ timeout: 15000 });
  assert.deepEqual(console.errors, []);
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('nothing is written to storage before the visitor opens the widget', async () => {
  const { context, page } = await newPage();
  await page.clock.install();
  await page.goto(`${base}/plain.html`);
  await waitForState(page);
  // A minute of the page's time, every timer of the widget's fired: still nothing stored.
  await page.clock.runFor(60_000);
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  await widget(page).launcher.click();
  await page.waitForFunction(() => localStorage.length > 0);
  await context.close();
});

test('JS API: calls before load are queued, events fire, identify/setLocale/reset/destroy work', async () => {
  const { context, page, console } = await newPage();
  await page.goto(`${base}/api.html`);
  await waitForState(page);
  const w = widget(page);
  await w.dialog.waitFor(); // the queued open() ran
  const names = () => page.evaluate(() => window.__events.map((e) => e.name));
  assert.ok((await names()).includes('ready'));
  assert.ok((await names()).includes('open'));

  await page.evaluate(() => Helpwire.identify({ userId: 'u-42', email: 'ada@example.com', name: 'Ada' }));
  await w.composer.fill('I need help with billing');
  await w.composer.press('Enter');
  await page.waitForFunction(() => window.__events.some((e) => e.name === 'sent'));
  await page.waitForFunction(() => window.__events.some((e) => e.name === 'message'), null, { timeout: 15000 });
  const message = await page.evaluate(() => window.__events.find((e) => e.name === 'message').detail);
  assert.equal(message.author, 'Maya from Support');
  assert.match(message.text, /billing/);
  const sent = await page.evaluate(() => window.__events.find((e) => e.name === 'sent').detail);
  assert.equal(sent.text, 'I need help with billing');

  await page.evaluate(() => Helpwire.close());
  await w.dialog.waitFor({ state: 'hidden' });
  await page.evaluate(() => Helpwire.toggle());
  await w.dialog.waitFor();
  assert.ok((await names()).includes('close'));

  // off() removes a listener: it misses the `close` that a listener added after it hears.
  await page.evaluate(() => {
    window.__offCount = 0;
    window.__closes = 0;
    const fn = () => window.__offCount++;
    Helpwire.on('close', fn);
    Helpwire.off('close', fn);
    Helpwire.on('close', () => window.__closes++);
    Helpwire.close();
  });
  await page.waitForFunction(() => window.__closes === 1);
  assert.equal(await page.evaluate(() => window.__offCount), 0);

  await page.evaluate(() => Helpwire.setLocale('de'));
  await page.getByRole('button', { name: 'Support-Chat', exact: true }).waitFor();
  await page.evaluate(() => Helpwire.setLocale('en'));

  await page.evaluate(() => Helpwire.reset());
  await w.launcher.click();
  await w.dialog.waitFor();
  assert.equal(await w.messages('visitor').count(), 0, 'reset forgets the conversation');

  await page.evaluate(() => Helpwire.destroy());
  assert.equal(await page.locator('helpwire-chat').count(), 0);
  await page.evaluate(() => Helpwire.open()); // harmless after destroy
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('a custom property set in the host stylesheet changes the launcher colour', async () => {
  const { context, page } = await newPage();
  await page.goto(`${base}/themed.html`);
  await waitForState(page);
  const launcher = widget(page).launcher;
  await launcher.waitFor();
  const colour = await launcher.evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(colour, 'rgb(0, 170, 119)');
  await launcher.click();
  const radius = await page.getByRole('dialog').evaluate((el) => getComputedStyle(el).borderTopLeftRadius);
  assert.equal(radius, '3px');
  await context.close();
});

test('a hostile host stylesheet does not break the widget', async () => {
  const { context, page, console } = await newPage();
  await page.goto(`${base}/hostile.html`);
  await waitForState(page);
  const w = widget(page);
  await w.launcher.waitFor({ state: 'visible' });
  const box = await w.launcher.boundingBox();
  assert.ok(box.width >= 40 && box.width <= 80, `launcher keeps its size (${box.width})`);
  assert.ok(box.x > 1100 && box.y > 650, `launcher stays in its corner (${box.x}, ${box.y})`);
  const fontSize = await w.launcher.evaluate((el) => getComputedStyle(el).fontSize);
  assert.equal(fontSize, '15px', 'host font-size does not leak in');
  await w.launcher.click();
  await w.dialog.waitFor({ state: 'visible' });
  await w.composer.fill('still works?');
  await w.send.click();
  await page.locator('helpwire-chat [data-author="visitor"][data-status="sent"]').waitFor();
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('dark theme and left position', async () => {
  const { context, page } = await newPage();
  await page.goto(`${base}/dark-left.html`);
  await waitForState(page);
  const w = widget(page);
  const box = await w.launcher.boundingBox();
  assert.ok(box.x < 100, `launcher on the left (${box.x})`);
  await w.launcher.click();
  const bg = await w.dialog.evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(bg, 'rgb(23, 24, 29)', 'dark background');
  await context.close();
});

test('prefers-color-scheme: dark is followed with data-theme=auto', async () => {
  const { context, page } = await newPage({ colorScheme: 'dark' });
  await page.goto(`${base}/plain.html`);
  await waitForState(page);
  await widget(page).launcher.click();
  const bg = await widget(page).dialog.evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(bg, 'rgb(23, 24, 29)');
  await context.close();
});

test('on a narrow screen the panel takes the whole viewport', async () => {
  const { context, page } = await newPage({ viewport: { width: 360, height: 640 }, reducedMotion: 'reduce' });
  await page.goto(`${base}/plain.html`);
  await waitForState(page);
  const w = widget(page);
  await w.launcher.click();
  const box = await w.dialog.boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height].map(Math.round), [0, 0, 360, 640]);
  // The close button inside the panel stays reachable.
  await page.getByRole('button', { name: 'Close support chat' }).click();
  await w.dialog.waitFor({ state: 'hidden' });
  await context.close();
});

test('under a strict CSP the widget works fully styled, with no violations', async () => {
  const { context, page, console } = await newPage();
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
  });
  await page.goto(`${cspBase}/csp.html`);
  await waitForState(page);
  const w = widget(page);
  const colour = await w.launcher.evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(colour, 'rgb(59, 63, 216)', 'styled by the adopted stylesheet');
  await w.launcher.click();
  await w.composer.fill('csp test');
  await w.composer.press('Enter');
  await w.messages('agent').first().waitFor({ timeout: 15000 });
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  assert.deepEqual(console.errors.filter((e) => /Content Security Policy/i.test(e)), []);
  await context.close();
});

test('if the wasm cannot load, the page keeps working and the error is reported', async () => {
  const { context, page, console } = await newPage();
  await page.goto(`${base}/broken-wasm.html`);
  await page.evaluate(() => { window.__errors = []; Helpwire.on('error', (m) => window.__errors.push(m)); Helpwire.open(); });
  await waitForState(page, 'error');
  assert.equal(await page.evaluate(() => window.__errors.length), 1);
  assert.ok(console.errors.some((e) => e.includes('Helpwire')));
  await page.click('#own'); // the host page is unaffected
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('a crash inside the widget\'s wasm shows the error state and fires `error`; the page\'s own wasm errors do not', async () => {
  const { context, page, console } = await newPage();
  await page.goto(`${base}/crashing.html`);
  await page.evaluate(() => { window.__errors = []; Helpwire.on('error', (m) => window.__errors.push(m)); });
  await waitForState(page, 'ready');
  // Heard after the loader's own listener (added at boot): once this one has it, the loader has too.
  await page.evaluate(() => { window.__hostErrors = 0; window.addEventListener('error', () => window.__hostErrors++); });
  await page.click('#own'); // the host page's own wasm traps: not ours
  await page.waitForFunction(() => window.__hostErrors === 1);
  assert.equal(await page.getAttribute('helpwire-chat', 'data-state'), 'ready');
  assert.equal(console.pageErrors.length, 1);
  await page.evaluate(() => Helpwire.open());
  await waitForState(page, 'error');
  assert.deepEqual(await page.evaluate(() => window.__errors), ['Helpwire crashed: unreachable']);
  assert.ok(console.errors.some((e) => e.includes('Helpwire: the widget crashed')), console.errors.join('\n'));
  // Later calls are refused with a warning rather than reaching a crashed instance.
  await page.evaluate(() => Helpwire.close());
  assert.ok(console.warnings.some((e) => e.includes('close() ignored')), console.warnings.join('\n'));
  await context.close();
});

test('the loader fetches only the configured backend\'s bundle', async () => {
  const bundles = async (pathname, open) => {
    const { context, page } = await newPage();
    const fetched = [];
    // Content-hashed names (helpwire_local.<hash>.wasm), counted without their hash.
    page.on('request', (r) => { const m = /\/(helpwire_[a-z]+)\.[0-9a-f]{10}\.(wasm|js)$/.exec(new URL(r.url()).pathname); if (m) fetched.push(`${m[1]}.${m[2]}`); });
    await page.goto(`${base}${pathname}`);
    if (open) await page.evaluate(() => Helpwire.open());
    await waitForState(page, open ? 'error' : 'ready');
    await context.close();
    return fetched.sort();
  };
  assert.deepEqual(await bundles('/plain.html'), ['helpwire_local.js', 'helpwire_local.wasm']);
  assert.deepEqual(await bundles('/bancroft-bundle.html'), ['helpwire_bancroft.js', 'helpwire_bancroft.wasm']);
  // An unknown backend gets the local bundle, whose configuration check reports it (next test).
  assert.deepEqual(await bundles('/bad-config.html', true), ['helpwire_local.js', 'helpwire_local.wasm']);
});

test('an invalid configuration names the attribute and keeps the widget out', async () => {
  const { context, page, console } = await newPage();
  await page.goto(`${base}/bad-config.html`);
  await page.evaluate(() => Helpwire.open());
  await waitForState(page, 'error');
  assert.ok(console.errors.some((e) => e.includes('data-provider') && e.includes('intercom')), console.errors.join('\n'));
  assert.ok(console.errors.some((e) => e.includes('data-theme')), 'every invalid attribute is named');
  assert.equal(await page.getByRole('button', { name: /^Support chat/ }).count(), 0);
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('screenshot of the open widget for the README (docs/screenshot.png, written with UPDATE_SCREENSHOTS=1)', async () => {
  const { context, page } = await newPage({ viewport: { width: 1100, height: 760 } });
  await page.clock.install({ time: PICTURE_TIME });
  await page.goto(`${base}/index.html`);
  await waitForState(page);
  const w = page.getByRole('button', { name: /^Support chat/ });
  await w.click();
  const composer = page.getByRole('textbox', { name: 'Message to support' });
  await composer.fill('Hi! Can I switch from Starter to the Team plan mid-month?');
  await composer.press('Enter');
  await page.locator('helpwire-chat [data-author="agent"]').first().waitFor({ timeout: 15000 });
  await settled(page);
  await checkScreenshot(page, 'screenshot');
  await context.close();
});
