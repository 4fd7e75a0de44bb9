// The widget's `relay` bundle end to end: the page talks only to helpwire-relay (relay/), which
// holds the vendor's key and talks to the sandbox helpdesk. Each test asserts on what the
// visitor sees, and counts what the helpdesk stored through the sandbox's control API.
// A backend is one `relayFor(kind)` away (relay.mjs starts one relay per backend for the file),
// so Eusate and the event stream add tests here, not harness.
import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { launch, startServer, hostPage, waitForState, mine, write, pauseClock, until } from './harness.mjs';
import { startSandbox, conversationId, copiesOf } from './sandbox.mjs';
import { startRelay, startRedis, startBalancer, API_KEYS, WEBHOOK_KEY } from './relay.mjs';

let browser;
let server;
let base;
let sandbox;
const pages = {}; // served by the page server, filled as the tests need them
const stops = []; // relays, Redis, balancers: stopped after the file
const relays = {};

// Short enough that a test of the helpdesk not answering waits little; loopback answers in ms.
const LIMITS = { upstream_timeout_ms: 3000 };

before(async () => {
  sandbox = await startSandbox();
  browser = await launch();
  ({ server, url: base } = await startServer({ pages }));
});

// A test that failed halfway must not leave its faults to the next one.
beforeEach(async () => { await sandbox.clearFaults(); });

after(async () => {
  await browser?.close();
  server?.close();
  for (const stop of stops.reverse()) await stop();
  sandbox?.stop();
});

/** Starts a relay for `kind` against the sandbox, allowing the test pages' origin. */
async function newRelay(kind, options = {}) {
  const relay = await startRelay({ kind, sandboxUrl: sandbox.url, origin: base, limits: LIMITS, ...options });
  stops.push(relay.stop);
  return relay;
}

/** The file's relay for `kind`, started on first use. */
async function relayFor(kind) {
  relays[kind] ??= newRelay(kind);
  return relays[kind];
}

/** A host page whose widget uses the relay bundle with `apiBase`; returns its URL. */
function relayPage(name, apiBase) {
  pages[`/${name}.html`] = hostPage({ attrs: `data-provider="relay" data-api-base="${apiBase}"` });
  return `${base}/${name}.html`;
}

/**
 * Opens `url` in a new browser context and the widget's panel. Records every request the page
 * makes (URL, headers, body) and every answer's body, for the checks of `assertOnlyRelay`, and,
 * in order as they happen, each request and answer (`traffic.log`, see `streamsOpened` and
 * `readsSince`). `clock: true` installs Playwright's fake clock first (it runs on until a test
 * pauses it).
 */
async function visit(url, { clock = false } = {}) {
  const context = await browser.newContext();
  if (clock) await context.clock.install();
  const page = await context.newPage();
  const traffic = { requests: [], bodies: [], pageErrors: [], log: [] };
  page.on('request', (r) => traffic.log.push({ kind: 'request', method: r.method(), path: new URL(r.url()).pathname }));
  page.on('response', (r) => traffic.log.push({
    kind: 'response', method: r.request().method(), path: new URL(r.url()).pathname, status: r.status(),
  }));
  // allHeaders() has the headers as sent (cookies included); headers() is what is known before.
  page.on('request', (r) => traffic.requests.push(
    r.allHeaders().catch(() => r.headers()).then((headers) => ({ method: r.method(), url: r.url(), headers, body: r.postData() ?? '' })),
  ));
  // An event stream's body is complete only when the stream ends, which it does not while the
  // page is open: its events are checked by the relay's own tests (relay/tests/it/events.rs).
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/v1/events') return;
    traffic.bodies.push(r.text().then((text) => ({ url: r.url(), text }), () => ({ url: r.url(), text: '' })));
  });
  page.on('pageerror', (e) => traffic.pageErrors.push(e.message));
  page.on('dialog', (d) => { traffic.pageErrors.push(`dialog: ${d.message()}`); d.dismiss(); });
  await page.goto(url);
  await openPanel(page);
  return { context, page, traffic };
}

async function openPanel(page) {
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  await page.getByRole('dialog').waitFor();
}

/** Writes `text` and waits until the relay confirmed it (data-status="sent"). */
async function send(page, text) {
  await write(page, text);
  await mine(page, text, 'sent').waitFor({ timeout: 20000 });
}

/** A support-side message (agent or bot) containing `text`, as the visitor sees it. */
function fromSupport(page, text) {
  return page.locator('helpwire-chat :is([data-author="agent"], [data-author="bot"])').filter({ hasText: text });
}

/** The one conversation the sandbox stored for `kind` whose messages include `text`. */
async function storedWith(kind, text) {
  const found = (await sandbox.conversations(kind)).filter((c) => copiesOf(c.messages, text) > 0);
  assert.equal(found.length, 1, `${kind}: one conversation holds "${text}", got ${found.length}`);
  return found[0];
}

/** The visitor's messages with `text` shown in the log (the widget keeps one element each). */
async function shownCount(page, text) {
  return mine(page, text).count();
}

