//! Interrupting a guest that waits for another process: a read of an empty
//! FIFO, a write to a full one, a file lock another owner holds.
//!
//! directfs opens FIFOs and character devices `O_NONBLOCK` at the host
//! whatever the guest asked for. Where the guest asked for blocking I/O
//! (no `nonblock` flag), a read or write that would block waits in
//! [`Interrupter::wait`]: `poll(2)` on the file and on the context's
//! eventfd, so that the embedder can end the wait at once from another
//! thread with [`Interrupter::interrupt`]. The call then fails with
//! `interrupted`, and every later wait of the context fails the same way
//! at once, until [`Interrupter::reset`].

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::error::ErrorCode;
use crate::sys::{self, PollFlags, PollTimeout};

/// How long one `poll` waits when the context has no eventfd (it could not
/// be made: out of FDs) before it looks at the interrupt flag again.
const POLL_SLICE_MS: u16 = 50;

/// Ends the waits of one [`crate::DirectfsCtx`]'s calls on FIFOs and
/// character devices, from any thread: get it with
/// [`crate::DirectfsCtx::interrupter`] before the context moves into a
/// store.
///
/// Cheap to clone; every clone interrupts the same context.
///
/// ```
/// let ctx = directfs::DirectfsCtx::builder().build();
/// let interrupter = ctx.interrupter();
/// // ... the guest runs, on another thread, and blocks reading a FIFO ...
/// interrupter.interrupt(); // its read fails with `interrupted`
/// assert!(interrupter.is_interrupted());
/// interrupter.reset(); // waits wait again
/// ```
#[derive(Clone, Debug, Default)]
pub struct Interrupter(Arc<State>);

#[derive(Debug, Default)]
struct State {
    /// Set by [`Interrupter::interrupt`], cleared by
    /// [`Interrupter::reset`]. `SeqCst` with `wake`: see [`Interrupter::wait`].
    interrupted: AtomicBool,
    /// The eventfd that wakes waiters, made by the first wait (`None`: it
    /// could not be made; waits then poll in slices). Signalled while
    /// `interrupted` is set.
    wake: OnceLock<Option<OwnedFd>>,
    /// Wakes the async waits ([`Interrupter::interrupted`]) of streams on
    /// a reactor.
    notify: tokio::sync::Notify,
}

impl Interrupter {
    /// Makes every wait of the context's calls end at once with
    /// `interrupted`, the running one and all later ones (until
    /// [`Interrupter::reset`]). Calls that need not wait are unaffected.
    pub fn interrupt(&self) {
        self.0.interrupted.store(true, Ordering::SeqCst);
        if let Some(Some(wake)) = self.0.wake.get() {
            // Cannot fail on an eventfd we made (a full count is readable).
            let _ = sys::eventfd_signal(wake.as_fd());
        }
        self.0.notify.notify_waiters();
    }

    /// Resolves once the context is interrupted: what the async readiness
    /// waits of FIFO and socket streams race against.
    ///
    /// No wake-up is lost: the notification is enabled before the flag is
    /// read, and [`Interrupter::interrupt`] sets the flag before it
    /// notifies.
    pub(crate) async fn interrupted(&self) {
        loop {
            let mut notified = std::pin::pin!(self.0.notify.notified());
            notified.as_mut().enable();
            if self.is_interrupted() {
                return;
            }
            notified.await;
        }
    }

    /// Whether [`Interrupter::interrupt`] was called since the last
    /// [`Interrupter::reset`].
    pub fn is_interrupted(&self) -> bool {
        self.0.interrupted.load(Ordering::SeqCst)
    }

    /// Lets the context's calls wait again.
    ///
    /// # Preconditions
    /// No call of the context is waiting (a wait running meanwhile may end
    /// with `interrupted` or go on waiting).
    pub fn reset(&self) {
        self.0.interrupted.store(false, Ordering::SeqCst);
        if let Some(Some(wake)) = self.0.wake.get() {
            let _ = sys::eventfd_drain(wake.as_fd());
        }
    }

