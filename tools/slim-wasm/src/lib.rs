//! Two edits of a release bundle (a wasm and its wasm-bindgen glue, together) that no tool here
//! makes. Each returns an error, and the caller writes nothing, when the input is not shaped as
//! the edit expects, so a change of wasm-bindgen, Leptos or the toolchain stops the build instead
//! of shipping a broken bundle.
//!
//! - [`drop_unused`] (before wasm-opt) takes out code that is linked but can never run, so that
//!   wasm-opt drops it and all it alone reaches.
//! - [`shorten_names`] (after wasm-opt) gives the imports and exports short names, in the wasm
//!   and the glue, and drops the custom sections.

mod glue;
mod wasm;

use std::collections::{BTreeSet, HashSet};

use anyhow::{bail, ensure, Result};
use regex::Regex;
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, ConstExpr, ElementSection, Elements, ExportSection, FunctionSection, ImportSection,
};
use wasmparser::{ElementItems, ElementKind, ExternalKind, Operator, RefType, TypeRef};

use wasm::{body_of, Module, CODE, DATA, ELEMENT, EXPORT, FUNCTION, GLOBAL, IMPORT};

/// A bundle: the wasm's bytes and its glue's text.
pub struct Bundle {
    pub wasm: Vec<u8>,
    pub glue: String,
}

/// What a pass did, for the build log.
pub struct Edited {
    pub bundle: Bundle,
    pub summary: String,
}

/// The body every trapped function gets: no locals, `unreachable`, `end`. Valid whatever the
/// function's type.
const TRAP_BODY: [u8; 3] = [0x00, 0x00, 0x0b];

/// Exports of wasm-streams' adapter classes: present only when the crate from crates.io is linked
/// instead of vendor/wasm-streams (Cargo.toml's patch), which exports none.
const STREAM_ADAPTERS: &str = "intounderlying";

/// tachys' delegated-event path: `Dom::add_event_listener_delegated` with the closures in it, and
/// the global set of delegated event names it keeps (`GLOBAL_EVENTS`, a
/// `FxHashSet<Cow<'static, str>>`, the only set of that type) with the hash-table code compiled
/// for it.
const DELEGATED: &str = concat!(
    r"\btachys\[[0-9a-f]+\]::renderer::dom::(?:Dom>::add_event_listener_delegated|GLOBAL_EVENTS)\b",
    r"|\bhashbrown\[[0-9a-f]+\]::raw::RawTable<\(alloc\[[0-9a-f]+\]::borrow::Cow<str>, \(\)\)>",
    r"|\bhashbrown\[[0-9a-f]+\]::map::make_hash::<alloc\[[0-9a-f]+\]::borrow::Cow<str>, rustc_hash\[[0-9a-f]+\]::FxBuildHasher>",
);

/// The one function outside the delegated path that calls into it: `On::attach`'s
/// `attach_inner`, whose `Some(key)` branch is the delegated path (LLVM inlines part of it there).
const DELEGATION_CALLER: &str =
    r"\btachys\[[0-9a-f]+\]::html::event::On<_, _>>::attach::attach_inner$";

