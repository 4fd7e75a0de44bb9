// Types of the npm entry: `import { loadHelpwire } from 'helpwire'`.
export type {
  HelpwireApi,
  HelpwireEvents,
  HelpwireIdentity,
  HelpwireMessageEvent,
  HelpwireSentEvent,
  HelpwireSettings,
  HelpwireTesting,
} from './dist/helpwire';
import type { HelpwireApi, HelpwireSettings } from './dist/helpwire';

export interface LoadHelpwireOptions {
  /** The URL of the hosted loader, e.g. "https://cdn.example.com/helpwire/helpwire.js" or
   *  "/helpwire/helpwire.js": the files of this package's dist/ folder, hosted together. */
  src: string;
  /** The widget's settings (as window.HelpwireSettings). */
  settings?: HelpwireSettings;
}

/**
 * Adds the loader to the page and resolves with `window.Helpwire` once the widget is ready;
 * rejects if it cannot start. Once per page: a second call returns the same promise until
 * `destroy()`, after which the next call loads a fresh widget.
 */
export function loadHelpwire(options: LoadHelpwireOptions): Promise<HelpwireApi>;

/**
 * Removes the widget in whatever state it is: loaded, starting (the pending `loadHelpwire()`
 * rejects with an `AbortError`), or not yet added (destroyed as soon as its loader has run,
 * unless `loadHelpwire()` is called again first). For single-page apps leaving the widget's routes.
 */
export function destroyHelpwire(): void;
