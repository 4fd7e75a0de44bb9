// Helpwire on a plain page, bundled with esbuild: the widget starts with the page and the two
// buttons remove it and bring it back, as a site's own code might.
import { loadHelpwire, destroyHelpwire } from 'helpwire';

// The files of node_modules/helpwire/dist, hosted beside the page (npm run build copies them).
const src = '/helpwire/helpwire.js';
// `?helpwire-test` turns on the local helpdesk's test mode, so that tests script support's
// answers (helpwire/testing); without it the built-in local helpdesk answers by itself.
const settings = { provider: 'local', title: 'Acme support' };
if (new URLSearchParams(location.search).has('helpwire-test')) settings.localReplies = 'script';

function show() {
  loadHelpwire({ src, settings })
    .then((helpwire) => helpwire.on('message', (m) => console.log(`${m.author}: ${m.text}`)))
    .catch((error) => { if (error.name !== 'AbortError') console.error(error); });
}

document.querySelector('#hide').addEventListener('click', () => destroyHelpwire());
document.querySelector('#show').addEventListener('click', show);
show();
