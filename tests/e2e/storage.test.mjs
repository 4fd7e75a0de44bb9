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
