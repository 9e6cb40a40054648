//! CPython's own tests of its file-facing standard library (Debian 12's
//! `libpython3.11-testsuite`, fetched by `scripts/setup-cpython-tests.sh`)
//! run by CPython 3.15 for `wasm32-wasip1` (`scripts/setup-cpython.sh`) on
//! directfs's native preview 1 and on wasmtime-wasi's (`--wasi-fs
//! wasmtime`, what `wasmtime run` serves): every test must end the same way
//! under both (ok, skipped, or the same exception class), the run must pass
//! a floor of tests, and the sandboxes must be left alike.
//!
//! They are 3.11's tests on a 3.15 interpreter, and WASI lacks much of what
//! they try (processes, sockets, `chmod` bits, `umask`): some skip or fail
//! for that alone, the same under both. One `#[test]` per module (made by
//! [`stdlib_tests!`]), each module run by `guests/python/stdlib_tests.py`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{Fixture, Run, dfs_run, host_tree};

/// The directory holding the `test` package.
fn tests_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| common::script_dir("setup-cpython-tests.sh"))
}

/// Runs `test.<module>` under `wasi_fs`: the standard library read-only at
/// `/usr/local/lib`, the tests and the runner read-only, the sandbox
/// read-write at `/s` (the working directory `/s/work`, `TMPDIR` `/s/tmp`,
/// `HOME` `/s/home`).
fn run_module(module: &str, wasi_fs: &str) -> (Fixture, Run) {
    let fx = Fixture::new();
    for dir in ["work", "tmp", "home"] {
        std::fs::create_dir(fx.path(dir)).unwrap();
    }
    let runner = Path::new(env!("CARGO_MANIFEST_DIR")).join("guests/python");
    let run = dfs_run(common::cpython::args(
        wasi_fs,
        &[
            "--dir".into(),
            format!("{}::/t,readonly", tests_dir().display()),
            "--dir".into(),
            format!("{}::/py,readonly", runner.display()),
            "--dir".into(),
            format!("{}::/s", fx.sandbox.display()),
            "--env".into(),
            "TMPDIR=/s/tmp".into(),
            "--env".into(),
            "HOME=/s/home".into(),
        ],
        &["/py/stdlib_tests.py", "/t", "/s/work", module],
    ));
    (fx, run)
}

/// `test.<module>` ends test by test as under wasmtime-wasi, with at least
/// `min_ok` tests passed, and leaves the sandbox as it does.
fn same_as_wasmtime(module: &str, min_ok: usize) {
    let (ours, run) = run_module(module, "directfs");
    let (theirs, their_run) = run_module(module, "wasmtime");
    their_run.assert_success();
    run.assert_success();
    let (a, b): (Vec<_>, Vec<_>) = (
        run.stdout.lines().collect(),
        their_run.stdout.lines().collect(),
    );
    let only_ours: Vec<_> = a.iter().filter(|l| !b.contains(l)).collect();
    let only_theirs: Vec<_> = b.iter().filter(|l| !a.contains(l)).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "test.{module} ends differently; under directfs: {only_ours:#?}\n\
         under wasmtime-wasi: {only_theirs:#?}\nstderr (directfs):\n{}",
        run.stderr
    );
    let ok = a.iter().filter(|l| l.starts_with("ok ")).count();
    assert!(
        ok >= min_ok,
        "test.{module}: {ok} tests passed, fewer than {min_ok}:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    // The count of tests run, then `run`'s result, printed by --invoke.
    assert!(a.len() >= 2 && a[a.len() - 2].starts_with("tests "));
    assert_eq!(a.last(), Some(&"0"), "{}", run.stderr);
    for fx in [&ours, &theirs] {
        fx.assert_outside_untouched();
    }
    assert_eq!(host_tree(&ours.sandbox), host_tree(&theirs.sandbox));
}

/// One test per module of CPython's tests: `module => the fewest tests
/// that pass` (about 80% of what pass today, a floor against a run that
/// quietly tests nothing).
macro_rules! stdlib_tests {
    ($($module:ident => $min_ok:literal,)*) => {
        $(
            #[test]
            fn $module() {
                same_as_wasmtime(stringify!($module), $min_ok);
            }
        )*
    };
}

stdlib_tests! {
    test_os => 117,
    test_shutil => 75,
    test_tempfile => 79,
    test_glob => 8,
    test_fileio => 68,
    test_posixpath => 128,
    test_genericpath => 22,
    test_filecmp => 7,
    test_zipfile => 269,
    test_tarfile => 377,
    test_io => 449,
    test_dbm_dumb => 17,
    test_shelve => 212,
    test_compileall => 57,
    test_py_compile => 16,
    test_zipimport => 48,
    test_linecache => 16,
    test_gzip => 52,
    test_unicode_file_functions => 20,
    test_file => 25,
    test_largefile => 8,
    test_univnewlines => 27,
    test_posix => 31,
    test_import => 42,
    test_fileinput => 44,
    test_importlib => 1400,
    test_pkgutil => 54,
    test_csv => 102,
}
