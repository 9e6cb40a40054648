//! The host syscalls directfs issues — the only module that issues any.
//!
//! Each wrapper is named after its syscall and takes [`BorrowedFd`]s (never a
//! raw `i32`). Every open here adds `O_NOFOLLOW | O_CLOEXEC`, so no caller can
//! forget them: the kernel never follows a symlink on a guest's behalf, and no
//! host FD leaks into a child process. `name` arguments are single path
//! components already checked by [`crate::name::Name`] (or the literal `"."`, or
//! `".."` where a mount looks at its own ancestors, on the embedder's directory).
//!
//! The wrappers go through `nix`, except `getdents64` and the `f*xattr`
//! family, which `nix` does not wrap, inotify's (in [`inotify`]: read
//! into a caller's buffer, which `nix`'s reader does not take) and epoll's
//! (in [`epoll`]: asked with a timeout of 0); they go through `rustix`'s
//! safe ones.

use std::cell::Cell;
use std::ops::ControlFlow;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::poll::PollFd;
pub use nix::poll::{PollFlags, PollTimeout};
use nix::sys::stat::{FchmodatFlags, FileStat, Mode, SFlag, UtimensatFlags};
use nix::sys::statfs::Statfs;
use nix::unistd::UnlinkatFlags;

use nix::libc;

use crate::types::{FileType, LockKind, SetTime};

pub use epoll::{EpollFlags, epoll_create1, epoll_ctl_add, epoll_wait, open_mountinfo};
pub(crate) use inotify::INOTIFY_EVENT_HEADER;
#[cfg(test)]
pub use inotify::inotify_queued_bytes;
pub use inotify::{
    ReadFlags, WatchDescriptor, WatchFlags, inotify_add_watch, inotify_add_watch_at, inotify_init1,
    inotify_rm_watch, read_inotify,
};
pub use nix::fcntl::RenameFlags;
pub use nix::sys::time::TimeSpec;
pub use rustix::fs::Advice;
pub use rustix::fs::FileType as DirentType;
pub use rustix::fs::XattrFlags;
pub use uring::{POLL_IN, POLL_PRI, Ring};

/// Host syscalls issued through this module, for benchmarks and `--stats`.
static SYSCALLS: AtomicU64 = AtomicU64::new(0);

/// How many host syscalls directfs has issued in this process (all
/// contexts): one per wrapper call here, one per `getdents64` buffer refill.
pub fn syscalls() -> u64 {
    SYSCALLS.load(Ordering::Relaxed)
}

