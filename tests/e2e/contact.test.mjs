// Contact details end to end (issue #18 §2): the pre-chat form (`data-prechat`), the "Get the
// answer by email" offer and the privacy line (`data-privacy-url`), on the bundles that link them
// (README, Contact details): the sandbox's bot endpoint, Bancroft and Gleap, which must receive
// what the visitor entered; the others ignore the settings with a console warning. Keyboard only,
// axe in each new state, a reload never asks again. Runs on the release build in dist/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchConsole, waitForState, mine, write, until, assertNoAxeViolations } from './harness.mjs';
import { checkPictures, looks } from './screenshots.mjs';
import { serveWithSandbox } from './sandbox.mjs';

const PRIVACY = 'https://example.com/privacy';

/** A clean host page (a main landmark), so every axe violation is the widget's. */
function page(attrs, head = '') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host page</title>
<link rel="icon" href="data:,">${head}<script async src="/helpwire.js" ${attrs}></script></head>
<body><main><h1>A host page</h1></main></body></html>`;
}

const env = serveWithSandbox((s) => {
  const bot = `data-provider="bot" data-api-base="${s}/bot" data-api-key="Bearer bot_test"`;
  return {
    '/prechat.html': page(`${bot} data-prechat="name-email" data-privacy-url="${PRIVACY}"`),
    '/prechat-ar.html': page(`${bot} data-prechat="email" data-locale="ar"`),
    '/identified.html': page(
      `${bot} data-prechat="name-email"`,
      `<script>window.HelpwireSettings = { privacyUrl: 'javascript:alert(1)' };
addEventListener('load', () => Helpwire.identify({ email: 'ada@example.com' }));</script>`,
    ),
    '/prechat-shot.html': page(`${bot} data-prechat="name-email" data-privacy-url="${PRIVACY}"`),
    '/offer.html': page(`${bot} data-privacy-url="${PRIVACY}"`),
    '/bancroft.html': page(`data-provider="bancroft" data-api-base="${s}/bancroft" data-api-key="bnc_cl_test" data-prechat="name-email"`),
    '/bancroft-anon.html': page(`data-provider="bancroft" data-api-base="${s}/bancroft" data-api-key="bnc_cl_test"`),
    '/bot-email.html': page(`${bot} data-prechat="email"`),
    '/gleap.html': page(`data-provider="gleap" data-api-base="${s}/gleap" data-prechat="email"`),
    '/gleap-anon.html': page(`data-provider="gleap" data-api-base="${s}/gleap"`),
    '/local.html': page(`data-provider="local" data-local-replies="script" data-prechat="name-email" data-privacy-url="${PRIVACY}"`),
    '/local-anon.html': page(`data-provider="local" data-local-replies="script"`),
    // A bundle without the forms: the settings are ignored, with a console warning.
    '/gurusup.html': page(`data-provider="gurusup" data-api-base="${s}/gurusup" data-prechat="email" data-privacy-url="${PRIVACY}"`),
  };
});

/** Opens `pathname` in a fresh context and opens the panel with the keyboard. */
async function open(pathname, launcher = /^Support chat/) {
  const context = await env.browser.newContext();
  const p = await context.newPage();
  const console = watchConsole(p);
  await p.goto(`${env.base}${pathname}`);
  await waitForState(p);
  await p.getByRole('button', { name: launcher }).focus();
  await p.keyboard.press('Enter');
  await p.getByRole('dialog').waitFor();
  return { context, page: p, console };
}

/** The element focused inside the widget's shadow root, as `tag#id`. */
function focused(p) {
  return p.evaluate(() => {
    const el = document.querySelector('helpwire-chat').shadowRoot.activeElement;
    if (!el) return null;
    return el.id ? `${el.tagName.toLowerCase()}#${el.id}` : `${el.tagName.toLowerCase()}:${el.textContent}`;
  });
}

/** Sends `text` with the keyboard and waits until the backend has it. */
async function send(p, text) {
  await write(p, text);
  await mine(p, text, 'sent').waitFor({ timeout: 20000 });
}

/** The visitor as the widget stored it. */
function storedVisitor(p) {
  return p.evaluate(() => Object.entries(localStorage)
    .filter(([k]) => k.startsWith('helpwire:'))
    .map(([, v]) => { try { return JSON.parse(v); } catch { return null; } })
    .find((v) => v?.visitor)?.visitor);
}

