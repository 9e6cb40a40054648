//! io_uring(7), for one thing only: a word of shared memory the kernel
//! sets, before a changing syscall returns, when an FD a coherent
//! filesystem watches becomes ready (an inotify instance queues an event,
//! the mount table changes) — so that a drain that finds nothing changed
//! reads that word and makes no syscall ([`crate::watch`]).
//!
//! A [`Ring`] holds multishot polls (`IORING_OP_POLL_ADD` with
//! `IORING_POLL_ADD_MULTI`) of those FDs. When the kernel wakes the waiters
//! of one (inotify as it queues an event, the mount namespace as it
//! attaches or detaches a mount: in the changing syscall, whoever makes
//! it), the poll's wake function adds task work for the thread that armed
//! the poll and sets `IORING_SQ_TASKRUN` in the ring's shared flags
//! (`IORING_SETUP_TASKRUN_FLAG`, Linux 5.19). The kernel clears that flag
//! only while the arming thread runs its task work, which then posts a
//! completion (if the FD is still ready) before that thread returns to user
//! space. So, on the arming thread and nowhere else, "the flag is clear and
//! no completion is queued" means: no wake since the last time this thread
//! ran its task work and took the completions — what [`Ring::quiet`] asks,
//! with three loads. (Another thread could see the flag cleared before the
//! completion is published: it never asks.)
//!
//! The ring's FD is `O_CLOEXEC` (always, for io_uring) and its memory is
//! not inherited by a child (`MADV_DONTFORK`).

use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicU64, Ordering};

use io_uring::{IoUring, cqueue, opcode, types};
use nix::errno::Errno;

use super::queried;

/// Submission entries: a poll per FD watched, armed again one at a time.
const SQ_ENTRIES: u32 = 4;

/// Completion entries: one a wake at most between two drains' takes; past
/// it the kernel keeps them aside (`IORING_FEAT_NODROP`) and the ring is
/// not [`Ring::quiet`] until they are taken.
const CQ_ENTRIES: u32 = 256;

/// A ring of multishot polls, keyed by small numbers (below 8).
pub struct Ring {
    ring: IoUring,
    /// The thread that armed the polls: their task work runs on it.
    owner: u64,
    /// The keys whose poll is armed (bit `1 << key`): a poll ends with a
    /// completion without `IORING_CQE_F_MORE` (cancelled as its thread
    /// exited, or the completion queue overflowed).
    armed: u8,
    /// The keys [`Ring::arm`] was asked for: what must be armed for the
    /// ring to be [`Ring::quiet`].
    wanted: u8,
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring")
            .field("fd", &self.ring.as_raw_fd())
            .field("owner", &self.owner)
            .field("armed", &self.armed)
            .finish()
    }
}

/// This thread's number, for [`Ring::owner`] (a `ThreadId` costs an
/// atomic reference count to get).
fn this_thread() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static ME: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    ME.with(|me| *me)
}

impl Ring {
    /// `io_uring_setup(4, {IORING_SETUP_TASKRUN_FLAG |
    /// IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE, cq_entries: 256})`,
    /// and the rings mapped—Makes a ring, no poll armed yet. Fails where
    /// io_uring is missing or refused (`ENOSYS`, `EPERM` under a seccomp
    /// filter or `kernel.io_uring_disabled`, `EINVAL` before Linux 5.19).
    ///
    /// C: `int io_uring_setup(u32 entries, struct io_uring_params *p);`
    /// ([io_uring_setup(2)](https://man7.org/linux/man-pages/man2/io_uring_setup.2.html))
    pub fn new() -> Result<Self, Errno> {
        let ring = queried(
            IoUring::builder()
                .setup_taskrun_flag()
                .setup_coop_taskrun()
                .setup_cqsize(CQ_ENTRIES)
                .dontfork()
                .build(SQ_ENTRIES),
        )
        .map_err(errno_of)?;
        Ok(Self {
            ring,
            owner: this_thread(),
            armed: 0,
            wanted: 0,
        })
    }

