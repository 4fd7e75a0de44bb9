//! Edits of wasm-bindgen's glue (an ES module, as `wasm-bindgen --target web` writes it, before
//! terser). Each one finds exactly what it expects or fails.

use std::collections::HashSet;

use anyhow::{bail, ensure, Result};
use regex::Regex;

/// An identifier character in JavaScript (ASCII, as wasm-bindgen writes them).
fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// The table-slot pass is safe only if the glue cannot reach a slot the wasm holds no index of.
/// When the function table is exported as `export`, every use of it in the glue must be
/// `wasm.<export>.get(<variable>)`, and no slot in `trapped` may appear in the glue as a number
/// (it could be the variable's value, as older wasm-bindgen passed closure destructors).
pub fn check_table_uses(glue: &str, export: &str, trapped: &[u32]) -> Result<()> {
    ensure!(
        !glue.contains(&format!("\"{export}\"")) && !glue.contains(&format!("'{export}'")),
        "the glue names the function table {export} in quotes"
    );
    check_export_access(glue)?;
    let get = Regex::new(r"^\.get\(\s*[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*\s*\)")?;
    for (at, rest) in uses(glue, export) {
        ensure!(
            get.is_match(rest),
            "the glue uses the function table other than as wasm.{export}.get(variable), at byte {at}: {}",
            rest.chars().take(40).collect::<String>()
        );
    }
    let number = Regex::new(r"(?-u:\b)(0[xX][0-9a-fA-F]+|[0-9]+)(?-u:\b)")?;
    let trapped: HashSet<u32> = trapped.iter().copied().collect();
    for literal in number.find_iter(glue) {
        let text = literal.as_str();
        let value = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => text.parse().ok(),
        };
        if let Some(slot) = value.filter(|v| trapped.contains(v)) {
            bail!("the glue holds the number {slot}, a table slot that would trap, while it can index the function table {export}");
        }
    }
    Ok(())
}

/// Where `wasm.<name>` occurs as a whole name: each byte offset and the text after it.
fn uses<'a>(glue: &'a str, name: &str) -> Vec<(usize, &'a str)> {
    let needle = format!("wasm.{name}");
    let mut found = Vec::new();
    for (at, _) in glue.match_indices(&needle) {
        let before = glue[..at].chars().next_back();
        let rest = &glue[at + needle.len()..];
        if before.is_some_and(ident_char) || rest.chars().next().is_some_and(ident_char) {
            continue;
        }
        found.push((at, rest));
    }
    found
}

/// Replaces each `wasm.<long>` with `wasm.<short>`; fails if the glue names the export in
/// quotes (reached some other way than as `wasm.<long>`).
pub fn rename_export(glue: &mut String, long: &str, short: &str) -> Result<()> {
    ensure!(
        long.len() > 2
            && long.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && long.chars().all(ident_char),
        "export {long:?} is not a long identifier"
    );
    for quote in ['"', '\'', '`'] {
        ensure!(
            !glue.contains(&format!("{quote}{long}{quote}")),
            "the glue names export {long} in quotes"
        );
    }
    let mut out = String::with_capacity(glue.len());
    let mut last = 0;
    for (at, _) in uses(glue, long) {
        out.push_str(&glue[last..at]);
        out.push_str("wasm.");
        out.push_str(short);
        last = at + "wasm.".len() + long.len();
    }
    out.push_str(&glue[last..]);
    *glue = out;
    Ok(())
}

/// Fails if the glue reaches the exports other than as `wasm.<name>`.
pub fn check_export_access(glue: &str) -> Result<()> {
    let other = Regex::new(r"(?-u:\b)wasm\s*\[|\}\s*=\s*wasm(?-u:\b)")?;
    ensure!(
        !other.is_match(glue),
        "the glue reads exports other than as wasm.<name>"
    );
    Ok(())
}

/// The glue's import object, `const import0 = { … };`, as wasm-bindgen writes it.
fn import_object(glue: &str) -> Result<&str> {
    let object = Regex::new(r"(?ms)^ {4}const import0 = \{\n.*?^ {4}\};\n")?;
    match object.find(glue) {
        Some(m) => Ok(m.as_str()),
        None => bail!("the glue has no import object"),
    }
}

/// Removes the glue's functions for imports the wasm does not have (not in `imported`);
/// returns how many.
pub fn drop_unused_imports(glue: &mut String, imported: &HashSet<&str>) -> Result<usize> {
    let key = Regex::new(r"(?m)^ {8}([A-Za-z_$][\w$]*): function\(")?;
    let unused: Vec<String> = key
        .captures_iter(import_object(glue)?)
        .map(|c| c[1].to_string())
        .filter(|k| !imported.contains(k.as_str()))
        .collect();
    for k in &unused {
        // From the key to the first line that closes at its indentation, which must close it.
        let entry = Regex::new(&format!(
            r"(?ms)^ {{8}}{}: function\(.*?^ {{8}}\}}[^\n]*\n",
            regex::escape(k)
        ))?;
        let Some(found) = entry.find(glue) else {
            bail!("the glue's import {k} does not end as expected")
        };
        let end = found
            .as_str()
            .trim_end_matches('\n')
            .rsplit('\n')
            .next()
            .unwrap_or("");
        ensure!(
            end == "        }," || end == "        }, arguments); },",
            "the glue's import {k} does not end as expected"
        );
        glue.replace_range(found.range(), "");
    }
    Ok(unused.len())
}

/// Renames the import object's key `long` to `short`; it must be there once.
pub fn rename_import(glue: &mut String, long: &str, short: &str) -> Result<()> {
    let key = Regex::new(&format!(r"(?m)^(\s+){}: ", regex::escape(long)))?;
    let hits = key.find_iter(glue).count();
    ensure!(hits == 1, "the glue has {hits} keys named {long}");
    *glue = key
        .replace(glue, format!("${{1}}{short}: ").as_str())
        .into_owned();
    Ok(())
}

/// Renames the import module the glue hands its import object to the wasm under.
pub fn rename_import_module(glue: &mut String, module: &str, short: &str) -> Result<()> {
    let key = format!("\"{module}\": import0");
    let hits = glue.matches(&key).count();
    ensure!(
        hits == 1,
        "the glue does not name its import module once as {key} ({hits} times)"
    );
    *glue = glue.replacen(&key, &format!("\"{short}\": import0"), 1);
    Ok(())
}