/// drop-unused: two kinds of code that is linked but can never run.
///
/// 1. Table slots whose index nothing holds (wasm-bindgen's closure shims for every js-sys
///    callback type) are pointed at the trap.
///    Assumes: Rust takes a function's address only as a constant the linker wrote, an
///    `i32.const` in code or a global, or four bytes in data (a vtable); and nothing else can
///    put an index into the table: the module neither imports nor writes its function table
///    (no `table.set`/`grow`/`fill`/`copy`/`init`, no `ref.func`), it has one plain element
///    segment, and the glue, if the table is exported at all, only calls `.get(variable)` on it
///    and holds none of the trapped slots' numbers as a literal (older wasm-bindgen passed
///    closure destructors' slots to the glue that way). Each of these is checked.
/// 2. tachys' delegated events. `On::attach` passes `Some(key)` only when Leptos' `delegation`
///    feature is on, but LLVM cannot see that the call is always `None`, so a global event set
///    and its hashing stay linked. `Dom::add_event_listener_delegated` and the closures in it, the
///    set's lazy initialiser and the hash-table functions of its type get a trapping body. LLVM
///    inlines part of the delegated path into `attach_inner`, which calls the set's functions from
///    its `Some(key)` branch; after the trap, wasm-opt drops the rest of that branch.
///    Assumes: the `delegation` feature is off, which scripts/build.sh checks with `cargo tree`
///    before it builds (and stops when it cannot check). Checked here: no function outside the
///    path but `attach_inner` calls one of them, and the set's functions are not in the table
///    (only the delegated path's own closures may be).
pub fn drop_unused(wasm: &[u8], glue: &str) -> Result<Edited> {
    let module = Module::parse(wasm)?;
    let names = module.function_names()?;
    ensure!(
        !names.is_empty(),
        "no function names (was the wasm stripped?)"
    );
    let first_defined = module.imported_functions()?;
    let mut types = module.function_types()?;
    let bodies = module.bodies()?;
    let trap = first_defined + types.len() as u32;
    let name_of = |index: u32| names.get(&index).copied().unwrap_or("");

    // wasm-streams' adapter classes would keep their code and data linked; the vendored crate
    // has none, so finding them means the patch is not in effect.
    let exports = module.exports()?;
    if let Some(e) = exports.iter().find(|e| e.name.contains(STREAM_ADAPTERS)) {
        bail!(
            "wasm-streams exports {}: is vendor/wasm-streams patched in (Cargo.toml)?",
            e.name
        );
    }

    // The function table: one active segment of function indices for table 0 at a constant.
    let table = FunctionTable::read(&module)?;

    // What the code can do to the table, and every constant it holds.
    let mut constants: HashSet<u32> = HashSet::new();
    let mut callers: Vec<(u32, u32)> = Vec::new(); // (caller, callee)
    for (i, body) in bodies.iter().enumerate() {
        let caller = first_defined + i as u32;
        let mut ops = body.get_operators_reader()?;
        while !ops.eof() {
            match ops.read()? {
                Operator::I32Const { value } => {
                    constants.insert(value as u32);
                }
                Operator::Call { function_index } | Operator::ReturnCall { function_index } => {
                    callers.push((caller, function_index))
                }
                op @ (Operator::TableSet { table: 0 }
                | Operator::TableGrow { table: 0 }
                | Operator::TableFill { table: 0 }
                | Operator::TableInit { table: 0, .. }
                | Operator::TableCopy { .. }
                | Operator::ElemDrop { .. }
                | Operator::RefFunc { .. }) => {
                    bail!("function {} ({}) uses {op:?}: the function table may not hold what its element segment says", caller, name_of(caller))
                }
                _ => {}
            }
        }
    }
    if let Some(reader) = module.reader(GLOBAL) {
        for global in wasmparser::GlobalSectionReader::new(reader)? {
            let mut ops = global?.init_expr.get_operators_reader();
            while !ops.eof() {
                match ops.read()? {
                    Operator::I32Const { value } => {
                        constants.insert(value as u32);
                    }
                    Operator::RefFunc { .. } => bail!("a global holds a ref.func"),
                    _ => {}
                }
            }
        }
    }
    // Data: any four bytes at any offset count, so the scan can only keep too much.
    let data = module.section(DATA).unwrap_or_default();
    for word in data.windows(4) {
        constants.insert(u32::from_le_bytes(word.try_into().unwrap()));
    }

    // 1. Slots whose index nothing holds.
    let unreferenced: Vec<u32> = (0..table.functions.len() as u32)
        .filter(|&i| !constants.contains(&(table.offset + i)))
        .collect();

    let trapped: BTreeSet<u32> = unreferenced.iter().copied().collect();
    if let Some(export) = table.export(&exports) {
        let slots: Vec<u32> = trapped.iter().map(|i| table.offset + i).collect();
        glue::check_table_uses(glue, export, &slots)?;
    }
    let mut functions = table.functions.clone();
    for &i in &trapped {
        functions[i as usize] = trap;
    }
    let mut element_section = ElementSection::new();
    element_section.active(
        table.explicit_index,
        &ConstExpr::i32_const(table.offset as i32),
        Elements::Functions(functions.into()),
    );

    // 2. tachys' delegated events, and the trap function appended after every other.
    let delegated = Regex::new(DELEGATED)?;
    let delegation_caller = Regex::new(DELEGATION_CALLER)?;
    for &(caller, callee) in &callers {
        let (caller_name, callee_name) = (name_of(caller), name_of(callee));
        if delegated.is_match(callee_name)
            && !delegated.is_match(caller_name)
            && !delegation_caller.is_match(caller_name)
        {
            bail!("{caller_name} calls tachys' delegated-event {callee_name}: it may run with delegation off");
        }
    }
    for &function in &table.functions {
        let name = name_of(function);
        if delegated.is_match(name) && !name.contains("add_event_listener_delegated") {
            bail!("{name} is in the function table: it may be called from outside the delegated-event path");
        }
    }
    let mut code = CodeSection::new();
    let mut delegation = 0;
    for (i, body) in bodies.iter().enumerate() {
        if delegated.is_match(name_of(first_defined + i as u32)) {
            code.raw(&TRAP_BODY);
            delegation += 1;
        } else {
            code.raw(&wasm[body.range()]);
        }
    }
    // A build whose views have no `on:` listener links none of tachys' event code, the delegated
    // path with it; with that code linked, finding none of the path would mean that `DELEGATED`
    // no longer matches it.
    let event_code = names
        .values()
        .any(|name| name.contains("::html::event::On<"));
    ensure!(
        delegation > 0 || !event_code,
        "no delegated-event functions found, though tachys' event code is linked"
    );
    code.raw(&TRAP_BODY);
    types.push(0); // any type will do for a body that traps
    let mut function_section = FunctionSection::new();
    for t in types {
        function_section.function(t);
    }

    let wasm = module.rewrite(
        &[
            (FUNCTION, body_of(&function_section)),
            (ELEMENT, body_of(&element_section)),
            (CODE, body_of(&code)),
        ],
        false,
    )?;
    let summary = format!(
        "{} unreferenced entries trap, {} delegated-event functions trap",
        unreferenced.len(),
        delegation
    );
    Ok(Edited {
        bundle: Bundle {
            wasm,
            glue: glue.to_string(),
        },
        summary,
    })
}

