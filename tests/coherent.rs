//! Coherent by default: every answer a guest gets is what a native program
//! would get at that moment, whoever changed the directory — the host
//! while the guest runs, the guest through another preopen of the same
//! directory or of a directory inside it, wasmtime-wasi's stdio streams.
//! Each test runs its guest under directfs in the default mode (inline and
//! on the pool) and in `shared`, and under wasmtime-wasi's own
//! `wasi:filesystem` (`--wasi-fs wasmtime`): the outputs and the host's
//! tree afterwards must be the same. `exclusive` is run too where it
//! should go wrong (it promises nothing when others change the
//! directory): so the fixture is shown to catch a cache that misses a
//! change.

mod common;

use std::path::Path;

use std::process::Command;

use common::host_changes::{
    Told, Views, around_host_changes_embedded, around_host_changes_told,
    around_host_changes_with_env, assert_hostile_host_changes_as_wasmtime, assert_same_run,
    drive_steps,
};
use common::{dfs_run, guest, host_tree};

/// The WASI 0.2 host-changes run ([`around_host_changes_told`]).
fn around_host_changes(args: &[&str], options: &str) -> (Vec<String>, Vec<String>) {
    around_host_changes_told(Told::Stdin, "coherent_host_changes", args, options)
}

/// The WASI 0.3 host-changes run ([`around_host_changes_told`]).
fn around_host_changes_p3(args: &[&str], options: &str) -> (Vec<String>, Vec<String>) {
    around_host_changes_told(Told::Marker, "coherent_p3_host_changes", args, options)
}

/// The same changes seen through `wasi:filesystem@0.3.0`.
#[test]
fn coherent_p3_host_changes() {
    let (want, want_tree) = around_host_changes_p3(&["--wasi-fs", "wasmtime"], "");
    assert!(
        want.contains(&"[1] read f: ok \"old++appended\"".to_owned()),
        "{want:#?}"
    );
    for options in ["", ",pool", ",shared"] {
        let (got, tree) = around_host_changes_p3(&[], options);
        assert_same_run(&format!("{options:?}"), (&want, &want_tree), (&got, &tree));
    }
}

#[test]
fn coherent_host_changes() {
    let (want, want_tree) = around_host_changes(&["--wasi-fs", "wasmtime"], "");
    // The fixture shows every change to wasmtime-wasi, which caches nothing.
    assert!(want.contains(&"[1] read f: ok \"old++appended\"".to_owned()));
    assert!(want.contains(&"[8] d is a symlink: ok true".to_owned()));
    assert!(want.contains(&"write h: ok ()".to_owned()));
    for options in ["", ",pool", ",shared"] {
        let (got, tree) = around_host_changes(&[], options);
        assert_same_run(&format!("{options:?}"), (&want, &want_tree), (&got, &tree));
    }
    // Exclusive trusts what it cached: it must miss some change here.
    let (stale, _) = around_host_changes(&[], ",exclusive");
    assert_ne!(
        stale, want,
        "exclusive mode saw every change: the fixture tests nothing"
    );
}

/// The same changes to files the guest made itself first, through WASI
/// (`MADE`): their dentries private to the guest's descriptors, their
/// names cached nowhere and their directories told of no removal until
/// the guest's first look; one kept open while the host removes it. Every
/// answer wasmtime-wasi's, in each mode but `exclusive`.
#[test]
fn coherent_host_changes_to_files_the_guest_made() {
    let made = ["--env", "MADE=1"];
    let (want, want_tree) = around_host_changes(&["--wasi-fs", "wasmtime", made[0], made[1]], "");
    assert!(want.contains(&"make /s/f: ok ()".to_owned()), "{want:#?}");
    assert!(want.contains(&"[1] read f: ok \"old++appended\"".to_owned()));
    assert!(
        want.contains(&"[6] stat h: err NotFound (errno 44)".to_owned()),
        "{want:#?}"
    );
    assert!(want.contains(&"open h len: ok 11".to_owned()), "{want:#?}");
    for options in ["", ",pool", ",shared"] {
        let (got, tree) = around_host_changes(&made, options);
        assert_same_run(&format!("{options:?}"), (&want, &want_tree), (&got, &tree));
    }
}