/// `getrlimit(RLIMIT_NOFILE)`: the soft limit on this process's open FDs,
/// `None` if unlimited (or unknown). Not counted in [`syscalls`]: it is
/// asked once, for the defaults of a [`crate::Filesystem`], never for a
/// guest.
///
/// C: `int getrlimit(int resource, struct rlimit *rlim);`
/// ([getrlimit(2)](https://man7.org/linux/man-pages/man2/getrlimit.2.html))
pub(crate) fn getrlimit_nofile() -> Option<u64> {
    use nix::sys::resource::{RLIM_INFINITY, Resource, getrlimit};
    let (soft, _hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    (soft != RLIM_INFINITY).then_some(soft)
}

/// The file type in a host `st_mode`.
pub(crate) fn file_type_of_mode(mode: u32) -> FileType {
    match SFlag::from_bits_truncate(mode & SFlag::S_IFMT.bits()) {
        SFlag::S_IFDIR => FileType::Directory,
        SFlag::S_IFREG => FileType::RegularFile,
        SFlag::S_IFLNK => FileType::SymbolicLink,
        SFlag::S_IFIFO => FileType::Fifo,
        SFlag::S_IFSOCK => FileType::Socket,
        SFlag::S_IFCHR => FileType::CharacterDevice,
        SFlag::S_IFBLK => FileType::BlockDevice,
        _ => FileType::Unknown,
    }
}

/// The file type in a `getdents64` entry's `d_type`.
pub(crate) fn file_type_of_dirent(kind: DirentType) -> FileType {
    match kind {
        DirentType::Directory => FileType::Directory,
        DirentType::RegularFile => FileType::RegularFile,
        DirentType::Symlink => FileType::SymbolicLink,
        DirentType::Fifo => FileType::Fifo,
        DirentType::Socket => FileType::Socket,
        DirentType::CharacterDevice => FileType::CharacterDevice,
        DirentType::BlockDevice => FileType::BlockDevice,
        DirentType::Unknown => FileType::Unknown,
    }
}

thread_local! {
    /// [`syscalls`], of this thread alone: what per-context counts are
    /// taken from (a host call runs on one thread).
    static THREAD_SYSCALLS: Cell<u64> = const { Cell::new(0) };
}

/// How many host syscalls directfs has issued on this thread.
pub(crate) fn thread_syscalls() -> u64 {
    THREAD_SYSCALLS.with(Cell::get)
}

/// Syscalls issued through this module that may have changed what a stat
/// of some file shows (everything but the queries: stats, opens for
/// reading, `poll`, reading extended attributes, …), counted after each
/// returns.
static CHANGES: AtomicU64 = AtomicU64::new(0);

/// How many syscalls that may change a file's attributes (data, size,
/// times, mode, names, link counts; a read changes the access time)
/// directfs has made in this process so far. While it stays the same, no
/// file reachable through directfs changed through directfs: what the
/// stat memos of exclusive mounts rest on (see `crate::ctx::LastStat`).
///
/// Counted after the syscall returns: a stat begun after a reading of
/// this count sees every change counted before it.
pub(crate) fn changes() -> u64 {
    CHANGES.load(Ordering::Relaxed)
}

/// Counts one syscall, which may have changed a file, and passes `result`
/// through.
fn counted<T>(result: T) -> T {
    CHANGES.fetch_add(1, Ordering::Relaxed);
    queried(result)
}

/// Counts one syscall that changes no file (a query), and passes `result`
/// through.
fn queried<T>(result: T) -> T {
    SYSCALLS.fetch_add(1, Ordering::Relaxed);
    THREAD_SYSCALLS.with(|n| n.set(n.get() + 1));
    result
}

/// The flags every open of a guest-reachable file carries.
const OPEN_FLAGS: OFlag = OFlag::O_NOFOLLOW.union(OFlag::O_CLOEXEC);

/// How much [`getdents64`] reads per call, unless asked for less.
pub const DIRENT_BUF_BYTES: usize = 32 * 1024;

/// The least [`getdents64`] reads per call: room for an entry of the
/// longest name (255 bytes: a record of 280).
const DIRENT_BUF_MIN: usize = 1024;

/// A [`getdents64`] buffer for about `entries` entries of everyday names
/// (64 bytes a record), up to [`DIRENT_BUF_BYTES`]: a small page reads
/// little past its end. Longer names take more reads, not fewer entries.
pub fn dirent_buf_for(entries: u32) -> usize {
    usize::try_from(entries)
        .unwrap_or(usize::MAX)
        .saturating_mul(64)
        .saturating_add(512)
        .min(DIRENT_BUF_BYTES)
}

/// `openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode)`—Opens a file
/// relative to a directory FD.
///
/// A symlink as `name` fails with `ELOOP` unless `flags` has `O_PATH`, which
/// opens the symlink itself.
///
/// See [openat(2)](https://man7.org/linux/man-pages/man2/openat.2.html).
pub fn openat(
    dirfd: BorrowedFd<'_>,
    name: &str,
    flags: OFlag,
    mode: Mode,
) -> Result<OwnedFd, Errno> {
    #[cfg(test)]
    test_hook::check_stale(dirfd)?;
    let result = nix::fcntl::openat(dirfd, name, flags | OPEN_FLAGS, mode);
    // An open that can neither make, truncate nor write a file changes no
    // stat (opening reads nothing: no access time).
    let writes = OFlag::O_CREAT | OFlag::O_TRUNC | OFlag::O_WRONLY | OFlag::O_RDWR;
    let opened = if flags.intersects(writes) {
        counted(result)
    } else {
        queried(result)
    };
    #[cfg(test)]
    test_hook::after_lookup(name);
    opened
}

/// `openat2(dirfd, path, &{O_PATH | O_NOFOLLOW | O_CLOEXEC,
/// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS}, sizeof(struct open_how))`—Opens
/// (as a handle that reads and writes nothing) the file a relative path of
/// plain names leads to from a directory FD, resolved by the kernel in one
/// walk that follows no symlink (a symlink on the way, the last name
/// included: `ELOOP`) and never leaves `dirfd` (`EXDEV`).
///
/// Where the kernel has no `openat2` (before Linux 5.6: `ENOSYS`) or a
/// seccomp filter refuses it (`EPERM`), it fails so at once after the
/// first time, without a syscall.
///
/// See [openat2(2)](https://man7.org/linux/man-pages/man2/openat2.2.html).
pub fn openat2_beneath_path(dirfd: BorrowedFd<'_>, path: &str) -> Result<OwnedFd, Errno> {
    use nix::fcntl::{OpenHow, ResolveFlag};
    use std::sync::atomic::AtomicBool;
    /// Whether `openat2` was refused as a whole (`ENOSYS`, `EPERM`).
    static REFUSED: AtomicBool = AtomicBool::new(false);
    if REFUSED.load(Ordering::Relaxed) {
        return Err(Errno::ENOSYS);
    }
    let how = OpenHow::new()
        .flags(OFlag::O_PATH | OPEN_FLAGS)
        .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_SYMLINKS);
    let opened = queried(nix::fcntl::openat2(dirfd, path, how));
    if let Err(Errno::ENOSYS | Errno::EPERM) = opened {
        REFUSED.store(true, Ordering::Relaxed);
    }
    #[cfg(test)]
    test_hook::after_lookup(path);
    opened
}

