//! `wasi:filesystem` served by directfs, differentially: each `std_*` guest
//! (plain `std::fs`, no wit-bindgen) runs twice on identical fixtures, under
//! directfs's implementation (`dfs-run`'s default) and under wasmtime-wasi's
//! own (`--wasi-fs wasmtime`). Exit status, stdout (every step's result, with
//! exact errnos) and the host trees left behind must be identical, and
//! nothing outside the sandbox may change. Then each test checks the host
//! filesystem for the effects its guest asked for. One test per guest.
//!
//! The intended differences (src/wasi.rs) are kept out of the guests'
//! output: inode numbers, ctime, cross-preopen rename and link.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use common::{Fixture, Run, dfs_run, guest, host_tree};

/// One run of a guest: its fixture (sandbox + watched outside), its
/// read-only preopen, what it printed.
struct Side {
    fx: Fixture,
    _ro_tmp: tempfile::TempDir,
    ro: PathBuf,
    run: Run,
}

/// Runs `name` with `/sandbox` (read-write) and `/ro` (read-only, holding
/// `f`), under `wasi_fs`; with `options` (`,pool`) on both.
fn run_side(name: &str, wasi_fs: &str, options: &str, setup: fn(&Fixture)) -> Side {
    let fx = Fixture::new();
    setup(&fx);
    // The escape targets every guest meets: out of the sandbox, absolute and
    // relative.
    std::os::unix::fs::symlink(&fx.outside, fx.path("out")).unwrap();
    std::os::unix::fs::symlink("../outside", fx.path("up")).unwrap();
    let ro_tmp = tempfile::tempdir().unwrap();
    let ro = ro_tmp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("f"), b"ro\n").unwrap();
    let run = dfs_run([
        "--wasi-fs".into(),
        wasi_fs.into(),
        "--dir".into(),
        format!("{}::/sandbox{options}", fx.sandbox.display()).into(),
        "--dir".into(),
        format!("{}::/ro,readonly{options}", ro.display()).into(),
        guest(name).into_os_string(),
    ]);
    Side {
        fx,
        _ro_tmp: ro_tmp,
        ro,
        run,
    }
}

/// Runs `name` under both implementations, and under directfs on an async
/// host with its calls on the blocking pool (`,pool`), and checks that all
/// three agree; returns directfs's side for the test's own host checks.
fn differential(name: &str) -> Side {
    differential_in(name, |_| {})
}

/// [`differential`], in a sandbox `setup` adds to first.
fn differential_in(name: &str, setup: fn(&Fixture)) -> Side {
    compare(
        name,
        &[("directfs", ""), ("wasmtime", ""), ("directfs", ",pool")],
        setup,
    )
}

/// Runs `name` once per `(wasi-fs, options)` of `sides` (directfs's own
/// first, wasmtime-wasi's second) and checks that all agree: exit status,
/// every line printed, the host trees left behind, and nothing outside the
/// sandbox or in the read-only preopen changed. Returns the first side.
fn compare(name: &str, sides: &[(&str, &str)], setup: fn(&Fixture)) -> Side {
    let mut runs: Vec<Side> = sides
        .iter()
        .map(|(wasi_fs, options)| run_side(name, wasi_fs, options, setup))
        .collect();
    for side in &runs {
        side.run.assert_success();
        side.fx.assert_outside_untouched();
        assert_eq!(std::fs::read(side.ro.join("f")).unwrap(), b"ro\n");
        assert_eq!(common::host_names(&side.ro), ["f"]);
    }
    let lines = |run: &Run| run.stdout.lines().map(str::to_owned).collect::<Vec<_>>();
    let ours = lines(&runs[0].run);
    let our_tree = host_tree(&runs[0].fx.sandbox);
    for (side, (wasi_fs, options)) in runs.iter().zip(sides).skip(1) {
        let who = format!("--wasi-fs {wasi_fs} (options {options:?})");
        let theirs = lines(&side.run);
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(
                a,
                b,
                "{name}: line {} differs (directfs, then {who})",
                i + 1
            );
        }
        assert_eq!(
            ours.len(),
            theirs.len(),
            "{name}: output lengths differ ({who})"
        );
        assert_eq!(
            our_tree,
            host_tree(&side.fx.sandbox),
            "{name}: the host trees differ (directfs, then {who})"
        );
    }
    assert!(
        ours.len() > 10,
        "{name} printed its steps:\n{}",
        runs[0].run.stdout
    );
    runs.swap_remove(0)
}

/// A WASI 0.3 guest under directfs's `wasi:filesystem@0.3.0` and under
/// wasmtime-wasi's, under directfs with `shared` preopens (every cached
/// name revalidated) and with `pool` ones, compared as [`differential`]
/// does.
fn differential_p3(name: &str) -> Side {
    compare(
        name,
        &[
            ("directfs", ""),
            ("wasmtime", ""),
            ("directfs", ",shared"),
            // Each cache miss looked up on the blocking pool, the call run
            // again with the answer.
            ("directfs", ",pool"),
        ],
        |_| {},
    )
}

