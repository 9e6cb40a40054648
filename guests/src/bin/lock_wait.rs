//! A waiting lock: the host holds an `fcntl` lock on `f`; the guest's try
//! fails with `would-block`, it signals `triedID`, then waits for the lock
//! and prints how the wait ended (`acquired`, signalling `acquiredID`, or
//! the error code, e.g. `Interrupted` when the host's timeout ends it).
//! Argument: ID (optional; default empty), for many instances at once.

use guest::{ErrorCode, LockKind, expect_err, range, root, rw, signal};

fn main() {
    let id = std::env::args().nth(1).unwrap_or_default();
    let root = root();
    let h = root.walk("f").expect("walk f").open(rw()).expect("open f");
    expect_err(
        h.lock(range(0, 0), LockKind::Exclusive, false),
        ErrorCode::WouldBlock,
        "try while the host holds it",
    );
    signal(&root, &format!("tried{id}"));
    match h.lock(range(0, 0), LockKind::Exclusive, true) {
        Ok(()) => {
            signal(&root, &format!("acquired{id}"));
            println!("acquired");
        }
        Err(code) => println!("{code:?}"),
    }
}
