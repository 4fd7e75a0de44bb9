// Accessibility end to end: axe-core (WCAG 2.2 A/AA rules) on every state of the widget, keyboard-only
// flows, the live region, focus visibility, contrast of the default themes, reduced motion,
// forced colours and 200 % zoom. Runs on the release build in dist/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchConsole, waitForState, servePages, settled, pauseClock, axeViolations, assertNoAxeViolations } from './harness.mjs';
import { checkPictures, looks } from './screenshots.mjs';

const BOT = 'https://bot.example.test/answer';
const BANCROFT = 'https://help.example.test';

/** A host page that is itself clean (a main landmark), so that every violation is the widget's. */
function page(attrs = 'data-provider="local"') {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host page</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><script async src="/helpwire.js" ${attrs}></script></head>
<body><main><h1>A host page</h1><p>Some content.</p><button id="own" type="button">The page's own button</button></main></body></html>`;
}

const pages = {
  '/local.html': page(),
  '/dark.html': page('data-provider="local" data-theme="dark"'),
  '/ar.html': page('data-provider="local" data-locale="ar"'),
  '/bot.html': page(`data-provider="bot" data-api-base="${BOT}"`),
  '/bot-dark.html': page(`data-provider="bot" data-api-base="${BOT}" data-theme="dark"`),
  '/bot-ar.html': page(`data-provider="bot" data-api-base="${BOT}" data-locale="ar"`),
  '/down.html': page(`data-provider="gleap" data-api-base="${BANCROFT}"`),
};

const env = servePages(pages);

async function open(pathname, { clock = false, ...options } = {}) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const p = await context.newPage();
  const console = watchConsole(p);
  // A fake clock (it runs on until paused) for tests that drive the widget's timers themselves.
  if (clock) await p.clock.install();
  await p.goto(`${env.base}${pathname}`);
  await waitForState(p);
  return { context, page: p, console };
}

function widget(p, launcherName = /^Support chat/) {
  return {
    launcher: p.getByRole('button', { name: launcherName }),
    dialog: p.getByRole('dialog'),
    log: p.getByRole('log'),
    composer: p.locator('helpwire-chat textarea'),
    messages: (author) => p.locator(`helpwire-chat [data-author="${author}"]`),
  };
}

/** Answers the bot endpoint: `reply(text)` returns {status, body} or null to leave it pending. */
async function routeBot(p, reply) {
  await p.route(`${BOT}**`, async (route) => {
    const text = JSON.parse(route.request().postData()).comments.at(-1).comment;
    const answer = reply(text);
    if (answer === null) return; // never answered: the message stays pending
    await route.fulfill({ status: answer.status ?? 200, contentType: 'application/json', body: JSON.stringify(answer.body) });
  });
}

async function assertNoViolations(p, state) {
  await assertNoAxeViolations(p, `state "${state}"`);
}

async function openPanel(p) {
  const w = widget(p);
  await w.launcher.click();
  await w.dialog.waitFor();
  await settled(p); // the opening animation
  return w;
}

async function longConversation(p, count = 12) {
  await routeBot(p, (text) => ({ body: { message: `Answer to “${text}”: see **the guide** at [our docs](https://example.com/docs).\n- first step\n- second step` } }));
  const w = await openPanel(p);
  for (let i = 1; i <= count; i++) {
    await w.composer.fill(`Question number ${i}, with some more words to wrap the line a little`);
    await w.composer.press('Enter');
    await w.messages('bot').nth(i - 1).waitFor();
  }
  return w;
}

async function pendingAndFailed(p) {
  await routeBot(p, (text) => (text.includes('hold') ? null : { status: 400, body: { error: 'rejected' } }));
  const w = await openPanel(p);
  await w.composer.fill('this one will fail');
  await w.composer.press('Enter');
  await p.locator('helpwire-chat [data-status="failed"]').waitFor();
  await w.composer.fill('hold this one');
  await w.composer.press('Enter');
  await p.locator('helpwire-chat [data-status="pending"]').waitFor();
  return w;
}

// — axe on every state —

test('axe self-check: a violation inside the shadow root is reported', async () => {
  const { context, page: p } = await open('/local.html');
  await p.evaluate(() => {
    const b = document.createElement('button'); // a button without a name
    document.querySelector('helpwire-chat').shadowRoot.querySelector('[part=root]').append(b);
  });
  const violations = await axeViolations(p);
  assert.ok(violations.some((v) => v.startsWith('button-name')), violations.join('\n'));
  await context.close();
});

test('axe: closed', async () => {
  const { context, page: p } = await open('/local.html');
  await assertNoViolations(p, 'closed');
  await context.close();
});