/** The sandbox's conversations of `backend` once `check(list)` holds (a positive condition, never
 *  a "nothing happened" wait), within 10 s. */
async function conversationsOnce(backend, check, what) {
  let list;
  await until(`${backend}: ${what}`, async () => check((list = await env.sandbox.conversations(backend))), 10_000);
  return list;
}

test('pre-chat form: keyboard only, inline errors in place, Enter submits, the privacy link, axe, and a reload does not ask again', async () => {
  const { context, page: p, console } = await open('/prechat.html');
  const form = p.getByRole('form', { name: 'Contact details' });
  await form.waitFor();
  const name = form.getByRole('textbox', { name: 'Name' });
  const email = form.getByRole('textbox', { name: 'Email' });
  // The form comes first: the composer waits, and opening put focus in the first field.
  assert.equal(await p.getByRole('textbox', { name: 'Message to support' }).isVisible(), false);
  assert.equal(await focused(p), 'input#hw-name');

  // Nothing typed: Enter shows the name's error, and focus stays on it.
  await p.keyboard.press('Enter');
  await assert.doesNotReject(() => p.getByText('Enter your name.').waitFor());
  assert.equal(await name.getAttribute('aria-invalid'), 'true');
  assert.equal(await name.getAttribute('aria-describedby'), 'hw-name-error');
  assert.equal(await focused(p), 'input#hw-name');
  await p.keyboard.type('Ada Lovelace');
  await p.keyboard.press('Tab');
  assert.equal(await focused(p), 'input#hw-email');
  await p.keyboard.type('ada@example');
  await p.keyboard.press('Enter');
  await p.getByText('Enter an email address like name@example.com.').waitFor();
  assert.equal(await name.getAttribute('aria-invalid'), null, 'the fixed field is no longer marked');
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.equal(await focused(p), 'input#hw-email');
  await assertNoAxeViolations(p);

  const link = form.getByRole('link', { name: 'Privacy policy' });
  assert.equal(await link.getAttribute('href'), PRIVACY);
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener');

  await p.keyboard.type('.com');
  await p.keyboard.press('Enter');
  await form.waitFor({ state: 'detached' });
  const composer = p.getByRole('textbox', { name: 'Message to support' });
  assert.equal(await composer.isVisible(), true);
  assert.equal(await focused(p), 'textarea#hw-input');
  await send(p, 'Hello from Ada');
  await assertNoAxeViolations(p);

  // Kept: a reload asks nothing, and an identified visitor gets no email offer either.
  await p.reload();
  await waitForState(p);
  await p.getByRole('button', { name: /^Support chat/ }).click();
  await mine(p, 'Hello from Ada').waitFor();
  assert.equal(await p.getByRole('form').count(), 0);
  const visitor = await storedVisitor(p);
  assert.equal(visitor.email, 'ada@example.com');
  assert.equal(visitor.name, 'Ada Lovelace');
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('a field the site already gave with identify() is not asked; a privacy URL that is not http(s) is refused', async () => {
  const { context, page: p, console } = await open('/identified.html');
  const form = p.getByRole('form', { name: 'Contact details' });
  await form.getByRole('textbox', { name: 'Name' }).waitFor();
  assert.equal(await form.getByRole('textbox', { name: 'Email' }).count(), 0);
  assert.equal(await form.getByRole('link').count(), 0, 'no link for javascript:');
  assert.ok(
    [...console.errors, ...console.warnings].some((m) => m.includes('HelpwireSettings.privacyUrl') && m.includes('http(s)')),
    `a console message names the setting: ${[...console.errors, ...console.warnings]}`,
  );
  await p.keyboard.type('Ada');
  await p.keyboard.press('Enter');
  await form.waitFor({ state: 'detached' });
  assert.equal(await focused(p), 'textarea#hw-input');
  await context.close();
});

test('the pre-chat form in Arabic, right to left', async () => {
  const { context, page: p } = await open('/prechat-ar.html', /^محادثة الدعم/);
  const form = p.getByRole('form', { name: 'بيانات الاتصال' });
  await form.getByRole('textbox', { name: 'البريد الإلكتروني' }).waitFor();
  await p.keyboard.press('Enter');
  await p.getByText('أدخل بريدًا إلكترونيًا مثل name@example.com.').waitFor();
  assert.equal(await p.locator('helpwire-chat').getAttribute('dir'), 'rtl');
  await assertNoAxeViolations(p);
  await context.close();
});

test('email offer after the first message: keyboard dismissal is remembered across reloads', async () => {
  const { context, page: p } = await open('/offer.html');
  assert.equal(await p.getByRole('form').count(), 0, 'no offer before the visitor writes');
  await send(p, 'My order is late');
  const offer = p.getByRole('form', { name: 'Get the answer by email' });
  await offer.waitFor();
  await offer.getByRole('textbox', { name: 'Email' }).waitFor();
  assert.equal(await offer.getByRole('link', { name: 'Privacy policy' }).getAttribute('rel'), 'noopener');
  await assertNoAxeViolations(p);
  // Keyboard only: the offer comes after Send (the composer's Tab order is unchanged).
  assert.equal(await focused(p), 'textarea#hw-input');
  const order = [];
  for (let i = 0; i < 4; i++) {
    await p.keyboard.press('Tab');
    order.push(await focused(p));
  }
  assert.deepEqual(order, ['button:Send', 'input#hw-email', 'button:Save', 'button:No thanks']);
  await p.keyboard.press('Enter');
  await offer.waitFor({ state: 'detached' });
  assert.equal(await focused(p), 'textarea#hw-input');
  await p.reload();
  await waitForState(p);
  await p.getByRole('button', { name: /^Support chat/ }).click();
  await mine(p, 'My order is late').waitFor();
  assert.equal(await p.getByRole('form').count(), 0, 'dismissed for good');
  await context.close();
});

test('email offer accepted: validated, kept, and gone after a reload', async () => {
  const { context, page: p } = await open('/offer.html');
  await send(p, 'Is anyone there?');
  const offer = p.getByRole('form', { name: 'Get the answer by email' });
  const email = offer.getByRole('textbox', { name: 'Email' });
  await email.fill('ada at example');
  await email.press('Enter');
  await p.getByText('Enter an email address like name@example.com.').waitFor();
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  await email.fill(' ada@example.com ');
  await email.press('Enter');
  await offer.waitFor({ state: 'detached' });
  await p.reload();
  await waitForState(p);
  await p.getByRole('button', { name: /^Support chat/ }).click();
  await mine(p, 'Is anyone there?').waitFor();
  assert.equal(await p.getByRole('form').count(), 0);
  assert.equal((await storedVisitor(p)).email, 'ada@example.com', 'trimmed');
  await context.close();
});

test('Bancroft: the pre-chat details become the conversation\'s requester; no late offer (Bancroft cannot change it)', async () => {
  await env.sandbox.reset();
  const { context, page: p } = await open('/bancroft.html');
  const form = p.getByRole('form', { name: 'Contact details' });
  await form.getByRole('textbox', { name: 'Name' }).fill('Grace Hopper');
  await form.getByRole('textbox', { name: 'Email' }).fill('grace@example.com');
  await form.getByRole('textbox', { name: 'Email' }).press('Enter');
  await form.waitFor({ state: 'detached' });
  await send(p, 'Compiler question');
  const [conversation] = await conversationsOnce('bancroft', (l) => l.length === 1, 'one conversation');
  assert.equal(conversation.requester.email, 'grace@example.com');
  assert.equal(conversation.requester.first_name, 'Grace');
  assert.equal(conversation.requester.last_name, 'Hopper');
  await context.close();

  const anon = await open('/bancroft-anon.html');
  await send(anon.page, 'Anonymous question');
  assert.equal(await anon.page.getByRole('form').count(), 0, 'the offer is compiled out of the Bancroft bundle');
  await anon.context.close();
});

/** On `backend` (the sandbox's bot or Gleap): the pre-chat form's email on `prechatPage`, then,
 *  on `anonymousPage`, the late offer's, each reaching the stored conversation's session, which
 *  goes on (one conversation). `label` names the backend in the messages. Returns the
 *  conversations once the late email arrived. */
async function emailsReachTheSession(backend, prechatPage, anonymousPage, label) {
  await env.sandbox.reset();
  const { context, page: p } = await open(prechatPage);
  const email = p.getByRole('form', { name: 'Contact details' }).getByRole('textbox', { name: 'Email' });
  await email.fill('ada@example.com');
  await email.press('Enter');
  await send(p, `First to ${label}`);
  const [first] = await conversationsOnce(backend, (l) => l.length === 1, 'one conversation');
  assert.equal(first.session?.email, 'ada@example.com');
  await context.close();

  await env.sandbox.reset();
  const anon = await open(anonymousPage);
  await send(anon.page, `Anonymous to ${label}`);
  const [before] = await conversationsOnce(backend, (l) => l.length === 1, 'one conversation');
  assert.equal(before.session?.email ?? null, null, 'anonymous so far');
  const offer = anon.page.getByRole('form', { name: 'Get the answer by email' });
  await offer.getByRole('textbox', { name: 'Email' }).fill('late@example.com');
  await offer.getByRole('textbox', { name: 'Email' }).press('Enter');
  await offer.waitFor({ state: 'detached' });
  // The backend hears of it with the visitor's next message: the bot contract sends the session
  // with each call, and Gleap's session is posted again the next time the widget talks to it.
  await send(anon.page, `Second to ${label}`);
  const after = await conversationsOnce(backend, (l) => l[0]?.session?.email === 'late@example.com', 'the session has the email');
  assert.equal(after.length, 1, 'the same conversation goes on');
  await anon.context.close();
  return after;
}

test('bot: the pre-chat email and the late offer both reach the endpoint as session.email', async () => {
  await emailsReachTheSession('bot', '/bot-email.html', '/offer.html', 'the bot');
});

test('Gleap: the pre-chat email and the late offer both reach the visitor\'s session, and the ticket goes on', async () => {
  const [ticket] = await emailsReachTheSession('gleap', '/gleap.html', '/gleap-anon.html', 'Gleap');
  assert.equal(ticket.messages.filter((m) => /to Gleap/.test(JSON.stringify(m))).length, 2, 'both messages on it');
});

test('local: the pre-chat details and the late offer reach the in-browser helpdesk, which keeps them with the visitor\'s session', async () => {
  const contacts = (p) => p.evaluate(() => JSON.parse(localStorage.getItem('helpwire:v1:local-helpdesk') || '{}').contacts ?? {});
  const { context, page: p } = await open('/local.html');
  const form = p.getByRole('form', { name: 'Contact details' });
  await form.getByRole('textbox', { name: 'Name' }).fill('Ada Lovelace');
  await form.getByRole('textbox', { name: 'Email' }).fill('ada@example.com');
  await form.getByRole('textbox', { name: 'Email' }).press('Enter');
  await form.waitFor({ state: 'detached' });
  await send(p, 'Hello from the pre-chat form');
  assert.deepEqual(Object.values(await contacts(p)), [{ email: 'ada@example.com', name: 'Ada Lovelace' }]);
  await context.close();

  const anon = await open('/local-anon.html');
  await send(anon.page, 'Hello, anonymously');
  assert.deepEqual(await contacts(anon.page), {}, 'nothing given yet');
  const offer = anon.page.getByRole('form', { name: 'Get the answer by email' });
  await offer.getByRole('textbox', { name: 'Email' }).fill('late@example.com');
  await offer.getByRole('textbox', { name: 'Email' }).press('Enter');
  await offer.waitFor({ state: 'detached' });
  // The helpdesk hears of it the next time the widget talks to it.
  await send(anon.page, 'One more thing');
  await until('the helpdesk keeps the email', async () => JSON.stringify(await contacts(anon.page)).includes('late@example.com'));
  await anon.context.close();
});

test('a bundle without the forms (gurusup) ignores data-prechat and data-privacy-url with a console warning', async () => {
  for (const pathname of ['/gurusup.html']) {
    const { context, page: p, console } = await open(pathname);
    await p.getByRole('textbox', { name: 'Message to support' }).waitFor();
    assert.equal(await p.getByRole('form').count(), 0, `${pathname}: no form`);
    assert.ok(
      console.warnings.some((m) => m.includes('data-prechat')),
      `${pathname}: a console warning names data-prechat: ${console.warnings}`,
    );
    await context.close();
  }
});

test('pictures of the pre-chat form for the README: light, dark, Arabic right to left (docs/prechat-*.png, written with UPDATE_SCREENSHOTS=1)', async () => {
  await checkPictures(env.browser, `${env.base}/prechat-shot.html`, looks('prechat-'), async (p) => {
    await p.locator('helpwire-chat form.prechat').waitFor();
  });
});