/// The same changes to directories the guest churned first (`CHURN`: a
/// file made, renamed and removed 300 times in each, through WASI), which
/// directfs then revalidates instead of trusting its watch (see
/// `watch::CHURN_AFTER`) until the guest's lookups outnumber its changes.
/// Every answer wasmtime-wasi's, in each mode but `exclusive`.
#[test]
fn coherent_host_changes_after_the_guest_churned() {
    let churn = ["--env", "CHURN=1"];
    let (want, want_tree) = around_host_changes(&["--wasi-fs", "wasmtime", churn[0], churn[1]], "");
    assert!(want.contains(&"churn: ok ()".to_owned()), "{want:#?}");
    assert!(want.contains(&"[1] read f: ok \"old++appended\"".to_owned()));
    for options in ["", ",pool", ",shared"] {
        let (got, tree) = around_host_changes(&churn, options);
        assert_same_run(&format!("{options:?}"), (&want, &want_tree), (&got, &tree));
    }
}

/// The same changes seen by a guest that only opens and reads
/// (`coherent_reads_only`): no stat of a name widens a watch, so each
/// directory is told of names removed and moved only because its lookups
/// asked for it. Every answer wasmtime-wasi's, in each mode but
/// `exclusive`.
#[test]
fn coherent_host_changes_seen_by_reads_alone() {
    let run = |args: &[&str], options: &str| {
        around_host_changes_told(Told::Stdin, "coherent_reads_only", args, options)
    };
    let (want, want_tree) = run(&["--wasi-fs", "wasmtime"], "");
    assert!(
        want.contains(&"[4] read f: ok \"replaced by rename\"".to_owned()),
        "{want:#?}"
    );
    assert!(
        want.contains(&"[6] read h: err NotFound (errno 44)".to_owned()),
        "{want:#?}"
    );
    for options in ["", ",pool", ",shared"] {
        let (got, tree) = run(&[], options);
        assert_same_run(&format!("{options:?}"), (&want, &want_tree), (&got, &tree));
    }
    let (stale, _) = run(&[], ",exclusive");
    assert_ne!(
        stale, want,
        "exclusive mode saw every change: the fixture tests nothing"
    );
}

/// The same changes where the look at the kernel's notifications is an
/// `epoll_wait` each call (`DIRECTFS_IO_URING=0`: what a host without
/// io_uring gets), WASI 0.2 and 0.3.
#[test]
fn coherent_host_changes_without_io_uring() {
    let no_ring = [("DIRECTFS_IO_URING", "0")];
    for (told, name) in [
        (Told::Stdin, "coherent_host_changes"),
        (Told::Marker, "coherent_p3_host_changes"),
    ] {
        let run = |args: &[&str], env: &[(&str, &str)]| {
            let tmp = tempfile::tempdir().unwrap();
            around_host_changes_with_env(told, name, args, "", &Views::one(tmp.path()), env)
        };
        let (want, want_tree) = run(&["--wasi-fs", "wasmtime"], &[]);
        let (got, tree) = run(&[], &no_ring);
        assert_same_run(name, (&want, &want_tree), (&got, &tree));
    }
}

