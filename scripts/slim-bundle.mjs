// Two edits of a release bundle (a wasm and its wasm-bindgen glue, together) that no tool here
// makes. Each fails (exit 1, nothing written) when the input is not shaped as expected, so a
// change of wasm-bindgen's output stops the build instead of shipping a broken bundle.
//
//   node scripts/slim-bundle.mjs drop-unused <file_bg.wasm> <glue.js>            (before wasm-opt)
//     Takes out code that is linked but can never run, so that wasm-opt drops it and all it alone
//     reaches. Three kinds:
//     - wasm-streams. Leptos always links its server-function client, and with it wasm-streams,
//       whose three exported classes (IntoUnderlyingSource, …ByteSource, …Sink) keep ~15 KB of
//       code alive that the widget never calls. Removes their exports (-2 KB gzip) and their
//       classes from the glue (-1 KB). The futures those classes would start are reached through
//       the function table too (their vtables), which wasm-opt must keep whole: their table
//       entries are pointed at one function that traps, so the rest goes as well (-3.5 KB gzip).
//       Only functions whose own name says wasm-streams are touched, and the release build turns
//       off LLVM's function merging so that no other function's body can hide behind such a name.
//     - Table entries whose index nothing in the module holds (see trapUnreferencedEntries):
//       wasm-bindgen's closure shims for every js-sys callback type (-0.5 KB gzip).
//     - tachys' delegated events. Its `On::attach` passes `Some(key)` only when Leptos' `delegation`
//       feature is on (build.sh checks it is off), but LLVM cannot see that the call is always
//       `None`, so a global event map and its hashing stay linked. `Dom::add_event_listener_delegated`
//       and the closures inside it get a trapping body (-1.9 KB gzip).
//   node scripts/slim-bundle.mjs shorten-names <file_bg.wasm> <glue.js>          (after wasm-opt)
//     `__wbg_new_ba40181b3f24ac80` becomes `a`, and the import module `./helpwire_local_bg.js`
//     becomes `w`. The hashed names are ~150 random-looking strings that gzip cannot compress,
//     written twice (wasm and glue); -5.5 KB gzip. The exports likewise (`wasm.__wbindgen_malloc`
//     becomes `wasm.b`; closure shims are named after their whole Rust type); -1 KB gzip. Glue
//     functions for imports wasm-opt dropped go, and so do the wasm's custom sections.
import fs from 'node:fs';

const [command, wasmPath, gluePath] = process.argv.slice(2);
if (!['drop-unused', 'shorten-names'].includes(command) || !wasmPath || !gluePath) {
  console.error('usage: slim-bundle.mjs drop-unused|shorten-names <file_bg.wasm> <glue.js>');
  process.exit(2);
}
const wasm = fs.readFileSync(wasmPath);
let glue = fs.readFileSync(gluePath, 'utf8');
const fail = (why) => {
  console.error(`slim-bundle ${command}: ${why}; ${wasmPath} and ${gluePath} left as they were`);
  process.exit(1);
};

// --- reading and writing the wasm binary format (only what these edits need) ---
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

// Each section of `buf`: its id, and where its body starts and ends.
function sections(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100) fail('not a wasm module');
  const found = [];
  for (let at = 8; at < buf.length; ) {
    const [size, body] = readU32(buf, at + 1);
    found.push({ id: buf[at], body, end: body + size });
    at = body + size;
  }
  return found;
}

// A module from `buf`'s header and `parts`, each an id and that section's body.
const assemble = (buf, parts) =>
  Buffer.concat([buf.subarray(0, 8), ...parts.flatMap(([id, body]) => [Buffer.from([id]), writeU32(body.length), body])]);

// `wasm` with section `id` replaced by `edit(bodyStart, bodyEnd)`'s bytes; fails if it is absent.
function rewriteSection(wasm, id, edit) {
  const all = sections(wasm);
  if (!all.some((s) => s.id === id)) fail(`no section ${id}`);
  return assemble(wasm, all.map((s) => [s.id, s.id === id ? edit(s.body, s.end) : wasm.subarray(s.body, s.end)]));
}