/// `fstat(fd)`—Returns the metadata of an open file.
///
/// See [fstat(2)](https://man7.org/linux/man-pages/man2/fstat.2.html).
pub fn fstat(fd: BorrowedFd<'_>) -> Result<FileStat, Errno> {
    queried(nix::sys::stat::fstat(fd))
}

/// `fcntl(fd, F_SETFL, flags)`—Sets the file status flags of an open file.
///
/// See [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html).
pub fn fcntl_setfl(fd: BorrowedFd<'_>, flags: OFlag) -> Result<(), Errno> {
    counted(nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFL(flags)).map(drop))
}

/// `fcntl(fd, F_GETFL)`—Returns the file status flags of an open file.
///
/// See [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html).
pub fn fcntl_getfl(fd: BorrowedFd<'_>) -> Result<OFlag, Errno> {
    queried(nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFL)).map(OFlag::from_bits_truncate)
}

/// The `struct flock` of an open-file-description lock request on bytes
/// `start ..= start + len - 1` (`len` 0: to the end of the file, however
/// far it grows) of type `l_type`.
///
/// # Preconditions
/// `start` and `len` fit in `off_t` (checked by [`crate::lock`]).
fn flock(l_type: libc::c_int, start: i64, len: i64) -> libc::flock {
    libc::flock {
        l_type: l_type as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: start,
        l_len: len,
        // OFD locks require 0 (the kernel fills in -1 for them).
        l_pid: 0,
    }
}

/// The `l_type` of a lock of `kind` (`None`: an unlock).
fn lock_type(kind: Option<LockKind>) -> libc::c_int {
    match kind {
        Some(LockKind::Shared) => libc::F_RDLCK,
        Some(LockKind::Exclusive) => libc::F_WRLCK,
        None => libc::F_UNLCK,
    }
}

/// `fcntl(fd, F_OFD_SETLK, &(struct flock){l_type, SEEK_SET, start, len})`—
/// Takes (`kind`), changes or releases (`None`) an open-file-description
/// record lock on bytes `start ..` (`len` 0: to the end, however far), at
/// once: a conflicting lock of another owner fails with `EAGAIN`. The lock
/// is owned by the open file, not the process, and goes when it closes.
///
/// # Preconditions
/// `start` and `len` are not negative and their sum fits in `off_t`.
///
/// See [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html),
/// "Open file description locks".
pub fn fcntl_ofd_setlk(
    fd: BorrowedFd<'_>,
    kind: Option<LockKind>,
    start: i64,
    len: i64,
) -> Result<(), Errno> {
    let request = flock(lock_type(kind), start, len);
    queried(nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_OFD_SETLK(&request)).map(drop))
}

/// `fcntl(fd, F_OFD_GETLK, &(struct flock){l_type, SEEK_SET, start, len})`—
/// Returns a lock of another owner (an open file, or a process's `fcntl`
/// lock) that would keep a lock of `kind` on bytes `start ..` from being
/// taken: its kind, start and length (0: to the end); `None` if it could be
/// taken now.
///
/// # Preconditions
/// `start` and `len` are not negative and their sum fits in `off_t`.
///
/// See [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html),
/// "Open file description locks".
pub fn fcntl_ofd_getlk(
    fd: BorrowedFd<'_>,
    kind: LockKind,
    start: i64,
    len: i64,
) -> Result<Option<(LockKind, i64, i64)>, Errno> {
    let mut request = flock(lock_type(Some(kind)), start, len);
    queried(nix::fcntl::fcntl(
        fd,
        nix::fcntl::FcntlArg::F_OFD_GETLK(&mut request),
    ))?;
    Ok(match libc::c_int::from(request.l_type) {
        libc::F_RDLCK => Some((LockKind::Shared, request.l_start, request.l_len)),
        libc::F_WRLCK => Some((LockKind::Exclusive, request.l_start, request.l_len)),
        _ => None,
    })
}

