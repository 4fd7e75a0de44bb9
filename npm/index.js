// The npm entry of Helpwire: `import { loadHelpwire } from 'helpwire'`. It adds the loader
// (dist/helpwire.js, hosted by the site: see README) to the page with the given settings and
// resolves with window.Helpwire once the widget is ready. The widget's own files stay where the
// site hosts them; nothing of it is bundled into the site's JavaScript. destroyHelpwire()
// removes it again, for single-page apps.

// The one load in progress or done: { src, settings, promise, cancelled }.
let pending = null;

/**
 * Loads the widget once per page. A second call while it is loaded (or loading) returns the same
 * promise; after `destroy()` (e.g. when a single-page app leaves the route that shows it) the
 * next call starts a fresh widget.
 * @param {{ src: string, settings?: import('./index').HelpwireSettings }} options
 * @returns {Promise<import('./index').HelpwireApi>}
 */
export function loadHelpwire(options) {
  if (typeof window === 'undefined' || typeof document === 'undefined') {
    return Promise.reject(new Error('Helpwire: loadHelpwire() runs in a browser, not during server rendering'));
  }
  const { src, settings = {} } = options || {};
  if (typeof src !== 'string' || src === '') {
    return Promise.reject(new Error('Helpwire: loadHelpwire({ src }) needs the URL of the hosted helpwire.js'));
  }
  if (pending) {
    pending.cancelled = false; // destroyHelpwire() then loadHelpwire() before the loader ran
    if (pending.src !== src || JSON.stringify(pending.settings) !== JSON.stringify(settings)) {
      console.warn('Helpwire: loadHelpwire() called again with other options while the widget is loaded; '
        + 'they are ignored (call destroy() first to load it with new ones)');
    }
    return pending.promise;
  }
  const current = { src, settings, promise: null, cancelled: false };
  pending = current;
  current.promise = inject(src, settings, current).catch((error) => {
    if (pending === current) pending = null; // a later call may try again
    throw error;
  });
  return current.promise;
}

function inject(src, settings, current) {
  return new Promise((resolve, reject) => {
    if (!window.Helpwire || !window.Helpwire.version) {
      const script = document.createElement('script');
      // The loader reads window.HelpwireSettings as it runs (its keys win over data-*
      // attributes, and its messages name them as `HelpwireSettings.<key>`); the page's own
      // value is put back once it has.
      const had = Object.prototype.hasOwnProperty.call(window, 'HelpwireSettings');
      const previous = window.HelpwireSettings;
      const restore = () => {
        if (had) window.HelpwireSettings = previous;
        else delete window.HelpwireSettings;
      };
      window.HelpwireSettings = settings;
      script.async = true;
      script.src = src;
      script.setAttribute('data-helpwire-loader', '');
      script.addEventListener('load', () => {
        restore();
        if (!window.Helpwire || !window.Helpwire.version) reject(new Error(`Helpwire: ${src} did not install window.Helpwire`));
        else {
          start(window.Helpwire, current, resolve, reject);
          if (current.cancelled) window.Helpwire.destroy();
        }
      }, { once: true });
      script.addEventListener('error', () => {
        restore();
        script.remove();
        reject(new Error(`Helpwire: could not load ${src}`));
      }, { once: true });
      document.head.appendChild(script);
    } else {
      // The page already has the loader (a script tag of its own): use that one.
      start(window.Helpwire, current, resolve, reject);
    }
  });
}

// Settles once the widget is ready or has failed to start; destroy() (see below) before then
// rejects.
function start(api, current, resolve, reject) {
  const settle = (fn, value) => {
    api.off('ready', ready);
    api.off('error', failed);
    fn(value);
  };
  const ready = () => settle(resolve, api);
  const failed = (message) => settle(reject, new Error(message));
  // Late listeners are called at once, so a widget already ready or failed settles this too.
  api.on('ready', ready);
  api.on('error', failed);
  forgetOnDestroy(api, current, () => {
    const error = new Error('Helpwire: destroyed before it was ready');
    error.name = 'AbortError';
    settle(reject, error);
  });
}

// destroy() removes the widget; the loader then stays as it is (it keeps the first copy when
// included twice), so the package also removes it and the global, and the next loadHelpwire()
// starts afresh.
function forgetOnDestroy(api, current, onDestroy) {
  const destroy = api.destroy;
  api.destroy = function () {
    destroy.call(api);
    if (window.Helpwire === api) delete window.Helpwire;
    document.querySelectorAll('script[data-helpwire-loader]').forEach((s) => s.remove());
    if (pending === current) pending = null;
    onDestroy();
  };
}

/**
 * Removes the widget, in whatever state it is: loaded, starting (its loadHelpwire() promise then
 * rejects with an AbortError), or not yet added (it is destroyed as soon as its loader has run,
 * unless loadHelpwire() is called again first, as React's strict mode does). A single-page app
 * calls it when it leaves the routes that show the widget.
 */
export function destroyHelpwire() {
  if (typeof window === 'undefined') return;
  if (window.Helpwire && window.Helpwire.destroy) window.Helpwire.destroy();
  else if (pending) pending.cancelled = true;
}
