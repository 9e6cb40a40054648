//! Test builds: a hook called on this thread after each `openat` and
//! `fstatat` (with the name), to check what holds while a lookup runs; and
//! stale host file handles, as NFS gives after another host removed a
//! directory and its inode number was reused.

use std::cell::{Cell, RefCell};
use std::os::fd::BorrowedFd;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};

/// Held for writing by a test that changes the mount table (every
/// coherent `Filesystem` in the process takes that as lost events, and
/// checks each cached name), and for reading by a test that counts a
/// coherent call's syscalls exactly.
static MOUNT_TABLE: RwLock<()> = RwLock::new(());

/// For a test that counts a coherent call's syscalls exactly: no test of
/// this process changes the mount table while the guard is held. Another
/// process may (a CI machine's FUSE volumes): [`StillMounts::changed`]
/// tells whether one did.
pub(crate) fn mount_table_still() -> StillMounts {
    StillMounts {
        _guard: MOUNT_TABLE.read().unwrap_or_else(PoisonError::into_inner),
        at_start: mount_table(),
    }
}

/// What [`mount_table_still`] holds: the guard, and the mount table as it
/// was when it was taken.
pub(crate) struct StillMounts {
    _guard: RwLockReadGuard<'static, ()>,
    at_start: String,
}

impl StillMounts {
    /// Whether the mount table changed since the guard was taken (then
    /// every coherent memo was dropped, and a count of syscalls may be
    /// larger than a test expects).
    pub(crate) fn changed(&self) -> bool {
        mount_table() != self.at_start
    }
}

/// `/proc/self/mountinfo`, or nothing where it cannot be read.
fn mount_table() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default()
}

/// For a test that changes the mount table: no test that counts syscalls
/// exactly runs while the guard is held.
pub(crate) fn mount_table_changing() -> RwLockWriteGuard<'static, ()> {
    MOUNT_TABLE.write().unwrap_or_else(PoisonError::into_inner)
}

/// What a hook is given: the name looked up.
type Hook = Box<dyn FnMut(&str)>;

thread_local! {
    static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
}

/// Calls `hook` after each lookup on this thread, until [`clear`].
pub(crate) fn set(hook: impl FnMut(&str) + 'static) {
    HOOK.with(|h| *h.borrow_mut() = Some(Box::new(hook)));
}

/// Removes this thread's hook.
pub(crate) fn clear() {
    HOOK.with(|h| *h.borrow_mut() = None);
}

thread_local! {
    static STALE: Cell<bool> = const { Cell::new(false) };
}

/// Makes the open directory `fd` stale, as the NFS client's handle of a
/// directory the server no longer has: on this thread, `openat`,
/// `fstatat` and `unlinkat` in it fail with `ESTALE` (a new open of the
/// same directory does not). The mark is `O_APPEND` on its open file
/// description, which nothing else sets on a directory.
pub(crate) fn make_stale(fd: BorrowedFd<'_>) {
    let flags = OFlag::from_bits_retain(fcntl(fd, FcntlArg::F_GETFL).unwrap());
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_APPEND)).unwrap();
    STALE.with(|s| s.set(true));
}

/// Ends [`make_stale`]'s effect on this thread.
pub(crate) fn clear_stale() {
    STALE.with(|s| s.set(false));
}

/// `ESTALE` for a directory [`make_stale`] marked.
pub(super) fn check_stale(dirfd: BorrowedFd<'_>) -> Result<(), Errno> {
    if !STALE.with(Cell::get) {
        return Ok(());
    }
    match fcntl(dirfd, FcntlArg::F_GETFL) {
        Ok(flags) if OFlag::from_bits_retain(flags).contains(OFlag::O_APPEND) => Err(Errno::ESTALE),
        _ => Ok(()),
    }
}

pub(super) fn after_lookup(name: &str) {
    HOOK.with(|h| {
        if let Ok(mut hook) = h.try_borrow_mut()
            && let Some(hook) = hook.as_mut()
        {
            hook(name);
        }
    });
}