    /// `io_uring_enter` of a multishot `POLL_ADD` of `fd` for `events`
    /// (`POLLIN`, `POLLPRI`), completions keyed `key`—Arms a poll from this
    /// thread, which becomes the ring's owner (every key is armed by one
    /// thread: [`Ring::quiet`] trusts none on another). A poll of an FD
    /// ready already completes at once (the ring is then not quiet).
    ///
    /// # Preconditions
    /// `key < 8`; `fd` stays open while the ring lives (the poll holds its
    /// file, not its number: closing `fd` alone would leave the poll on).
    ///
    /// C: `int io_uring_enter(unsigned int fd, unsigned int to_submit, unsigned int min_complete, unsigned int flags, sigset_t *sig);`
    /// ([io_uring_enter(2)](https://man7.org/linux/man-pages/man2/io_uring_enter.2.html))
    pub fn arm(&mut self, key: u8, fd: BorrowedFd<'_>, events: u32) -> Result<(), Errno> {
        debug_assert!(key < 8);
        let entry = opcode::PollAdd::new(types::Fd(fd.as_raw_fd()), events)
            .multi(true)
            .build()
            .user_data(u64::from(key));
        push(&mut self.ring, &entry)?;
        queried(self.ring.submit()).map_err(errno_of)?;
        self.owner = this_thread();
        self.armed |= 1 << key;
        self.wanted |= 1 << key;
        Ok(())
    }

    /// Whether a poll armed ended (cancelled as its thread exited, or
    /// the completion queue overflowed): the ring is never quiet again
    /// until it is armed anew.
    pub fn ended(&self) -> bool {
        self.armed != self.wanted
    }

    /// Whether this thread armed the polls (on it, a wake before any of
    /// its syscalls has posted its completion by the time the syscall
    /// returns: the task work runs on the way back to user space).
    pub fn owned_here(&self) -> bool {
        self.owner == this_thread()
    }

    /// Whether nothing was woken since this thread last took the
    /// completions ([`Ring::take`]) and ran its task work (any syscall
    /// does): on the owner thread, every armed poll armed, no task work
    /// pending, no completion queued or kept aside. Three loads, no
    /// syscall. Always `false` on another thread (see the module).
    pub fn quiet(&mut self) -> bool {
        if self.owner != this_thread() || self.armed != self.wanted || self.wanted == 0 {
            return false;
        }
        let (_, sq, cq) = self.ring.split();
        // The order of the loads does not matter on the owner thread: the
        // flag is cleared and completions posted only as this very thread
        // runs its task work, never while it runs this.
        !sq.taskrun() && !sq.cq_overflow() && cq.is_empty()
    }

    /// Takes every queued completion (and, where the kernel kept some
    /// aside, has it queue them: one `io_uring_enter`): returns the keys
    /// that fired (bit `1 << key`); a poll that ended is no longer armed.
    pub fn take(&mut self) -> u8 {
        let mut fired = 0u8;
        loop {
            for cqe in self.ring.completion() {
                let key = u8::try_from(cqe.user_data()).unwrap_or(7).min(7);
                fired |= 1 << key;
                if !cqueue::more(cqe.flags()) {
                    self.armed &= !(1 << key);
                }
            }
            if !self.ring.submission().cq_overflow() {
                return fired;
            }
            // Completions kept aside: queue them (GETEVENTS flushes them).
            if queried(self.ring.submit_and_wait(0)).is_err() {
                return fired | self.wanted;
            }
        }
    }
}

/// Queues `entry` on the submission queue (`EBUSY` if full).
#[expect(
    unsafe_code,
    reason = "io-uring's push is unsafe for entries that point at buffers; a poll points at none"
)]
fn push(ring: &mut IoUring, entry: &io_uring::squeue::Entry) -> Result<(), Errno> {
    // SAFETY: a `POLL_ADD` entry holds an FD number and a mask, no pointer
    // into memory the kernel will read or write later.
    unsafe { ring.submission().push(entry) }.map_err(|_| Errno::EBUSY)
}

/// `POLLIN`, for [`Ring::arm`]: readable (an inotify instance with events).
pub const POLL_IN: u32 = nix::libc::POLLIN as u32;

/// `POLLPRI`, for [`Ring::arm`]: an exceptional condition (the mount table
/// changed, for `/proc/self/mountinfo`).
pub const POLL_PRI: u32 = nix::libc::POLLPRI as u32;

