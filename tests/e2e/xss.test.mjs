// XSS corpus: 116 known payloads (tests/e2e/data/xss-payloads.txt) delivered by a helpdesk as
// message text, rich-text documents (text and link targets), agent names and attachment names
// and URLs. Nothing may run, no element outside the widget's own set may appear, and no link or
// image may carry a scheme other than http(s)/mailto.
//
// The helpdesk here is a minimal server speaking Gleap v3's documented contract (the widget's
// `gleap` provider talks to it as to a site's proxy).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { launch, startServer, hostPage, waitForState, ROOT, pauseClock } from './harness.mjs';

const PAYLOADS = fs
  .readFileSync(path.join(ROOT, 'tests/e2e/data/xss-payloads.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
const BAD_URLS = [
  'javascript:window.__xss=1',
  ' JaVaScRiPt:window.__xss=1',
  'java\tscript:window.__xss=1',
  'data:text/html,<script>window.__xss=1</script>',
  'data:image/svg+xml,<svg onload="window.__xss=1">',
  'vbscript:msgbox(1)',
  '//evil.example/x.png',
  'https://img.example/x.png" onerror="window.__xss=1',
];

const ALLOWED = new Set(['DIV', 'SECTION', 'HEADER', 'H2', 'H3', 'H4', 'H5', 'H6', 'BUTTON', 'svg', 'path', 'SPAN', 'P',
  'FORM', 'LABEL', 'TEXTAREA', 'TIME', 'UL', 'OL', 'LI', 'A', 'IMG', 'STRONG', 'EM', 'S', 'U', 'CODE', 'PRE',
  'BLOCKQUOTE', 'HR', 'BR']);

function attackMessages() {
  const out = [];
  PAYLOADS.forEach((p, i) => {
    out.push({
      _id: `text-${i}`, type: 'COMMENT', comment: p, ticket: 't1', createdAt: new Date(1_700_000_000_000 + i * 2000).toISOString(),
      user: { firstName: p, lastName: p }, attachments: [
        { name: p, url: BAD_URLS[i % BAD_URLS.length], type: 'image/png' },
        { name: `${p}.pdf`, url: BAD_URLS[(i + 3) % BAD_URLS.length], type: 'application/pdf' },
      ],
    });
    out.push({
      _id: `doc-${i}`, type: 'COMMENT', ticket: 't1', createdAt: new Date(1_700_000_000_000 + i * 2000 + 1000).toISOString(),
      user: { name: p },
      comment: { type: 'doc', content: [
        { type: 'heading', attrs: { level: p }, content: [{ type: 'text', text: p }] },
        { type: 'paragraph', content: [
          { type: 'text', text: p, marks: [{ type: 'link', attrs: { href: BAD_URLS[i % BAD_URLS.length], target: p } }] },
          { type: 'text', text: p, marks: [{ type: 'link', attrs: { href: p } }, { type: 'bold' }] },
          { type: p, text: p, attrs: { onclick: p } },
        ] },
        { type: 'image', attrs: { src: BAD_URLS[i % BAD_URLS.length], alt: p } },
        { type: 'codeBlock', content: [{ type: 'text', text: p }] },
        { type: 'bulletList', content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: p }] }] }] },
      ] },
    });
  });
  return out;
}

let helpdesk;
let helpdeskUrl;
let browser;
let server;
let base;

