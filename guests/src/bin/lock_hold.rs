//! Takes an exclusive lock on all of `f` and signals `locked`; then, with
//! the argument `trap`, traps (the guest crashes holding it), or with
//! `keep`, returns without dropping the handle. Either way the host checks
//! that the lock is released only when the store is dropped.

use guest::{LockKind, range, root, rw, signal};

fn main() {
    let mode = std::env::args().nth(1).expect("trap|keep");
    let root = root();
    let h = root.walk("f").expect("walk f").open(rw()).expect("open f");
    h.lock(range(0, 0), LockKind::Exclusive, false)
        .expect("lock f");
    signal(&root, "locked");
    match mode.as_str() {
        "trap" => core::arch::wasm32::unreachable(),
        "keep" => std::mem::forget(h),
        other => panic!("mode {other:?}"),
    }
}