#[test]
fn std_files() {
    let side = differential("std_files");
    let (fx, out) = (&side.fx, &side.run.stdout);
    assert!(
        out.contains("read after append: ok \"hello, world\""),
        "{out}"
    );
    assert!(out.contains("seek write: ok \"2abc6789\""), "{out}");
    assert!(
        out.contains("create_new on existing: err AlreadyExists"),
        "{out}"
    );
    assert_eq!(std::fs::read(fx.path("a.txt")).unwrap(), b"");
    assert_eq!(std::fs::read(fx.path("b.txt")).unwrap(), b"xy");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(std::fs::read(fx.path("big")).unwrap(), big);
    let m = std::fs::metadata(fx.path("big")).unwrap();
    assert_eq!((m.mtime(), m.mtime_nsec()), (1_000_000_000, 500));
    // (Not atime: the reads after `set_times` moved it again, relatime.)
    assert!(!fx.path("big2").exists());
}

#[test]
fn std_removed_dir() {
    let side = differential("std_removed_dir");
    let out = &side.run.stdout;
    assert!(
        out.contains("read_dir of a removed empty directory: ok []"),
        "{out}"
    );
    assert!(
        out.contains("read_dir of a directory with an entry added: ok []"),
        "{out}"
    );
    assert!(
        out.contains("read_dir of it unchanged: ok [\"h\", \"i\"]"),
        "{out}"
    );
}

#[test]
fn std_dirs() {
    let side = differential("std_dirs");
    let out = &side.run.stdout;
    assert!(out.contains("read_dir count: ok 601"), "{out}");
    assert!(out.contains("create_dir again: err AlreadyExists"), "{out}");
    assert!(
        out.contains("remove_dir a file: err NotADirectory"),
        "{out}"
    );
    assert!(out.contains("ro write: err PermissionDenied"), "{out}");
    // Everything it made, it removed again.
    assert_eq!(common::host_names(&side.fx.sandbox), ["out", "up"]);
}

#[test]
fn std_links() {
    let side = differential("std_links");
    let (fx, out) = (&side.fx, &side.run.stdout);
    for escape in [
        "escape dot dot",
        "escape absolute symlink",
        "escape relative symlink",
        "escape write",
        "escape rename",
        "escape link",
    ] {
        assert!(
            out.contains(&format!("{escape}: err PermissionDenied")),
            "{escape}:\n{out}"
        );
    }
    // Hard links share an inode on the host.
    let (a, b) = (
        std::fs::metadata(fx.path("hard")).unwrap(),
        std::fs::metadata(fx.path("dir/sub/file")).unwrap(),
    );
    assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));
    assert_eq!(std::fs::read(fx.path("hard")).unwrap(), b"shared!");
    assert_eq!(
        std::fs::read_link(fx.path("rel")).unwrap(),
        Path::new("dir/sub/file")
    );
    // Writing through a dangling symlink made its target, inside.
    assert_eq!(std::fs::read(fx.path("nowhere")).unwrap(), b"made");
    assert!(!fx.path("subl").exists() && fx.path("dir/sub").is_dir());
    assert_eq!(std::fs::read(fx.path("dir/sub/file2")).unwrap(), b"old");
}

#[test]
fn std_trailing_slash() {
    let side = differential("std_trailing_slash");
    let (fx, out) = (&side.fx, &side.run.stdout);
    // The name being made keeps its trailing `/`: no file is made where
    // Linux makes none.
    for missing in [
        "hard_link(file, new/): err NotFound",
        "soft_link(src, new/): err NotFound",
    ] {
        assert!(out.contains(missing), "{missing}:\n{out}");
    }
    // On the host: the hard_link and soft_link cases (c002, c003) made no
    // `new`, create_dir (c004) made one.
    assert!(!fx.path("c002_new").exists() && !fx.path("c002_new").is_symlink());
    assert!(!fx.path("c003_new").is_symlink());
    assert!(fx.path("c004_new").is_dir());
    // hard_link(file, file/) (c015) left the file alone, with one link.
    let m = std::fs::metadata(fx.path("c015_file")).unwrap();
    assert_eq!((m.nlink(), m.len()), (1, 1));
    assert!(
        out.contains("hard_link(file, file/): err NotADirectory"),
        "{out}"
    );
    assert!(out.contains("create_new(dir/): err IsADirectory"), "{out}");
    // `file/.`: `not-directory` for every call, as Linux (it once walked
    // to the file, skipping the `.`); `dirlink/.` is the directory.
    common::assert_lines(
        out,
        &[
            "metadata(file/.): err NotADirectory (errno 54)",
            "open read(file/.): err NotADirectory (errno 54)",
            "metadata(filelink/.): err NotADirectory (errno 54)",
            "metadata(dirlink/.): ok true",
            "metadata(dangling/.): err NotFound (errno 44)",
            "create_dir(file/.): err NotADirectory (errno 54)",
            "rename(file/., new2): err NotADirectory (errno 54)",
            "hard_link(file/., new2): err NotADirectory (errno 54)",
            "remove_file(file/.): err NotADirectory (errno 54)",
        ],
    );
}

#[test]
fn std_symlink_absolute() {
    let side = differential("std_symlink_absolute");
    let (fx, out) = (&side.fx, &side.run.stdout);
    for refused in [
        "absolute",
        "absolute root",
        "absolute inside",
        "absolute in a subdir",
    ] {
        assert!(
            out.contains(&format!("{refused}: err PermissionDenied")),
            "{refused}:\n{out}"
        );
    }
    // Nothing was made for the refused ones; the relative ones are there.
    for name in ["abs", "abs_root", "abs_in", "dir/abs_sub"] {
        assert!(!fx.path(name).is_symlink(), "{name} was made");
    }
    assert_eq!(
        std::fs::read_link(fx.path("rel")).unwrap(),
        Path::new("dir")
    );
    assert!(fx.path("dir").is_dir(), "the existing dir is untouched");
}

