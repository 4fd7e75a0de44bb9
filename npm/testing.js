// `helpwire/testing`: Playwright helpers for a site's own tests, built only on Helpwire's public
// contract (README, "DOM and test contract"): the part names, data-author and data-status, and
// window.Helpwire.testing in the local helpdesk's test mode. They never use the role names, which
// are translated, so the same test runs in every language the widget speaks.
// Each takes a Playwright `Page` (playwright-core or @playwright/test); nothing of Playwright is
// bundled here.

const HOST = 'helpwire-chat';
const MESSAGE = `${HOST} [part~="message"]`;
const SUPPORT = ':is([data-author="agent"], [data-author="bot"])';
const DEFAULT_TIMEOUT = 10_000;

/** An element of the widget by its part name (Playwright's CSS reaches into the shadow root). */
export function part(page, name) {
  return page.locator(`${HOST} [part~="${name}"]`);
}

/** The messages whose text is exactly `text` (leading and trailing white space aside). */
function withText(locator, page, text) {
  if (text === undefined) return locator;
  const escaped = String(text).trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const exact = new RegExp(`^\\s*${escaped}\\s*$`);
  return locator.filter({ has: page.locator('[part~="text"]', { hasText: exact }) });
}

/** Waits until the widget has started (`data-state="ready"`); rejects if it failed to. */
export async function ready(page, { timeout = DEFAULT_TIMEOUT } = {}) {
  const host = page.locator(`${HOST}:is([data-state="ready"], [data-state="error"])`);
  await host.waitFor({ state: 'attached', timeout });
  if ((await host.getAttribute('data-state')) === 'error') {
    throw new Error('Helpwire: the widget could not start (data-state="error"; the console says why)');
  }
}

/** Opens the panel (through the launcher, as a visitor would) and waits until it shows. */
export async function open(page, { timeout = DEFAULT_TIMEOUT } = {}) {
  await ready(page, { timeout });
  const panel = part(page, 'panel');
  if (!(await panel.isVisible())) await part(page, 'launcher').click({ timeout });
  await panel.waitFor({ state: 'visible', timeout });
}

/** Writes `text` and presses Send; resolves once the message shows in the log (any status). */
export async function send(page, text, { timeout = DEFAULT_TIMEOUT } = {}) {
  await open(page, { timeout });
  await part(page, 'input').fill(text, { timeout });
  await part(page, 'send').click({ timeout });
  await withText(page.locator(`${MESSAGE}[data-author="visitor"]`), page, text.trim())
    .last().waitFor({ state: 'attached', timeout });
}

/**
 * Waits until the visitor's message `text` (by default their last one) is delivered
 * (`data-status="sent"`). Rejects at once if it failed instead.
 */
export async function waitForDelivery(page, text, { timeout = DEFAULT_TIMEOUT } = {}) {
  const mine = withText(page.locator(`${MESSAGE}[data-author="visitor"]`), page, text).last();
  const settled = mine.and(page.locator(`${MESSAGE}:is([data-status="sent"], [data-status="failed"])`));
  await settled.waitFor({ state: 'attached', timeout });
  if ((await mine.getAttribute('data-status')) === 'failed') {
    throw new Error(`Helpwire: the message ${text === undefined ? '' : `"${text}" `}was not delivered (data-status="failed")`);
  }
}

/** Waits until the visitor's message `text` (by default their last one) has failed. */
export async function waitForFailure(page, text, { timeout = DEFAULT_TIMEOUT } = {}) {
  await withText(page.locator(`${MESSAGE}[data-author="visitor"][data-status="failed"]`), page, text)
    .last().waitFor({ state: 'attached', timeout });
}

/** Presses Retry on the visitor's failed message `text` (by default their last failed one). */
export async function retry(page, text, { timeout = DEFAULT_TIMEOUT } = {}) {
  await withText(page.locator(`${MESSAGE}[data-author="visitor"][data-status="failed"]`), page, text)
    .last().locator('[part~="retry"]').click({ timeout });
}

/**
 * Waits for support's answer: with `text`, a message from support with exactly that text;
 * without, until the newest message in the log is support's (the answer to the visitor's last).
 */
export async function waitForReply(page, text, { timeout = DEFAULT_TIMEOUT } = {}) {
  const support = page.locator(`${MESSAGE}${SUPPORT}`);
  const answer = text === undefined
    ? page.locator(MESSAGE).last().and(support)
    : withText(support, page, text).last();
  await answer.waitFor({ state: 'attached', timeout });
}

/** The same as `waitForReply`. */
export const waitForAnswer = waitForReply;

/**
 * The messages the log shows, oldest first: `{ author, text, status }`, where `author` is
 * `visitor`, `agent`, `bot` or `system` and `status` is `pending`, `sent` or `failed` for the
 * visitor's own and `null` for support's.
 */
export async function readMessages(page) {
  await page.locator(HOST).waitFor({ state: 'attached' });
  return page.evaluate((host) => {
    const root = document.querySelector(host)?.shadowRoot;
    if (!root) return [];
    return [...root.querySelectorAll('[part~="message"]')].map((m) => ({
      author: m.getAttribute('data-author'),
      text: (m.querySelector('[part~="text"]')?.textContent ?? '').trim(),
      status: m.getAttribute('data-status'),
    }));
  }, HOST);
}

function testing(page) {
  return page.evaluate(() => {
    if (!window.Helpwire || !window.Helpwire.testing) {
      throw new Error('Helpwire.testing is only there in the local helpdesk\'s test mode: '
        + 'data-provider="local" with data-local-replies="script" (or HelpwireSettings.localReplies = "script")');
    }
  });
}

/**
 * Test mode: support answers `text` in the visitor's conversation after `delayMs` on the page's
 * clock (0: at once), closing the conversation with it when `options.close` is true. The visitor
 * must have written first (`waitForDelivery`).
 */
export async function reply(page, text, delayMs = 0, options = {}) {
  await testing(page);
  const close = options.close === true;
  await page.evaluate(([t, ms, c]) => window.Helpwire.testing.reply(t, ms, { close: c }), [text, delayMs, close]);
}

/** Test mode: the visitor's next message fails to deliver; `retry` then delivers it. */
export async function failNextDelivery(page) {
  await testing(page);
  await page.evaluate(() => window.Helpwire.testing.failNextDelivery());
}
