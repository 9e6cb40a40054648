//! The official WASI test suite's programs (`conformance/wasi-testsuite`,
//! vendored from WebAssembly/wasi-testsuite: see its README), built by
//! `scripts/build-conformance.sh`, one test each: its preview 1 programs
//! (`wasm32-wasip1` core modules) and its WASI 0.3 filesystem ones
//! (components). Each program checks its own calls and exits 0 only if
//! every one answered as the suite expects (preview 1's with Unix's exact
//! errnos: `ERRNO_MODE_UNIX`, the suite's strictest mode). Each runs as the
//! suite's runner runs it (a fresh copy of its spec's root preopened as `/`)
//! under directfs in each revalidation mode and on an async host with a
//! pool mount, and under wasmtime-wasi (`--wasi-fs wasmtime`), which must
//! pass it too: a program neither passes is the suite's, one only
//! wasmtime-wasi passes is ours.
//!
//! Then wasmtime's own preview 1 test programs
//! (`conformance/wasmtime-test-programs`), each run as wasmtime's harness
//! runs it, natively in every mode and on a pool mount, and made a
//! component by the preview1 adapter (directfs's WASI 0.2 under it), each
//! way under wasmtime-wasi too.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::dfs_run;

/// The directory holding the built programs (`wasip1/`, `wasip3/`).
fn programs_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| common::script_dir("build-conformance.sh"))
}

/// Copies the directory `from` into `to`, recursively.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir(&dest).unwrap();
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// Runs program `name` of `set` (`wasip1`, `wasip3`) as the suite's runner
/// would, under `wasi_fs` with `options` on its root (if its spec preopens
/// one), and fails the test unless it exits 0.
fn run(set: &str, name: &str, wasi_fs: &str, options: &str) {
    let dir = programs_dir().join(set);
    let wasm = dir.join(format!("{name}.wasm"));
    assert!(wasm.exists(), "no program {}", wasm.display());
    // Every spec of these programs is `{"root": "fs-tests.dir"}` (with no
    // arguments: a copy of that directory preopened as `/`) or absent (no
    // preopen).
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
    if spec.contains("\"root\": \"fs-tests.dir\"") {
        copy_tree(&dir.join("fs-tests.dir"), root.path());
        args.extend([
            "--dir".into(),
            format!("{}::/{options}", root.path().display()).into(),
        ]);
    } else {
        assert!(!spec.contains("root"), "{name}: an unknown spec: {spec}");
    }
    args.push(wasm.into_os_string());
    let run = dfs_run(args);
    assert_eq!(
        run.code,
        Some(0),
        "{set}/{name} under --wasi-fs {wasi_fs} (options {options:?}):\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// One test per program of `set`, named as its file with `-` as `_`:
/// directfs in each mode and on a pool mount, then wasmtime-wasi; and a
/// test that every vendored program of `set` has one.
macro_rules! conformance {
    ($set:literal, $src:literal, $all:ident: $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let name = stringify!($name).replace('_', "-");
                let name = if $set == "wasip1" { stringify!($name).to_owned() } else { name };
                for options in ["", ",shared", ",exclusive", ",pool"] {
                    run($set, &name, "directfs", options);
                }
                run($set, &name, "wasmtime", "");
            }
        )*
        /// Every vendored program has its test above.
        #[test]
        fn $all() {
            let tested = [$(stringify!($name)),*];
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join($src);
            let mut vendored: Vec<String> = std::fs::read_dir(src)
                .unwrap()
                .filter_map(|e| {
                    let name = e.unwrap().file_name();
                    name.to_str()?.strip_suffix(".rs").map(|n| n.replace('-', "_"))
                })
                .collect();
            vendored.sort();
            assert_eq!(vendored, tested);
        }
    };
}