#[test]
fn std_create_via_symlink() {
    let side = differential("std_create_via_symlink");
    let (fx, out) = (&side.fx, &side.run.stdout);
    assert!(out.contains("create via up: ok ()"), "{out}");
    // Each target was made where its symlink's directory puts it.
    for (path, data) in [
        ("target_new", &b"UP"[..]),
        ("sub/deeper/t2", b"down"),
        ("sub/t3", b"same"),
        ("c", b"chain"),
        ("mid", b"mid"),
    ] {
        assert_eq!(std::fs::read(fx.path(path)).unwrap(), data, "{path}");
    }
    // The escapes made nothing, inside or out (the fixture checks outside).
    assert!(
        out.contains("create via escape: err PermissionDenied"),
        "{out}"
    );
    assert!(!fx.path("abs_new").exists() && !fx.path("sub/fresh").exists());
    // A target ending in `/`: `is-directory` (as Linux's `O_CREAT`), the
    // file and directory there untouched.
    for link in ["file slash", "dir slash"] {
        assert!(
            out.contains(&format!("create via {link}: err IsADirectory")),
            "{out}"
        );
    }
    assert!(out.contains("create via deep slash: err NotFound"), "{out}");
    // The same at the end of a chain, a link to itself with `/` too (Linux:
    // `EISDIR`, not `ELOOP`).
    common::assert_lines(
        out,
        &[
            "create via self slash: err IsADirectory (errno 31)",
            "create via chain dir slash: err IsADirectory (errno 31)",
            "create via chain missing slash: err NotFound (errno 44)",
            "create via chain to file: ok ()",
        ],
    );
    assert_eq!(std::fs::read(fx.path("sub/plain")).unwrap(), b"Plain");
    assert_eq!(common::host_names(&fx.path("sub/deeper")), ["t2"]);
}

/// `create` on names the host made before the guest ran (unknown to the
/// dentry cache, which creates such a name first and walks it only if it
/// exists): every kind opens, follows, fails or creates exactly as
/// wasmtime-wasi does.
#[test]
fn std_create_existing() {
    let side = differential_in("std_create_existing", |fx| {
        use std::os::unix::fs::symlink;
        std::fs::write(fx.path("f"), "old").unwrap();
        std::fs::create_dir(fx.path("d")).unwrap();
        std::fs::write(fx.path("d/inner"), "inner").unwrap();
        symlink("f", fx.path("lf")).unwrap();
        symlink("d", fx.path("ld")).unwrap();
        symlink("made", fx.path("dangling")).unwrap();
        symlink("../outside/new", fx.path("esc_new")).unwrap();
        symlink("lloop", fx.path("lloop")).unwrap();
    });
    let (fx, out) = (&side.fx, &side.run.stdout);
    common::assert_lines(
        out,
        &[
            "read file: ok \"NEW\"",
            "file, create_new: err AlreadyExists (errno 20)",
            "dir: err IsADirectory (errno 31)",
            "read in dir: ok \"replaced\"",
            "read made: ok \"made\"",
            "escape, absolute: err PermissionDenied (errno 63)",
            "escape, dangling: err PermissionDenied (errno 63)",
            "loop: err FilesystemLoop (errno 32)",
            "read new: ok \"Brand\"",
        ],
    );
    assert_eq!(std::fs::read(fx.path("f")).unwrap(), b"via");
    assert_eq!(std::fs::read(fx.path("d/fresh")).unwrap(), b"fresh");
    assert!(!fx.outside.join("new").exists());
}

/// Stats of many names asked again after every kind of change between
/// them (directfs answers a repeated stat from memory while nothing
/// changes): each shows the change, as under wasmtime-wasi.
#[test]
fn std_stat_memo() {
    let side = differential("std_stat_memo");
    let out = &side.run.stdout;
    for step in [
        "second t/a/x: ok \"len=1 ",
        "after append t/a/x: ok \"len=3 ",
        "after set_len t/a/y: ok \"len=7 ",
        "after set times t/b/z: ok \"len=3 dir=false mtime=Some(1000000000)\"",
        "after new w t/b/w: ok \"len=4 ",
        "after rename t/a/x: err NotFound",
        "after rename t/b/w: ok \"len=3 ",
        "after swap t/a/x: err NotFound",
        "after swap t/a/z: ok",
        "after swap t/b/y: ok",
        "after remove t/a/z: err NotFound",
        "last t/b/x: ok \"len=5 ",
    ] {
        assert!(out.contains(step), "{step}:\n{out}");
    }
}

/// `metadata-hash-at` after a `stat-at` of the same path (which directfs
/// answers from what the stat found, while the tree is unchanged), and
/// after renames that replace the name or move it away: the identity is
/// always what the name is now.
#[test]
fn wasi_identity_after_rename() {
    let side = differential("wasi_identity_after_rename");
    let (fx, out) = (&side.fx, &side.run.stdout);
    for step in [
        "identity after stat: ok",
        "identity after replacing rename: ok",
        "identity after rename away: ok",
    ] {
        assert!(out.contains(step), "{out}");
    }
    assert!(fx.path("c").exists() && !fx.path("a").exists() && !fx.path("b").exists());
}

