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
//!
//! A mount with `Blocking::Pool`, linked with
//! `directfs::wasi::add_to_linker_async`, makes each call's syscalls on
//! tokio's blocking pool instead: the executor is free while they run, with
//! or without epoch yields.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Fixture, Host, guest};
use directfs::{Blocking, DirectfsCtx, Perms, PreopenOptions, Revalidation};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::p2::bindings::Command;
use wasmtime_wasi::p3::bindings::Command as P3Command;

/// What one run on the executor saw.
struct Run {
    /// Ticks of a 1 ms interval task while the guest ran.
    ticks: u32,
    /// The longest the interval task waited between two ticks.
    longest_gap: Duration,
    /// directfs's host syscalls for the guest.
    syscalls: u64,
    /// Threads the runtime's blocking pool started.
    pool_threads: usize,
}

/// Who serves `wasi:filesystem` in a [`run`].
#[derive(Clone, Copy, PartialEq)]
enum Fs {
    /// directfs, with its mount's syscalls where `Blocking` says.
    Directfs(Blocking),
    /// wasmtime-wasi's own.
    Wasmtime,
}

/// Runs `bench_std create 5000` on a current-thread runtime beside a 1 ms
/// interval task; the guest yields to the executor at every epoch tick if
/// `yielding`.
fn run(
    engine: &Engine,
    linker: &Linker<Host>,
    component: &Component,
    yielding: bool,
    fs: Fs,
) -> Run {
    run_guest("bench_std", engine, linker, component, yielding, fs)
}

/// What a guest of [`run_workload`] does, and on what mount.
struct Workload<'a> {
    /// `bench_std`, `bench_dfs` or `bench_p3` (a WASI 0.3 command).
    guest: &'a str,
    /// Its arguments: `create N`, or `tree DIRS FILES` (the fixture then
    /// has that tree).
    args: &'a [&'a str],
    revalidation: Revalidation,
}

/// [`run`] of `guest create 5000` (`bench_std`; `bench_dfs`: the same
/// workload through `directfs:fs`; `bench_p3`: through WASI 0.3).
fn run_guest(
    guest: &str,
    engine: &Engine,
    linker: &Linker<Host>,
    component: &Component,
    yielding: bool,
    fs: Fs,
) -> Run {
    let workload = Workload {
        guest,
        args: &["create", "5000"],
        revalidation: Revalidation::Exclusive,
    };
    run_workload(&workload, engine, linker, component, yielding, fs)
}

