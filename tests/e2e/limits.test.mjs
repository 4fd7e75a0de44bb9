// Size limits end to end: an answer over its limit is refused without being read to the end,
// and a conversation never becomes unreadable because of its length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPage, openWidget, mine, write } from './harness.mjs';
import { serveWithSandbox, conversationId } from './sandbox.mjs';

const ATTRS = {
  bancroft: (s) => `data-provider="bancroft" data-api-base="${s}/bancroft" data-api-key="bnc_cl_test"`,
  gleap: (s) => `data-provider="gleap" data-api-base="${s}/gleap"`,
  gurusup: (s) => `data-provider="gurusup" data-api-base="${s}/gurusup"`,
  eusate: (s) => `data-provider="eusate" data-api-base="${s}/eusate" data-api-key="eusate_test"`,
};

const env = serveWithSandbox((s) => {
  const pages = {};
  for (const [name, attrs] of Object.entries(ATTRS)) pages[`/${name}.html`] = hostPage({ attrs: attrs(s) });
  return pages;
});

function answer(page, text) {
  return page.locator('helpwire-chat [data-author="agent"]').filter({ hasText: text });
}

test('an answer with no Content-Length is refused once past the limit, not read to the end', async () => {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  const { page, errors } = await openWidget(context, `${env.base}/gleap.html`);
  await write(page, 'hello');
  await mine(page, 'hello', 'sent').waitFor({ timeout: 20000 });
  const [conversation] = await env.sandbox.conversations('gleap');
  await env.sandbox.clearFaults();
  // 48 MiB, streamed without a length, where a page of messages may be 2 MiB.
  await env.sandbox.fault({ backend: 'gleap', method: 'GET', path: '/messages', mode: 'stream', size_bytes: 48 * 1024 * 1024, count: 1 });
  await env.sandbox.reply('gleap', { conversation: conversation._id, text: 'Answer after the endless read' });
  await answer(page, 'Answer after the endless read').waitFor({ timeout: 40000 });
  const { bytes } = await fetch(`${env.sandbox.url}/_sandbox/faults/streamed`).then((r) => r.json());
  // The widget stops at 2 MiB; what the sockets' buffers took beyond that is far below 48 MiB.
  assert.ok(bytes > 2 * 1024 * 1024, `the stream was read at all (${bytes} bytes)`);
  assert.ok(bytes < 12 * 1024 * 1024, `reading stopped near the limit, not at the end: ${bytes} bytes went out`);
  assert.equal(await page.locator('helpwire-chat').getAttribute('data-state'), 'ready');
  assert.deepEqual(errors, []);
  await context.close();
});

/** Stores `count` agent messages in a conversation through the control API, 50 at a time. */
async function seed(name, id, count) {
  for (let i = 0; i < count; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 50); j++) {
      batch.push(env.sandbox.reply(name, { conversation: id, text: `Earlier answer number ${j + 1} of a long conversation` }));
    }
    await Promise.all(batch);
  }
}

for (const name of ['bancroft', 'gurusup']) {
  test(`${name}: a conversation of 10,000 messages still shows a new reply and stores a send once`, async () => {
    await env.sandbox.reset();
    const context = await env.browser.newContext();
    const { page, errors } = await openWidget(context, `${env.base}/${name}.html`);
    await write(page, 'first of many');
    await mine(page, 'first of many', 'sent').waitFor({ timeout: 20000 });
    const [conversation] = await env.sandbox.conversations(name);
    const id = conversationId(name, conversation);
    await seed(name, id, 10000);
    await env.sandbox.reply(name, { conversation: id, text: 'The newest answer' });
    await answer(page, 'The newest answer').waitFor({ timeout: 60000 });
    await write(page, 'after ten thousand');
    await mine(page, 'after ten thousand', 'sent').waitFor({ timeout: 30000 });
    assert.equal(await env.sandbox.stored(name, 'after ten thousand'), 1);
    assert.equal(await page.locator('helpwire-chat').getAttribute('data-state'), 'ready');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('eusate: a history of 10,000 messages read on opening still shows the newest and stores a send once', async () => {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  const first = await openWidget(context, `${env.base}/eusate.html`);
  await write(first.page, 'first of many');
  await mine(first.page, 'first of many', 'sent').waitFor({ timeout: 20000 });
  assert.deepEqual(first.errors, []);
  // Answers are pushed while the page is open; the history is read when it opens again.
  await first.page.close();
  const [conversation] = await env.sandbox.conversations('eusate');
  const id = conversationId('eusate', conversation);
  await seed('eusate', id, 10000);
  await env.sandbox.reply('eusate', { conversation: id, text: 'The newest answer' });
  const { page, errors } = await openWidget(context, `${env.base}/eusate.html`);
  await answer(page, 'The newest answer').waitFor({ timeout: 60000 });
  await write(page, 'after ten thousand');
  await mine(page, 'after ten thousand', 'sent').waitFor({ timeout: 30000 });
  assert.equal(await env.sandbox.stored('eusate', 'after ten thousand'), 1);
  assert.deepEqual(errors, []);
  await context.close();
});