/// A zero-byte `read` is checked as the kernel checks `pread` of zero
/// bytes (it was answered without a syscall, so a write-only file gave
/// `ok` where wasmtime-wasi and Linux give `bad-descriptor`).
#[test]
fn wasi_zero_length_io() {
    let side = differential("wasi_zero_length_io");
    let (fx, out) = (&side.fx, &side.run.stdout);
    for step in [
        "read 0 of a write-only file: err bad-descriptor",
        "read 1 of a write-only file: err bad-descriptor",
        "read 0 of a read-only file: ok ([], true)",
        "read 2 of a read-only file: ok ([98, 99], false)",
        "write 0 to a read-only file: err bad-descriptor",
        "read 0 of a directory: err bad-descriptor",
        "read 0 at 2^63: err invalid",
        "stream read 0 at 2^63: failed true",
        "stream read after it: closed true",
        "size after: ok 3",
    ] {
        assert!(out.contains(step), "{step}:\n{out}");
    }
    assert_eq!(std::fs::read(fx.path("f")).unwrap(), b"abc");
}

/// Every call on a directory descriptor whose directory was removed (then
/// again with a new directory of its name): its own calls, and each
/// path-taking call with `.`, `..`, names, `name/` and `../name`, both
/// paths of links and renames — each answered as Linux and wasmtime-wasi
/// answer it, nothing made in or moved out of the preopen.
#[test]
fn wasi_removed_dir_calls() {
    let side = differential_in("wasi_removed_dir_calls", |fx| {
        std::fs::create_dir(fx.path("gone")).unwrap();
        std::fs::create_dir(fx.path("gone-twice")).unwrap();
        std::fs::write(fx.path("f"), b"f").unwrap();
    });
    let out = &side.run.stdout;
    common::assert_lines(
        out,
        &[
            "gone: rmdir ok ()",
            "stat: ok (DescriptorType::Directory, 0)",
            "read-directory: ok []",
            "stat \".\": ok DescriptorType::Directory",
            "mkdir \".\": err exist",
            "rmdir \".\": err invalid",
            "unlink \".\": err is-directory",
            // A directory, removed or not, is never hard-linked.
            "link-from \".\": err not-permitted",
            "rename-from \".\": err busy",
            "stat \"..\": err not-permitted",
            "create \"x\": err no-entry",
            "mkdir \"x\": err no-entry",
            "symlink \"x\": err no-entry",
            "link-into \"x\": err no-entry",
            // No name is looked up in a removed directory: `no-entry` before
            // the file `f` is found not to be a directory.
            "rename-into \"x/\": err no-entry",
            "gone-twice: mkdir again ok ()",
        ],
    );
    // `out` and `up`: the fixture's escapes.
    assert_eq!(
        common::host_names(&side.fx.sandbox),
        ["f", "gone-twice", "out", "up"]
    );
    assert_eq!(std::fs::read(side.fx.path("f")).unwrap(), b"f");
    assert!(common::host_names(&side.fx.path("gone-twice")).is_empty());
}

/// Every path-taking call over a matrix of paths (dots, slashes, symlinks
/// of every kind, escapes, long names), each call on its own copy of the
/// fixture: the same outcome as wasmtime-wasi's for every pair, and the
/// same trees left behind.
#[test]
fn wasi_path_matrix() {
    let side = differential_in("wasi_path_matrix", |fx| {
        for i in 0..28 {
            let m = fx.path(&format!("m{i:02}"));
            std::fs::create_dir_all(m.join("d/s")).unwrap();
            std::fs::create_dir(m.join("e")).unwrap();
            std::fs::write(m.join("f"), b"f-data").unwrap();
            std::fs::write(m.join("g"), b"g").unwrap();
            std::fs::write(m.join("d/g"), b"dg").unwrap();
            for (target, link) in [
                ("..", "up"),
                (".", "dot"),
                ("/etc/passwd", "abs"),
                ("nope", "dangling"),
                ("loop", "loop"),
                ("d", "dl"),
                ("f", "fl"),
                ("fl", "chain"),
            ] {
                std::os::unix::fs::symlink(target, m.join(link)).unwrap();
            }
        }
        // For the two-fault lines: a walk through it is `name-too-long`.
        std::os::unix::fs::symlink("x".repeat(256), fx.path("m00/long")).unwrap();
    });
    let out = &side.run.stdout;
    common::assert_lines(
        out,
        &[
            "stat-follow \"f/.\": err not-directory",
            "open \"f/.\": err not-directory",
            "open \"d/.\": ok (DescriptorType::Directory, DescriptorFlags(READ))",
            "open-follow \"dl/.\": ok (DescriptorType::Directory, DescriptorFlags(READ))",
            "stat-follow \"d/s/../../..\": err not-permitted",
            "open \"fl\": err loop",
            "mkdir \"f/.\": err not-directory",
            "set-times-nothing \"nope\": ok ()",
            "set-times-nothing \"nope/x\": err no-entry",
            // The target is checked first, as Linux does.
            "symlink-empty \".\": err no-entry",
            "symlink-empty \"d/..\": err no-entry",
            "symlink-empty \"d/\": err no-entry",
            "symlink-empty \"f\": err no-entry",
            // The preopen as a link's source: `exist` before it is refused.
            "link-root \".\" to \"m00\": err exist",
            "link-root \".\" to \"new\": err not-permitted",
            // Two faults: the walks to both last names first, then a dot.
            "two-faults link \"missing\" to \"..\": err not-permitted",
            "two-faults rename \".\" to \"xxxxxxxxxxxx\": err busy",
            // `renameat` walks to both last names before it looks either up;
            // `linkat` walks its old path whole first.
            "two-faults rename \"missing/\" to \"m00/long/x\": err name-too-long",
            "two-faults link \"missing/\" to \"m00/long/x\": err no-entry",
            "two-faults rename \"m00/f/\" to \"m00/long/x\": err name-too-long",
            "two-faults link \"m00/f/\" to \"m00/long/x\": err not-directory",
            "two-faults rename \"m00/f/\" to \"xxxxxxxxxxxx\": err name-too-long",
        ],
    );
    // Names of 255 and 256 bytes (printed as their first 12): not looked
    // up, nothing to set, as Linux (one too long included).
    let long = "set-times-nothing \"xxxxxxxxxxxx\": ok ()";
    assert_eq!(out.lines().filter(|l| *l == long).count(), 2, "{out}");
}