/**
 * Every request the page made went to the page's own server or to `relayUrl`, and no vendor key
 * appears in any request (URL, headers, body), any answer's body, the page's HTML or its storage.
 */
async function assertOnlyRelay({ page, traffic }, relayUrl) {
  const keys = [...Object.values(API_KEYS), WEBHOOK_KEY].map((k) => k.replace(/^Bearer /, ''));
  const allowed = new Set([new URL(base).origin, new URL(relayUrl).origin]);
  const requests = await Promise.all(traffic.requests);
  assert.ok(requests.some((r) => r.url.startsWith(relayUrl)), 'the page talked to the relay');
  for (const r of requests) {
    assert.ok(allowed.has(new URL(r.url).origin), `the page only talks to its own server and the relay: ${r.method} ${r.url}`);
    const seen = `${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`;
    for (const key of keys) assert.ok(!seen.includes(key), `no vendor key in ${r.method} ${r.url}`);
  }
  const bodies = await Promise.all(traffic.bodies);
  const html = await page.content();
  const shadow = await page.locator('helpwire-chat').evaluate((host) => host.shadowRoot.innerHTML);
  const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  for (const key of keys) {
    for (const b of bodies) assert.ok(!b.text.includes(key), `no vendor key in the answer of ${b.url}`);
    for (const [what, text] of [['HTML', html], ['widget', shadow], ['storage', storage]]) {
      assert.ok(!text.includes(key), `no vendor key in the page's ${what}`);
    }
  }
}

// 1. The whole flow through the relay, for each backend it serves whose agents answer later
// (the bot answers only with a send).
for (const kind of ['gleap', 'gurusup', 'bancroft']) {
  test(`${kind} through the relay: write, support answers, reload keeps the conversation; no key in the page`, async () => {
    const relay = await relayFor(kind);
    const visitor = await visit(relayPage(`flow-${kind}`, relay.url));
    const { page, context, traffic } = visitor;
    const first = `Hello ${kind} via the relay, where is order #${Date.now()}?`;
    await send(page, first);
    if (kind === 'gurusup') {
      // Gurusup answers every send at once (its AI): the relay passes the reply along.
      await fromSupport(page, first.slice(0, 40)).waitFor({ timeout: 20000 });
    }
    const conversation = await storedWith(kind, first);
    assert.equal(copiesOf(conversation.messages, first), 1, 'stored exactly once');

    const agentText = `An agent answers the ${kind} visitor: it ships tomorrow.`;
    await sandbox.reply(kind, { conversation: conversationId(kind, conversation), text: agentText });
    await fromSupport(page, agentText).waitFor({ timeout: 20000 });
    if (kind === 'gurusup') {
      // The poll that brought the agent's answer read the automatic one again: shown once.
      assert.equal(await fromSupport(page, first.slice(0, 40)).count(), 1, 'the automatic answer shown once');
    }

    await page.reload();
    await openPanel(page);
    await fromSupport(page, agentText).waitFor({ timeout: 20000 });
    await mine(page, first, 'sent').waitFor();
    const second = `One more ${kind} question after the reload.`;
    await send(page, second);
    const after = await storedWith(kind, second);
    assert.equal(conversationId(kind, after), conversationId(kind, conversation), 'the same conversation, resumed');
    assert.equal(copiesOf(after.messages, first), 1);
    assert.equal(copiesOf(after.messages, second), 1);
    assert.equal(await shownCount(page, first), 1, 'no duplicate after the reload');

    await assertOnlyRelay(visitor, relay.url);
    assert.deepEqual(traffic.pageErrors, []);
    await context.close();
  });
}

test('bot through the relay: the endpoint answers each send, rich answers rendered; no key in the page', async () => {
  const relay = await relayFor('bot');
  const visitor = await visit(relayPage('flow-bot', relay.url));
  const { page, context, traffic } = visitor;
  await send(page, 'What are your opening hours?');
  const answers = page.locator('helpwire-chat [data-author="bot"]');
  // The answer to the first message comes with the opening of the conversation: the relay keeps
  // no history of the bot's answers, so no poll would ever bring it.
  await answers.first().waitFor({ timeout: 20000 });
  // The sandbox's bot answers every second send with a TipTap document, rebuilt by the relay.
  await send(page, 'And on weekends?');
  await answers.nth(1).locator('li').first().waitFor({ timeout: 20000 });
  assert.ok(await answers.nth(1).locator('strong').count() >= 1, 'bold mark rendered');
  await page.reload();
  await openPanel(page);
  await answers.nth(1).locator('li').first().waitFor({ timeout: 20000 });
  assert.equal(await answers.count(), 2, 'both answers kept over the reload, once each');
  await assertOnlyRelay(visitor, relay.url);
  assert.deepEqual(traffic.pageErrors, []);
  await context.close();
});

