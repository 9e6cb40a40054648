//! create + handle write/read at offsets, and create's errors.

use guest::{ErrorCode, OpenFlags, expect_err, read_to_end, root, rw, write_all};

fn main() {
    let root = root();
    let (file, h) = root.create("f", rw(), 0o600, None).expect("create f");
    write_all(&h, 0, b"hello");
    write_all(&h, 5, b" world");
    write_all(&h, 0, b"J");
    assert_eq!(read_to_end(&h, 0), b"Jello world");
    assert_eq!(h.read(6, 100).unwrap(), b"world");
    assert_eq!(h.stat().unwrap().size, 11);
    assert_eq!(file.stat().unwrap().ino, h.stat().unwrap().ino);
    // A hole: writing past the end.
    write_all(&h, 20, b"!");
    assert_eq!(file.stat().unwrap().size, 21);

    let (_, wo) = root
        .create("write-only", OpenFlags::WRITE, 0o644, None)
        .unwrap();
    expect_err(
        wo.read(0, 1),
        ErrorCode::BadDescriptor,
        "read a write-only handle",
    );
    let (_, ro) = root
        .create("read-only", OpenFlags::READ, 0o444, None)
        .unwrap();
    expect_err(
        ro.write(0, b"x"),
        ErrorCode::BadDescriptor,
        "write a read-only handle",
    );

    expect_err(
        root.create("f", rw(), 0o644, None),
        ErrorCode::AlreadyExists,
        "create existing",
    );
    expect_err(
        root.create("g", OpenFlags::empty(), 0o644, None),
        ErrorCode::Invalid,
        "no access mode",
    );
    expect_err(
        root.create("g", OpenFlags::READ | OpenFlags::APPEND, 0o644, None),
        ErrorCode::Invalid,
        "append without write",
    );
    expect_err(
        root.create("g", rw(), 0o100644, None),
        ErrorCode::Invalid,
        "mode with type bits",
    );
    expect_err(
        h.write(1 << 63, b"x"),
        ErrorCode::Invalid,
        "offset past i64::MAX",
    );
    expect_err(
        file.create("x", rw(), 0o644, None),
        ErrorCode::NotDirectory,
        "create under a file",
    );
}