// The entries of the import section `buf[body, end)`: module and field names, and the bytes
// after them (kind and descriptor).
function readImports(buf, body, end) {
  let [count, p] = readU32(buf, body);
  const entries = [];
  for (let i = 0; i < count; i++) {
    let module, field;
    [module, p] = readName(buf, p);
    [field, p] = readName(buf, p);
    const descEnd = skipDesc(buf, buf[p], p + 1);
    entries.push({ module, field, desc: buf.subarray(p, descEnd) });
    p = descEnd;
  }
  if (p !== end) fail('the import section did not parse to its end');
  return entries;
}

function shortenImports() {
  let renamed = null;
  let dropped = 0;
  const result = rewriteSection(wasm, 2, (body, end) => {
    const imports = readImports(wasm, body, end);
    const entries = [writeU32(imports.length)];
    renamed = new Map();
    let glueModule = null;
    for (const { module, field, desc } of imports) {
      if (module.startsWith('./') && module.endsWith('_bg.js')) {
        if (glueModule !== null && glueModule !== module) fail(`two glue modules: ${glueModule}, ${module}`);
        glueModule = module;
        if (!renamed.has(field)) renamed.set(field, shortName(renamed.size));
        entries.push(nameBytes('w'), nameBytes(renamed.get(field)), desc);
      } else {
        entries.push(nameBytes(module), nameBytes(field), desc);
      }
    }
    if (glueModule === null) fail('no imports from the glue');
    const section = Buffer.concat(entries);
    // Functions the wasm no longer imports (wasm-opt dropped their last caller) leave the glue.
    const importObject = glue.match(/^ {4}const import0 = \{\n[\s\S]*?^ {4}\};\n/m);
    if (!importObject) fail('the glue has no import object');
    for (const [, key] of importObject[0].matchAll(/^ {8}([A-Za-z_$][\w$]*): function\(/gm)) {
      if (renamed.has(key)) continue;
      const entry = new RegExp(`^ {8}${key.replace(/\$/g, '\\$')}: function\\([\\s\\S]*?^ {8}\\}(, arguments\\); \\})?,\\n`, 'm');
      if (!entry.test(glue)) fail(`the glue's import ${key} does not end as expected`);
      glue = glue.replace(entry, '');
      dropped++;
    }
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
    return section;
  });
  return [result, `${renamed.size} imports renamed, ${dropped} unused dropped from the glue`];
}

// The entries of the export section `buf[body, end)`: each one's name and its bytes after the
// name (kind and index), and the whole entry.
function readExports(buf, body, end) {
  let [count, p] = readU32(buf, body);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const start = p;
    let name;
    [name, p] = readName(buf, p);
    const descStart = p;
    [, p] = readU32(buf, p + 1); // kind, index
    entries.push({ name, desc: buf.subarray(descStart, p), whole: buf.subarray(start, p) });
  }
  if (p !== end) fail('the export section did not parse to its end');
  return entries;
}

// The wasm's exports get short names too: the glue reaches each only as `wasm.<name>`, and
// wasm-bindgen names closure shims after their whole Rust type (up to 340 characters each).
function shortenExports(wasm) {
  let count = 0;
  const result = rewriteSection(wasm, 7, (body, end) => {
    const exports = readExports(wasm, body, end);
    count = exports.length;
    const entries = exports.map(({ name, desc }, i) => {
      // A name as short as the new ones could collide with them; wasm-bindgen makes none.
      if (!/^[A-Za-z_$][\w$]{2,}$/.test(name)) fail(`export ${name} is not a long identifier`);
      // `memory` keeps its name: the glue's init hands the exports to its caller, and measuring
      // tools (the soak test, the benchmark) read `.memory` there.
      const short = name === 'memory' ? name : shortName(i);
      const use = new RegExp(`\\bwasm\\.${name.replace(/\$/g, '\\$')}(?![\\w$])`, 'g');
      glue = glue.replace(use, `wasm.${short}`);
      // Reached some other way (`wasm["…"]`) it would break: stop instead.
      if (['"', "'", '`'].some((q) => glue.includes(q + name + q))) fail(`the glue names export ${name} in quotes`);
      return Buffer.concat([nameBytes(short), desc]);
    });
    if (/\bwasm\s*\[|\}\s*=\s*wasm\b/.test(glue)) fail('the glue reads exports other than as wasm.<name>');
    return Buffer.concat([writeU32(count), ...entries]);
  });
  return [result, count];
}

