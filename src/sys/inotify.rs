//! inotify(7): an instance, its watches, and its events read and parsed
//! in place (no allocation), for [`crate::watch`].

use std::os::fd::{BorrowedFd, OwnedFd};

use nix::errno::Errno;
pub use rustix::fs::inotify::{ReadFlags, WatchFlags};

use super::{from_rustix, queried};

/// `inotify_init1(IN_NONBLOCK | IN_CLOEXEC)`—Makes an inotify instance
/// whose reads never wait.
///
/// C: `int inotify_init1(int flags);`
/// ([inotify_init1(2)](https://man7.org/linux/man-pages/man2/inotify_init1.2.html))
pub fn inotify_init1() -> Result<OwnedFd, Errno> {
    use rustix::fs::inotify::CreateFlags;
    queried(rustix::fs::inotify::init(
        CreateFlags::NONBLOCK | CreateFlags::CLOEXEC,
    ))
    .map_err(from_rustix)
}

/// A watch on an inotify instance, as [`inotify_add_watch`] returns it and
/// events name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WatchDescriptor(i32);

impl WatchDescriptor {
    /// The watch descriptor numbered `wd` (as `/proc/self/fdinfo` lists it).
    #[cfg(test)]
    pub(crate) fn for_test(wd: i32) -> Self {
        Self(wd)
    }
}

/// `inotify_add_watch(inotify, "/proc/self/fd/N", mask)`, `N` being
/// `fd`—Watches the file `fd` is open on (inotify takes no FD: the kernel
/// resolves the `/proc` magic link to `fd`'s own open file, whatever its
/// name now; no host path is walked). A file already watched gets its
/// existing watch descriptor back.
///
/// C: `int inotify_add_watch(int fd, const char *pathname, uint32_t mask);`
/// ([inotify_add_watch(2)](https://man7.org/linux/man-pages/man2/inotify_add_watch.2.html))
pub fn inotify_add_watch(
    inotify: BorrowedFd<'_>,
    fd: BorrowedFd<'_>,
    mask: WatchFlags,
) -> Result<WatchDescriptor, Errno> {
    use std::os::fd::AsRawFd;
    let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
    queried(rustix::fs::inotify::add_watch(inotify, path.as_str(), mask))
        .map(WatchDescriptor)
        .map_err(from_rustix)
}

/// `inotify_add_watch(inotify, "/proc/self/fd/N/NAME", mask |
/// IN_DONT_FOLLOW)`, `N` being `dir`—Watches the file `name` is in
/// directory `dir` now, not following a final symlink: the kernel
/// resolves the magic link to `dir`'s own open directory, then the one
/// name in it, as an `*at` call does (no host path is walked). A file
/// already watched gets its existing watch descriptor back.
///
/// # Preconditions
/// `name` is one path component: not empty, no `/`, not `.` or `..` (a
/// [`crate::name::Name`]).
///
/// C: `int inotify_add_watch(int fd, const char *pathname, uint32_t mask);`
/// ([inotify_add_watch(2)](https://man7.org/linux/man-pages/man2/inotify_add_watch.2.html))
pub fn inotify_add_watch_at(
    inotify: BorrowedFd<'_>,
    dir: BorrowedFd<'_>,
    name: &str,
    mask: WatchFlags,
) -> Result<WatchDescriptor, Errno> {
    use std::os::fd::AsRawFd;
    let path = format!("/proc/self/fd/{}/{name}", dir.as_raw_fd());
    let mask = mask | WatchFlags::DONT_FOLLOW;
    queried(rustix::fs::inotify::add_watch(inotify, path.as_str(), mask))
        .map(WatchDescriptor)
        .map_err(from_rustix)
}

/// `inotify_rm_watch(inotify, wd)`—Removes a watch (the kernel queues an
/// `IN_IGNORED` event for it).
///
/// C: `int inotify_rm_watch(int fd, int wd);`
/// ([inotify_rm_watch(2)](https://man7.org/linux/man-pages/man2/inotify_rm_watch.2.html))
pub fn inotify_rm_watch(inotify: BorrowedFd<'_>, wd: WatchDescriptor) -> Result<(), Errno> {
    queried(rustix::fs::inotify::remove_watch(inotify, wd.0)).map_err(from_rustix)
}

/// `ioctl(inotify, FIONREAD, &n)`—How many bytes of events are queued on
/// an inotify instance.
///
/// C: `int ioctl(int fd, FIONREAD, int *n);`
/// ([inotify(7)](https://man7.org/linux/man-pages/man7/inotify.7.html),
/// [ioctl(2)](https://man7.org/linux/man-pages/man2/ioctl.2.html))
#[cfg(test)]
pub fn inotify_queued_bytes(inotify: BorrowedFd<'_>) -> Result<u64, Errno> {
    queried(rustix::io::ioctl_fionread(inotify)).map_err(from_rustix)
}

