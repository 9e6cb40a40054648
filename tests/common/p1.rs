//! The differential harness of the preview 1 tests (`tests/wasip1.rs`, and
//! the embedding tests of `tests/embed.rs`): a `wasm32-wasip1` core module
//! run under directfs (inline, and on an async host with a pool mount) and
//! under wasmtime-wasi's preview 1 on identical fixtures, every line printed
//! and the host trees left compared.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{Fixture, Program, Run, Side, host_tree};

/// The directory holding the built core modules.
pub fn modules_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| super::script_dir("build-wasip1-guests.sh"))
}

/// The core module `name`.
pub fn module(name: &str) -> PathBuf {
    let path = modules_dir().join(format!("{name}.wasm"));
    assert!(path.exists(), "no module {name} at {}", path.display());
    path
}

/// Runs module `name` with `/sandbox` (read-write, holding the escape
/// symlinks `out` → the outside, `up` → `../outside`; with `options`, e.g.
/// `,pool`) and `/ro` (read-only, holding `f`), under `wasi_fs`, with
/// `GREETING=hello` in its environment and `args` after the module.
pub fn run_side(
    name: &str,
    wasi_fs: &str,
    options: &str,
    args: &[&str],
    setup: fn(&Fixture),
) -> Side {
    let program = Program {
        path: module(name),
        flags: &["--env", "GREETING=hello"],
        args,
    };
    super::run_program(&program, wasi_fs, options, "", setup)
}

/// Runs module `name` under directfs and under wasmtime-wasi's preview 1
/// and checks that they agree: exit status, every line printed but the
/// ones `differ` names (intended differences, checked by the caller), and
/// the host trees. Returns both sides (directfs's first).
///
/// directfs runs it twice: on a sync host, and on an async host with the
/// sandbox a `pool` mount (every filesystem call with a descriptor on
/// tokio's blocking pool), which must print and leave exactly the same.
pub fn differential(name: &str, args: &[&str], setup: fn(&Fixture), differ: &[&str]) -> [Side; 2] {
    let ours = run_side(name, "directfs", "", args, setup);
    let pooled = run_side(name, "directfs", ",pool", args, setup);
    // On an async host a `poll_oneoff` of one relative clock waits on the
    // executor instead of sleeping the thread, where a CPU-time clock is
    // `inval` (wasmtime-wasi's answer where it may not block the thread).
    let but_async = |stdout: &str| -> String {
        stdout
            .lines()
            .filter(|line| !line.starts_with("poll cputime clock"))
            .map(|line| format!("{line}\n"))
            .collect()
    };
    assert_eq!(
        (pooled.run.code, but_async(&pooled.run.stdout)),
        (ours.run.code, but_async(&ours.run.stdout)),
        "{name}: on an async host with a pool mount (then inline): {}",
        pooled.run.stderr
    );
    assert_eq!(
        host_tree(&pooled.fx.sandbox),
        host_tree(&ours.fx.sandbox),
        "{name}: the host trees differ (pool, then inline)"
    );
    pooled.fx.assert_outside_untouched();
    let theirs = run_side(name, "wasmtime", "", args, setup);
    for side in [&ours, &theirs] {
        side.fx.assert_outside_untouched();
        assert_eq!(std::fs::read(side.ro.join("f")).unwrap(), b"ro\n");
        assert_eq!(super::host_names(&side.ro), ["f"]);
    }
    assert_eq!(
        ours.run.code, theirs.run.code,
        "{name}: exit statuses differ:\n{:?}\n{:?}",
        ours.run, theirs.run
    );
    let kept = |run: &Run| -> Vec<String> {
        run.stdout
            .lines()
            .filter(|line| !differ.iter().any(|d| line.starts_with(d)))
            .map(str::to_owned)
            .collect()
    };
    let (a, b) = (kept(&ours.run), kept(&theirs.run));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(
            x,
            y,
            "{name}: line {} differs (directfs, then wasmtime)",
            i + 1
        );
    }
    assert_eq!(a.len(), b.len(), "{name}: output lengths differ");
    assert!(!a.is_empty(), "{name} printed nothing: {:?}", ours.run);
    if differ.is_empty() {
        assert_eq!(
            host_tree(&ours.fx.sandbox),
            host_tree(&theirs.fx.sandbox),
            "{name}: the host trees differ (directfs, then wasmtime)"
        );
    }
    [ours, theirs]
}

/// A std-only Rust guest built for wasm32-wasip1, differentially; it
/// prints its steps and exits 0.
pub fn rust_guest(name: &str) -> Side {
    let [ours, _] = differential(name, &[], |_| {}, &[]);
    ours.run.assert_success();
    assert!(ours.run.stdout.lines().count() > 10, "{}", ours.run.stdout);
    ours
}
