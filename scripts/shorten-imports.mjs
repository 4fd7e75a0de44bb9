// Shortens the names the wasm imports its JavaScript functions by, in the wasm and its
// wasm-bindgen glue together: `__wbg_new_ba40181b3f24ac80` becomes `a`, and the import module
// `./helpwire_local_bg.js` becomes `w`. The hashed names are ~150 random-looking strings that gzip
// cannot compress, written twice (wasm and glue); this saves ~4 KB gzip per bundle.
// Usage: node scripts/shorten-imports.mjs <file_bg.wasm> <glue.js>
// Fails (exit 1, nothing written) if the glue does not hold each name exactly once as a key, so a
// change of wasm-bindgen's output format stops the build instead of shipping a broken bundle.
import fs from 'node:fs';

const [wasmPath, gluePath] = process.argv.slice(2);
if (!wasmPath || !gluePath) {
  console.error('usage: shorten-imports.mjs <file_bg.wasm> <glue.js>');
  process.exit(2);
}
const wasm = fs.readFileSync(wasmPath);
let glue = fs.readFileSync(gluePath, 'utf8');
const fail = (why) => {
  console.error(`shorten-imports: ${why}; ${wasmPath} and ${gluePath} left as they were`);
  process.exit(1);
};

// --- reading and writing the wasm binary format (only what the import section needs) ---
function readU32(buf, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}
function writeU32(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}
function readName(buf, at) {
  const [len, start] = readU32(buf, at);
  return [buf.subarray(start, start + len).toString('utf8'), start + len];
}
const nameBytes = (s) => Buffer.concat([writeU32(Buffer.byteLength(s)), Buffer.from(s, 'utf8')]);
// The end of an import's descriptor starting at `at` (after its kind byte).
function skipDesc(buf, kind, at) {
  const limits = (p) => {
    const flags = buf[p++];
    [, p] = readU32(buf, p);
    if (flags & 1) [, p] = readU32(buf, p);
    return p;
  };
  switch (kind) {
    case 0: return readU32(buf, at)[1]; // function: type index
    case 1: return limits(at + 1); // table: element type, limits
    case 2: return limits(at); // memory: limits
    case 3: return at + 2; // global: value type, mutability
    case 4: return readU32(buf, at + 1)[1]; // tag: attribute, type index
    default: return fail(`unknown import kind ${kind}`);
  }
}

// Short, unique, valid identifiers: a … z, A … Z, then two letters.
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const shortName = (i) => (i < LETTERS.length ? LETTERS[i] : shortName(Math.floor(i / LETTERS.length) - 1) + LETTERS[i % LETTERS.length]);

if (wasm.readUInt32LE(0) !== 0x6d736100) fail('not a wasm module');
const parts = [wasm.subarray(0, 8)];
let at = 8;
let renamed = null;
while (at < wasm.length) {
  const id = wasm[at];
  const [size, body] = readU32(wasm, at + 1);
  const end = body + size;
  if (id !== 2) {
    parts.push(wasm.subarray(at, end));
    at = end;
    continue;
  }
  // The import section: rename the glue module's imports.
  let p = body;
  let count;
  [count, p] = readU32(wasm, p);
  const entries = [writeU32(count)];
  renamed = new Map();
  let glueModule = null;
  for (let i = 0; i < count; i++) {
    let module, field;
    [module, p] = readName(wasm, p);
    [field, p] = readName(wasm, p);
    const kind = wasm[p];
    const descEnd = skipDesc(wasm, kind, p + 1);
    const desc = wasm.subarray(p, descEnd);
    p = descEnd;
    if (module.startsWith('./') && module.endsWith('_bg.js')) {
      if (glueModule !== null && glueModule !== module) fail(`two glue modules: ${glueModule}, ${module}`);
      glueModule = module;
      if (!renamed.has(field)) renamed.set(field, shortName(renamed.size));
      entries.push(nameBytes('w'), nameBytes(renamed.get(field)), desc);
    } else {
      entries.push(nameBytes(module), nameBytes(field), desc);
    }
  }
  if (p !== end) fail('the import section did not parse to its end');
  if (glueModule === null) fail('no imports from the glue');
  const section = Buffer.concat(entries);
  parts.push(Buffer.from([2]), writeU32(section.length), section);
  // The glue: each import is a key of the object it hands to the wasm, once.
  for (const [long, short] of renamed) {
    const key = new RegExp(`^(\\s+)${long}(?=: )`, 'gm');
    const hits = glue.match(key);
    if (!hits || hits.length !== 1) fail(`the glue has ${hits ? hits.length : 0} keys named ${long}`);
    glue = glue.replace(key, `$1${short}`);
  }
  const moduleKey = `"${glueModule}": import0`;
  if (glue.split(moduleKey).length !== 2) fail(`the glue does not name its import module as ${moduleKey}`);
  glue = glue.replace(moduleKey, '"w": import0');
  at = end;
}
if (renamed === null) fail('no import section');
fs.writeFileSync(wasmPath, Buffer.concat(parts));
fs.writeFileSync(gluePath, glue);
console.log(`shorten-imports: ${renamed.size} imports renamed in ${wasmPath}`);
