//! A read-only preopen: reading works, every mutation is `read-only`.

use guest::{ErrorCode, OpenFlags, expect_err, list, read_to_end, root, rw};

fn main() {
    let root = root();
    let f = root.walk("f").unwrap();
    assert_eq!(read_to_end(&f.open(OpenFlags::READ).unwrap(), 0), b"keep");
    assert_eq!(list(&root, 10).len(), 2);
    let d = root.walk("d").unwrap();

    expect_err(root.mkdir("new", 0o755, None), ErrorCode::ReadOnly, "mkdir");
    expect_err(
        d.mkdir("new", 0o755, None),
        ErrorCode::ReadOnly,
        "mkdir below the root",
    );
    expect_err(
        root.create("new", rw(), 0o644, None),
        ErrorCode::ReadOnly,
        "create",
    );
    expect_err(root.unlink("f"), ErrorCode::ReadOnly, "unlink");
    expect_err(root.rmdir("d"), ErrorCode::ReadOnly, "rmdir");
    expect_err(
        f.open(OpenFlags::WRITE),
        ErrorCode::ReadOnly,
        "open for writing",
    );
    expect_err(
        f.open(OpenFlags::READ | OpenFlags::WRITE),
        ErrorCode::ReadOnly,
        "open read-write",
    );
    // The name check comes after the permission check: no probing.
    expect_err(
        root.mkdir("..", 0o755, None),
        ErrorCode::ReadOnly,
        "mkdir .. on a read-only preopen",
    );
}
