// Starts helpwire-relay (relay/) in front of the sandbox helpdesk for the end-to-end tests, and
// Debian's redis-server for tests of several relay instances. The relay is built once per run
// (`cargo build --profile relay`, Cargo.toml's [profile.relay]); HELPWIRE_RELAY_BIN skips that.
import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './harness.mjs';

/** The vendors' keys as the sandbox checks them (tests/sandbox/README.md): the relay's secrets. */
export const API_KEYS = {
  gleap: 'gleap_secret_test',
  gurusup: 'gurusup_test',
  bancroft: 'bnc_cl_test',
  bot: 'Bearer bot_test',
  eusate: 'eusate_test',
};

/** The x-api-key Gurusup's webhook sends (the relay's `webhook_key`): a secret as well. */
export const WEBHOOK_KEY = 'gurusup_hook_test';

/** Backend settings beyond api_base and api_key (relay/README.md, `[backend]`). */
const BACKEND_EXTRA = {
  gleap: 'project = "proj_test"',
};

/** One token secret per test run (>= 32 bytes), shared by every instance this run starts. */
export const TOKEN_SECRET = crypto.randomBytes(32).toString('hex');

let built;

/** The relay binary's path, building it (once per process) unless HELPWIRE_RELAY_BIN names one. */
export function relayBinary() {
  if (process.env.HELPWIRE_RELAY_BIN) return Promise.resolve(process.env.HELPWIRE_RELAY_BIN);
  built ??= new Promise((resolve, reject) => {
    const args = ['build', '--profile', 'relay', '-p', 'helpwire-relay', '--message-format=json-render-diagnostics'];
    // Cargo says where the executable is (CARGO_TARGET_DIR included) in its JSON messages.
    execFile('cargo', args, { cwd: ROOT, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`building the relay failed: ${stderr.slice(-4000)}`));
      const exe = stdout.split('\n').map((line) => {
        try { return JSON.parse(line); } catch { return null; }
      }).find((m) => m?.reason === 'compiler-artifact' && m.target?.name === 'helpwire-relay' && m.executable)?.executable;
      if (!exe) return reject(new Error('cargo built no helpwire-relay executable'));
      resolve(exe);
    });
  });
  return built;
}

/** TOML's basic string: JSON's escapes are valid TOML for the text the tests write. */
const str = (s) => JSON.stringify(String(s));

/**
 * Starts a relay for the backend `kind` against the sandbox at `sandboxUrl`, allowing the page
 * origin `origin`. Options: `redisUrl` (instances sharing it share their delivery memory),
 * `limits` (the `[limits]` table, e.g. `{ upstream_timeout_ms: 3000 }`), `secret` (the token
 * secret; the default one is shared by every relay of this run), `webhook` (Gurusup: turn on
 * `POST /v1/hooks/gurusup` with `WEBHOOK_KEY`), `port` (listen there, e.g. to stand in for an
 * instance that was stopped; default: a free one). Secrets reach it through the environment
 * (`env:`), so the config file on disk holds none. Resolves to `{ url, port, stop(), log() }`;
 * `log()` is what it wrote to stderr so far.
 */