/// [`run`] of any [`Workload`].
fn run_workload(
    workload: &Workload<'_>,
    engine: &Engine,
    linker: &Linker<Host>,
    component: &Component,
    yielding: bool,
    fs: Fs,
) -> Run {
    let Workload {
        guest,
        args,
        revalidation,
    } = *workload;
    let fx = Fixture::new();
    std::fs::create_dir(fx.path("w")).unwrap();
    if let ["tree", dirs, files] = args {
        for d in 0..dirs.parse().unwrap() {
            let dir = fx.path(&format!("tree/d{d:02}"));
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..files.parse().unwrap() {
                std::fs::write(dir.join(format!("f{f:03}")), b"x").unwrap();
            }
        }
    }
    // On a current-thread runtime every thread it starts is a blocking
    // pool's.
    let pool_threads = Arc::new(AtomicUsize::new(0));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .on_thread_start({
            let started = pool_threads.clone();
            move || {
                started.fetch_add(1, Ordering::Relaxed);
            }
        })
        .build()
        .unwrap();
    rt.block_on(async {
        let mut wasi = WasiCtx::builder();
        wasi.arg(guest).args(args);
        let mut directfs = DirectfsCtx::builder();
        match fs {
            Fs::Wasmtime => {
                wasi.preopened_dir(&fx.sandbox, "/b", wasmtime_wasi::FsPerms::ReadWrite)
                    .unwrap();
            }
            Fs::Directfs(blocking) => {
                let options = PreopenOptions {
                    perms: Perms::ReadWrite,
                    revalidation,
                    blocking,
                };
                directfs.preopen(&fx.sandbox, "/b", options).unwrap();
            }
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
        let ticker = common::Ticker::start();
        // Let the ticker start first.
        tokio::task::yield_now().await;
        let ran = if guest == "bench_p3" {
            // A WASI 0.3 command, run as one.
            let command = P3Command::instantiate_async(&mut store, component, linker)
                .await
                .unwrap();
            store
                .run_concurrent(async move |store| command.wasi_cli_run().call_run(store).await)
                .await
                .and_then(|ran| ran)
        } else {
            let command = Command::instantiate_async(&mut store, component, linker)
                .await
                .unwrap();
            command.wasi_cli_run().call_run(&mut store).await
        };
        let gaps = ticker.stop().await;
        assert!(matches!(ran, Ok(Ok(()))), "{ran:?}");
        if let (Fs::Directfs(_), "create") = (fs, args[0]) {
            // The 5,000 files were made and removed on the host.
            assert_eq!(common::host_names(&fx.path("w")), Vec::<String>::new());
        }
        Run {
            ticks: gaps.len() as u32,
            longest_gap: gaps.iter().max().copied().unwrap_or_default(),
            syscalls: store.data().directfs.stats().syscalls,
            pool_threads: pool_threads.load(Ordering::Relaxed),
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
    let mut linker_async = theirs.clone();
    directfs::wasi::add_to_linker_async(&mut linker_async).unwrap();
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
    let inline_fs = Fs::Directfs(Blocking::Inline);
    let inline = run(&engine, &linker, &component, false, inline_fs);
    let yielding = run(&engine, &linker, &component, true, inline_fs);
    // The mount's syscalls on the blocking pool, no epoch yields.
    let pool_fs = Fs::Directfs(Blocking::Pool);
    let pool = run(&engine, &linker_async, &component, false, pool_fs);
    // `add_to_linker_async` with an inline mount: as `add_to_linker`.
    let async_inline = run(&engine, &linker_async, &component, false, inline_fs);
    // For comparison: wasmtime-wasi's own filesystem, which runs each call
    // on its blocking pool (no epoch yields).
    let wasmtime_fs = run(&engine, &theirs, &component, false, Fs::Wasmtime);
    eprintln!(
        "wasmtime-wasi's filesystem: the 1 ms task ticked {} times, longest gap {:?}",
        wasmtime_fs.ticks, wasmtime_fs.longest_gap
    );
    stop.store(true, Ordering::Relaxed);
    epoch.join().unwrap();
    for (label, r) in [
        ("no yield", &inline),
        ("epoch yield", &yielding),
        ("blocking pool, no yield", &pool),
        ("async linker, inline mount, no yield", &async_inline),
    ] {
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
    // On the pool the executor is free during every call, without yields.
    assert!(
        pool.ticks >= 20 && pool.ticks > 4 * async_inline.ticks.max(1),
        "pool {} ticks, inline on the async linker {}",
        pool.ticks,
        async_inline.ticks
    );
    // And no stall is long: the longest wait of the task is a small part
    // of what it is without yields or the pool (the whole run).
    for (label, free, held) in [
        ("epoch yield", &yielding, &inline),
        ("blocking pool", &pool, &async_inline),
    ] {
        assert!(
            free.longest_gap * 4 < held.longest_gap,
            "{label}: longest gap {:?}, against {:?}",
            free.longest_gap,
            held.longest_gap
        );
    }
}

/// A guest on a `Blocking::Pool` mount whose call is cancelled (its future
/// dropped by a timeout) while a call of it runs on the pool: when that
/// call ends, the context it took along is dropped there, and every dentry
/// the guest held is released, as for any dropped store.
#[test]
fn a_guest_cancelled_during_a_pool_call_releases_what_it_held() {
    let engine = Engine::new(&Config::new()).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    directfs::wasi::add_to_linker_async(&mut linker).unwrap();
    let component = Component::from_file(&engine, guest("bench_std")).unwrap();
    let fx = Fixture::new();
    std::fs::create_dir(fx.path("w")).unwrap();
    let fs = directfs::Filesystem::new();
    let options = directfs::MountOptions {
        revalidation: Revalidation::Exclusive,
        blocking: Blocking::Pool,
    };
    let mount = fs.mount_with(&fx.sandbox, options).unwrap();
    let held = |s: directfs::Stats| s.dentries - s.unreferenced;
    // On a current-thread runtime every thread it starts is a blocking
    // pool's.
    let pool_threads = Arc::new(AtomicUsize::new(0));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .on_thread_start({
            let started = pool_threads.clone();
            move || {
                started.fetch_add(1, Ordering::Relaxed);
            }
        })
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..4 {
            let mut wasi = WasiCtx::builder();
            wasi.args(&["bench_std", "create", "5000"]);
            let host = Host {
                wasi: wasi.build(),
                directfs: DirectfsCtx::builder()
                    .mount(&mount, "/b", Perms::ReadWrite)
                    .unwrap()
                    .build(),
                table: ResourceTable::new(),
            };
            let mut store = Store::new(&engine, host);
            let command = Command::instantiate_async(&mut store, &component, &linker)
                .await
                .unwrap();
            let run = command.wasi_cli_run().call_run(&mut store);
            let ran = tokio::time::timeout(Duration::from_millis(30), run).await;
            assert!(ran.is_err(), "the guest was still running: {ran:?}");
            drop(store);
        }
    });
    // Each cancelled guest held its preopen and its current file at least;
    // once the pool's calls are done, only the mount's root is held.
    let deadline = Instant::now() + Duration::from_secs(10);
    while held(fs.stats()) != 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let stats = fs.stats();
    assert_eq!(held(stats), 1, "after the stores are gone: {stats:?}");
    assert!(
        stats.syscalls > 100,
        "the guests ran on directfs: {stats:?}"
    );
}

/// The same for `directfs:fs` calls (`bench_dfs create 5000`), linked with
/// `directfs::add_to_linker_async`: on a `Blocking::Pool` mount they run on
/// the blocking pool and the executor keeps running; on an inline mount
/// they hold it (no epoch yields here).
#[test]
fn async_host_executor_keeps_running_beside_directfs_fs_calls_on_the_pool() {
    let engine = Engine::new(&Config::new()).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    directfs::add_to_linker_async(&mut linker).unwrap();
    let component = Component::from_file(&engine, guest("bench_dfs")).unwrap();
    let runs = [Blocking::Inline, Blocking::Pool].map(|blocking| {
        let fs = Fs::Directfs(blocking);
        let r = run_guest("bench_dfs", &engine, &linker, &component, false, fs);
        eprintln!(
            "directfs:fs, {blocking:?} mount: the 1 ms task ticked {} times, longest gap \
             {:?}; {} directfs syscalls",
            r.ticks, r.longest_gap, r.syscalls
        );
        // 5,000 × (openat, fstat, pwrite, unlinkat) at least, counted for
        // the store's context wherever they ran.
        assert!(
            r.syscalls >= 15_000,
            "{blocking:?}: {} syscalls",
            r.syscalls
        );
        r
    });
    let [inline, pool] = runs;
    assert!(
        pool.ticks >= 20 && pool.ticks > 4 * inline.ticks.max(1),
        "pool {} ticks, inline {}",
        pool.ticks,
        inline.ticks
    );
    assert!(
        pool.longest_gap * 4 < inline.longest_gap,
        "pool: longest gap {:?}, inline {:?}",
        pool.longest_gap,
        inline.longest_gap
    );
}

/// A WASI 0.3 guest on a `Blocking::Pool` mount: its calls run on the
/// guest's thread (0.3 calls are concurrent: the context cannot go to the
/// pool with one), but each cache miss's lookup is made on the blocking
/// pool. `bench_p3 tree 20 50` makes one miss per file (a `stat-at` of a
/// name not cached) and per directory: on the pool mount the runtime's
/// blocking pool runs them, on an inline mount it is never used; both
/// count the same syscalls for the store.
#[test]
fn wasi_p3_lookups_of_a_pool_mount_run_on_the_blocking_pool() {
    let mut config = Config::new();
    config.wasm_component_model_async(true);
    let engine = Engine::new(&config).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    directfs::wasi::add_to_linker_async(&mut linker).unwrap();
    wasmtime_wasi::p3::cli::add_to_linker(&mut linker).unwrap();
    wasmtime_wasi::p3::clocks::add_to_linker(&mut linker).unwrap();
    wasmtime_wasi::p3::random::add_to_linker(&mut linker).unwrap();
    directfs::wasi::p3::add_to_linker(&mut linker).unwrap();
    let component = Component::from_file(&engine, guest("bench_p3")).unwrap();
    let runs = [Blocking::Inline, Blocking::Pool].map(|blocking| {
        let fs = Fs::Directfs(blocking);
        let workload = Workload {
            guest: "bench_p3",
            args: &["tree", "20", "50"],
            revalidation: Revalidation::Exclusive,
        };
        let r = run_workload(&workload, &engine, &linker, &component, false, fs);
        eprintln!(
            "WASI 0.3, {blocking:?} mount: {} blocking-pool threads started; the 1 ms \
             task ticked {} times, longest gap {:?}; {} directfs syscalls",
            r.pool_threads, r.ticks, r.longest_gap, r.syscalls
        );
        r
    });
    let [inline, pool] = runs;
    assert_eq!(
        inline.pool_threads, 0,
        "an inline mount's calls stay on the guest's thread"
    );
    assert!(
        pool.pool_threads >= 1,
        "the pool mount's lookups ran on the pool"
    );
    // An `fstatat` per file, an `openat` and `fstat` per directory: the
    // same count, the pool's lookups included.
    assert!(inline.syscalls >= 1_000, "{} syscalls", inline.syscalls);
    assert_eq!(pool.syscalls, inline.syscalls);
}