/// A file stream that failed or reached its end answers `closed` to every
/// later call (a failed write used to fail again).
#[test]
fn wasi_stream_closed() {
    let side = differential("wasi_stream_closed");
    let (fx, out) = (&side.fx, &side.run.stdout);
    for step in [
        "write: failed",
        "write again: closed",
        "check-write: closed",
        "read at the end: closed",
        "read after the file grew: closed",
        "read from a new stream: ok [100, 101, 102, 103, 104]",
        "and again: ok ()",
    ] {
        assert!(out.contains(step), "{step}:\n{out}");
    }
    assert_eq!(std::fs::read(fx.path("f")).unwrap(), b"abcdefgh");
}

/// Stats stay fresh after every kind of change (directfs answers repeated
/// stats of an unchanged file from memory in exclusive mounts): the
/// guest's output is compared with wasmtime-wasi's line by line, and the
/// host has what the last steps left.
#[test]
fn std_stat_fresh() {
    let side = differential("std_stat_fresh");
    let (fx, out) = (&side.fx, &side.run.stdout);
    for step in [
        "stat after append: ok \"len=7 ",
        "listing after append: ok \"f=7\"",
        "stat after set_len: ok \"len=2 ",
        "stat after set times: ok \"len=2 dir=false mtime=Some(1000000000)\"",
        "stat of the link: ok \"len=2 dir=false mtime=Some(1000000000)\"",
        "listing after append more: ok \"f=8\"",
        "stat by another path after append: ok \"len=8 ",
        "stat after rename over: ok \"len=10 ",
        "stat of the old link: ok \"len=2 ",
        "stat after remove: err NotFound",
        "stat g after write: ok \"len=3 ",
        "listing after write: ok \"g=3\"",
        "stat p/x again: ok \"len=1 ",
        "stat p/x after the swap: ok \"len=4 ",
        "stat p/x with p gone: err NotFound",
    ] {
        assert!(out.contains(step), "{step}:\n{out}");
    }
    assert_eq!(std::fs::read(fx.path("dir/g")).unwrap(), b"xyz");
    assert_eq!(std::fs::read(fx.path("link")).unwrap(), b"ab");
    assert_eq!(std::fs::metadata(fx.path("link")).unwrap().nlink(), 1);
    assert!(!fx.path("dir/f").exists());
}

#[test]
fn p3_files() {
    let side = differential_p3("p3_files");
    let (fx, out) = (&side.fx, &side.run.stdout);
    assert!(out.contains("read a.txt: ok \"hello, world\""), "{out}");
    assert!(
        out.contains("read a.txt again: ok \"heLLo, world\""),
        "{out}"
    );
    assert!(out.contains("read big: ok (3145728, "), "{out}");
    assert!(out.contains(", true)"), "{out}");
    assert!(
        out.contains("create exclusive existing: err ErrorCode::Exist"),
        "{out}"
    );
    assert!(
        out.contains("ro open for write: err ErrorCode::NotPermitted"),
        "{out}"
    );
    // The effects, on the host.
    assert_eq!(std::fs::read(fx.path("a.txt")).unwrap(), b"");
    assert!(!fx.path("big").exists());
    // (Not the mtime `set-times` set: the truncate after it moved it.)
    assert!(
        out.contains("mtime: ok Some(Instant { seconds: 1000000000, nanoseconds: 500 })"),
        "{out}"
    );
}

#[test]
fn p3_dirs() {
    let side = differential_p3("p3_dirs");
    let out = &side.run.stdout;
    assert!(out.contains("read-directory d: 1501 entries"), "{out}");
    assert!(out.contains("names as made: true"), "{out}");
    assert!(
        out.contains("rmdir d (not empty): err ErrorCode::NotEmpty"),
        "{out}"
    );
    assert!(out.contains("list a removed d: ok []"), "{out}");
    assert!(
        out.contains("ro mkdir: err ErrorCode::NotPermitted"),
        "{out}"
    );
    // Everything it made, it removed again.
    assert_eq!(common::host_names(&side.fx.sandbox), ["out", "up"]);
}

