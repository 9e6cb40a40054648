//! A waiting lock: the host holds an `fcntl` lock on `f`; the guest's try
//! fails with `would-block`, it signals `tried`, then waits for the lock
//! and prints how the wait ended (`acquired`, or the error code, e.g.
//! `Interrupted` when the host's timeout ends it).

use guest::{ErrorCode, LockKind, expect_err, range, root, rw, signal};

fn main() {
    let root = root();
    let h = root.walk("f").expect("walk f").open(rw()).expect("open f");
    expect_err(
        h.lock(range(0, 0), LockKind::Exclusive, false),
        ErrorCode::WouldBlock,
        "try while the host holds it",
    );
    signal(&root, "tried");
    match h.lock(range(0, 0), LockKind::Exclusive, true) {
        Ok(()) => {
            signal(&root, "acquired");
            println!("acquired");
        }
        Err(code) => println!("{code:?}"),
    }
}
