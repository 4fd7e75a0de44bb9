// Soak: 2,000 messages exchanged with Bancroft (1,000 from the visitor, 1,000 agent answers) while
// the sandbox fails, drops and rate-limits some requests. At the end every message is stored
// exactly once, every one is shown once, and the widget's memory is reported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startServer, hostPage, waitForState } from './harness.mjs';
import { startSandbox } from './sandbox.mjs';

const ROUNDS = Number(process.env.SOAK_ROUNDS || 1000);
let browser;
let server;
let base;
let sandbox;

before(async () => {
  sandbox = await startSandbox();
  browser = await launch();
  ({ server, url: base } = await startServer({
    pages: { '/soak.html': hostPage({ attrs: `data-provider="bancroft" data-api-base="${sandbox.url}/bancroft" data-api-key="bnc_cl_test"` }) },
  }));
});

after(async () => {
  await browser?.close();
  server?.close();
  sandbox?.stop();
});

test(`soak: ${ROUNDS * 2} messages with faults sprinkled in`, { timeout: 15 * 60 * 1000 }, async () => {
  await sandbox.reset();
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/soak.html`);
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  const box = page.getByRole('textbox', { name: 'Message to support' });
  const sent = page.locator('helpwire-chat [data-author="visitor"][data-status="sent"]');

  await box.fill('visitor 0');
  await box.press('Enter');
  await sent.first().waitFor({ timeout: 20000 });
  const [conversation] = await sandbox.conversations('bancroft');
  const faults = [
    { mode: 'status', status: 503 },
    { mode: 'drop' },
    { mode: 'retry_after', retry_after_s: 1 },
    { mode: 'status', status: 500 },
    { mode: 'malformed', method: 'GET' },
  ];
  let injected = 0;
  for (let i = 1; i < ROUNDS; i++) {
    if (i % 40 === 0) {
      const f = faults[(i / 40) % faults.length];
      await sandbox.fault({ backend: 'bancroft', count: 1, path: '/messages/', method: f.method || 'POST', ...f });
      injected++;
    }
    await box.fill(`visitor ${i}`);
    await box.press('Enter');
    await sandbox.reply('bancroft', { conversation: conversation.id, text: `agent ${i - 1}` });
  }
  await sandbox.reply('bancroft', { conversation: conversation.id, text: `agent ${ROUNDS - 1}` });

  // Everything delivered and every answer shown.
  await page.waitForFunction((n) => {
    const root = document.querySelector('helpwire-chat').shadowRoot;
    return root.querySelectorAll('[data-author="visitor"][data-status="sent"]').length === n
      && root.querySelectorAll('[data-author="agent"]').length === n;
  }, ROUNDS, { timeout: 10 * 60 * 1000, polling: 1000 });

  const [stored] = await sandbox.conversations('bancroft');
  const bodies = stored.messages.map((m) => m.body);
  for (let i = 0; i < ROUNDS; i++) {
    assert.equal(bodies.filter((b) => b === `visitor ${i}`).length, 1, `visitor ${i} stored exactly once`);
  }
  assert.equal(bodies.length, ROUNDS * 2, 'nothing else stored');
  const shown = await page.locator('helpwire-chat [data-author]').evaluateAll((els) => els.map((e) => e.querySelector('.bubble')?.textContent.trim()));
  assert.equal(shown.length, ROUNDS * 2, 'each message shown once');
  assert.equal(new Set(shown).size, ROUNDS * 2, 'no duplicates on screen');
  assert.equal(await page.locator('helpwire-chat [data-status="failed"]').count(), 0);

  const cdp = await context.newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const nodes = metrics.find((m) => m.name === 'Nodes')?.value ?? 0;
  const heap = await cdp.send('Runtime.getHeapUsage');
  // The module is cached: initialising it again returns the running instance's exports.
  const wasm = await page.evaluate(async () => (await (await import('/helpwire_bancroft.js')).default()).memory.buffer.byteLength);
  const mb = (n) => ((n ?? 0) / 1048576).toFixed(1);
  console.log(`soak: ${ROUNDS * 2} messages, ${injected} faults injected; JS heap ${mb(heap.usedSize)} MB, ` +
    `wasm memory ${mb(wasm)} MB, ${nodes} DOM nodes`);
  assert.deepEqual(errors, []);
  await context.close();
});