/// 0.3 times before the epoch, as the WIT's `instant` counts them
/// (`{ -1 s, 999999999 ns }` is one nanosecond before the epoch): set on
/// the host file, and the same instants back from `stat`. Not compared with
/// wasmtime-wasi, which counts the nanoseconds of a negative instant
/// backwards (`docs/wasi.md`).
#[test]
fn p3_times_before_epoch() {
    for options in ["", ",shared", ",pool"] {
        let side = run_side("p3_times_before_epoch", "directfs", options, |_| {});
        side.run.assert_success();
        let out = &side.run.stdout;
        common::assert_lines(
            out,
            &[
                "stat-at f: ok (Some((-2, 500000000)), Some((-1, 999999999)))",
                "stat: ok (Some((-2, 500000000)), Some((-3, 1)))",
            ],
        );
        let m = std::fs::metadata(side.fx.path("f")).unwrap();
        // -1.5 s, and -2.999999999 s.
        assert_eq!((m.atime(), m.atime_nsec()), (-2, 500_000_000));
        assert_eq!((m.mtime(), m.mtime_nsec()), (-3, 1));
    }
}

#[test]
fn p3_links() {
    let side = differential_p3("p3_links");
    let (fx, out) = (&side.fx, &side.run.stdout);
    assert!(
        out.contains("hash a == b: true, == s followed: true, == s itself: false"),
        "{out}"
    );
    assert!(out.contains("is-same-object a b: true"), "{out}");
    assert!(out.contains("renamed still open: ok [97, 97, 97]"), "{out}");
    assert_eq!(std::fs::read_link(fx.path("s2")).unwrap(), Path::new("a"));
    assert_eq!(std::fs::read(fx.path("d1/d2/moved")).unwrap(), b"aaa");
    assert_eq!(std::fs::read(fx.path("b")).unwrap(), b"aaa");
    let m = std::fs::metadata(fx.path("b")).unwrap();
    assert_eq!(m.nlink(), 2);
    assert_eq!(
        m.ino(),
        std::fs::metadata(fx.path("d1/d2/moved")).unwrap().ino()
    );
    assert_eq!(
        common::host_names(&fx.sandbox),
        ["b", "d1", "out", "s2", "up"]
    );
}

/// A read-only preopen stays read-only through every call that could get
/// around it: links and renames out of it and into it, opens that would
/// truncate, create or write, write and append streams of a file opened
/// for reading, each directory change; and descriptors opened without
/// `read` or `write` (wasmtime's `p2_file_*_across_perms`,
/// `p2_file_truncation_readonly`, `p2_file_stream_not_permitted`).
#[test]
fn wasi_across_perms() {
    let side = differential("wasi_across_perms");
    let out = &side.run.stdout;
    for step in [
        "link ro/f -> rw/alias: err not-permitted",
        "rename ro/f -> rw/f: err not-permitted",
        "rename rw/w -> ro/w: err not-permitted",
        "open ro/f truncate: err not-permitted",
        "open ro/new create: err not-permitted",
        "ro/f write-via-stream: err not-permitted",
        "ro/f append-via-stream: err not-permitted",
        "ro/f set-size: err not-permitted",
        "write-only read: err bad-descriptor",
        "ro/f: \"ro\\n\"",
    ] {
        assert!(out.lines().any(|line| line == step), "{step}:\n{out}");
    }
    // Grown to 3 bytes by the descriptor opened only for writing.
    assert_eq!(std::fs::read(side.fx.path("w")).unwrap(), b"w\0\0");
    assert!(!side.fx.path("alias").exists());
}

/// [`wasi_across_perms`] through WASI 0.3 (wasmtime's
/// `p3_file_*_across_perms`, `p3_file_truncation_readonly`).
#[test]
fn p3_across_perms() {
    let side = differential_p3("p3_across_perms");
    let out = &side.run.stdout;
    for step in [
        "link ro/f -> sandbox/alias: err ErrorCode::NotPermitted",
        "rename sandbox/w -> ro/w: err ErrorCode::NotPermitted",
        "open ro/f truncate: err ErrorCode::NotPermitted",
        "ro/f append: err ErrorCode::NotPermitted",
        "ro/f: ok Ok(\"ro\\n\")",
    ] {
        assert!(out.lines().any(|line| line == step), "{step}:\n{out}");
    }
    assert_eq!(std::fs::read(side.fx.path("w")).unwrap(), b"w");
}

