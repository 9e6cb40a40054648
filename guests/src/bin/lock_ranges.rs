//! Advisory locks on `directfs:fs` handles, two handles of one file in one
//! store (each its own lock owner, as two stores would be): exclusive
//! excludes, shared shares, upgrade and downgrade, unlock splits a range,
//! `test-lock` reports the lock in the way, and bad ranges and handles get
//! exact codes. Then it holds a known set of locks and signals `held`; the
//! host checks them against the kernel (and that its own `fcntl` lock is
//! refused) and makes `go`; the guest then drops one handle and signals
//! `dropped`, and exits once the host makes `done`.

use guest::{ErrorCode, LockKind, OpenFlags, expect_err, range, root, rw, seen, signal, wait_for};

use LockKind::{Exclusive as X, Shared as S};

fn main() {
    let root = root();
    let f = root.walk("f").expect("walk f");
    let a = f.open(rw()).expect("open a");
    let b = f.open(rw()).expect("open b");

    // Exclusive excludes; the holder's own lock is never in the way.
    a.lock(range(0, 10), X, false).expect("a: X 0..10");
    expect_err(
        b.lock(range(5, 1), S, false),
        ErrorCode::WouldBlock,
        "b: S 5 under a's X",
    );
    expect_err(
        b.lock(range(9, 5), X, false),
        ErrorCode::WouldBlock,
        "b: X overlapping a's X",
    );
    assert_eq!(
        seen(b.test_lock(range(0, 0), S).expect("b: test")),
        Some((X, 0, 10)),
        "b sees a's lock in the way"
    );
    assert_eq!(
        seen(a.test_lock(range(0, 0), X).expect("a: test")),
        None,
        "a's own lock"
    );
    b.lock(range(10, 10), X, false)
        .expect("b: X 10..20, touching a's");

    // Shared shares; a downgrade lets others share, an upgrade waits for
    // them to go.
    a.lock(range(0, 10), S, false).expect("a: downgrade to S");
    b.lock(range(0, 5), S, false)
        .expect("b: S 0..5 beside a's S");
    expect_err(
        b.lock(range(0, 1), X, false),
        ErrorCode::WouldBlock,
        "b: upgrade past a's S",
    );
    expect_err(
        a.lock(range(0, 1), X, false),
        ErrorCode::WouldBlock,
        "a: upgrade past b's S",
    );
    assert_eq!(
        seen(a.test_lock(range(0, 10), X).expect("a: test")),
        Some((S, 0, 5)),
        "a sees b's S in the way of X",
    );
    assert_eq!(
        seen(a.test_lock(range(0, 10), S).expect("a: test S")),
        None,
        "S shares with S"
    );
    b.unlock(range(0, 5)).expect("b: unlock 0..5");
    a.lock(range(0, 10), X, false).expect("a: upgrade to X");

    // An unlock splits a's range in two: the middle is free, the ends not.
    a.unlock(range(4, 2)).expect("a: unlock 4..6");
    b.lock(range(4, 2), X, false).expect("b: X 4..6, the hole");
    expect_err(
        b.lock(range(3, 1), S, false),
        ErrorCode::WouldBlock,
        "b: 3 (a's left part)",
    );
    expect_err(
        b.lock(range(6, 1), S, false),
        ErrorCode::WouldBlock,
        "b: 6 (a's right part)",
    );
    b.unlock(range(100, 0))
        .expect("b: unlocking bytes not held");

    // Bad ranges, and handles that cannot take the kind.
    let max = i64::MAX as u64;
    expect_err(
        a.lock(range(max + 1, 1), S, false),
        ErrorCode::Invalid,
        "start past 2^63-1",
    );
    expect_err(
        a.lock(range(0, max + 1), S, false),
        ErrorCode::Invalid,
        "len past 2^63-1",
    );
    expect_err(
        a.lock(range(max, 2), S, false),
        ErrorCode::Overflow,
        "end past 2^63-1",
    );
    expect_err(
        a.unlock(range(max + 1, 0)),
        ErrorCode::Invalid,
        "unlock start past 2^63-1",
    );
    expect_err(
        a.test_lock(range(max, 2), S),
        ErrorCode::Overflow,
        "test end past 2^63-1",
    );
    let ro = f.open(OpenFlags::READ).expect("open read-only");
    expect_err(
        ro.lock(range(0, 1), X, false),
        ErrorCode::BadDescriptor,
        "X on a read handle",
    );
    let wo = f.open(OpenFlags::WRITE).expect("open write-only");
    expect_err(
        wo.lock(range(0, 1), S, false),
        ErrorCode::BadDescriptor,
        "S on a write handle",
    );
    let d = root.walk("d").expect("walk d");
    let dh = d
        .open(OpenFlags::READ | OpenFlags::DIRECTORY)
        .expect("open d");
    dh.lock(range(0, 0), S, false).expect("S on a directory");

    // Held now: a X 0..4 and 6..10, b X 4..6 and 10..20, dh S on d.
    signal(&root, "held");
    wait_for(&root, "go");
    drop(a);
    signal(&root, "dropped");
    wait_for(&root, "done");
    drop((b, dh));
}
