//! A dentry handle the guest does not own traps (it is a guest bug, not an
//! errno): the host must trap cleanly, not panic.

fn main() {
    let root = guest::root();
    println!("before");
    // SAFETY: deliberately wrong: no resource has this handle.
    let bogus = unsafe { guest::Dentry::from_handle(0x00ba_d0ff) };
    let _ = bogus.walk("x");
    drop(root);
    println!("not reached");
}