/// `poll(&(struct pollfd){fd, events}, 1, timeout_ms)`—Waits until `fd` is
/// ready for `events` (or has hung up, or failed), at most `timeout`
/// (`PollTimeout::NONE`: for ever; `ZERO`: not at all); returns the events
/// that happened (empty on timeout). Retried on `EINTR`.
///
/// See [poll(2)](https://man7.org/linux/man-pages/man2/poll.2.html).
pub fn poll(
    fd: BorrowedFd<'_>,
    events: PollFlags,
    timeout: PollTimeout,
) -> Result<PollFlags, Errno> {
    loop {
        let mut fds = [PollFd::new(fd, events)];
        match queried(nix::poll::poll(&mut fds, timeout)) {
            Err(Errno::EINTR) => continue,
            Err(errno) => return Err(errno),
            Ok(_) => {
                return Ok(fds
                    .iter()
                    .find_map(PollFd::revents)
                    .unwrap_or(PollFlags::empty()));
            }
        }
    }
}

/// `poll(&[{fd, events}, {other, other_events}], 2, timeout_ms)`—Waits
/// until `fd` or `other` is ready (or has hung up, or failed), at most
/// `timeout`; returns the events of each (both empty on timeout). Retried
/// on `EINTR`.
///
/// See [poll(2)](https://man7.org/linux/man-pages/man2/poll.2.html).
pub fn poll2(
    fd: BorrowedFd<'_>,
    events: PollFlags,
    other: BorrowedFd<'_>,
    other_events: PollFlags,
    timeout: PollTimeout,
) -> Result<(PollFlags, PollFlags), Errno> {
    loop {
        let mut fds = [PollFd::new(fd, events), PollFd::new(other, other_events)];
        match queried(nix::poll::poll(&mut fds, timeout)) {
            Err(Errno::EINTR) => continue,
            Err(errno) => return Err(errno),
            Ok(_) => {
                let [a, b] = fds.map(|fd| fd.revents().unwrap_or(PollFlags::empty()));
                return Ok((a, b));
            }
        }
    }
}

/// `eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)`—Makes an event counter FD:
/// readable while its count is not 0.
///
/// See [eventfd(2)](https://man7.org/linux/man-pages/man2/eventfd.2.html).
pub fn eventfd() -> Result<OwnedFd, Errno> {
    use rustix::event::EventfdFlags;
    queried(rustix::event::eventfd(
        0,
        EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK,
    ))
    .map_err(from_rustix)
}

/// `write(fd, &1u64, 8)` on an eventfd—Adds 1 to its count, making it
/// readable. A count at its maximum (`EAGAIN`) is readable already.
///
/// See [eventfd(2)](https://man7.org/linux/man-pages/man2/eventfd.2.html).
pub fn eventfd_signal(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    match queried(nix::unistd::write(fd, &1u64.to_ne_bytes())) {
        Ok(_) | Err(Errno::EAGAIN) => Ok(()),
        Err(errno) => Err(errno),
    }
}

/// `read(fd, &count, 8)` on an eventfd—Resets its count to 0 (not
/// readable); a count of 0 already (`EAGAIN`) is no error.
///
/// See [eventfd(2)](https://man7.org/linux/man-pages/man2/eventfd.2.html).
pub fn eventfd_drain(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let mut count = [0u8; 8];
    match queried(nix::unistd::read(fd, &mut count)) {
        Ok(_) | Err(Errno::EAGAIN) => Ok(()),
        Err(errno) => Err(errno),
    }
}

/// `fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW)`—Returns the metadata of a
/// directory entry, of a symlink itself.
///
/// See [fstatat(2)](https://man7.org/linux/man-pages/man2/fstatat.2.html).
pub fn fstatat_nofollow(dirfd: BorrowedFd<'_>, name: &[u8]) -> Result<FileStat, Errno> {
    #[cfg(test)]
    test_hook::check_stale(dirfd)?;
    let st = queried(nix::sys::stat::fstatat(
        dirfd,
        name,
        AtFlags::AT_SYMLINK_NOFOLLOW,
    ));
    #[cfg(test)]
    test_hook::after_lookup(&String::from_utf8_lossy(name));
    st
}

/// `fstatfs(fd)`—Returns the statistics of the filesystem holding a file.
///
/// See [fstatfs(2)](https://man7.org/linux/man-pages/man2/fstatfs.2.html).
pub fn fstatfs(fd: BorrowedFd<'_>) -> Result<Statfs, Errno> {
    queried(nix::sys::statfs::fstatfs(fd))
}

/// Counts a change some other process (or thread, or stream) made that a
/// kernel notification told of: the stat memos resting on [`changes`]
/// stop holding, as after a change through directfs.
pub(crate) fn note_notified_change() {
    CHANGES.fetch_add(1, Ordering::Relaxed);
}

/// `readlinkat(dirfd, name)`—Returns the target of symlink `name` in
/// directory `dirfd`; with `name` empty, of the symlink `dirfd` itself was
/// opened on (with `O_PATH | O_NOFOLLOW`).
///
/// See [readlinkat(2)](https://man7.org/linux/man-pages/man2/readlinkat.2.html).
pub fn readlinkat(dirfd: BorrowedFd<'_>, name: &str) -> Result<std::ffi::OsString, Errno> {
    #[cfg(test)]
    test_hook::check_stale(dirfd)?;
    // It may change the symlink's access time.
    let target = counted(nix::fcntl::readlinkat(dirfd, name));
    #[cfg(test)]
    test_hook::after_lookup(name);
    target
}

