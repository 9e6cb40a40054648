//! `cargo bench --bench requests`: directfs as a server's filesystem.
//!
//! 1. Per request — a new context, store and instance of the `bench_std`
//!    guest, 20 `stat`s of a depth-8 path, exit — measured in-process, four
//!    ways in the same run: on one shared warm [`Filesystem`] mount, on a
//!    tree of its own per request (cold: `DirectfsCtxBuilder::preopen`), on
//!    wasmtime-wasi's `preopened_dir`, and the bare instantiate (no run).
//! 2. Hot stats on one shared mount from 1 and from 2 threads: aggregate
//!    throughput, 2 threads / 1 thread; the same for hot `directfs:fs`
//!    walks (`bench_dfs stat8`: `walk-path` + `stat` + drop, each walk and
//!    drop a guest reference taken and dropped on the shared tree).
//! 3. Cold opens (reading files no dentry caches yet) on one fresh mount
//!    from 1 and from 2 threads: aggregate throughput, 2 threads / 1
//!    thread; on an inline mount (misses under the tree lock unless
//!    another thread waits for it) and on a pool one (every miss with the
//!    lock released).
//!
//! `DFS_BENCH_SCALE` (default 1.0) scales the counts; `DFS_BENCH_ROUNDS`
//! (default 3) the rounds (medians are printed).

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::Instant;