    /// Sleeps `pause` (to the millisecond, at least one), or until the
    /// context is interrupted (`interrupted`, also if it already was): the
    /// pauses of a waiting file lock on sync hosts ([`crate::lock`]).
    pub(crate) fn sleep(&self, pause: std::time::Duration) -> Result<(), ErrorCode> {
        let wake = self.0.wake.get_or_init(|| sys::eventfd().ok());
        if self.is_interrupted() {
            return Err(ErrorCode::Interrupted);
        }
        match wake {
            Some(wake) => {
                let ms = u16::try_from(pause.as_millis().max(1)).unwrap_or(u16::MAX);
                // A failed poll is a short pause: the caller tries again.
                let _ = sys::poll(wake.as_fd(), PollFlags::POLLIN, PollTimeout::from(ms));
            }
            None => std::thread::sleep(
                pause.min(std::time::Duration::from_millis(POLL_SLICE_MS.into())),
            ),
        }
        match self.is_interrupted() {
            true => Err(ErrorCode::Interrupted),
            false => Ok(()),
        }
    }

    /// Waits until `fd` is ready for `events` (or has hung up, or failed),
    /// or until the context is interrupted (`interrupted`).
    ///
    /// No wake-up is lost: the eventfd exists before the flag is read, and
    /// [`Interrupter::interrupt`] sets the flag before it looks for the
    /// eventfd (both `SeqCst`), so either this wait sees the flag or the
    /// interrupter sees the eventfd and signals it.
    pub(crate) fn wait(&self, fd: BorrowedFd<'_>, events: PollFlags) -> Result<(), ErrorCode> {
        let wake = self.0.wake.get_or_init(|| sys::eventfd().ok());
        loop {
            if self.is_interrupted() {
                return Err(ErrorCode::Interrupted);
            }
            let ready = match wake {
                Some(wake) => sys::poll2(
                    fd,
                    events,
                    wake.as_fd(),
                    PollFlags::POLLIN,
                    PollTimeout::NONE,
                )
                .map(|(ready, _)| ready),
                None => sys::poll(fd, events, PollTimeout::from(POLL_SLICE_MS)),
            };
            match ready {
                Ok(ready) if ready.is_empty() => {}
                // Ready, or the file cannot be polled: the I/O tells.
                Ok(_) | Err(_) => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::OwnedFd;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use nix::fcntl::OFlag;

    use super::*;
    use crate::budget::FdBudget;
    use crate::handle::Handle;
    use crate::types::Blocking;

    /// A pipe: a waiting handle on one end (`read_end`: the read end, else
    /// the write end), and the other end as a plain FD. Both non-blocking,
    /// as directfs opens FIFOs.
    fn pipe(read_end: bool) -> (Handle, OwnedFd) {
        let (r, w) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC).unwrap();
        let (mine, other) = if read_end { (r, w) } else { (w, r) };
        let budget = Arc::new(FdBudget::default());
        let handle = Handle::new(mine, budget.charge_token()).with_policy(true, Blocking::Inline);
        (handle, other)
    }

    /// Interrupts `interrupter` from another thread after `after`.
    fn interrupt_later(interrupter: &Interrupter, after: Duration) -> std::thread::JoinHandle<()> {
        let interrupter = interrupter.clone();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            interrupter.interrupt();
        })
    }

