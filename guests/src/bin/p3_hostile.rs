//! A hostile `wasi:filesystem` 0.3 guest: random calls of every descriptor
//! function (hostile paths, any flags, sizes, offsets and times) and of the
//! streams and futures they hand out — read streams read a little and
//! dropped half-read or kept unread, write and append streams given part of
//! their data and dropped, directory listings dropped mid-way, their
//! result futures awaited or dropped — from a pool of held descriptors that
//! grows, shrinks and is dropped at random. Every call must return (no
//! trap: every handle it passes is one it holds): the guest runs to its
//! end and prints how many calls succeeded; the host test checks that
//! nothing outside the sandbox or in the read-only preopen changed and that
//! the host FDs stayed within the budget.
//!
//! Usage: `p3_hostile SEED CALLS`. With `TRACE` set in its environment, it
//! prints each call's number, kind and error, to compare two runs of one
//! seed (directfs, wasmtime-wasi) call by call: then each stream is read
//! or written at once (a read stream at most four reads, a listing whole)
//! and its result awaited at once, as wasmtime-wasi's streams run in tasks
//! of their own (when they fail is timing), and the calls of an intended
//! difference are left out.

use guest::hostile::{HostSync, Rng, hold, let_go, take_used};
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::wasi::clocks::system_clock::Instant;
use guest::p3::wasi::filesystem::types::{Advice, DirectoryEntry};
use guest::p3::*;
use wit_bindgen::{FutureReader, StreamReader, StreamResult};

/// Paths, harmless and hostile.
const PATHS: &[&str] = &[
    "a",
    "b",
    "d",
    "d/e",
    "l",
    "ld",
    "loop",
    "up",
    "up/canary",
    "out",
    "out/canary",
    ".",
    "..",
    "",
    "/",
    "/etc/passwd",
    "a/",
    "d/",
    "d/..",
    "d/../..",
    "a\0b",
    "//d//e",
];

fn path(rng: &mut Rng) -> String {
    rng.name(PATHS)
}

/// Whether `path` ends in `/` or `/.`: it must name a directory, following
/// a final symlink, as Linux resolves it. `stat-at`, `metadata-hash-at` and
/// `remove-directory-at` of such a path are intended differences
/// (wasmtime-wasi answers for the name itself, or `invalid`), left out of
/// a comparison: their different effects would make every later call
/// differ.
fn slashy(path: &str) -> bool {
    path.ends_with('/') || path.ends_with("/.")
}

fn path_flags(rng: &mut Rng) -> PathFlags {
    PathFlags::from_bits_truncate(rng.below(2) as u8)
}

/// A time to set. Traced, an instant before the epoch has no nanoseconds:
/// an intended difference (wasmtime-wasi counts them backwards from a
/// negative second, where the WIT counts them forwards).
fn time(rng: &mut Rng, trace: bool) -> NewTimestamp {
    match rng.below(3) {
        0 => NewTimestamp::NoChange,
        1 => NewTimestamp::Now,
        _ => {
            let seconds = (rng.next() as i64) >> rng.below(64);
            let nanoseconds = rng.next() as u32 % 1_200_000_000;
            NewTimestamp::Timestamp(Instant {
                seconds,
                nanoseconds: if trace && seconds < 0 { 0 } else { nanoseconds },
            })
        }
    }
}

type Done = FutureReader<Result<(), ErrorCode>>;

/// What the guest holds, each kind bounded.
#[derive(Default)]
struct Held {
    descriptors: Vec<Descriptor>,
    reads: Vec<(StreamReader<u8>, Done)>,
    listings: Vec<(StreamReader<DirectoryEntry>, Done)>,
    pending: Vec<Done>,
}