test('axe: open and empty', async () => {
  const { context, page: p } = await open('/local.html');
  await openPanel(p);
  await assertNoViolations(p, 'open, empty');
  await context.close();
});

test('axe: a long conversation with rich text', async () => {
  const { context, page: p } = await open('/bot.html');
  await longConversation(p);
  await assertNoViolations(p, 'long conversation');
  await context.close();
});

test('axe: pending and failed messages', async () => {
  const { context, page: p } = await open('/bot.html');
  await pendingAndFailed(p);
  await assertNoViolations(p, 'pending and failed');
  await context.close();
});

test('axe: the error state (support unavailable)', async () => {
  const { context, page: p } = await open('/down.html');
  await p.route(`${BANCROFT}/**`, (route) => route.fulfill({ status: 401, contentType: 'application/json', body: '{"error":"invalid key"}' }));
  const w = await openPanel(p);
  await w.composer.fill('is anyone there?'); // the session starts with the first message
  await w.composer.press('Enter');
  await p.locator('helpwire-chat [role="alert"]').waitFor({ timeout: 15000 });
  assert.match(await p.locator('helpwire-chat [role="alert"]').innerText(), /unavailable/);
  await assertNoViolations(p, 'error');
  await context.close();
});

test('axe: closed with unread messages (badge), light and dark', async () => {
  for (const file of ['/bot.html', '/bot-dark.html']) {
    const { context, page: p } = await open(file);
    let panelClosed;
    const closed = new Promise((resolve) => { panelClosed = resolve; });
    await p.route(`${BOT}**`, async (route) => {
      await closed; // answered after the visitor closed the panel
      await route.fulfill({ status: 200, contentType: 'application/json', body: '{"message":"An answer"}' });
    });
    const w = await openPanel(p);
    await w.composer.fill('hello');
    await w.composer.press('Enter');
    await p.keyboard.press('Escape');
    await w.dialog.waitFor({ state: 'hidden' });
    panelClosed();
    await p.locator('helpwire-chat [part=badge]:not([hidden])').waitFor();
    await p.getByRole('button', { name: 'Support chat (1 unread message)' }).waitFor();
    await assertNoViolations(p, `unread badge ${file}`);
    await context.close();
  }
});

test('axe: dark theme, with a conversation, pending and failed', async () => {
  const { context, page: p } = await open('/bot-dark.html');
  await routeBot(p, (text) => (text.includes('hold') ? null : text.includes('fail') ? { status: 400, body: {} } : { body: { message: 'Sure — here is **how**.' } }));
  const w = await openPanel(p);
  for (const text of ['hello', 'this will fail', 'hold on']) {
    await w.composer.fill(text);
    await w.composer.press('Enter');
  }
  // By text: until the backend refuses it, the one that will fail is pending too.
  await p.locator('helpwire-chat [data-status="pending"]').filter({ hasText: 'hold on' }).waitFor();
  await p.locator('helpwire-chat [data-status="failed"]').waitFor();
  await w.messages('bot').first().waitFor();
  await assertNoViolations(p, 'dark');
  await context.close();
});

test('axe: dark theme from prefers-color-scheme', async () => {
  const { context, page: p } = await open('/bot.html', { colorScheme: 'dark' });
  await longConversation(p, 3);
  await assertNoViolations(p, 'dark (auto)');
  await context.close();
});

test('axe: right-to-left (Arabic), closed and with a conversation', async () => {
  const { context, page: p } = await open('/bot-ar.html');
  await assertNoViolations(p, 'RTL closed');
  await routeBot(p, () => ({ body: { message: 'أهلاً! كيف يمكننا المساعدة؟' } }));
  const w = widget(p, /^محادثة الدعم/);
  await w.launcher.click();
  await w.dialog.waitFor();
  await w.composer.fill('مرحبا');
  await w.composer.press('Enter');
  await w.messages('bot').first().waitFor();
  await assertNoViolations(p, 'RTL open');
  await context.close();
});

test('axe: 320 px wide, closed and open with a conversation', async () => {
  const { context, page: p } = await open('/bot.html', { viewport: { width: 320, height: 640 } });
  await assertNoViolations(p, '320px closed');
  await longConversation(p, 4);
  await assertNoViolations(p, '320px open');
  // The composer and send button are not covered by the launcher.
  const send = await p.getByRole('button', { name: 'Send' }).boundingBox();
  assert.ok(send.x + send.width <= 320 && send.y + send.height <= 640, 'send button inside the viewport');
  const topmost = await p.evaluate(() => {
    const root = document.querySelector('helpwire-chat').shadowRoot;
    const r = root.querySelector('[part=send]').getBoundingClientRect();
    return root.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)?.getAttribute('part');
  });
  assert.equal(topmost, 'send', 'nothing lies on top of the send button');
  await context.close();
});