/// The same changes seen by a guest of an embedder: a store on a mount of
/// a `Filesystem` another store has already walked, made through the
/// library (`Filesystem::mount`) in the default mode and in `shared`.
#[test]
fn coherent_host_changes_embedded() {
    let (want, want_tree) = around_host_changes(&["--wasi-fs", "wasmtime"], "");
    for revalidation in [
        directfs::Revalidation::Coherent,
        directfs::Revalidation::Shared,
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let (got, tree) = around_host_changes_embedded(revalidation, &Views::one(tmp.path()));
        assert_same_run(
            &format!("{revalidation:?}"),
            (&want, &want_tree),
            (&got, &tree),
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let (stale, _) =
        around_host_changes_embedded(directfs::Revalidation::Exclusive, &Views::one(tmp.path()));
    assert_ne!(
        stale, want,
        "exclusive mode saw every change: the fixture tests nothing"
    );
}

/// The preopen guests' fixture, made in `tmp`: `D/d/f` and `D/in/f`.
fn fixture_of_preopens(tmp: &Path) -> std::path::PathBuf {
    let d = tmp.join("D");
    std::fs::create_dir_all(d.join("d")).unwrap();
    std::fs::create_dir_all(d.join("in")).unwrap();
    std::fs::write(d.join("d/f"), b"old d/f").unwrap();
    std::fs::write(d.join("in/f"), b"old in/f").unwrap();
    d
}

/// Runs guest `name` with `dirs` (`HOST::GUEST` specs under `tmp`) under
/// `wasi_fs`, after `setup`: its output and the tree afterwards.
fn run_preopens(name: &str, wasi_fs: &str, dirs: &[&str], options: &str) -> (String, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let d = fixture_of_preopens(tmp.path());
    let mut args = vec!["--wasi-fs".to_owned(), wasi_fs.to_owned()];
    for spec in dirs {
        let (host, guest_path) = spec.split_once("::").unwrap();
        // `,readonly-b`: `/b` read-only, the rest as `options`.
        let options = match options {
            ",readonly-b" if guest_path == "/b" => ",readonly",
            ",readonly-b" => "",
            other => other,
        };
        args.push("--dir".into());
        args.push(format!("{}::{guest_path}{options}", d.join(host).display()));
    }
    args.push(guest(name).display().to_string());
    let run = dfs_run(&args);
    assert_eq!(
        run.code,
        Some(0),
        "{name} {wasi_fs} {options}: {}",
        run.stderr
    );
    (run.stdout, host_tree(&d))
}

/// Runs a preopen guest under wasmtime-wasi, then directfs (default mode,
/// inline and pool, shared, and exclusive: an exclusive mount that
/// overlaps another is kept coherent): the same output and tree.
fn same_as_wasmtime(name: &str, dirs: &[&str]) -> String {
    let (want, want_tree) = run_preopens(name, "wasmtime", dirs, "");
    // Exclusive too: overlapping mounts of one filesystem are kept coherent.
    for options in ["", ",pool", ",shared", ",exclusive"] {
        let (got, tree) = run_preopens(name, "directfs", dirs, options);
        assert_eq!(got, want, "{name} {options:?}: output");
        assert_eq!(
            tree, want_tree,
            "{name} {options:?}: the host's tree afterwards"
        );
    }
    want
}

#[test]
fn coherent_two_preopens() {
    let want = same_as_wasmtime("coherent_two_preopens", &[".::/a", ".::/b"]);
    assert!(want.contains("b: read x: ok \"through a\""), "{want}");
    assert!(
        want.contains("a: read d/f: ok \"written through b\""),
        "{want}"
    );
    assert!(want.contains("a: read d2/f: ok \"old d/f\""), "{want}");
}

#[test]
fn coherent_nested_preopens() {
    let want = same_as_wasmtime("coherent_nested_preopens", &[".::/outer", "in::/inner"]);
    assert!(want.contains("inner: read f: ok \"replaced!\""), "{want}");
    assert!(want.contains("outer: read in/sub/y: ok \"y\""), "{want}");
}

/// The guest's stdout goes into a file in its preopen: the file's length
/// as the guest sees it grows with every line it printed.
#[test]
fn coherent_stdout_into_preopen() {
    for options in ["", ",pool", ",shared"] {
        let tmp = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(tmp.path().join("log.txt")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
            .arg("--dir")
            .arg(format!("{}::/s{options}", tmp.path().display()))
            .arg(guest("coherent_stdout_into_preopen"))
            .stdout(log)
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "before: 0\nbefore, again: 0\nafter line 0: 7\nafter line 1: 14\nafter line 2: 21\n",
            "{options:?}"
        );
    }
}

/// Runs `coherent_two_preopens` in a store of an embedder that preopens one
/// mount twice in one context: `/a` read-write and `/b` read-only (in
/// that order, or the other with `ro_first`). Returns what it printed.
fn two_views_of_one_mount(
    dir: &Path,
    revalidation: directfs::Revalidation,
    ro_first: bool,
) -> String {
    use directfs::{DirectfsCtx, Filesystem, Perms};
    use wasmtime::component::{Component, Linker, ResourceTable};
    use wasmtime::{Config, Engine, Store};
    use wasmtime_wasi::p2::bindings::sync::Command;
    use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

    let fs = Filesystem::new();
    let mount = fs.mount(dir, revalidation).unwrap();
    let mut builder = DirectfsCtx::builder();
    if ro_first {
        builder.mount(&mount, "/b", Perms::ReadOnly).unwrap();
        builder.mount(&mount, "/a", Perms::ReadWrite).unwrap();
    } else {
        builder.mount(&mount, "/a", Perms::ReadWrite).unwrap();
        builder.mount(&mount, "/b", Perms::ReadOnly).unwrap();
    }
    let stdout = MemoryOutputPipe::new(1 << 16);
    let host = common::Host {
        wasi: wasmtime_wasi::WasiCtx::builder()
            .stdout(stdout.clone())
            .build(),
        directfs: builder.build(),
        table: ResourceTable::new(),
    };
    let engine = Engine::new(&Config::new()).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    directfs::add_to_linker(&mut linker).unwrap();
    directfs::wasi::add_to_linker(&mut linker).unwrap();
    let component = Component::from_file(&engine, guest("coherent_two_preopens")).unwrap();
    let mut store = Store::new(&engine, host);
    let command = Command::instantiate(&mut store, &component, &linker).unwrap();
    let result = command.wasi_cli_run().call_run(&mut store);
    assert!(matches!(result, Ok(Ok(()))), "{result:?}");
    String::from_utf8(stdout.contents().to_vec()).unwrap()
}

/// Permissions belong to the preopen, not to the mount: one mount
/// preopened read-write and read-only in one context keeps the read-only
/// view read-only (and sees what the other writes), as wasmtime-wasi's
/// two preopens of one directory, one `readonly`, do; in every mode, and
/// whichever preopen comes first.
#[test]
fn coherent_one_mount_read_write_and_read_only() {
    let (want, want_tree) = run_preopens(
        "coherent_two_preopens",
        "wasmtime",
        &[".::/a", ".::/b"],
        ",readonly-b",
    );
    assert!(want.contains("b: write d/f: err"), "{want}");
    for revalidation in [
        directfs::Revalidation::Coherent,
        directfs::Revalidation::Exclusive,
        directfs::Revalidation::Shared,
    ] {
        for ro_first in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            let d = fixture_of_preopens(tmp.path());
            let got = two_views_of_one_mount(&d, revalidation, ro_first);
            assert_eq!(got, want, "{revalidation:?}, read-only first: {ro_first}");
            assert_eq!(
                host_tree(&d),
                want_tree,
                "{revalidation:?}: the host's tree"
            );
        }
    }
}

/// A bind mount of a directory on another, made by `mount --bind`;
/// detached when dropped (lazily: directfs's dentries may still hold FDs
/// on what it mounted, as any process may).
struct BindMount(std::path::PathBuf);

impl BindMount {
    /// Mounts `source` on `target`; `None` where this machine does not let
    /// the test mount (not root, no `mount`).
    fn new(source: &Path, target: &Path) -> Option<Self> {
        let status = Command::new("mount")
            .arg("--bind")
            .arg(source)
            .arg(target)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Self(target.to_path_buf()))
    }
}

