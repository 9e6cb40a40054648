//! One [`Filesystem`] shared by many stores on several threads, as a server
//! embeds directfs: read-write and read-only views of one mount, contexts
//! made without a syscall, one FD budget for all of them, and every dentry a
//! guest held released when its store is dropped.
//!
//! Everything runs in one test: `host_syscalls` counts the whole process.

mod common;

use std::sync::Arc;

use common::{Fixture, Host, guest};
use directfs::{DirectfsCtx, Filesystem, Mount, Perms};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

const THREADS: usize = 4;
const STORES_PER_THREAD: usize = 25;
/// Of each thread's stores, how many exit holding a file open.
const HOLDERS: usize = 3;

/// What every thread shares: the compiled guest, the linker, the mount.
struct Shared {
    engine: Engine,
    linker: Linker<Host>,
    component: Component,
    mount: Mount,
}

impl Shared {
    /// Runs `shared_worker ID [ro|hold]` in a new store on a new view of
    /// the mount; returns the store (alive, its guest finished) and what the
    /// guest printed.
    fn run(&self, id: usize, perms: Perms, hold: bool) -> (Store<Host>, String) {
        let directfs = DirectfsCtx::builder()
            .mount(&self.mount, "/data", perms)
            .unwrap()
            .max_open(64)
            .build();
        let stdout = MemoryOutputPipe::new(4096);
        let mut wasi = WasiCtx::builder();
        wasi.arg("shared_worker")
            .arg(id.to_string())
            .stdout(stdout.clone());
        if perms == Perms::ReadOnly {
            wasi.arg("ro");
        } else if hold {
            wasi.arg("hold");
        }
        let host = Host {
            wasi: wasi.build(),
            directfs,
            table: ResourceTable::new(),
        };
        let mut store = Store::new(&self.engine, host);
        let command = Command::instantiate(&mut store, &self.component, &self.linker).unwrap();
        let result = command.wasi_cli_run().call_run(&mut store);
        assert!(matches!(result, Ok(Ok(()))), "worker {id}: {result:?}");
        let out = String::from_utf8(stdout.contents().to_vec()).unwrap();
        (store, out)
    }
}

