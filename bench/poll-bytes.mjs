// What one poll costs in bytes, per backend, for conversations of 100 and 1,000 messages: the
// answer body of the read the widget repeats while the panel is open, with nothing new to say.
// Runs against the sandbox helpdesk (build it first: cd tests/sandbox && cargo build --release).
// Usage: node bench/poll-bytes.mjs
import crypto from 'node:crypto';
import { startSandbox } from '../tests/e2e/sandbox.mjs';

const SIZES = [100, 1000];
const sandbox = await startSandbox();
const json = { 'Content-Type': 'application/json' };

async function call(method, path, body, headers = {}) {
  const res = await fetch(sandbox.url + path, {
    method, headers: { ...(body ? json : {}), ...headers }, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text;
}

/** Agent answers of a realistic length (the visitor wrote the first message). */
async function seed(backend, conversation, count) {
  for (let i = 0; i < count; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 50); j++) {
      batch.push(sandbox.reply(backend, { conversation, text: `Thanks for waiting — here is answer ${j + 1} about your account and its billing.` }));
    }
    await Promise.all(batch);
  }
}

const BACKENDS = {
  async bancroft(n) {
    const key = { 'X-API-Key': 'bnc_cl_test' };
    const conv = JSON.parse(await call('POST', '/bancroft/api/v1/conversations/create/', { subject: 'Hello', channel: 'web' }, key));
    await call('POST', `/bancroft/api/v1/conversations/${conv.id}/messages/create/`, { body: 'Hello', user_email: conv.requester.email }, key);
    await seed('bancroft', conv.id, n - 1);
    const poll = await call('GET', `/bancroft/api/v1/conversations/${conv.id}/messages/`, null, key);
    return { poll: poll.length, note: 'the whole history on every poll (no paging in its documents)' };
  },
  async gleap(n) {
    const session = JSON.parse(await call('POST', '/gleap/v3/sessions', { userId: 'visitor' }));
    const ticket = JSON.parse(await call('POST', '/gleap/v3/tickets', { title: 'Hello', type: 'INQUIRY', session: session._id }));
    await call('POST', '/gleap/v3/messages', { ticket: ticket._id, comment: 'Hello', session: session._id });
    await seed('gleap', ticket._id, n - 1);
    const poll = await call('GET', `/gleap/v3/messages?ticket=${ticket._id}&sort=createdAt&limit=50&skip=${n}`);
    return { poll: poll.length, note: 'only what is new (paged with skip)' };
  },
  async gurusup(n) {
    const thread = `helpwire-bench-${n}`;
    await call('POST', '/gurusup/messages', { body: 'Hello', user_fid: 'visitor', thread_fid: thread, lang: 'en', subject: 'Hello', is_customer_support_agent: false });
    const stored = JSON.parse(await call('GET', `/_sandbox/gurusup/conversations`)).find((c) => c.thread_fid === thread);
    await seed('gurusup', thread, n - stored.messages.length);
    const hash = crypto.createHash('md5').update(thread).digest('hex');
    const poll = await call('GET', `/gurusup/threads/${hash}`);
    return { poll: poll.length, note: 'the whole thread on every poll' };
  },
};

const rows = [];
for (const [name, measure] of Object.entries(BACKENDS)) {
  const cells = [];
  let note = '';
  for (const n of SIZES) {
    await sandbox.reset();
    const r = await measure(n);
    cells.push(r.poll);
    note = r.note;
  }
  rows.push(`| \`${name}\` | ${cells.map((b) => `${b.toLocaleString('en')} B`).join(' | ')} | ${note} |`);
}
sandbox.stop();
console.log(`| backend | ${SIZES.map((n) => `${n.toLocaleString('en')} messages`).join(' | ')} | what a poll reads |`);
console.log(`|---|${SIZES.map(() => '---|').join('')}---|`);
for (const r of rows) console.log(r);
console.log('| `eusate` | 0 B | 0 B | nothing: answers are pushed over the socket; the history is read once on opening |');
console.log('| `bot` | 0 B | 0 B | nothing: the answer comes with the send |');
console.log('| `local` | 0 B | 0 B | nothing on the network: the helpdesk runs in the page |');