// 2. The helpdesk fails behind the relay: the visitor sees the message waiting and the widget
// trying again, and once the fault clears it is delivered, stored and shown exactly once.
const NOTICE = 'Connection lost. Retrying…';
const FAULTS = [
  { label: 'a 500', fault: { mode: 'status', status: 500 } },
  { label: 'no answer within the relay\'s timeout', fault: { mode: 'delay', delay_ms: LIMITS.upstream_timeout_ms + 2000 } },
  { label: 'a garbage body', fault: { mode: 'malformed' } },
];
const SEND_PATH = { gleap: '/messages', gurusup: '/messages' };

for (const kind of ['gleap', 'gurusup']) {
  test(`${kind} through the relay: the helpdesk failing is a retry the visitor sees, then one delivery`, async () => {
    const relay = await relayFor(kind);
    const { page, context, traffic } = await visit(relayPage(`faults-${kind}`, relay.url));
    await send(page, `${kind} warm-up before the faults`);
    const notice = page.getByRole('dialog').getByRole('status').filter({ hasText: NOTICE });

    for (const { label, fault } of FAULTS) {
      const text = `${kind} under ${label}`;
      // Every send fails until the fault is cleared: the state is there to be seen, not raced.
      await sandbox.fault({ backend: kind, method: 'POST', path: SEND_PATH[kind], count: 1000, ...fault });
      await write(page, text);
      await notice.waitFor({ timeout: 20000 });
      await mine(page, text, 'pending').waitFor();
      assert.equal(await sandbox.stored(kind, text), 0, `${label}: nothing stored while the helpdesk fails`);
      await sandbox.clearFaults();
      await mine(page, text, 'sent').waitFor({ timeout: 40000 });
      await notice.waitFor({ state: 'detached', timeout: 20000 });
      assert.equal(await sandbox.stored(kind, text), 1, `${label}: stored exactly once`);
      assert.equal(await shownCount(page, text), 1, `${label}: shown once`);
    }
    // Slow but within the relay's timeout: the message waits as "Sending…", then is sent once.
    const slow = `${kind} under a slow helpdesk`;
    await sandbox.fault({ backend: kind, method: 'POST', path: SEND_PATH[kind], count: 1, mode: 'delay', delay_ms: 1500 });
    await write(page, slow);
    await mine(page, slow, 'pending').waitFor();
    await mine(page, slow, 'sent').waitFor({ timeout: 20000 });
    assert.equal(await sandbox.stored(kind, slow), 1, 'slow: stored exactly once');
    assert.equal(await shownCount(page, slow), 1, 'slow: shown once');

    // The helpdesk stored the message but its answer to the relay was cut: the relay cannot know
    // (502), the widget reads the conversation before sending again and finds it there.
    const cut = `${kind} whose helpdesk answer was cut`;
    await sandbox.fault({ backend: kind, method: 'POST', path: SEND_PATH[kind], count: 1, mode: 'drop_after' });
    await write(page, cut);
    await mine(page, cut, 'sent').waitFor({ timeout: 30000 });
    assert.equal(await sandbox.stored(kind, cut), 1, 'answer cut: stored exactly once');
    assert.equal(await shownCount(page, cut), 1, 'answer cut: shown once');

    assert.equal(await page.locator('helpwire-chat [data-status="failed"]').count(), 0, 'nothing marked failed');
    assert.match(relay.log(), /POST/, 'the relay logs its requests (stderr)');
    assert.ok(!relay.log().includes(API_KEYS[kind]), 'the relay never logs the vendor key');
    assert.deepEqual(traffic.pageErrors, []);
    await context.close();
  });
}

// 3. Two relay instances sharing one Redis behind a round-robin balancer.
test('gleap through two relay instances sharing Redis: the conversation works on both, a retried send is stored once', async () => {
  const redis = await startRedis();
  stops.push(redis.stop);
  const instances = [await newRelay('gleap', { redisUrl: redis.url }), await newRelay('gleap', { redisUrl: redis.url })];
  const balancer = await startBalancer(instances.map((r) => r.url));
  stops.push(balancer.stop);
  const { page, context, traffic } = await visit(relayPage('two-instances', balancer.url));

  // The first send opens the conversation; its answer is lost after instance A delivered it.
  // The widget sends it again (same client_id), which the balancer gives to instance B: B finds
  // A's delivery in Redis and answers with it instead of opening a second conversation.
  const first = `Opened through instance A, answer lost #${Date.now()}`;
  const lost = balancer.loseNext({ method: 'POST', path: /^\/v1\/conversations$/ });
  await write(page, first);
  const cut = await lost;
  assert.equal(cut.status, 201, `instance A delivered: ${cut.body}`);
  await mine(page, first, 'sent').waitFor({ timeout: 30000 });
  const opens = balancer.served.filter((s) => s.method === 'POST' && s.path === '/v1/conversations');
  assert.deepEqual(opens.map((s) => [s.instance, s.status, s.lost]), [[cut.instance, 201, true], [1 - cut.instance, 201, false]],
    'the retry reached the other instance and succeeded');
  const conversation = await storedWith('gleap', first);
  assert.equal(copiesOf(conversation.messages, first), 1, 'the first message stored once');

  // A send into the open conversation whose answer is lost, then whatever the widget does next
  // (read the conversation, or send again to the other instance): stored once, shown once.
  const second = `Sent again after a lost answer #${Date.now()}`;
  const lostSend = balancer.loseNext({ method: 'POST', path: /^\/v1\/conversations\/[^/]+\/messages$/ });
  await write(page, second);
  assert.equal((await lostSend).status, 201);
  await mine(page, second, 'sent').waitFor({ timeout: 30000 });
  assert.equal(await sandbox.stored('gleap', second), 1, 'the second message stored once');
  assert.equal(await shownCount(page, second), 1);

  // Polls alternate between the instances: an agent's answer arrives, and a reload resumes.
  const agentText = 'Answered while the visitor is spread over two instances.';
  await sandbox.reply('gleap', { conversation: conversationId('gleap', conversation), text: agentText });
  await fromSupport(page, agentText).waitFor({ timeout: 20000 });
  await page.reload();
  await openPanel(page);
  await fromSupport(page, agentText).waitFor({ timeout: 20000 });
  const third = 'Still the same conversation after the reload.';
  await send(page, third);
  assert.equal(conversationId('gleap', await storedWith('gleap', third)), conversationId('gleap', conversation));
  const used = new Set(balancer.served.filter((s) => s.path.startsWith('/v1/conversations/')).map((s) => s.instance));
  assert.deepEqual([...used].sort(), [0, 1], 'both instances served the conversation');
  assert.equal(await shownCount(page, first), 1);
  assert.deepEqual(traffic.pageErrors, []);
  await context.close();
});