/// The function table as LLVM writes it: table 0, defined (not imported) and of `funcref`,
/// filled by one active element segment of function indices at an `i32.const` offset.
struct FunctionTable {
    explicit_index: Option<u32>,
    offset: u32,
    functions: Vec<u32>,
}

impl FunctionTable {
    fn read(module: &Module) -> Result<Self> {
        ensure!(
            !module
                .imports()?
                .iter()
                .any(|i| matches!(i.ty, TypeRef::Table(_))),
            "the module imports a table: something outside may write to it"
        );
        let reader = module
            .reader(wasm::TABLE)
            .ok_or_else(|| anyhow::anyhow!("no table"))?;
        let first = wasmparser::TableSectionReader::new(reader)?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no table"))??;
        ensure!(
            first.ty.element_type == RefType::FUNCREF,
            "table 0 is not a funcref table"
        );
        let reader = module
            .reader(ELEMENT)
            .ok_or_else(|| anyhow::anyhow!("no element section"))?;
        let segments: Vec<_> = wasmparser::ElementSectionReader::new(reader)?
            .into_iter()
            .collect::<Result<_, _>>()?;
        let [segment] = segments.as_slice() else {
            bail!(
                "the element section is not one segment but {}",
                segments.len()
            )
        };
        let ElementKind::Active {
            table_index,
            offset_expr,
        } = &segment.kind
        else {
            bail!("the element segment is not active")
        };
        ensure!(
            table_index.unwrap_or(0) == 0,
            "the element segment is not for table 0"
        );
        let mut ops = offset_expr.get_operators_reader();
        let (Operator::I32Const { value }, Operator::End) = (ops.read()?, ops.read()?) else {
            bail!("the element segment's offset is not an i32.const")
        };
        let ElementItems::Functions(items) = &segment.items else {
            bail!("the element segment holds expressions, not function indices")
        };
        let functions = items.clone().into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(FunctionTable {
            explicit_index: *table_index,
            offset: value as u32,
            functions,
        })
    }

