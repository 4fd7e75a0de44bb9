// Hostile data from a backend, end to end (Bancroft and Gleap through the sandbox): agent
// messages whose time the browser cannot represent, that are unreadable, or that are no message
// at all. The widget must not crash, must show or skip each, must show the normal reply written
// after it, and must store a later message exactly once. The page's clock is controlled, so
// "nothing more happens" is shown by running time forward, never by sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPage, watchConsole, waitForState } from './harness.mjs';
import { serveWithSandbox, conversationId, copiesOf } from './sandbox.mjs';

const BACKENDS = {
  bancroft: {
    attrs: (s) => `data-provider="bancroft" data-api-base="${s}/bancroft" data-api-key="bnc_cl_test"`,
    time: 'created_at',
    pollMs: 4000,
  },
  gleap: {
    attrs: (s) => `data-provider="gleap" data-api-base="${s}/gleap"`,
    time: 'createdAt',
    pollMs: 6000,
  },
};

// Each is stored as an agent message with this raw override of what the API returns.
// `shown`: the message keeps its text (with a fallback time); otherwise it is skipped.
const HOSTILE = [
  { label: 'a time of 1e20 ms', raw: (t) => ({ [t]: 1e20 }), shown: true },
  { label: 'an impossible date', raw: (t) => ({ [t]: '9999999-99-99T99:99:99Z' }), shown: true },
  { label: 'an object as time', raw: (t) => ({ [t]: {} }), shown: true },
  { label: 'a negative time', raw: (t) => ({ [t]: -1 }), shown: true },
  { label: 'a string instead of a message', raw: () => 'not a message', shown: false },
  { label: 'null instead of a message', raw: () => null, shown: false },
];

const env = serveWithSandbox((s) => {
  const pages = {};
  for (const [name, b] of Object.entries(BACKENDS)) pages[`/${name}.html`] = hostPage({ attrs: b.attrs(s) });
  return pages;
});

function agentMessages(page) {
  return page.locator('helpwire-chat [data-author="agent"]');
}

/** Runs the page's clock forward in `stepMs` steps until `locator` is there (at most `steps`). */
async function advanceUntil(page, locator, stepMs, steps = 8) {
  for (let i = 0; i < steps; i++) {
    await page.clock.runFor(stepMs);
    try {
      await locator.waitFor({ timeout: 2500 });
      return;
    } catch {
      // Not yet: the next poll may bring it.
    }
  }
  throw new Error(`not shown after ${steps} polls: ${locator}`);
}

/** Stored message objects of the one conversation (list items that are no object left out). */
async function storedMessages(name) {
  const list = await env.sandbox.conversations(name);
  assert.equal(list.length, 1, `${name}: one conversation`);
  return { id: conversationId(name, list[0]), messages: (list[0].messages || []).filter((m) => m && typeof m === 'object') };
}

