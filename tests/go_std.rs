//! Go's own tests of the standard-library packages that use the filesystem
//! (`go test -c PKG` for `GOOS=wasip1`, built by
//! `scripts/build-wasip1-guests.sh` with Go 1.27 from PyPI), run as Go's
//! `go_wasip1_wasm_exec` runs them (the host's root preopened, `-W
//! max-wasm-stack`, `PWD` the package's source directory, `-test.short`),
//! under directfs's native preview 1 and under wasmtime-wasi's: both must
//! pass, and every test and subtest must end the same way (`-test.v`'s
//! `--- PASS`/`SKIP`/`FAIL` lines), at least a floor of them passing, and
//! they must leave as many files in `TMPDIR`. One
//! `#[test]` per package (made by [`go_std_tests!`]).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The directory holding the built core modules.
fn modules_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| common::script_dir("build-wasip1-guests.sh"))
}

/// Go's `GOROOT`, whose `src/PKG` holds each package's test data.
fn goroot() -> PathBuf {
    let out = Command::new("go").args(["env", "GOROOT"]).output().unwrap();
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// Runs package `pkg`'s tests under `wasi_fs`, skipping the tests that
/// `skip` (a `-test.skip` pattern, or empty) names; returns the sorted
/// `--- OUTCOME: name` lines (without their times) with a line per file
/// left in `TMPDIR`, and the whole output.
fn run_package(pkg: &str, wasi_fs: &str, skip: &str) -> (Vec<String>, String) {
    let src = goroot().join("src").join(pkg);
    let tmp = tempfile::tempdir().unwrap();
    let module = modules_dir().join(format!("go_std_{}.wasm", pkg.replace('/', "_")));
    assert!(module.exists(), "no {}", module.display());
    let run = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .current_dir(&src)
        .args([
            "--wasi-fs",
            wasi_fs,
            "-W",
            "max-wasm-stack=8388608,timeout=240s",
        ])
        .args(["--dir", "/::/"])
        .arg("--env")
        .arg(format!("PWD={}", src.display()))
        .arg("--env")
        .arg(format!("TMPDIR={}", tmp.path().display()))
        .arg("--env")
        .arg(format!("HOME={}", tmp.path().display()))
        .arg(&module)
        .args(["-test.short", "-test.v", "-test.skip", skip])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success() && stdout.ends_with("PASS\n"),
        "{pkg} under --wasi-fs {wasi_fs}: {:?}\n{stdout}\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    let mut outcomes: Vec<String> = stdout
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("--- "))
        .map(|l| l.rsplit_once(" (").map_or(l, |(head, _)| head).to_owned())
        .collect();
    outcomes.sort();
    // What the tests left in TMPDIR (some leave files: names are random,
    // so their count and types).
    let mut left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| format!("{:?}", e.unwrap().file_type().unwrap()))
        .collect();
    left.sort();
    outcomes.extend(left.into_iter().map(|t| format!("left in TMPDIR: {t}")));
    (outcomes, stdout)
}

/// Package `pkg`'s tests end test by test as under wasmtime-wasi, with at
/// least `min_pass` passing.
fn same_as_wasmtime(pkg: &str, skip: &str, min_pass: usize) {
    let (ours, out) = run_package(pkg, "directfs", skip);
    let (theirs, _) = run_package(pkg, "wasmtime", skip);
    let only_ours: Vec<_> = ours.iter().filter(|l| !theirs.contains(l)).collect();
    let only_theirs: Vec<_> = theirs.iter().filter(|l| !ours.contains(l)).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "{pkg} ends differently; under directfs: {only_ours:#?}\nunder wasmtime-wasi: {only_theirs:#?}"
    );
    let passed = ours.iter().filter(|l| l.starts_with("--- PASS")).count();
    eprintln!("{pkg}: {passed} tests and subtests passed");
    assert!(passed >= min_pass, "{pkg}: {passed} passed:\n{out}");
}

/// One test per package: `name: "package", "-test.skip pattern" => the
/// fewest tests (and subtests) that pass` (about 80% of today's, a floor
/// against a run that quietly tests nothing).
macro_rules! go_std_tests {
    ($($name:ident: $pkg:literal, $skip:literal => $min_pass:literal,)*) => {
        $(
            #[test]
            fn $name() {
                same_as_wasmtime($pkg, $skip, $min_pass);
            }
        )*
    };
}

go_std_tests! {
    // The three tests that look for `LICENSE` in `GOROOT`, which PyPI's Go
    // leaves out, fail under both.
    go_std_os: "os", "^(TestFileReadDir|TestFileReaddir|TestFileReaddirnames)$" => 918,
    go_std_path_filepath: "path/filepath", "" => 35,
    go_std_io_fs: "io/fs", "" => 19,
    go_std_io_ioutil: "io/ioutil", "" => 23,
    go_std_archive_tar: "archive/tar", "" => 80,
    go_std_archive_zip: "archive/zip", "" => 100,
    go_std_syscall: "syscall", "" => 36,
    go_std_testing_fstest: "testing/fstest", "" => 5,
}