const ADAPTERS = ['IntoUnderlyingByteSource', 'IntoUnderlyingSink', 'IntoUnderlyingSource'];

// Function index → name, from the custom "name" section (rustc keeps symbol names there).
function functionNames(buf) {
  const names = new Map();
  for (const { id, body, end } of sections(buf)) {
    if (id !== 0) continue;
    let [custom, p] = readName(buf, body);
    if (custom !== 'name') continue;
    while (p < end) {
      const subsection = buf[p];
      let size;
      [size, p] = readU32(buf, p + 1);
      if (subsection === 1) {
        let [count, q] = readU32(buf, p);
        for (let i = 0; i < count; i++) {
          let index, name;
          [index, q] = readU32(buf, q);
          [name, q] = readName(buf, q);
          names.set(index, name);
        }
      }
      p += size;
    }
  }
  if (names.size === 0) fail('no function names (was the wasm stripped?)');
  return names;
}

// How many functions the module imports: defined functions are numbered after them.
function importedFunctions(buf) {
  const imports = sections(buf).find(({ id }) => id === 2);
  if (!imports) return 0;
  return readImports(buf, imports.body, imports.end).filter(({ desc }) => desc[0] === 0).length;
}

// Appends a function whose body is `unreachable` (valid whatever its type) and points at it
// every table entry for which `trapIf(function index, table slot)` holds. Returns the module and
// how many it pointed.
function retargetTable(buf, trapIf) {
  const section = (id) => sections(buf).find((s) => s.id === id) ?? fail(`no section ${id}`);
  const [defined] = readU32(buf, section(3).body);
  const trap = importedFunctions(buf) + defined;
  let pointed = 0;
  buf = rewriteSection(buf, 9, (body, end) => {
    let [segments, p] = readU32(buf, body);
    // LLVM writes one active segment for table 0 at a constant offset (flags 0).
    if (segments !== 1 || buf[p] !== 0) fail('the element section is not one plain segment');
    if (buf[p + 1] !== 0x41) fail('the element segment does not start at an i32.const');
    const [offset, constEnd] = readU32(buf, p + 2);
    if (buf[constEnd] !== 0x0b || offset >= 64) fail('the element segment offset is not a small plain constant');
    const offsetEnd = constEnd + 1;
    let count;
    [count, p] = readU32(buf, offsetEnd);
    const entries = [];
    for (let i = 0; i < count; i++) {
      let index;
      [index, p] = readU32(buf, p);
      if (trapIf(index, offset + i)) {
        index = trap;
        pointed++;
      }
      entries.push(writeU32(index));
    }
    if (p !== end) fail('the element section did not parse to its end');
    return Buffer.concat([buf.subarray(body, offsetEnd), writeU32(count), ...entries]);
  });
  // The new function: type 0 (any type will do), no locals, `unreachable`, `end`.
  const append = (id, extra) =>
    (buf = rewriteSection(buf, id, (body, end) => {
      const [count, p] = readU32(buf, body);
      return Buffer.concat([writeU32(count + 1), buf.subarray(p, end), extra]);
    }));
  append(3, writeU32(0));
  append(10, Buffer.from([3, 0x00, 0x00, 0x0b]));
  return [buf, pointed];
}