for (const [name, { time, pollMs }] of Object.entries(BACKENDS)) {
  test(`${name}: hostile agent messages neither crash the widget nor block later ones`, async () => {
    await env.sandbox.reset();
    const context = await env.browser.newContext();
    const page = await context.newPage();
    const seen = watchConsole(page);
    await page.clock.install();
    await page.goto(`${env.base}/${name}.html`);
    await waitForState(page);
    await page.getByRole('button', { name: /^Support chat/ }).click();
    const box = page.getByRole('textbox', { name: 'Message to support' });
    const mine = (text) => page.locator('helpwire-chat [data-author="visitor"][data-status="sent"]').filter({ hasText: text });
    await box.fill('Hello, is anyone there?');
    await box.press('Enter');
    await mine('Hello, is anyone there?').waitFor({ timeout: 20000 });
    const { id: conversation } = await storedMessages(name);
    // From here on the page's time moves only when the test says.
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);

    let expected = 0;
    for (const [i, h] of HOSTILE.entries()) {
      const hostileText = `Hostile ${i}: ${h.label}`;
      await env.sandbox.reply(name, { conversation, text: hostileText, raw: h.raw(time) });
      const normalText = `Normal reply ${i} after ${h.label}`;
      await env.sandbox.reply(name, { conversation, text: normalText });
      await advanceUntil(page, agentMessages(page).filter({ hasText: normalText }), pollMs);
      expected += h.shown ? 2 : 1;
      const texts = await agentMessages(page).locator('.bubble').allTextContents();
      assert.equal(texts.length, expected, `${h.label}: ${JSON.stringify(texts)}`);
      assert.equal(texts.at(-1).trim(), normalText, 'the normal reply comes after it');
      if (h.shown) {
        assert.equal(texts.at(-2).trim(), hostileText, `${h.label}: shown with its text`);
        // With a time the browser can show: the previous message's.
        const when = await agentMessages(page).filter({ hasText: hostileText }).locator('time').getAttribute('datetime');
        assert.ok(Number.isFinite(Date.parse(when)), `${h.label}: datetime ${when}`);
      }
      assert.equal(await page.locator('helpwire-chat').getAttribute('data-state'), 'ready', `${h.label}: no crash`);
    }

    // A message written after all that is delivered and stored exactly once.
    const later = 'Thanks, that answers it.';
    await box.fill(later);
    await box.press('Enter');
    await advanceUntil(page, mine(later), 500);
    assert.equal(copiesOf((await storedMessages(name)).messages, later), 1, 'stored once');
    // Time passes (several polls, any retry would be due): still once, nothing warned again.
    const warned = seen.warnings.filter((w) => w.startsWith('Helpwire:')).length;
    for (let i = 0; i < 3; i++) {
      // A poll: a read of the messages (or of the status, every fourth time: Bancroft's
      // conversation, Gleap's ticket).
      const polled = page.waitForResponse((r) => r.request().method() === 'GET' && (r.url().includes('/messages') || /\/api\/v1\/conversations\/[^/]+\/$|\/v3\/tickets\/[^/?]+$/.test(r.url())));
      await page.clock.runFor(pollMs + 1000);
      await polled;
    }
    assert.equal(copiesOf((await storedMessages(name)).messages, later), 1, 'still stored once');
    assert.equal(await mine(later).count(), 1);
    assert.equal(seen.warnings.filter((w) => w.startsWith('Helpwire:')).length, warned, 'each warned about once');
    assert.equal(warned, HOSTILE.length, `one console warning per hostile message: ${seen.warnings.join('\n')}`);
    assert.equal(await page.locator('helpwire-chat').getAttribute('data-state'), 'ready');
    assert.deepEqual(seen.pageErrors, []);
    assert.deepEqual(seen.errors.filter((e) => e.includes('Helpwire')), []);
    await context.close();
  });
}

// Stored state is as untrusted as the network: anything on the page can rewrite it.
test('bancroft: restored messages with times the browser cannot represent still render', async () => {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${env.base}/bancroft.html`);
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  const box = page.getByRole('textbox', { name: 'Message to support' });
  const mine = (text) => page.locator('helpwire-chat [data-author="visitor"][data-status="sent"]').filter({ hasText: text });
  await box.fill('Before the tampering');
  await box.press('Enter');
  await mine('Before the tampering').waitFor({ timeout: 20000 });
  const absurd = [1e20, -1e20, 8.64e15 + 1, 1e308, -1];
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('helpwire:v1:bancroft:') && localStorage.getItem(k).includes('"sent"')));
  await page.evaluate((times) => {
    const key = Object.keys(localStorage).find((k) => k.startsWith('helpwire:v1:bancroft:'));
    const snap = JSON.parse(localStorage.getItem(key));
    for (const [i, t] of times.entries()) {
      snap.messages.push({ id: `tampered-${i}`, author: { kind: 'agent' }, body: { kind: 'text', value: `Tampered ${i}` }, created_at: t });
    }
    localStorage.setItem(key, JSON.stringify(snap));
  }, absurd);
  await page.reload();
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  for (const i of absurd.keys()) {
    const shown = agentMessages(page).filter({ hasText: `Tampered ${i}` });
    await shown.waitFor({ timeout: 15000 });
    assert.equal(await shown.locator('time').getAttribute('datetime'), null, `no datetime for ${absurd[i]}`);
  }
  await box.fill('After the tampering');
  await box.press('Enter');
  await mine('After the tampering').waitFor({ timeout: 20000 });
  const list = await env.sandbox.conversations('bancroft');
  assert.equal(copiesOf(list[0].messages, 'After the tampering'), 1);
  assert.equal(await page.locator('helpwire-chat').getAttribute('data-state'), 'ready');
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});
