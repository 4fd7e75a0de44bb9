// End to end against the sandbox helpdesk: for each backend, the full flow — the visitor writes,
// the conversation is created, support answers, the answers appear in order, and a reload
// resumes the same conversation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPage, watchConsole, waitForState } from './harness.mjs';
import { serveWithSandbox, conversationId, copiesOf } from './sandbox.mjs';

const BACKENDS = {
  bancroft: (s) => `data-provider="bancroft" data-api-base="${s}/bancroft" data-api-key="bnc_cl_test"`,
  gleap: (s) => `data-provider="gleap" data-api-base="${s}/gleap"`,
  gurusup: (s) => `data-provider="gurusup" data-api-base="${s}/gurusup"`,
  eusate: (s) => `data-provider="eusate" data-api-base="${s}/eusate" data-api-key="eusate_test"`,
  bot: (s) => `data-provider="bot" data-api-base="${s}/bot" data-api-key="Bearer bot_test"`,
};

const env = serveWithSandbox((s) => {
  const pages = {};
  for (const [name, attrs] of Object.entries(BACKENDS)) {
    pages[`/${name}.html`] = hostPage({ attrs: attrs(s) });
  }
  return pages;
});

async function open(name) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  const requests = [];
  let messagesRead;
  const firstRead = new Promise((resolve) => { messagesRead = resolve; });
  page.on('request', (r) => {
    requests.push({ method: r.method(), url: r.url(), at: Date.now() });
    if (r.method() === 'GET' && r.url().includes('/messages')) messagesRead();
  });
  await page.goto(`${env.base}/${name}.html`);
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await page.getByRole('dialog').waitFor();
  return { context, page, seen, requests, firstRead };
}

async function send(page, text) {
  const box = page.getByRole('textbox', { name: 'Message to support' });
  await box.fill(text);
  await box.press('Enter');
  await page
    .locator('helpwire-chat [data-author="visitor"][data-status="sent"]')
    .filter({ hasText: text })
    .waitFor({ timeout: 20000 });
}

async function theConversation(name) {
  const list = await env.sandbox.conversations(name);
  assert.equal(list.length, 1, `${name}: exactly one conversation stored, got ${list.length}`);
  return list[0];
}

/** `promise`, or an error naming `what` if it has not settled within `ms`. */
function within(ms, promise, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Texts of all messages in the widget, in order, with their authors. */
async function transcript(page) {
  return page.locator('helpwire-chat [data-author]').evaluateAll((els) =>
    els.map((el) => `${el.getAttribute('data-author')}: ${el.querySelector('.bubble')?.textContent.trim()}`));
}

for (const name of ['bancroft', 'gleap', 'gurusup', 'eusate']) {
  test(`${name}: write, an agent answers, reload resumes the same conversation`, async () => {
    await env.sandbox.reset();
    const { context, page, seen, requests, firstRead } = await open(name);
    const first = `Hello ${name}, where is my order #${Date.now()}?`;
    await send(page, first);
    const conversation = await theConversation(name);
    assert.equal(copiesOf(conversation.messages, first), 1, 'the message is stored exactly once');

    if (name === 'gleap') {
      // An internal note must never reach the visitor, however it is marked.
      for (const note_style of ['both', 'type', 'flag']) {
        await env.sandbox.reply(name, { conversation: conversationId(name, conversation), text: `INTERNAL NOTE ${note_style}`, note: true, note_style });
      }
    }
    const agentText = `Agent here: your ${name} order ships tomorrow.`;
    // Eusate's one catch-up read, once the socket is connected and the conversation assigned,
    // can come after the send is confirmed: the answer must come after it to be pushed.
    if (name === 'eusate') await within(20000, firstRead, 'the catch-up read');
    const repliedAt = Date.now();
    await env.sandbox.reply(name, { conversation: conversationId(name, conversation), text: agentText });
    await page.locator('helpwire-chat [data-author="agent"]').filter({ hasText: agentText }).waitFor({ timeout: 20000 });

    if (name === 'gleap') {
      // The notes were stored before the answer and messages are read in order: the read that
      // brought the answer brought them too (or came after the one that did).
      assert.equal(await page.locator('helpwire-chat').getByText('INTERNAL NOTE').count(), 0, 'notes never shown');
    }
    if (name === 'eusate') {
      // Pushed over the socket: no HTTP read of the messages happened after the agent answered.
      const reads = requests.filter((r) => r.method === 'GET' && r.url.includes('/messages') && r.at >= repliedAt);
      assert.deepEqual(reads, [], 'the answer was pushed, not polled');
    }
    const before = await transcript(page);
    assert.ok(before.indexOf(`visitor: ${first}`) >= 0, before.join('\n'));
    assert.ok(before.findIndex((t) => t.includes(agentText)) > before.indexOf(`visitor: ${first}`), 'answer after the question');

    await page.reload();
    await waitForState(page);
    await page.getByRole('button', { name: /^Support chat/ }).click();
    await page.locator('helpwire-chat [data-author="agent"]').filter({ hasText: agentText }).waitFor({ timeout: 20000 });
    const second = `Thanks! One more ${name} question.`;
    await send(page, second);
    const after = await theConversation(name); // still one conversation: resumed, not recreated
    assert.equal(copiesOf(after.messages, first), 1);
    assert.equal(copiesOf(after.messages, second), 1);
    const reloaded = await transcript(page);
    assert.equal(reloaded.filter((t) => t === `visitor: ${first}`).length, 1, 'no duplicate after reload');
    assert.deepEqual(seen.pageErrors, []);
    await context.close();
  });
}

test('bot: the endpoint answers with text and rich documents, rendered safely', async () => {
  await env.sandbox.reset();
  const { context, page, seen } = await open('bot');
  await send(page, 'What are your opening hours?');
  const answers = page.locator('helpwire-chat [data-author="bot"]');
  await answers.first().waitFor({ timeout: 20000 });
  await send(page, 'And on weekends?');
  await answers.nth(1).waitFor({ timeout: 20000 });
  // The second answer is a TipTap document: bold, a link, a bullet list — as elements.
  const rich = answers.nth(1);
  assert.ok((await rich.locator('strong').count()) >= 1, 'bold mark rendered');
  assert.ok((await rich.locator('li').count()) >= 1, 'list rendered');
  const links = await rich.locator('a').evaluateAll((as) => as.map((a) => [a.protocol, a.rel, a.target]));
  for (const [protocol, rel, target] of links) {
    assert.ok(['http:', 'https:', 'mailto:'].includes(protocol));
    assert.equal(rel, 'noopener noreferrer');
    assert.equal(target, '_blank');
  }
  await page.reload();
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await answers.nth(1).waitFor();
  assert.equal(await page.locator('helpwire-chat [data-author="visitor"]').count(), 2, 'kept locally across reloads');
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});

test('the demo page switches to a sandbox backend', async () => {
  await env.sandbox.reset();
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${env.base}/index.html?backend=gleap&sandbox=${encodeURIComponent(env.sandbox.url)}`);
  await waitForState(page);
  assert.equal(await page.getByRole('link', { name: 'Gleap' }).getAttribute('aria-current'), 'page');
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await send(page, 'Hello from the demo page');
  const [conversation] = await env.sandbox.conversations('gleap');
  assert.equal(copiesOf(conversation.messages, 'Hello from the demo page'), 1);
  await context.close();
});
