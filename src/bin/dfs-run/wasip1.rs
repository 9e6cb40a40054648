//! `wasm32-wasip1` core modules as components: the official preview1 command
//! adapter (what `wasmtime run` uses for the same), plus a one-function shim
//! so that `proc_exit(N)` exits with status N.
//!
//! wasmtime 48's adapter turns `proc_exit(N)` into `wasi:cli/exit.exit(err)`
//! for every N ≠ 0, which carries no code. So before adapting, the module's
//! `wasi_snapshot_preview1.proc_exit` import is re-pointed at a second, tiny
//! adapter ([`EXIT_SHIM`]) whose `proc_exit` calls `wasi:cli/exit`'s
//! `exit-with-code` (WASI 0.2.12, which wasmtime-wasi 48 serves). Every other
//! import stays the preview1 adapter's.

use std::convert::Infallible;
use std::path::Path;

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};
use wasm_encoder::reencode::{Error as ReencodeError, Reencode};

/// The import module the shim adapter is known by.
const EXIT_SHIM: &str = "directfs_wasip1_exit";

/// The preview1 import module.
const PREVIEW1: &str = "wasi_snapshot_preview1";

/// The WIT the shim is built against: the `exit` interface exactly as WASI
/// 0.2.12 (and wasmtime-wasi 48) define it, so it merges with the preview1
/// adapter's own `wasi:cli` imports.
const SHIM_WIT: &str = r#"
package directfs:wasip1-exit;

world shim {
  import wasi:cli/exit@0.2.12;
}

package wasi:cli@0.2.12 {
  @since(version = 0.2.0)
  interface exit {
    @since(version = 0.2.0)
    exit: func(status: result);

    @since(version = 0.2.12)
    exit-with-code: func(status-code: u8);
  }
}
"#;

/// The most adapted components [`adapt_cached`] keeps; past it, the least
/// recently written go.
const MAX_CACHED: usize = 64;

/// The component of the wasip1 core module `module`, from `dir` if an
/// earlier run left it there (and left there otherwise, for the next).
///
/// Entries are named by the SHA-256 of the module and of what the
/// adaptation depends on (the adapter, this shim, dfs-run's version), so a
/// changed module or a new dfs-run never gets an old component. A cache that
/// cannot be read or written costs the adaptation, never the run. Written
/// through a temporary file and a rename: a concurrent run sees a whole
/// entry or none. At most [`MAX_CACHED`] entries are kept.
pub fn adapt_cached(module: &[u8], dir: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    let Some(dir) = dir else {
        return adapt(module);
    };
    let mut key = Sha256::new();
    key.update(env!("CARGO_PKG_VERSION"));
    key.update(wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER);
    key.update(SHIM_WIT);
    key.update(module);
    let name: String = key
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let entry = dir.join(format!("{name}.wasm"));
    if let Ok(component) = std::fs::read(&entry) {
        return Ok(component);
    }
    let component = adapt(module)?;
    let tmp = dir.join(format!("{name}.{}.tmp", std::process::id()));
    let stored = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&tmp, &component))
        .and_then(|()| std::fs::rename(&tmp, &entry));
    if stored.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    trim(dir);
    Ok(component)
}

