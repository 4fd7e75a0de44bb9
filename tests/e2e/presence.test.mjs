// Presence and notifications on the local helpdesk (README, Notifications): "Support is typing…"
// while the agent prepares an answer, "Seen" once it has read the visitor's message, the unread
// count in the page title while the panel is closed, and the optional tone. The page's time moves
// only when a test moves it (Playwright's fake clock); nothing waits on a sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPage, servePages, watchConsole, waitForState, pauseClock, write, mine, assertNoAxeViolations } from './harness.mjs';


/** Counts the Web Audio tones the widget plays (an `AudioContext` per tone). */
const COUNT_TONES = `<script>
window.__tones = 0;
const Original = window.AudioContext;
window.AudioContext = class extends Original { constructor(...a) { super(...a); window.__tones++; } };
</script>`;

const env = servePages({
  '/local.html': hostPage({ head: `${COUNT_TONES}<style>helpwire-chat::part(typing) { color: rgb(1, 2, 3) }</style>` }),
  '/dark.html': hostPage({ attrs: 'data-provider="local" data-theme="dark"' }),
  '/de.html': hostPage({ attrs: 'data-provider="local" data-locale="de"' }),
  '/sound.html': hostPage({ attrs: 'data-provider="local" data-sound="on"', head: COUNT_TONES }),
  // HelpwireSettings wins over the attribute, as for every setting.
  '/sound-settings.html': hostPage({ attrs: 'data-provider="local" data-sound="on"', head: `${COUNT_TONES}<script>window.HelpwireSettings = { sound: 'off' };</script>` }),
});

async function start(pathname) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const console = watchConsole(page);
  await page.clock.install();
  await page.goto(`${env.base}${pathname}`);
  await waitForState(page);
  await page.locator('helpwire-chat [part=launcher]').click();
  await page.getByRole('dialog').waitFor();
  // From here the page's time moves only when the test moves it: the helpdesk answers 1.2–2.6 s
  // after each message, and the open widget polls every 1.5 s.
  await pauseClock(page);
  return { context, page, console };
}

/** Runs the page's clock on in 100 ms steps until `done()` holds (at most `ms`). */
async function runUntil(page, done, ms = 10_000) {
  for (let t = 0; t < ms && !(await done()); t += 100) await page.clock.runFor(100);
  assert.ok(await done(), `within ${ms} ms of the page's time`);
}

test('"Support is typing…" shows in the log from the send until the answer, announced once, then "Seen"', async () => {
  const { context, page, console } = await start('/local.html');
  const log = page.getByRole('log');
  const typing = log.locator('[data-typing]');
  await page.evaluate(() => {
    window.__typingAdded = 0;
    const root = document.querySelector('helpwire-chat').shadowRoot.querySelector('[role=log]');
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (n.dataset && 'typing' in n.dataset) window.__typingAdded++;
    }).observe(root, { childList: true, subtree: true, characterData: true });
  });
  for (const [i, text] of ['hello', 'and another question'].entries()) {
    await write(page, text);
    await runUntil(page, async () => (await typing.count()) === 1, 1_000);
    assert.equal(await typing.textContent(), 'Support is typing…');
    assert.equal(await typing.evaluate((el) => getComputedStyle(el).color), 'rgb(1, 2, 3)', '::part(typing)');
    assert.equal(await mine(page, text).locator('.seen').count(), 0, 'not seen before the answer');
    // Polls while the agent writes neither repeat nor re-announce the indicator.
    await page.clock.runFor(1_000);
    await runUntil(page, async () => (await page.locator('helpwire-chat [data-author=agent]').count()) === i + 1);
    assert.equal(await typing.count(), 0, 'gone with the answer');
    await runUntil(page, async () => (await mine(page, text).locator('.seen').count()) === 1, 2_000);
    assert.equal(await mine(page, text).locator('.seen').textContent(), 'Seen');
    // Only the visitor's last message carries it.
    assert.equal(await page.locator('helpwire-chat .seen').count(), 1);
  }
  assert.equal(await page.evaluate(() => window.__typingAdded), 2, 'one announcement per answer');
  // The indicator sits inside the polite log, so it is announced by it.
  assert.equal(await page.evaluate(() => document.querySelector('helpwire-chat').shadowRoot
    .querySelector('[role=log]').getAttribute('aria-live')), 'polite');
  assert.deepEqual(console.errors.concat(console.pageErrors), []);
  await context.close();
});