/// `mkdirat(dirfd, name, mode)`—Creates a directory.
///
/// See [mkdirat(2)](https://man7.org/linux/man-pages/man2/mkdirat.2.html).
pub fn mkdirat(dirfd: BorrowedFd<'_>, name: &str, mode: Mode) -> Result<(), Errno> {
    counted(nix::sys::stat::mkdirat(dirfd, name, mode))
}

/// `mknodat(dirfd, name, S_IFREG | mode, 0)`—Creates an empty regular file.
/// (directfs makes no other kind of node.)
///
/// See [mknodat(2)](https://man7.org/linux/man-pages/man2/mknodat.2.html).
pub fn mknodat_regular(dirfd: BorrowedFd<'_>, name: &str, mode: Mode) -> Result<(), Errno> {
    counted(nix::sys::stat::mknodat(
        dirfd,
        name,
        SFlag::S_IFREG,
        mode,
        0,
    ))
}

/// `symlinkat(target, dirfd, name)`—Creates a symlink holding `target`.
///
/// See [symlinkat(2)](https://man7.org/linux/man-pages/man2/symlinkat.2.html).
pub fn symlinkat(target: &str, dirfd: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    counted(nix::unistd::symlinkat(target, dirfd, name))
}

/// `linkat(fd, "", newdirfd, newname, AT_EMPTY_PATH)`—Creates a hard link to
/// exactly the file `fd` refers to (needs `CAP_DAC_READ_SEARCH`, else
/// `EPERM` or `ENOENT`).
///
/// See [linkat(2)](https://man7.org/linux/man-pages/man2/linkat.2.html).
pub fn linkat_empty(
    fd: BorrowedFd<'_>,
    newdirfd: BorrowedFd<'_>,
    newname: &str,
) -> Result<(), Errno> {
    counted(nix::unistd::linkat(
        fd,
        "",
        newdirfd,
        newname,
        AtFlags::AT_EMPTY_PATH,
    ))
}

/// `fcntl(fd, F_DUPFD_CLOEXEC, 0)`—Duplicates an FD (same open file).
///
/// See [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html).
pub fn dup_cloexec(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    queried(rustix::io::fcntl_dupfd_cloexec(fd, 0)).map_err(from_rustix)
}

/// `linkat(olddirfd, oldname, newdirfd, newname, 0)`—Creates a hard link; a
/// symlink as `oldname` is linked itself, not followed.
///
/// See [linkat(2)](https://man7.org/linux/man-pages/man2/linkat.2.html).
pub fn linkat(
    olddirfd: BorrowedFd<'_>,
    oldname: &str,
    newdirfd: BorrowedFd<'_>,
    newname: &str,
) -> Result<(), Errno> {
    counted(nix::unistd::linkat(
        olddirfd,
        oldname,
        newdirfd,
        newname,
        AtFlags::empty(),
    ))
}

/// `renameat2(olddirfd, oldname, newdirfd, newname, flags)`—Renames, or with
/// `RENAME_EXCHANGE` swaps, directory entries.
///
/// See [renameat2(2)](https://man7.org/linux/man-pages/man2/renameat2.2.html).
pub fn renameat2(
    olddirfd: BorrowedFd<'_>,
    oldname: &str,
    newdirfd: BorrowedFd<'_>,
    newname: &str,
    flags: RenameFlags,
) -> Result<(), Errno> {
    counted(nix::fcntl::renameat2(
        olddirfd, oldname, newdirfd, newname, flags,
    ))
}

/// `fchmod(fd, mode)`—Changes the permission bits of an open file.
///
/// See [fchmod(2)](https://man7.org/linux/man-pages/man2/fchmod.2.html).
pub fn fchmod(fd: BorrowedFd<'_>, mode: Mode) -> Result<(), Errno> {
    counted(nix::sys::stat::fchmod(fd, mode))
}

/// `fchmodat(dirfd, name, mode, AT_SYMLINK_NOFOLLOW)`—Changes the permission
/// bits of a directory entry, never following a symlink (a symlink itself
/// gives `EOPNOTSUPP`: Linux symlinks have no mode).
///
/// See [fchmodat(2)](https://man7.org/linux/man-pages/man2/fchmodat.2.html).
pub fn fchmodat_nofollow(dirfd: BorrowedFd<'_>, name: &str, mode: Mode) -> Result<(), Errno> {
    counted(nix::sys::stat::fchmodat(
        dirfd,
        name,
        mode,
        FchmodatFlags::NoFollowSymlink,
    ))
}

