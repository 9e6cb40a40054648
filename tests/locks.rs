//! Advisory file locks for guests (`handle.lock`, `unlock`, `test-lock`),
//! checked against the kernel's truth: what the test process's own `fcntl`
//! sees and is refused while a guest holds locks, a guest refused and
//! made to wait by the test's `fcntl` lock, locks released by a trap only
//! when the store goes, the per-store limit of lock records, and N stores
//! on one `Filesystem` appending to one file under the lock.

mod common;

use std::fs::File;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::locks::{
    check_lock_ranges, finish, getlk, locked_file, ofd_setlk, setlk, spawn, wait_for,
};
use common::{Fixture, Host, each_host, guest, run_in};
use directfs::{Blocking, DirectfsCtx, Filesystem, Mount, MountOptions, Perms};
use nix::errno::Errno;
use nix::libc;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::p2::bindings::sync::Command as WasiCommand;

#[test]
fn lock_ranges() {
    each_host(|host| {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), [0u8; 64]).unwrap();
        std::fs::create_dir(fx.path("d")).unwrap();
        check_lock_ranges("lock_ranges", &fx.sandbox, &fx.sandbox, host, |f| {
            let w = libc::F_WRLCK;
            setlk(f, w, 20, 10).expect("this process takes bytes the guest does not hold");
            setlk(f, libc::F_UNLCK, 20, 10).unwrap();
            let d = File::open(fx.path("d")).unwrap();
            let seen = getlk(&d, w, 0, 0);
            assert_eq!(seen, Some((libc::F_RDLCK, 0, 0)), "the directory's S");
        });
        fx.assert_outside_untouched();
    });
}

#[test]
fn lock_wait() {
    each_host(|host| {
        let fx = Fixture::new();
        let f = locked_file(&fx.sandbox, setlk);
        let mut child = spawn("lock_wait", &fx.sandbox, host, &[]);
        wait_for(&fx.sandbox, "tried", &mut child);
        std::thread::sleep(Duration::from_millis(300));
        assert!(child.try_wait().unwrap().is_none(), "the guest waits");
        assert!(!fx.path("acquired").exists());
        let released = Instant::now();
        setlk(&f, libc::F_UNLCK, 0, 0).unwrap();
        wait_for(&fx.sandbox, "acquired", &mut child);
        let late = released.elapsed();
        let (code, stdout, stderr) = finish(child);
        assert_eq!(code, Some(0), "guest failed:\n{stdout}\n{stderr}");
        assert_eq!(stdout.trim(), "acquired");
        // The longest pause between tries is 16 ms; a second is far more.
        assert!(
            late < Duration::from_secs(1),
            "took the lock {late:?} after"
        );
    });
}

#[test]
fn lock_wait_interrupted_by_timeout() {
    each_host(|host| {
        let fx = Fixture::new();
        let f = locked_file(&fx.sandbox, setlk);
        let started = Instant::now();
        let child = spawn("lock_wait", &fx.sandbox, host, &["-W", "timeout=1s"]);
        let (code, stdout, stderr) = finish(child);
        let took = started.elapsed();
        assert_eq!(
            code,
            Some(134),
            "a trap, as -W timeout makes:\n{stdout}\n{stderr}"
        );
        assert!(!fx.path("acquired").exists(), "nor taken the lock");
        assert!(fx.path("tried").exists(), "it waited:\n{stderr}");
        // dfs-run's watchdog (1 s past the timeout) ends the process
        // anyway; the interrupted wait ends well before.
        assert!(
            took < Duration::from_millis(1800),
            "the wait ended after {took:?}"
        );
        assert!(
            stderr.contains("longer than -W timeout=1s and was stopped\n"),
            "the interrupted wait ended the run:\n{stdout}\n{stderr}"
        );
        assert!(
            !stderr.contains("waiting in a host call"),
            "dfs-run's grace period ended it, not the interrupted wait:\n{stderr}"
        );
        // The lock is still this process's.
        assert_eq!(getlk(&f, libc::F_WRLCK, 0, 0), None, "own lock");
    });
}