export async function startRelay({ kind, sandboxUrl, origin, redisUrl, limits = {}, secret = TOKEN_SECRET, identitySecret, webhook = false, port = 0 }) {
  const bin = await relayBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `helpwire-relay-${kind}-`));
  const lines = [
    `listen = "127.0.0.1:${port}"`,
    `allowed_origins = [${str(origin)}]`,
    'token_secrets = ["env:HELPWIRE_E2E_TOKEN_SECRET"]',
    ...(redisUrl ? [`redis_url = ${str(redisUrl)}`] : []),
    ...(identitySecret ? ['identity_secret = "env:HELPWIRE_E2E_IDENTITY_SECRET"'] : []),
    '',
    '[backend]',
    `kind = ${str(kind)}`,
    // As relay/tests/it/common.rs: the sandbox's prefix for the backend.
    `api_base = ${str(`${sandboxUrl}/${kind}`)}`,
    'api_key = "env:HELPWIRE_E2E_API_KEY"',
    ...(BACKEND_EXTRA[kind] ? [BACKEND_EXTRA[kind]] : []),
    ...(webhook ? ['webhook_key = "env:HELPWIRE_E2E_HOOK_KEY"'] : []),
    '',
    '[limits]',
    ...Object.entries(limits).map(([k, v]) => `${k} = ${typeof v === 'string' ? str(v) : v}`),
  ];
  const config = path.join(dir, 'relay.toml');
  fs.writeFileSync(config, `${lines.join('\n')}\n`);
  const child = spawn(bin, ['--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HELPWIRE_E2E_API_KEY: API_KEYS[kind],
      HELPWIRE_E2E_TOKEN_SECRET: secret,
      ...(webhook ? { HELPWIRE_E2E_HOOK_KEY: WEBHOOK_KEY } : {}),
      ...(identitySecret ? { HELPWIRE_E2E_IDENTITY_SECRET: identitySecret } : {}),
    },
  });
  let err = '';
  // Kept for assertions and failure messages; bounded, the tests write little.
  child.stderr.on('data', (chunk) => { err = (err + chunk).slice(-1_000_000); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the relay did not start: ${out}${err}`)), 15000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/relay listening on (http:\/\/[\d.:]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the relay exited with ${code}: ${out}${err}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    log: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A free loopback port (closed again at once: the caller binds it next). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * Debian's redis-server on a free loopback port, without persistence (as the relay's own tests
 * start it). Resolves to `{ url, stop() }` once it accepts connections.
 */
export async function startRedis() {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const failed = new Promise((_, reject) => {
    child.once('error', (e) => reject(new Error(`redis-server did not start (scripts/setup.sh installs it): ${e.message}`)));
    exited.then((code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  // Ready when it accepts a connection: retried on each refusal, for at most 10 s.
  const ready = (async () => {
    const deadline = Date.now() + 10000;
    for (;;) {
      const ok = await new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
        socket.on('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > deadline) throw new Error('redis-server did not accept connections within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  await Promise.race([ready, failed]);
  failed.catch(() => {}); // its exit at stop() is expected
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A tiny HTTP load balancer in front of several relay instances: each request goes to the next
 * instance in turn, its answer streamed back as it comes (so a long-lived stream passes too).
 * `loseNext({ method, path })` makes the next request matching `method` and the regular
 * expression `path` lose its answer: the instance handles it in full, the client gets the head
 * and half the body, then the connection closes (it cannot tell whether the request arrived;
 * Chromium never resends such a request by itself). The request after it that matches the same
 * way goes to another instance. `served` lists `{ method, path, instance, status, lost }`.
 */
export async function startBalancer(targets) {
  let turn = 0;
  const served = [];
  const rules = []; // { method, path, lose, instance, resolve }
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url, 'http://balancer').pathname;
    const at = rules.findIndex((r) => r.method === req.method && r.path.test(pathname));
    const rule = at >= 0 ? rules.splice(at, 1)[0] : null;
    const instance = rule?.instance ?? turn++ % targets.length;
    const target = new URL(targets[instance]);
    const upstream = http.request({
      host: target.hostname, port: target.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: target.host },
    }, (answer) => {
      const entry = { method: req.method, path: pathname, instance, status: answer.statusCode, lost: !!rule?.lose };
      served.push(entry);
      if (!rule?.lose) {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks = [];
      answer.on('data', (c) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers = { ...answer.headers, 'content-length': String(body.length) };
        delete headers['transfer-encoding'];
        res.writeHead(answer.statusCode, headers);
        res.write(body.subarray(0, body.length >> 1), () => res.destroy());
        // The retry goes elsewhere.
        rules.push({ method: rule.method, path: rule.path, instance: (instance + 1) % targets.length });
        rule.resolve({ ...entry, body: body.toString() });
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    served,
    loseNext: ({ method, path }) => new Promise((resolve) => rules.push({ method, path, lose: true, resolve })),
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