/// A WASI 0.3 write stream fed chunks doubling from 16 bytes takes a short
/// write long before one chunk would be 128 MiB (directfs writes what it
/// was given, then asks for more; the guest asserts it), in every mode, and
/// the host file holds every byte acknowledged; then a thousand names made,
/// listed and removed (wasmtime's `p3_file_write_chunked` and
/// `p3_readdir`; wasmtime-wasi 48 takes every chunk whole and fails the
/// first).
#[test]
fn p3_write_chunked() {
    for options in ["", ",exclusive", ",shared", ",pool"] {
        let side = run_side("p3_write_chunked", "directfs", options, |_| {});
        side.run.assert_success();
        let out = &side.run.stdout;
        for step in [
            "a short write came before 128 MiB: true",
            "read back as written: true",
            "listed a thousand names: true",
            "listed after removing them: ok 0",
        ] {
            assert!(
                out.lines().any(|line| line == step),
                "{options}: {step}:\n{out}"
            );
        }
        let written: usize = out
            .lines()
            .find_map(|line| line.strip_prefix("written: "))
            .expect("the count written")
            .parse()
            .unwrap();
        let file = std::fs::read(side.fx.path("chunked")).unwrap();
        assert_eq!(file.len(), written, "{options}");
        assert!(file.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        assert_eq!(
            common::host_names(&side.fx.path("lots")),
            Vec::<String>::new()
        );
    }
}

#[test]
fn p3_escape() {
    let side = differential_p3("p3_escape");
    let out = &side.run.stdout;
    // Every way out is refused (and `compare` checked the outside).
    for path in ["..", "/etc/passwd", "out", "up", "up/x", "d/../up"] {
        assert!(
            out.contains(&format!(
                "open-at {path:?} following: err ErrorCode::NotPermitted"
            )),
            "{path}: {out}"
        );
    }
    assert!(
        out.contains("create through \"rel-out/secret\": err"),
        "{out}"
    );
    assert!(!out.contains("through \"deep-out\": ok"), "{out}");
}

#[test]
fn p3_concurrent() {
    let side = differential_p3("p3_concurrent");
    let (fx, out) = (&side.fx, &side.run.stdout);
    assert!(out.contains("writes: 64 ok"), "{out}");
    for i in [0, 17, 63] {
        let size = format!("file {i}\n").len() * (i + 1);
        assert!(out.contains(&format!("stat c{i:02}: Ok({size})")), "{out}");
        assert!(out.contains(&format!("read c{i:02}: Ok(true)")), "{out}");
    }
    assert!(
        out.contains("read 400000 bytes: 200000 a, 200000 b"),
        "{out}"
    );
    assert!(out.contains("removes: 64 ok"), "{out}");
    let shared = std::fs::read(fx.path("shared")).unwrap();
    assert_eq!(shared.len(), 400_000);
    assert!(shared[..200_000].iter().all(|&b| b == b'a'));
    assert!(shared[200_000..].iter().all(|&b| b == b'b'));
}

/// A WASI 0.3 guest reads and writes one FIFO at once (directfs only:
/// wasmtime-wasi's `open-at` of a FIFO blocks its thread until a writer
/// opens it, which here never comes).
#[test]
fn p3_fifo() {
    let fx = common::Fixture::new();
    nix::unistd::mkfifo(
        &fx.path("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let run = dfs_run([
        "-W".into(),
        "timeout=60s".into(),
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()).into(),
        guest("p3_fifo").into_os_string(),
    ]);
    run.assert_success();
    let out = &run.stdout;
    assert!(out.contains("type: ok DescriptorType::Fifo"), "{out}");
    assert!(
        out.contains("read 1048576 bytes, in order: true, result Ok(())"),
        "{out}"
    );
    assert!(out.contains("wrote: Ok(())"), "{out}");
    fx.assert_outside_untouched();
}

/// Runs `name` (1,000 directory streams mid-listing on 2,000 entries with
/// 200-byte names) with `--stats`: dfs-run's peak memory stays that of a
/// small run, because a stream reads at most 128 entries ahead (a stream
/// that read a page of `max_dir_entries` took 500 MB here, as
/// wasmtime-wasi's streams take 490 MB).
fn dir_streams_stay_small(name: &str) {
    let fx = common::Fixture::new();
    let run = dfs_run([
        "--stats".into(),
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()).into(),
        guest(name).into_os_string(),
    ]);
    run.assert_success();
    assert_eq!(
        run.stdout,
        "1000 streams mid-listing; listed 2000 entries\n"
    );
    let peak = run.stat("peak_rss_kib");
    assert!(peak < 150_000, "{name}: peak_rss_kib {peak}");
    assert_eq!(common::host_names(&fx.path("wide")).len(), 2000);
    fx.assert_outside_untouched();
}

/// [`dir_streams_stay_small`] through WASI 0.2 (`std::fs::read_dir`).
#[test]
fn std_dir_streams() {
    dir_streams_stay_small("std_dir_streams");
}

/// [`dir_streams_stay_small`] through WASI 0.3 (`read-directory`).
#[test]
fn p3_dir_streams() {
    dir_streams_stay_small("p3_dir_streams");
}

/// WASI 0.3 descriptors and `read-directory` streams count towards
/// `--max-open` (a stream holds a host FD of its own): past it both fail
/// with `insufficient-memory`, dropping them makes room again, and the
/// host FDs stay bounded.
#[test]
fn p3_limits() {
    let fx = common::Fixture::new();
    let run = dfs_run([
        "--stats".into(),
        "--max-open".into(),
        "8".into(),
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()).into(),
        guest("p3_limits").into_os_string(),
    ]);
    run.assert_success();
    let out = &run.stdout;
    assert!(out.contains("streams listed: 7, refused: 13"), "{out}");
    assert!(
        out.contains("open 7: err ErrorCode::InsufficientMemory"),
        "{out}"
    );
    assert!(
        out.contains("read-directory at the limit: err ErrorCode::InsufficientMemory"),
        "{out}"
    );
    assert!(out.contains("entries: 7"), "{out}");
    assert_eq!(run.stat("open_resources"), 0);
    assert!(run.stat("peak_host_fds") <= 16, "{run:?}");
    assert_eq!(common::host_names(&fx.sandbox).len(), 7);
}

/// A hostile `wasi:filesystem` 0.2 guest (`wasi_hostile`): 20,000 random
/// calls per run of every descriptor function and of the streams and
/// directory-entry streams they hand out (dotted, slashed, escaping, NUL and
/// long paths; any flags, sizes, offsets, times and advice; renames and
/// links between any two held descriptors; held things dropped at random).
#[test]
fn wasi_hostile() {
    hostile("wasi_hostile");
}

/// A hostile `wasi:filesystem` 0.3 guest (`p3_hostile`): as `wasi_hostile`,
/// with 0.3's streams and futures read part-way, kept unread, given part of
/// their data and dropped, their results awaited late or never.
#[test]
fn p3_hostile() {
    hostile("p3_hostile");
}

