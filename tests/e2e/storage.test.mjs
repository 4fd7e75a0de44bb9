// Storage that is corrupted, full or disabled: the widget warns once and keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPage, watchConsole, waitForState, servePages } from './harness.mjs';

const env = servePages({ '/plain.html': hostPage() });

async function chatWorks(page) {
  await page.getByRole('button', { name: /^Support chat/ }).click();
  const box = page.getByRole('textbox', { name: 'Message to support' });
  await box.fill('does it still work?');
  await box.press('Enter');
  await page.locator('helpwire-chat [data-author="visitor"][data-status="sent"]').waitFor({ timeout: 15000 });
  await page.locator('helpwire-chat [data-author="agent"]').first().waitFor({ timeout: 15000 });
}

const CASES = {
  'corrupted stored state': () => {
    localStorage.setItem('helpwire:v1:local:', '{"version":1,"visitor":{"anon_id":');
    localStorage.setItem('helpwire:v1:local-helpdesk', '[1,2,');
  },
  'a full storage (every write throws QuotaExceededError)': () => {
    Storage.prototype.setItem = function () { throw new DOMException('quota', 'QuotaExceededError'); };
  },
  'storage disabled (access throws SecurityError)': () => {
    Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('denied', 'SecurityError'); } });
  },
};

for (const [name, sabotage] of Object.entries(CASES)) {
  test(`${name}: one warning, and the chat works`, async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(sabotage);
    const seen = watchConsole(page);
    await page.goto(`${env.base}/plain.html`);
    await waitForState(page);
    await chatWorks(page);
    const warnings = seen.warnings.filter((w) => w.startsWith('Helpwire'));
    assert.ok(warnings.length >= 1 && warnings.length <= 2, `warned once per store: ${warnings.join(' | ')}`);
    assert.deepEqual(seen.pageErrors, []);
    assert.deepEqual(seen.errors.filter((e) => e.startsWith('Helpwire')), []);
    await context.close();
  });
}

// Only the Gleap and bot bundles link the rich-text renderer (the backends that send rich
// documents). Should another bundle meet one anyway, here a stored conversation edited by hand,
// it shows the document's text: nothing is lost, and nothing becomes markup.
test('a rich document in a bundle without the rich-text renderer shows as its text', async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const seen = watchConsole(page);
  await page.goto(`${env.base}/plain.html`);
  await waitForState(page);
  await chatWorks(page);
  const key = 'helpwire:v1:local:'; // core/src/engine/storage.rs storage_key("local", None)
  await page.waitForFunction((k) => (localStorage.getItem(k) || '').includes('"agent"'), key);
  await page.evaluate((k) => {
    const snap = JSON.parse(localStorage.getItem(k));
    const agent = snap.messages.find((m) => m.author.kind === 'agent');
    const rich = structuredClone(agent);
    rich.id = 'rich-by-hand';
    rich.created_at = snap.messages[0].created_at - 60000;
    rich.body = {
      kind: 'rich',
      value: {
        type: 'doc',
        content: [{
          type: 'paragraph',
          content: [
            { type: 'text', text: 'Plans are ' },
            { type: 'text', text: 'on the pricing page', marks: [{ type: 'bold' }] },
            { type: 'text', text: ' <img src=x onerror=alert(1)>' },
          ],
        }],
      },
    };
    snap.messages.unshift(rich);
    localStorage.setItem(k, JSON.stringify(snap));
  }, key);
  await page.reload();
  await waitForState(page);
  await page.getByRole('button', { name: /^Support chat/ }).click();
  const rich = page.locator('helpwire-chat [data-author="agent"] .rich');
  await rich.first().waitFor({ timeout: 15000 });
  assert.equal(await rich.count(), 1);
  assert.equal(await rich.innerText(), 'Plans are on the pricing page <img src=x onerror=alert(1)>');
  assert.equal(await page.locator('helpwire-chat .rich *').count(), 0, 'text only, no elements');
  assert.deepEqual(seen.pageErrors, []);
  await context.close();
});
