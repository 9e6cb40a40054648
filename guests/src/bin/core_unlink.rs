//! unlink: removes a file; a held dentry survives it; errors.

use guest::{ErrorCode, OpenFlags, expect_err, root};

fn main() {
    let root = root();
    let held = root.walk("f").unwrap();
    root.unlink("f").expect("unlink f");
    expect_err(root.walk("f"), ErrorCode::NoEntry, "walk after unlink");
    assert_eq!(held.stat().unwrap().nlink, 0, "the held dentry still stats");
    expect_err(
        held.open(OpenFlags::READ),
        ErrorCode::NoEntry,
        "open an unlinked dentry",
    );

    root.unlink("link")
        .expect("unlink a symlink, not its target");
    expect_err(
        root.unlink("d"),
        ErrorCode::IsDirectory,
        "unlink a directory",
    );
    expect_err(root.unlink("missing"), ErrorCode::NoEntry, "unlink missing");
    expect_err(
        root.walk("target").unwrap().unlink("x"),
        ErrorCode::NotDirectory,
        "unlink under a file",
    );
}
