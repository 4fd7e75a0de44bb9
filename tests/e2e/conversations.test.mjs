// Several conversations end to end (issue #18 §1), on the bundles that link them (README,
// Several conversations): the local helpdesk (support's answers scripted through
// `Helpwire.testing`), the sandbox's Bancroft, which must store each conversation's messages
// exactly once, Gurusup and Gleap (read back from the thread or ticket) and the bot endpoint
// (kept by the widget), Eusate (answers pushed over its socket, a conversation opened again read
// back over REST); the relay's in relay.test.mjs.
// Keyboard only, axe on the list, the list after a reload. Runs on the release build in dist/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchConsole, waitForState, mine, write, until, assertNoAxeViolations } from './harness.mjs';
import { serveWithSandbox, copiesOf } from './sandbox.mjs';
import { checkPictures, looks } from './screenshots.mjs';


/** A clean host page (a main landmark), so every axe violation is the widget's. */
function page(attrs) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host page</title>
<link rel="icon" href="data:,"><script async src="/helpwire.js" ${attrs}></script></head>
<body><main><h1>A host page</h1></main></body></html>`;
}

const env = serveWithSandbox((s) => ({
  '/local.html': page('data-provider="local" data-local-replies="script"'),
  '/local-ar.html': page('data-provider="local" data-local-replies="script" data-locale="ar"'),
  '/bancroft.html': page(`data-provider="bancroft" data-api-base="${s}/bancroft" data-api-key="bnc_cl_test"`),
  '/gleap.html': page(`data-provider="gleap" data-api-base="${s}/gleap"`),
  '/eusate.html': page(`data-provider="eusate" data-api-base="${s}/eusate" data-api-key="eusate_test"`),
  '/gurusup.html': page(`data-provider="gurusup" data-api-base="${s}/gurusup"`),
  '/bot.html': page(`data-provider="bot" data-api-base="${s}/bot" data-api-key="Bearer bot_test"`),
  '/list-shot.html': page('data-provider="local" data-local-replies="script" data-title="Northwind Support"'),
  '/parts.html': page('data-provider="local" data-local-replies="script"').replace('</head>', `<style>