// 4. Two visitors on one relay: neither ever sees the other's conversation.
test('gleap through the relay: visitor B never sees visitor A\'s messages', async () => {
  const relay = await relayFor('gleap');
  const url = relayPage('two-visitors', relay.url);
  const a = await visit(url);
  const b = await visit(url);
  const secretA = `A's private message #${Date.now()}`;
  await send(a.page, secretA);
  const textB = `B's own question #${Date.now()}`;
  await send(b.page, textB);
  const convA = await storedWith('gleap', secretA);
  const convB = await storedWith('gleap', textB);
  assert.notEqual(conversationId('gleap', convA), conversationId('gleap', convB), 'two conversations');
  const answerA = 'Only for A: your refund is approved.';
  const answerB = 'Only for B: we will call you.';
  await sandbox.reply('gleap', { conversation: conversationId('gleap', convA), text: answerA });
  await sandbox.reply('gleap', { conversation: conversationId('gleap', convB), text: answerB });
  // Each sees its own answer: the polls that brought them ran after both answers were stored.
  await fromSupport(a.page, answerA).waitFor({ timeout: 20000 });
  await fromSupport(b.page, answerB).waitFor({ timeout: 20000 });
  await b.page.reload();
  await openPanel(b.page);
  await fromSupport(b.page, answerB).waitFor({ timeout: 20000 });
  const seenByB = await b.page.locator('helpwire-chat').evaluate((host) => host.shadowRoot.textContent);
  for (const t of [secretA, answerA]) assert.ok(!seenByB.includes(t), `B never sees "${t}"`);
  const seenByA = await a.page.locator('helpwire-chat').evaluate((host) => host.shadowRoot.textContent);
  for (const t of [textB, answerB]) assert.ok(!seenByA.includes(t), `A never sees "${t}"`);
  const bodiesB = await Promise.all(b.traffic.bodies);
  assert.ok(bodiesB.every((r) => !r.text.includes(secretA) && !r.text.includes(answerA)), 'nothing of A reached B\'s page');
  await a.context.close();
  await b.context.close();
});

// 5. Pushes: Eusate (the relay's socket) and Gurusup's webhook, carried by `GET /v1/events`.
const READ = /^\/v1\/conversations\/[^/]+\/messages$/;

/** The event streams the relay opened for the page so far (200 answers to GET /v1/events). */
function streamsOpened(traffic) {
  return traffic.log.filter((e) => e.kind === 'response' && e.path === '/v1/events' && e.status === 200).length;
}

/** The page's reads of a conversation (GET …/messages) since position `mark` of its log. */
function readsSince(traffic, mark, kind = 'request') {
  return traffic.log.slice(mark).filter((e) => e.kind === kind && e.method === 'GET' && READ.test(e.path));
}

/**
 * Proves that support's answer `text`, made by `deliver()`, reached the page by the event stream:
 * the page's fake clock is paused first, so none of the widget's timers run and no poll can start
 * (polls are timer-driven); and the page's log must show no read of the messages after the answer
 * was made, which would fail the test should a read ever run without a timer. A poll cannot pass
 * this test, only the stream can.
 */
async function arrivesByStream(page, traffic, text, deliver) {
  await pauseClock(page);
  const mark = traffic.log.length;
  const answer = await deliver();
  await fromSupport(page, text).waitFor({ timeout: 10000 });
  assert.deepEqual(readsSince(traffic, mark), [], 'no read of the messages was made: it came by the stream');
  assert.equal(await fromSupport(page, text).count(), 1, 'shown once');
  return answer;
}

