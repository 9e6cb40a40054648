//! A read-only preopen: every reading operation works, every mutating one
//! of the WIT fails with `read-only`, before its arguments are looked at.

use guest::{
    ErrorCode, OpenFlags, RenameFlags, SetTime, StatFields, XattrFlags, expect_err, list,
    no_change, read_to_end, root, rw,
};

fn main() {
    let root = root();
    let f = root.walk("f").unwrap();
    let d = root.walk("d").unwrap();
    let l = root.walk("l").unwrap();

    // Reading works.
    assert_eq!(read_to_end(&f.open(OpenFlags::READ).unwrap(), 0), b"keep");
    assert_eq!(list(&root, 10).len(), 3);
    assert_eq!(root.read_dir_plus(0, 10).unwrap().entries.len(), 3);
    assert_eq!(
        root.walk_path("l", true).unwrap().stat().unwrap().ino,
        f.stat().unwrap().ino
    );
    assert_eq!(l.readlink().unwrap(), "f");
    assert!(root.statfs().is_ok());
    assert_eq!(f.get_xattr("user.x").unwrap(), b"1");
    assert_eq!(f.list_xattr().unwrap(), ["user.x"]);

    // Every mutation: read-only.
    let ro = ErrorCode::ReadOnly;
    expect_err(root.mkdir("new", 0o755, None), ro, "mkdir");
    expect_err(d.mkdir("new", 0o755, None), ro, "mkdir below the root");
    expect_err(root.create("new", rw(), 0o644, None), ro, "create");
    expect_err(root.mknod("new", 0o644, None), ro, "mknod");
    expect_err(root.symlink("new", "f", None), ro, "symlink");
    expect_err(d.link(&f, "new"), ro, "link");
    expect_err(root.unlink("f"), ro, "unlink");
    expect_err(root.rmdir("d"), ro, "rmdir");
    expect_err(
        root.rename("f", &d, "f", RenameFlags::empty()),
        ro,
        "rename",
    );
    expect_err(
        root.rename("f", &root, "l", RenameFlags::EXCHANGE),
        ro,
        "rename exchange",
    );
    for flags in [
        OpenFlags::WRITE,
        OpenFlags::READ | OpenFlags::WRITE,
        OpenFlags::WRITE | OpenFlags::APPEND,
        OpenFlags::WRITE | OpenFlags::TRUNCATE,
    ] {
        expect_err(f.open(flags), ro, "open for writing");
    }
    expect_err(
        f.set_xattr("user.x", b"2", XattrFlags::empty()),
        ro,
        "set-xattr",
    );
    expect_err(f.remove_xattr("user.x"), ro, "remove-xattr");
    let mut all = no_change();
    all.mode = Some(0o777);
    all.uid = Some(0);
    all.gid = Some(0);
    all.size = Some(0);
    all.atime = SetTime::Now;
    all.mtime = SetTime::Now;
    let err = f.set_stat(all).unwrap_err();
    assert_eq!(
        (err.failed, err.error),
        (StatFields::all(), ro),
        "set-stat: every field failed"
    );
    // The permission check comes first: no probing of names.
    expect_err(
        root.mkdir("..", 0o755, None),
        ro,
        "mkdir .. on a read-only preopen",
    );
    expect_err(
        root.unlink("no/such"),
        ro,
        "unlink a bad name on a read-only preopen",
    );
}
