//! Each pass on small modules shaped like the release build's (wasm-bindgen's output for a Rust
//! crate), and each assumption broken in turn.

use std::collections::HashMap;

use slim_wasm::{drop_unused, shorten_names};
use wasmparser::{ElementItems, Parser, Payload};

/// A module as drop-unused meets it. Table slots (offset 1): 1 `$main_closure` (held by an
/// `i32.const` in `$boot`), 2 `$vtable_fn` and 3 `$other_vtable_fn` (each held by four bytes in
/// data, a vtable), 4 `$orphan` (held by nothing).
/// `extra` goes inside the module; `boot_extra` inside `$boot`.
fn module(extra: &str, boot_extra: &str) -> Vec<u8> {
    wat::parse_str(module_text(extra, boot_extra)).expect("the fixture parses")
}

/// tachys' global set of delegated events: its lazy initialiser and a hash-table function of its
/// type, both called by `attach_inner` (into which LLVM inlines part of the delegated path).
const EVENT_SET_INIT: &str = "<tachys[5e]::renderer::dom::GLOBAL_EVENTS::{closure#0} as core[1]::ops::function::FnOnce<()>>::call_once";
const EVENT_SET_GROW: &str = "<hashbrown[7c]::raw::RawTable<(alloc[2]::borrow::Cow<str>, ())>>::reserve_rehash::<hashbrown[7c]::map::make_hasher<alloc[2]::borrow::Cow<str>, (), rustc_hash[3d]::FxBuildHasher>::{closure#0}>";

/// The text of [`module`].
fn module_text(extra: &str, boot_extra: &str) -> String {
    format!(
        r#"(module
          (type $v (func))
          (type $i (func (param i32)))
          (import "./helpwire_x_bg.js" "__wbg_log_0123abcd" (func $log (param i32)))
          (table $t 5 5 funcref)
          (memory 1)
          (global $sp (mut i32) (i32.const 1024))
          (elem (i32.const 1) func $main_closure $vtable_fn $other_vtable_fn $orphan)
          (data (i32.const 16) "\02\00\00\00\03\00\00\00")
          (func $boot (export "boot")
            i32.const 1
            call_indirect (type $v)
            i32.const 7
            call $log
            {boot_extra})
          (func $main_closure (type $v) i32.const 42 call $log)
          (func $vtable_fn (type $v) i32.const 43 call $log)
          (func $other_vtable_fn (type $v) i32.const 44 call $log)
          (func $orphan (type $v) i32.const 45 call $log)
          (func $"<tachys[5e]::renderer::dom::Dom>::add_event_listener_delegated" (param i32)
            local.get 0 call $log)
          (func $"<tachys[5e]::renderer::dom::Dom>::add_event_listener_delegated::{{closure#0}}" (type $v)
            i32.const 46 call $log)
          (func $"<tachys[5e]::html::event::On<_, _>>::attach::attach_inner" (param i32)
            local.get 0 call $log
            call $"{EVENT_SET_INIT}"
            call $"{EVENT_SET_GROW}")
          (func $"{EVENT_SET_INIT}" (type $v) i32.const 47 call $log)
          (func $"{EVENT_SET_GROW}" (type $v) i32.const 48 call $log)
          {extra})"#
    )
}

/// The glue, as wasm-bindgen writes it: the import object and the exports' users.
const GLUE: &str = r#"export function boot() {
    wasm.boot();
}

function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_log_0123abcd: function(arg0) {
            console.log(arg0);
        },
        __wbg_gone_4567cdef: function() { return handleError(function (arg0) {
            arg0.gone();
        }, arguments); },
    };
    return {
        __proto__: null,
        "./helpwire_x_bg.js": import0,
    };
}

let wasm;
function __wbg_finalize_init(instance) {
    wasm = instance.exports;
    return wasm;
}
"#;

fn glue() -> String {
    GLUE.to_string()
}