/**
 * Runs the paused page clock past the widget's poll interval while streaming (30 s), resumes it
 * and waits for that poll's answer: what the stream showed must not be shown again by the poll.
 */
async function nextPoll(page, traffic) {
  const mark = traffic.log.length;
  await page.clock.runFor(31_000);
  await page.clock.resume();
  await until('a poll of the messages', () => readsSince(traffic, mark, 'response').length > 0);
}

test('eusate through the relay: SATE answers, an agent\'s reply and the closing come by the stream, the closed conversation is read-only and a new one follows; no key in the page', async () => {
  const relay = await relayFor('eusate');
  const visitor = await visit(relayPage('flow-eusate', relay.url), { clock: true });
  const { page, context, traffic } = visitor;
  const first = `Hello eusate via the relay, where is order #${Date.now()}?`;
  await send(page, first);
  await fromSupport(page, `SATE here. You asked: "${first}"`).waitFor({ timeout: 20000 });
  const conversation = await storedWith('eusate', first);
  assert.equal(copiesOf(conversation.messages, first), 1, 'stored exactly once');
  // The stream opens with the token that owns the new conversation.
  await until('the event stream', () => streamsOpened(traffic) >= 1);

  const agentText = 'An Eusate agent answers: your order ships tomorrow.';
  const pushed = await arrivesByStream(page, traffic, agentText,
    () => sandbox.reply('eusate', { conversation: conversationId('eusate', conversation), text: agentText }));
  assert.ok(pushed.delivered >= 1, 'the relay\'s socket for the visitor got the push');
  await nextPoll(page, traffic);
  assert.equal(await fromSupport(page, agentText).count(), 1, 'the poll after the push shows it once');
  // That poll read Eusate's history, where the agent's reply marked the visitor's messages read:
  // the relay passes it on as `seen`, shown under the visitor's last message.
  const seenMark = page.locator('helpwire-chat [data-author="visitor"] .seen');
  await seenMark.waitFor({ timeout: 10000 });
  assert.equal(await seenMark.count(), 1);
  assert.equal(await page.locator('helpwire-chat [data-author="visitor"]').filter({ hasText: first }).locator('.seen').count(), 1);

  // Support closes the conversation: the closing notice comes by the stream too, as a system
  // message in Eusate's own words (the sandbox's envelope says "Conversation closed").
  await pauseClock(page);
  const mark = traffic.log.length;
  await sandbox.close('eusate', { conversation: conversationId('eusate', conversation) });
  const notice = page.locator('helpwire-chat [data-author="system"]').filter({ hasText: 'Conversation closed' });
  await notice.waitFor({ timeout: 10000 });
  assert.deepEqual(readsSince(traffic, mark), [], 'the closing came by the stream');
  await page.clock.resume();
  assert.equal(await notice.count(), 1, 'the closing notice shown once');
  assert.equal(await page.locator('helpwire-chat [data-author="system"]').count(), 1, 'in Eusate\'s words only, not the widget\'s as well');
  // The closed conversation stays on screen, read-only: a new one starts from its button.
  assert.equal(await page.getByRole('textbox', { name: 'Message to support' }).isVisible(), false);
  await page.getByRole('button', { name: 'Start a new conversation' }).click();

  const second = `A new question after the closing #${Date.now()}`;
  await send(page, second);
  await fromSupport(page, `SATE here. You asked: "${second}"`).waitFor({ timeout: 20000 });
  const next = await storedWith('eusate', second);
  assert.notEqual(conversationId('eusate', next), conversationId('eusate', conversation), 'a new conversation');
  assert.equal(copiesOf(next.messages, second), 1);
  assert.equal(await shownCount(page, second), 1);
  // The closed one is in the list, marked.
  await page.evaluate(() => Helpwire.showConversations());
  await page.locator('helpwire-chat li[data-closed]').waitFor();
  assert.equal(await page.locator('helpwire-chat li[data-closed]').count(), 1);

  await assertOnlyRelay(visitor, relay.url);
  assert.ok(!relay.log().includes(API_KEYS.eusate), 'the relay never logs the Eusate key');
  assert.deepEqual(traffic.pageErrors, []);
  await context.close();
});