impl Drop for BindMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Runs `coherent_host_changes` with `args` before it and `options` on its
/// `--dir`: after its first look the host mounts a directory holding `x`
/// ("mounted x") on `d`, after its second it detaches it. Its output and
/// the host's tree afterwards; `None` where the test cannot mount.
fn around_a_mount(args: &[&str], options: &str) -> Option<(Vec<String>, Vec<String>)> {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::host_changes::host_changes_fixture(tmp.path());
    let source = tmp.path().join("m");
    std::fs::create_dir(&source).unwrap();
    std::fs::write(source.join("x"), b"mounted x").unwrap();
    // Asked once before the guest runs.
    drop(BindMount::new(&source, &dir.join("d"))?);
    let mut mount = None;
    Some(around_steps(
        "coherent_host_changes",
        (args, options),
        &dir,
        2,
        |step| match step {
            1 => mount = Some(BindMount::new(&source, &dir.join("d")).expect("mounted before")),
            _ => drop(mount.take()),
        },
    ))
}

/// Runs guest `name` under `dfs-run`, `args` before it and `dir` its `/s`
/// (`options` on its `--dir`), making `steps` host changes with `change`
/// and telling it of each on stdin ([`drive_steps`]): its output and the
/// host's tree afterwards.
fn around_steps(
    name: &str,
    (args, options): (&[&str], &str),
    dir: &Path,
    steps: usize,
    change: impl FnMut(usize),
) -> (Vec<String>, Vec<String>) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .args(args)
        .arg("--dir")
        .arg(format!("{}::/s{options}", dir.display()))
        .arg(guest(name))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let out = drive_steps(Told::Stdin, lines, stdin, dir, steps, change);
    assert!(
        child.wait().unwrap().success(),
        "{name} {args:?} {options}: {out:#?}"
    );
    (out, host_tree(dir))
}