/// The size of `struct inotify_event` without its name.
pub(crate) const INOTIFY_EVENT_HEADER: usize = 16;

/// `read(inotify, buf, buf.len())`—The events queued on an inotify
/// instance, read into `buf` (no allocation; `buf` need not be
/// initialized), `EAGAIN` when there are none (it never waits: see
/// [`inotify_init1`]). The kernel copies whole events only, each a
/// `struct inotify_event` and its name padded with NULs.
///
/// C: `ssize_t read(int fd, void *buf, size_t count);`
/// ([inotify(7)](https://man7.org/linux/man-pages/man7/inotify.7.html))
pub fn read_inotify<'b>(
    inotify: BorrowedFd<'_>,
    buf: &'b mut [std::mem::MaybeUninit<u8>],
) -> Result<InotifyRead<'b>, Errno> {
    let (bytes, _) = queried(rustix::io::read(inotify, buf)).map_err(from_rustix)?;
    Ok(InotifyRead {
        len: bytes.len(),
        rest: bytes,
    })
}

/// The events of one [`read_inotify`], parsed in place.
#[derive(Debug)]
pub struct InotifyRead<'b> {
    /// How many bytes the read returned.
    pub len: usize,
    /// The events not parsed yet.
    rest: &'b [u8],
}

/// One event of an [`InotifyRead`].
#[derive(Debug, Clone, Copy)]
pub struct InotifyEvent<'b> {
    /// The watch it is for.
    pub wd: WatchDescriptor,
    /// What happened.
    pub mask: ReadFlags,
    /// The name in the watched directory it is about, if any (without
    /// its NUL padding).
    pub name: Option<&'b [u8]>,
}

impl InotifyRead<'_> {
    /// Whether bytes were left that do not make a whole event (never from
    /// Linux, which copies whole events only): the reader must take events
    /// as lost.
    pub fn torn(&self) -> bool {
        !self.rest.is_empty()
    }
}

impl<'b> Iterator for InotifyRead<'b> {
    type Item = InotifyEvent<'b>;

    fn next(&mut self) -> Option<InotifyEvent<'b>> {
        let field = |at: usize| -> Option<[u8; 4]> { self.rest.get(at..at + 4)?.try_into().ok() };
        let wd = i32::from_ne_bytes(field(0)?);
        let mask = u32::from_ne_bytes(field(4)?);
        let len = usize::try_from(u32::from_ne_bytes(field(12)?)).ok()?;
        let (event, rest) = self
            .rest
            .split_at_checked(INOTIFY_EVENT_HEADER.checked_add(len)?)?;
        let name = event.get(INOTIFY_EVENT_HEADER..)?;
        self.rest = rest;
        let name = name.split(|&b| b == 0).next().filter(|n| !n.is_empty());
        Some(InotifyEvent {
            wd: WatchDescriptor(wd),
            mask: ReadFlags::from_bits_retain(mask),
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `struct inotify_event` as the kernel lays it out, its name padded
    /// with NULs to `len` bytes.
    fn event(wd: i32, mask: u32, name: &[u8], len: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        for field in [
            wd.to_ne_bytes(),
            mask.to_ne_bytes(),
            [0; 4],
            len.to_ne_bytes(),
        ] {
            bytes.extend(field);
        }
        bytes.extend(name);
        bytes.resize(INOTIFY_EVENT_HEADER + len as usize, 0);
        bytes
    }

    #[test]
    fn inotify_events_are_parsed_in_place_and_a_torn_one_is_told() {
        let mut bytes = event(3, 0x100, b"f", 16);
        bytes.extend(event(4, 0x400, b"", 0));
        bytes.extend(event(5, 0x40, &[b'n'; 16], 32));
        let whole = bytes.len();
        // A header cut short, then one whose name runs past the end.
        for torn in [
            &event(6, 0x100, b"g", 16)[..10],
            &event(6, 0x100, b"g", 16)[..20],
        ] {
            let mut bytes = bytes.clone();
            bytes.extend(torn);
            let mut read = InotifyRead {
                len: bytes.len(),
                rest: &bytes,
            };
            let parsed: Vec<(WatchDescriptor, u32, Option<&[u8]>)> = read
                .by_ref()
                .map(|e| (e.wd, e.mask.bits(), e.name))
                .collect();
            assert_eq!(
                parsed,
                [
                    (WatchDescriptor(3), 0x100, Some(&b"f"[..])),
                    (WatchDescriptor(4), 0x400, None),
                    (WatchDescriptor(5), 0x40, Some(&[b'n'; 16][..])),
                ]
            );
            assert!(read.torn());
        }
        let mut read = InotifyRead {
            len: whole,
            rest: &bytes,
        };
        assert_eq!(read.by_ref().count(), 3);
        assert!(!read.torn());
    }
}
