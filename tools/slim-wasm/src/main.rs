//! slim-wasm drop-unused|shorten-names <file_bg.wasm> <glue.js>
//!
//! Rewrites a release bundle in place (see the library's documentation for each edit). On any
//! error it exits non-zero and writes nothing.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [command, wasm_path, glue_path] = args.as_slice() else {
        eprintln!("usage: slim-wasm drop-unused|shorten-names <file_bg.wasm> <glue.js>");
        return ExitCode::from(2);
    };
    let pass = match command.as_str() {
        "drop-unused" => slim_wasm::drop_unused,
        "shorten-names" => slim_wasm::shorten_names,
        _ => {
            eprintln!("usage: slim-wasm drop-unused|shorten-names <file_bg.wasm> <glue.js>");
            return ExitCode::from(2);
        }
    };
    let run = || -> anyhow::Result<String> {
        let wasm = std::fs::read(wasm_path)?;
        let glue = std::fs::read_to_string(glue_path)?;
        let edited = pass(&wasm, &glue)?;
        // Both written beside their files first, so a failed write leaves the bundle whole.
        let (wasm_tmp, glue_tmp) = (
            format!("{wasm_path}.slim-wasm"),
            format!("{glue_path}.slim-wasm"),
        );
        std::fs::write(&wasm_tmp, &edited.bundle.wasm)?;
        std::fs::write(&glue_tmp, &edited.bundle.glue)?;
        std::fs::rename(&wasm_tmp, wasm_path)?;
        std::fs::rename(&glue_tmp, glue_path)?;
        Ok(edited.summary)
    };
    match run() {
        Ok(summary) => {
            println!("slim-wasm {command}: {summary} in {wasm_path}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "slim-wasm {command}: {error:#}; {wasm_path} and {glue_path} left as they were"
            );
            ExitCode::FAILURE
        }
    }
}
