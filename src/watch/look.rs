//! How a coherent drain asks the kernel first whether anything changed:
//! the look (see the parent module's "The look").

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;

#[cfg(doc)]
use super::{Instance, Queue, Watcher};
use crate::sys;

/// How a drain that expects no event of the tree's own asks first whether
/// anything changed (see "The look" in the module doc).
#[derive(Debug, Default)]
pub(super) enum Look {
    /// The first drain makes the ring.
    #[default]
    Untried,
    /// `epoll_wait` on [`Instance::ready`] (no io_uring here, or it failed):
    /// one syscall.
    Epoll,
    /// A ring of polls of the inotify instance and of the mount table,
    /// armed by one thread: on that thread, a quiet ring answers with no
    /// syscall; on another, or where it is not quiet, `epoll_wait` asks.
    Ring {
        /// Boxed: the ring's maps and queues are most of a [`Queue`].
        ring: Box<sys::Ring>,
        /// `/proc/self/mountinfo`, a second open for the ring's poll (the
        /// kernel tells each open file of a mount change once: this one's
        /// telling must not take it from [`Instance::ready`]'s).
        _mounts: OwnedFd,
        /// How many rings of this one's [`Watcher`] ended before it.
        made: u8,
    },
}

/// Whether the look may use io_uring: unless `DIRECTFS_IO_URING=0` is in
/// the environment (where a deployment keeps io_uring out of its audit,
/// or a test runs the `epoll_wait` look).
fn io_uring_allowed() -> bool {
    std::env::var_os("DIRECTFS_IO_URING").is_none_or(|value| value != "0")
}

/// [`Look::Ring`]'s key for the inotify instance.
const RING_INOTIFY: u8 = 0;

/// [`Look::Ring`]'s key for the mount table.
const RING_MOUNTS: u8 = 1;

impl Look {
    /// Whether nothing was woken since this thread's last drain
    /// ([`sys::Ring::quiet`]): no syscall.
    pub(super) fn quiet(&mut self) -> bool {
        match self {
            Self::Ring { ring, .. } => ring.quiet(),
            Self::Untried | Self::Epoll => false,
        }
    }

    /// Takes the ring's completions: whether the mount table's poll fired.
    pub(super) fn take(&mut self) -> bool {
        match self {
            Self::Ring { ring, .. } => ring.take() & (1 << RING_MOUNTS) != 0,
            Self::Untried | Self::Epoll => false,
        }
    }

    /// Right after a syscall of this thread's (the drain's `read`): what
    /// the ring's completions tell, where this thread armed it (its task
    /// work ran on the syscall's way back: a wake before the syscall has
    /// posted its completion): whether the mount table changed, and
    /// whether the inotify instance was woken (an event queued as the
    /// `read` ran, which it may not have taken: the queue is not known
    /// dry). `None` where the ring cannot tell (another thread's, a poll
    /// ended, no ring): then `epoll_wait` asks.
    pub(super) fn after_syscall(&mut self) -> Option<(bool, bool)> {
        match self {
            Self::Ring { ring, .. } if ring.owned_here() && !ring.ended() => {
                let fired = ring.take();
                let told = (
                    fired & (1 << RING_MOUNTS) != 0,
                    fired & (1 << RING_INOTIFY) != 0,
                );
                (!ring.ended()).then_some(told)
            }
            Self::Ring { .. } | Self::Untried | Self::Epoll => None,
        }
    }

    /// After a drain that settled: makes the ring (the first time), or
    /// makes it again from this thread where a poll of it ended (a kernel
    /// whose io_uring refuses the polls themselves would end each at once:
    /// at most [`MAX_RINGS`] times), or where the drains ran on other
    /// threads than the ring's [`MOVE_AFTER`] times in a row (its thread
    /// exited, or only set the filesystem up: the ring moves to the thread
    /// that drains; two threads that take turns keep it where it is). A
    /// ring that cannot be made leaves [`Look::Epoll`] for good.
    /// Returns whether the ring is the one the last drain looked by
    /// (`false` where it made one: a mount change before the new ring's
    /// open of the mount table is told to [`Instance::ready`] alone, so the
    /// next drain asks it).
    pub(super) fn ready(&mut self, inotify: BorrowedFd<'_>, strangers: &mut u8) -> bool {
        let made = match self {
            Self::Untried if io_uring_allowed() => 0,
            Self::Ring { ring, made, .. } if ring.ended() => made.saturating_add(1),
            Self::Ring { made, .. } if *strangers >= MOVE_AFTER => *made,
            Self::Untried => {
                *self = Self::Epoll;
                return true;
            }
            Self::Ring { .. } | Self::Epoll => return true,
        };
        *strangers = 0;
        *self = match made < MAX_RINGS {
            true => Self::armed(inotify, made).unwrap_or(Self::Epoll),
            false => Self::Epoll,
        };
        false
    }

    /// Whether this thread armed the ring.
    pub(super) fn owned_here(&self) -> bool {
        match self {
            Self::Ring { ring, .. } => ring.owned_here(),
            Self::Untried | Self::Epoll => false,
        }
    }

    /// A new ring, its polls armed by this thread; `made` rings ended
    /// before it.
    fn armed(inotify: BorrowedFd<'_>, made: u8) -> Result<Self, Errno> {
        let mut ring = sys::Ring::new()?;
        let mounts = sys::open_mountinfo()?;
        ring.arm(RING_INOTIFY, inotify, sys::POLL_IN)?;
        ring.arm(RING_MOUNTS, mounts.as_fd(), sys::POLL_PRI)?;
        Ok(Self::Ring {
            ring: Box::new(ring),
            _mounts: mounts,
            made,
        })
    }
}

/// How many of its rings' polls may end before a [`Watcher`] makes no
/// more ([`Look::ready`]).
const MAX_RINGS: u8 = 16;

/// How many drains in a row on threads other than the ring's make the
/// ring move to the thread of the last ([`Look::ready`]).
pub(super) const MOVE_AFTER: u8 = 64;