// — keyboard —

async function deepActive(p) {
  return p.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    const label = el.getAttribute('aria-label') || el.getAttribute('role') || el.id || el.textContent.trim();
    // Named by its part (the public hook), else its class.
    const name = (el.getAttribute('part') || String(el.className)).split(' ')[0];
    return `${el.tagName.toLowerCase()}${name ? '.' + name : ''}:${label}`;
  });
}

test('keyboard only: Tab reaches the launcher, Enter opens into the composer, Enter sends, Escape closes back to the launcher', async () => {
  const { context, page: p, console } = await open('/local.html');
  const w = widget(p);
  await p.locator('#own').focus();
  await p.keyboard.press('Tab');
  assert.equal(await deepActive(p), 'button.launcher:Support chat', 'Tab after the page reaches the launcher');
  await p.keyboard.press('Enter');
  await w.dialog.waitFor();
  await p.waitForFunction(() => document.querySelector('helpwire-chat').shadowRoot.activeElement?.id === 'hw-input');
  assert.equal(await w.launcher.getAttribute('aria-expanded'), 'true');

  // Shift+Enter adds a line, Enter sends.
  await p.keyboard.type('first line');
  await p.keyboard.press('Shift+Enter');
  await p.keyboard.type('second line');
  assert.equal(await w.composer.inputValue(), 'first line\nsecond line');
  await p.keyboard.press('Enter');
  await w.messages('visitor').first().waitFor();
  assert.match(await w.messages('visitor').first().innerText(), /first line\s+second line/);
  assert.equal(await w.composer.inputValue(), '', 'the composer is cleared');
  assert.match(await deepActive(p), /^textarea/, 'focus stays in the composer');

  await p.keyboard.press('Escape');
  await w.dialog.waitFor({ state: 'hidden' });
  await p.waitForFunction(() => document.querySelector('helpwire-chat').shadowRoot.activeElement?.classList.contains('launcher'));
  assert.equal(await w.launcher.getAttribute('aria-expanded'), 'false');

  // Space opens too.
  await p.keyboard.press('Space');
  await w.dialog.waitFor();
  await p.waitForFunction(() => document.querySelector('helpwire-chat').shadowRoot.activeElement?.id === 'hw-input');
  assert.deepEqual(console.pageErrors, []);
  await context.close();
});

test('keyboard only: the Tab order inside the panel is launcher, close, conversation, composer, send', async () => {
  const { context, page: p } = await open('/local.html');
  await widget(p).launcher.focus();
  await p.keyboard.press('Enter');
  await widget(p).dialog.waitFor();
  await p.waitForFunction(() => document.querySelector('helpwire-chat').shadowRoot.activeElement?.id === 'hw-input');
  await p.keyboard.type('Hi');
  const order = [];
  await widget(p).launcher.focus();
  for (let i = 0; i < 5; i++) {
    order.push(await deepActive(p));
    await p.keyboard.press('Tab');
  }
  assert.deepEqual(order, [
    'button.launcher:Support chat',
    'button.close:Close support chat',
    'div.log:log',
    'textarea.input:hw-input',
    'button.send:Send',
  ]);
  // Send with the keyboard from the send button.
  await widget(p).launcher.focus();
  for (let i = 0; i < 4; i++) await p.keyboard.press('Tab');
  await p.keyboard.press('Enter');
  await widget(p).messages('visitor').first().waitFor();
  // Sending puts focus back into the composer; Shift+Tab walks back.
  assert.equal(await deepActive(p), 'textarea.input:hw-input');
  await p.keyboard.press('Shift+Tab');
  assert.equal(await deepActive(p), 'div.log:log');
  // The close button closes from the keyboard and focus returns to the launcher.
  await p.keyboard.press('Shift+Tab');
  assert.equal(await deepActive(p), 'button.close:Close support chat');
  await p.keyboard.press('Enter');
  await widget(p).dialog.waitFor({ state: 'hidden' });
  await p.waitForFunction(() => document.querySelector('helpwire-chat').shadowRoot.activeElement?.classList.contains('launcher'));
  await context.close();
});

