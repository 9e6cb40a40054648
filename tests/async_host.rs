//! An async embedder: wasmtime with `async_support`, wasmtime-wasi linked
//! with `add_to_linker_async`, directfs's `wasi:filesystem` over it, the
//! guest run by `call_run_async` on a tokio current-thread runtime (one
//! thread for the guest and every other task).
//!
//! directfs's host calls run inline: each is a few syscalls on a local
//! disk, microseconds, never a wait on the guest's behalf. So what could
//! stall the executor is the guest's run as a whole, and wasmtime's own
//! remedy applies: epoch interruption with
//! `epoch_deadline_async_yield_and_update`, which makes the guest yield to
//! the executor at the next tick between host calls. The test checks that
//! the executor's other tasks keep running through a guest making 5,000
//! files, and that the files really went through directfs.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Fixture, Host, guest};
use directfs::{DirectfsCtx, FsPerms};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::p2::bindings::Command;

/// What one run on the executor saw.
struct Run {
    /// Ticks of a 1 ms interval task while the guest ran.
    ticks: u32,
    /// The longest the interval task waited between two ticks.
    longest_gap: Duration,
    /// directfs's host syscalls for the guest.
    syscalls: u64,
}

/// Runs `bench_std create 5000` on a current-thread runtime beside a 1 ms
/// interval task; the guest yields to the executor at every epoch tick if
/// `yielding`.
fn run(
    engine: &Engine,
    linker: &Linker<Host>,
    component: &Component,
    yielding: bool,
    wasmtime_fs: bool,
) -> Run {
    let fx = Fixture::new();
    std::fs::create_dir(fx.path("w")).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut wasi = WasiCtx::builder();
        wasi.args(&["bench_std", "create", "5000"]);
        let mut directfs = DirectfsCtx::builder();
        if wasmtime_fs {
            wasi.preopened_dir(&fx.sandbox, "/b", wasmtime_wasi::FsPerms::ReadWrite)
                .unwrap();
        } else {
            directfs
                .preopen(&fx.sandbox, "/b", FsPerms::ReadWrite)
                .unwrap();
        }
        let host = Host {
            wasi: wasi.build(),
            directfs: directfs.build(),
            table: ResourceTable::new(),
        };
        let mut store = Store::new(engine, host);
        if yielding {
            store.epoch_deadline_async_yield_and_update(1);
        } else {
            store.set_epoch_deadline(1 << 40);
        }
        let done = Arc::new(AtomicBool::new(false));
        let ticker = tokio::spawn({
            let done = done.clone();
            async move {
                let mut interval = tokio::time::interval(Duration::from_millis(1));
                let (mut ticks, mut longest_gap, mut last) = (0u32, Duration::ZERO, Instant::now());
                while !done.load(Ordering::Relaxed) {
                    interval.tick().await;
                    let now = Instant::now();
                    longest_gap = longest_gap.max(now - last);
                    last = now;
                    ticks += 1;
                }
                (ticks, longest_gap)
            }
        });
        // Let the ticker start first.
        tokio::task::yield_now().await;
        let command = Command::instantiate_async(&mut store, component, linker)
            .await
            .unwrap();
        let ran = command.wasi_cli_run().call_run(&mut store).await;
        done.store(true, Ordering::Relaxed);
        assert!(matches!(ran, Ok(Ok(()))), "{ran:?}");
        let (ticks, longest_gap) = ticker.await.unwrap();
        Run {
            ticks,
            longest_gap,
            syscalls: store.data().directfs.stats().syscalls,
        }
    })
}

#[test]
fn async_host_executor_keeps_running_while_a_guest_makes_files() {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config).unwrap();
    let mut theirs = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut theirs).unwrap();
    let mut linker = theirs.clone();
    directfs::wasi::add_to_linker(&mut linker).unwrap();
    let component = Component::from_file(&engine, guest("bench_std")).unwrap();
    // The epoch ticks every millisecond, as an embedder's timer would.
    let stop = Arc::new(AtomicBool::new(false));
    let epoch = std::thread::spawn({
        let (engine, stop) = (engine.clone(), stop.clone());
        move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
                engine.increment_epoch();
            }
        }
    });
    let inline = run(&engine, &linker, &component, false, false);
    let yielding = run(&engine, &linker, &component, true, false);
    // For comparison: wasmtime-wasi's own filesystem, which runs each call
    // on its blocking pool (no epoch yields).
    let wasmtime_fs = run(&engine, &theirs, &component, false, true);
    eprintln!(
        "wasmtime-wasi's filesystem: the 1 ms task ticked {} times, longest gap {:?}",
        wasmtime_fs.ticks, wasmtime_fs.longest_gap
    );
    stop.store(true, Ordering::Relaxed);
    epoch.join().unwrap();
    for (label, r) in [("no yield", &inline), ("epoch yield", &yielding)] {
        eprintln!(
            "{label}: the 1 ms task ticked {} times during the run, longest gap {:?}; \
             {} directfs syscalls",
            r.ticks, r.longest_gap, r.syscalls
        );
        // 5,000 × (open-at, write, drop, unlink-at): directfs served them.
        assert!(r.syscalls >= 15_000, "{label}: {} syscalls", r.syscalls);
    }
    // Yielding at epoch ticks, the executor ran its other task all along
    // (a tick per millisecond or so, where without yields it barely ran).
    assert!(
        yielding.ticks >= 20 && yielding.ticks > 4 * inline.ticks.max(1),
        "yielding {} ticks, inline {}",
        yielding.ticks,
        inline.ticks
    );
}
