//! The owner given at creation (fchown right after): root may give any;
//! otherwise not-permitted, and the half-made file is removed again.
//! Prints "root" or "user".

use guest::{ErrorCode, Owner, expect_err, root, rw};

fn main() {
    let root = root();
    let owner = Some(Owner {
        uid: 1234,
        gid: 5678,
    });
    if root.stat().unwrap().uid == 0 {
        let d = root.mkdir("d", 0o755, owner).unwrap();
        let (f, _) = root.create("f", rw(), 0o644, owner).unwrap();
        let l = root.symlink("l", "f", owner).unwrap();
        let n = root.mknod("n", 0o644, owner).unwrap();
        for x in [d, f, l, n] {
            let st = x.stat().unwrap();
            assert_eq!((st.uid, st.gid), (1234, 5678));
        }
        println!("root");
    } else {
        expect_err(
            root.mkdir("d", 0o755, owner),
            ErrorCode::NotPermitted,
            "mkdir",
        );
        expect_err(
            root.create("f", rw(), 0o644, owner),
            ErrorCode::NotPermitted,
            "create",
        );
        expect_err(
            root.symlink("l", "f", owner),
            ErrorCode::NotPermitted,
            "symlink",
        );
        expect_err(
            root.mknod("n", 0o644, owner),
            ErrorCode::NotPermitted,
            "mknod",
        );
        println!("user");
    }
}
