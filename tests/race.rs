//! The race tests (guest `race_walk` over `directfs:fs`, `race_std` over
//! `wasi:filesystem`): while the guest walks `a/b/c/file`
//! over and over, a host thread keeps swapping `a/b` between the real
//! directory and a symlink to a directory outside the preopen (with the same
//! shape, so an escape would work), with `renameat2(RENAME_EXCHANGE)`. The
//! outside is watched with inotify: the run passes only if no event at all
//! arrives there (the host runs as root, so permission bits prove nothing).

mod common;

use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use common::{Fixture, Host, guest};
use directfs::{DirectfsCtx, Filesystem, Perms, Revalidation};
use nix::fcntl::{RenameFlags, renameat2};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// Walks per run (`DFS_RACE_WALKS` overrides, for longer runs on demand).
fn walks() -> u32 {
    std::env::var("DFS_RACE_WALKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Runs `guest_name` under `dfs-run` with `--dir SANDBOX::/s{options}` and
/// `extra` options, racing the host (see the module docs).
fn race(guest_name: &str, options: &str, extra: &[&str]) {
    race_with(&format!("{guest_name}{options} {extra:?}"), |fx| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dfs-run"))
            .args(extra)
            .arg("--dir")
            .arg(format!("{}::/s{options}", fx.sandbox.display()))
            .arg(guest(guest_name))
            .arg(walks().to_string())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.success(), stdout, stderr)
    });
}

/// Sets up the fixture and the swapping host thread, calls `run` (which
/// runs the guests: `(all succeeded, what they printed, their errors)`),
/// then checks that nothing outside was touched.
fn race_with(label: &str, run: impl FnOnce(&Fixture) -> (bool, String, String)) {
    let fx = Fixture::new();
    std::fs::create_dir_all(fx.path("a/b/c")).unwrap();
    std::fs::write(fx.path("a/b/c/file"), b"inside").unwrap();
    std::fs::create_dir_all(fx.outside.join("c")).unwrap();
    std::fs::write(fx.outside.join("c/file"), b"outside").unwrap();
    // An absolute symlink out, swapped in and out for `b`.
    std::os::unix::fs::symlink(&fx.outside, fx.path("a/evil")).unwrap();

    let watch = AddWatchFlags::IN_OPEN
        | AddWatchFlags::IN_ACCESS
        | AddWatchFlags::IN_ATTRIB
        | AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_DELETE
        | AddWatchFlags::IN_MODIFY
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_MOVED_TO;
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).unwrap();
    for path in [
        fx.outside.clone(),
        fx.outside.join("c"),
        fx.outside.join("c/file"),
        fx.outside.join("canary"),
    ] {
        inotify.add_watch(&path, watch).unwrap();
    }

    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU64::new(0));
    let swapper = {
        let (stop, swaps) = (stop.clone(), swaps.clone());
        let a = std::fs::File::open(fx.path("a")).unwrap();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                renameat2(
                    a.as_fd(),
                    "b",
                    a.as_fd(),
                    "evil",
                    RenameFlags::RENAME_EXCHANGE,
                )
                .unwrap();
                swaps.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let (success, stdout, stderr) = run(&fx);
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();

    // Read the events before anything else here looks outside.
    let events = match inotify.read_events() {
        Ok(events) => events,
        Err(nix::errno::Errno::EAGAIN) => Vec::new(),
        Err(e) => panic!("inotify: {e}"),
    };
    eprintln!(
        "{label}: {} host swaps; {}",
        swaps.load(Ordering::Relaxed),
        stdout.trim()
    );
    assert!(success, "{stderr}");
    assert!(events.is_empty(), "the outside was touched: {events:?}");
    assert!(swaps.load(Ordering::Relaxed) > 100, "the host really raced");
    // Each guest (one per line, or per `|`) saw both states of the race:
    // walks that reached the inside file, and walks the swapped-in
    // symlink refused. A run where every walk saw one state proves nothing.
    let counts: Vec<(u64, u64)> = stdout
        .split(['\n', '|'])
        .filter(|run| run.contains("reached="))
        .map(|run| {
            let field = |key: &str| {
                run.split_whitespace()
                    .find_map(|w| w.strip_prefix(key)?.parse::<u64>().ok())
                    .unwrap_or_else(|| panic!("no {key} in {run:?}"))
            };
            (field("reached="), field("refused="))
        })
        .collect();
    assert!(!counts.is_empty(), "{label}: no counts in {stdout:?}");
    for (reached, refused) in counts {
        assert!(
            reached > 0 && refused > 0,
            "{label}: reached={reached} refused={refused}: the walks did not meet both states"
        );
    }
    assert_eq!(
        std::fs::read(fx.outside.join("c/file")).unwrap(),
        b"outside"
    );
    assert!(
        std::fs::read_dir(fx.outside.join("c")).unwrap().count() == 1,
        "nothing created outside"
    );
}

