//! mknod: regular files only; any other type is `not-permitted`.

use guest::{ErrorCode, FileType, expect_err, root};

const S_IFREG: u32 = 0o100000;
const S_IFIFO: u32 = 0o010000;
const S_IFCHR: u32 = 0o020000;
const S_IFSOCK: u32 = 0o140000;

fn main() {
    let root = root();
    let a = root
        .mknod("plain", 0o640, None)
        .expect("mknod without type bits");
    assert_eq!(a.stat().unwrap().file_type, FileType::RegularFile);
    assert_eq!(a.stat().unwrap().size, 0);
    root.mknod("typed", S_IFREG | 0o600, None)
        .expect("mknod S_IFREG");
    expect_err(
        root.mknod("fifo", S_IFIFO | 0o644, None),
        ErrorCode::NotPermitted,
        "FIFO",
    );
    expect_err(
        root.mknod("chr", S_IFCHR | 0o644, None),
        ErrorCode::NotPermitted,
        "char device",
    );
    expect_err(
        root.mknod("sock", S_IFSOCK | 0o644, None),
        ErrorCode::NotPermitted,
        "socket",
    );
    expect_err(
        root.mknod("plain", 0o644, None),
        ErrorCode::AlreadyExists,
        "existing",
    );
    expect_err(
        root.mknod("bad", 0o1000000, None),
        ErrorCode::Invalid,
        "bits past the file type",
    );
}
