//! open of existing dentries (read, append, truncate) and its errors.

use guest::{ErrorCode, OpenFlags, expect_err, read_to_end, root};

fn main() {
    let root = root();
    let f = root.walk("digits").unwrap();
    let h = f.open(OpenFlags::READ).expect("open read");
    assert_eq!(h.read(3, 4).unwrap(), b"3456");
    assert_eq!(h.read(8, 100).unwrap(), b"89", "short read at the end");
    assert!(h.read(10, 100).unwrap().is_empty(), "EOF");
    assert!(h.read(1 << 40, 1).unwrap().is_empty(), "far past EOF");
    // A huge length is capped by the host, not allocated.
    assert_eq!(h.read(0, u64::MAX).unwrap(), b"0123456789");
    expect_err(
        h.write(0, b"x"),
        ErrorCode::BadDescriptor,
        "write a read handle",
    );

    let a = f
        .open(OpenFlags::WRITE | OpenFlags::APPEND)
        .expect("open append");
    assert_eq!(a.write(0, b"X").unwrap(), 1, "append ignores the offset");
    assert_eq!(read_to_end(&h, 0), b"0123456789X");

    let t = root
        .walk("truncate-me")
        .unwrap()
        .open(OpenFlags::WRITE | OpenFlags::TRUNCATE)
        .unwrap();
    assert_eq!(t.stat().unwrap().size, 0);

    let sub = root.walk("sub").unwrap();
    expect_err(
        sub.open(OpenFlags::WRITE),
        ErrorCode::IsDirectory,
        "open a dir for writing",
    );
    let dh = sub.open(OpenFlags::READ).expect("open a dir for reading");
    expect_err(
        dh.read(0, 1),
        ErrorCode::IsDirectory,
        "read a directory handle",
    );
    expect_err(
        root.walk("link").unwrap().open(OpenFlags::READ),
        ErrorCode::Loop,
        "open a symlink",
    );
    expect_err(
        f.open(OpenFlags::empty()),
        ErrorCode::Invalid,
        "no access mode",
    );
    expect_err(
        f.open(OpenFlags::READ | OpenFlags::TRUNCATE),
        ErrorCode::Invalid,
        "truncate without write",
    );
}
