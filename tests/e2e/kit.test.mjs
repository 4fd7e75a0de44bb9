// The testing kit for site teams (README, DOM and test contract): the local helpdesk's test mode
// (`data-local-replies="script"`, `window.Helpwire.testing`) and the Playwright helpers of
// `helpwire/testing` (npm/testing.js), in English and German, on the part names alone. Where a
// delay matters the page's time moves only when a test moves it (Playwright's fake clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPage, servePages, watchConsole, pauseClock, until } from './harness.mjs';
import {
  open, send, waitForDelivery, waitForFailure, retry, waitForReply, waitForAnswer, readMessages,
  reply, failNextDelivery, part,
} from '../../npm/testing.js';

const scripted = (locale) => hostPage({ attrs: `data-provider="local" data-locale="${locale}" data-local-replies="script"` });
const env = servePages({
  '/en.html': scripted('en'),
  '/de.html': scripted('de'),
  '/ja.html': scripted('ja'),
  // The same mode through HelpwireSettings, whose keys win over attributes.
  '/settings.html': hostPage({
    attrs: 'data-provider="local" data-local-replies="auto"',
    head: '<script>window.HelpwireSettings = { localReplies: "script", locale: "de" };</script>',
  }),
  '/plain.html': hostPage(),
  '/retry-part.html': hostPage({
    attrs: 'data-provider="local" data-locale="de" data-local-replies="script"',
    head: '<style>helpwire-chat::part(retry) { word-spacing: 7px } helpwire-chat::part(text) { word-spacing: 5px }</style>',
  }),
});

async function start(pathname, { clock = false } = {}) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  if (clock) await page.clock.install();
  await page.goto(`${env.base}${pathname}`);
  await open(page);
  return { context, page, seen };
}

/** Runs the page's clock on in `step` ms steps until `done()` holds (at most `ms`); the time it took. */
async function runUntil(page, done, ms, step = 10) {
  let t = 0;
  for (; t < ms && !(await done()); t += step) await page.clock.runFor(step);
  assert.ok(await done(), `within ${ms} ms of the page's time`);
  return t;
}

for (const locale of ['en', 'de', 'ja']) {
  test(`${locale}: a scripted reply, and no answer of support's own, through the helpers alone`, async () => {
    const { context, page, seen } = await start(`/${locale}.html`, { clock: true });
    await send(page, 'Where is my order?');
    await waitForDelivery(page);
    await reply(page, 'It left our warehouse today.');
    await waitForReply(page, 'It left our warehouse today.');
    assert.deepEqual(await readMessages(page), [
      { author: 'visitor', text: 'Where is my order?', status: 'sent' },
      { author: 'agent', text: 'It left our warehouse today.', status: null },
    ]);
    // Nothing else comes, however long support is given (the widget polls meanwhile).
    await pauseClock(page);
    await page.clock.runFor(60_000);
    assert.equal((await readMessages(page)).length, 2);
    // The role names are translated: only English finds the English name; the hooks work in all.
    const english = await page.getByRole('textbox', { name: 'Message to support' }).count();
    assert.equal(english, locale === 'en' ? 1 : 0);
    assert.deepEqual(seen.errors, []);
    await context.close();
  });
}

test('a reply after a delay shows exactly when it falls due on the page clock, not at the next poll', async () => {
  const { context, page } = await start('/de.html', { clock: true });
  await send(page, 'Hallo');
  await waitForDelivery(page, 'Hallo');
  await pauseClock(page);
  const asked = await page.evaluate(() => Date.now());
  await reply(page, 'Gleich da.', 5_000);
  // Support is typing meanwhile; polls come and go (every 1.5 s) without the answer.
  await page.clock.runFor(4_999);
  assert.equal(await page.locator('helpwire-chat [data-author=agent]').count(), 0);
  assert.equal(await part(page, 'typing').count(), 1);
  // Due now: read at once (a few tasks), well before the next poll.
  const took = await runUntil(page, async () => (await page.locator('helpwire-chat [data-author=agent]').count()) === 1, 1_000, 1);
  assert.ok(took < 100, `read ${took} ms after it fell due`);
  await waitForAnswer(page);
  const when = await page.locator('helpwire-chat [data-author=agent] time').getAttribute('datetime');
  assert.equal(Date.parse(when), asked + 5_000, 'stamped with the time it fell due');
  assert.equal(await part(page, 'typing').count(), 0);
  await context.close();
});

