// A site's tests of its support chat, written once and run in every language (the projects in
// playwright.config.mjs): helpwire/testing finds the widget's parts by their part names, never by
// their translated labels, and scripts support's answers in the local helpdesk's test mode.
import { test, expect } from '@playwright/test';
import {
  open, send, waitForDelivery, waitForFailure, retry, reply, waitForReply, readMessages, failNextDelivery, part,
} from 'helpwire/testing';

test.beforeEach(async ({ page }) => {
  await page.goto('/');
  await open(page);
});

test('the widget speaks the visitor\'s language', async ({ page }, testInfo) => {
  await expect(part(page, 'root')).toHaveAttribute('lang', testInfo.project.name);
});

test('support answers the visitor with the scripted reply', async ({ page }) => {
  await send(page, 'Where is my order?');
  await waitForDelivery(page);
  await reply(page, 'It left our warehouse today.');
  await waitForReply(page, 'It left our warehouse today.');
  expect(await readMessages(page)).toEqual([
    { author: 'visitor', text: 'Where is my order?', status: 'sent' },
    { author: 'agent', text: 'It left our warehouse today.', status: null },
  ]);
});

test('a slow answer arrives when its time has come on the page clock', async ({ page }) => {
  // The page's clock, faked from the page's start (so every timer of the widget's is on it).
  await page.clock.install();
  await page.goto('/');
  await send(page, 'Can I change my address?');
  await waitForDelivery(page);
  await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1_000));
  await reply(page, 'Yes, until it ships.', 30_000);
  await page.clock.runFor(29_000);
  await expect(page.locator('helpwire-chat [data-author=agent]')).toHaveCount(0);
  await page.clock.runFor(2_000);
  await waitForReply(page, 'Yes, until it ships.');
});

test('a message that failed to deliver is sent again with Retry', async ({ page }) => {
  await failNextDelivery(page);
  await send(page, 'Hello?');
  await waitForFailure(page, 'Hello?');
  await retry(page, 'Hello?');
  await waitForDelivery(page, 'Hello?');
  expect(await readMessages(page)).toEqual([{ author: 'visitor', text: 'Hello?', status: 'sent' }]);
});
