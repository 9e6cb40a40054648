//! The race tests (guest `race_walk` over `directfs:fs`, `std_race` over
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

use common::{Fixture, guest};
use nix::fcntl::{RenameFlags, renameat2};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

/// Walks per run (`DFS_RACE_WALKS` overrides, for longer runs on demand).
fn walks() -> u32 {
    std::env::var("DFS_RACE_WALKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn race(guest_name: &str, options: &str, extra: &[&str]) {
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
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .args(extra)
        .arg("--dir")
        .arg(format!("{}::/s{options}", fx.sandbox.display()))
        .arg(guest(guest_name))
        .arg(walks().to_string())
        .output()
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();

    // Read the events before anything else here looks outside.
    let events = match inotify.read_events() {
        Ok(events) => events,
        Err(nix::errno::Errno::EAGAIN) => Vec::new(),
        Err(e) => panic!("inotify: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "{guest_name}{options} {extra:?}: {} host swaps; {}",
        swaps.load(Ordering::Relaxed),
        stdout.trim()
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(events.is_empty(), "the outside was touched: {events:?}");
    assert!(swaps.load(Ordering::Relaxed) > 100, "the host really raced");
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
    // Shared: every cached step is re-checked against the host.
    race("race_walk", ",shared", &[]);
    // Exclusive with no cache: every step is a fresh openat on the host.
    race("race_walk", "", &["--max-cached-dentries", "0"]);
}

/// The same race through `wasi:filesystem`: plain `std::fs` reads (each an
/// `open-at` walk of the whole path) served from the dentry tree.
#[test]
fn std_race() {
    race("std_race", ",shared", &[]);
    race("std_race", "", &["--max-cached-dentries", "0"]);
}
