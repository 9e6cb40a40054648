//! `poll_oneoff`, ported from wasmtime-wasi's with its answers.

use std::collections::HashSet;

use wasmtime::component::Resource;
use wasmtime_wasi::WasiView;
use wasmtime_wasi::clocks::WasiClocksView as _;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::bindings::io::poll::{self, Pollable};
use wasmtime_wasi::p2::bindings::io::streams::{self, InputStream, OutputStream};
use wiggle::{GuestMemory, GuestPtr};

use super::access::{consume_fuel_for_array, fds, wall_now};
use super::{Fd, borrowed};
use crate::bindings::p1::types::{self, Errno};
use crate::bindings::wasi::wasi::filesystem::types::HostDescriptor as _;
use crate::ctx::DirectfsView;

type Result<T, E = types::Error> = std::result::Result<T, E>;

/// `poll_oneoff`: clocks through wasmtime-wasi's monotonic clock; stdio
/// through its streams; files through the 0.2 frontend's streams, whose
/// pollables wait for a FIFO's or socket's readiness (a regular file is
/// always ready). Ported from wasmtime-wasi's, with its answers.
pub(super) async fn poll_oneoff<T: DirectfsView + WasiView>(
    data: &mut T,
    memory: &mut GuestMemory<'_>,
    subs: GuestPtr<types::Subscription>,
    events: GuestPtr<types::Event>,
    nsubscriptions: types::Size,
) -> Result<types::Size> {
    if nsubscriptions == 0 {
        // Sleeping forever is not a thing in preview 1.
        return Err(Errno::Inval.into());
    }
    // One relative clock (of any clock id): a sleep of this thread on a
    // sync host, as wasmtime-wasi sleeps there (for steadier sleeps).
    if nsubscriptions == 1 && !data.directfs().ctx.async_host {
        let sub = memory.read(subs)?;
        if let types::SubscriptionU::Clock(clock) = sub.u
            && !clock
                .flags
                .contains(types::Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME)
        {
            std::thread::sleep(std::time::Duration::from_nanos(clock.timeout));
            memory.write(
                events,
                types::Event {
                    userdata: sub.userdata,
                    error: Errno::Success,
                    type_: types::Eventtype::Clock,
                    fd_readwrite: types::EventFdReadwrite {
                        flags: types::Eventrwflags::empty(),
                        nbytes: 1,
                    },
                },
            )?;
            return Ok(1);
        }
    }
    let subs = subs.as_array(nsubscriptions);
    let events = events.as_array(nsubscriptions);
    consume_fuel_for_array(data, subs)?;
    consume_fuel_for_array(data, events)?;

    let mut temp = Temp {
        data,
        pollables: Vec::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
    };
    let mut borrowed_pollables = Vec::new();
    for sub in subs.iter() {
        let sub = memory.read(sub?)?;
        let pollable = match sub.u {
            types::SubscriptionU::Clock(clock) => {
                let absolute = clock
                    .flags
                    .contains(types::Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME);
                let (timeout, absolute) = match clock.id {
                    types::Clockid::Monotonic => (clock.timeout, absolute),
                    types::Clockid::Realtime if !absolute => (clock.timeout, false),
                    types::Clockid::Realtime => {
                        let now = wall_now(temp.data)?;
                        (clock.timeout.saturating_sub(now), false)
                    }
                    _ => return Err(Errno::Inval.into()),
                };
                let mut clocks = temp.data.clocks();
                match absolute {
                    true => monotonic_clock::Host::subscribe_instant(&mut clocks, timeout),
                    false => monotonic_clock::Host::subscribe_duration(&mut clocks, timeout),
                }
                .map_err(types::Error::trap)?
            }
            types::SubscriptionU::FdRead(types::SubscriptionFdReadwrite { file_descriptor }) => {
                let stream = match fds(temp.data)?.get(file_descriptor.into())? {
                    Fd::Stdin { stream, .. } => borrowed(stream),
                    Fd::File(file) => {
                        let (desc, position) = (borrowed(&file.desc), file.position);
                        let stream = temp.data.directfs().read_via_stream(desc, position)?;
                        let b = borrowed(&stream);
                        temp.inputs.push(stream);
                        b
                    }
                    Fd::Stdout { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
                };
                streams::HostInputStream::subscribe(WasiView::ctx(temp.data).table, stream)
                    .map_err(types::Error::trap)?
            }
            types::SubscriptionU::FdWrite(types::SubscriptionFdReadwrite { file_descriptor }) => {
                let stream = match fds(temp.data)?.get(file_descriptor.into())? {
                    Fd::Stdout { stream, .. } => borrowed(stream),
                    Fd::File(file) => {
                        let (desc, position, append) =
                            (borrowed(&file.desc), file.position, file.append);
                        let mut view = temp.data.directfs();
                        let stream = match append {
                            true => view.append_via_stream(desc)?,
                            false => view.write_via_stream(desc, position)?,
                        };
                        let b = borrowed(&stream);
                        temp.outputs.push(stream);
                        b
                    }
                    Fd::Stdin { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
                };
                streams::HostOutputStream::subscribe(WasiView::ctx(temp.data).table, stream)
                    .map_err(types::Error::trap)?
            }
        };
        borrowed_pollables.push(borrowed(&pollable));
        temp.pollables.push(pollable);
    }
    let ready: HashSet<u32> = poll::Host::poll(WasiView::ctx(temp.data).table, borrowed_pollables)
        .await
        .map_err(types::Error::trap)?
        .into_iter()
        .collect();
    drop(temp);

    let mut count: types::Size = 0;
    for (sub, event) in (0..)
        .zip(subs.iter())
        .filter_map(|(i, sub)| ready.contains(&i).then_some(sub))
        .zip(events.iter())
    {
        let sub = memory.read(sub?)?;
        let ready = |type_, flags, nbytes| types::Event {
            userdata: sub.userdata,
            error: Errno::Success,
            type_,
            fd_readwrite: types::EventFdReadwrite { flags, nbytes },
        };
        let none = types::Eventrwflags::empty();
        let event_value = match sub.u {
            types::SubscriptionU::Clock(_) => ready(types::Eventtype::Clock, none, 0),
            types::SubscriptionU::FdRead(types::SubscriptionFdReadwrite { file_descriptor }) => {
                match fds(data)?.get(file_descriptor.into())? {
                    Fd::Stdin { .. } => ready(types::Eventtype::FdRead, none, 1),
                    Fd::File(file) if file.pipe => ready(types::Eventtype::FdRead, none, 1),
                    Fd::File(file) => {
                        // A regular file: at its end, a hang-up (as
                        // wasmtime-wasi).
                        let (desc, position) = (borrowed(&file.desc), file.position);
                        let size = data.directfs().fs_stat(&desc)?.size;
                        let flags = match size.saturating_sub(position) {
                            0 => types::Eventrwflags::FD_READWRITE_HANGUP,
                            _ => none,
                        };
                        ready(types::Eventtype::FdRead, flags, 1)
                    }
                    Fd::Stdout { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
                }
            }
            types::SubscriptionU::FdWrite(types::SubscriptionFdReadwrite { file_descriptor }) => {
                match fds(data)?.get(file_descriptor.into())? {
                    Fd::Stdout { .. } | Fd::File(_) => ready(types::Eventtype::FdWrite, none, 1),
                    Fd::Stdin { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
                }
            }
        };
        memory.write(event?, event_value)?;
        count = count.checked_add(1).ok_or(Errno::Overflow)?;
    }
    Ok(count)
}

/// The resources one `poll_oneoff` makes, dropped with it (also when it
/// fails half-way).
pub(super) struct Temp<'a, T: WasiView> {
    data: &'a mut T,
    pollables: Vec<Resource<Pollable>>,
    inputs: Vec<Resource<InputStream>>,
    outputs: Vec<Resource<OutputStream>>,
}

impl<T: WasiView> Drop for Temp<'_, T> {
    fn drop(&mut self) {
        let table = WasiView::ctx(self.data).table;
        for pollable in self.pollables.drain(..) {
            let _ = table.delete(pollable);
        }
        for stream in self.inputs.drain(..) {
            let _ = table.delete(stream);
        }
        for stream in self.outputs.drain(..) {
            let _ = table.delete(stream);
        }
    }
}
