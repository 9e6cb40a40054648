//! set-stat: each field lands on the host; a failing field is reported in
//! the mask while the others take effect (gVisor's setStatLocked).
//! Prints the uid/gid case it expects ("root" or "user").

use guest::{ErrorCode, SetTime, StatFields, Timestamp, no_change, root};

fn main() {
    let root = root();
    let f = root.walk("f").unwrap();

    let mut c = no_change();
    c.mode = Some(0o640);
    c.size = Some(3);
    c.mtime = SetTime::At(Timestamp {
        seconds: 1_000_000_000,
        nanoseconds: 123_456_789,
    });
    c.atime = SetTime::At(Timestamp {
        seconds: 1_500_000_000,
        nanoseconds: 0,
    });
    f.set_stat(c).expect("mode + size + times");
    let st = f.stat().unwrap();
    assert_eq!((st.mode, st.size), (0o640, 3));
    assert_eq!(
        (st.mtime.seconds, st.mtime.nanoseconds),
        (1_000_000_000, 123_456_789)
    );
    assert_eq!(st.atime.seconds, 1_500_000_000);

    // Growing, and `now`.
    let mut c = no_change();
    c.size = Some(10);
    c.mtime = SetTime::Now;
    f.set_stat(c).unwrap();
    let st = f.stat().unwrap();
    assert_eq!(st.size, 10);
    assert!(st.mtime.seconds > 1_600_000_000, "now");

    // A failing field: the rest still happens.
    let mut c = no_change();
    c.mode = Some(0o170000);
    c.size = Some(1);
    let err = f.set_stat(c).unwrap_err();
    assert_eq!(
        (err.failed, err.error),
        (StatFields::MODE, ErrorCode::Invalid)
    );
    assert_eq!(
        f.stat().unwrap().size,
        1,
        "size applied despite the mode error"
    );

    // Directories and symlinks.
    let d = root.walk("d").unwrap();
    let mut c = no_change();
    c.size = Some(0);
    let err = d.set_stat(c).unwrap_err();
    assert_eq!(
        (err.failed, err.error),
        (StatFields::SIZE, ErrorCode::IsDirectory)
    );
    let mut c = no_change();
    c.mode = Some(0o700);
    c.mtime = SetTime::At(Timestamp {
        seconds: 1_111_111_111,
        nanoseconds: 0,
    });
    d.set_stat(c).expect("chmod + utimens a directory");
    let l = root.walk("l").unwrap();
    let mut c = no_change();
    c.mtime = SetTime::At(Timestamp {
        seconds: 1_222_222_222,
        nanoseconds: 0,
    });
    l.set_stat(c)
        .expect("utimens a symlink itself, through its parent");
    assert_eq!(l.stat().unwrap().mtime.seconds, 1_222_222_222);
    let mut c = no_change();
    c.mode = Some(0o600);
    let err = l.set_stat(c).unwrap_err();
    assert_eq!(
        (err.failed, err.error),
        (StatFields::MODE, ErrorCode::NotSupported)
    );
    let mut c = no_change();
    c.mtime = SetTime::At(Timestamp {
        seconds: 0,
        nanoseconds: 1_000_000_000,
    });
    assert_eq!(
        f.set_stat(c).unwrap_err().error,
        ErrorCode::Invalid,
        "nanoseconds past 1e9"
    );
    assert!(f.set_stat(no_change()).is_ok(), "nothing to change");

    // A socket's dentry is O_PATH (it cannot be opened): chmod and utimens
    // go through its parent, never following a symlink.
    let sock = root.walk("sock").unwrap();
    assert_eq!(sock.stat().unwrap().file_type, guest::FileType::Socket);
    let mut c = no_change();
    c.mode = Some(0o600);
    c.mtime = SetTime::At(Timestamp {
        seconds: 1_333_333_333,
        nanoseconds: 0,
    });
    sock.set_stat(c).expect("chmod + utimens a socket");
    let st = sock.stat().unwrap();
    assert_eq!((st.mode, st.mtime.seconds), (0o600, 1_333_333_333));

    // Owner: root may give any; others get not-permitted.
    let mut c = no_change();
    c.uid = Some(4321);
    c.gid = Some(8765);
    if root.stat().unwrap().uid == 0 {
        f.set_stat(c).expect("chown as root");
        let st = f.stat().unwrap();
        assert_eq!((st.uid, st.gid), (4321, 8765));
        println!("root");
    } else {
        let err = f.set_stat(c).unwrap_err();
        assert_eq!(
            (err.failed, err.error),
            (StatFields::UID | StatFields::GID, ErrorCode::NotPermitted)
        );
        println!("user");
    }
}