before(async () => {
  const stored = [];
  const attacks = attackMessages();
  helpdesk = http.createServer((req, res) => {
    const cors = {
      'Access-Control-Allow-Origin': req.headers.origin || '*',
      'Access-Control-Allow-Headers': 'Content-Type, Authorization, Project',
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    };
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://x');
      const json = (status, value) => res.writeHead(status, { ...cors, 'Content-Type': 'application/json' }).end(JSON.stringify(value));
      if (req.method === 'POST' && url.pathname === '/v3/sessions') return json(200, { _id: 's1', id: 's1' });
      if (req.method === 'POST' && url.pathname === '/v3/tickets') return json(200, { _id: 't1', id: 't1' });
      if (req.method === 'POST' && url.pathname === '/v3/messages') {
        const m = { _id: `v${stored.length}`, type: 'COMMENT', comment: JSON.parse(body).comment, ticket: 't1', session: { _id: 's1' }, createdAt: new Date().toISOString() };
        stored.push(m);
        return json(200, m);
      }
      if (req.method === 'GET' && url.pathname === '/v3/tickets/t1') return json(200, { _id: 't1', id: 't1', status: 'OPEN' });
      if (req.method === 'GET' && url.pathname === '/v3/messages') {
        const all = [...stored, ...attacks];
        const skip = Number(url.searchParams.get('skip') || 0);
        const limit = Number(url.searchParams.get('limit') || 50);
        return json(200, all.slice(skip, skip + limit));
      }
      json(404, { message: 'not found' });
    });
  });
  await new Promise((r) => helpdesk.listen(0, '127.0.0.1', r));
  helpdeskUrl = `http://127.0.0.1:${helpdesk.address().port}`;
  browser = await launch();
  ({ server, url: base } = await startServer({
    pages: { '/xss.html': hostPage({ attrs: `data-provider="gleap" data-api-base="${helpdeskUrl}"` }) },
  }));
});

after(async () => {
  await browser?.close();
  server?.close();
  helpdesk?.close();
});

test(`${PAYLOADS.length} XSS payloads as text, rich documents, names and attachments stay inert`, async () => {
  assert.ok(PAYLOADS.length >= 100, 'the corpus has at least 100 payloads');
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.clock.install(); // runs on until paused, below
  await page.goto(`${base}/xss.html`);
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  const box = page.getByRole('textbox', { name: 'Message to support' });
  await box.fill('<img src=x onerror="window.__xss=1"> from the visitor');
  await box.press('Enter');
  const agent = page.locator('helpwire-chat [data-author="agent"]');
  await page.waitForFunction(
    (n) => document.querySelector('helpwire-chat').shadowRoot.querySelectorAll('[data-author="agent"]').length >= n,
    PAYLOADS.length * 2,
    { timeout: 60000 },
  );
  // Hover and click every link and image (handlers would fire), then look.
  const links = page.locator('helpwire-chat a');
  const count = await links.count();
  for (let i = 0; i < Math.min(count, 40); i++) await links.nth(i).hover({ timeout: 2000 }).catch(() => {});
  // Anything a handler left for later (a timer, an animation frame) gets its turn: the page's
  // clock moves 5 s ahead, firing every timer due by then (short of the widget's next poll).
  await pauseClock(page);
  await page.clock.runFor(5_000);

  const report = await page.evaluate(() => {
    const root = document.querySelector('helpwire-chat').shadowRoot;
    // The widget's own contact fields (the email offer shows after the visitor's message in the
    // Gleap bundle) are its elements, not a payload's.
    const own = (e) => e.tagName === 'INPUT' && /^hw-(name|email)$/.test(e.id) && e.closest('form');
    const elements = [...root.querySelectorAll('*')].filter((e) => !own(e));
    return {
      xss: window.__xss ?? null,
      tags: [...new Set(elements.map((e) => e.tagName))],
      handlers: elements.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName} ${a.name}`)),
      styled: elements.filter((e) => (e.getAttribute('style') || '').trim() !== '').map((e) => e.tagName),
      hrefs: [...root.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
      srcs: [...root.querySelectorAll('[src]')].map((e) => e.getAttribute('src')),
      pageScripts: document.scripts.length,
      firstText: root.querySelector('[data-author="agent"] .text')?.textContent,
    };
  });
  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.equal(report.xss, null, 'no payload ran');
  assert.deepEqual(pageErrors, []);
  const foreign = report.tags.filter((t) => !ALLOWED.has(t));
  assert.deepEqual(foreign, [], 'only the widget\'s own elements');
  assert.deepEqual(report.handlers, [], 'no inline event handlers');
  assert.deepEqual(report.styled, [], 'no inline styles');
  for (const href of report.hrefs) assert.match(href, /^(https?:\/\/|mailto:)/i, `link scheme: ${href}`);
  for (const src of report.srcs) assert.match(src, /^https?:\/\//i, `image scheme: ${src}`);
  assert.equal(report.firstText, PAYLOADS[0], 'payloads are shown as the text they are');
  assert.equal(report.pageScripts, 1, 'no script element added to the page');
  assert.ok((await agent.count()) >= PAYLOADS.length * 2);
  await context.close();
});
