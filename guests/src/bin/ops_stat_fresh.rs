//! `dentry.stat` stays fresh: directfs answers a repeated stat of an
//! unchanged file from memory (exclusive mounts), so every change through
//! `directfs:fs` (a write and `set-size` through a handle, `set-stat` of
//! mode and times, a new and a removed hard link, a rename over the name,
//! a read of the file) must show in the next stat of the same dentry.

use guest::{OpenFlags, RenameFlags, SetTime, Timestamp, no_change, root, rw};

fn main() {
    let root = root();
    let (f, h) = root.create("f", rw(), 0o600, None).expect("create");
    let st = f.stat().unwrap();
    assert_eq!((st.size, st.nlink, st.mode & 0o7777), (0, 1, 0o600));
    let again = f.stat().unwrap();
    assert_eq!(
        (again.size, again.nlink, again.mtime.seconds, again.ino),
        (st.size, st.nlink, st.mtime.seconds, st.ino),
        "nothing changed: the same stat"
    );

    assert_eq!(h.write(0, b"hello").unwrap(), 5);
    assert_eq!(f.stat().unwrap().size, 5, "after a write");
    h.set_size(2).unwrap();
    assert_eq!(f.stat().unwrap().size, 2, "after set-size");
    assert_eq!(h.stat().unwrap().size, 2, "the handle's stat too");

    let mode = guest::SetStat {
        mode: Some(0o640),
        ..no_change()
    };
    f.set_stat(mode).unwrap();
    assert_eq!(f.stat().unwrap().mode & 0o7777, 0o640, "after chmod");
    let at = Timestamp {
        seconds: 1_000_000_000,
        nanoseconds: 5,
    };
    let times = guest::SetStat {
        mtime: SetTime::At(at),
        ..no_change()
    };
    f.set_stat(times).unwrap();
    let mtime = f.stat().unwrap().mtime;
    assert_eq!(
        (mtime.seconds, mtime.nanoseconds),
        (1_000_000_000, 5),
        "after set-stat of times"
    );

    let link = root.link(&f, "link").expect("link");
    assert_eq!(f.stat().unwrap().nlink, 2, "after link");
    drop(link);
    root.unlink("link").unwrap();
    assert_eq!(f.stat().unwrap().nlink, 1, "after unlink of the other name");

    // A read (which may set the access time): the rest stays, and the
    // stat is still right.
    let r = f.open(OpenFlags::READ).unwrap();
    assert_eq!(r.read(0, 10).unwrap(), b"he");
    let after_read = f.stat().unwrap();
    assert_eq!(
        (after_read.size, after_read.mtime.seconds),
        (2, 1_000_000_000)
    );

    // Another file renamed over `f`'s name: `f` lost its name.
    let (_, other) = root.create("other", rw(), 0o644, None).unwrap();
    other.write(0, b"0123456789").unwrap();
    root.rename("other", &root, "f", RenameFlags::empty())
        .expect("rename over");
    assert_eq!(f.stat().unwrap().nlink, 0, "replaced: no name left");
    let new_f = root.walk("f").unwrap();
    assert_eq!(new_f.stat().unwrap().size, 10);
    assert_eq!(f.stat().unwrap().size, 2, "the old file, still held");
}
