// Theming contract end to end: every --helpwire-* custom property and every ::part() name, set
// from the host page's own stylesheet, changes the computed style inside the shadow root; the
// README documents each property with the default the stylesheet really has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { hostPage, waitForState, ROOT, servePages } from './harness.mjs';

/** property → [value set by the page, element inside the shadow root, computed property, expected]. */
const PROPERTIES = {
  '--helpwire-accent': ['rgb(1, 2, 3)', '.launcher', 'backgroundColor', 'rgb(1, 2, 3)'],
  '--helpwire-accent-text': ['rgb(4, 5, 6)', '.launcher', 'color', 'rgb(4, 5, 6)'],
  '--helpwire-bg': ['rgb(250, 240, 230)', '.panel', 'backgroundColor', 'rgb(250, 240, 230)'],
  '--helpwire-fg': ['rgb(7, 8, 9)', '.panel', 'color', 'rgb(7, 8, 9)'],
  '--helpwire-muted': ['rgb(10, 11, 12)', '.meta', 'color', 'rgb(10, 11, 12)'],
  '--helpwire-radius': ['5px', '.panel', 'borderTopLeftRadius', '5px'],
  '--helpwire-font': ['"Courier New", monospace', '.launcher', 'fontFamily', '"Courier New", monospace'],
  '--helpwire-z': ['42', ':host', 'zIndex', '42'],
  '--helpwire-offset': ['33px', ':host', 'bottom', '33px'],
  '--helpwire-width': ['333px', '.panel', 'width', '333px'],
  '--helpwire-height': ['444px', '.panel', 'height', '444px'],
};

/** part → [a declaration, computed property, expected]. Properties the widget never sets itself. */
const PARTS = {
  root: ['word-spacing: 1px', 'wordSpacing', '1px'],
  launcher: ['word-spacing: 2px', 'wordSpacing', '2px'],
  badge: ['word-spacing: 3px', 'wordSpacing', '3px'],
  panel: ['word-spacing: 4px', 'wordSpacing', '4px'],
  header: ['word-spacing: 5px', 'wordSpacing', '5px'],
  log: ['word-spacing: 6px', 'wordSpacing', '6px'],
  message: ['text-decoration-line: underline', 'textDecorationLine', 'underline'],
  'message-visitor': ['word-spacing: 8px', 'wordSpacing', '8px'],
  'message-agent': ['word-spacing: 9px', 'wordSpacing', '9px'],
  composer: ['word-spacing: 10px', 'wordSpacing', '10px'],
  send: ['word-spacing: 11px', 'wordSpacing', '11px'],
  close: ['word-spacing: 12px', 'wordSpacing', '12px'],
  text: ['word-spacing: 13px', 'wordSpacing', '13px'],
  input: ['word-spacing: 14px', 'wordSpacing', '14px'],
};
const PART_SELECTOR = {
  root: '[part=root]', launcher: '.launcher', badge: '[part=badge]', panel: '.panel', header: '[part=header]', log: '[part=log]',
  message: '[data-author=agent]', 'message-visitor': '[data-author=visitor]', 'message-agent': '[data-author=agent]',
  composer: '[part=composer]', send: '[part=send]', close: '[part=close]', text: '.bubble', input: '.input',
};

const themed = `helpwire-chat { ${Object.entries(PROPERTIES).map(([p, [v]]) => `${p}: ${v};`).join(' ')} }`;
const parts = Object.entries(PARTS).map(([part, [decl]]) => `helpwire-chat::part(${part}) { ${decl}; }`).join('\n');

const pages = {
  '/plain.html': hostPage(),
  '/properties.html': hostPage({ head: `<style>${themed}</style>` }),
  '/parts.html': hostPage({ head: `<style>${parts}</style>` }),
  '/inherit-font.html': hostPage({ head: '<style>body { font-family: Georgia, serif; } helpwire-chat { --helpwire-font: inherit; }</style>' }),
  '/left.html': hostPage({ attrs: 'data-provider="local" data-position="left"' }),
};

const env = servePages(pages);