/// `fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)`—Changes
/// the owner of the file `fd` refers to (a symlink itself for an `O_PATH`
/// FD). `None` leaves an ID as it is.
///
/// See [fchownat(2)](https://man7.org/linux/man-pages/man2/fchownat.2.html).
pub fn fchownat_empty(fd: BorrowedFd<'_>, uid: Option<u32>, gid: Option<u32>) -> Result<(), Errno> {
    let flags = AtFlags::AT_EMPTY_PATH | AtFlags::AT_SYMLINK_NOFOLLOW;
    let uid = uid.map(nix::unistd::Uid::from_raw);
    let gid = gid.map(nix::unistd::Gid::from_raw);
    counted(nix::unistd::fchownat(fd, "", uid, gid, flags))
}

/// The `timespec` of a [`SetTime`] for [`futimens`] and [`utimensat_nofollow`]:
/// `UTIME_OMIT`, `UTIME_NOW` or the time (nanoseconds past 999,999,999:
/// `EINVAL`). Issues no syscall.
pub fn time_spec(time: &SetTime) -> Result<TimeSpec, Errno> {
    match time {
        SetTime::Omit => Ok(TimeSpec::UTIME_OMIT),
        SetTime::Now => Ok(TimeSpec::UTIME_NOW),
        SetTime::At(t) if t.nanoseconds < 1_000_000_000 => {
            Ok(TimeSpec::new(t.seconds, i64::from(t.nanoseconds)))
        }
        SetTime::At(_) => Err(Errno::EINVAL),
    }
}

/// `futimens(fd, times)`—Sets the access and modification times of an open
/// file (`UTIME_OMIT` / `UTIME_NOW` allowed).
///
/// See [futimens(3)](https://man7.org/linux/man-pages/man3/futimens.3.html).
pub fn futimens(fd: BorrowedFd<'_>, atime: &TimeSpec, mtime: &TimeSpec) -> Result<(), Errno> {
    counted(nix::sys::stat::futimens(fd, atime, mtime))
}

/// `utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW)`—Sets the times of a
/// directory entry, of a symlink itself.
///
/// See [utimensat(2)](https://man7.org/linux/man-pages/man2/utimensat.2.html).
pub fn utimensat_nofollow(
    dirfd: BorrowedFd<'_>,
    name: &str,
    atime: &TimeSpec,
    mtime: &TimeSpec,
) -> Result<(), Errno> {
    counted(nix::sys::stat::utimensat(
        dirfd,
        name,
        atime,
        mtime,
        UtimensatFlags::NoFollowSymlink,
    ))
}

/// `ftruncate(fd, size)`—Sets the size of a file open for writing.
///
/// See [ftruncate(2)](https://man7.org/linux/man-pages/man2/ftruncate.2.html).
pub fn ftruncate(fd: BorrowedFd<'_>, size: i64) -> Result<(), Errno> {
    counted(nix::unistd::ftruncate(fd, size))
}

/// `fallocate(fd, 0, offset, len)`—Allocates space for a range of a file.
///
/// See [fallocate(2)](https://man7.org/linux/man-pages/man2/fallocate.2.html).
pub fn fallocate(fd: BorrowedFd<'_>, offset: i64, len: i64) -> Result<(), Errno> {
    counted(nix::fcntl::fallocate(
        fd,
        nix::fcntl::FallocateFlags::empty(),
        offset,
        len,
    ))
}

/// `fsync(fd)`—Flushes a file's data and metadata to storage.
///
/// See [fsync(2)](https://man7.org/linux/man-pages/man2/fsync.2.html).
pub fn fsync(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    queried(nix::unistd::fsync(fd))
}

/// `fdatasync(fd)`—Flushes a file's data to storage.
///
/// See [fdatasync(2)](https://man7.org/linux/man-pages/man2/fdatasync.2.html).
pub fn fdatasync(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    queried(nix::unistd::fdatasync(fd))
}

/// `fgetxattr(fd, name, NULL, 0)`—Returns the size of an extended attribute's
/// value.
///
/// See [fgetxattr(2)](https://man7.org/linux/man-pages/man2/fgetxattr.2.html).
pub fn fgetxattr_size(fd: BorrowedFd<'_>, name: &str) -> Result<usize, Errno> {
    queried(rustix::fs::fgetxattr_query(fd, name).map_err(from_rustix))
}

/// `fgetxattr(fd, name, buf)`—Reads an extended attribute's value into `buf`;
/// returns its length (`ERANGE` if `buf` is too small).
///
/// See [fgetxattr(2)](https://man7.org/linux/man-pages/man2/fgetxattr.2.html).
pub fn fgetxattr(fd: BorrowedFd<'_>, name: &str, buf: &mut [u8]) -> Result<usize, Errno> {
    queried(rustix::fs::fgetxattr(fd, name, buf).map_err(from_rustix))
}

