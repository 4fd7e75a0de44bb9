// Eusate's socket, dropped by the server (the sandbox cuts its connection, as a network drop
// would, and refuses new ones until it is back up): the visitor sees the "Reconnecting" notice
// for as long as the socket is down, a message written meanwhile waits, and when the socket is
// back the notice goes and the message is delivered exactly once. And Eusate's "Seen": the
// conversation's documented `read_by_agent` in the REST history, read when the widget opens the
// conversation and after a reconnect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPage, watchConsole, waitForState, mine, write } from './harness.mjs';
import { serveWithSandbox, conversationId, copiesOf } from './sandbox.mjs';

const env = serveWithSandbox((s) => ({
  '/eusate.html': hostPage({ attrs: `data-provider="eusate" data-api-base="${s}/eusate" data-api-key="eusate_test"` }),
}));

/** Takes the sandbox's Socket.IO server down (live sockets cut, new ones refused) or up. */
async function socketDown(down) {
  const res = await fetch(`${env.sandbox.url}/_sandbox/eusate/socket`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ down }),
  });
  assert.ok(res.ok, `socket control: ${res.status}`);
  return res.json();
}

/** A fresh sandbox and visitor on the Eusate page, the panel open. */
async function openEusate() {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${env.base}/eusate.html`);
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  return { context, page, seen };
}

test('eusate: a dropped socket shows "Reconnecting" until it is back, and what was written meanwhile is sent once', async () => {
  const { context, page, seen } = await openEusate();
  const notice = page.getByRole('status').filter({ hasText: 'Connection lost' });

  await write(page, 'Before the drop');
  await mine(page, 'Before the drop', 'sent').waitFor({ timeout: 20000 });
  assert.equal(await notice.count(), 0);

  const reconnecting = page.waitForEvent('websocket', { timeout: 20000 });
  const { cut } = await socketDown(true);
  assert.equal(cut, 1, 'the widget had one socket, now cut');
  await notice.waitFor({ timeout: 10000 });
  // The first attempt to reconnect is refused; the notice stays.
  const attempt = await reconnecting;
  await new Promise((resolve) => {
    attempt.on('socketerror', resolve);
    attempt.on('close', resolve);
    if (attempt.isClosed()) resolve();
  });
  assert.equal(await notice.count(), 1);

  await write(page, 'Written while the socket is down');
  await mine(page, 'Written while the socket is down', 'pending').waitFor();

  await socketDown(false);
  await notice.waitFor({ state: 'hidden', timeout: 40000 });
  await mine(page, 'Written while the socket is down', 'sent').waitFor({ timeout: 20000 });

  const [conversation] = await env.sandbox.conversations('eusate');
  assert.ok(conversationId('eusate', conversation));
  assert.equal(copiesOf(conversation.messages, 'Before the drop'), 1);
  assert.equal(copiesOf(conversation.messages, 'Written while the socket is down'), 1, 'delivered exactly once');
  assert.equal(await notice.count(), 0);
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('eusate: "Seen" shows under the visitor\'s last message once the history says an agent read it, and goes with a newer message', async () => {
  const { context, page, seen } = await openEusate();

  await write(page, 'Will anyone read this?');
  await mine(page, 'Will anyone read this?', 'sent').waitFor({ timeout: 20000 });
  // The history the widget read when it opened the conversation said `read_by_agent: false`.
  assert.equal(await page.locator('helpwire-chat .seen').count(), 0);

  // The agent reads and answers (the sandbox sets `read_by_agent`); the answer comes on the socket.
  const [conversation] = await env.sandbox.conversations('eusate');
  await env.sandbox.reply('eusate', { conversation: conversationId('eusate', conversation), text: 'Yes, I read it.' });
  await page.locator('helpwire-chat [data-author="agent"]').filter({ hasText: 'Yes, I read it.' }).waitFor({ timeout: 20000 });

  // Opening the conversation again reads the history, which now says the agent has read it.
  await page.reload();
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  const mark = mine(page, 'Will anyone read this?', 'sent').locator('.seen');
  await mark.waitFor({ timeout: 20000 });
  assert.equal(await mark.textContent(), 'Seen');
  assert.equal(await page.locator('helpwire-chat .seen').count(), 1, 'only under the last message');

  // A newer message is not seen until an agent reads it: the mark goes.
  await write(page, 'One more thing');
  await mine(page, 'One more thing', 'sent').waitFor({ timeout: 20000 });
  await page.locator('helpwire-chat .seen').waitFor({ state: 'detached', timeout: 10000 });
  assert.equal(await mine(page, 'One more thing', 'sent').locator('.seen').count(), 0);
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});