test('keyboard only on a phone-sized screen: Escape closes and focus returns to the launcher', async () => {
  const { context, page: p } = await open('/local.html', { viewport: { width: 320, height: 640 } });
  await widget(p).launcher.focus();
  await p.keyboard.press('Enter');
  await widget(p).dialog.waitFor();
  await p.waitForFunction(() => document.querySelector('helpwire-chat').shadowRoot.activeElement?.id === 'hw-input');
  await p.keyboard.press('Escape');
  await widget(p).dialog.waitFor({ state: 'hidden' });
  await p.waitForFunction(() => document.querySelector('helpwire-chat').shadowRoot.activeElement?.classList.contains('launcher'));
  assert.ok(await widget(p).launcher.isVisible());
  await context.close();
});

test('every focusable control shows a visible focus indicator', async () => {
  for (const file of ['/bot.html', '/bot-dark.html']) {
    const { context, page: p } = await open(file);
    await pendingAndFailed(p);
    await widget(p).launcher.focus();
    const seen = [];
    for (let i = 0; i < 8; i++) {
      const focus = await p.evaluate(() => {
        const root = document.querySelector('helpwire-chat').shadowRoot;
        const el = root.activeElement;
        if (!el) return null;
        const s = getComputedStyle(el);
        const name = (el.getAttribute('part') || String(el.className)).split(' ')[0];
        return { name, visible: el.matches(':focus-visible'), style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
      });
      if (!focus) break;
      seen.push(focus.name);
      assert.ok(focus.visible && focus.style !== 'none' && focus.width >= 2, `${file}: ${focus.name} has a visible focus ring (${JSON.stringify(focus)})`);
      await p.keyboard.press('Tab');
    }
    for (const name of ['launcher', 'close', 'log', 'retry', 'input', 'send']) {
      assert.ok(seen.includes(name), `${name} was reached by Tab (${seen.join(', ')})`);
    }
    await context.close();
  }
});

// — live region —

test('support messages are announced once by the polite log; the visitor\'s own are not', async () => {
  const { context, page: p } = await open('/local.html', { clock: true });
  const w = await openPanel(p);
  assert.equal(await w.log.getAttribute('aria-live'), 'polite');
  await p.evaluate(() => {
    window.__added = [];
    const log = document.querySelector('helpwire-chat').shadowRoot.querySelector('[role=log]');
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (n.dataset?.author) window.__added.push(n.dataset.author);
    }).observe(log, { childList: true, subtree: true });
  });
  // From here the page's time moves only when the test moves it: the helpdesk answers 1.2–2.6 s
  // after each message, and the open widget polls every 1.5 s.
  await pauseClock(p);
  for (const [i, text] of ['hello', 'and another question'].entries()) {
    await w.composer.fill(text);
    await w.composer.press('Enter');
    await p.clock.runFor(5_000); // sent, answered and fetched by the next poll
    await w.messages('agent').nth(i).waitFor();
  }
  // Several more polls, which must not announce either answer again.
  await p.clock.runFor(10_000);

  // Each support message entered the live region exactly once.
  const added = await p.evaluate(() => window.__added);
  assert.equal(added.filter((a) => a === 'agent').length, 2, `added: ${added.join(', ')}`);
  // The effective politeness, as assistive technology computes it (nearest aria-live wins).
  const live = await p.evaluate(() => {
    const root = document.querySelector('helpwire-chat').shadowRoot;
    return [...root.querySelectorAll('[data-author]')].map((m) => `${m.dataset.author}:${m.closest('[aria-live]').getAttribute('aria-live')}`);
  });
  assert.deepEqual(live, ['visitor:off', 'agent:polite', 'visitor:off', 'agent:polite']);
  await context.close();
});

// — contrast, motion, forced colours, zoom —

