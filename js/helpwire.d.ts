// Type declarations for the Helpwire embed API (`window.Helpwire`).

/** What `identify()` accepts; every field is optional. */
export interface HelpwireIdentity {
  /** Your own id for the signed-in user. */
  userId?: string;
  email?: string;
  name?: string;
  /** hex(HMAC-SHA256(secret, userId)), computed on your server, for identity verification. */
  userHash?: string;
  /** Anything JSON-serializable, passed to the helpdesk where it supports it. */
  customData?: Record<string, unknown>;
}

/** A message from support, as delivered to `on('message')`. */
export interface HelpwireMessageEvent {
  id: string;
  /** The message as plain text. */
  text: string;
  /** The author's display name, or "" if the helpdesk gave none. */
  author: string;
}

/** One of the visitor's messages, confirmed by the helpdesk (`on('sent')`). */
export interface HelpwireSentEvent {
  id: string;
  text: string;
}

export interface HelpwireEvents {
  ready: () => void;
  open: () => void;
  close: () => void;
  message: (message: HelpwireMessageEvent) => void;
  sent: (message: HelpwireSentEvent) => void;
  /** The number of unread support messages. */
  unread: (count: number) => void;
  /** A human-readable description of what went wrong. */
  error: (message: string) => void;
  /** The visitor opened one of their conversations from the list. */
  conversation: (conversation: { id: string }) => void;
}

/**
 * Settings a page may set before the loader runs; they override the script's data-* attributes.
 * Every value is a string: one of another type is refused with a console error naming the key,
 * and the documented default is used.
 */
export interface HelpwireSettings {
  provider?: 'local' | 'bancroft' | 'gleap' | 'gurusup' | 'eusate' | 'bot' | 'relay';
  apiBase?: string;
  apiKey?: string;
  project?: string;
  locale?: string;
  theme?: 'light' | 'dark' | 'auto';
  position?: 'right' | 'left';
  storage?: 'local' | 'session' | 'none';
  title?: string;
  greeting?: string;
  /** A short tone for support's messages while the panel is closed or the tab hidden; default 'off'. */
  sound?: 'on' | 'off';
  /** The local helpdesk's test mode: 'script' makes support answer only what a test scripts
   *  through `Helpwire.testing`; default 'auto'. Only with provider 'local'. */
  localReplies?: 'auto' | 'script';
  /**
   * A pre-chat form asking for the visitor's contact details before the first message; fields
   * the site already gave with identify() are skipped. Default 'none'. Only in the bancroft and
   * bot bundles today; the others ignore it with a console warning (README, Contact details).
   */
  prechat?: 'none' | 'email' | 'name-email';
  /** The site's privacy policy, linked under the contact forms (opens in a new tab); http(s) only.
   *  Only where the forms are (bancroft, bot). */
  privacyUrl?: string;
}

/** `window.Helpwire.testing`: present only in the local helpdesk's test mode. */
export interface HelpwireTesting {
  /** Support answers `text` in the visitor's conversation after `delayMs` (default 0) on the
   *  page's clock, and with `{ close: true }` closes the conversation then (it shows read-only,
   *  with "Start a new conversation"). The visitor must have written first; otherwise a console
   *  error says so. */
  reply(text: string, delayMs?: number, options?: { close?: boolean }): void;
  /** The visitor's next message is refused (`data-status="failed"`); their Retry delivers it. */
  failNextDelivery(): void;
}

export interface HelpwireApi {
  /** Loader version. */
  readonly version: string;
  open(): void;
  close(): void;
  toggle(): void;
  identify(identity: HelpwireIdentity): void;
  /** Forget the visitor: their conversations disappear from this browser. */
  reset(): void;
  /** A BCP 47 tag such as "de" or "pt-BR". */
  setLocale(tag: string): void;
  /** Open the panel on a new, empty conversation; the one on screen goes into the visitor's
   *  list. Waits (a console warning) while a message of theirs is still on its way. */
  newConversation(): void;
  /** Open the panel on the visitor's list of conversations. */
  showConversations(): void;
  on<E extends keyof HelpwireEvents>(event: E, listener: HelpwireEvents[E]): void;
  off<E extends keyof HelpwireEvents>(event: E, listener: HelpwireEvents[E]): void;
  /** Remove the widget from the page and stop all its work. */
  destroy(): void;
  /** Only with `localReplies: 'script'` (and the local helpdesk); absent otherwise. */
  readonly testing?: HelpwireTesting;
}

declare global {
  interface Window {
    Helpwire: HelpwireApi;
    HelpwireSettings?: HelpwireSettings;
  }
}