#[test]
fn lock_limits() {
    each_host(|host| {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), "x").unwrap();
        let mut dir = format!("{}::/sandbox", fx.sandbox.display());
        if !host.is_empty() {
            dir = format!("{dir},{host}");
        }
        let run = common::dfs_run([
            "--max-locks".into(),
            "4".into(),
            "--dir".into(),
            dir,
            guest("lock_limits").display().to_string(),
        ]);
        run.assert_success();
        assert_eq!(run.stdout.trim(), "records=4");
    });
    // dfs-run's default is the library's.
    let fx = Fixture::new();
    std::fs::write(fx.path("f"), "x").unwrap();
    let run = run_in("lock_limits", &fx.sandbox, "");
    assert_ne!(
        run.code,
        Some(0),
        "1024 records: the guest's 5th lock succeeds"
    );
    assert!(run.stderr.contains("record 5"), "{}", run.stderr);
}

/// A store running guest `name` with `args` on `mount` (as `/sandbox`),
/// with `max_locks`; returns the store (alive) and whether the guest
/// returned (`Ok`) or trapped.
fn run_store(
    engine: &Engine,
    linker: &Linker<Host>,
    component: &Component,
    mount: &Mount,
    args: &[&str],
) -> (Store<Host>, Result<(), String>) {
    let directfs = DirectfsCtx::builder()
        .mount(mount, "/sandbox", Perms::ReadWrite)
        .unwrap()
        .build();
    let mut wasi = WasiCtx::builder();
    wasi.args(args).inherit_stderr();
    let host = Host {
        wasi: wasi.build(),
        directfs,
        table: ResourceTable::new(),
    };
    let mut store = Store::new(engine, host);
    let command = WasiCommand::instantiate(&mut store, component, linker).unwrap();
    let result = match command.wasi_cli_run().call_run(&mut store) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(())) => Err("exit 1".to_string()),
        Err(trap) => Err(format!("{trap:?}")),
    };
    (store, result)
}

/// A guest that traps holding a lock, or returns without dropping its
/// handle: the lock lives while the store does (the store's
/// `Stats::lock_records` counts it), and dropping the store releases it;
/// `dfs-run --stats` prints the record a guest exits holding.
#[test]
fn lock_hold() {
    let fx = Fixture::new();
    std::fs::write(fx.path("f"), "x").unwrap();
    let engine = Engine::new(&Config::new()).unwrap();
    let linker = common::sync_linker(&engine);
    let component = Component::from_file(&engine, guest("lock_hold")).unwrap();
    let fs = Filesystem::new();
    let mount = fs.mount(&fx.sandbox, Default::default()).unwrap();
    let f = File::options()
        .read(true)
        .write(true)
        .open(fx.path("f"))
        .unwrap();
    for mode in ["trap", "keep"] {
        let (store, result) = run_store(&engine, &linker, &component, &mount, &["lock_hold", mode]);
        assert!(
            fx.path("locked").exists(),
            "{mode}: the guest took the lock"
        );
        match mode {
            "trap" => assert!(result.is_err(), "the guest trapped"),
            _ => assert_eq!(result, Ok(()), "the guest returned"),
        }
        assert_eq!(
            ofd_setlk(&f, libc::F_WRLCK, 0, 0),
            Err(Errno::EAGAIN),
            "{mode}: the guest's lock outlives its run while the store lives"
        );
        let stats = store.data().directfs.stats();
        assert_eq!(stats.lock_records, 1, "{mode}: the store's count");
        assert_eq!(fs.stats().lock_records, 0, "a filesystem counts none");
        drop(store);
        ofd_setlk(&f, libc::F_WRLCK, 0, 0).expect("dropping the store released it");
        ofd_setlk(&f, libc::F_UNLCK, 0, 0).unwrap();
        std::fs::remove_file(fx.path("locked")).unwrap();
    }
    // `dfs-run --stats` counts the record a guest exits holding.
    let run = common::dfs_run([
        "--stats".into(),
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()),
        guest("lock_hold").display().to_string(),
        "keep".into(),
    ]);
    run.assert_success();
    assert_eq!(run.stat("lock_records"), 1, "{}", run.stderr);
}