    /// The name table 0 is exported under, if it is.
    fn export<'a>(&self, exports: &[wasmparser::Export<'a>]) -> Option<&'a str> {
        exports
            .iter()
            .find(|e| e.kind == ExternalKind::Table && e.index == 0)
            .map(|e| e.name)
    }
}

/// shorten-names: short names for the imports and exports, in the wasm and its glue, and no
/// custom sections.
///
/// - Imports from the glue module (`./helpwire_<backend>_bg.js`) become `w`.`a`, `w`.`b`, ….
///   Assumes: the glue hands the wasm one import object, `const import0 = { … }`, keyed by each
///   import's name once and returned under the module's name once; checked.
///   Glue functions for imports the wasm no longer has (wasm-opt dropped their last caller) go.
/// - Exports become `a`, `b`, … (`memory` keeps its name: the glue's init hands the exports to
///   its caller, and the soak test and the benchmark read `.memory` there).
///   Assumes: the glue reaches every export as `wasm.<name>`, never `wasm[…]`, a destructuring or
///   a quoted name; and no export name is as short as the new ones (they could collide); checked.
/// - Custom sections (names, producers, target features) go: browsers ignore them.
pub fn shorten_names(wasm: &[u8], glue: &str) -> Result<Edited> {
    let module = Module::parse(wasm)?;
    let mut glue = glue.to_string();

    let imports = module.imports()?;
    let mut glue_module: Option<&str> = None;
    let mut renamed: Vec<(&str, String)> = Vec::new();
    let mut import_section = ImportSection::new();
    for import in &imports {
        let ty = RoundtripReencoder.entity_type(import.ty)?;
        if import.module.starts_with("./") && import.module.ends_with("_bg.js") {
            if let Some(seen) = glue_module.filter(|m| *m != import.module) {
                bail!("two glue modules: {seen}, {}", import.module);
            }
            glue_module = Some(import.module);
            let short = match renamed.iter().find(|(long, _)| *long == import.name) {
                Some((_, short)) => short.clone(),
                None => {
                    let short = short_name(renamed.len());
                    renamed.push((import.name, short.clone()));
                    short
                }
            };
            import_section.import("w", &short, ty);
        } else {
            import_section.import(import.module, import.name, ty);
        }
    }
    let Some(glue_module) = glue_module else {
        bail!("no imports from the glue")
    };
    let long_names: HashSet<&str> = renamed.iter().map(|(long, _)| *long).collect();
    let unused = glue::drop_unused_imports(&mut glue, &long_names)?;
    for (long, short) in &renamed {
        glue::rename_import(&mut glue, long, short)?;
    }
    glue::rename_import_module(&mut glue, glue_module, "w")?;

    let exports = module.exports()?;
    let mut export_section = ExportSection::new();
    for (i, export) in exports.iter().enumerate() {
        let short = if export.name == "memory" {
            export.name.to_string()
        } else {
            short_name(i)
        };
        glue::rename_export(&mut glue, export.name, &short)?;
        export_section.export(
            &short,
            RoundtripReencoder.export_kind(export.kind)?,
            export.index,
        );
    }
    glue::check_export_access(&glue)?;

    let wasm = module.rewrite(
        &[
            (IMPORT, body_of(&import_section)),
            (EXPORT, body_of(&export_section)),
        ],
        true,
    )?;
    let summary = format!(
        "{} imports renamed, {unused} unused dropped from the glue, {} exports renamed, custom sections dropped",
        renamed.len(),
        exports.len()
    );
    Ok(Edited {
        bundle: Bundle { wasm, glue },
        summary,
    })
}

/// Short, unique, valid identifiers: a … z, A … Z, then two letters.
pub fn short_name(i: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let n = LETTERS.len();
    if i < n {
        (LETTERS[i] as char).to_string()
    } else {
        short_name(i / n - 1) + &(LETTERS[i % n] as char).to_string()
    }
}
