// Helpwire in a React app, bundled with esbuild: a component that loads the widget in an effect
// and removes it when it unmounts. Correct under StrictMode, which mounts, unmounts and mounts
// again in development: destroyHelpwire() before the loader ran cancels it, and the second
// loadHelpwire() takes the same load over, so there is always exactly one widget.
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { loadHelpwire, destroyHelpwire } from 'helpwire';

const src = '/helpwire/helpwire.js';
// `?helpwire-test` turns on the local helpdesk's test mode (helpwire/testing scripts the answers).
const testMode = new URLSearchParams(location.search).has('helpwire-test');

export function SupportChat({ title }) {
  useEffect(() => {
    const settings = { provider: 'local', title, ...(testMode ? { localReplies: 'script' } : {}) };
    loadHelpwire({ src, settings })
      .then((helpwire) => helpwire.on('message', (m) => console.log(`${m.author}: ${m.text}`)))
      // AbortError: unmounted before the widget was ready; nothing to do.
      .catch((error) => { if (error.name !== 'AbortError') console.error(error); });
    return destroyHelpwire;
  }, [title]);
  return null;
}

function App() {
  const [support, setSupport] = useState(true);
  return (
    <main>
      <h1>Acme (React)</h1>
      <button id="hide" type="button" onClick={() => setSupport(false)}>Hide support</button>
      <button id="show" type="button" onClick={() => setSupport(true)}>Show support</button>
      {support && <SupportChat title="Acme support" />}
    </main>
  );
}

createRoot(document.querySelector('#app')).render(<StrictMode><App /></StrictMode>);
