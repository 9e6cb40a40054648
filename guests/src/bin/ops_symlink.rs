//! symlink + readlink: targets stored exactly, never followed by the host.

use guest::{ErrorCode, FileType, expect_err, root};

fn main() {
    let root = root();
    for (name, target) in [
        ("rel", "a/b"),
        ("abs", "/etc/passwd"),
        ("up", "../../x"),
        ("dot", "."),
    ] {
        let l = root.symlink(name, target, None).expect("symlink");
        assert_eq!(l.stat().unwrap().file_type, FileType::SymbolicLink);
        assert_eq!(l.readlink().unwrap(), target);
        assert_eq!(root.walk(name).unwrap().readlink().unwrap(), target);
    }
    let long = "t".repeat(4095);
    assert_eq!(
        root.symlink("long", &long, None)
            .unwrap()
            .readlink()
            .unwrap(),
        long
    );

    expect_err(
        root.symlink("rel", "x", None),
        ErrorCode::AlreadyExists,
        "existing",
    );
    expect_err(
        root.symlink("empty", "", None),
        ErrorCode::NoEntry,
        "empty target",
    );
    expect_err(
        root.symlink("nul", "a\0b", None),
        ErrorCode::Invalid,
        "NUL in target",
    );
    expect_err(
        root.symlink("too-long", &"t".repeat(4096), None),
        ErrorCode::NameTooLong,
        "target over 4095",
    );
    expect_err(
        root.walk("file").unwrap().readlink(),
        ErrorCode::Invalid,
        "readlink a file",
    );
    expect_err(
        root.walk("binary").unwrap().readlink(),
        ErrorCode::IllegalByteSequence,
        "non-UTF-8 target",
    );
}
