// Fault injection end to end: the sandbox fails, delays, drops or garbles requests, and each
// message must still be delivered exactly once — or, when a retry cannot help, be marked failed
// with a retry the visitor can use. Where a test shows that something does not happen, it runs the
// page's clock (Playwright's fake clock) forward past the time it would have, never a sleep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPage, waitForState, openWidget, mine, write, pauseClock } from './harness.mjs';
import { serveWithSandbox } from './sandbox.mjs';

const BACKENDS = {
  bancroft: { attrs: (s) => `data-provider="bancroft" data-api-base="${s}/bancroft" data-api-key="bnc_cl_test"`, send: { method: 'POST', path: '/messages/create/' } },
  gleap: { attrs: (s) => `data-provider="gleap" data-api-base="${s}/gleap"`, send: { method: 'POST', path: '/messages' } },
  gurusup: { attrs: (s) => `data-provider="gurusup" data-api-base="${s}/gurusup"`, send: { method: 'POST', path: '/messages' } },
  bot: { attrs: (s) => `data-provider="bot" data-api-base="${s}/bot" data-api-key="Bearer bot_test"`, send: { method: 'POST' } },
};
const EUSATE = (s) => `data-provider="eusate" data-api-base="${s}/eusate" data-api-key="eusate_test"`;

const env = serveWithSandbox((s) => {
  const pages = {};
  for (const [name, b] of Object.entries(BACKENDS)) pages[`/${name}.html`] = hostPage({ attrs: b.attrs(s) });
  pages['/eusate.html'] = hostPage({ attrs: EUSATE(s) });
  return pages;
});

const MODES = [
  { label: 'two 503s', fault: { mode: 'status', status: 503, count: 2 } },
  { label: 'a dropped connection', fault: { mode: 'drop', count: 1 } },
  { label: '429 with Retry-After: 2', fault: { mode: 'retry_after', retry_after_s: 2, count: 1 }, minDelayMs: 1800 },
  { label: 'a 3 s delay', fault: { mode: 'delay', delay_ms: 3000, count: 1 } },
];

for (const name of Object.keys(BACKENDS)) {
  test(`${name}: sends survive injected faults and are stored exactly once`, async () => {
    await env.sandbox.reset();
    const context = await env.browser.newContext();
    const { page, errors } = await openWidget(context, `${env.base}/${name}.html`);
    await write(page, `${name} warm-up`);
    await mine(page, `${name} warm-up`, 'sent').waitFor({ timeout: 20000 });

    for (const { label, fault, minDelayMs } of MODES) {
      const text = `${name} under ${label}`;
      await env.sandbox.fault({ backend: name, ...BACKENDS[name].send, ...fault });
      const started = Date.now();
      await write(page, text);
      await mine(page, text).waitFor();
      await mine(page, text, 'sent').waitFor({ timeout: 30000 });
      if (minDelayMs) assert.ok(Date.now() - started >= minDelayMs, `${label}: Retry-After honoured`);
      if (name !== 'bot') assert.equal(await env.sandbox.stored(name, text), 1, `${label}: stored exactly once`);
      assert.equal(await mine(page, text).count(), 1, `${label}: shown once`);
    }

    // A 200 whose body is garbage cannot be trusted: the message is marked failed, with Retry.
    const text = `${name} answered with garbage`;
    await env.sandbox.fault({ backend: name, ...BACKENDS[name].send, mode: 'malformed', count: 1 });
    await write(page, text);
    await mine(page, text, 'failed').waitFor({ timeout: 20000 });
    await mine(page, text, 'failed').getByRole('button', { name: 'Retry' }).click();
    await mine(page, text, 'sent').waitFor({ timeout: 20000 });
    if (name !== 'bot') assert.equal(await env.sandbox.stored(name, text), 1);
    assert.deepEqual(errors, []);
    await env.sandbox.clearFaults();
    await context.close();
  });
}

test('eusate: sends over the socket survive injected faults and are stored exactly once', async () => {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  const { page } = await openWidget(context, `${env.base}/eusate.html`);
  await write(page, 'eusate matrix warm-up');
  await mine(page, 'eusate matrix warm-up', 'sent').waitFor({ timeout: 20000 });
  for (const { label, fault } of [...MODES, { label: 'a malformed answer', fault: { mode: 'malformed', count: 1 } }]) {
    const text = `eusate under ${label}`;
    await env.sandbox.fault({ backend: 'eusate', path: 'socket:support', ...fault });
    await write(page, text);
    await mine(page, text, 'sent').waitFor({ timeout: 45000 });
    assert.equal(await env.sandbox.stored('eusate', text), 1, `${label}: stored exactly once`);
    assert.equal(await mine(page, text).count(), 1, `${label}: shown once`);
  }
  await env.sandbox.clearFaults();
  await context.close();
});

/**
 * Runs a paused page clock forward in `stepMs` steps while `waiting()` holds (at most `steps`
 * steps), with a moment after each for the network, which answers in real time.
 */