/// Appender guest `name` (each record in two writes 1 ms apart) in `stores` stores on one `Filesystem`, one thread
/// each, `records` records each (with `mode` as its last argument, if any);
/// returns the log's records that are whole and distinct, and the log's
/// length in records.
fn append(name: &str, mode: Option<&str>, stores: usize, records: usize) -> (usize, usize) {
    let fx = Fixture::new();
    std::fs::write(fx.path("log"), "").unwrap();
    let engine = Engine::new(&Config::new()).unwrap();
    let linker = Arc::new(common::sync_linker(&engine));
    let component = Component::from_file(&engine, guest(name)).unwrap();
    let fs = Filesystem::new();
    let mount = fs.mount(&fx.sandbox, Default::default()).unwrap();
    std::thread::scope(|s| {
        for id in 0..stores {
            let (engine, linker, component, mount) = (&engine, &linker, &component, &mount);
            s.spawn(move || {
                let (id, records) = (id.to_string(), records.to_string());
                let mut args = vec![name, &id, &records];
                args.extend(mode);
                let (_store, result) = run_store(engine, linker, component, mount, &args);
                assert_eq!(result, Ok(()), "store {id}");
            });
        }
    });
    common::locks::appended_records(&std::fs::read(fx.path("log")).unwrap())
}

#[test]
fn lock_append() {
    const STORES: usize = 4;
    const RECORDS: usize = 150;
    let (whole, length) = append("lock_append", Some("lock"), STORES, RECORDS);
    assert_eq!(
        (whole, length),
        (STORES * RECORDS, STORES * RECORDS),
        "under the lock every record is whole, none lost"
    );
    // The same without the lock: what it is for. Each record is written
    // in two halves 1 ms apart, so 600 records from 4 stores cannot all
    // miss each other.
    let (whole, length) = append("lock_append", Some("nolock"), STORES, RECORDS);
    eprintln!(
        "without the lock: {whole} of {} records whole, the log {length} records long",
        STORES * RECORDS
    );
    assert!(
        whole < STORES * RECORDS,
        "without the lock, records are lost"
    );
}

/// The same through `std::fs` and the `directfs-locks` crate (locks on
/// `wasi:filesystem` descriptors).
#[test]
fn lock_std_append() {
    const STORES: usize = 4;
    const RECORDS: usize = 100;
    let (whole, length) = append("lock_std_append", None, STORES, RECORDS);
    assert_eq!((whole, length), (STORES * RECORDS, STORES * RECORDS));
}

/// Programs that take locks fail to start, with a clear message, where the
/// host has no locks (wasmtime-wasi's `wasi:filesystem`).
#[test]
fn lock_std_append_needs_directfs() {
    let fx = Fixture::new();
    std::fs::write(fx.path("log"), "").unwrap();
    let run = common::dfs_run([
        "--wasi-fs".into(),
        "wasmtime".into(),
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()),
        guest("lock_std_append").display().to_string(),
        "0".into(),
        "1".into(),
    ]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("directfs:wasi-filesystem/locks"),
        "{}",
        run.stderr
    );
}

