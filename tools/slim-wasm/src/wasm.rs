//! Reading a module into its sections and writing one back with some sections replaced. Every
//! section the passes do not edit is copied byte for byte.

use std::collections::HashMap;
use std::ops::Range;

use anyhow::{bail, Context, Result};
use wasm_encoder::{RawSection, Section};
use wasmparser::{Encoding, KnownCustom, Name, Parser, Payload, TypeRef, Validator};

pub const CUSTOM: u8 = 0;
pub const IMPORT: u8 = 2;
pub const FUNCTION: u8 = 3;
pub const TABLE: u8 = 4;
pub const GLOBAL: u8 = 6;
pub const EXPORT: u8 = 7;
pub const ELEMENT: u8 = 9;
pub const CODE: u8 = 10;
pub const DATA: u8 = 11;

/// A module's sections in order, each its id and the range of its body in `bytes`.
pub struct Module<'a> {
    pub bytes: &'a [u8],
    pub sections: Vec<(u8, Range<usize>)>,
}

impl<'a> Module<'a> {
    /// Reads `bytes`, which must be a valid core module (as browsers would accept it).
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        validate(bytes).context("the input is not a valid wasm module")?;
        let mut sections = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            let payload = payload?;
            match &payload {
                Payload::Version {
                    encoding: Encoding::Module,
                    ..
                } => {}
                Payload::Version { .. } => bail!("not a core wasm module"),
                Payload::CodeSectionEntry(_) => {}
                Payload::End(_) => break,
                _ => match payload.as_section() {
                    Some(section) => sections.push(section),
                    None => bail!("unexpected part of a module: {payload:?}"),
                },
            }
        }
        Ok(Module { bytes, sections })
    }

    /// The body of the one section with id `id` (custom sections are not looked up this way).
    pub fn section(&self, id: u8) -> Option<&'a [u8]> {
        let bytes = self.bytes;
        self.sections
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, range)| &bytes[range.clone()])
    }

    /// A reader of the section with id `id`, at its place in the module (offsets stay right).
    pub fn reader(&self, id: u8) -> Option<wasmparser::BinaryReader<'a>> {
        let bytes = self.bytes;
        self.sections
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, range)| wasmparser::BinaryReader::new(&bytes[range.clone()], range.start))
    }

    /// The imports, in order.
    pub fn imports(&self) -> Result<Vec<wasmparser::Import<'a>>> {
        let Some(reader) = self.reader(IMPORT) else {
            return Ok(Vec::new());
        };
        wasmparser::ImportSectionReader::new(reader)?
            .into_imports()
            .map(|i| Ok(i?))
            .collect()
    }

    /// How many functions the module imports: its own functions are numbered after them.
    pub fn imported_functions(&self) -> Result<u32> {
        let imports = self.imports()?;
        Ok(imports
            .iter()
            .filter(|i| matches!(i.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)))
            .count() as u32)
    }

    /// The exports, in order.
    pub fn exports(&self) -> Result<Vec<wasmparser::Export<'a>>> {
        let Some(reader) = self.reader(EXPORT) else {
            return Ok(Vec::new());
        };
        wasmparser::ExportSectionReader::new(reader)?
            .into_iter()
            .map(|e| Ok(e?))
            .collect()
    }

    /// The type index of each function the module defines.
    pub fn function_types(&self) -> Result<Vec<u32>> {
        let Some(reader) = self.reader(FUNCTION) else {
            return Ok(Vec::new());
        };
        wasmparser::FunctionSectionReader::new(reader)?
            .into_iter()
            .map(|t| Ok(t?))
            .collect()
    }

    /// The bodies of the functions the module defines, in order.
    pub fn bodies(&self) -> Result<Vec<wasmparser::FunctionBody<'a>>> {
        let Some(reader) = self.reader(CODE) else {
            return Ok(Vec::new());
        };
        wasmparser::CodeSectionReader::new(reader)?
            .into_iter()
            .map(|b| Ok(b?))
            .collect()
    }

    /// Function index → name, from the custom "name" section (rustc keeps symbol names there).
    pub fn function_names(&self) -> Result<HashMap<u32, &'a str>> {
        let mut names = HashMap::new();
        for (id, range) in &self.sections {
            if *id != CUSTOM {
                continue;
            }
            let reader = wasmparser::BinaryReader::new(&self.bytes[range.clone()], range.start);
            let custom = wasmparser::CustomSectionReader::new(reader)?;
            let KnownCustom::Name(subsections) = custom.as_known() else {
                continue;
            };
            for subsection in subsections {
                if let Name::Function(map) = subsection? {
                    for naming in map {
                        let naming = naming?;
                        names.insert(naming.index, naming.name);
                    }
                }
            }
        }
        Ok(names)
    }

    /// The module with the sections `replace` names replaced by their new bodies (a replacement
    /// for a section the module lacks is an error), custom sections dropped if `drop_custom`.
    /// The result is validated before it is returned.
    pub fn rewrite(&self, replace: &[(u8, Vec<u8>)], drop_custom: bool) -> Result<Vec<u8>> {
        for (id, _) in replace {
            if !self.sections.iter().any(|(i, _)| i == id) {
                bail!("no section {id} to replace");
            }
        }
        let mut out = wasm_encoder::Module::new();
        for (id, range) in &self.sections {
            if *id == CUSTOM && drop_custom {
                continue;
            }
            let data = match replace.iter().find(|(i, _)| i == id) {
                Some((_, body)) if *id != CUSTOM => body.as_slice(),
                _ => &self.bytes[range.clone()],
            };
            out.section(&RawSection { id: *id, data });
        }
        let bytes = out.finish();
        validate(&bytes).context("the rewritten module does not validate (a bug in slim-wasm)")?;
        Ok(bytes)
    }
}

/// The bytes of an encoded section's body (`wasm_encoder` writes id and size around it).
pub fn body_of(section: &impl Section) -> Vec<u8> {
    let mut bytes = Vec::new();
    section.encode(&mut bytes);
    // The encoding is the section's size (LEB128) followed by its body.
    let mut reader = wasmparser::BinaryReader::new(&bytes, 0);
    let size = reader.read_var_u32().expect("a section's size") as usize;
    let start = reader.original_position();
    assert_eq!(start + size, bytes.len());
    bytes[start..].to_vec()
}

fn validate(bytes: &[u8]) -> Result<()> {
    Validator::new().validate_all(bytes)?;
    Ok(())
}