async function runWhile(page, waiting, { stepMs = 500, steps = 40 } = {}) {
  for (let i = 0; i < steps && (await waiting()); i++) {
    await page.clock.runFor(stepMs);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('eusate: a lost socket event is sent again and stored once', async () => {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  const { page } = await openWidget(context, `${env.base}/eusate.html`);
  await write(page, 'eusate warm-up');
  await mine(page, 'eusate warm-up', 'sent').waitFor({ timeout: 20000 });
  await env.sandbox.fault({ backend: 'eusate', path: 'socket:support', mode: 'drop', count: 1 });
  // From here on the page's time moves only when the test says.
  await context.clock.install();
  await pauseClock(page);
  const text = 'eusate after a lost event';
  await write(page, text);
  // The event reached the sandbox, which dropped it: no ack, no answer, nothing stored.
  await runWhile(page, async () => (await env.sandbox.faults()).length > 0, { stepMs: 10 });
  assert.deepEqual(await env.sandbox.faults(), [], 'the event arrived');
  // Up to just short of the 15 s the widget waits for a confirmation: still pending.
  await page.clock.runFor(13_000);
  assert.equal(await mine(page, text, 'pending').count(), 1, 'not shown as sent without confirmation');
  assert.equal(await env.sandbox.stored('eusate', text), 0, 'the event was lost');
  // Past it: the widget gives up waiting and sends the message again.
  await page.clock.runFor(3_000);
  await page.clock.resume();
  await mine(page, text, 'sent').waitFor({ timeout: 20000 });
  assert.equal(await env.sandbox.stored('eusate', text), 1);
  assert.equal(await mine(page, text).count(), 1);
  await context.close();
});

// The backend stores the message but its answer never arrives: the connection drops after the
// request was processed, or the page reloads while the answer is on its way. The widget reads the
// conversation before sending again and finds the message there. (The local helpdesk needs no
// such test: it runs in the page, and its sends are idempotent on the client id.)
const UNANSWERED = {
  bancroft: BACKENDS.bancroft.send,
  gleap: BACKENDS.gleap.send,
  gurusup: BACKENDS.gurusup.send,
  eusate: { path: 'socket:support' },
};

/** Waits until the sandbox holds `count` copies of `text`. */
async function waitStored(name, text, count) {
  const until = Date.now() + 10000;
  while ((await env.sandbox.stored(name, text)) !== count) {
    if (Date.now() > until) throw new Error(`${name}: "${text}" never stored ${count} times`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const [name, send] of Object.entries(UNANSWERED)) {
  test(`${name}: a message stored before the connection dropped is not sent again`, async () => {
    await env.sandbox.reset();
    const context = await env.browser.newContext();
    const { page, errors } = await openWidget(context, `${env.base}/${name}.html`);
    await write(page, `${name} warm-up`);
    await mine(page, `${name} warm-up`, 'sent').waitFor({ timeout: 20000 });

    const text = `${name}: stored, then the connection dropped`;
    await env.sandbox.fault({ backend: name, ...send, mode: 'drop_after', count: 1 });
    await write(page, text);
    // Eusate waits 15 s for an ack that never comes.
    await mine(page, text, 'sent').waitFor({ timeout: 40000 });
    assert.equal(await env.sandbox.stored(name, text), 1, 'stored exactly once');
    assert.equal(await mine(page, text).count(), 1, 'shown once');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`${name}: a reload while a stored message's answer is on its way does not send it again`, async () => {
    await env.sandbox.reset();
    const context = await env.browser.newContext();
    const { page, errors } = await openWidget(context, `${env.base}/${name}.html`);
    await write(page, `${name} warm-up`);
    await mine(page, `${name} warm-up`, 'sent').waitFor({ timeout: 20000 });

    const text = `${name}: stored, then the page reloaded`;
    // Processed at once; the answer is held back long past the reload (Eusate never sends it).
    await env.sandbox.fault({ backend: name, ...send, mode: 'drop_after', delay_ms: 20000, count: 1 });
    await write(page, text);
    await waitStored(name, text, 1);
    assert.equal(await mine(page, text, 'pending').count(), 1, 'no answer yet');
    await page.reload();
    await waitForState(page);
    await page.getByRole('button', { name: /^Support chat/ }).click();
    await mine(page, text, 'sent').waitFor({ timeout: 30000 });
    assert.equal(await env.sandbox.stored(name, text), 1, 'stored exactly once');
    assert.equal(await mine(page, text).count(), 1, 'shown once');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('two tabs: both show every message, each is sent once, and a closed tab\'s message is adopted', async () => {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  await context.clock.install(); // runs on until paused, below
  const a = await openWidget(context, `${env.base}/bancroft.html`);
  const b = await openWidget(context, `${env.base}/bancroft.html`);
  await write(a.page, 'hello from tab A');
  await mine(a.page, 'hello from tab A', 'sent').waitFor({ timeout: 20000 });
  await mine(b.page, 'hello from tab A', 'sent').waitFor({ timeout: 10000 });
  await write(b.page, 'hello from tab B');
  await mine(b.page, 'hello from tab B', 'sent').waitFor({ timeout: 20000 });
  await mine(a.page, 'hello from tab B').waitFor({ timeout: 10000 });

  // Tab A writes while the backend refuses, then is closed before it could deliver.
  await env.sandbox.fault({ backend: 'bancroft', ...BACKENDS.bancroft.send, mode: 'status', status: 503, count: 1000 });
  await write(a.page, 'written in A, which then closed');
  await mine(b.page, 'written in A, which then closed', 'pending').waitFor({ timeout: 10000 });
  await a.page.close();
  await env.sandbox.clearFaults();
  await mine(b.page, 'written in A, which then closed', 'sent').waitFor({ timeout: 30000 });
  // A minute of page time (past the tab check, any backoff, a dozen polls): nothing goes again.
  // Jobs run one at a time, so each poll answered means every send before it has finished (a
  // poll reads the messages, or every fourth time the conversation's status).
  await pauseClock(b.page);
  for (let i = 0; i < 12; i++) {
    const polled = b.page.waitForResponse((r) => r.request().method() === 'GET' && r.url().includes('/api/v1/conversations/'), { timeout: 10000 });
    await b.page.clock.runFor(5_000);
    await polled;
  }
  for (const text of ['hello from tab A', 'hello from tab B', 'written in A, which then closed']) {
    assert.equal(await env.sandbox.stored('bancroft', text), 1, `"${text}" stored exactly once`);
    assert.equal(await mine(b.page, text).count(), 1, `"${text}" shown once`);
  }
  await context.close();
});

test('offline, then online again: the message waits, then goes exactly once', async () => {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  await context.clock.install(); // runs on until paused, below
  const { page } = await openWidget(context, `${env.base}/bancroft.html`);
  await write(page, 'first, online');
  await mine(page, 'first, online', 'sent').waitFor({ timeout: 20000 });
  await pauseClock(page);
  const tried = [];
  const onRequest = (r) => { if (r.url().startsWith(env.sandbox.url)) tried.push(`${r.method()} ${r.url()}`); };
  page.on('request', onRequest);
  await context.setOffline(true);
  await write(page, 'written while offline');
  // Two minutes of page time (any backoff is at most 60 s, the poll 4 s): the message waits, and
  // nothing is tried on the dead network.
  for (let i = 0; i < 24; i++) await page.clock.runFor(5_000);
  assert.equal(await mine(page, 'written while offline', 'pending').count(), 1, 'pending while offline');
  assert.deepEqual(tried, [], 'no request while offline');
  page.off('request', onRequest);
  await context.setOffline(false);
  await page.clock.resume();
  await mine(page, 'written while offline', 'sent').waitFor({ timeout: 20000 });
  assert.equal(await env.sandbox.stored('bancroft', 'written while offline'), 1);
  await context.close();
});

test('a reload with a pending message delivers it after the reload, once', async () => {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  await context.clock.install(); // runs on until paused, below
  const { page } = await openWidget(context, `${env.base}/gleap.html`);
  await write(page, 'before the outage');
  await mine(page, 'before the outage', 'sent').waitFor({ timeout: 20000 });
  await env.sandbox.fault({ backend: 'gleap', method: 'POST', path: '/messages', mode: 'status', status: 500, count: 1000 });
  await pauseClock(page);
  // Refused three times, each retried after its backoff: still pending, neither failed nor sent.
  const refusals = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && r.url().includes('/gleap/') && !r.ok()) refusals.push(r.status());
  });
  await write(page, 'sent during the outage');
  await runWhile(page, async () => refusals.length < 3);
  assert.equal(await mine(page, 'sent during the outage', 'pending').count(), 1, 'pending through the outage');
  assert.ok(refusals.length >= 3 && refusals.every((s) => s === 500), `retried after each refusal: ${refusals}`);
  await page.clock.resume();
  await page.reload();
  await waitForState(page);
  await env.sandbox.clearFaults();
  // Past the backoff the last refusal set (at most 4 s after the third attempt).
  await page.clock.fastForward(5_000);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await mine(page, 'sent during the outage', 'sent').waitFor({ timeout: 30000 });
  assert.equal(await env.sandbox.stored('gleap', 'sent during the outage'), 1);
  await context.close();
});

test('malformed and huge reads break nothing; the next good read shows the answer', async () => {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  const { page, errors } = await openWidget(context, `${env.base}/gleap.html`);
  await write(page, 'hello');
  await mine(page, 'hello', 'sent').waitFor({ timeout: 20000 });
  const [conversation] = await env.sandbox.conversations('gleap');
  await env.sandbox.fault({ backend: 'gleap', method: 'GET', path: '/messages', mode: 'huge', size_bytes: 5 * 1024 * 1024, count: 1 });
  await env.sandbox.fault({ backend: 'gleap', method: 'GET', path: '/messages', mode: 'malformed', count: 1 });
  await env.sandbox.reply('gleap', { conversation: conversation._id, text: 'Answer after bad reads' });
  await page.locator('helpwire-chat [data-author="agent"]').filter({ hasText: 'Answer after bad reads' }).waitFor({ timeout: 40000 });
  assert.equal(await page.locator('helpwire-chat').getAttribute('data-state'), 'ready');
  assert.deepEqual(errors, []);
  await context.close();
});