/// `fsetxattr(fd, name, value, flags)`—Sets an extended attribute
/// (`XATTR_CREATE` / `XATTR_REPLACE` in `flags`).
///
/// See [fsetxattr(2)](https://man7.org/linux/man-pages/man2/fsetxattr.2.html).
pub fn fsetxattr(
    fd: BorrowedFd<'_>,
    name: &str,
    value: &[u8],
    flags: XattrFlags,
) -> Result<(), Errno> {
    counted(rustix::fs::fsetxattr(fd, name, value, flags).map_err(from_rustix))
}

/// `flistxattr(fd, NULL, 0)`—Returns the size of the list of extended
/// attribute names.
///
/// See [flistxattr(2)](https://man7.org/linux/man-pages/man2/flistxattr.2.html).
pub fn flistxattr_size(fd: BorrowedFd<'_>) -> Result<usize, Errno> {
    queried(rustix::fs::flistxattr_query(fd).map_err(from_rustix))
}

/// `flistxattr(fd, buf)`—Reads the NUL-separated extended attribute names
/// into `buf`; returns their length (`ERANGE` if `buf` is too small).
///
/// See [flistxattr(2)](https://man7.org/linux/man-pages/man2/flistxattr.2.html).
pub fn flistxattr(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    queried(rustix::fs::flistxattr(fd, buf).map_err(from_rustix))
}

/// `fremovexattr(fd, name)`—Removes an extended attribute.
///
/// See [fremovexattr(2)](https://man7.org/linux/man-pages/man2/fremovexattr.2.html).
pub fn fremovexattr(fd: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    counted(rustix::fs::fremovexattr(fd, name).map_err(from_rustix))
}

/// `unlinkat(dirfd, name, 0)`—Removes a non-directory, or,
/// `unlinkat(dirfd, name, AT_REMOVEDIR)`—Removes an empty directory.
///
/// See [unlinkat(2)](https://man7.org/linux/man-pages/man2/unlinkat.2.html).
pub fn unlinkat(dirfd: BorrowedFd<'_>, name: &str, flags: UnlinkatFlags) -> Result<(), Errno> {
    #[cfg(test)]
    test_hook::check_stale(dirfd)?;
    counted(nix::unistd::unlinkat(dirfd, name, flags))
}

/// `pread(fd, buf, offset)`—Reads at an offset, without moving the file
/// offset, into the spare capacity of `buf` (appending, without zeroing it
/// first). Returns the number of bytes read (0 at end of file).
///
/// See [pread(2)](https://man7.org/linux/man-pages/man2/pread.2.html).
pub fn pread(fd: BorrowedFd<'_>, buf: &mut Vec<u8>, offset: u64) -> Result<usize, Errno> {
    if buf.spare_capacity_mut().is_empty() {
        // rustix's `spare_capacity` asserts there is room; a zero-byte
        // read still goes to the kernel, for its checks.
        return pread_into(fd, &mut [], offset);
    }
    counted(rustix::io::pread(
        fd,
        rustix::buffer::spare_capacity(buf),
        offset,
    ))
    .map_err(from_rustix)
}

/// `pread(fd, buf, offset)`—Reads at an offset, without moving the file
/// offset, into all of `buf` (a guest's own buffer: WASI 0.3 streams read
/// file data with this one copy). Returns the number of bytes read (0 at
/// end of file).
///
/// See [pread(2)](https://man7.org/linux/man-pages/man2/pread.2.html).
pub fn pread_into(fd: BorrowedFd<'_>, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
    counted(rustix::io::pread(fd, buf, offset)).map_err(from_rustix)
}

/// `pwrite(fd, buf, offset)`—Writes at an offset, without moving the file
/// offset (on an `O_APPEND` FD, Linux writes at the end whatever the offset).
/// Returns the number of bytes written.
///
/// See [pwrite(2)](https://man7.org/linux/man-pages/man2/pwrite.2.html).
pub fn pwrite(fd: BorrowedFd<'_>, buf: &[u8], offset: i64) -> Result<usize, Errno> {
    counted(nix::sys::uio::pwrite(fd, buf, offset))
}

