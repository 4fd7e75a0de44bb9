/*! Helpwire loader */
/* Installs window.Helpwire at once, queues calls, and loads the widget (wasm + glue, beside
   this file) when the page is idle or as soon as the API is used. Classic script, no eval, no
   inline styles: works under a strict CSP. Only the line above ships with the minified file. */
(function (w, d) {
  'use strict';
  if (w.Helpwire && w.Helpwire.version) return; // included twice: keep the first

  var EVENTS = ['ready', 'open', 'close', 'message', 'sent', 'unread', 'error', 'conversation'];
  // Each backend's bundle, by the content hash in its immutable file names
  // (helpwire_<backend>.<hash>.js and .wasm): filled in by scripts/build.sh.
  var BUNDLES = { local: '', bancroft: '', gleap: '', gurusup: '', bot: '', eusate: '', relay: '' };
  var script = d.currentScript;
  var src = (script && script.src) || '';
  var base = src.slice(0, src.lastIndexOf('/') + 1);
  // Attributes and HelpwireSettings are kept apart (its keys win), so that the widget's messages
  // name what the site wrote; copied now, as the page had them when this script ran.
  var attributes = {};
  var settings = w.HelpwireSettings;
  var given = settings;
  var key;
  if (script) for (key in script.dataset) attributes[key] = script.dataset[key];
  if (given && typeof given === 'object' && !Array.isArray(given)) {
    settings = {};
    for (key in given) if ({}.hasOwnProperty.call(given, key)) settings[key] = given[key];
  }

  var listeners = {};
  var queue = [];
  var widget = null;
  var state = 'idle'; // idle → loading → ready | error | destroyed
  var host = null;
  var startError = null; // why the widget could not start, for late `error` subscribers

  // A setting as the page gave it: HelpwireSettings' key (unless undefined), else the attribute.
  function setting(name) {
    var v = settings && typeof settings === 'object' ? settings[name] : undefined;
    return v === undefined ? attributes[name] : v;
  }
  function is(name, value) {
    var v = setting(name);
    return typeof v === 'string' && v.trim() === value;
  }
  // One bundle per backend: fetch only the configured one's code. An unknown name gets the
  // local bundle, whose configuration check then reports it.
  var backend = setting('provider');
  backend = String(backend == null ? 'local' : backend).trim();
  if (!{}.hasOwnProperty.call(BUNDLES, backend)) backend = 'local';

  function log(kind, text, error) {
    if (w.console) w.console[kind]('Helpwire: ' + text, error === undefined ? '' : error);
  }

  // data-sound="on": a short, quiet tone for support's messages while the panel is closed or the
  // tab hidden. Web Audio (no media file for a strict CSP to allow); here rather than in the
  // wasm, where the same calls cost five times the bytes (README, Performance). Blocked autoplay
  // leaves the context suspended: nothing heard, nothing thrown. The widget validates the value.
  var sound = is('sound', 'on');
  var open = false;

  function tone() {
    try {
      var c = new AudioContext(), o = c.createOscillator(), g = c.createGain();
      g.gain.value = 0.1;
      o.frequency.value = 880;
      o.connect(g).connect(c.destination);
      o.onended = function () { c.close(); };
      o.start();
      o.stop(c.currentTime + 0.2);
    } catch (e) { /* no Web Audio: no tone */ }
  }

  function emit(name, detail) {
    if (name === 'open' || name === 'close') open = name === 'open';
    if (name === 'message' && sound && (!open || d.hidden)) tone();
    if (name === 'error' && state !== 'ready') startError = detail;
    var fns = (listeners[name] || []).slice();
    for (var i = 0; i < fns.length; i++) {
      try { fns[i](detail); } catch (e) { log('error', 'a listener for "' + name + '" threw', e); }
    }
  }

  function fail(error) {
    var already = state === 'error';
    state = 'error';
    if (host) host.setAttribute('data-state', 'error');
    if (!already) {
      log('error', 'the widget could not start; the page is unaffected.', error);
      emit('error', String((error && error.message) || error));
    }
  }

  function whenBody(fn) {
    if (d.body) fn();
    else d.addEventListener('DOMContentLoaded', fn, { once: true });
  }

  function ensureHost() {
    if (!host) {
      host = d.createElement('helpwire-chat');
      host.setAttribute('data-state', 'loading');
      d.body.appendChild(host);
    }
  }

  function load() {
    if (state !== 'idle') return;
    state = 'loading';
    whenBody(function () {
      if (state !== 'loading') return;
      ensureHost();
      var bundle = base + 'helpwire_' + backend + '.' + BUNDLES[backend];
      watchForCrash(bundle);
      import(bundle + '.js')
        .then(function (m) {
          return m.default({ module_or_path: bundle + '.wasm' }).then(yieldToPage).then(function () {
            if (state !== 'loading') return;
            if (host.getAttribute('data-state') === 'error') return fail('boot failed');
            return m.boot([attributes, settings, base], host, emit).then(function (handle) {
              // Destroyed while it was starting: stop what it started.
              if (state !== 'loading') return handle.destroy();
              widget = handle;
              state = 'ready';
              var calls = queue.splice(0);
              for (var i = 0; i < calls.length; i++) call(calls[i][0], calls[i][1]);
            });
          });
        })
        .catch(function (e) {
          if (host && host.getAttribute('data-state') === 'error') state = 'error';
          else fail(e);
        });
    });
  }

  // Release bundles abort at once on a panic (no message formatting in the bundle): a
  // WebAssembly.RuntimeError whose stack starts in this bundle's wasm. It must not pass unnoticed:
  // the host shows the error state and `error` listeners hear of it. Other scripts' errors are
  // left alone.
  function watchForCrash(bundle) {
    function check(error) {
      if (w.WebAssembly && error instanceof WebAssembly.RuntimeError && String(error.stack).indexOf(bundle) >= 0) {
        crashed(error);
      }
    }
    w.addEventListener('error', function (e) { check(e.error); });
    w.addEventListener('unhandledrejection', function (e) { check(e.reason); });
  }

  function crashed(error) {
    if (state === 'error' || state === 'destroyed') return;
    state = 'error';
    // A debug build's panic hook has already reported it, with the panic's message.
    if (!host || host.getAttribute('data-state') === 'error') return;
    host.setAttribute('data-state', 'error');
    log('error', 'the widget crashed; the page is unaffected.', error);
    emit('error', 'Helpwire crashed: ' + error.message);
  }

  // Compiling the wasm and mounting the widget run in separate tasks, so neither makes a long one
  // on the host page; a page that is waiting for the widget (an API call) skips the pause.
  function yieldToPage() {
    return new Promise(function (resolve) { setTimeout(resolve, queue.length ? 0 : 16); });
  }

  function call(method, args) {
    if (state === 'idle' || state === 'loading') {
      queue.push([method, args]);
      load();
    } else if (state === 'ready' && widget[method]) {
      try { widget[method].apply(widget, args); } catch (e) { fail(e); }
    } else {
      // Destroyed, failed, or a call this build of the bundle lacks.
      log('warn', method + '() ignored:', state === 'ready' ? 'not in this bundle' : state);
    }
  }

  function method(name) {
    return function () { call(name, [].slice.call(arguments)); };
  }

  w.Helpwire = {
    version: '0.1.0',
    open: method('open'),
    close: method('close'),
    toggle: method('toggle'),
    identify: method('identify'),
    reset: method('reset'),
    setLocale: method('setLocale'),
    newConversation: method('newConversation'),
    showConversations: method('showConversations'),
    on: function (name, fn) {
      if (EVENTS.indexOf(name) < 0 || typeof fn !== 'function') {
        return log('error', 'on(event, fn): no such event, or fn is not a function', EVENTS);
      }
      (listeners[name] = listeners[name] || []).push(fn);
      // Late subscribers still learn that the widget is ready.
      if (name === 'ready' && state === 'ready') setTimeout(function () { fn(); }, 0);
      // …and late `error` subscribers that it could not start.
      if (name === 'error' && state === 'error' && startError !== null) {
        setTimeout(function () { fn(startError); }, 0);
      }
    },
    off: function (name, fn) {
      var fns = listeners[name] || [];
      var i = fns.indexOf(fn);
      if (i >= 0) fns.splice(i, 1);
    },
    destroy: function () {
      if (state === 'ready') {
        try { widget.destroy(); } catch (e) { /* already gone */ }
      }
      if (host && host.parentNode) host.parentNode.removeChild(host);
      state = 'destroyed';
      queue.length = 0;
    }
  };

  // The local helpdesk's test mode: the test scripts support's replies (README, DOM and test
  // contract). Absent otherwise, so that nothing a test does can reach a real widget.
  if (backend === 'local' && is('localReplies', 'script')) {
    w.Helpwire.testing = { reply: method('test'), failNextDelivery: function () { call('test', [null, -1]); } };
  }

  // Stage two waits for the page: after `load`, in idle time, so the host page never waits on us.
  function idle() {
    (w.requestIdleCallback || function (f) { setTimeout(f, 200); })(load, { timeout: 3000 });
  }
  if (d.readyState === 'complete') idle();
  else w.addEventListener('load', idle, { once: true });
  // A visitor who starts interacting with the page may be reaching for the launcher: start now.
  var early = ['pointerdown', 'keydown', 'touchstart'];
  function reach() {
    for (var i = 0; i < early.length; i++) w.removeEventListener(early[i], reach, true);
    if (state === 'idle' && d.readyState !== 'loading') load();
  }
  for (var i = 0; i < early.length; i++) w.addEventListener(early[i], reach, { capture: true, passive: true });
})(window, document);