/// Each section's id and body, custom sections keyed by their name too.
fn sections(wasm: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.unwrap();
        let key = match &payload {
            Payload::CustomSection(c) => format!("custom {}", c.name()),
            _ => match payload.as_section() {
                Some((id, _)) => id.to_string(),
                None => continue,
            },
        };
        let (_, range) = payload.as_section().unwrap();
        out.push((key, wasm[range].to_vec()));
    }
    out
}

fn section(wasm: &[u8], key: &str) -> Vec<u8> {
    sections(wasm)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, b)| b)
        .unwrap()
}

/// Function name → body bytes (locals and code).
fn bodies(wasm: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut names = HashMap::new();
    let mut imported = 0;
    let mut list = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            Payload::ImportSection(s) => imported = s.into_imports().count() as u32,
            Payload::CodeSectionEntry(body) => list.push(body.as_bytes().to_vec()),
            Payload::CustomSection(c) => {
                if let wasmparser::KnownCustom::Name(reader) = c.as_known() {
                    for sub in reader {
                        if let wasmparser::Name::Function(map) = sub.unwrap() {
                            for n in map {
                                let n = n.unwrap();
                                names.insert(n.index, n.name.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    list.into_iter()
        .enumerate()
        .map(|(i, b)| {
            (
                names
                    .get(&(imported + i as u32))
                    .cloned()
                    .unwrap_or(format!("#{}", imported + i as u32)),
                b,
            )
        })
        .collect()
}

/// The element segment's function indices, and the number of functions.
fn table(wasm: &[u8]) -> Vec<u32> {
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ElementSection(s) = payload.unwrap() {
            let segment = s.into_iter().next().unwrap().unwrap();
            let ElementItems::Functions(items) = segment.items else {
                panic!()
            };
            return items.into_iter().map(|i| i.unwrap()).collect();
        }
    }
    panic!("no element section")
}

fn export_names(wasm: &[u8]) -> Vec<String> {
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ExportSection(s) = payload.unwrap() {
            return s.into_iter().map(|e| e.unwrap().name.to_string()).collect();
        }
    }
    Vec::new()
}

fn refused(wasm: &[u8], glue: &str, why: &str) {
    match drop_unused(wasm, glue) {
        Ok(_) => panic!("drop-unused accepted a module it should refuse ({why})"),
        Err(e) => {
            let message = format!("{e:#}");
            assert!(
                message.contains(why),
                "refused for another reason: {message} (expected: {why})"
            );
        }
    }
}

#[test]
fn drop_unused_traps_what_cannot_run_and_keeps_the_rest() {
    let wasm = module("", "");
    let edited = drop_unused(&wasm, &glue()).unwrap();
    let out = &edited.bundle.wasm;
    assert_eq!(
        edited.summary,
        "1 unreferenced entries trap, 4 delegated-event functions trap"
    );

    assert_eq!(export_names(out), ["boot"]);
    // Slot 4 (held by nothing) points at the new last function, which traps; slots 1 to 3 are
    // untouched.
    let before = table(&wasm);
    let after = table(out);
    let trap = bodies(&wasm).len() as u32 + 1; // one imported function, then the defined ones
    assert_eq!(after, [before[0], before[1], before[2], trap]);
    let after_bodies = bodies(out);
    assert_eq!(after_bodies[&format!("#{trap}")], [0x00, 0x00, 0x0b]);
    // The delegated-event functions and the event set's trap; every other body is the same bytes
    // (`attach_inner` too: its `None` branch is how every listener is attached).
    for (name, body) in bodies(&wasm) {
        if name.contains("add_event_listener_delegated")
            || name == EVENT_SET_INIT
            || name == EVENT_SET_GROW
        {
            assert_eq!(after_bodies[&name], [0x00, 0x00, 0x0b], "{name}");
        } else {
            assert_eq!(after_bodies[&name], body, "{name}");
        }
    }
    // Every section it does not edit is the same bytes.
    for (key, body) in sections(&wasm) {
        if !["3", "9", "10"].contains(&key.as_str()) {
            assert_eq!(section(out, &key), body, "section {key}");
        }
    }
    // The glue is left as it was.
    assert_eq!(edited.bundle.glue, glue());
}

#[test]
fn drop_unused_accepts_an_exported_table_indexed_by_variables() {
    let wasm = module(r#"(export "__wbindgen_export_2" (table $t))"#, "");
    let glue = glue().replace(
        "let wasm;",
        "function dtor(state) { wasm.__wbindgen_export_2.get(state.dtor)(state.a, state.b); }\nlet wasm;",
    );
    drop_unused(&wasm, &glue).unwrap();
}

#[test]
fn drop_unused_refuses_a_table_slot_the_glue_indexes_by_number() {
    let wasm = module(r#"(export "__wbindgen_export_2" (table $t))"#, "");
    let glue = glue().replace(
        "let wasm;",
        "const f = wasm.__wbindgen_export_2.get(4);\nlet wasm;",
    );
    refused(
        &wasm,
        &glue,
        "other than as wasm.__wbindgen_export_2.get(variable)",
    );
}

#[test]
fn drop_unused_refuses_a_table_slot_held_only_by_the_glue() {
    // As older wasm-bindgen wrote closures: the destructor's slot (4, which nothing in the wasm
    // holds) as a literal in the glue, read back through a variable.
    let wasm = module(r#"(export "__wbindgen_export_2" (table $t))"#, "");
    let glue = glue().replace(
        "let wasm;",
        "function makeMutClosure(a, b, dtor) { return () => wasm.__wbindgen_export_2.get(dtor)(a, b); }\n\
         const ret = makeMutClosure(arg0, arg1, 4);\nlet wasm;",
    );
    refused(
        &wasm,
        &glue,
        "holds the number 4, a table slot that would trap",
    );
}

#[test]
fn drop_unused_refuses_other_uses_of_an_exported_table() {
    let wasm = module(r#"(export "__wbindgen_export_2" (table $t))"#, "");
    for (use_, why) in [
        (
            "wasm.__wbindgen_export_2.set(state.i, f);",
            "other than as wasm.__wbindgen_export_2.get(variable)",
        ),
        (
            "wasm.__wbindgen_export_2.grow(1);",
            "other than as wasm.__wbindgen_export_2.get(variable)",
        ),
        (
            "const t = wasm.__wbindgen_export_2;",
            "other than as wasm.__wbindgen_export_2.get(variable)",
        ),
        ("wasm['__wbindgen_export_2'].get(state.i);", "in quotes"),
        (
            "const { __wbindgen_export_2: t } = wasm;",
            "other than as wasm.<name>",
        ),
    ] {
        refused(
            &wasm,
            &glue().replace("let wasm;", &format!("{use_}\nlet wasm;")),
            why,
        );
    }
}

#[test]
fn drop_unused_refuses_code_that_writes_the_table() {
    for (code, why) in [
        ("i32.const 1 ref.null func table.set $t", "TableSet"),
        ("ref.null func i32.const 1 table.grow $t drop", "TableGrow"),
        (
            "i32.const 0 i32.const 0 i32.const 1 table.copy $t $t",
            "TableCopy",
        ),
        ("ref.func $orphan drop", "RefFunc"),
    ] {
        refused(&module("", code), &glue(), why);
    }
}

#[test]
fn drop_unused_refuses_an_element_section_it_does_not_expect() {
    refused(
        &module("(elem (i32.const 0) func $boot)", ""),
        &glue(),
        "not one segment but 2",
    );
    refused(
        &module("(elem declare func $boot)", ""),
        &glue(),
        "not one segment but 2",
    );
}

#[test]
fn drop_unused_refuses_a_stripped_module() {
    let wasm = wat::parse_str(
        r#"(module (table 2 funcref) (elem (i32.const 1) func 0) (func (export "close")))"#,
    )
    .unwrap();
    refused(&wasm, &glue(), "no function names");
}

#[test]
fn drop_unused_refuses_an_imported_table() {
    let text = module_text_with_elem("(elem (i32.const 1) func $main_closure)", "").replace(
        "(import ",
        r#"(import "env" "table" (table 1 funcref)) (import "#,
    );
    refused(&wat::parse_str(&text).unwrap(), &glue(), "imports a table");
}

#[test]
fn drop_unused_refuses_an_element_offset_that_is_not_a_constant() {
    let wasm = wat::parse_str(module_text_with_elem(
        "(elem (global.get $base) func $main_closure $vtable_fn)",
        r#"(global $base i32 (i32.const 1))"#,
    ))
    .unwrap();
    refused(&wasm, &glue(), "offset is not an i32.const");
}

/// A small module with the given element segment (and extra fields), named like rustc's.
fn module_text_with_elem(elem: &str, extra: &str) -> String {
    format!(
        r#"(module
          (import "./helpwire_x_bg.js" "__wbg_log_0123abcd" (func $log (param i32)))
          (table $t 5 5 funcref)
          (memory 1)
          {extra}
          {elem}
          (func $main_closure i32.const 42 call $log)
          (func $vtable_fn (export "close") i32.const 43 call $log))"#
    )
}

#[test]
fn drop_unused_refuses_wasm_streams_adapter_exports() {
    // The crate from crates.io exports its adapter classes, which keep their code and data
    // linked: the build must use vendor/wasm-streams.
    let wasm = module(
        r#"(func (export "intounderlyingsource_pull") (param i32) local.get 0 call $log)"#,
        "",
    );
    refused(
        &wasm,
        &glue(),
        "wasm-streams exports intounderlyingsource_pull: is vendor/wasm-streams patched in",
    );
}

#[test]
fn drop_unused_refuses_the_event_set_used_outside_the_delegated_path() {
    // Another caller of the set's functions would reach the trap with delegation off.
    let wasm = module(
        &format!(r#"(func $other_set_user call $"{EVENT_SET_GROW}")"#),
        "",
    );
    refused(
        &wasm,
        &glue(),
        "other_set_user calls tachys' delegated-event",
    );
    // So would any call through the table.
    let text = module_text("", "").replacen("$orphan)", &format!(r#"$"{EVENT_SET_INIT}")"#), 1);
    refused(
        &wat::parse_str(text).unwrap(),
        &glue(),
        "GLOBAL_EVENTS::{closure#0} as core[1]::ops::function::FnOnce<()>>::call_once is in the function table",
    );
}

#[test]
fn drop_unused_refuses_input_without_what_it_removes() {
    // No delegated-event functions, though tachys' event code is linked.
    let text = module_text_with_elem(
        "(elem (i32.const 1) func $main_closure $vtable_fn)",
        r#"(data (i32.const 16) "\02\00\00\00")
          (func $"<tachys[5e]::html::event::On<_, _>>::attach::attach_inner" i32.const 44 call $log)"#,
    );
    refused(
        &wat::parse_str(&text).unwrap(),
        &glue(),
        "no delegated-event functions found, though tachys' event code is linked",
    );
    // Without any event code (views without `on:` listeners), there is nothing to remove.
    let text = module_text_with_elem(
        "(elem (i32.const 1) func $main_closure $vtable_fn)",
        r#"(data (i32.const 16) "\02\00\00\00")"#,
    );
    drop_unused(&wat::parse_str(&text).unwrap(), &glue()).unwrap();
    // A wasm that does not parse.
    refused(
        b"\0asm\x01\0\0\0\x07",
        &self::glue(),
        "not a valid wasm module",
    );
}

/// A module as shorten-names meets it (after wasm-opt): imports from the glue module, one from
/// elsewhere, exports, a custom section.
fn optimized() -> Vec<u8> {
    wat::parse_str(
        r#"(module
          (import "./helpwire_x_bg.js" "__wbg_log_0123abcd" (func $log (param i32)))
          (import "./helpwire_x_bg.js" "__wbg_now_89abcdef" (func $now (result f64)))
          (import "env" "other" (func $other))
          (memory (export "memory") 1)
          (func (export "boot") i32.const 1 call $log call $other)
          (func (export "__wbindgen_malloc") (param i32 i32) (result i32) call $now drop local.get 0)
          (@custom "producers" "rustc"))"#,
    )
    .unwrap()
}

const OPTIMIZED_GLUE: &str = r#"export function boot() {
    wasm.boot();
}
function passString(arg) {
    const ptr = wasm.__wbindgen_malloc(arg.length, 1) >>> 0;
    return wasm.__wbindgen_malloc_x ?? ptr;
}

function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_log_0123abcd: function(arg0) {
            console.log(arg0);
        },
        __wbg_gone_4567cdef: function() { return handleError(function (arg0) {
            arg0.gone();
        }, arguments); },
        __wbg_now_89abcdef: function() {
            const ret = Date.now();
            return ret;
        },
    };
    return {
        __proto__: null,
        "./helpwire_x_bg.js": import0,
    };
}
function __wbg_finalize_init(instance) {
    wasm = instance.exports;
    return wasm.memory;
}
"#;

#[test]
fn shorten_names_renames_imports_and_exports_in_wasm_and_glue() {
    let wasm = optimized();
    let edited = shorten_names(&wasm, OPTIMIZED_GLUE).unwrap();
    assert_eq!(
        edited.summary,
        "2 imports renamed, 1 unused dropped from the glue, 3 exports renamed, custom sections dropped"
    );
    let out = &edited.bundle.wasm;
    let imports: Vec<(String, String)> = Parser::new(0)
        .parse_all(out)
        .find_map(|p| match p.unwrap() {
            Payload::ImportSection(s) => Some(
                s.into_imports()
                    .map(|i| i.unwrap())
                    .map(|i| (i.module.to_string(), i.name.to_string()))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap();
    let pairs: Vec<(&str, &str)> = imports
        .iter()
        .map(|(m, n)| (m.as_str(), n.as_str()))
        .collect();
    assert_eq!(pairs, [("w", "a"), ("w", "b"), ("env", "other")]);
    // Exports: short names by position; memory keeps its own.
    assert_eq!(export_names(out), ["memory", "b", "c"]);
    // No custom section; every other section but the two it renames is the same bytes.
    let after = sections(out);
    assert!(after.iter().all(|(k, _)| !k.starts_with("custom")));
    for (key, body) in sections(&wasm) {
        if !key.starts_with("custom") && key != "2" && key != "7" {
            assert_eq!(section(out, &key), body, "section {key}");
        }
    }
    // The glue: keys renamed, the import the wasm no longer has gone, exports renamed where
    // they are whole names only.
    let expected = OPTIMIZED_GLUE
        .replace("wasm.boot()", "wasm.b()")
        .replace("wasm.__wbindgen_malloc(", "wasm.c(")
        .replace("__wbg_log_0123abcd:", "a:")
        .replace("__wbg_now_89abcdef:", "b:")
        .replace("\"./helpwire_x_bg.js\": import0", "\"w\": import0")
        .replace(
            "        __wbg_gone_4567cdef: function() { return handleError(function (arg0) {\n            arg0.gone();\n        }, arguments); },\n",
            "",
        );
    assert_eq!(edited.bundle.glue, expected);
}

fn shorten_refused(wasm: &[u8], glue: &str, why: &str) {
    match shorten_names(wasm, glue) {
        Ok(_) => panic!("shorten-names accepted what it should refuse ({why})"),
        Err(e) => {
            let message = format!("{e:#}");
            assert!(
                message.contains(why),
                "refused for another reason: {message} (expected: {why})"
            );
        }
    }
}

#[test]
fn shorten_names_refuses_a_glue_it_cannot_follow() {
    let wasm = optimized();
    for (from, to, why) in [
        (
            "wasm.boot();",
            "wasm[\"boot\"]();",
            "names export boot in quotes",
        ),
        ("wasm.boot();", "wasm[name]();", "other than as wasm.<name>"),
        (
            "wasm.boot();",
            "const { boot } = wasm;",
            "other than as wasm.<name>",
        ),
        (
            "__wbg_log_0123abcd: function",
            "log: function",
            "0 keys named __wbg_log_0123abcd",
        ),
        (
            "\"./helpwire_x_bg.js\": import0",
            "[mod]: import0",
            "does not name its import module",
        ),
        (
            "    const import0 = {",
            "    const imports = {",
            "no import object",
        ),
        (
            "            arg0.gone();\n        }, arguments); },",
            "            arg0.gone();\n        });",
            "does not end as expected",
        ),
    ] {
        assert!(OPTIMIZED_GLUE.contains(from), "{from}");
        shorten_refused(&wasm, &OPTIMIZED_GLUE.replacen(from, to, 1), why);
    }
}

#[test]
fn shorten_names_refuses_a_module_it_does_not_expect() {
    let two_glues = wat::parse_str(
        r#"(module (import "./a_bg.js" "f" (func)) (import "./b_bg.js" "g" (func)))"#,
    )
    .unwrap();
    shorten_refused(&two_glues, OPTIMIZED_GLUE, "two glue modules");
    let no_glue = wat::parse_str(r#"(module (import "env" "f" (func)))"#).unwrap();
    shorten_refused(&no_glue, OPTIMIZED_GLUE, "no imports from the glue");
    // An export already as short as the new names could collide with one of them.
    let short = wat::parse_str(
        r#"(module (import "./helpwire_x_bg.js" "__wbg_log_0123abcd" (func)) (func (export "b")))"#,
    )
    .unwrap();
    shorten_refused(&short, OPTIMIZED_GLUE, "is not a long identifier");
}

#[test]
fn short_names_are_unique_identifiers() {
    let names: Vec<String> = (0..52 + 52 * 52).map(slim_wasm::short_name).collect();
    assert_eq!(&names[..3], ["a", "b", "c"]);
    assert_eq!(names[52], "aa");
    let unique: std::collections::HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len());
    assert!(names
        .iter()
        .all(|n| n.len() <= 2 && n.chars().all(|c| c.is_ascii_alphabetic())));
}

/// The binary writes nothing when a pass refuses its input, and exits non-zero.
#[test]
fn the_tool_leaves_a_refused_bundle_as_it_was() {
    let dir = std::env::temp_dir().join(format!("slim-wasm-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (wasm_path, glue_path) = (dir.join("x_bg.wasm"), dir.join("x.js"));
    let wasm = module("", "ref.func $orphan drop");
    std::fs::write(&wasm_path, &wasm).unwrap();
    std::fs::write(&glue_path, glue()).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_slim-wasm"))
        .args([
            "drop-unused".as_ref(),
            wasm_path.as_os_str(),
            glue_path.as_os_str(),
        ])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(std::fs::read(&wasm_path).unwrap(), wasm);
    assert_eq!(std::fs::read_to_string(&glue_path).unwrap(), glue());
    // And the same bundle, whole, is rewritten.
    std::fs::write(&wasm_path, module("", "")).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_slim-wasm"))
        .args([
            "drop-unused".as_ref(),
            wasm_path.as_os_str(),
            glue_path.as_os_str(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    assert_ne!(std::fs::read(&wasm_path).unwrap(), module("", ""));
    std::fs::remove_dir_all(&dir).unwrap();
}