/// The hostile `wasi:filesystem` 0.2 guest's calls, traced (`TRACE`):
/// each call's answer equal to wasmtime-wasi's, call by call, and the host
/// trees left equal, for three seeds of 20,000 calls (the guest leaves out
/// the calls with an intended difference, `docs/wasi.md`; its stream reads
/// and writes are blocking ones, which both answer alike).
#[test]
fn wasi_hostile_errno_for_errno() {
    // 262: a `splice` from a file stream whose read fails (blocking when
    // traced, as reads are); 491: `rename-at` of `name/` whose new path's
    // walk fails; 1145: a stream's zero-byte blocking read past 2^63.
    traced_as_wasmtime("wasi_hostile", &["11", "16", "40", "262", "491", "1145"]);
}

/// The hostile `wasi:filesystem` 0.3 guest's calls, traced (`TRACE`): as
/// [`wasi_hostile_errno_for_errno`], each stream read or written and its
/// result awaited at once (wasmtime-wasi's 0.3 streams run in tasks of
/// their own, so when one fails is timing), three seeds of 20,000 calls.
#[test]
fn p3_hostile_errno_for_errno() {
    traced_as_wasmtime("p3_hostile", &["5", "17", "60"]);
}

/// Runs hostile guest `name` traced, once per seed of `seeds`, under
/// directfs and wasmtime-wasi on identical fixtures: every trace line and
/// the host trees left equal.
fn traced_as_wasmtime(name: &str, seeds: &[&str]) {
    for &seed in seeds {
        let runs = ["directfs", "wasmtime"].map(|wasi_fs| {
            let fx = Fixture::new();
            fx.hostile_tree();
            fx.escapes();
            let ro = tempfile::tempdir().unwrap();
            std::fs::write(ro.path().join("f"), b"ro\n").unwrap();
            let run = dfs_run([
                "--wasi-fs".as_ref(),
                wasi_fs.as_ref(),
                "--env".as_ref(),
                "TRACE=1".as_ref(),
                "--dir".as_ref(),
                format!("{}::/sandbox", fx.sandbox.display()).as_ref(),
                "--dir".as_ref(),
                format!("{}::/ro,readonly", ro.path().display()).as_ref(),
                guest(name).as_os_str(),
                seed.as_ref(),
                "20000".as_ref(),
            ]);
            run.assert_success();
            fx.assert_outside_untouched();
            assert_eq!(common::host_names(ro.path()), ["f"]);
            (host_tree(&fx.sandbox), run.stdout)
        });
        let [(our_tree, ours), (their_tree, theirs)] = runs;
        assert_eq!(ours.lines().count(), 20001, "{name} seed {seed}");
        for (a, b) in ours.lines().zip(theirs.lines()) {
            assert_eq!(a, b, "{name} seed {seed}: directfs, then wasmtime-wasi");
        }
        assert_eq!(ours, theirs, "{name} seed {seed}");
        assert_eq!(our_tree, their_tree, "{name} seed {seed}: the host trees");
    }
}

/// Runs hostile guest `name` in each revalidation mode, on an async host
/// with a pool mount, with a cache of 8 dentries, and under wasmtime-wasi.
/// Every call returns: the guest runs to its end; nothing outside the
/// sandbox or in the read-only preopen changes; the host FDs stay within
/// `--max-open`.
fn hostile(name: &str) {
    for (seed, wasi_fs, options, cached) in [
        ("1", "directfs", "", None),
        ("2", "directfs", ",shared", None),
        ("3", "directfs", ",exclusive", None),
        ("4", "directfs", ",pool", None),
        ("5", "directfs", "", Some("8")),
        ("1", "wasmtime", "", None),
    ] {
        let fx = Fixture::new();
        fx.hostile_tree();
        fx.escapes();
        let ro = tempfile::tempdir().unwrap();
        std::fs::write(ro.path().join("f"), b"ro\n").unwrap();
        let mut args: Vec<std::ffi::OsString> = vec![
            "--wasi-fs".into(),
            wasi_fs.into(),
            "--stats".into(),
            "--max-open".into(),
            "64".into(),
            // A hang detector, with room for a loaded machine.
            "-W".into(),
            "timeout=300s".into(),
        ];
        if let Some(cached) = cached {
            args.extend(["--max-cached-dentries".into(), cached.into()]);
        }
        args.extend([
            "--dir".into(),
            format!("{}::/sandbox{options}", fx.sandbox.display()).into(),
            "--dir".into(),
            format!("{}::/ro,readonly", ro.path().display()).into(),
            guest(name).into_os_string(),
            seed.into(),
            "20000".into(),
        ]);
        let run = dfs_run(args);
        let what = format!("{name}, seed {seed}, {wasi_fs}{options}");
        assert_eq!(run.code, Some(0), "{what}: {run:?}");
        assert!(
            run.stdout.starts_with("calls 20000, succeeded "),
            "{what}: {run:?}"
        );
        if wasi_fs == "directfs" {
            assert!(
                run.stat("peak_host_fds") <= 66,
                "{what}: peak_host_fds {}",
                run.stat("peak_host_fds")
            );
        }
        fx.assert_outside_untouched();
        assert_eq!(common::host_names(ro.path()), ["f"]);
        assert_eq!(std::fs::read(ro.path().join("f")).unwrap(), b"ro\n");
    }
}