/** WCAG contrast ratio between two computed colours (rgb(), rgba() or color(srgb …)). */
function contrast(a, b) {
  const parse = (c) => {
    const n = c.match(/[\d.]+/g).map(Number);
    return c.startsWith('color(') ? n.slice(0, 3).map((v) => v * 255) : n.slice(0, 3);
  };
  const lum = (c) => {
    const [r, g, bl] = parse(c).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [l1, l2] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

test('the default light and dark themes meet AA contrast', async () => {
  for (const file of ['/bot.html', '/bot-dark.html']) {
    const { context, page: p } = await open(file);
    await pendingAndFailed(p);
    const pairs = await p.evaluate(() => {
      const root = document.querySelector('helpwire-chat').shadowRoot;
      const cs = (sel, pseudo) => getComputedStyle(root.querySelector(sel), pseudo);
      const bg = cs('.panel').backgroundColor;
      return {
        'text on panel': [cs('.panel').color, bg],
        'greeting on surface': [cs('.greeting').color, cs('.greeting').backgroundColor],
        'author name': [cs('.author').color, bg],
        'time': [cs('.meta').color, bg],
        'failed label': [cs('.state-failed').color, bg],
        'placeholder': [cs('.input', '::placeholder').color, cs('.input').backgroundColor],
        'header title': [cs('[part=header]').color, cs('[part=header]').backgroundColor],
        'visitor bubble': [cs('[data-author=visitor] .bubble').color, cs('[data-author=visitor] .bubble').backgroundColor],
        'send button': [cs('[part=send]').color, cs('[part=send]').backgroundColor],
        'launcher': [cs('.launcher').color, cs('.launcher').backgroundColor],
        'badge': [cs('[part=badge]').color, cs('[part=badge]').backgroundColor],
        'accent focus ring on the panel (non-text, 3:1)': [cs('[part=send]').backgroundColor, bg],
      };
    });
    for (const [what, [fg, bgc]] of Object.entries(pairs)) {
      const min = what.includes('3:1') ? 3 : 4.5;
      const ratio = contrast(fg, bgc);
      assert.ok(ratio >= min, `${file}: ${what} ${fg} on ${bgc} is ${ratio.toFixed(2)}:1, below ${min}:1`);
    }
    await context.close();
  }
});

test('prefers-reduced-motion turns animation and transitions off', async () => {
  for (const [reducedMotion, expected] of [['no-preference', 'hw-rise'], ['reduce', 'none']]) {
    const { context, page: p } = await open('/local.html', { reducedMotion });
    await openPanel(p);
    const motion = await p.evaluate(() => {
      const root = document.querySelector('helpwire-chat').shadowRoot;
      return { panel: getComputedStyle(root.querySelector('.panel')).animationName, launcher: getComputedStyle(root.querySelector('.launcher')).transitionProperty + '/' + getComputedStyle(root.querySelector('.launcher')).transitionDuration };
    });
    assert.equal(motion.panel, expected, reducedMotion);
    if (reducedMotion === 'reduce') assert.match(motion.launcher, /^(none|all)\/0s$/);
    await context.close();
  }
});

test('forced colours: controls and the panel keep visible edges', async () => {
  const { context, page: p } = await open('/local.html', { forcedColors: 'active' });
  await openPanel(p);
  const borders = await p.evaluate(() => {
    const root = document.querySelector('helpwire-chat').shadowRoot;
    return ['.launcher', '.panel', '[part=send]', '[part=header]'].map((sel) => {
      const s = getComputedStyle(root.querySelector(sel));
      return [sel, s.borderTopStyle !== 'none' || s.borderBottomStyle !== 'none'];
    });
  });
  for (const [sel, hasEdge] of borders) assert.ok(hasEdge, `${sel} has a border in forced colours`);
  await assertNoViolations(p, 'forced colours');
  await context.close();
});

test('usable at 200 % zoom: the panel fits, every control is reachable, sending works', async () => {
  // 200 % zoom of a 1280×800 window = a 640×400 CSS viewport at device scale 2.
  const { context, page: p } = await open('/local.html', { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 });
  const w = await openPanel(p);
  const box = await w.dialog.boundingBox();
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= 640 && box.y + box.height <= 400, `panel inside the viewport: ${JSON.stringify(box)}`);
  for (const name of ['Close support chat', 'Send']) {
    const b = await p.getByRole('button', { name }).boundingBox();
    assert.ok(b && b.y + b.height <= 400 && b.x + b.width <= 640 && b.width >= 24 && b.height >= 24, `${name} visible and at least 24×24: ${JSON.stringify(b)}`);
  }
  const log = await w.log.boundingBox();
  assert.ok(log.height >= 120, `the conversation keeps room to read (${log.height}px)`);
  await w.composer.fill('zoomed in');
  await w.composer.press('Enter');
  await p.locator('helpwire-chat [data-author=visitor][data-status=sent]').waitFor();
  await assertNoViolations(p, '200% zoom');
  await context.close();
});

// — README pictures —

test('screenshots for the README: light, dark, right-to-left, mobile (docs/*.png, written with UPDATE_SCREENSHOTS=1)', async () => {
  const mobile = ['mobile', { viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }];
  await checkPictures(env.browser, `${env.base}/index.html`, [...looks(), mobile], async (p, name) => {
    await p.getByRole('dialog').waitFor();
    const composer = p.locator('helpwire-chat textarea');
    await composer.fill(name === 'rtl' ? 'مرحبًا! هل يمكنني تغيير خطتي في منتصف الشهر؟' : 'Hi! Can I switch from Starter to the Team plan mid-month?');
    await composer.press('Enter');
    await p.locator('helpwire-chat [data-author="agent"]').first().waitFor({ timeout: 15000 });
  });
});