test('a forced failed delivery waits for the visitor\'s Retry, then is delivered once', async () => {
  const { context, page, seen } = await start('/retry-part.html', { clock: true });
  await failNextDelivery(page);
  await send(page, 'Erste Nachricht');
  await waitForFailure(page, 'Erste Nachricht');
  await assert.rejects(waitForDelivery(page, 'Erste Nachricht', { timeout: 1_000 }), /not delivered/);
  // Refused, not lost in transit: it is not tried again by itself.
  await pauseClock(page);
  await page.clock.runFor(120_000);
  assert.deepEqual(await readMessages(page), [{ author: 'visitor', text: 'Erste Nachricht', status: 'failed' }]);
  // The Retry button is a styleable part, in German ("Erneut versuchen"), found by its part name.
  const button = page.locator('helpwire-chat [data-status=failed] [part~=retry]');
  assert.equal(await button.evaluate((b) => getComputedStyle(b).wordSpacing), '7px');
  assert.equal(await page.locator('helpwire-chat [part~=message] [part~=text]').evaluate((t) => getComputedStyle(t).wordSpacing), '5px');
  await page.clock.resume();
  await retry(page, 'Erste Nachricht');
  await waitForDelivery(page, 'Erste Nachricht');
  // Only the next one failed.
  await send(page, 'Zweite Nachricht');
  await waitForDelivery(page, 'Zweite Nachricht');
  await reply(page, 'Beide sind da.');
  await waitForReply(page);
  assert.deepEqual(await readMessages(page), [
    { author: 'visitor', text: 'Erste Nachricht', status: 'sent' },
    { author: 'visitor', text: 'Zweite Nachricht', status: 'sent' },
    { author: 'agent', text: 'Beide sind da.', status: null },
  ]);
  assert.ok(seen.warnings.some((w) => w.includes('failNextDelivery')), 'the console says why it failed');
  await context.close();
});

test('HelpwireSettings.localReplies turns the test mode on; a reply before the visitor wrote is a console error', async () => {
  const { context, page, seen } = await start('/settings.html');
  assert.equal(await page.evaluate(() => typeof window.Helpwire.testing.reply), 'function');
  await reply(page, 'Too early');
  assert.ok(seen.errors.some((e) => e.includes('Helpwire.testing.reply: no text, or nothing to answer yet')), seen.errors.join('\n'));
  // reply(null) is a mistake, said as one: not the other call of the test mode.
  const before = seen.errors.length;
  await page.evaluate(() => window.Helpwire.testing.reply(null));
  await until('the error for reply(null)', async () => seen.errors.length > before);
  await send(page, 'Jetzt');
  await waitForDelivery(page);
  await reply(page, 'Jetzt passt es.');
  await waitForReply(page, 'Jetzt passt es.');
  assert.equal(await page.locator('helpwire-chat').getAttribute('data-state'), 'ready');
  await context.close();
});

test('outside test mode Helpwire.testing is absent and the helpers say how to turn it on', async () => {
  const { context, page } = await start('/plain.html');
  assert.equal(await page.evaluate(() => 'testing' in window.Helpwire), false);
  await assert.rejects(reply(page, 'x'), /only there in the local helpdesk's test mode/);
  await assert.rejects(failNextDelivery(page), /data-local-replies="script"/);
  await context.close();
});

test('every hook a test needs carries its part name', async () => {
  const { context, page } = await start('/de.html');
  for (const name of ['launcher', 'panel', 'close', 'log', 'input', 'send']) {
    assert.equal(await part(page, name).count(), 1, name);
  }
  await send(page, 'Hallo');
  await waitForDelivery(page);
  const message = page.locator('helpwire-chat [part~=message][data-author=visitor]');
  assert.equal(await message.locator('[part~=text]').textContent(), 'Hallo');
  await part(page, 'close').click();
  await part(page, 'panel').waitFor({ state: 'hidden' });
  await context.close();
});
