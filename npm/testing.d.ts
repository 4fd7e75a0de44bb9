// Types of `helpwire/testing`: Playwright helpers on Helpwire's public contract.
// Playwright is a peer dependency: only its types are used here.
import type { Locator, Page } from 'playwright-core';

export interface WaitOptions {
  /** Milliseconds before the wait fails (default 10,000). */
  timeout?: number;
}

/** A message as the log shows it. */
export interface HelpwireTestMessage {
  author: 'visitor' | 'agent' | 'bot' | 'system';
  /** The message's text, trimmed. */
  text: string;
  /** The visitor's own messages only; `null` for support's. */
  status: 'pending' | 'sent' | 'failed' | null;
}

/** An element of the widget by its part name (`launcher`, `panel`, `close`, `log`, `message`,
 *  `text`, `input`, `send`, `retry`, `notice`, …), inside its open shadow root. */
export function part(page: Page, name: string): Locator;
/** Waits until the widget has started; rejects if it could not (`data-state="error"`). */
export function ready(page: Page, options?: WaitOptions): Promise<void>;
/** Opens the panel through the launcher and waits until it shows. */
export function open(page: Page, options?: WaitOptions): Promise<void>;
/** Writes `text` and presses Send; resolves once the message shows in the log. */
export function send(page: Page, text: string, options?: WaitOptions): Promise<void>;
/** Waits until the visitor's message `text` (default: their last) is delivered; rejects if it failed. */
export function waitForDelivery(page: Page, text?: string, options?: WaitOptions): Promise<void>;
/** Waits until the visitor's message `text` (default: their last) has failed. */
export function waitForFailure(page: Page, text?: string, options?: WaitOptions): Promise<void>;
/** Presses Retry on the visitor's failed message `text` (default: their last failed one). */
export function retry(page: Page, text?: string, options?: WaitOptions): Promise<void>;
/** Waits for support's message `text`, or, without it, until the newest message is support's. */
export function waitForReply(page: Page, text?: string, options?: WaitOptions): Promise<void>;
/** The same as `waitForReply`. */
export function waitForAnswer(page: Page, text?: string, options?: WaitOptions): Promise<void>;
/** The messages the log shows, oldest first. */
export function readMessages(page: Page): Promise<HelpwireTestMessage[]>;
/** Test mode (`localReplies: 'script'`): support answers `text` after `delayMs` on the page's
 *  clock, and closes the conversation with it when `options.close` is true. */
export function reply(page: Page, text: string, delayMs?: number, options?: { close?: boolean }): Promise<void>;
/** Test mode: the visitor's next message fails to deliver; `retry` then delivers it. */
export function failNextDelivery(page: Page): Promise<void>;