test('bancroft through the relay: support resolves the conversation; the relay reads its status, the widget shows it read-only, and "Start a new conversation" opens a new one', async () => {
  const relay = await relayFor('bancroft');
  const visitor = await visit(relayPage('resolved-bancroft', relay.url), { clock: true });
  const { page, context, traffic } = visitor;
  const first = `Please resolve this, order #${Date.now()}`;
  await send(page, first);
  const conversation = await storedWith('bancroft', first);
  // The widget's polls on the paused clock: each runFor is one poll (4 s), the status is read on
  // every fourth.
  await pauseClock(page);
  await sandbox.close('bancroft', { conversation: conversationId('bancroft', conversation) });
  const notice = page.getByText('This conversation was closed by support.');
  await until('the close', async () => {
    await page.clock.runFor(4_100);
    return (await notice.count()) === 1;
  });
  await page.clock.resume();
  // Read-only now, with "Start a new conversation" in place of the composer.
  assert.equal(await page.getByRole('textbox', { name: 'Message to support' }).isVisible(), false);
  assert.equal(await notice.count(), 1, 'the notice shown once');
  await page.getByRole('button', { name: 'Start a new conversation' }).click();
  const second = `A new question after the resolve #${Date.now()}`;
  await send(page, second);
  const next = await storedWith('bancroft', second);
  assert.notEqual(conversationId('bancroft', next), conversationId('bancroft', conversation), 'a new conversation');
  assert.equal(copiesOf(next.messages, second), 1);
  await page.evaluate(() => Helpwire.showConversations());
  assert.equal(await page.locator('helpwire-chat li[data-closed]').count(), 1, 'the resolved one marked in the list');
  await assertOnlyRelay(visitor, relay.url);
  assert.deepEqual(traffic.pageErrors, []);
  await context.close();
});

test('contact details through the relay: the pre-chat email (Bancroft) and the late offer (bot) reach the helpdesk as a claimed email, never as the identity', async () => {
  // Bancroft: the pre-chat form, before the first message.
  const bancroft = await relayFor('bancroft');
  pages['/relay-prechat.html'] = hostPage({ attrs: `data-provider="relay" data-api-base="${bancroft.url}" data-prechat="email"` });
  const one = await visit(`${base}/relay-prechat.html`);
  const form = one.page.getByRole('form', { name: 'Contact details' });
  await form.getByRole('textbox', { name: 'Email' }).fill('ada@example.com');
  await form.getByRole('textbox', { name: 'Email' }).press('Enter');
  await form.waitFor({ state: 'detached' });
  const first = `Pre-chat through the relay #${Date.now()}`;
  await send(one.page, first);
  const stored = await storedWith('bancroft', first);
  assert.ok(JSON.stringify(stored).includes('ada@example.com'), 'kept with the conversation as the claimed email');
  assert.notEqual(stored.requester?.email, 'ada@example.com', 'never the requester: the page cannot prove an email');
  await assertOnlyRelay(one, bancroft.url);
  assert.deepEqual(one.traffic.pageErrors, []);
  await one.context.close();

  // The bot: an anonymous visitor takes the offer after their first message; the endpoint hears
  // of it with the next one.
  const bot = await relayFor('bot');
  const two = await visit(relayPage('relay-offer', bot.url));
  const hello = `Anonymous through the relay #${Date.now()}`;
  await send(two.page, hello);
  const offer = two.page.getByRole('form', { name: 'Get the answer by email' });
  await offer.getByRole('textbox', { name: 'Email' }).fill('late@example.com');
  await offer.getByRole('textbox', { name: 'Email' }).press('Enter');
  await offer.waitFor({ state: 'detached' });
  const again = `And one more #${Date.now()}`;
  await send(two.page, again);
  // The bot sandbox keeps each call's text beside the comment it came in, and the last session.
  const conversation = (await sandbox.conversations('bot')).find((c) => c.messages.some((m) => m.text === again));
  assert.ok(conversation, 'the endpoint got the message');
  assert.ok(JSON.stringify(conversation.session).includes('late@example.com'), 'and the claimed email with it');
  assert.notEqual(conversation.session?.email, 'late@example.com', 'never as the identity');
  await assertOnlyRelay(two, bot.url);
  assert.deepEqual(two.traffic.pageErrors, []);
  await two.context.close();
});

test('bancroft through the relay: a second conversation, and the first one shown again with what it said; each message stored once in its own', async () => {
  const relay = await relayFor('bancroft');
  const visitor = await visit(relayPage('list-bancroft', relay.url));
  const { page, context, traffic } = visitor;
  const first = `First topic through the relay #${Date.now()}`;
  await send(page, first);
  const one = await storedWith('bancroft', first);
  const agentText = `An agent answers the first topic #${Date.now()}`;
  await sandbox.reply('bancroft', { conversation: conversationId('bancroft', one), text: agentText });
  await fromSupport(page, agentText).waitFor({ timeout: 20000 });
  await page.evaluate(() => Helpwire.newConversation());
  await until('the new conversation', async () => (await page.locator('helpwire-chat .message').count()) === 0);
  const second = `Second topic through the relay #${Date.now()}`;
  await send(page, second);
  const two = await storedWith('bancroft', second);
  assert.notEqual(conversationId('bancroft', two), conversationId('bancroft', one), 'a conversation of its own');
  await page.evaluate(() => Helpwire.showConversations());
  const list = page.getByRole('list', { name: 'Your conversations' });
  await list.waitFor();
  assert.equal(await list.getByRole('listitem').count(), 2);
  // Newest first: the first conversation is the second line; opening it reads it again.
  await page.locator('helpwire-chat [part=conversation]').nth(1).click();
  await mine(page, first, 'sent').waitFor({ timeout: 20000 });
  await fromSupport(page, agentText).waitFor({ timeout: 20000 });
  assert.equal(await mine(page, second).count(), 0, 'only that conversation shows');
  assert.equal(copiesOf((await storedWith('bancroft', first)).messages, first), 1, 'stored once');
  assert.equal(copiesOf((await storedWith('bancroft', second)).messages, second), 1, 'stored once');
  await assertOnlyRelay(visitor, relay.url);
  assert.deepEqual(traffic.pageErrors, []);
  await context.close();
});

