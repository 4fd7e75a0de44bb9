// The composer and the notices end to end: a message over the backend's limit stays in the box with
// the reason in the visitor's language and Send off (axe-clean), the counter near the limit, and
// a backend that refuses the widget shown as a translated notice that carries none of the
// backend's words (those go to the console). Runs on the release build in dist/ (local, gleap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchConsole, waitForState, servePages, assertNoAxeViolations } from './harness.mjs';

const PROXY = 'https://proxy.example.test/gleap';
/** The local helpdesk's limit (core/src/protocol/local.rs). */
const LIMIT = 4000;

/** A host page that is itself axe-clean (a main landmark), so every violation is the widget's. */
function page(attrs) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host page</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><script async src="/helpwire.js" ${attrs}></script></head>
<body><main><h1>A host page</h1><p>Some content.</p></main></body></html>`;
}

const env = servePages({
  '/local.html': page('data-provider="local"'),
  '/local-fr.html': page('data-provider="local" data-locale="fr"'),
  '/down-de.html': page(`data-provider="gleap" data-api-base="${PROXY}" data-locale="de"`),
});

async function open(pathname, prepare = async () => {}) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  const p = await context.newPage();
  const console = watchConsole(p);
  await prepare(p);
  await p.goto(`${env.base}${pathname}`);
  await waitForState(p);
  await p.locator('helpwire-chat .launcher').click();
  await p.getByRole('dialog').waitFor();
  return { context, page: p, console, box: p.locator('helpwire-chat textarea'), send: p.locator('helpwire-chat [part=send]') };
}

/** The text of the element an id reference names, inside the widget. */
const textOf = (p, id) => p.locator(`helpwire-chat #${id}`).innerText();

test('over the limit the text stays, Send is off with the visible reason, and axe is clean', async () => {
  const { context, page: p, box, send } = await open('/local.html');
  const count = p.locator('helpwire-chat .count');

  await box.fill('x'.repeat(LIMIT * 0.9 - 1));
  assert.equal(await count.isVisible(), false, 'no counter far from the limit');
  await box.fill('x'.repeat(LIMIT * 0.9));
  assert.equal(await count.innerText(), '3,600 / 4,000');
  assert.match(await box.getAttribute('aria-describedby'), /\bhw-count\b/);

  const long = 'y'.repeat(LIMIT + 1);
  await box.fill(long);
  assert.equal(await send.getAttribute('aria-disabled'), 'true');
  const reasonId = await send.getAttribute('aria-describedby');
  const reason = 'This message is too long: the limit is 4,000 characters. Shorten it to send it.';
  assert.equal(await textOf(p, reasonId), reason);
  assert.ok(await p.locator(`helpwire-chat #${reasonId}`).isVisible(), 'the reason shows');
  assert.equal(await count.innerText(), '4,001 / 4,000');
  // The Send button keeps the contract's role and name, and stays reachable by keyboard.
  await p.getByRole('button', { name: 'Send' }).focus();
  await assertNoAxeViolations(p, 'over the limit');

  assert.ok(await send.isDisabled(), 'disabled as far as assistive technology is concerned');
  await box.press('Enter');
  await send.click({ force: true }); // a click on it anyway does nothing
  assert.equal(await box.inputValue(), long, 'neither Enter nor Send throws the text away');
  assert.equal(await p.locator('helpwire-chat [data-author=visitor]').count(), 0, 'nothing was sent');

  // Shortened to the limit: it goes, and only then the box is cleared.
  await box.press('End');
  await box.press('Backspace');
  assert.equal(await send.getAttribute('aria-disabled'), null);
  await box.press('Enter');
  await p.locator('helpwire-chat [data-author=visitor]').waitFor();
  assert.equal(await box.inputValue(), '');
  assert.equal(await count.isVisible(), false);
  await context.close();
});

test('the reason and the counter follow the visitor\'s language and number format, also after setLocale()', async () => {
  const { context, page: p, box, send } = await open('/local-fr.html');
  await box.fill('z'.repeat(LIMIT + 20));
  const reason = await textOf(p, await send.getAttribute('aria-describedby'));
  // French groups thousands with a narrow no-break space.
  assert.equal(reason, 'Le message est trop long : 4\u202f000 caractères au maximum. Raccourcissez-le pour l\'envoyer.');
  assert.equal(await p.locator('helpwire-chat .count').innerText(), '4\u202f020 / 4\u202f000');
  // A language switch rewords them at once, text untouched.
  await p.evaluate(() => Helpwire.setLocale('de'));
  await p.locator('helpwire-chat .count').filter({ hasText: '4.020 / 4.000' }).waitFor();
  assert.equal(
    await textOf(p, await send.getAttribute('aria-describedby')),
    'Die Nachricht ist zu lang: höchstens 4.000 Zeichen. Kürzen Sie sie, um sie zu senden.',
  );
  assert.equal((await box.inputValue()).length, LIMIT + 20);
  await context.close();
});

test('a backend that refuses the widget: the notice is German, with none of the backend\'s words', async () => {
  const secret = 'SECRET-BODY-4711 key revoked for tenant acme';
  const { context, page: p, box, console } = await open('/down-de.html', (p) =>
    p.route(`${PROXY}/**`, (route) =>
      route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ error: secret }) })));
  await box.fill('Ist jemand da?');
  await box.press('Enter');
  const alert = p.getByRole('alert');
  await alert.waitFor({ timeout: 15000 });
  const text = await alert.innerText();
  assert.match(text, /^Der Support-Chat ist gerade nicht erreichbar\.\s*Erneut versuchen$/, text);
  for (const word of ['SECRET', '4711', 'acme', '401', 'HTTP']) {
    assert.ok(!text.includes(word), `"${word}" reached the visitor: ${text}`);
  }
  const shadowText = await p.locator('helpwire-chat [part=root]').evaluate((el) => el.innerHTML);
  assert.ok(!shadowText.includes('SECRET'), 'not in any attribute either');
  assert.ok(
    console.warnings.some((w) => w.startsWith('Helpwire:') && w.includes(secret)),
    `the detail is in the console: ${JSON.stringify(console.warnings)}`,
  );
  assert.equal(await p.locator('helpwire-chat [data-author=visitor][data-status=pending]').count(), 1, 'kept');
  await context.close();
});