/// Removes the oldest entries of `dir` past [`MAX_CACHED`] (best effort).
fn trim(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".wasm"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if entries.len() > MAX_CACHED {
        entries.sort();
        for (_, path) in &entries[..entries.len() - MAX_CACHED] {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The component of the wasip1 core module `module`.
pub fn adapt(module: &[u8]) -> anyhow::Result<Vec<u8>> {
    let (module, has_proc_exit) = repoint_proc_exit(module)?;
    let mut encoder = wit_component::ComponentEncoder::default()
        .module(&module)?
        .adapter(
            PREVIEW1,
            wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
        )?;
    if has_proc_exit {
        encoder = encoder.adapter(EXIT_SHIM, &exit_shim()?)?;
    }
    encoder.validate(true).encode()
}

/// `module` with its `wasi_snapshot_preview1.proc_exit` import (if any)
/// taken from [`EXIT_SHIM`] instead, and whether it had one. Nothing else
/// changes: the imports keep their order, so every index stays.
fn repoint_proc_exit(module: &[u8]) -> anyhow::Result<(Vec<u8>, bool)> {
    let mut repoint = Repoint { found: false };
    let mut out = wasm_encoder::Module::new();
    repoint
        .parse_core_module(&mut out, wasmparser::Parser::new(0), module)
        .map_err(|err| anyhow::anyhow!("{err}"))
        .context("cannot read the core module")?;
    Ok((out.finish(), repoint.found))
}

/// The [`Reencode`] of [`repoint_proc_exit`].
struct Repoint {
    found: bool,
}

impl Repoint {
    fn import(
        &mut self,
        section: &mut wasm_encoder::ImportSection,
        module: &str,
        name: &str,
        ty: wasmparser::TypeRef,
    ) -> Result<(), ReencodeError<Infallible>> {
        let module = if module == PREVIEW1 && name == "proc_exit" {
            self.found = true;
            EXIT_SHIM
        } else {
            module
        };
        section.import(module, name, self.entity_type(ty)?);
        Ok(())
    }
}

impl Reencode for Repoint {
    type Error = Infallible;

    fn parse_imports(
        &mut self,
        section: &mut wasm_encoder::ImportSection,
        imports: wasmparser::Imports<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        // Compact encodings are written out one import at a time: the same
        // imports, in the same order.
        match imports {
            wasmparser::Imports::Single(_, import) => {
                self.import(section, import.module, import.name, import.ty)
            }
            wasmparser::Imports::Compact1 { module, items } => {
                for item in items {
                    let item = item?;
                    self.import(section, module, item.name, item.ty)?;
                }
                Ok(())
            }
            wasmparser::Imports::Compact2 { module, ty, names } => {
                for name in names {
                    self.import(section, module, name?, ty)?;
                }
                Ok(())
            }
        }
    }
}

/// The shim adapter: `proc_exit(code: i32)` calls `exit-with-code(code)`
/// (the canonical ABI keeps the low 8 bits, as a Linux exit status does).
fn exit_shim() -> anyhow::Result<Vec<u8>> {
    use wasm_encoder::{
        CodeSection, ExportKind, ExportSection, Function, FunctionSection, ImportSection,
        Instruction, Module, TypeSection, ValType,
    };
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], []);
    let mut imports = ImportSection::new();
    imports.import(
        "wasi:cli/exit@0.2.12",
        "exit-with-code",
        wasm_encoder::EntityType::Function(0),
    );
    let mut functions = FunctionSection::new();
    functions.function(0);
    let mut exports = ExportSection::new();
    exports.export("proc_exit", ExportKind::Func, 1);
    let mut body = Function::new([]);
    body.instruction(&Instruction::LocalGet(0))
        .instruction(&Instruction::Call(0))
        .instruction(&Instruction::Unreachable)
        .instruction(&Instruction::End);
    let mut code = CodeSection::new();
    code.function(&body);
    let mut module = Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&functions)
        .section(&exports)
        .section(&code);
    let mut shim = module.finish();

    let mut resolve = wit_parser::Resolve::default();
    let package = resolve.push_str("directfs-wasip1-exit.wit", SHIM_WIT)?;
    let world = resolve.select_world(&[package], Some("shim"))?;
    wit_component::embed_component_metadata(
        &mut shim,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )?;
    Ok(shim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_proc_exit_is_repointed() {
        let module = wat::parse_str(
            r#"(module
                (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
                (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
                (memory (export "memory") 1)
                (func (export "_start") (call 1 (i32.const 3))))"#,
        )
        .unwrap();
        let (out, found) = repoint_proc_exit(&module).unwrap();
        assert!(found);
        let imports: Vec<(String, String)> = wasmparser::Parser::new(0)
            .parse_all(&out)
            .filter_map(|p| match p.unwrap() {
                wasmparser::Payload::ImportSection(s) => Some(
                    s.into_imports()
                        .map(|i| {
                            let i = i.unwrap();
                            (i.module.to_owned(), i.name.to_owned())
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(
            imports,
            [
                (PREVIEW1.to_owned(), "fd_write".to_owned()),
                (EXIT_SHIM.to_owned(), "proc_exit".to_owned())
            ]
        );
        assert!(adapt(&module).is_ok());
    }
}