/// A mount attached on a directory the tree has cached, and detached
/// again, while the guest runs (no inotify event tells of either: the
/// mount table is watched too): the guest sees the mounted directory's
/// files, then the ones under it again, as under wasmtime-wasi.
#[test]
fn coherent_mount_on_a_cached_directory() {
    let Some((want, want_tree)) = around_a_mount(&["--wasi-fs", "wasmtime"], "") else {
        eprintln!("skipped: this machine does not let the test bind-mount (needs root)");
        return;
    };
    assert!(want.contains(&"[1] read d/x: ok \"mounted x\"".to_owned()));
    assert!(want.contains(&"[2] read d/x: ok \"in d\"".to_owned()));
    for options in ["", ",pool", ",shared"] {
        let (got, tree) = around_a_mount(&[], options).unwrap();
        assert_same_run(&format!("{options:?}"), (&want, &want_tree), (&got, &tree));
    }
    let (stale, _) = around_a_mount(&[], ",exclusive").unwrap();
    assert_ne!(
        stale, want,
        "exclusive mode saw the mount: the fixture tests nothing"
    );
}

/// The hostile programs' random calls (traced) with the host changing the
/// sandbox between them ([`assert_hostile_host_changes_as_wasmtime`]: appends,
/// truncations, renames over, directories replaced by new ones and by
/// symlinks, names created and removed, before every call or every third),
/// through WASI 0.2 (`wasi_hostile`) and 0.3 (`p3_hostile`): every call's
/// result and the host's tree afterwards equal to wasmtime-wasi's, in the
/// default mode (inline and on the pool), in `shared`, and with a cache of
/// 2 dentries. `exclusive` must differ somewhere (it trusts what it cached):
/// the changes reach what the calls depend on.
#[test]
fn coherent_hostile_host_changes() {
    for name in ["wasi_hostile", "p3_hostile"] {
        assert_hostile_host_changes_as_wasmtime(&guest(name), &[(1, 1), (2, 3)]);
    }
}

/// Runs `coherent_listing_host_changes` with `args` before it and
/// `options` on its `--dir`: `/s/l` holds `n0`..`n5`; after the guest's
/// first entry the host replaces every file there (a new file renamed
/// over each name), after its second removes them all, after its third
/// makes them anew. Its output and the host's tree afterwards.
fn around_a_listing(args: &[&str], options: &str) -> (Vec<String>, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let names: Vec<String> = (0..6).map(|i| format!("n{i}")).collect();
    std::fs::create_dir_all(dir.join("l")).unwrap();
    for name in &names {
        std::fs::write(dir.join("l").join(name), b"first").unwrap();
    }
    around_steps(
        "coherent_listing_host_changes",
        (args, options),
        &dir,
        3,
        |step| {
            for name in &names {
                let path = dir.join("l").join(name);
                match step {
                    1 => {
                        std::fs::write(dir.join("tmp"), b"replaced").unwrap();
                        std::fs::rename(dir.join("tmp"), &path).unwrap();
                    }
                    2 => std::fs::remove_file(&path).unwrap(),
                    _ => std::fs::write(&path, b"made anew").unwrap(),
                }
            }
        },
    )
}

/// A guest listing a directory while the host replaces, removes and makes
/// anew its files: each entry's `metadata-hash-at` right after it is
/// handed out (wasi-libc's `readdir`'s, for `d_ino`; directfs answers it
/// from the listing while the directory's names are unchanged) names the
/// file another path to it names, or fails as that does: wasmtime-wasi's
/// answers, in the default mode (inline and on the pool) and in `shared`.
#[test]
fn coherent_listing_host_changes() {
    let (want, want_tree) = around_a_listing(&["--wasi-fs", "wasmtime"], "");
    let first = want.iter().find(|l| l.starts_with("step 1 ")).unwrap();
    assert!(first.ends_with(": same file"), "{want:#?}");
    let removed = want.iter().find(|l| l.starts_with("step 2 ")).unwrap();
    assert!(removed.contains("err no-entry"), "{want:#?}");
    for options in ["", ",pool", ",shared"] {
        let (got, tree) = around_a_listing(&[], options);
        assert_same_run(&format!("{options:?}"), (&want, &want_tree), (&got, &tree));
    }
}
