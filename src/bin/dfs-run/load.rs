//! From a file to compiled code: what kind of wasm it is (a component or a
//! `wasm32-wasip1` core module), the engine it needs, the compilation
//! cache.

use std::path::Path;

use crate::args::Cli;
use anyhow::{Context as _, bail};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, Module};

/// What a wasm binary's header says it is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WasmKind {
    Component,
    CoreModule,
    NotWasm,
}

pub(crate) fn wasm_kind(bytes: &[u8]) -> WasmKind {
    match bytes.get(..8) {
        // Magic, then version 0x0d and layer 1 (the component model).
        Some([0, b'a', b's', b'm', _, _, 1, 0]) => WasmKind::Component,
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => WasmKind::CoreModule,
        _ => WasmKind::NotWasm,
    }
}

/// Which `wasi:cli/run` a component exports: WASI 0.3's (run as such even
/// if it also exports 0.2's, as a `wasm32-wasip2` binary with a 0.3 `run`
/// does, and as the wasmtime CLI prefers it) or else 0.2's.
pub(crate) fn is_wasip3(engine: &Engine, component: &Component) -> bool {
    component
        .component_type()
        .exports(engine)
        .any(|(name, _)| name.starts_with("wasi:cli/run@0.3"))
}

/// wasmtime's compilation cache, unless `-C cache=n`.
///
/// A cache that cannot be set up (an unwritable home, say) is a warning, not
/// a reason not to run; a `-C cache-config` file that cannot be used is an
/// error.
pub(crate) fn cache(cli: &Cli) -> anyhow::Result<Option<wasmtime::Cache>> {
    Ok(match cli.cache() {
        (false, _) => None,
        (true, file) => match wasmtime::Cache::from_file(file) {
            Ok(cache) => Some(cache),
            Err(err) if file.is_none() => {
                eprintln!("dfs-run: warning: compilation cache off: {err:#}");
                None
            }
            Err(err) => {
                return Err(anyhow::Error::from(err)).context("-C cache-config");
            }
        },
    })
}

/// The engine: `cache`, epoch interruption for `-W timeout`, and the
/// component model's async features (`stream`, `future`, async functions)
/// if `async_model`. Those cost every host call some time (about 20% of a
/// cached `stat`, measured), so they are on only for components that need
/// them.
pub(crate) fn engine(
    cli: &Cli,
    cache: Option<&wasmtime::Cache>,
    async_model: bool,
) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.cache(cache.cloned());
    config.epoch_interruption(cli.timeout().is_some());
    config.wasm_component_model_async(async_model);
    config.concurrency_support(async_model);
    if let Some(bytes) = cli.max_wasm_stack() {
        // As the wasmtime CLI: the stacks async calls run on must hold it,
        // with room for the host's frames (1 MiB above it).
        config.max_wasm_stack(bytes);
        config.async_stack_size(bytes.saturating_add(1 << 20).max(2 << 20));
    }
    Engine::new(&config).map_err(anyhow::Error::from)
}

/// Whether a component names a WASI 0.3 interface (`…@0.3…`) among its
/// imports or exports, its own or a nested component's: a WASI 0.3 program,
/// which needs the component model's async features.
pub(crate) fn names_wasip3(bytes: &[u8]) -> bool {
    let wasip3 = |name: &str| name.contains("@0.3");
    wasmparser::Parser::new(0)
        .parse_all(bytes)
        .any(|payload| match payload {
            Ok(wasmparser::Payload::ComponentImportSection(imports)) => imports
                .into_iter()
                .any(|import| import.is_ok_and(|import| wasip3(import.name.name))),
            Ok(wasmparser::Payload::ComponentExportSection(exports)) => exports
                .into_iter()
                .any(|export| export.is_ok_and(|export| wasip3(export.name.name))),
            _ => false,
        })
}

/// Compiles `bytes` with an engine that has the component model's async
/// features only if the component names WASI 0.3 ([`names_wasip3`]), or
/// if it cannot be compiled without them (it uses `stream`s or async
/// functions of its own). Returns the engine with the component, and
/// whether the engine has those features.
pub(crate) fn compile(
    cli: &Cli,
    cache: Option<&wasmtime::Cache>,
    path: &Path,
    bytes: &[u8],
) -> anyhow::Result<(Engine, Component, bool)> {
    let wasip3 = names_wasip3(bytes);
    let engine = engine(cli, cache, wasip3)?;
    let first = match Component::from_binary(&engine, bytes) {
        Ok(component) => return Ok((engine, component, wasip3)),
        Err(err) => err,
    };
    if !wasip3 {
        let engine = self::engine(cli, cache, true)?;
        if let Ok(component) = Component::from_binary(&engine, bytes) {
            return Ok((engine, component, true));
        }
    }
    Err(anyhow::Error::from(first)).with_context(|| format!("cannot compile {}", path.display()))
}

/// What a wasm file holds, ready to compile.
pub(crate) enum Program {
    /// A component (WASI 0.2 or 0.3).
    Component(Vec<u8>),
    /// A `wasm32-wasip1` core module, run with `wasi_snapshot_preview1`
    /// served natively (no adapter).
    Module(Vec<u8>),
}

/// Tells a component from a core module (anything else is an error).
pub(crate) fn program(path: &Path, bytes: Vec<u8>) -> anyhow::Result<Program> {
    match wasm_kind(&bytes) {
        WasmKind::Component => Ok(Program::Component(bytes)),
        WasmKind::CoreModule => Ok(Program::Module(bytes)),
        WasmKind::NotWasm => bail!("{} is not a wasm component or module", path.display()),
    }
}

/// Compiles a core module (through the compilation cache, as a component).
pub(crate) fn compile_module(
    cli: &Cli,
    cache: Option<&wasmtime::Cache>,
    path: &Path,
    bytes: &[u8],
) -> anyhow::Result<(Engine, Module)> {
    let engine = engine(cli, cache, false)?;
    let module = Module::from_binary(&engine, bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot compile {}", path.display()))?;
    Ok((engine, module))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn wasip3_by_name() {
        let component = |wat: &str| wat::parse_str(wat).unwrap();
        assert!(names_wasip3(&component(
            r#"(component (import "wasi:cli/environment@0.3.0" (instance)))"#
        )));
        assert!(names_wasip3(&component(
            r#"(component (component (import "wasi:filesystem/types@0.3.0-rc" (instance))))"#
        )));
        assert!(!names_wasip3(&component(
            r#"(component (import "wasi:cli/environment@0.2.12" (instance)))"#
        )));
        assert!(!names_wasip3(b"not wasm"));
    }

    #[test]
    fn wasm_kinds() {
        assert_eq!(wasm_kind(b"\0asm\x0d\0\x01\0rest"), WasmKind::Component);
        assert_eq!(wasm_kind(b"\0asm\x01\0\0\0"), WasmKind::CoreModule);
        assert_eq!(wasm_kind(b"(module)"), WasmKind::NotWasm);
        assert_eq!(wasm_kind(b""), WasmKind::NotWasm);
    }
}
