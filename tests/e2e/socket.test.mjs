// Eusate's socket, dropped by the server (the sandbox cuts its connection, as a network drop
// would, and refuses new ones until it is back up): the visitor sees the "Reconnecting" notice
// for as long as the socket is down, a message written meanwhile waits, and when the socket is
// back the notice goes and the message is delivered exactly once. And Eusate's "Seen": the
// conversation's documented `read_by_agent` in the REST history, read when the widget opens the
// conversation and after a reconnect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startServer, hostPage, watchConsole, waitForState } from './harness.mjs';
import { startSandbox, conversationId, copiesOf } from './sandbox.mjs';

let browser;
let server;
let base;
let sandbox;

before(async () => {
  sandbox = await startSandbox();
  browser = await launch();
  const attrs = `data-provider="eusate" data-api-base="${sandbox.url}/eusate" data-api-key="eusate_test"`;
  ({ server, url: base } = await startServer({ pages: { '/eusate.html': hostPage({ attrs }) } }));
});

after(async () => {
  await browser?.close();
  server?.close();
  sandbox?.stop();
});

/** Takes the sandbox's Socket.IO server down (live sockets cut, new ones refused) or up. */
async function socketDown(down) {
  const res = await fetch(`${sandbox.url}/_sandbox/eusate/socket`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ down }),
  });
  assert.ok(res.ok, `socket control: ${res.status}`);
  return res.json();
}

/** A fresh sandbox and visitor on the Eusate page, the panel open; its composer is `box`. */
async function openEusate() {
  await sandbox.reset();
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${base}/eusate.html`);
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  return { context, page, seen, box: page.getByRole('textbox', { name: 'Message to support' }) };
}

test('eusate: a dropped socket shows "Reconnecting" until it is back, and what was written meanwhile is sent once', async () => {
  const { context, page, seen, box } = await openEusate();
  const message = (text, status) =>
    page.locator(`helpwire-chat [data-author="visitor"][data-status="${status}"]`).filter({ hasText: text });
  const notice = page.getByRole('status').filter({ hasText: 'Connection lost' });

  await box.fill('Before the drop');
  await box.press('Enter');
  await message('Before the drop', 'sent').waitFor({ timeout: 20000 });
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

  await box.fill('Written while the socket is down');
  await box.press('Enter');
  await message('Written while the socket is down', 'pending').waitFor();

  await socketDown(false);
  await notice.waitFor({ state: 'hidden', timeout: 40000 });
  await message('Written while the socket is down', 'sent').waitFor({ timeout: 20000 });

  const [conversation] = await sandbox.conversations('eusate');
  assert.ok(conversationId('eusate', conversation));
  assert.equal(copiesOf(conversation.messages, 'Before the drop'), 1);
  assert.equal(copiesOf(conversation.messages, 'Written while the socket is down'), 1, 'delivered exactly once');
  assert.equal(await notice.count(), 0);
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('eusate: "Seen" shows under the visitor\'s last message once the history says an agent read it, and goes with a newer message', async () => {
  const { context, page, seen, box } = await openEusate();
  const mine = (text) =>
    page.locator('helpwire-chat [data-author="visitor"][data-status="sent"]').filter({ hasText: text });

  await box.fill('Will anyone read this?');
  await box.press('Enter');
  await mine('Will anyone read this?').waitFor({ timeout: 20000 });
  // The history the widget read when it opened the conversation said `read_by_agent: false`.
  assert.equal(await page.locator('helpwire-chat .seen').count(), 0);

  // The agent reads and answers (the sandbox sets `read_by_agent`); the answer comes on the socket.
  const [conversation] = await sandbox.conversations('eusate');
  await sandbox.reply('eusate', { conversation: conversationId('eusate', conversation), text: 'Yes, I read it.' });
  await page.locator('helpwire-chat [data-author="agent"]').filter({ hasText: 'Yes, I read it.' }).waitFor({ timeout: 20000 });

  // Opening the conversation again reads the history, which now says the agent has read it.
  await page.reload();
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  const mark = mine('Will anyone read this?').locator('.seen');
  await mark.waitFor({ timeout: 20000 });
  assert.equal(await mark.textContent(), 'Seen');
  assert.equal(await page.locator('helpwire-chat .seen').count(), 1, 'only under the last message');

  // A newer message is not seen until an agent reads it: the mark goes.
  await box.fill('One more thing');
  await box.press('Enter');
  await mine('One more thing').waitFor({ timeout: 20000 });
  await page.locator('helpwire-chat .seen').waitFor({ state: 'detached', timeout: 10000 });
  assert.equal(await mine('One more thing').locator('.seen').count(), 0);
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});
