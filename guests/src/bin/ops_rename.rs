//! rename: moves, replaces, no-replace, exchange, with held dentries
//! following; errors.

use guest::{ErrorCode, OpenFlags, RenameFlags, expect_err, preopen, read_to_end};

fn content(d: &guest::Dentry) -> Vec<u8> {
    read_to_end(&d.open(OpenFlags::READ).unwrap(), 0)
}

fn main() {
    let root = preopen("/sandbox");
    let none = RenameFlags::empty();
    let a = root.walk("a").unwrap();
    let d = root.walk("d").unwrap();

    // Move into a subdirectory; the held dentry follows (re-opens by its
    // new name).
    root.rename("a", &d, "a2", none).expect("rename a -> d/a2");
    assert_eq!(content(&a), b"A");
    expect_err(root.walk("a"), ErrorCode::NoEntry, "old name gone");
    assert_eq!(
        d.walk("a2").unwrap().stat().unwrap().ino,
        a.stat().unwrap().ino
    );

    // Replace: the replaced file's held dentry is unlinked.
    let b = root.walk("b").unwrap();
    d.rename("a2", &root, "b", none).expect("rename over b");
    assert_eq!(b.stat().unwrap().nlink, 0);
    expect_err(
        b.open(OpenFlags::READ),
        ErrorCode::NoEntry,
        "replaced dentry",
    );
    assert_eq!(content(&root.walk("b").unwrap()), b"A");

    // no-replace and exchange.
    expect_err(
        root.rename("b", &root, "c", RenameFlags::NO_REPLACE),
        ErrorCode::AlreadyExists,
        "no-replace",
    );
    let c = root.walk("c").unwrap();
    root.rename("b", &root, "c", RenameFlags::EXCHANGE)
        .expect("exchange");
    assert_eq!(content(&a), b"A", "contents follow their files");
    assert_eq!(content(&c), b"C");
    assert_eq!(
        root.walk("b").unwrap().stat().unwrap().ino,
        c.stat().unwrap().ino
    );
    assert_eq!(
        root.walk("c").unwrap().stat().unwrap().ino,
        a.stat().unwrap().ino
    );

    // Directories.
    root.rename("d", &root, "e", none)
        .expect("rename a directory");
    assert!(d.walk("keep").is_ok(), "a held directory keeps working");
    expect_err(
        root.rename("e", &d, "inside", none),
        ErrorCode::Invalid,
        "a directory into itself",
    );
    expect_err(
        root.rename("c", &root, "full", none),
        ErrorCode::IsDirectory,
        "a file over a directory",
    );
    expect_err(
        root.rename("empty", &root, "full", none),
        ErrorCode::NotEmpty,
        "over a non-empty directory",
    );
    expect_err(
        root.rename("missing", &root, "x", none),
        ErrorCode::NoEntry,
        "missing",
    );
    expect_err(
        root.rename("c", &root, "..", none),
        ErrorCode::Invalid,
        "to ..",
    );
    expect_err(
        root.rename(
            "c",
            &root,
            "x",
            RenameFlags::NO_REPLACE | RenameFlags::EXCHANGE,
        ),
        ErrorCode::Invalid,
        "both flags",
    );
    let other = preopen("/other");
    expect_err(
        root.rename("c", &other, "c", none),
        ErrorCode::CrossDevice,
        "across preopens",
    );

    // Onto another hard link of the same file: nothing happens (POSIX),
    // and both held dentries keep their names. (`c`'s file, "C", is named
    // `b` since the exchange.)
    let h1 = root.link(&c, "h1").expect("link C as h1");
    let h2 = root.link(&c, "h2").expect("link C as h2");
    root.rename("h1", &root, "h2", none)
        .expect("rename onto a hard link of the same file");
    assert_eq!(content(&h1), b"C", "h1's dentry still opens");
    assert_eq!(content(&h2), b"C", "h2's dentry still opens");
    assert_eq!(h2.stat().unwrap().nlink, 3, "b, h1 and h2");
    assert!(root.walk("h1").is_ok(), "h1 is still there");
}