test('typing and "Seen" speak the visitor\'s language', async () => {
  const { context, page } = await start('/de.html');
  await page.locator('helpwire-chat textarea').fill('Hallo');
  await page.locator('helpwire-chat textarea').press('Enter');
  const typing = page.getByRole('log').locator('[data-typing]');
  await runUntil(page, async () => (await typing.count()) === 1, 1_000);
  assert.equal(await typing.textContent(), 'Der Support schreibt…');
  await runUntil(page, async () => (await page.locator('helpwire-chat .seen').count()) === 1);
  assert.equal(await page.locator('helpwire-chat .seen').textContent(), 'Gesehen');
  await context.close();
});

/** Sends a message, closes the panel and lets the answer arrive while it is closed. */
async function answerWhileClosed(page, text) {
  await write(page, text);
  await runUntil(page, async () => (await mine(page, text, 'sent').count()) === 1, 2_000);
  await page.getByRole('button', { name: 'Close support chat' }).click();
  // The closed widget polls every 15 s.
  await runUntil(page, async () => (await page.getByRole('button', { name: /^Support chat \(1 unread/ }).count()) === 1, 20_000);
}

test('the unread count leads the page title while the panel is closed, and the title comes back exactly', async () => {
  const { context, page, console } = await start('/local.html');
  assert.equal(await page.title(), 'Host page');
  await answerWhileClosed(page, 'first question');
  assert.equal(await page.title(), '(1) Host page');
  // Opening reads it: the site's title, exactly.
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await runUntil(page, async () => (await page.title()) === 'Host page', 1_000);

  // The site changes its title meanwhile: its latest title is kept, with the count in front.
  await answerWhileClosed(page, 'second question');
  assert.equal(await page.title(), '(1) Host page');
  await page.evaluate(() => { document.title = 'Inbox (site)'; });
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await page.getByRole('dialog').waitFor();
  assert.equal(await page.title(), 'Inbox (site)', 'the site\'s latest title stays');

  // destroy() restores it too.
  await answerWhileClosed(page, 'third question');
  assert.equal(await page.title(), '(1) Inbox (site)');
  await page.evaluate(() => Helpwire.destroy());
  assert.equal(await page.title(), 'Inbox (site)');
  assert.equal(await page.evaluate(() => window.__tones), 0, 'no sound unless the site asks');
  assert.deepEqual(console.errors.concat(console.pageErrors), []);
  await context.close();
});

test('data-sound="on" plays one short tone per answer while the panel is closed, none while open, without errors', async () => {
  const { context, page, console } = await start('/sound.html');
  await write(page, 'while open');
  await runUntil(page, async () => (await page.locator('helpwire-chat [data-author=agent]').count()) === 1);
  assert.equal(await page.evaluate(() => window.__tones), 0, 'the visitor is reading: no tone');
  await answerWhileClosed(page, 'while closed');
  assert.equal(await page.evaluate(() => window.__tones), 1);
  // The tone's context is closed once it has played; autoplay rules may keep it silent, never failing.
  await page.clock.runFor(1_000);
  assert.deepEqual(console.errors.concat(console.pageErrors), []);
  await context.close();
});

for (const pathname of ['/local.html', '/dark.html']) {
  test(`axe: typing and "Seen" (${pathname})`, async () => {
    const { context, page } = await start(pathname);
    await write(page, 'first');
    await runUntil(page, async () => (await page.locator('helpwire-chat .seen').count()) === 1);
    await write(page, 'second');
    await runUntil(page, async () => (await page.locator('helpwire-chat [data-typing]').count()) === 1, 1_000);
    await page.clock.resume(); // axe waits on timers of its own
    // This file's host pages are bare: their own landmarks are not the widget's business.
    await assertNoAxeViolations(page, '', { widgetOnly: true });
    await context.close();
  });
}

test('HelpwireSettings.sound = "off" overrides data-sound="on"', async () => {
  const { context, page, console } = await start('/sound-settings.html');
  await answerWhileClosed(page, 'while closed');
  assert.equal(await page.evaluate(() => window.__tones), 0);
  assert.deepEqual(console.errors.concat(console.pageErrors), []);
  await context.close();
});