use common::Host;
use directfs::{Blocking, DirectfsCtx, Filesystem, Mount, MountOptions, Perms, Revalidation};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p2::bindings::sync::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// Where a request's `/b` comes from.
#[derive(Clone, Copy)]
enum Way<'a> {
    /// A view of the shared mount.
    Shared(&'a Mount),
    /// A tree of the request's own.
    Cold(&'a Path),
    /// wasmtime-wasi's `preopened_dir`.
    Wasmtime(&'a Path),
}

struct Bench {
    engine: Engine,
    /// directfs's `wasi:filesystem`.
    directfs: CommandPre<Host>,
    /// wasmtime-wasi's own.
    wasmtime: CommandPre<Host>,
    /// The `bench_dfs` guest, on `directfs:fs`.
    dfs: CommandPre<Host>,
}

impl Bench {
    fn new() -> Self {
        let engine = Engine::new(&Config::new()).unwrap();
        let component = Component::from_file(&engine, common::guest("bench_std")).unwrap();
        let mut theirs = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut theirs).unwrap();
        let mut ours = theirs.clone();
        directfs::wasi::add_to_linker(&mut ours).unwrap();
        let mut dfs = theirs.clone();
        directfs::add_to_linker(&mut dfs).unwrap();
        let pre = |linker: &Linker<Host>, component: &Component| {
            CommandPre::new(linker.instantiate_pre(component).unwrap()).unwrap()
        };
        let bench_dfs = Component::from_file(&engine, common::guest("bench_dfs")).unwrap();
        Self {
            directfs: pre(&ours, &component),
            wasmtime: pre(&theirs, &component),
            dfs: pre(&dfs, &bench_dfs),
            engine,
        }
    }

    /// One request: context, store, instance, and (if `args`) the guest's
    /// run of `bench_std ARGS`; returns what it printed.
    fn request(&self, way: Way<'_>, args: Option<&[&str]>) -> String {
        let pre = match way {
            Way::Wasmtime(_) => &self.wasmtime,
            Way::Shared(_) | Way::Cold(_) => &self.directfs,
        };
        self.request_of(pre, way, args)
    }

    /// [`Bench::request`] of the guest `pre` instantiates.
    fn request_of(&self, pre: &CommandPre<Host>, way: Way<'_>, args: Option<&[&str]>) -> String {
        let stdout = MemoryOutputPipe::new(1024);
        let mut wasi = WasiCtxBuilder::new();
        // As `dfs-run` (and the wasmtime CLI): a synchronous host lets
        // wasmtime-wasi's filesystem run on this thread.
        wasi.arg("bench_std")
            .stdout(stdout.clone())
            .allow_blocking_current_thread(true);
        for arg in args.unwrap_or_default() {
            wasi.arg(arg);
        }
        let directfs = match way {
            Way::Shared(mount) => DirectfsCtx::builder()
                .mount(mount, "/b", Perms::ReadWrite)
                .unwrap()
                .build(),
            Way::Cold(dir) => DirectfsCtx::builder()
                .preopen(dir, "/b", Perms::ReadWrite)
                .unwrap()
                .build(),
            Way::Wasmtime(dir) => {
                wasi.preopened_dir(dir, "/b", wasmtime_wasi::FsPerms::ReadWrite)
                    .unwrap();
                DirectfsCtx::builder().build()
            }
        };
        let host = Host {
            wasi: wasi.build(),
            directfs,
            table: ResourceTable::new(),
        };
        let mut store = Store::new(&self.engine, host);
        let command = pre.instantiate(&mut store).unwrap();
        if args.is_some() {
            let ran = command.wasi_cli_run().call_run(&mut store).unwrap();
            assert!(ran.is_ok());
        }
        drop(store);
        String::from_utf8(stdout.contents().to_vec()).unwrap()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let scale: f64 = std::env::var("DFS_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let rounds: usize = std::env::var("DFS_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let requests = ((1000.0 * scale) as usize).max(10);

    let fx = tempfile::tempdir().unwrap();
    let base = fx.path();
    std::fs::create_dir_all(base.join("deep/a/b/c/d/e/f/g")).unwrap();
    std::fs::write(base.join("deep/a/b/c/d/e/f/g/file"), b"x").unwrap();
    wasmtime_wasi::runtime::in_tokio(async {});

    let bench = Bench::new();
    let fs = Filesystem::new();
    let mount = fs.mount(base, Default::default()).unwrap();
    let stat20: &[&str] = &["stat8", "20"];

    // 1. Per request, the ways interleaved round by round.
    let ways: [(&str, Way<'_>, Option<&[&str]>); 4] = [
        ("shared warm mount", Way::Shared(&mount), Some(stat20)),
        ("own tree per request (cold)", Way::Cold(base), Some(stat20)),
        (
            "wasmtime-wasi preopened_dir",
            Way::Wasmtime(base),
            Some(stat20),
        ),
        ("bare instantiate (no run)", Way::Shared(&mount), None),
    ];
    let mut per_request = vec![Vec::new(); ways.len()];
    for _ in 0..rounds {
        for (i, (_, way, args)) in ways.iter().enumerate() {
            bench.request(*way, *args); // warm-up
            let start = Instant::now();
            for _ in 0..requests {
                bench.request(*way, *args);
            }
            per_request[i].push(start.elapsed().as_nanos() as f64 / requests as f64 / 1000.0);
        }
    }
    let wasi = median(per_request[2].clone());
    println!("per request ({requests} requests × {rounds} rounds; 20 stats of a depth-8 path):");
    println!("{:<32} {:>12} {:>16}", "", "µs/request", "vs wasmtime-wasi");
    for ((label, ..), times) in ways.iter().zip(&per_request) {
        let us = median(times.clone());
        println!("{label:<32} {us:>12.1} {:>15.2}×", us / wasi);
    }

    // 2. Hot stats on the shared mount: 1 thread, then 2 at once.
    let stats = ((200_000.0 * scale) as usize).max(1000).to_string();
    let hot: &[&str] = &["stat8", &stats];
    let ns = |out: &str| -> f64 {
        out.split_whitespace()
            .find_map(|w| w.strip_prefix("ns=")?.parse().ok())
            .unwrap()
    };
    // The ceiling: the same two threads, each on a filesystem of its own
    // (no shared lock, no shared cache).
    let fs2 = Filesystem::new();
    let mount2 = fs2.mount(base, Default::default()).unwrap();
    let guests = [
        ("hot stats (std::fs)", &bench.directfs),
        ("hot directfs:fs walks", &bench.dfs),
    ];
    for (label, pre) in guests {
        let request = |mount| bench.request_of(pre, Way::Shared(mount), Some(hot));
        let mut apart = Vec::new();
        let mut ratios = Vec::new();
        let (mut one, mut two) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let start = Instant::now();
            std::thread::scope(|s| {
                for mount in [&mount, &mount2] {
                    s.spawn(move || request(mount));
                }
            });
            apart.push(start.elapsed().as_secs_f64());
            let start = Instant::now();
            ns(&request(&mount));
            let t1 = start.elapsed().as_secs_f64();
            let start = Instant::now();
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| request(&mount));
                }
            });
            let t2 = start.elapsed().as_secs_f64();
            // Throughput: 1 thread does N stats in t1, 2 threads 2N in t2.
            ratios.push(2.0 * t1 / t2);
            one.push(t1);
            two.push(t2);
        }
        let one = median(one);
        println!(
            "{label} on one mount, {stats} per thread: 1 thread {one:.3} s, 2 threads {:.3} s; \
             aggregate throughput 2 threads / 1 thread {:.2}×; 2 threads on a filesystem each \
             {:.3} s ({:.2}×)",
            median(two),
            median(ratios),
            median(apart.clone()),
            2.0 * one / median(apart)
        );
    }
    println!(
        "host FDs of the shared filesystem: {} (peak {}, budget {})",
        fs.stats().host_fds,
        fs.stats().peak_host_fds,
        fs.stats().max_host_fds
    );

    // 3. Cold opens on one mount (each file's first `open-at`: a walk to a
    // new dentry and an open, both cache misses), 1 thread, then 2 at once
    // on disjoint halves; a fresh mount each time.
    let (dirs, files) = (20, ((500.0 * scale) as u64).clamp(10, 999));
    for d in 0..dirs {
        let dir = base.join(format!("tree/d{d:02}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..files {
            std::fs::write(dir.join(format!("f{f:03}")), b"x").unwrap();
        }
    }
    let half = dirs / 2;
    let read = |first: u64| {
        [
            "read".to_owned(),
            half.to_string(),
            files.to_string(),
            first.to_string(),
        ]
    };
    let run = |mount: &Mount, args: &[String; 4]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        bench.request(Way::Shared(mount), Some(&args));
    };
    for blocking in [Blocking::Inline, Blocking::Pool] {
        let fresh = || {
            let options = MountOptions {
                revalidation: Revalidation::Exclusive,
                blocking,
            };
            Filesystem::with_limits(2 * (dirs * files) as usize, 4096)
                .mount_with(base, options)
                .unwrap()
        };
        let (mut one, mut two, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        run(&fresh(), &read(0)); // warm-up (the host's page and dentry caches)
        for _ in 0..rounds {
            let mount = fresh();
            let start = Instant::now();
            run(&mount, &read(0));
            let t1 = start.elapsed().as_secs_f64();
            let mount = fresh();
            let start = Instant::now();
            std::thread::scope(|s| {
                for first in [0, half] {
                    let (mount, run, read) = (&mount, &run, &read);
                    s.spawn(move || run(mount, &read(first)));
                }
            });
            let t2 = start.elapsed().as_secs_f64();
            ratios.push(2.0 * t1 / t2);
            one.push(t1);
            two.push(t2);
        }
        println!(
            "cold opens on one {blocking:?} mount, {} files per thread: 1 thread {:.3} s, \
             2 threads {:.3} s; aggregate throughput 2 threads / 1 thread {:.2}×",
            half * files,
            median(one),
            median(two),
            median(ratios)
        );
    }
}