helpwire-chat::part(back) { color: rgb(1, 2, 3); }
helpwire-chat::part(conversations) { padding-top: 21px; }
helpwire-chat::part(conversation) { border-top-color: rgb(4, 5, 6); }
helpwire-chat::part(new-conversation) { background-color: rgb(7, 8, 9); }
</style></head>`),
}));

/** Opens `pathname` in a fresh context and opens the panel with the keyboard. */
async function open(pathname, context) {
  context ??= await env.browser.newContext();
  const p = await context.newPage();
  const console = watchConsole(p);
  await p.goto(`${env.base}${pathname}`);
  await waitForState(p);
  await p.getByRole('button', { name: /^Support chat|^محادثة الدعم/ }).focus();
  await p.keyboard.press('Enter');
  await p.getByRole('dialog').waitFor();
  return { context, page: p, console };
}

/** The element focused inside the widget's shadow root: its part or class, and its text. */
function focused(p) {
  return p.evaluate(() => {
    const el = document.querySelector('helpwire-chat').shadowRoot.activeElement;
    if (!el) return null;
    return `${el.getAttribute('part') || el.className}:${el.getAttribute('aria-label') || el.textContent}`;
  });
}

/** Sends `text` with the keyboard and waits until the backend has it. */
async function send(p, text) {
  await write(p, text);
  await mine(p, text, 'sent').waitFor({ timeout: 20000 });
}

/** The names of the list's conversation buttons, in order. */
async function listed(p) {
  const list = p.getByRole('list', { name: 'Your conversations' });
  await list.waitFor();
  return list.getByRole('listitem').getByRole('button').allInnerTexts();
}

/** Opens `pathname` with the widget's timers on a fake clock (its polls come when the test moves
 *  it) and the panel open. */
async function openOnFakeClock(pathname) {
  const context = await env.browser.newContext();
  const p = await context.newPage();
  await p.clock.install();
  const console = watchConsole(p);
  await p.goto(`${env.base}${pathname}`);
  await waitForState(p);
  await p.evaluate(() => Helpwire.open());
  return { context, page: p, console };
}

/** Writes `text`, moving the fake clock until `backend` has stored it once; its conversation. */
async function writeUntilStored(p, backend, text) {
  await write(p, text);
  let found;
  await until(`${backend} stores "${text}"`, async () => {
    await p.clock.runFor(1000);
    found = (await env.sandbox.conversations(backend)).find((c) => copiesOf(c.messages, text) === 1);
    return found !== undefined;
  });
  await mine(p, text, 'sent').waitFor();
  return found;
}

test('local: back to the list, a new conversation, the first opened again with its history; keyboard only, axe, the conversation event, and a reload keeps the list', async () => {
  const { context, page: p, console } = await open('/local.html');
  await p.evaluate(() => {
    window.opened = [];
    Helpwire.on('conversation', (c) => window.opened.push(c.id));
  });
  const back = p.getByRole('button', { name: 'Back to conversations' });
  assert.equal(await back.isVisible(), false, 'nothing to go back to before the first message');
  await send(p, 'How do I export my data?');
  await p.evaluate(() => Helpwire.testing.reply('Use Settings, then Export.'));
  await p.getByText('Use Settings, then Export.').waitFor();

  // Keyboard: Shift+Tab from the composer walks back through the log and close to the back button.
  await back.focus();
  await p.keyboard.press('Enter');
  assert.deepEqual((await listed(p)).map((t) => t.split('\n')[0]), ['Use Settings, then Export.']);
  assert.match(await focused(p), /^conversation:Use Settings, then Export\./, 'focus moves into the list');
  assert.equal(await p.getByRole('textbox', { name: 'Message to support' }).isVisible(), false);
  assert.equal(await back.isVisible(), false);
  await assertNoAxeViolations(p);

  const fresh = p.getByRole('button', { name: 'New conversation' });
  await fresh.focus();
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => document.querySelector('helpwire-chat').shadowRoot.activeElement?.id === 'hw-input');
  assert.equal(await p.locator('helpwire-chat .message').count(), 0, 'a new conversation starts empty');
  await send(p, 'Can I change my plan?');

  await back.click();
  const items = await listed(p);
  assert.equal(items.length, 2);
  assert.match(items[0], /^Can I change my plan\?/, 'newest activity first');
  assert.match(items[1], /^Use Settings, then Export\./);
  await p.getByRole('button', { name: /^Use Settings, then Export\./ }).press('Enter');
  await mine(p, 'How do I export my data?', 'sent').waitFor();
  await p.getByText('Use Settings, then Export.').waitFor();
  assert.equal(await mine(p, 'Can I change my plan?').count(), 0, 'only that conversation shows');
  const opened = await p.evaluate(() => window.opened);
  assert.equal(opened.length, 1);
  assert.ok(opened[0], 'the event names the conversation');

  // The list and the conversation on screen survive a reload.
  await p.reload();
  await waitForState(p);
  await p.evaluate(() => Helpwire.showConversations());
  assert.equal((await listed(p)).length, 2);
  assert.deepEqual(console.pageErrors, []);
  assert.deepEqual(console.errors, []);
  await context.close();
});

test('local: a message still on its way keeps the visitor in its conversation, and says why', async () => {
  const { context, page: p } = await open('/local.html');
  await send(p, 'First');
  await context.setOffline(true);
  await write(p, 'Written offline');
  await mine(p, 'Written offline', 'pending').waitFor();
  await p.evaluate(() => Helpwire.showConversations());
  const fresh = p.getByRole('button', { name: 'New conversation' });
  assert.equal(await fresh.getAttribute('aria-disabled'), 'true');
  await p.getByText('Your message is still being sent. You can switch once it is delivered.').waitFor();
  // Playwright does not click what is aria-disabled; the keyboard still reaches it.
  await fresh.focus();
  await p.keyboard.press('Enter');
  assert.equal(await p.getByRole('list', { name: 'Your conversations' }).isVisible(), true, 'still the list');
  await assertNoAxeViolations(p);
  // Online again, it is delivered; then a new conversation is allowed.
  await context.setOffline(false);
  await p.locator('helpwire-chat [data-current] button').click();
  await mine(p, 'Written offline', 'sent').waitFor({ timeout: 20000 });
  await p.evaluate(() => Helpwire.newConversation());
  await until('the new conversation', async () => (await p.locator('helpwire-chat .message').count()) === 0);
  await context.close();
});

test('local: a refused message goes with its conversation into the list and comes back with it, Retry then delivers it there', async () => {
  const { context, page: p } = await open('/local.html');
  await send(p, 'First');
  await p.evaluate(() => Helpwire.testing.failNextDelivery());
  await write(p, 'Refused once');
  await mine(p, 'Refused once', 'failed').waitFor();
  // Refused for good is not "on its way": the visitor may leave, and the text is not lost.
  await p.getByRole('button', { name: 'Back to conversations' }).click();
  const fresh = p.getByRole('button', { name: 'New conversation' });
  assert.equal(await fresh.getAttribute('aria-disabled'), null);
  await fresh.click();
  await send(p, 'Second topic');
  await p.reload();
  await waitForState(p);
  await p.evaluate(() => Helpwire.showConversations());
  assert.deepEqual((await listed(p)).map((t) => t.split('\n')[0]), ['Second topic', 'Refused once']);
  await p.getByRole('list', { name: 'Your conversations' }).getByRole('button', { name: /^Refused once/ }).click();
  await mine(p, 'First', 'sent').waitFor();
  await mine(p, 'Refused once', 'failed').waitFor();
  const texts = await p.locator('helpwire-chat .message').allInnerTexts();
  assert.ok(texts.findIndex((t) => t.includes('First')) < texts.findIndex((t) => t.includes('Refused once')), 'in order');
  await p.getByRole('button', { name: 'Retry' }).click();
  await mine(p, 'Refused once', 'sent').waitFor();
  await context.close();
});

test('local: support closes the conversation: it stays read-only with "Start a new conversation", and is marked closed in the list; keyboard, axe, a reload', async () => {
  const { context, page: p, console } = await open('/local.html');
  await send(p, 'My invoice is wrong');
  await p.getByRole('textbox', { name: 'Message to support' }).focus();
  await p.evaluate(() => Helpwire.testing.reply('Fixed it, closing this.', 0, { close: true }));
  await p.getByText('This conversation was closed by support.').waitFor();
  const startNew = p.getByRole('button', { name: 'Start a new conversation' });
  await startNew.waitFor();
  assert.equal(await p.getByRole('textbox', { name: 'Message to support' }).isVisible(), false, 'read-only');
  assert.match(await focused(p), /^new-conversation:Start a new conversation/, 'focus left the hidden composer for the button');
  await assertNoAxeViolations(p);

  // In the list it is marked closed (data-closed, and the word on the button).
  await p.getByRole('button', { name: 'Back to conversations' }).click();
  const item = p.getByRole('list', { name: 'Your conversations' }).getByRole('listitem');
  assert.equal(await item.count(), 1);
  assert.equal(await item.getAttribute('data-closed'), '');
  assert.match(await item.getByRole('button').innerText(), /^Fixed it, closing this\.\nClosed\n/);
  await assertNoAxeViolations(p);
  // Opened again from the list: still read-only, focus on the button.
  await item.getByRole('button').press('Enter');
  await startNew.waitFor();
  assert.match(await focused(p), /^new-conversation:/);

  // Keyboard: the button starts a new conversation, with the composer back and focused.
  await p.keyboard.press('Enter');
  await p.waitForFunction(() => document.querySelector('helpwire-chat').shadowRoot.activeElement?.id === 'hw-input');
  assert.equal(await p.locator('helpwire-chat .message').count(), 0);
  await send(p, 'Another question');
  await p.reload();
  await waitForState(p);
  await p.evaluate(() => Helpwire.showConversations());
  const closed = p.locator('helpwire-chat li[data-closed]');
  await closed.waitFor();
  assert.equal(await closed.count(), 1);
  assert.match(await closed.innerText(), /^Fixed it, closing this\./);
  assert.deepEqual(console.pageErrors, []);
  assert.deepEqual(console.errors, []);
  await context.close();
});

test('local in Arabic: the list is translated and mirrored', async () => {
  const { context, page: p } = await open('/local-ar.html');
  await p.locator('helpwire-chat textarea').fill('مرحبا');
  await p.locator('helpwire-chat textarea').press('Enter');
  await mine(p, 'مرحبا', 'sent').waitFor();
  await p.evaluate(() => Helpwire.showConversations());
  await p.getByRole('list', { name: 'محادثاتك' }).waitFor();
  await p.getByRole('button', { name: 'محادثة جديدة' }).waitFor();
  assert.equal(await p.locator('helpwire-chat').getAttribute('dir'), 'rtl');
  await assertNoAxeViolations(p);
  await context.close();
});

test('bancroft: two conversations, each message stored exactly once in its own', async () => {
  const { context, page: p } = await open('/bancroft.html');
  await send(p, 'About my invoice');
  await p.evaluate(() => Helpwire.newConversation());
  await until('the new conversation', async () => (await p.locator('helpwire-chat .message').count()) === 0);
  await send(p, 'About my password');
  let stored;
  await until('two conversations in Bancroft', async () => {
    stored = await env.sandbox.conversations('bancroft');
    return stored.filter((c) => copiesOf(c.messages, 'About my invoice') + copiesOf(c.messages, 'About my password') > 0).length === 2;
  });
  for (const text of ['About my invoice', 'About my password']) {
    assert.equal(stored.reduce((n, c) => n + copiesOf(c.messages, text), 0), 1, `${text}: once`);
  }
  // Opening the first reads its history from Bancroft.
  await p.evaluate(() => Helpwire.showConversations());
  await p.getByRole('button', { name: /^About my invoice/ }).click();
  await mine(p, 'About my invoice', 'sent').waitFor();
  await send(p, 'Still about the invoice');
  stored = await env.sandbox.conversations('bancroft');
  const first = stored.find((c) => copiesOf(c.messages, 'About my invoice') === 1);
  assert.equal(copiesOf(first.messages, 'Still about the invoice'), 1, 'written in the conversation on screen');
  await context.close();
});

test('bancroft: support resolves the conversation; the widget reads its status, shows it read-only, and a message refused by it goes to a new one on Retry', async () => {
  const { context, page: p, console } = await openOnFakeClock('/bancroft.html');
  const { id } = await writeUntilStored(p, 'bancroft', 'My parcel is late');
  await env.sandbox.close('bancroft', { conversation: id });
  // Written before the widget has read the status: Bancroft refuses it.
  await write(p, 'Hello?');
  await mine(p, 'Hello?', 'failed').waitFor();
  // Every fourth read asks for the status: at most four polls (4 s apart) to see it.
  const startNew = p.getByRole('button', { name: 'Start a new conversation' });
  await until('read-only', async () => {
    await p.clock.runFor(4000);
    return startNew.isVisible();
  });
  await p.getByText('This conversation was closed by support.').waitFor();
  assert.equal(await p.getByRole('textbox', { name: 'Message to support' }).isVisible(), false);
  // Retry: the refused message goes to a new conversation, stored once there.
  await p.getByRole('button', { name: 'Retry' }).click();
  await until('sent in a new one', async () => {
    await p.clock.runFor(1000);
    return (await mine(p, 'Hello?', 'sent').count()) === 1;
  });
  const holders = (await env.sandbox.conversations('bancroft')).filter((c) => copiesOf(c.messages, 'Hello?') === 1);
  assert.equal(holders.length, 1);
  assert.notEqual(holders[0].id, id, 'not in the resolved one');
  await p.evaluate(() => Helpwire.showConversations());
  assert.equal(await p.locator('helpwire-chat li[data-closed]').count(), 1);
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('bancroft: closed while a message is still on its way: "Start a new conversation" waits for it and says why, then the refused message goes to a new one', async () => {
  const { context, page: p, console } = await openOnFakeClock('/bancroft.html');
  const { id } = await writeUntilStored(p, 'bancroft', 'Where is my refund?');
  await env.sandbox.close('bancroft', { conversation: id });
  // The next message meets a passing outage: it stays on its way (retried) while the widget
  // reads the status and learns of the close.
  let refused = 0;
  await p.route('**/messages/create/', (route) => {
    refused += 1;
    return route.fulfill({ status: 503, body: 'busy' });
  });
  await write(p, 'Any news?');
  await mine(p, 'Any news?', 'pending').waitFor();
  const startNew = p.getByRole('button', { name: 'Start a new conversation' });
  await until('read-only', async () => {
    await p.clock.runFor(4000);
    return startNew.isVisible();
  });
  assert.ok(refused >= 1, 'the outage was met');
  assert.equal(await mine(p, 'Any news?', 'pending').count(), 1, 'still on its way');
  assert.equal(await startNew.getAttribute('aria-disabled'), 'true');
  const why = p.getByText('Your message is still being sent. You can switch once it is delivered.');
  await why.waitFor();
  assert.equal(await startNew.getAttribute('aria-describedby'), await why.getAttribute('id'));
  await assertNoAxeViolations(p);
  // Pressed anyway (the keyboard reaches it): the visitor stays with their message.
  await startNew.focus();
  await p.keyboard.press('Enter');
  assert.equal(await mine(p, 'Any news?', 'pending').count(), 1);
  assert.equal(await startNew.isVisible(), true);
  // The outage ends: Bancroft refuses the message for the closed conversation, so it waits for
  // Retry, and the visitor may start anew; Retry takes it to a new conversation.
  await p.unroute('**/messages/create/');
  await until('refused for good', async () => {
    await p.clock.runFor(2000);
    return (await mine(p, 'Any news?', 'failed').count()) === 1;
  });
  assert.equal(await startNew.getAttribute('aria-disabled'), null);
  assert.equal(await why.count(), 0);
  await p.getByRole('button', { name: 'Retry' }).click();
  await until('sent in a new one', async () => {
    await p.clock.runFor(1000);
    return (await mine(p, 'Any news?', 'sent').count()) === 1;
  });
  const holders = (await env.sandbox.conversations('bancroft')).filter((c) => copiesOf(c.messages, 'Any news?') === 1);
  assert.equal(holders.length, 1);
  assert.notEqual(holders[0].id, id);
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('gleap: support closes the ticket; the widget reads its status, shows it read-only, and "Start a new conversation" opens a new ticket', async () => {
  const { context, page: p, console } = await openOnFakeClock('/gleap.html');
  const ticket = await writeUntilStored(p, 'gleap', 'My export fails');
  await env.sandbox.close('gleap', { conversation: ticket._id });
  // Every fourth read asks for the ticket: at most four polls (6 s apart) to see it.
  const startNew = p.getByRole('button', { name: 'Start a new conversation' });
  await until('read-only', async () => {
    await p.clock.runFor(6000);
    return startNew.isVisible();
  });
  await p.getByText('This conversation was closed by support.').waitFor();
  assert.equal(await p.getByRole('textbox', { name: 'Message to support' }).isVisible(), false);
  await assertNoAxeViolations(p);
  await startNew.click();
  await write(p, 'Another question');
  await until('a new ticket', async () => {
    await p.clock.runFor(1000);
    return (await env.sandbox.conversations('gleap')).some((c) => copiesOf(c.messages, 'Another question') === 1);
  });
  const holders = (await env.sandbox.conversations('gleap')).filter((c) => copiesOf(c.messages, 'Another question') === 1);
  assert.equal(holders.length, 1);
  assert.notEqual(holders[0]._id, ticket._id, 'not in the closed ticket');
  await p.evaluate(() => Helpwire.showConversations());
  assert.equal(await p.locator('helpwire-chat li[data-closed]').count(), 1);
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('eusate: an answer pushed to a conversation not on screen stays out of it, and shows when the visitor opens that one; its close marks it in the list', async () => {
  const { context, page: p } = await open('/eusate.html');
  await send(p, 'First topic on eusate');
  // Eusate's AI answers at once, over the socket.
  await p.locator('helpwire-chat [data-author=bot]').first().waitFor({ timeout: 20000 });
  const first = (await env.sandbox.conversations('eusate')).find((c) => copiesOf(c.messages, 'First topic on eusate') === 1);
  await p.evaluate(() => Helpwire.newConversation());
  await until('the new conversation', async () => (await p.locator('helpwire-chat .message').count()) === 0);
  await send(p, 'Second topic on eusate');
  await p.locator('helpwire-chat [data-author=bot]').first().waitFor({ timeout: 20000 });
  const second = (await env.sandbox.conversations('eusate')).find((c) => copiesOf(c.messages, 'Second topic on eusate') === 1);
  assert.notEqual(first.id, second.id, 'the second message opened a conversation of its own');

  // Eusate pushes an agent's answer to the customer's room, so the socket carries it.
  const pushed = await env.sandbox.reply('eusate', { conversation: first.id, text: 'An agent answers the first topic' });
  assert.ok(pushed.delivered >= 1, 'the widget\'s socket got the push');
  // Pushes arrive in order: once a later one to the conversation on screen shows, the first's
  // was handled.
  await env.sandbox.reply('eusate', { conversation: second.id, text: 'An agent answers the second topic' });
  await p.locator('helpwire-chat [data-author=agent]').filter({ hasText: 'An agent answers the second topic' }).waitFor();
  assert.equal(await p.locator('helpwire-chat .message').filter({ hasText: 'An agent answers the first topic' }).count(), 0,
    'not in the conversation on screen');

  // Support closes the first: pushed too, it marks the first in the list, not the one on screen.
  await env.sandbox.close('eusate', { conversation: first.id });
  await p.evaluate(() => Helpwire.showConversations());
  const closed = p.getByRole('list', { name: 'Your conversations' }).locator('[data-closed]');
  await closed.waitFor();
  assert.equal(await closed.count(), 1);
  await assertNoAxeViolations(p);
  await closed.getByRole('button').click();
  await p.locator('helpwire-chat [data-author=agent]').filter({ hasText: 'An agent answers the first topic' }).waitFor();
  await mine(p, 'First topic on eusate', 'sent').waitFor();
  assert.equal(await mine(p, 'Second topic on eusate').count(), 0, 'only that conversation shows');
  await p.getByRole('button', { name: 'Start a new conversation' }).waitFor();
  await context.close();
});

test('eusate: an identified visitor on a new device finds the conversations they had on another (Eusate lists them per session), and opens one with its history', async () => {
  const userId = `u-devices-${Date.now()}`;
  const identified = async (context) => {
    const p = await context.newPage();
    await p.goto(`${env.base}/eusate.html`);
    await waitForState(p);
    await p.evaluate((id) => { Helpwire.identify({ userId: id }); Helpwire.open(); }, userId);
    await p.getByRole('dialog').waitFor();
    return p;
  };
  const laptop = await env.browser.newContext();
  const first = await identified(laptop);
  await send(first, 'Asked on my laptop');
  await first.locator('helpwire-chat [data-author=bot]').first().waitFor({ timeout: 20000 });
  await laptop.close();

  // Another browser: nothing of the laptop's in its storage.
  const phone = await env.browser.newContext();
  const p = await identified(phone);
  await p.evaluate(() => Helpwire.showConversations());
  const list = p.getByRole('list', { name: 'Your conversations' });
  const item = list.getByRole('button', { name: /^SATE here\. You asked: "Asked on my laptop"/ });
  await item.waitFor({ timeout: 20000 });
  await assertNoAxeViolations(p);
  await item.click();
  await mine(p, 'Asked on my laptop', 'sent').waitFor();
  await p.locator('helpwire-chat [data-author=bot]').first().waitFor();
  // Writing there goes on in that conversation.
  await send(p, 'Now on my phone');
  await until('the phone\'s message stored in the laptop\'s conversation', async () =>
    (await env.sandbox.conversations('eusate')).some((c) => copiesOf(c.messages, 'Asked on my laptop') === 1
      && copiesOf(c.messages, 'Now on my phone') === 1));
  await phone.close();
});

test('the list\'s parts are styleable from the page', async () => {
  const { context, page: p } = await open('/parts.html');
  await send(p, 'Theming');
  await p.evaluate(() => Helpwire.showConversations());
  await p.getByRole('list', { name: 'Your conversations' }).waitFor();
  const style = (selector, property) => p.locator(`helpwire-chat ${selector}`).first()
    .evaluate((el, prop) => getComputedStyle(el)[prop], property);
  assert.equal(await style('[part=back]', 'color'), 'rgb(1, 2, 3)');
  assert.equal(await style('[part=conversations]', 'paddingTop'), '21px');
  assert.equal(await style('[part=conversation]', 'borderTopColor'), 'rgb(4, 5, 6)');
  assert.equal(await style('[part=new-conversation]', 'backgroundColor'), 'rgb(7, 8, 9)');
  await context.close();
});

test('pictures of the list for the README: light, dark, Arabic right to left (docs/conversations-*.png, written with UPDATE_SCREENSHOTS=1)', async () => {
  await checkPictures(env.browser, `${env.base}/list-shot.html`, looks('conversations-'), async (p) => {
    const box = p.locator('helpwire-chat textarea');
    await box.fill('Where is my order #1042?');
    await box.press('Enter');
    await mine(p, 'Where is my order #1042?', 'sent').waitFor();
    await p.evaluate(() => Helpwire.testing.reply('It left our warehouse this morning and arrives on Thursday.'));
    await p.locator('helpwire-chat [data-author=agent]').waitFor();
    await p.evaluate(() => Helpwire.newConversation());
    await box.fill('Can I move to the yearly plan?');
    await box.press('Enter');
    await mine(p, 'Can I move to the yearly plan?', 'sent').waitFor();
    await p.evaluate(() => Helpwire.showConversations());
    await p.locator('helpwire-chat [part=conversations] li').nth(1).waitFor();
    await box.evaluate((el) => el.blur());
  });
});

for (const backend of ['gurusup', 'bot', 'gleap', 'eusate']) {
  test(`${backend}: a second conversation, and the first one shown again with what it said`, async () => {
    const { context, page: p } = await open(`/${backend}.html`);
    await send(p, `First topic on ${backend}`);
    if (backend === 'gleap') {
      // Gleap's agents answer in the ticket; the widget reads it.
      const ticket = (await env.sandbox.conversations('gleap')).find((c) => copiesOf(c.messages, 'First topic on gleap') === 1);
      await env.sandbox.reply('gleap', { conversation: ticket._id, text: 'An agent answers on Gleap' });
    }
    // Support's answer (the bot answers the send itself; Gurusup's system reply comes with it).
    await p.locator('helpwire-chat [data-author=agent], helpwire-chat [data-author=bot]').first().waitFor({ timeout: 20000 });
    const answers = await p.locator('helpwire-chat [data-author=agent], helpwire-chat [data-author=bot]').count();
    await p.evaluate(() => Helpwire.newConversation());
    await until('the new conversation', async () => (await p.locator('helpwire-chat .message').count()) === 0);
    await send(p, `Second topic on ${backend}`);
    await p.evaluate(() => Helpwire.showConversations());
    assert.equal((await listed(p)).length, 2);
    // Newest first: the second, then the first (named by its last message, support's answer).
    await p.locator('helpwire-chat [part=conversation]').nth(1).click();
    await mine(p, `First topic on ${backend}`, 'sent').waitFor();
    await until('the answers again', async () => (await p.locator('helpwire-chat [data-author=agent], helpwire-chat [data-author=bot]').count()) === answers);
    assert.equal(await mine(p, `Second topic on ${backend}`).count(), 0, 'only that conversation shows');
    await assertNoAxeViolations(p);
    await context.close();
  });
}