/// `pwritev2(fd, [buf], 0, RWF_APPEND)`—Appends at the end of the file,
/// atomically, as on an `O_APPEND` FD, without changing the FD's flags.
/// Returns the number of bytes written.
///
/// See [pwritev2(2)](https://man7.org/linux/man-pages/man2/pwritev2.2.html).
pub fn pwritev2_append(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<usize, Errno> {
    let bufs = [std::io::IoSlice::new(buf)];
    counted(rustix::io::pwritev2(
        fd,
        &bufs,
        0,
        rustix::io::ReadWriteFlags::APPEND,
    ))
    .map_err(from_rustix)
}

/// `posix_fadvise(fd, offset, len, advice)`—Declares an access pattern
/// (`len` 0: to the end of the file).
///
/// See [posix_fadvise(2)](https://man7.org/linux/man-pages/man2/posix_fadvise.2.html).
pub fn posix_fadvise(
    fd: BorrowedFd<'_>,
    offset: u64,
    len: u64,
    advice: Advice,
) -> Result<(), Errno> {
    queried(rustix::fs::fadvise(
        fd,
        offset,
        std::num::NonZeroU64::new(len),
        advice,
    ))
    .map_err(from_rustix)
}

/// `read(fd, buf)`—Reads from the file offset (for files that cannot seek:
/// FIFOs, sockets, character devices), into the spare capacity of `buf`.
///
/// See [read(2)](https://man7.org/linux/man-pages/man2/read.2.html).
pub fn read(fd: BorrowedFd<'_>, buf: &mut Vec<u8>) -> Result<usize, Errno> {
    if buf.spare_capacity_mut().is_empty() {
        // As in `pread`: a zero-byte read, made.
        return read_into(fd, &mut []);
    }
    counted(rustix::io::read(fd, rustix::buffer::spare_capacity(buf))).map_err(from_rustix)
}

/// `read(fd, buf)`—Reads from the file offset (for files that cannot seek)
/// into all of `buf`.
///
/// See [read(2)](https://man7.org/linux/man-pages/man2/read.2.html).
pub fn read_into(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    counted(rustix::io::read(fd, buf)).map_err(from_rustix)
}

/// `write(fd, buf)`—Writes at the file offset (for files that cannot seek).
///
/// See [write(2)](https://man7.org/linux/man-pages/man2/write.2.html).
pub fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<usize, Errno> {
    counted(nix::unistd::write(fd, buf))
}

/// One entry read by [`getdents64`].
#[derive(Debug)]
pub struct Dirent<'a> {
    /// The entry's name, as the host has it (any bytes but `/` and NUL).
    pub name: &'a [u8],
    /// `d_ino`: the host inode number.
    pub ino: u64,
    /// `d_type`: the file type, `Unknown` on filesystems that do not fill it.
    pub kind: DirentType,
    /// The cookie that reads the directory again from this entry on.
    pub position: u64,
}

/// `lseek(fd, cookie, SEEK_SET)` then `getdents64(fd, …)` until `each` breaks
/// or the directory ends—Reads a directory from a position.
///
/// `cookie` is 0 or a value this function returned. `.` and `..` are skipped.
/// Returns the cookie of the entry after the last one `each` accepted when
/// `each` broke (`Some`), or `None` at the end of the directory. An entry
/// `each` breaks on is not consumed: the returned cookie points at it.
/// Each `getdents64` reads up to `buf_bytes` (between 1 KiB and
/// [`DIRENT_BUF_BYTES`]): a caller that needs few entries reads little
/// past them.
///
/// # Preconditions
/// `fd` is a directory opened for reading; nothing else uses its file offset
/// concurrently.
///
/// See [getdents64(2)](https://man7.org/linux/man-pages/man2/getdents64.2.html)
/// and [lseek(2)](https://man7.org/linux/man-pages/man2/lseek.2.html).
pub fn getdents64(
    fd: BorrowedFd<'_>,
    cookie: u64,
    buf_bytes: usize,
    mut each: impl FnMut(Dirent<'_>) -> ControlFlow<()>,
) -> Result<Option<u64>, Errno> {
    counted(rustix::fs::seek(fd, rustix::fs::SeekFrom::Start(cookie))).map_err(from_rustix)?;
    let mut buf = Vec::with_capacity(buf_bytes.clamp(DIRENT_BUF_MIN, DIRENT_BUF_BYTES));
    let mut dir = rustix::fs::RawDir::new(fd, buf.spare_capacity_mut());
    let mut position = cookie;
    loop {
        if dir.is_buffer_empty() {
            counted(());
        }
        let Some(entry) = dir.next() else { break };
        let entry = entry.map_err(from_rustix)?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            let dirent = Dirent {
                name,
                ino: entry.ino(),
                kind: entry.file_type(),
                position,
            };
            if each(dirent).is_break() {
                return Ok(Some(position));
            }
        }
        position = entry.next_entry_cookie();
    }
    Ok(None)
}

fn from_rustix(err: rustix::io::Errno) -> Errno {
    Errno::from_raw(err.raw_os_error())
}

/// Test builds: hooks into the lookups (see the module).
mod epoll;
mod inotify;
mod uring;

#[cfg(test)]
pub(crate) mod test_hook;
