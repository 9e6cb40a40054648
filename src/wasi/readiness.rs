//! Waiting for a FIFO, socket or character device to be ready, for the
//! streams of both WASI versions: on the reactor of the tokio runtime that
//! polls the stream, or in `poll(2)` on its blocking pool.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::error::ErrorCode;
use crate::handle::{Handle, OpenFd};
use crate::interrupt::Interrupter;
use crate::sys::{self, PollFlags};

/// A handle's FD as tokio's reactor takes it. (`AsRawFd` is what
/// [`AsyncFd`] asks for; the FD stays owned by the handle, whose `Arc` this
/// holds for as long as it is registered.)
pub(crate) struct Registered(Arc<OpenFd>);

impl AsRawFd for Registered {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// Registers `fd` with the reactor of the current tokio runtime (which must
/// have its I/O driver enabled, as wasmtime-wasi's has, and as its sockets
/// need of an async embedder's).
///
/// # Preconditions
/// Called within a tokio runtime.
#[expect(
    unsafe_code,
    reason = "tokio's AsyncFd registration is unsafe since tokio 1.54 (I/O safety)"
)]
fn register(fd: Registered, interest: Interest) -> std::io::Result<AsyncFd<Registered>> {
    // SAFETY: `fd` owns a clone of the `Arc<OpenFd>` whose raw FD it
    // returns, so that FD stays open and names the same open file for as
    // long as the `AsyncFd` holds `fd`, and `as_raw_fd` always returns it.
    unsafe { AsyncFd::register_with_interest(fd, interest) }.map_err(std::io::Error::from)
}

/// How a pipe stream waits for readiness.
pub(crate) enum Waiter {
    /// Not decided yet: on the first wait.
    Unregistered,
    /// Registered with the reactor of the runtime it was first polled on.
    Reactor(AsyncFd<Registered>),
    /// `poll(2)`: the reactor refused the FD (registered already, by the
    /// other stream of a file open for reading and writing), or no runtime
    /// is at hand. Within a runtime it waits on its blocking pool, never on
    /// an executor thread.
    Poll,
}

/// The readiness of a non-blocking FIFO, socket or character device.
pub(crate) struct Readiness {
    pub(crate) handle: Handle,
    pub(crate) waiter: Waiter,
    /// The context's: a wait ends when it fires, and the stream's I/O then
    /// fails with `interrupted` (see [`Readiness::interrupted`]).
    interrupter: Interrupter,
}

impl Readiness {
    /// Makes `handle` non-blocking for its streams (see
    /// [`Handle::set_nonblocking`]); its waits end when `interrupter` fires.
    pub(crate) fn new(handle: Handle, interrupter: Interrupter) -> Result<Self, ErrorCode> {
        handle.set_nonblocking()?;
        Ok(Self {
            handle,
            waiter: Waiter::Unregistered,
            interrupter,
        })
    }

    /// The context's interrupter.
    pub(crate) fn interrupter(&self) -> &Interrupter {
        &self.interrupter
    }

    /// `interrupted` if the context's interrupter has fired: the stream's
    /// I/O fails so (a guest whose wait was ended must not take the empty
    /// answer for the end of the file).
    pub(crate) fn interrupted(&self) -> Result<(), ErrorCode> {
        match self.interrupter.is_interrupted() {
            true => Err(ErrorCode::Interrupted),
            false => Ok(()),
        }
    }

    /// Waits until the file is ready for `events` (or hung up, or failed),
    /// or the context's interrupter fires.
    pub(crate) async fn wait(&mut self, interest: Interest, events: PollFlags) {
        let interrupter = self.interrupter.clone();
        if interrupter.is_interrupted() {
            return;
        }
        let mut ready = std::pin::pin!(self.wait_ready(interest, events));
        let mut interrupted = std::pin::pin!(interrupter.interrupted());
        std::future::poll_fn(
            |cx| match (ready.as_mut().poll(cx), interrupted.as_mut().poll(cx)) {
                (std::task::Poll::Pending, std::task::Poll::Pending) => std::task::Poll::Pending,
                _ => std::task::Poll::Ready(()),
            },
        )
        .await;
    }

    /// [`Readiness::wait`] without the interrupter.
    async fn wait_ready(&mut self, interest: Interest, events: PollFlags) {
        if self.handle.ready_now(events) {
            return;
        }
        if let Waiter::Unregistered = self.waiter {
            self.waiter = match tokio::runtime::Handle::try_current() {
                Ok(_) => register(Registered(self.handle.shared_fd().clone()), interest)
                    .map_or(Waiter::Poll, Waiter::Reactor),
                Err(_) => Waiter::Poll,
            };
        }
        match &self.waiter {
            Waiter::Reactor(fd) => loop {
                let ready = if interest.is_readable() {
                    fd.readable().await
                } else {
                    fd.writable().await
                };
                let Ok(mut guard) = ready else { return };
                if self.handle.ready_now(events) {
                    return;
                }
                guard.clear_ready();
            },
            Waiter::Poll | Waiter::Unregistered => {
                if tokio::runtime::Handle::try_current().is_ok() {
                    wait_on_pool(self.handle.shared_fd().clone(), events).await;
                } else {
                    self.handle.wait_ready(events);
                }
            }
        }
    }
}

/// How long one `poll` of [`wait_on_pool`] waits before it looks whether
/// its waiter is gone.
const POOL_POLL_SLICE_MS: u16 = 100;

/// Waits until `fd` is ready for `events`, in `poll(2)` on the current
/// runtime's blocking pool. If the waiting future is dropped, the pool's
/// thread stops within [`POOL_POLL_SLICE_MS`].
async fn wait_on_pool(fd: Arc<OpenFd>, events: PollFlags) {
    /// Tells the pool's thread that its waiter is gone.
    struct CancelOnDrop(Arc<AtomicBool>);
    impl Drop for CancelOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let cancelled = Arc::new(AtomicBool::new(false));
    let _cancel = CancelOnDrop(cancelled.clone());
    let waited = tokio::task::spawn_blocking(move || {
        while !cancelled.load(Ordering::Relaxed) {
            let slice = sys::PollTimeout::from(POOL_POLL_SLICE_MS);
            match sys::poll(fd.as_fd(), events, slice) {
                Ok(got) if got.is_empty() => {}
                // Ready, or the FD cannot be polled: do not wait.
                Ok(_) | Err(_) => return,
            }
        }
    });
    // A panic there (there is none) would only end the wait.
    let _ = waited.await;
}