// Every table entry naming a wasm-streams function.
function trapStreamFutures(buf) {
  const names = functionNames(buf);
  return retargetTable(buf, (index) => /\bwasm_streams\[/.test(names.get(index) ?? ''));
}

// Replaces the body of every defined function whose name matches `pattern` with `unreachable`
// (valid whatever its type), so wasm-opt drops all they alone reach. Returns the module and how
// many it replaced.
function trapFunctions(buf, pattern) {
  const names = functionNames(buf);
  const first = importedFunctions(buf);
  let replaced = 0;
  buf = rewriteSection(buf, 10, (body, end) => {
    let [count, p] = readU32(buf, body);
    const bodies = [writeU32(count)];
    for (let i = 0; i < count; i++) {
      const [size, start] = readU32(buf, p);
      if (pattern.test(names.get(first + i) ?? '')) {
        bodies.push(Buffer.from([3, 0x00, 0x00, 0x0b])); // size 3: no locals, unreachable, end
        replaced++;
      } else {
        bodies.push(buf.subarray(p, start + size));
      }
      p = start + size;
    }
    if (p !== end) fail('the code section did not parse to its end');
    return Buffer.concat(bodies);
  });
  return [buf, replaced];
}

// Table entries nothing can reach. Rust on wasm32 takes a function's address only as a constant
// the linker wrote: an `i32.const` in code, or four bytes in a data segment (a vtable). Entries
// whose index appears as neither were put there for wasm-bindgen's descriptors (closure shims
// for every js-sys callback type), which wasm-bindgen has since removed. Any `0x41` byte in the
// code and any four bytes in the data count as a use, so the scan can only keep too much.
function trapUnreferencedEntries(buf) {
  const used = new Set();
  const section = (id) => sections(buf).find((s) => s.id === id);
  // Code, and globals' initial values should a pointer ever be kept in one: every `i32.const`.
  for (const { body, end } of [section(10) ?? fail('no code section'), section(6) ?? { body: 0, end: 0 }]) {
    for (let at = body; at < end; at++) if (buf[at] === 0x41) used.add(readU32(buf, at + 1)[0]);
  }
  const data = section(11) ?? fail('no data section');
  for (let at = data.body; at + 4 <= data.end; at++) used.add(buf.readUInt32LE(at));
  return retargetTable(buf, (index, slot) => !used.has(slot));
}

function dropUnused() {
  let dropped = 0;
  const result = rewriteSection(wasm, 7, (body, end) => {
    const keep = [];
    for (const { name, whole } of readExports(wasm, body, end)) {
      if (name.includes('intounderlying')) dropped++;
      else keep.push(whole);
    }
    return Buffer.concat([writeU32(keep.length), ...keep]);
  });
  if (dropped === 0) fail('no wasm-streams exports found');
  const [streamless, pointed] = trapStreamFutures(result);
  if (pointed === 0) fail('no wasm-streams functions in the table');
  const [unreferenced, orphans] = trapUnreferencedEntries(streamless);
  const [trapped, delegation] = trapFunctions(unreferenced, /\btachys\[[0-9a-f]+\]::renderer::dom::Dom>::add_event_listener_delegated\b/);
  if (delegation === 0) fail('no delegated-event functions found');
  for (const name of ADAPTERS) {
    for (const block of [
      new RegExp(`^export class ${name} \\{\\n[\\s\\S]*?^\\}\\n`, 'm'),
      new RegExp(`^if \\(Symbol\\.dispose\\) ${name}\\.prototype.*\\n`, 'm'),
      new RegExp(`^const ${name}Finalization = [\\s\\S]*?\\);\\n`, 'm'),
    ]) {
      if (!block.test(glue)) fail(`the glue has no ${block.source}`);
      glue = glue.replace(block, '');
    }
  }
  if (/intounderlying/i.test(glue)) fail('the glue still refers to the stream adapters');
  return [trapped, `${dropped} stream-adapter exports dropped, ${pointed} table entries trap, ${orphans} unreferenced entries trap, ${delegation} delegated-event functions trap`];
}

// The module without its custom sections (producers, target features, …): browsers ignore them.
function dropCustomSections(buf) {
  const kept = sections(buf).filter(({ id }) => id !== 0);
  return assemble(buf, kept.map(({ id, body, end }) => [id, buf.subarray(body, end)]));
}

let result, summary;
if (command === 'shorten-names') {
  const [imported, importSummary] = shortenImports();
  const [exported, exports] = shortenExports(imported);
  [result, summary] = [dropCustomSections(exported), `${importSummary}, ${exports} exports renamed, custom sections dropped`];
} else {
  [result, summary] = dropUnused();
}
fs.writeFileSync(wasmPath, result);
fs.writeFileSync(gluePath, glue);
console.log(`slim-bundle ${command}: ${summary} in ${wasmPath}`);
