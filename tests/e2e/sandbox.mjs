// Starts the sandbox helpdesk (tests/sandbox, built with `cargo build --release`) on a free port
// and talks to its control API.
import { spawn } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { before, after } from 'node:test';
import { ROOT, launch, startServer } from './harness.mjs';

// As the relay's tests find it: HELPWIRE_SANDBOX_BIN, else the sandbox's own target folder, else
// a shared CARGO_TARGET_DIR (where `cargo build --manifest-path tests/sandbox/Cargo.toml` puts it).
export const SANDBOX_BIN = process.env.HELPWIRE_SANDBOX_BIN ?? [
  path.join(ROOT, 'tests/sandbox/target/release/helpwire-sandbox'),
  ...(process.env.CARGO_TARGET_DIR ? [path.join(process.env.CARGO_TARGET_DIR, 'release/helpwire-sandbox')] : []),
].find((p) => fs.existsSync(p)) ?? path.join(ROOT, 'tests/sandbox/target/release/helpwire-sandbox');

export async function startSandbox() {
  if (!fs.existsSync(SANDBOX_BIN)) {
    throw new Error(`sandbox not built: run (cd tests/sandbox && cargo build --release)`);
  }
  const child = spawn(SANDBOX_BIN, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${out}`)), 15000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/[\d.:]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${out}`)));
  });
  const call = async (method, p, body) => {
    const res = await fetch(url + p, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    url,
    stop: () => child.kill('SIGTERM'),
    reset: () => call('POST', '/_sandbox/reset'),
    conversations: (backend) => call('GET', `/_sandbox/${backend}/conversations`),
    reply: (backend, body) => call('POST', `/_sandbox/${backend}/reply`, body),
    /** Support closes a conversation (`{conversation}`: the backend's own id). */
    close: (backend, body) => call('POST', `/_sandbox/${backend}/close`, body),
    /** Gurusup's webhook: `{url, key}` turns it on, `{url: null}` off; answers `{url, sent, failed}`. */
    webhook: (body) => call('POST', '/_sandbox/gurusup/webhook', body),
    webhookStatus: () => call('GET', '/_sandbox/gurusup/webhook'),
    fault: (body) => call('POST', '/_sandbox/faults', body),
    /** The faults still queued (each with the `count` it has left). */
    faults: () => call('GET', '/_sandbox/faults'),
    clearFaults: () => call('DELETE', '/_sandbox/faults'),
    /** Stored copies of `text` across all of a backend's conversations. */
    stored: async (backend, text) => {
      const list = await call('GET', `/_sandbox/${backend}/conversations`);
      return list.reduce((n, c) => n + copiesOf(c.messages, text), 0);
    },
  };
}

/**
 * The sandbox, a browser and a server of the pages `pagesOf(sandboxUrl)` for the calling test
 * file, started before its tests and stopped after them: read `env.sandbox`, `env.browser` and
 * `env.base` inside the tests (as `servePages` in harness.mjs, with the sandbox).
 */
export function serveWithSandbox(pagesOf) {
  const env = { sandbox: null, browser: null, base: null };
  let server;
  before(async () => {
    env.sandbox = await startSandbox();
    const pages = pagesOf(env.sandbox.url);
    env.browser = await launch();
    ({ server, url: env.base } = await startServer({ pages }));
  });
  after(async () => {
    await env.browser?.close();
    server?.close();
    env.sandbox?.stop();
  });
  return env;
}

/** The backend's own id of a conversation in the control API's listing. */
export function conversationId(backend, conversation) {
  switch (backend) {
    case 'gleap': return conversation._id ?? conversation.id;
    case 'gurusup': return conversation.thread_fid;
    case 'eusate': return conversation.ticket_chat_id ?? conversation.id;
    case 'bot': return conversation.id ?? conversation.conversation?.id;
    default: return conversation.id;
  }
}

/** How many stored messages of a conversation have exactly `text` as their body. */
export function copiesOf(messages, text) {
  const body = (m) => m.body ?? m.message ?? m.comment ?? m.text;
  return (messages || []).filter((m) => body(m) === text).length;
}
