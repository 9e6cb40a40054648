//! mkdir: new directories (nested, through the returned dentry), and its
//! errors.

use guest::{ErrorCode, FileType, expect_err, root, rw};

fn main() {
    let root = root();
    let d = root.mkdir("d", 0o750, None).expect("mkdir d");
    assert_eq!(d.stat().unwrap().file_type, FileType::Directory);
    let e = d.mkdir("e", 0o700, None).expect("mkdir d/e");
    assert_eq!(e.stat().unwrap().mode, 0o700);
    // The returned dentry is the same file a walk finds.
    assert_eq!(
        d.walk("e").unwrap().stat().unwrap().ino,
        e.stat().unwrap().ino
    );

    expect_err(
        root.mkdir("d", 0o755, None),
        ErrorCode::AlreadyExists,
        "mkdir existing",
    );
    let (file, _) = root.create("f", rw(), 0o644, None).unwrap();
    expect_err(
        root.mkdir("f", 0o755, None),
        ErrorCode::AlreadyExists,
        "mkdir over a file",
    );
    expect_err(
        file.mkdir("x", 0o755, None),
        ErrorCode::NotDirectory,
        "mkdir under a file",
    );
    expect_err(
        root.mkdir("bad-mode", 0o40755, None),
        ErrorCode::Invalid,
        "mode with type bits",
    );
    expect_err(
        root.mkdir("bad-mode", 0o10000, None),
        ErrorCode::Invalid,
        "mode past 0o7777",
    );
}