test('eusate through the relay: a verified visitor on a new browser finds the conversation started on another, opens it with its history and writes on in it', async () => {
  const identitySecret = 'e2e-identity-secret-0123456789abcdef-XYZ';
  const relay = await newRelay('eusate', { identitySecret });
  const url = relayPage('relay-eusate-verified', relay.url);
  const userId = `u-relay-${Date.now()}`;
  const userHash = crypto.createHmac('sha256', identitySecret).update(userId).digest('hex');
  const identify = (page) => page.evaluate(([id, hash]) => Helpwire.identify({ userId: id, userHash: hash }), [userId, userHash]);

  const laptop = await visit(url);
  await identify(laptop.page);
  const first = `Asked on my laptop #${Date.now()}`;
  await send(laptop.page, first);
  await fromSupport(laptop.page, 'SATE here').waitFor({ timeout: 20000 });
  await laptop.context.close();

  // Another browser: nothing of the laptop's in its storage; the relay's token for the same
  // verified user owns the laptop's conversation, which Eusate lists by the derived session.
  const phone = await visit(url);
  await identify(phone.page);
  await phone.page.evaluate(() => Helpwire.showConversations());
  const item = phone.page.getByRole('list', { name: 'Your conversations' }).getByRole('button', { name: /^SATE here/ });
  await item.waitFor({ timeout: 20000 });
  await item.click();
  await mine(phone.page, first, 'sent').waitFor({ timeout: 20000 });
  const later = `Now on my phone #${Date.now()}`;
  await send(phone.page, later);
  await until('the phone\'s message stored once, in the laptop\'s conversation', async () =>
    copiesOf((await storedWith('eusate', first)).messages, later) === 1);
  await assertOnlyRelay(phone, relay.url);
  assert.deepEqual(phone.traffic.pageErrors, []);
  await phone.context.close();
});

test('bancroft through the relay: a verified visitor on a new browser finds the conversation started on another by its subject, reads what support answered and writes on in it', async () => {
  const identitySecret = 'e2e-identity-secret-bancroft-0123456789abcdef';
  const relay = await newRelay('bancroft', { identitySecret });
  const url = relayPage('relay-bancroft-verified', relay.url);
  const userId = `u-relay-b-${Date.now()}`;
  const userHash = crypto.createHmac('sha256', identitySecret).update(userId).digest('hex');
  const identify = (page) => page.evaluate(([id, hash]) => Helpwire.identify({ userId: id, userHash: hash }), [userId, userHash]);

  const laptop = await visit(url);
  await identify(laptop.page);
  const first = `Asked Bancroft on my laptop #${Date.now()}`;
  await send(laptop.page, first);
  const stored = await storedWith('bancroft', first);
  const answer = `An agent answers the laptop #${Date.now()}`;
  await sandbox.reply('bancroft', { conversation: conversationId('bancroft', stored), text: answer });
  await fromSupport(laptop.page, answer).waitFor({ timeout: 20000 });
  await laptop.context.close();

  // Another browser: Bancroft lists the verified user's conversations by the requester email
  // the relay derives from them. The list's line is the subject (the first message) until the
  // light check, due at once, reads the last one: either may be on screen.
  const phone = await visit(url);
  await identify(phone.page);
  await phone.page.evaluate(() => Helpwire.showConversations());
  const item = phone.page.getByRole('list', { name: 'Your conversations' })
    .getByRole('button', { name: /^(Asked Bancroft on my laptop|An agent answers the laptop)/ });
  await item.waitFor({ timeout: 20000 });
  await item.click();
  await mine(phone.page, first, 'sent').waitFor({ timeout: 20000 });
  await fromSupport(phone.page, answer).waitFor({ timeout: 20000 });
  const later = `Now on my phone #${Date.now()}`;
  await send(phone.page, later);
  await until('the phone\'s message stored once, in the laptop\'s conversation', async () =>
    copiesOf((await storedWith('bancroft', first)).messages, later) === 1);
  await assertOnlyRelay(phone, relay.url);
  assert.deepEqual(phone.traffic.pageErrors, []);
  await phone.context.close();
});

/** Points the sandbox's Gurusup webhook at `relay`, for one test (`off()` after it). */
async function hookTo(relay) {
  await sandbox.webhook({ url: `${relay.url}/v1/hooks/gurusup`, key: WEBHOOK_KEY });
  return () => sandbox.webhook({ url: null });
}

