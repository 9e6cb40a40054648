//! The same `walk-path` and `stat-path` again and again (the second time
//! from the cache, under the read lock, or from the context's last walk)
//! across every change of where the path leads: a directory on the way
//! renamed and another put in its place, the last name unlinked and made
//! anew, a symlink replaced, the name removed. Each answer is the fresh one.
//! The host made: a/f ("one"), b/f ("two-2").

use guest::{
    Dentry, ErrorCode, FileType, OpenFlags, RenameFlags, expect_err, read_to_end, root, write_all,
};

/// What `path` leads to now, by both calls: its content and size.
fn now(root: &Dentry, path: &str, follow: bool) -> Result<(Vec<u8>, u64), ErrorCode> {
    let stat = root.stat_path(path, follow);
    let walked = root.walk_path(path, follow);
    match (walked, stat) {
        (Ok(d), Ok(stat)) => {
            let content = read_to_end(&d.open(OpenFlags::READ).unwrap(), 0);
            assert_eq!(d.stat().unwrap().ino, stat.ino, "{path}: one file");
            Ok((content, stat.size))
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "{path}: the same error");
            Err(a)
        }
        (a, b) => panic!("{path}: walk-path {:?}, stat-path {:?}", a.err(), b.err()),
    }
}

fn main() {
    let root = root();
    let expect = |path: &str, follow: bool, content: &[u8]| {
        for _ in 0..3 {
            let (got, size) = now(&root, path, follow).unwrap();
            assert_eq!(got, content, "{path}");
            assert_eq!(size, content.len() as u64, "{path}");
        }
    };
    expect("a/f", false, b"one");
    // Held across the changes: a dentry follows its file.
    let held = root.walk_path("a/f", false).unwrap();

    // A directory on the way renamed, another put in its place.
    root.rename("a", &root, "c", RenameFlags::empty()).unwrap();
    root.rename("b", &root, "a", RenameFlags::empty()).unwrap();
    expect("a/f", false, b"two-2");
    expect("c/f", false, b"one");

    // The last name unlinked and made anew.
    let a = root.walk_path("a", false).unwrap();
    a.unlink("f").unwrap();
    expect_err(now(&root, "a/f", false), ErrorCode::NoEntry, "unlinked");
    let (_, handle) = a.create("f", OpenFlags::WRITE, 0o644, None).unwrap();
    write_all(&handle, 0, b"three!!");
    expect("a/f", false, b"three!!");

    // A symlink replaced: followed, and the link itself.
    root.symlink("s", "a/f", None).unwrap();
    expect("s", true, b"three!!");
    root.unlink("s").unwrap();
    root.symlink("s", "c/f", None).unwrap();
    expect("s", true, b"one");
    // The link itself: its size is its target's length.
    assert_eq!(root.stat_path("s", false).unwrap().size, 3);
    let link = root.walk_path("s", false).unwrap().stat().unwrap();
    assert_eq!(link.file_type, FileType::SymbolicLink);

    // The held dentry is still the first file, at its new name.
    assert_eq!(read_to_end(&held.open(OpenFlags::READ).unwrap(), 0), b"one");

    // Removed.
    a.unlink("f").unwrap();
    expect_err(now(&root, "a/f", false), ErrorCode::NoEntry, "removed");
    expect_err(
        now(&root, "a/f", false),
        ErrorCode::NoEntry,
        "removed, again",
    );
}
