//! A server-shaped host: several worker threads serve requests, each with a
//! fresh store and component instance, all on one shared [`Filesystem`]
//! mount. It prints each thread's request latencies (median and slowest)
//! and the host FDs of the whole filesystem.
//!
//! ```text
//! ./scripts/build-guests.sh
//! mkdir -p /tmp/srv && echo shared > /tmp/srv/common.txt
//! cargo run --release --example server -- \
//!     guests/target/wasm32-wasip2/release/shared_worker.wasm /tmp/srv 4 250
//! ```
//!
//! The guest gets `ID` as its argument and `/data` as its preopen
//! (`shared_worker` makes `/data/wID/` and works in it).

use std::time::{Duration, Instant};

use directfs::{DirectfsCtx, DirectfsCtxView, DirectfsView, Filesystem, Perms, Revalidation};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::error::Context as _;
use wasmtime::{Config, Engine, Result, Store};
use wasmtime_wasi::p2::bindings::sync::CommandPre;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// One request's store data.
struct Request {
    wasi: WasiCtx,
    directfs: DirectfsCtx,
    table: ResourceTable,
}

impl WasiView for Request {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl DirectfsView for Request {
    fn directfs(&mut self) -> DirectfsCtxView<'_> {
        DirectfsCtxView {
            ctx: &mut self.directfs,
            table: &mut self.table,
        }
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [component, dir, rest @ ..] = args.as_slice() else {
        eprintln!("usage: server COMPONENT.wasm HOST_DIR [THREADS] [REQUESTS_PER_THREAD]");
        std::process::exit(2);
    };
    let threads: usize = rest.first().map_or(Ok(2), |s| s.parse())?;
    let requests: usize = rest.get(1).map_or(Ok(100), |s| s.parse())?;
    let served = run(component, dir, threads, requests)?;
    println!(
        "[server] {} requests ({} failed) in {:?}; host FDs now {} (peak {}, budget {}), {} dentries cached",
        threads * requests,
        served.failed,
        served.took,
        served.stats.host_fds,
        served.stats.peak_host_fds,
        served.stats.max_host_fds,
        served.stats.unreferenced
    );
    Ok(())
}

/// What [`run`] served.
pub struct Served {
    /// Requests whose guest failed.
    pub failed: usize,
    /// The whole run's wall time.
    pub took: Duration,
    /// The shared filesystem's counters after the run.
    pub stats: directfs::Stats,
}

/// Serves `requests` requests on each of `threads` threads: each a fresh
/// store and instance of `component`, with `/data` a view of the one mount
/// of `dir` and its request number as the argument.
pub fn run(component: &str, dir: &str, threads: usize, requests: usize) -> Result<Served> {
    // Built once: the engine, the linker, the component (pre-instantiated),
    // and the filesystem with its mount.
    let engine = Engine::new(&Config::new())?;
    let mut linker = Linker::<Request>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    directfs::add_to_linker(&mut linker)?;
    directfs::wasi::add_to_linker(&mut linker)?;
    let component =
        Component::from_file(&engine, component).with_context(|| format!("loading {component}"))?;
    let pre = CommandPre::new(linker.instantiate_pre(&component)?)?;
    let fs = Filesystem::new();
    let data = fs.mount(dir, Revalidation::Exclusive)?;
    wasmtime_wasi::runtime::in_tokio(async {});

    let started = Instant::now();
    let failed = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (engine, pre, data, failed) = (&engine, &pre, &data, &failed);
                scope.spawn(move || -> Result<Vec<Duration>> {
                    let mut latencies = Vec::with_capacity(requests);
                    for r in 0..requests {
                        let start = Instant::now();
                        // The per-request part: a view of the mount (no
                        // syscall), a store, an instance, the guest's run.
                        let request = Request {
                            wasi: WasiCtx::builder()
                                .args(&["worker".to_string(), (t * 1_000_000 + r).to_string()])
                                .build(),
                            directfs: DirectfsCtx::builder()
                                .mount(data, "/data", Perms::ReadWrite)?
                                .build(),
                            table: ResourceTable::new(),
                        };
                        let mut store = Store::new(engine, request);
                        let command = pre.instantiate(&mut store)?;
                        if command.wasi_cli_run().call_run(&mut store)?.is_err() {
                            eprintln!("[server] request {t}/{r}: the guest failed");
                            failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        // Dropping the store releases what the guest held.
                        drop(store);
                        latencies.push(start.elapsed());
                    }
                    Ok(latencies)
                })
            })
            .collect();
        for (t, worker) in workers.into_iter().enumerate() {
            let mut latencies = worker
                .join()
                .map_err(|_| wasmtime::Error::msg("a worker panicked"))??;
            latencies.sort();
            let median = latencies
                .get(latencies.len() / 2)
                .copied()
                .unwrap_or_default();
            let slowest = latencies.last().copied().unwrap_or_default();
            println!(
                "[server] thread {t}: {} requests, median {median:?}, slowest {slowest:?}",
                latencies.len()
            );
        }
        Ok(())
    })?;
    Ok(Served {
        failed: failed.into_inner(),
        took: started.elapsed(),
        stats: fs.stats(),
    })
}