/** Opens a Gurusup conversation through `apiBase` and waits for its stream; resolves to it. */
async function gurusupConversation(page, traffic, label) {
  const first = `Hello gurusup ${label} #${Date.now()}`;
  await send(page, first);
  await fromSupport(page, first.slice(0, 30)).waitFor({ timeout: 20000 });
  await until('the event stream', () => streamsOpened(traffic) >= 1);
  return storedWith('gurusup', first);
}

test('gurusup through the relay: an agent\'s reply comes by the webhook and the stream, shown once', async () => {
  const relay = await newRelay('gurusup', { webhook: true });
  const off = await hookTo(relay);
  try {
    const visitor = await visit(relayPage('webhook-gurusup', relay.url), { clock: true });
    const { page, context, traffic } = visitor;
    const conversation = await gurusupConversation(page, traffic, 'via the webhook');
    const before = await sandbox.webhookStatus();
    const agentText = 'A Gurusup agent answers through the webhook.';
    await arrivesByStream(page, traffic, agentText,
      () => sandbox.reply('gurusup', { conversation: conversationId('gurusup', conversation), text: agentText }));
    const after = await sandbox.webhookStatus();
    assert.equal(after.sent, before.sent + 1, 'the webhook delivered the reply to the relay');
    assert.equal(after.failed, 0);
    await nextPoll(page, traffic);
    assert.equal(await fromSupport(page, agentText).count(), 1, 'the poll after the push shows it once');
    await assertOnlyRelay(visitor, relay.url);
    assert.ok(!relay.log().includes(WEBHOOK_KEY), 'the relay never logs the webhook key');
    assert.deepEqual(traffic.pageErrors, []);
    await context.close();
  } finally {
    await off();
  }
});

// 6. Two instances sharing Redis: the webhook reaches instance A, the visitor's stream is on B.
test('gurusup through two relay instances sharing Redis: the webhook reply on A reaches the stream on B', async () => {
  const redis = await startRedis();
  stops.push(redis.stop);
  const a = await newRelay('gurusup', { webhook: true, redisUrl: redis.url });
  const b = await newRelay('gurusup', { webhook: true, redisUrl: redis.url });
  const off = await hookTo(a);
  try {
    // The page talks to B only, so its stream is on B; Gurusup calls A.
    const { page, context, traffic } = await visit(relayPage('webhook-two-instances', b.url), { clock: true });
    const conversation = await gurusupConversation(page, traffic, 'across instances');
    const agentText = 'Answered on instance A, shown through instance B.';
    await arrivesByStream(page, traffic, agentText,
      () => sandbox.reply('gurusup', { conversation: conversationId('gurusup', conversation), text: agentText }));
    assert.match(a.log(), /\/v1\/hooks\/gurusup/, 'the webhook went to A');
    assert.doesNotMatch(b.log(), /\/v1\/hooks\/gurusup/, 'not to B');
    assert.doesNotMatch(a.log(), /\/v1\/events/, 'the stream was never on A');
    assert.deepEqual(traffic.pageErrors, []);
    await context.close();
  } finally {
    await off();
  }
});

// 7. The stream is cut: its relay stops, another starts on the same port.
test('eusate through the relay: the stream\'s relay restarts, the widget reconnects and a reply sent meanwhile is shown once', async () => {
  const old = await newRelay('eusate');
  const { page, context, traffic } = await visit(relayPage('stream-cut', old.url), { clock: true });
  const first = `Before the relay restarts #${Date.now()}`;
  await send(page, first);
  await fromSupport(page, `SATE here. You asked: "${first}"`).waitFor({ timeout: 20000 });
  const conversation = conversationId('eusate', await storedWith('eusate', first));
  await until('the event stream', () => streamsOpened(traffic) >= 1);

  // SIGTERM: the relay ends its streams and its Eusate socket, then exits.
  await old.stop();
  const meanwhile = 'Agent reply while the relay was down.';
  const missed = await sandbox.reply('eusate', { conversation, text: meanwhile });
  assert.equal(missed.delivered, 0, 'no socket got it: only Eusate\'s history holds it');
  const relay = await newRelay('eusate', { port: old.port });
  // The widget opens a new stream (its catch-up read, or a poll, brings what it missed).
  await until('the reopened event stream', () => streamsOpened(traffic) >= 2, 40000);
  await fromSupport(page, meanwhile).waitFor({ timeout: 20000 });
  assert.equal(await fromSupport(page, meanwhile).count(), 1, 'the reply sent meanwhile shown once');

  // The new stream carries pushes again, through the new relay's own socket.
  const afterwards = 'Agent reply after the restart.';
  await arrivesByStream(page, traffic, afterwards,
    () => sandbox.reply('eusate', { conversation, text: afterwards }));
  await nextPoll(page, traffic);
  assert.equal(await fromSupport(page, meanwhile).count(), 1, 'still once after a poll');
  assert.equal(await fromSupport(page, afterwards).count(), 1, 'still once after a poll');
  assert.equal(await shownCount(page, first), 1);
  assert.match(relay.log(), /\/v1\/events/, 'the new instance serves the stream');
  assert.deepEqual(traffic.pageErrors, []);
  await context.close();
});
