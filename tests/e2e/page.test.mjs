// What the embedding page sees: console messages about its configuration (naming what the site
// wrote, one "Helpwire: " prefix each), and destroy() handing this tab's undelivered messages to
// another open tab.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPage, waitForState, watchConsole } from './harness.mjs';
import { serveWithSandbox, copiesOf } from './sandbox.mjs';

/** A page that sets window.HelpwireSettings before the loader runs. */
function withSettings(settings, attrs) {
  return hostPage({ attrs, head: `<script src="/settings-${settings}.js"></script>` });
}

const DEAD_BANCROFT = 'data-provider="bancroft" data-api-base="http://127.0.0.1:9/bancroft"';

const env = serveWithSandbox((s) => {
  const pages = {
    // Under a strict CSP too, the settings come from a file, not an inline script.
    '/settings-wrong.js': { type: 'text/javascript', body: 'window.HelpwireSettings = { title: 42, colour: "red", theme: "dark" };' },
    '/settings-key.js': { type: 'text/javascript', body: 'window.HelpwireSettings = { apiKey: "bnc_sv_secret" };' },
    '/wrong-types.html': withSettings('wrong', 'data-provider="local" data-title="From the tag"'),
    '/server-key.html': hostPage({ attrs: `${DEAD_BANCROFT} data-api-key="bnc_sv_secret"` }),
    '/server-key-settings.html': withSettings('key', DEAD_BANCROFT),
    '/bancroft.html': hostPage({ attrs: `data-provider="bancroft" data-api-base="${s}/bancroft" data-api-key="bnc_cl_test"` }),
  };
  return pages;
});

/** Every console message of `seen`, errors and warnings. */
function everything(seen) {
  return [...seen.errors, ...seen.warnings];
}

function assertOnePrefix(seen) {
  for (const text of everything(seen).filter((t) => t.includes('Helpwire'))) {
    assert.equal(text.match(/Helpwire: /g).length, 1, `one prefix: ${text}`);
  }
}

test('a HelpwireSettings key of the wrong type is refused by its name, with the documented default', async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${env.base}/wrong-types.html`);
  await waitForState(page);
  assert.deepEqual(seen.errors, [
    'Helpwire: HelpwireSettings.title: expected a string, got the number 42; using the localized title',
  ]);
  assert.deepEqual(seen.warnings, ['Helpwire: HelpwireSettings.colour: unknown setting; ignored']);
  assertOnePrefix(seen);
  // The visitor sees the localized title, neither "42" nor the attribute it overrode.
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await page.getByRole('dialog', { name: 'Support' }).waitFor();
  // The keys of the right type are taken.
  assert.equal(await page.locator('helpwire-chat').getAttribute('data-theme'), 'dark');
  await context.close();
});

test('the Bancroft server-key warning names what the site wrote, with one prefix', async () => {
  const expected = (name) => `Helpwire: ${name} is a Bancroft server key (bnc_sv_…), which is secret and now public `
    + 'in this page: revoke it and use a client key (bnc_cl_…) restricted to this site\'s origins.';
  for (const [path, name] of [['server-key', 'data-api-key'], ['server-key-settings', 'HelpwireSettings.apiKey']]) {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    const seen = watchConsole(page);
    await page.goto(`${env.base}/${path}.html`);
    await waitForState(page);
    assert.deepEqual(seen.warnings, [expected(name)], path);
    assert.deepEqual(seen.errors, [], path);
    assertOnePrefix(seen);
    await context.close();
  }
});

async function stored(text) {
  const list = await env.sandbox.conversations('bancroft');
  return list.reduce((n, c) => n + copiesOf(c.messages, text), 0);
}

function mine(page, text, status) {
  return page.locator(`helpwire-chat [data-author="visitor"]${status ? `[data-status="${status}"]` : ''}`).filter({ hasText: text });
}

async function openTab(context) {
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${env.base}/bancroft.html`);
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await page.getByRole('dialog').waitFor();
  return { page, seen };
}

async function tabLocks(page) {
  return page.evaluate(async () => (await navigator.locks.query()).held
    .map((l) => l.name).filter((n) => n.startsWith('helpwire-tab:')));
}

test('destroy() in one tab lets another open tab deliver its undelivered message, once', async () => {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  const a = await openTab(context);
  const b = await openTab(context);
  assert.equal((await tabLocks(a.page)).length, 2, 'each running widget holds its tab lock');

  // Tab A writes while the backend refuses its sends: the message stays pending, in both tabs.
  await env.sandbox.fault({ backend: 'bancroft', method: 'POST', path: '/conversations/create/', mode: 'status', status: 503, count: 1000 });
  const box = a.page.getByRole('textbox', { name: 'Message to support' });
  await box.fill('written in A, which was then destroyed');
  await box.press('Enter');
  await mine(b.page, 'written in A, which was then destroyed', 'pending').waitFor({ timeout: 10000 });

  // The site destroys the widget in tab A; the tab itself stays open.
  await a.page.evaluate(() => window.Helpwire.destroy());
  assert.equal(await a.page.locator('helpwire-chat').count(), 0);
  assert.equal((await tabLocks(a.page)).length, 1, 'only tab B still holds a tab lock');
  await env.sandbox.clearFaults();

  // Tab B adopts it and delivers it.
  await mine(b.page, 'written in A, which was then destroyed', 'sent').waitFor({ timeout: 20000 });
  assert.equal(await stored('written in A, which was then destroyed'), 1, 'stored exactly once');
  assert.equal(await mine(b.page, 'written in A, which was then destroyed').count(), 1, 'shown once');
  assertOnePrefix(a.seen);
  assertOnePrefix(b.seen);
  await context.close();
});
