// Soak: 2,000 messages exchanged with Bancroft (1,000 from the visitor, 1,000 agent answers) while
// the sandbox fails, drops and rate-limits some requests. At the end every message is stored
// exactly once, every one is shown once, and the widget's memory (JS heap and wasm linear memory,
// after a forced GC) has grown by less than a stated bound since the warm-up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startServer, hostPage, waitForState, bundleFiles } from './harness.mjs';
import { startSandbox } from './sandbox.mjs';

const ROUNDS = Number(process.env.SOAK_ROUNDS || 1000);
// Memory is measured after this many rounds (everything delivered and answered) and at the end.
const WARMUP = Math.max(1, Math.min(100, Math.floor(ROUNDS / 10)));
// Growth allowed from the warm-up to the end, for the 2 × (ROUNDS - WARMUP) messages added in
// between (each kept in the engine and as about ten DOM nodes): 1 KB of JS heap and 4 KB of wasm
// memory per message (wasm memory grows in large steps and never shrinks). Measured on 1,000
// rounds: +0.4 KB and +1.1 KB per message. Anything kept per request, per poll or per render
// beyond that (thousands of each) goes past them.
const HEAP_BOUND = 1024 * 2 * (ROUNDS - WARMUP);
const WASM_BOUND = 4 * 1024 * 2 * (ROUNDS - WARMUP);
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
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  // After a full GC: the JS heap in use, the wasm linear memory, the DOM nodes.
  const measure = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize: heap } = await cdp.send('Runtime.getHeapUsage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const nodes = metrics.find((m) => m.name === 'Nodes')?.value ?? 0;
    // The module is cached: initialising it again returns the running instance's exports.
    const wasm = await page.evaluate(async (glue) => (await (await import(`/${glue}`)).default()).memory.buffer.byteLength, bundleFiles('bancroft').js);
    return { heap, wasm, nodes };
  };
  const settled = (n) => page.waitForFunction((count) => {
    const root = document.querySelector('helpwire-chat').shadowRoot;
    return root.querySelectorAll('[data-author="visitor"][data-status="sent"]').length === count
      && root.querySelectorAll('[data-author="agent"]').length === count;
  }, n, { timeout: 10 * 60 * 1000, polling: 1000 });

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
  let warm;
  for (let i = 1; i < ROUNDS; i++) {
    if (i === WARMUP) {
      await sandbox.reply('bancroft', { conversation: conversation.id, text: `agent ${i - 1}` });
      await settled(WARMUP);
      warm = await measure();
    }
    if (i % 40 === 0) {
      const f = faults[(i / 40) % faults.length];
      await sandbox.fault({ backend: 'bancroft', count: 1, path: '/messages/', method: f.method || 'POST', ...f });
      injected++;
    }
    await box.fill(`visitor ${i}`);
    await box.press('Enter');
    if (i !== WARMUP) await sandbox.reply('bancroft', { conversation: conversation.id, text: `agent ${i - 1}` });
  }
  await sandbox.reply('bancroft', { conversation: conversation.id, text: `agent ${ROUNDS - 1}` });

  // Everything delivered and every answer shown.
  await settled(ROUNDS);

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

  const end = await measure();
  const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
  console.log(`soak: ${ROUNDS * 2} messages, ${injected} faults injected; after ${WARMUP * 2} messages: JS heap ` +
    `${kb(warm.heap)}, wasm memory ${kb(warm.wasm)}, ${warm.nodes} DOM nodes; at the end: JS heap ${kb(end.heap)} ` +
    `(+${kb(end.heap - warm.heap)}, bound ${kb(HEAP_BOUND)}), wasm memory ${kb(end.wasm)} ` +
    `(+${kb(end.wasm - warm.wasm)}, bound ${kb(WASM_BOUND)}), ${end.nodes} DOM nodes`);
  assert.ok(end.heap - warm.heap < HEAP_BOUND, `JS heap grew by ${kb(end.heap - warm.heap)}, more than ${kb(HEAP_BOUND)}`);
  assert.ok(end.wasm - warm.wasm < WASM_BOUND, `wasm memory grew by ${kb(end.wasm - warm.wasm)}, more than ${kb(WASM_BOUND)}`);
  assert.deepEqual(errors, []);
  await context.close();
});