struct Run;

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let mut args = std::env::args().skip(1);
        let mut arg = || -> u64 { args.next().and_then(|a| a.parse().ok()).unwrap_or(1) };
        let mut rng = Rng(arg().max(1));
        let calls = arg();
        let mut held = Held {
            descriptors: get_directories().into_iter().map(|(d, _)| d).collect(),
            ..Held::default()
        };
        let preopens = held.descriptors.len();
        let mut ok = 0u64;
        let trace = std::env::var_os("TRACE").is_some();
        let sync = HostSync::from_env();
        for call in 0..calls {
            sync.before(call);
            let n = held.descriptors.len() as u64;
            let di = rng.below(n) as usize;
            let d = &held.descriptors[di];
            let e = &held.descriptors[rng.below(n) as usize];
            let op = rng.below(30);
            let succeeded: Result<(), ErrorCode> = match op {
                0 => {
                    let (f, p) = (path_flags(&mut rng), path(&mut rng));
                    let o = OpenFlags::from_bits_truncate(rng.below(16) as u8);
                    let fl = DescriptorFlags::from_bits_truncate(rng.below(64) as u8);
                    // `directory` without `symlink-follow`: an intended
                    // difference (a symlink: `not-directory`, as Linux;
                    // wasmtime-wasi: `loop`), left out of a comparison.
                    if trace
                        && o.contains(OpenFlags::DIRECTORY)
                        && !f.contains(PathFlags::SYMLINK_FOLLOW)
                    {
                        Ok(())
                    } else {
                        let opened = d.open_at(f, p, o, fl).await;
                        opened.map(|x| hold(&mut rng, &mut held.descriptors, preopens, 24, x))
                    }
                }
                1 => d.stat().await.map(drop),
                2 => {
                    let (f, p) = (path_flags(&mut rng), path(&mut rng));
                    if trace && slashy(&p) {
                        Ok(())
                    } else {
                        d.stat_at(f, p).await.map(drop)
                    }
                }
                3 => d.create_directory_at(path(&mut rng)).await,
                4 => {
                    let p = path(&mut rng);
                    if trace && slashy(&p) {
                        Ok(())
                    } else {
                        d.remove_directory_at(p).await
                    }
                }
                5 => d.unlink_file_at(path(&mut rng)).await,
                6 => {
                    let (a, b) = (path(&mut rng), path(&mut rng));
                    d.rename_at(a, e, b).await
                }
                7 => {
                    let (f, a, b) = (path_flags(&mut rng), path(&mut rng), path(&mut rng));
                    // A new path ending in `/`: the old name's faults
                    // first, as Linux (wasmtime-wasi walks `new/` first).
                    if trace && slashy(&b) {
                        Ok(())
                    } else {
                        d.link_at(f, a, e, b).await
                    }
                }
                8 => {
                    let (a, b) = (path(&mut rng), path(&mut rng));
                    // An empty target (`no-entry` first, as Linux) or one with a NUL
                    // (`invalid`; wasmtime-wasi: `name-too-long`, or the link path's
                    // faults first).
                    if trace && (a.is_empty() || a.contains('\0')) {
                        Ok(())
                    } else {
                        d.symlink_at(a, b).await
                    }
                }
                9 => d.readlink_at(path(&mut rng)).await.map(drop),
                10 => {
                    let (f, p, a, m) = (
                        path_flags(&mut rng),
                        path(&mut rng),
                        time(&mut rng, trace),
                        time(&mut rng, trace),
                    );
                    d.set_times_at(f, p, a, m).await
                }
                // A preopen's own times: an intended difference
                // (wasmtime-wasi: `bad-descriptor`), left out of a
                // comparison.
                11 if trace && di < preopens => Ok(()),
                11 => {
                    d.set_times(time(&mut rng, trace), time(&mut rng, trace))
                        .await
                }
                12 => d.set_size(rng.big()).await,
                // `fsync` is slow on a busy disk: one call in 8.
                13 | 14 if !rng.chance(8) => Ok(()),
                13 => d.sync().await,
                14 => d.sync_data().await,
                15 => d.get_flags().await.map(drop),
                16 => d.get_type().await.map(drop),
                17 => {
                    let _ = d.is_same_object(e).await;
                    Ok(())
                }
                18 => d.metadata_hash().await.map(drop),
                19 => {
                    let (f, p) = (path_flags(&mut rng), path(&mut rng));
                    if trace && slashy(&p) {
                        Ok(())
                    } else {
                        d.metadata_hash_at(f, p).await.map(drop)
                    }
                }
                20 => {
                    let advice = [
                        Advice::Normal,
                        Advice::Sequential,
                        Advice::Random,
                        Advice::WillNeed,
                        Advice::DontNeed,
                        Advice::NoReuse,
                    ][rng.below(6) as usize];
                    d.advise(rng.big(), rng.big(), advice).await
                }
                21 if trace => {
                    // Traced: read (at most four reads), dropped, its
                    // result awaited at once (wasmtime-wasi reads in a
                    // task of its own: when it fails is timing).
                    let (mut rx, done) = d.read_via_stream(rng.big());
                    for _ in 0..4 {
                        let (result, _) = rx.read(Vec::with_capacity(65_536)).await;
                        if matches!(result, StreamResult::Dropped) {
                            break;
                        }
                    }
                    drop(rx);
                    done.await
                }
                21 => {
                    // A read stream: kept unread, or read a little.
                    let (mut rx, done) = d.read_via_stream(rng.big());
                    let mut ended = false;
                    if rng.chance(2) {
                        let buffer = Vec::with_capacity(rng.below(70_000) as usize);
                        let (result, _) = rx.read(buffer).await;
                        ended = matches!(result, StreamResult::Dropped);
                    }
                    if ended {
                        hold(&mut rng, &mut held.pending, 0, 24, done);
                    } else {
                        hold(&mut rng, &mut held.reads, 0, 24, (rx, done));
                    }
                    Ok(())
                }
                22 | 23 => {
                    // A write or append stream given part of its data, then
                    // dropped; its result awaited now, or later, or never.
                    let (mut tx, rx) = wit_stream::new();
                    let done = if rng.chance(2) {
                        d.write_via_stream(rx, rng.big())
                    } else {
                        d.append_via_stream(rx)
                    };
                    let data = vec![9u8; rng.below(100_000) as usize];
                    if trace {
                        // Traced: all of it, the result awaited at once.
                        let _ = tx.write_all(data).await;
                        drop(tx);
                        done.await
                    } else {
                        if rng.chance(2) {
                            let (_, _) = tx.write(data).await;
                        }
                        drop(tx);
                        if rng.chance(2) {
                            done.await
                        } else {
                            hold(&mut rng, &mut held.pending, 0, 24, done);
                            Ok(())
                        }
                    }
                }
                24 if trace => {
                    // Traced: read whole, its result awaited at once.
                    let (mut rx, done) = d.read_directory();
                    loop {
                        let (result, _) = rx.read(Vec::with_capacity(16)).await;
                        if matches!(result, StreamResult::Dropped) {
                            break;
                        }
                    }
                    drop(rx);
                    done.await
                }
                24 => {
                    // A listing: kept, or read a few entries.
                    let (mut rx, done) = d.read_directory();
                    let mut ended = false;
                    if rng.chance(2) {
                        let buffer = Vec::with_capacity(rng.below(5) as usize);
                        let (result, _) = rx.read(buffer).await;
                        ended = matches!(result, StreamResult::Dropped);
                    }
                    if ended {
                        hold(&mut rng, &mut held.pending, 0, 24, done);
                    } else {
                        hold(&mut rng, &mut held.listings, 0, 24, (rx, done));
                    }
                    Ok(())
                }
                25 if !held.reads.is_empty() => {
                    // Read more of a held stream (at its end, no read may
                    // follow: its result is kept), or drop it and await
                    // its result.
                    let i = rng.below(held.reads.len() as u64) as usize;
                    if rng.chance(2) {
                        let buffer = Vec::with_capacity(rng.below(70_000) as usize);
                        let (result, _) = held.reads[i].0.read(buffer).await;
                        if matches!(result, StreamResult::Dropped) {
                            let (_, done) = held.reads.swap_remove(i);
                            hold(&mut rng, &mut held.pending, 0, 24, done);
                        }
                        Ok(())
                    } else {
                        let (rx, done) = held.reads.swap_remove(i);
                        drop(rx);
                        done.await
                    }
                }
                26 if !held.listings.is_empty() => {
                    let i = rng.below(held.listings.len() as u64) as usize;
                    if rng.chance(2) {
                        let buffer = Vec::with_capacity(rng.below(50) as usize);
                        let (result, _) = held.listings[i].0.read(buffer).await;
                        if matches!(result, StreamResult::Dropped) {
                            let (_, done) = held.listings.swap_remove(i);
                            hold(&mut rng, &mut held.pending, 0, 24, done);
                        }
                        Ok(())
                    } else {
                        let (rx, done) = held.listings.swap_remove(i);
                        drop(rx);
                        done.await
                    }
                }
                27 if !held.pending.is_empty() => {
                    let i = rng.below(held.pending.len() as u64) as usize;
                    held.pending.swap_remove(i).await
                }
                _ => {
                    // Let go of held things, of each kind, unawaited.
                    let_go(&mut rng, &mut held.reads, 0, 2);
                    let_go(&mut rng, &mut held.listings, 0, 2);
                    let_go(&mut rng, &mut held.pending, 0, 2);
                    let_go(&mut rng, &mut held.descriptors, preopens, 1);
                    Ok(())
                }
            };
            if trace {
                let used = take_used();
                println!("{call} {op} {used:?} {:?}", succeeded.as_ref().err());
            }
            if succeeded.is_ok() {
                ok += 1;
            }
        }
        println!("calls {calls}, succeeded {ok}");
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