#[test]
fn shared_mount() {
    let fx = Fixture::new();
    std::fs::write(fx.path("common.txt"), "shared\n").unwrap();
    // A small budget, so that 100 stores would pass it many times over if
    // each kept a cache of its own: 32 cached dentries, 128 held FDs.
    let fs = Filesystem::with_limits(32, 128);
    let mount = fs.mount(&fx.sandbox, Default::default()).unwrap();
    let bound = fs.stats().max_host_fds;
    assert_eq!(bound, 128 + 32 + 1, "held + cached + mounts");

    // A context is a view: building one makes no syscall.
    let before = directfs::host_syscalls();
    let view = DirectfsCtx::builder()
        .mount(&mount, "/data", Perms::ReadOnly)
        .unwrap()
        .build();
    assert_eq!(directfs::host_syscalls(), before, "building a context");
    drop(view);
    // The mounts of one context are of one filesystem.
    let other = Filesystem::new()
        .mount(&fx.sandbox, Default::default())
        .unwrap();
    let err = DirectfsCtx::builder()
        .mount(&mount, "/a", Perms::ReadWrite)
        .unwrap()
        .mount(&other, "/b", Perms::ReadWrite)
        .unwrap_err();
    assert!(
        format!("{err}").contains("one directfs::Filesystem"),
        "{err}"
    );

    let engine = Engine::new(&Config::new()).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    directfs::add_to_linker(&mut linker).unwrap();
    directfs::wasi::add_to_linker(&mut linker).unwrap();
    let component = Component::from_file(&engine, guest("shared_worker")).unwrap();
    let shared = Arc::new(Shared {
        engine,
        linker,
        component,
        mount,
    });

    // THREADS × STORES_PER_THREAD read-write tenants at once, and a
    // read-only one per thread; every store stays alive to the end.
    let stores: Vec<Vec<Store<Host>>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let shared = &shared;
                scope.spawn(move || {
                    let mut stores = Vec::new();
                    for s in 0..STORES_PER_THREAD {
                        let id = t * 1000 + s;
                        // The first few exit holding a file open.
                        let (store, out) = shared.run(id, Perms::ReadWrite, s < HOLDERS);
                        assert_eq!(out, format!("{id}: f1,f2,f3,f4,f5,f6,f7,f8,g0\n"));
                        stores.push(store);
                    }
                    let id = t * 1000 + 999;
                    let (store, out) = shared.run(id, Perms::ReadOnly, false);
                    assert_eq!(out, format!("{id}: mkdir PermissionDenied\n"));
                    stores.push(store);
                    stores
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });

    // One budget for all of them: ~104 finished stores, not 104 caches.
    let stats = fs.stats();
    eprintln!(
        "{} stores alive: {} dentries, {} host FDs (peak {}, bound {bound})",
        stores.iter().map(Vec::len).sum::<usize>(),
        stats.dentries,
        stats.host_fds,
        stats.peak_host_fds
    );
    assert!(stats.peak_host_fds <= bound, "{stats:?}");
    assert!(stats.host_fds <= bound, "{stats:?}");

    // Per-context metrics: each tenant's own syscalls (a read-write tenant
    // makes many more than a read-only one), adding up to the filesystem's.
    let syscalls = |store: &Store<Host>| store.data().directfs.stats().syscalls;
    for thread in &stores {
        let (rw, ro) = (syscalls(&thread[0]), syscalls(&thread[STORES_PER_THREAD]));
        assert!(rw > ro && ro > 0, "read-write {rw}, read-only {ro}");
        // A holder ends with its preopen and its `g0` descriptors.
        assert_eq!(thread[0].data().directfs.stats().open_resources, 2);
    }
    let per_context: u64 = stores.iter().flatten().map(syscalls).sum();
    assert_eq!(per_context, fs.stats().syscalls);
    // And each tenant's name lookups: the cache answers most of them (the
    // tenants share the mount's dentries), and they too add up.
    let lookups = |store: &Store<Host>| {
        let stats = store.data().directfs.stats();
        (stats.lookup_hits, stats.lookup_misses)
    };
    let (hits, misses) = stores
        .iter()
        .flatten()
        .map(lookups)
        .fold((0, 0), |(h, m), (hits, misses)| (h + hits, m + misses));
    let total = fs.stats();
    assert_eq!((hits, misses), (total.lookup_hits, total.lookup_misses));
    let zero = stores
        .iter()
        .flatten()
        .filter(|s| lookups(s) == (0, 0))
        .count();
    assert_eq!(zero, 0, "every tenant's lookups are counted");
    assert!(hits > misses, "hits {hits}, misses {misses}");
    eprintln!("lookups: {hits} from the cache, {misses} from the host");

    // The host tree is what the tenants did, and nothing else.
    for t in 0..THREADS {
        for s in 0..STORES_PER_THREAD {
            let id = t * 1000 + s;
            let dir = fx.path(&format!("w{id}"));
            let mut names = common::host_names(&dir);
            names.sort();
            assert_eq!(
                names,
                ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "g0"]
            );
            assert_eq!(
                std::fs::read_to_string(dir.join("f1")).unwrap(),
                format!("{id}:1+")
            );
            assert_eq!(
                std::fs::read_to_string(dir.join("g0")).unwrap(),
                format!("{id}:0")
            );
        }
        assert!(!fx.path(&format!("w{}", t * 1000 + 999)).exists());
    }
    fx.assert_outside_untouched();

    // Dropping the stores releases what their guests still held (every
    // guest exits holding its preopen, the holders a file too): only the
    // mount's root is left referenced, everything else is cache.
    let held = |s: directfs::Stats| s.dentries - s.unreferenced;
    assert_eq!(held(fs.stats()), 1 + THREADS * HOLDERS, "{:?}", fs.stats());
    drop(stores);
    let stats = fs.stats();
    assert_eq!(held(stats), 1, "after the stores are gone: {stats:?}");
    assert!(
        stats.unreferenced <= 32,
        "the cache keeps its bound: {stats:?}"
    );
}