fn errno_of(err: std::io::Error) -> Errno {
    err.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;
    use crate::sys::{WatchFlags, inotify_add_watch, inotify_init1, read_inotify};

    const POLLIN: u32 = POLL_IN;

    /// Reads an inotify instance dry, as a drain does.
    fn read_all(inotify: BorrowedFd<'_>) {
        let mut buf = vec![std::mem::MaybeUninit::new(0u8); 4096];
        while read_inotify(inotify, &mut buf).is_ok() {}
    }

    /// Does what a drain does until the ring is quiet (in a few turns:
    /// else round `round` failed): takes the completions, reads the events
    /// dry, arms the poll again if it ended.
    fn settle(ring: &mut Ring, inotify: BorrowedFd<'_>, round: u32) {
        let mut tries = 0;
        while !ring.quiet() {
            ring.take();
            read_all(inotify);
            if ring.ended() {
                ring.arm(0, inotify, POLLIN).unwrap();
            }
            tries += 1;
            assert!(tries < 10, "round {round}: never quiet again");
        }
    }

    /// A ring armed on an inotify instance that watches a new temporary
    /// directory for names made; `None` where io_uring is refused.
    fn watching_ring() -> Option<(Ring, tempfile::TempDir, std::os::fd::OwnedFd)> {
        let mut ring = Ring::new().ok()?;
        let dir = tempfile::tempdir().unwrap();
        let d = std::fs::File::open(dir.path()).unwrap();
        let inotify = inotify_init1().unwrap();
        inotify_add_watch(inotify.as_fd(), d.as_fd(), WatchFlags::CREATE).unwrap();
        ring.arm(0, inotify.as_fd(), POLLIN).unwrap();
        Some((ring, dir, inotify))
    }

    /// The property coherent mode rests on: a change another thread
    /// finished before this thread looks makes the ring not quiet, every
    /// time; and once this thread took the completions and read the
    /// events, it is quiet again.
    #[test]
    fn a_change_finished_before_the_look_is_never_missed() {
        let Some((mut ring, dir, inotify)) = watching_ring() else {
            eprintln!("skipped: no io_uring here");
            return;
        };
        assert!(ring.quiet(), "armed on an empty queue");
        for i in 0..2000 {
            let path = dir.path().join(format!("f{i}"));
            std::thread::spawn(move || std::fs::File::create(path).unwrap())
                .join()
                .unwrap();
            assert!(!ring.quiet(), "round {i}: a finished change unseen");
            settle(&mut ring, inotify.as_fd(), i);
        }
    }

    /// The same where this thread makes no syscall between the change and
    /// the look (it spins on memory for the other thread's word that its
    /// `creat` returned): the flag alone tells, the task work not run yet.
    #[test]
    fn a_change_is_seen_with_no_syscall_on_the_looking_thread() {
        use std::sync::Arc;
        use std::sync::atomic::AtomicU32;
        let Some((mut ring, dir, inotify)) = watching_ring() else {
            eprintln!("skipped: no io_uring here");
            return;
        };
        let (asked, done) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
        let (a, dn, path) = (Arc::clone(&asked), Arc::clone(&done), dir.path().to_owned());
        let changer = std::thread::spawn(move || {
            for i in 1..=500u32 {
                while a.load(Ordering::Acquire) != i {
                    std::hint::spin_loop();
                }
                std::fs::File::create(path.join(format!("f{i}"))).unwrap();
                dn.store(i, Ordering::Release);
            }
        });
        for i in 1..=500u32 {
            settle(&mut ring, inotify.as_fd(), i);
            asked.store(i, Ordering::Release);
            while done.load(Ordering::Acquire) != i {
                std::hint::spin_loop();
            }
            assert!(!ring.quiet(), "round {i}: a finished change unseen");
        }
        changer.join().unwrap();
    }

    /// Another thread never takes the ring to be quiet (its flag may be
    /// cleared before the completion is published): it looks the slow way.
    #[test]
    fn only_the_arming_thread_may_trust_it() {
        let Ok(mut ring) = Ring::new() else {
            eprintln!("skipped: no io_uring here");
            return;
        };
        let inotify = inotify_init1().unwrap();
        ring.arm(0, inotify.as_fd(), POLLIN).unwrap();
        assert!(ring.quiet());
        let ring = std::thread::spawn(move || {
            let mut ring = ring;
            assert!(!ring.quiet(), "another thread");
            assert!(!ring.ended(), "still armed, by the other thread");
            ring
        })
        .join()
        .unwrap();
        let mut ring = ring;
        assert!(ring.quiet(), "the arming thread again");
    }
}
