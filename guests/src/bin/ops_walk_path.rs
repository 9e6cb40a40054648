//! walk-path: multi-component walks with symlinks resolved inside the
//! preopen (relative, absolute = from the preopen root, chains, loops),
//! `..` clamped at the root, trailing-slash rules.
//! The host made: a/b/c/file ("deep"), a/rel -> b/c/file, a/abs -> /a/b,
//! a/b/up -> ../../../../../, out -> <outside dir, absolute host path>,
//! dangling -> nowhere, loop1 <-> loop2, chain0 -> chain1 -> … -> chain40 ->
//! a/b/c/file (41 links).

use guest::{ErrorCode, FileType, expect_err, read_to_end, root};

fn ino(d: &guest::Dentry) -> u64 {
    d.stat().unwrap().ino
}

fn main() {
    let root = root();
    let file = root.walk_path("a/b/c/file", false).expect("plain walk");
    let file_ino = ino(&file);
    assert_eq!(
        read_to_end(&file.open(guest::OpenFlags::READ).unwrap(), 0),
        b"deep"
    );

    for (path, follow) in [
        ("a/rel", true),
        ("a/abs/c/file", false),
        ("/a/b/c/file", false),
        ("a/./b//c/../c/file", false),
        ("a/b/up/a/b/c/file", false),
        ("../../../a/b/c/file", false),
        ("/../a/b/c/../../b/c/file", false),
    ] {
        let d = root
            .walk_path(path, follow)
            .unwrap_or_else(|e| panic!("{path}: {e:?}"));
        assert_eq!(ino(&d), file_ino, "{path}");
    }
    // From a subdirectory: relative paths start there, absolute at the root.
    let b = root.walk_path("a/b", false).unwrap();
    assert_eq!(ino(&b.walk_path("c/file", false).unwrap()), file_ino);
    assert_eq!(ino(&b.walk_path("/a/b/c/file", false).unwrap()), file_ino);
    assert_eq!(
        ino(&b.walk_path("../../..", false).unwrap()),
        ino(&root),
        ".. stops at the root"
    );

    // follow-final: the symlink itself, or its target.
    let link = root.walk_path("a/rel", false).unwrap();
    assert_eq!(link.stat().unwrap().file_type, FileType::SymbolicLink);
    assert_eq!(link.readlink().unwrap(), "b/c/file");
    // 40 follows are fine, the 41st is a loop.
    assert_eq!(ino(&root.walk_path("chain1", true).unwrap()), file_ino);
    expect_err(
        root.walk_path("chain0", true),
        ErrorCode::Loop,
        "41 symlinks",
    );
    expect_err(root.walk_path("loop1", true), ErrorCode::Loop, "a loop");
    assert_eq!(
        root.walk_path("loop1", false)
            .unwrap()
            .stat()
            .unwrap()
            .file_type,
        FileType::SymbolicLink
    );
    expect_err(
        root.walk_path("loop1/x", false),
        ErrorCode::Loop,
        "a loop mid-path",
    );

    // Trailing slashes.
    assert_eq!(ino(&root.walk_path("a/b/", false).unwrap()), ino(&b));
    assert_eq!(
        ino(&root.walk_path("a/abs/", false).unwrap()),
        ino(&b),
        "follows the final symlink"
    );
    expect_err(
        root.walk_path("a/b/c/file/", false),
        ErrorCode::NotDirectory,
        "file/",
    );
    expect_err(
        root.walk_path("a/rel/", false),
        ErrorCode::NotDirectory,
        "symlink to a file, /",
    );

    // The absolute host path in `out` is resolved inside the preopen, where
    // it does not exist.
    expect_err(
        root.walk_path("out/canary", false),
        ErrorCode::NoEntry,
        "absolute symlink out",
    );
    expect_err(
        root.walk_path("dangling", true),
        ErrorCode::NoEntry,
        "dangling",
    );
    expect_err(
        root.walk_path("a/b/c/file/x", false),
        ErrorCode::NotDirectory,
        "through a file",
    );
    expect_err(root.walk_path("", false), ErrorCode::NoEntry, "empty path");
    expect_err(root.walk_path("a/\0", false), ErrorCode::Invalid, "NUL");
    expect_err(
        root.walk_path(&"x".repeat(256), false),
        ErrorCode::NameTooLong,
        "long component",
    );
    expect_err(
        root.walk_path(&"a/".repeat(2048), false),
        ErrorCode::NameTooLong,
        "path over 4095",
    );
}
