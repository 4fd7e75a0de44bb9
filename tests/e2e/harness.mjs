// Shared set-up for the end-to-end tests: Debian's Chromium through playwright-core, and the
// release build in dist/ served on localhost with test host pages beside it.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(ROOT, 'dist');

/**
 * The flags a headless Chromium needs on a closed network: without the background-networking
 * ones it keeps retrying Google services and floods the network; QUIC and the GPU are off too.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** A host page: the loader tag with `attrs`, plus optional head/body HTML. */
export function hostPage({ attrs = 'data-provider="local"', head = '', body = '', async = true } = {}) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host page</title>
<link rel="icon" href="data:,">${head}
<script ${async ? 'async' : ''} src="/helpwire.js" ${attrs}></script></head>
<body><h1>A host page</h1><button id="own">The page's own button</button>${body}</body></html>`;
}

/**
 * The content-hashed file names of `backend`'s bundle in a build ({js, wasm}), as its
 * manifest.json lists them (scripts/cdn-layout.mjs).
 */
export function bundleFiles(backend, dist = DIST) {
  return JSON.parse(fs.readFileSync(path.join(dist, 'manifest.json'), 'utf8')).bundles[backend];
}

export function startServer(options = {}) {
  return serve({ root: DIST, ...options });
}

/**
 * A browser and a server of `pages` for the calling test file, started before its tests and
 * stopped after them: read `env.browser` and `env.base` inside the tests.
 */
export function servePages(pages) {
  const env = { browser: null, base: null };
  let server;
  before(async () => {
    env.browser = await launch();
    ({ server, url: env.base } = await startServer({ pages }));
  });
  after(async () => {
    await env.browser?.close();
    server?.close();
  });
  return env;
}

/** Collects console errors and page errors of a page, for assertions. */
export function watchConsole(page) {
  const seen = { errors: [], warnings: [], pageErrors: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
    if (m.type() === 'warning') seen.warnings.push(m.text());
  });
  page.on('pageerror', (e) => seen.pageErrors.push(e.message));
  return seen;
}

/** Waits for the widget to report `state` on its host element. */
export async function waitForState(page, state = 'ready') {
  await page.waitForSelector(`helpwire-chat[data-state="${state}"]`, { state: 'attached', timeout: 20000 });
}

/**
 * Resolves once the widget's finite CSS animations and transitions (opening, a new message,
 * hover) have finished: for measurements and pictures of the settled layout. Animations run on
 * the document timeline, which a fake page clock does not hold back.
 */
export async function settled(page) {
  await page.locator('helpwire-chat').evaluate(async (host) => {
    const running = () => host.shadowRoot.getAnimations()
      .filter((a) => a.playState === 'running' && Number.isFinite(a.effect?.getComputedTiming().endTime));
    for (let list = running(); list.length; list = running()) {
      await Promise.all(list.map((a) => a.finished.catch(() => {})));
    }
  });
}

/**
 * Stops a fake page clock (`page.clock.install()`, which runs on until paused) just ahead of its
 * current time; from then on the page's time moves only by `page.clock.runFor`.
 */
export async function pauseClock(page) {
  // pauseAt needs a time still ahead of the page's clock, which runs on during the round trips.
  await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1_000));
}

/**
 * Opens `url` in a new page of `context`, waits for the widget and opens its panel. `errors`
 * collects the page's uncaught errors and any dialog (which no test expects).
 */
export async function openWidget(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); d.dismiss(); });
  await page.goto(url);
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await page.getByRole('dialog').waitFor();
  return { page, errors };
}

/** Waits until `cond()` holds, checking every 50 ms for at most `timeout` ms (real time): for a
 *  state outside the page (a server's), never to see that nothing happens. */
export async function until(what, cond, timeout = 20000) {
  const deadline = Date.now() + timeout;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The visitor's own messages with `text` (and `status`, if given: pending, sent, failed). */
export function mine(page, text, status) {
  return page.locator(`helpwire-chat [data-author="visitor"]${status ? `[data-status="${status}"]` : ''}`).filter({ hasText: text });
}

/** Types `text` into the composer and presses Enter. */
export async function write(page, text) {
  const box = page.getByRole('textbox', { name: 'Message to support' });
  await box.fill(text);
  await box.press('Enter');
}

const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/**
 * axe-core's violations over the whole document, open shadow roots included, as readable lines,
 * once the widget's animations have finished (mid-fade, colour contrast reads blended colours).
 * `widgetOnly`: only what is inside the widget's shadow root, for bare host pages whose own
 * landmarks are not the widget's business. Fails if axe did not look inside the shadow root.
 */
export async function axeViolations(page, { widgetOnly = false } = {}) {
  await settled(page);
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async ({ tags, widgetOnly }) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    const inShadow = (n) => Array.isArray(n.target[0]);
    const checked = [...r.passes, ...r.violations, ...r.incomplete].flatMap((v) => v.nodes).filter(inShadow).length;
    const violations = r.violations
      .map((v) => ({ ...v, nodes: widgetOnly ? v.nodes.filter(inShadow) : v.nodes }))
      .filter((v) => v.nodes.length)
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => `${JSON.stringify(n.target)} — ${n.failureSummary}`).join('; ')}`);
    return { checked, violations };
  }, { tags: AXE_TAGS, widgetOnly });
  assert.ok(result.checked > 0, 'axe looked inside the shadow root');
  return result.violations;
}

/** Fails with the readable violations if axe finds any (see `axeViolations`); `what` names the state. */
export async function assertNoAxeViolations(page, what = '', options) {
  const violations = await axeViolations(page, options);
  assert.deepEqual(violations, [], `axe violations${what ? ` (${what})` : ''}:\n${violations.join('\n')}`);
}