conformance!(
    "wasip1",
    "conformance/wasi-testsuite/wasm32-wasip1/src/bin",
    every_preview_1_program_has_a_test:
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

conformance!(
    "wasip3",
    "conformance/wasi-testsuite/wasm32-wasip3/src/bin",
    every_0_3_program_has_a_test:
    filesystem_advise,
    filesystem_dotdot,
    filesystem_flags_and_type,
    filesystem_hard_links,
    filesystem_io,
    filesystem_is_same_object,
    filesystem_metadata_hash,
    filesystem_mkdir_rmdir,
    filesystem_open_errors,
    filesystem_read_directory,
    filesystem_rename,
    filesystem_set_size,
    filesystem_stat,
    filesystem_unlink_errors,
);

/// Runs wasmtime's preview 1 test program `name` as wasmtime's harness
/// (`crates/wasi/tests/all/p1.rs`) runs it: a fresh directory preopened as
/// `.` (with `options`), the argument `.`, `ERRNO_MODE_UNIX`; for the
/// programs that ask for it a read-only preopen `readonly` holding
/// `test.txt` (left unchanged), and for `p1_stat_extreme_host_mtime` its
/// `extreme.dat`. `as_component`: made a component by the official preview1
/// adapter first, as wasmtime's `p2` tests run these programs. Fails the
/// test unless it exits 0.
fn run_wasmtime_p1(name: &str, wasi_fs: &str, options: &str, as_component: bool) {
    let module = programs_dir()
        .join("wasmtime-p1")
        .join(format!("{name}.wasm"));
    assert!(module.exists(), "no program {}", module.display());
    let scratch = tempfile::tempdir().unwrap();
    let program = if as_component {
        let component = wit_component::ComponentEncoder::default()
            .module(&std::fs::read(&module).unwrap())
            .unwrap()
            .adapter(
                "wasi_snapshot_preview1",
                wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
            )
            .unwrap()
            .validate(true)
            .encode()
            .unwrap();
        let path = scratch.path().join(format!("{name}.component.wasm"));
        std::fs::write(&path, component).unwrap();
        path
    } else {
        module
    };
    let work = tempfile::tempdir().unwrap();
    let readonly = tempfile::tempdir().unwrap();
    const READ_ONLY_TEXT: &[u8] = b"read only test file\n";
    std::fs::write(readonly.path().join("test.txt"), READ_ONLY_TEXT).unwrap();
    if name == "p1_stat_extreme_host_mtime" {
        // As wasmtime's fixture: the oldest time the host keeps, if any.
        let file = std::fs::File::create(work.path().join("extreme.dat")).unwrap();
        std::io::Write::write_all(&mut &file, b"hello").unwrap();
        let oldest = std::time::UNIX_EPOCH
            .checked_sub(std::time::Duration::from_secs(1 << 62))
            .unwrap();
        let times = std::fs::FileTimes::new()
            .set_modified(oldest)
            .set_accessed(oldest);
        let _ = file.set_times(times);
    }
    let run = dfs_run([
        "--wasi-fs".into(),
        wasi_fs.into(),
        "--env".into(),
        "ERRNO_MODE_UNIX=1".into(),
        "-W".into(),
        "timeout=60s".into(),
        "--dir".into(),
        format!("{}::.{options}", work.path().display()).into(),
        "--dir".into(),
        format!("{}::readonly,readonly", readonly.path().display()).into(),
        program.into_os_string(),
        std::ffi::OsString::from("."),
    ]);
    assert_eq!(
        run.code,
        Some(0),
        "wasmtime's {name} under --wasi-fs {wasi_fs} (options {options:?}, component \
         {as_component}):\n{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        std::fs::read(readonly.path().join("test.txt")).unwrap(),
        READ_ONLY_TEXT
    );
}

/// One test per wasmtime preview 1 program run: directfs natively in each
/// mode and on a pool mount, then through the adapter; wasmtime-wasi both
/// ways. And a test that every vendored program has one, but those
/// `left_out` (their README says why).
macro_rules! wasmtime_p1 {
    ($all:ident: $($name:ident),* ; left out: $($out:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let name = stringify!($name);
                for options in ["", ",shared", ",exclusive", ",pool"] {
                    run_wasmtime_p1(name, "directfs", options, false);
                }
                run_wasmtime_p1(name, "directfs", "", true);
                run_wasmtime_p1(name, "wasmtime", "", false);
                run_wasmtime_p1(name, "wasmtime", "", true);
            }
        )*
        /// Every vendored program has its test above, or is left out.
        #[test]
        fn $all() {
            let mut named = vec![$(stringify!($name)),* $(, stringify!($out))*];
            named.sort_unstable();
            let src = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("conformance/wasmtime-test-programs/src/bin");
            let mut vendored: Vec<String> = std::fs::read_dir(src)
                .unwrap()
                .filter_map(|e| {
                    let name = e.unwrap().file_name();
                    name.to_str()?.strip_suffix(".rs").map(str::to_owned)
                })
                .collect();
            vendored.sort();
            assert_eq!(vendored, named);
        }
    };
}

wasmtime_p1!(
    every_wasmtime_preview_1_program_has_a_test:
    p1_big_random_buf,
    p1_clock_time_get,
    p1_close_preopen,
    p1_dangling_fd,
    p1_dangling_symlink,
    p1_dir_fd_op_failures,
    p1_directory_seek,
    p1_fd_advise,
    p1_fd_filestat_get,
    p1_fd_filestat_set,
    p1_fd_flags_set,
    p1_fd_readdir,
    p1_file_allocate,
    p1_file_hardlink_across_perms,
    p1_file_pread_pwrite,
    p1_file_read_write,
    p1_file_rename_across_perms,
    p1_file_seek_tell,
    p1_file_truncation,
    p1_file_truncation_readonly,
    p1_file_unbuffered_write,
    p1_file_write,
    p1_interesting_paths,
    p1_nofollow_errors,
    p1_overwrite_preopen,
    p1_path_exists,
    p1_path_filestat,
    p1_path_link,
    p1_path_open_create_existing,
    p1_path_open_dirfd_not_dir,
    p1_path_open_lots,
    p1_path_open_missing,
    p1_path_open_nonblock,
    p1_path_open_preopen,
    p1_path_open_read_write,
    p1_path_rename,
    p1_path_rename_dir_trailing_slashes,
    p1_path_symlink_trailing_slashes,
    p1_poll_oneoff_files,
    p1_poll_oneoff_stdio,
    p1_readlink,
    p1_regular_file_isatty,
    p1_remove_directory,
    p1_remove_nonempty_directory,
    p1_renumber,
    p1_sched_yield,
    p1_sleep_quickly_but_lots,
    p1_stat_extreme_host_mtime,
    p1_stdio,
    p1_stdio_not_isatty,
    p1_symlink_create,
    p1_symlink_filestat,
    p1_symlink_loop,
    p1_unicode_output,
    p1_unlink_file_trailing_slashes;
    left out: p1_cli_hostcall_fuel, p1_cli_much_stdout, p1_stdio_isatty,
);