/// On an async host, waiting guests hold no thread: 8 `lock_wait` guests
/// on a current-thread runtime (one thread for all of them and a 1 ms
/// ticker task) wait 300 ms for a lock this process holds, then take it one
/// after another. The ticker must keep ticking throughout: a wait that
/// blocked the thread would stall it for the whole 300 ms. A ninth guest's
/// wait is cancelled (its future dropped after 100 ms): it ends, and the
/// others still get the lock.
#[test]
fn lock_wait_on_an_async_host_holds_no_thread() {
    const GUESTS: usize = 8;
    let engine = Engine::new(&Config::new()).unwrap();
    let mut linker: Linker<Host> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    directfs::add_to_linker_async(&mut linker).unwrap();
    directfs::wasi::add_to_linker_async(&mut linker).unwrap();
    let component = Component::from_file(&engine, guest("lock_wait")).unwrap();
    for blocking in [Blocking::Inline, Blocking::Pool] {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), "x").unwrap();
        let f = File::options()
            .read(true)
            .write(true)
            .open(fx.path("f"))
            .unwrap();
        // An OFD lock: the guests run in this process (see `ofd_setlk`).
        ofd_setlk(&f, libc::F_WRLCK, 0, 0).unwrap();
        let fs = Filesystem::new();
        let options = MountOptions {
            blocking,
            ..Default::default()
        };
        let mount = fs.mount_with(&fx.sandbox, options).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let (longest_gap, ticks_while_held) = rt.block_on(async {
            let ticker = common::Ticker::start();
            // GUESTS guests that wait until they get the lock, and one more
            // whose wait is cancelled (its future dropped) after 100 ms.
            let guests: Vec<_> = (0..=GUESTS)
                .map(|id| {
                    let (engine, linker) = (engine.clone(), linker.clone());
                    let (component, mount) = (component.clone(), mount.clone());
                    tokio::spawn(async move {
                        let directfs = DirectfsCtx::builder()
                            .mount(&mount, "/sandbox", Perms::ReadWrite)
                            .unwrap()
                            .build();
                        let mut wasi = WasiCtx::builder();
                        wasi.args(&["lock_wait", &id.to_string()]).inherit_stderr();
                        let host = Host {
                            wasi: wasi.build(),
                            directfs,
                            table: ResourceTable::new(),
                        };
                        let mut store = Store::new(&engine, host);
                        let command = wasmtime_wasi::p2::bindings::Command::instantiate_async(
                            &mut store, &component, &linker,
                        )
                        .await
                        .unwrap();
                        let run = command.wasi_cli_run().call_run(&mut store);
                        if id == GUESTS {
                            let cancelled = tokio::time::timeout(Duration::from_millis(100), run);
                            assert!(cancelled.await.is_err(), "the cancelled guest waits");
                            return;
                        }
                        let ran = run.await;
                        assert!(matches!(ran, Ok(Ok(()))), "guest {id}: {ran:?}");
                    })
                })
                .collect();
            // Every guest tried and is waiting; hold the lock 300 ms more.
            let start = Instant::now();
            while (0..GUESTS).any(|id| !fx.path(&format!("tried{id}")).exists()) {
                if let Some(ended) = guests[..GUESTS].iter().position(|g| g.is_finished()) {
                    panic!("guest {ended} ended before the lock was free");
                }
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "guests not waiting"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let before = ticker.ticks();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let ticks_while_held = ticker.ticks() - before;
            assert!(guests[GUESTS].is_finished(), "the cancelled wait ended");
            assert!(
                (0..GUESTS).all(|id| !fx.path(&format!("acquired{id}")).exists()),
                "nobody has the lock yet"
            );
            ofd_setlk(&f, libc::F_UNLCK, 0, 0).unwrap();
            for guest in guests {
                guest.await.unwrap();
            }
            let gaps = ticker.stop().await;
            (
                gaps.iter().max().copied().unwrap_or_default(),
                ticks_while_held,
            )
        });
        eprintln!(
            "{blocking:?}: {GUESTS} guests waited; the 1 ms ticker ticked {ticks_while_held} \
             times in the 300 ms the lock was held, longest gap {longest_gap:?}"
        );
        for id in 0..GUESTS {
            assert!(
                fx.path(&format!("acquired{id}")).exists(),
                "guest {id} got it"
            );
        }
        assert!(
            ticks_while_held >= 100,
            "{ticks_while_held} ticks in 300 ms"
        );
        assert!(
            longest_gap < Duration::from_millis(150),
            "a stall of {longest_gap:?}"
        );
    }
}
