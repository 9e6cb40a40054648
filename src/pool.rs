//! Running a frontend call on tokio's blocking pool, for async hosts: the
//! calls of a [`Blocking::Pool`] mount, and those that may wait for another
//! process (I/O of a FIFO opened without `nonblock`) on any mount.
//!
//! To run on the pool, a call takes the store's context and resource table
//! with it (a [`DirectfsCtx::stand_in`] and an empty table stay behind) and
//! brings them back when it is done. Nothing can see the stand-ins: the
//! call's future holds the store's data (`&mut`) until then, and wasmtime
//! runs no other host call of the store meanwhile (these are `async`, not
//! `concurrent`, host functions). If the future is dropped first (the
//! store's call was cancelled), the context is interrupted (a wait on a
//! FIFO ends at once), and the context and table are dropped on the pool
//! when the call ends, releasing what the guest held.
//!
//! [`Blocking::Pool`]: crate::Blocking::Pool

use crate::ctx::{DirectfsCtx, DirectfsCtxView};
use crate::error::{Error, ErrorCode};
use crate::interrupt::Interrupter;
use crate::lock::Pauses;

/// What a call returns when it could not come back from the pool (the
/// runtime shut down under it): a trap.
pub(crate) trait FromTrap {
    fn from_trap(err: wasmtime::Error) -> Self;
}

impl<T> FromTrap for Result<T, Error> {
    fn from_trap(err: wasmtime::Error) -> Self {
        Err(Error::trap(err))
    }
}

impl<T> FromTrap for wasmtime::Result<T> {
    fn from_trap(err: wasmtime::Error) -> Self {
        Err(err)
    }
}

/// Interrupts the context of a call on the pool if the call's future is
/// dropped before the call came back.
struct InterruptOnDrop(Option<Interrupter>);

impl Drop for InterruptOnDrop {
    fn drop(&mut self) {
        if let Some(interrupter) = self.0.take() {
            interrupter.interrupt();
        }
    }
}

impl DirectfsCtxView<'_> {
    /// Runs `op` (a call of a sync frontend) on the blocking pool if
    /// `on_pool` and a tokio runtime is at hand; inline otherwise.
    pub(crate) async fn run<R: FromTrap + Send + 'static>(
        &mut self,
        on_pool: bool,
        op: impl FnOnce(&mut DirectfsCtxView<'_>) -> R + Send + 'static,
    ) -> R {
        let runtime = match on_pool {
            true => tokio::runtime::Handle::try_current().ok(),
            false => None,
        };
        let Some(runtime) = runtime else {
            return op(self);
        };
        let stand_in = self.ctx.stand_in();
        let mut ctx: DirectfsCtx = std::mem::replace(self.ctx, stand_in);
        let mut table = std::mem::take(self.table);
        let mut cancelled = InterruptOnDrop(Some(ctx.interrupter.clone()));
        let task = runtime.spawn_blocking(move || {
            let result = op(&mut DirectfsCtxView {
                ctx: &mut ctx,
                table: &mut table,
            });
            (ctx, table, result)
        });
        let done = task.await;
        cancelled.0 = None;
        match done {
            Ok((ctx, table, result)) => {
                *self.ctx = ctx;
                *self.table = table;
                result
            }
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(err) => R::from_trap(
                wasmtime::Error::from(err).context("directfs: the blocking pool shut down"),
            ),
        }
    }

    /// A waiting lock on an async host: `try_lock` (one non-waiting try of a
    /// sync frontend) run where `on_pool` says, again after each pause on a
    /// tokio timer ([`crate::lock::pause`]) while it fails with
    /// `would-block`. No thread waits between tries; the context's
    /// interrupter (or dropping this future) ends the wait.
    pub(crate) async fn wait_for_lock(
        &mut self,
        on_pool: bool,
        try_lock: impl Fn(&mut DirectfsCtxView<'_>) -> Result<(), Error> + Clone + Send + 'static,
    ) -> Result<(), Error> {
        let mut pauses = Pauses::default();
        loop {
            match self.run(on_pool, try_lock.clone()).await {
                Err(err) if err.code() == Some(ErrorCode::WouldBlock) => {}
                done => return done,
            }
            let interrupter = self.ctx.interrupter.clone();
            crate::lock::pause(&interrupter, pauses.next_pause()).await?;
        }
    }
}
