//! The host syscalls directfs issues — the only module that issues any.
//!
//! Each wrapper is named after its syscall and takes [`BorrowedFd`]s (never a
//! raw `i32`). Every open here adds `O_NOFOLLOW | O_CLOEXEC`, so no caller can
//! forget them: the kernel never follows a symlink on a guest's behalf, and no
//! host FD leaks into a child process. `name` arguments are single path
//! components already checked by [`crate::name::Name`] (or the literal `"."`).
//!
//! The wrappers go through `nix`, except `getdents64`, which `nix` does not
//! wrap; it goes through `rustix`'s safe `RawDir`.

use std::ops::ControlFlow;
use std::os::fd::{BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{FileStat, Mode};
use nix::unistd::UnlinkatFlags;

pub use rustix::fs::FileType as DirentType;

/// The flags every open of a guest-reachable file carries.
const OPEN_FLAGS: OFlag = OFlag::O_NOFOLLOW.union(OFlag::O_CLOEXEC);

/// How much `getdents64` reads per call.
const DIRENT_BUF_BYTES: usize = 32 * 1024;

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
    nix::fcntl::openat(dirfd, name, flags | OPEN_FLAGS, mode)
}

/// `fstat(fd)`—Returns the metadata of an open file.
///
/// See [fstat(2)](https://man7.org/linux/man-pages/man2/fstat.2.html).
pub fn fstat(fd: BorrowedFd<'_>) -> Result<FileStat, Errno> {
    nix::sys::stat::fstat(fd)
}

/// `mkdirat(dirfd, name, mode)`—Creates a directory.
///
/// See [mkdirat(2)](https://man7.org/linux/man-pages/man2/mkdirat.2.html).
pub fn mkdirat(dirfd: BorrowedFd<'_>, name: &str, mode: Mode) -> Result<(), Errno> {
    nix::sys::stat::mkdirat(dirfd, name, mode)
}

/// `unlinkat(dirfd, name, 0)`—Removes a non-directory, or,
/// `unlinkat(dirfd, name, AT_REMOVEDIR)`—Removes an empty directory.
///
/// See [unlinkat(2)](https://man7.org/linux/man-pages/man2/unlinkat.2.html).
pub fn unlinkat(dirfd: BorrowedFd<'_>, name: &str, flags: UnlinkatFlags) -> Result<(), Errno> {
    nix::unistd::unlinkat(dirfd, name, flags)
}

/// `pread(fd, buf, offset)`—Reads at an offset, without moving the file
/// offset. Returns the number of bytes read (0 at end of file).
///
/// See [pread(2)](https://man7.org/linux/man-pages/man2/pread.2.html).
pub fn pread(fd: BorrowedFd<'_>, buf: &mut [u8], offset: i64) -> Result<usize, Errno> {
    nix::sys::uio::pread(fd, buf, offset)
}

/// `pwrite(fd, buf, offset)`—Writes at an offset, without moving the file
/// offset (on an `O_APPEND` FD, Linux writes at the end whatever the offset).
/// Returns the number of bytes written.
///
/// See [pwrite(2)](https://man7.org/linux/man-pages/man2/pwrite.2.html).
pub fn pwrite(fd: BorrowedFd<'_>, buf: &[u8], offset: i64) -> Result<usize, Errno> {
    nix::sys::uio::pwrite(fd, buf, offset)
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
}

/// `lseek(fd, cookie, SEEK_SET)` then `getdents64(fd, …)` until `each` breaks
/// or the directory ends—Reads a directory from a position.
///
/// `cookie` is 0 or a value this function returned. `.` and `..` are skipped.
/// Returns the cookie of the entry after the last one `each` accepted when
/// `each` broke (`Some`), or `None` at the end of the directory. An entry
/// `each` breaks on is not consumed: the returned cookie points at it.
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
    mut each: impl FnMut(Dirent<'_>) -> ControlFlow<()>,
) -> Result<Option<u64>, Errno> {
    rustix::fs::seek(fd, rustix::fs::SeekFrom::Start(cookie)).map_err(from_rustix)?;
    let mut buf = Vec::with_capacity(DIRENT_BUF_BYTES);
    let mut dir = rustix::fs::RawDir::new(fd, buf.spare_capacity_mut());
    let mut position = cookie;
    while let Some(entry) = dir.next() {
        let entry = entry.map_err(from_rustix)?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            let dirent = Dirent {
                name,
                ino: entry.ino(),
                kind: entry.file_type(),
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
