//! The host's limit of lock records (run with `--max-locks 4`): ranges of
//! one kind that touch merge into one record, so they cost nothing more;
//! separate ranges cost one each, past the limit `no-lock`; an unlock that
//! would split a range past the limit is refused too, and one that frees
//! records makes room again. Prints how many records it reached.

use guest::{ErrorCode, LockKind, expect_err, range, root, rw};

use LockKind::{Exclusive as X, Shared as S};

fn main() {
    let root = root();
    let a = root.walk("f").expect("walk f").open(rw()).expect("open a");
    let b = root.walk("f").expect("walk f").open(rw()).expect("open b");
    for n in 0..100 {
        a.lock(range(n, 1), X, false)
            .expect("touching ranges merge: one record");
    }
    a.lock(range(200, 1), X, false).expect("record 2");
    b.lock(range(300, 1), S, false)
        .expect("record 3, another handle of the store");
    a.lock(range(400, 1), S, false).expect("record 4");
    expect_err(
        a.lock(range(500, 1), X, false),
        ErrorCode::NoLock,
        "record 5",
    );
    expect_err(
        b.lock(range(500, 1), X, false),
        ErrorCode::NoLock,
        "record 5, other handle",
    );
    expect_err(
        a.unlock(range(50, 1)),
        ErrorCode::NoLock,
        "a split would make record 5",
    );
    expect_err(
        a.lock(range(50, 1), S, false),
        ErrorCode::NoLock,
        "a downgrade in the middle splits too",
    );
    a.unlock(range(200, 1)).expect("freeing record 2");
    a.lock(range(500, 1), X, false)
        .expect("record 4 again, after one was freed");
    drop(b);
    a.lock(range(600, 1), X, false)
        .expect("b's record went with it");
    println!("records=4");
}