    /// A stream's async wait for an empty pipe (on a reactor) ends when
    /// another thread interrupts, and the stream then says `interrupted`;
    /// an interrupt before the wait ends it at once.
    #[test]
    fn an_interrupt_ends_an_async_readiness_wait() {
        let (handle, _writer) = pipe(true);
        let interrupter = Interrupter::default();
        let mut readiness =
            crate::wasi::readiness::Readiness::new(handle, interrupter.clone()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let start = Instant::now();
        let later = interrupt_later(&interrupter, Duration::from_millis(100));
        rt.block_on(readiness.wait(tokio::io::Interest::READABLE, PollFlags::POLLIN));
        later.join().unwrap();
        assert!(start.elapsed() >= Duration::from_millis(90));
        assert_eq!(readiness.interrupted(), Err(ErrorCode::Interrupted));
        let start = Instant::now();
        rt.block_on(readiness.wait(tokio::io::Interest::READABLE, PollFlags::POLLIN));
        assert!(start.elapsed() < Duration::from_secs(1));
        interrupter.reset();
        assert_eq!(readiness.interrupted(), Ok(()));
    }

    /// A read of an empty pipe waits until data comes, and returns it.
    #[test]
    fn a_waiting_read_returns_late_data() {
        let (handle, writer) = pipe(true);
        let late = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            nix::unistd::write(&writer, b"late").unwrap();
            writer
        });
        let interrupter = Interrupter::default();
        let got = handle.read(0, 100, 100, Some(&interrupter));
        assert_eq!(got.as_deref(), Ok(&b"late"[..]));
        drop(late.join().unwrap());
    }

    /// A read of an empty pipe ends with `interrupted` as soon as another
    /// thread interrupts; so does every later one, at once, until reset.
    #[test]
    fn an_interrupt_ends_a_waiting_read_and_the_later_ones() {
        let (handle, writer) = pipe(true);
        let interrupter = Interrupter::default();
        let start = Instant::now();
        let later = interrupt_later(&interrupter, Duration::from_millis(100));
        let got = handle.read(0, 100, 100, Some(&interrupter));
        let took = start.elapsed();
        later.join().unwrap();
        assert_eq!(got, Err(ErrorCode::Interrupted));
        assert!(took < Duration::from_secs(5), "ended at once: {took:?}");
        assert!(interrupter.is_interrupted());

        // Sticky: the next wait does not start.
        let start = Instant::now();
        let again = handle.read(0, 100, 100, Some(&interrupter));
        assert_eq!(again, Err(ErrorCode::Interrupted));
        assert!(start.elapsed() < Duration::from_secs(1));
        // Data there: no wait, no interruption.
        nix::unistd::write(&writer, b"x").unwrap();
        assert_eq!(
            handle.read(0, 100, 100, Some(&interrupter)).as_deref(),
            Ok(&b"x"[..])
        );

        // After a reset, reads wait again (and are interrupted again).
        interrupter.reset();
        assert!(!interrupter.is_interrupted());
        let start = Instant::now();
        let later = interrupt_later(&interrupter, Duration::from_millis(150));
        let got = handle.read(0, 100, 100, Some(&interrupter));
        later.join().unwrap();
        assert_eq!(got, Err(ErrorCode::Interrupted));
        assert!(start.elapsed() >= Duration::from_millis(150), "it waited");
    }

    /// A write to a full pipe waits for room, and is interrupted as a read.
    #[test]
    fn an_interrupt_ends_a_waiting_write() {
        let (handle, reader) = pipe(false);
        let interrupter = Interrupter::default();
        // Fill the pipe.
        let chunk = vec![7u8; 1 << 16];
        while handle.write(0, &chunk, chunk.len(), None).is_ok() {}
        assert_eq!(
            handle.write(0, b"x", 1, None),
            Err(ErrorCode::WouldBlock),
            "without an interrupter it does not wait"
        );
        let later = interrupt_later(&interrupter, Duration::from_millis(100));
        let got = handle.write(0, b"more", 4, Some(&interrupter));
        later.join().unwrap();
        assert_eq!(got, Err(ErrorCode::Interrupted));
        drop(reader);
    }

    /// A handle that does not wait (opened `nonblock`, or a regular file)
    /// answers `would-block` at once, interrupter or not.
    #[test]
    fn a_nonblock_handle_never_waits() {
        let (r, _w) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC).unwrap();
        let budget = Arc::new(FdBudget::default());
        let handle = Handle::new(r, budget.charge_token());
        let interrupter = Interrupter::default();
        assert_eq!(
            handle.read(0, 10, 10, Some(&interrupter)),
            Err(ErrorCode::WouldBlock)
        );
    }
}