#[test]
fn race_walk() {
    // Coherent (the default), cached: each step trusted until the kernel
    // tells of the swap.
    race("race_walk", "", &[]);
    // Shared: every cached step is re-checked against the host.
    race("race_walk", ",shared", &[]);
    // Exclusive with no cache: every step is a fresh openat on the host.
    race("race_walk", ",exclusive", &["--max-cached-dentries", "0"]);
}

/// The same race through `wasi:filesystem`: plain `std::fs` reads (each an
/// `open-at` walk of the whole path) served from the dentry tree.
#[test]
fn race_std() {
    race("race_std", "", &[]);
    race("race_std", ",shared", &[]);
    race("race_std", ",exclusive", &["--max-cached-dentries", "0"]);
}

/// The race on one shared [`Filesystem`]: two stores on two threads read
/// through the same tree at once (one's dentries are the other's cache, and
/// cached stats run under the read lock) while the host swaps.
#[test]
fn race_std_on_one_tree_from_two_threads() {
    let engine = Engine::default();
    let component = Component::from_file(&engine, guest("race_std")).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    directfs::wasi::add_to_linker(&mut linker).unwrap();
    for (revalidation, max_cached) in [
        (Revalidation::Coherent, 1000),
        (Revalidation::Shared, 1000),
        (Revalidation::Exclusive, 0),
    ] {
        race_with(
            &format!("2 threads, {revalidation:?}, max cached {max_cached}"),
            |fx| {
                let fs = Filesystem::with_limits(max_cached, 256);
                let mount = fs.mount(&fx.sandbox, revalidation).unwrap();
                let runs: Vec<_> = std::thread::scope(|s| {
                    let threads: Vec<_> = (0..2)
                        .map(|_| {
                            s.spawn(|| {
                                let stdout = MemoryOutputPipe::new(4096);
                                let mut wasi = WasiCtx::builder();
                                wasi.args(&["race_std", &(walks() / 2).to_string()])
                                    .stdout(stdout.clone())
                                    .inherit_stderr();
                                let host = Host {
                                    wasi: wasi.build(),
                                    directfs: DirectfsCtx::builder()
                                        .mount(&mount, "/s", Perms::ReadWrite)
                                        .unwrap()
                                        .build(),
                                    table: ResourceTable::new(),
                                };
                                let mut store = Store::new(&engine, host);
                                let command =
                                    Command::instantiate(&mut store, &component, &linker).unwrap();
                                let ran = command.wasi_cli_run().call_run(&mut store);
                                let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
                                (matches!(ran, Ok(Ok(()))), out, format!("{ran:?}"))
                            })
                        })
                        .collect();
                    threads.into_iter().map(|t| t.join().unwrap()).collect()
                });
                let success = runs.iter().all(|(ok, ..)| *ok);
                let joined = |f: fn(&(bool, String, String)) -> &str| {
                    runs.iter().map(f).collect::<Vec<_>>().join(" | ")
                };
                (success, joined(|r| r.1.trim()), joined(|r| &r.2))
            },
        );
    }
}