async function open(pathname, viewport = { width: 1280, height: 900 }) {
  const context = await env.browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${env.base}${pathname}`);
  await waitForState(page);
  return { context, page };
}

/** Computed style of `selector` inside the shadow root (`:host` = the host element). */
function computed(page, selector, property, pseudo) {
  return page.evaluate(([selector, property, pseudo]) => {
    const host = document.querySelector('helpwire-chat');
    const el = selector === ':host' ? host : host.shadowRoot.querySelector(selector);
    return getComputedStyle(el, pseudo)[property];
  }, [selector, property, pseudo ?? null]);
}

async function conversation(page) {
  await page.locator('helpwire-chat .launcher').click();
  await page.getByRole('dialog').waitFor();
  await page.locator('helpwire-chat textarea').fill('hello');
  await page.locator('helpwire-chat textarea').press('Enter');
  await page.locator('helpwire-chat [data-author=agent]').first().waitFor({ timeout: 15000 });
}

for (const [property, [value, selector, cssProperty, expected]] of Object.entries(PROPERTIES)) {
  test(`custom property ${property}: ${value} reaches ${selector} ${cssProperty}`, async () => {
    const { context, page } = await open('/properties.html');
    const before = await open('/plain.html');
    if (!['.launcher', ':host'].includes(selector)) {
      await conversation(page);
      await conversation(before.page);
    }
    assert.equal(await computed(page, selector, cssProperty), expected);
    assert.notEqual(await computed(before.page, selector, cssProperty), expected, 'the default differs');
    await before.context.close();
    await context.close();
  });
}

test('--helpwire-offset also sets the inline distance, and data-position=left mirrors it', async () => {
  const { context, page } = await open('/properties.html');
  assert.equal(await computed(page, ':host', 'right'), '33px');
  await context.close();
  const left = await open('/left.html');
  const box = await left.page.locator('helpwire-chat').evaluate((el) => el.getBoundingClientRect().toJSON());
  assert.equal(Math.round(box.left), 20, 'launcher 20 px from the left edge');
  await left.context.close();
});

test('--helpwire-font: inherit takes the page font', async () => {
  const { context, page } = await open('/inherit-font.html');
  assert.equal(await computed(page, '.launcher', 'fontFamily'), 'Georgia, serif');
  await context.close();
});

test('every ::part() name is styleable from the page', async () => {
  const { context, page } = await open('/parts.html');
  await page.locator('helpwire-chat .launcher').click();
  await page.locator('helpwire-chat textarea').fill('hello');
  await page.locator('helpwire-chat textarea').press('Enter');
  await page.keyboard.press('Escape'); // closed while the answer arrives: the badge shows
  await page.locator('helpwire-chat .launcher').click();
  await page.locator('helpwire-chat [data-author=agent]').first().waitFor({ timeout: 15000 });
  const failures = [];
  for (const [part, [, property, expected]] of Object.entries(PARTS)) {
    const actual = await computed(page, PART_SELECTOR[part], property);
    if (actual !== expected) failures.push(`${part}: ${property} is ${actual}, expected ${expected}`);
  }
  // The visitor's message carries both `message` and `message-visitor`.
  assert.equal(await computed(page, '[data-author=visitor]', 'textDecorationLine'), 'underline');
  assert.deepEqual(failures, []);
  await context.close();
});

test('the README documents every property with the default the stylesheet has', async () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const { context, page } = await open('/plain.html');
  const defaults = await page.evaluate((names) => {
    const s = getComputedStyle(document.querySelector('helpwire-chat'));
    return Object.fromEntries(names.map((n) => [n, s.getPropertyValue(n).trim()]));
  }, Object.keys(PROPERTIES));
  for (const [name, value] of Object.entries(defaults)) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\``));
    assert.ok(row, `README has a row for ${name}`);
    if (name === '--helpwire-font') assert.match(row, /system/, 'font default documented');
    else assert.ok(row.includes(`\`${value}\``), `README row for ${name} shows the default ${value}: ${row}`);
  }
  for (const part of Object.keys(PARTS)) assert.ok(readme.includes(`\`${part}\``), `README names part ${part}`);
  await context.close();
});

test('the demo page offers a gallery of at least three CSS-only themes that change the widget', async () => {
  const { context, page } = await open('/index.html');
  const themes = page.locator('input[name=theme]');
  assert.ok((await themes.count()) >= 4, 'default plus three themes');
  const accents = new Set();
  for (let i = 0; i < (await themes.count()); i++) {
    await themes.nth(i).check();
    accents.add(await computed(page, '.launcher', 'backgroundColor'));
  }
  assert.equal(accents.size, await themes.count(), `each theme has its own accent: ${[...accents].join(', ')}`);
  // No inline styles anywhere on the demo page (it runs under a strict CSP).
  assert.equal(await page.locator('[style]').count(), 0);
  await context.close();
});
