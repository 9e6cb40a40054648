//! The official WASI test suite's preview 1 programs
//! (`conformance/wasi-testsuite`, vendored from WebAssembly/wasi-testsuite:
//! see its README), built by `scripts/build-conformance.sh`, one test each.
//! Each program checks its own calls and exits 0 only if every one answered
//! as the suite expects, with Unix's exact errnos (`ERRNO_MODE_UNIX`, the
//! suite's strictest mode). Each runs as the suite's runner runs it (its
//! spec's fresh root preopened as `/`) under directfs in each revalidation
//! mode and on an async host with a pool mount, and under wasmtime-wasi's
//! preview 1 (`--wasi-fs wasmtime`), which must pass it too: a program
//! neither passes is the suite's, one only wasmtime-wasi passes is ours.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::dfs_run;

/// The directory holding the built programs and their specs.
fn programs_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| common::script_dir("build-conformance.sh"))
}

/// Runs program `name` as the suite's runner would, under `wasi_fs` with
/// `options` on its root (if its spec preopens one), and fails the test
/// unless it exits 0.
fn run(name: &str, wasi_fs: &str, options: &str) {
    let dir = programs_dir();
    let wasm = dir.join(format!("{name}.wasm"));
    assert!(wasm.exists(), "no program {}", wasm.display());
    // Every spec of this suite is `{"root": "fs-tests.dir", "args": []}`
    // (an empty directory preopened as `/`) or absent (no preopen).
    let spec = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap_or_default();
    let root = tempfile::tempdir().unwrap();
    let mut args: Vec<std::ffi::OsString> = vec![
        "--wasi-fs".into(),
        wasi_fs.into(),
        "--env".into(),
        "ERRNO_MODE_UNIX=1".into(),
        "-W".into(),
        "timeout=60s".into(),
    ];
    if spec.contains("\"root\"") {
        args.extend([
            "--dir".into(),
            format!("{}::/{options}", root.path().display()).into(),
        ]);
    }
    args.push(wasm.into_os_string());
    let run = dfs_run(args);
    assert_eq!(
        run.code,
        Some(0),
        "{name} under --wasi-fs {wasi_fs} (options {options:?}):\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// One test per program: directfs in each mode and on a pool mount, then
/// wasmtime-wasi.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                for options in ["", ",shared", ",exclusive", ",pool"] {
                    run(stringify!($name), "directfs", options);
                }
                run(stringify!($name), "wasmtime", "");
            }
        )*
        /// Every vendored program has its test above.
        #[test]
        fn every_program_has_a_test() {
            let tested = [$(stringify!($name)),*];
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/wasi-testsuite/src/bin");
            let mut vendored: Vec<String> = std::fs::read_dir(src)
                .unwrap()
                .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".rs").map(str::to_owned))
                .collect();
            vendored.sort();
            assert_eq!(vendored, tested);
        }
    };
}
conformance!(
    big_random_buf,
    clock_time_get,
    close_preopen,
    dangling_fd,
    dangling_symlink,
    dir_fd_op_failures,
    directory_seek,
    fd_advise,
    fd_fdstat_set_rights,
    fd_filestat_set,
    fd_flags_set,
    fd_readdir,
    file_allocate,
    file_pread_pwrite,
    file_seek_tell,
    file_truncation,
    file_unbuffered_write,
    fstflags_validate,
    interesting_paths,
    isatty,
    nofollow_errors,
    overwrite_preopen,
    path_exists,
    path_filestat,
    path_link,
    path_open_create_existing,
    path_open_dirfd_not_dir,
    path_open_missing,
    path_open_nonblock,
    path_open_preopen,
    path_open_read_write,
    path_rename,
    path_rename_dir_trailing_slashes,
    path_symlink_trailing_slashes,
    poll_oneoff_stdio,
    readlink,
    remove_directory_trailing_slashes,
    remove_nonempty_directory,
    renumber,
    sched_yield,
    stdio,
    symlink_create,
    symlink_filestat,
    symlink_loop,
    truncation_rights,
    unlink_file_trailing_slashes,
);
