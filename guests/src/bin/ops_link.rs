//! link: hard links share an inode (number, nlink, metadata, data); links
//! to directories, unlinked targets, across preopens and out of a read-only
//! preopen are refused.

use guest::{ErrorCode, OpenFlags, expect_err, no_change, preopen, read_to_end, write_all};

fn main() {
    let root = preopen("/sandbox");
    let f = root.walk("f").unwrap();
    let sub = root.walk("sub").unwrap();
    let g = sub.link(&f, "g").expect("link f as sub/g");
    let (sf, sg) = (f.stat().unwrap(), g.stat().unwrap());
    assert_eq!(sf.ino, sg.ino, "one inode");
    assert_eq!((sf.nlink, sg.nlink), (2, 2));

    // One file: data and metadata changes through one name show in the other.
    write_all(
        &g.open(OpenFlags::WRITE | OpenFlags::TRUNCATE).unwrap(),
        0,
        b"via g",
    );
    assert_eq!(read_to_end(&f.open(OpenFlags::READ).unwrap(), 0), b"via g");
    let mut chmod = no_change();
    chmod.mode = Some(0o604);
    f.set_stat(chmod).expect("chmod through f");
    assert_eq!(g.stat().unwrap().mode, 0o604);

    expect_err(
        root.link(&sub, "dir-link"),
        ErrorCode::NotPermitted,
        "link a directory",
    );
    expect_err(
        root.link(&root, "root-link"),
        ErrorCode::NotPermitted,
        "link the root",
    );
    expect_err(sub.link(&f, "g"), ErrorCode::AlreadyExists, "existing name");
    let gone = root.walk("gone").unwrap();
    root.unlink("gone").unwrap();
    expect_err(
        root.link(&gone, "back"),
        ErrorCode::NoEntry,
        "link an unlinked file",
    );

    let other = preopen("/other");
    expect_err(
        other.link(&f, "x"),
        ErrorCode::CrossDevice,
        "across preopens",
    );
    let ro = preopen("/ro");
    let secret = ro.walk("secret").unwrap();
    expect_err(
        root.link(&secret, "stolen"),
        ErrorCode::ReadOnly,
        "out of a read-only preopen",
    );
    expect_err(
        ro.link(&f, "x"),
        ErrorCode::ReadOnly,
        "into a read-only preopen",
    );
}
