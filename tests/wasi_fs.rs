//! `wasi:filesystem` 0.2 served by directfs, differentially (WASI 0.3's
//! tests are `tests/wasi_p3.rs`): each `std_*` and `wasi_*` guest
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
use std::path::Path;

use common::wasi::{
    differential, differential_in, dir_streams_stay_small, hostile, traced_as_wasmtime,
};

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

/// [`dir_streams_stay_small`] through WASI 0.2 (`std::fs::read_dir`).
#[test]
fn std_dir_streams() {
    dir_streams_stay_small("std_dir_streams");
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
