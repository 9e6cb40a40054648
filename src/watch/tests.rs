//! Tests of the watcher: events read whole, the tree's own changes
//! skipped, watches widened, a mount or unmount seen as a loss, the ring
//! moving to the draining thread.

use super::*;

/// A watched temporary directory, its watch told of names made too
/// ([`Watcher::watch_creates`]).
fn watched() -> (tempfile::TempDir, Watcher, WatchDescriptor) {
    let (dir, watcher, wd, fd) = watched_narrow();
    assert!(!watcher.watch_creates(wd, fd.as_fd(), true));
    assert!(watcher.watch_creates(wd, fd.as_fd(), false));
    (dir, watcher, wd)
}

/// A watched temporary directory, as [`Watcher::watch`] leaves it, and
/// an FD of it.
fn watched_narrow() -> (tempfile::TempDir, Watcher, WatchDescriptor, std::fs::File) {
    let dir = tempfile::tempdir().unwrap();
    let watcher = Watcher::default();
    let fd = std::fs::File::open(dir.path()).unwrap();
    let wd = watcher
        .watch(&Arc::new(fd.try_clone().unwrap().into()))
        .unwrap();
    (dir, watcher, wd, fd)
}

/// A watch tells of names removed and moved only once widened to them
/// ([`Watcher::watch_names`]), and of names made only once widened to
/// those ([`Watcher::watch_creates`]): before, the change queues
/// nothing (no read, and the tree's own change expects nothing).
#[test]
fn a_watch_tells_of_names_removed_and_made_once_widened_to_them() {
    let (dir, watcher, wd, fd) = watched_narrow();
    watcher.drain();
    let since = watcher.reads();
    std::fs::write(dir.path().join("x"), b"").unwrap();
    std::fs::rename(dir.path().join("x"), dir.path().join("x2")).unwrap();
    std::fs::remove_file(dir.path().join("x2")).unwrap();
    watcher.expect(since, [(wd, OwnEvent::Delete, "x2")]);
    assert!(!watcher.drain(), "a change told before the widening");
    assert_eq!(watcher.reads(), since, "a read for nothing");
    assert_eq!(watcher.watch_names(wd, fd.as_fd()), Some(false));
    assert_eq!(watcher.watch_names(wd, fd.as_fd()), Some(true));
    std::fs::write(dir.path().join("y"), b"").unwrap();
    assert!(!watcher.drain(), "a create told before the widening");
    std::fs::rename(dir.path().join("y"), dir.path().join("y2")).unwrap();
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [name(wd, "y"), name(wd, "y2")]);
    std::fs::remove_file(dir.path().join("y2")).unwrap();
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [name(wd, "y2")]);
    assert!(!watcher.watch_creates(wd, fd.as_fd(), true));
    std::fs::write(dir.path().join("z"), b"").unwrap();
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [name(wd, "z")]);
    assert!(watcher.watch_creates(wd, fd.as_fd(), false));
}

/// The ring answers with no syscall only on the thread that armed it;
/// once the drains run on another thread (that one exited), the ring
/// moves there after [`look::MOVE_AFTER`] of them, and sees the next change.
#[test]
fn the_ring_moves_to_the_thread_that_drains() {
    let (dir, watcher, wd) = watched();
    let on_its_thread = std::thread::scope(|s| {
        s.spawn(|| {
            watcher.drain();
            watcher.look_syscalls()
        })
        .join()
        .unwrap()
    });
    if on_its_thread != 0 {
        eprintln!("skipped: no io_uring here");
        return;
    }
    assert_eq!(watcher.look_syscalls(), 1, "another thread's ring");
    let mut drains = 0;
    while watcher.look_syscalls() != 0 {
        assert!(!watcher.drain());
        drains += 1;
        assert!(drains <= MOVE_AFTER, "the ring never moved here");
    }
    std::fs::write(dir.path().join("x"), b"x").unwrap();
    assert!(watcher.drain(), "seen by the new ring's look");
    assert_eq!(watcher.take(), [name(wd, "x")]);
    assert!(!watcher.drain());
    assert_eq!(watcher.look_syscalls(), 0);
}

/// Someone else's change racing a drain that reads the tree's own
/// events (the ring's completion of it posted as that `read` returns)
/// is seen by that drain or the next, never left for a quiet ring to
/// hide.
#[test]
fn a_change_racing_the_read_of_the_trees_own_is_not_lost() {
    use std::sync::atomic::AtomicU32;
    let (dir, watcher, wd) = watched();
    let p = dir.path().to_owned();
    let (go, done) = (AtomicU32::new(0), AtomicU32::new(0));
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 1..=3000u32 {
                while go.load(Ordering::Acquire) != i {
                    std::hint::spin_loop();
                }
                for k in 0..4 {
                    std::fs::write(p.join(format!("theirs{i}-{k}")), b"").unwrap();
                }
                done.store(i, Ordering::Release);
            }
        });
        for i in 1..=3000u32 {
            let since = watcher.reads();
            std::fs::write(p.join(format!("own{i}")), b"").unwrap();
            watcher.expect(since, [(wd, OwnEvent::Create, format!("own{i}").as_str())]);
            go.store(i, Ordering::Release);
            watcher.drain();
            let mut seen = watcher.take();
            while done.load(Ordering::Acquire) != i {
                std::hint::spin_loop();
            }
            watcher.drain();
            seen.extend(watcher.take());
            for k in 0..4 {
                assert!(
                    seen.contains(&name(wd, &format!("theirs{i}-{k}"))),
                    "round {i}: their change {k} lost: {seen:?}"
                );
            }
        }
    });
}

fn name(wd: WatchDescriptor, name: &str) -> Change {
    Change::Name {
        wd,
        name: name.into(),
    }
}

#[test]
fn the_trees_own_events_are_skipped_and_only_they() {
    let (dir, watcher, wd) = watched();
    let p = dir.path();
    // The tree's own create of `x`, and someone else's of `y` after it.
    let since = watcher.reads();
    std::fs::write(p.join("x"), b"x").unwrap();
    watcher.expect(since, [(wd, OwnEvent::Create, "x")]);
    std::fs::write(p.join("y"), b"y").unwrap();
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [name(wd, "y")]);
    // Only its own: nothing else drained.
    assert!(!watcher.drain());
    std::fs::write(p.join("z"), b"z").unwrap();
    let since = watcher.reads();
    std::fs::rename(p.join("x"), p.join("w")).unwrap();
    watcher.expect(
        since,
        [(wd, OwnEvent::MovedFrom, "x"), (wd, OwnEvent::MovedTo, "w")],
    );
    assert!(watcher.drain(), "z is someone else's");
    assert_eq!(watcher.take(), [name(wd, "z")]);
    // An event of the same kind in the same directory is not taken for
    // the tree's own unless it names the same name; and an expected
    // event that never came is a change of its name (never kept to be
    // mistaken for a later one).
    watcher.expect(watcher.reads(), [(wd, OwnEvent::Delete, "gone")]);
    std::fs::remove_file(p.join("y")).unwrap();
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [name(wd, "y"), name(wd, "gone")]);
    std::fs::remove_file(p.join("z")).unwrap();
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [name(wd, "z")]);
}

/// `mount --bind source target`, then `umount target`: `false` where
/// this machine does not let the test mount (not root).
fn mount_and_unmount(source: &std::path::Path, target: &std::path::Path) -> bool {
    use std::process::Command;
    let mounted = Command::new("mount")
        .arg("--bind")
        .arg(source)
        .arg(target)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    mounted
        && Command::new("umount")
            .arg(target)
            .status()
            .unwrap()
            .success()
}

/// A change of the process's mount table (no inotify event tells of
/// it) is a loss of events: every cached name is checked. Seen by the
/// drain after it, whether that drain looked first (nothing expected)
/// or read the tree's own events first; and once.
#[test]
fn a_mount_or_unmount_is_a_loss() {
    let _changing = sys::test_hook::mount_table_changing();
    let (dir, watcher, wd) = watched();
    let p = dir.path();
    std::fs::create_dir(p.join("on")).unwrap();
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [name(wd, "on")]);
    if !mount_and_unmount(p, &p.join("on")) {
        eprintln!("skipped: this machine does not let the test bind-mount (needs root)");
        return;
    }
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [Change::Lost]);
    assert!(!watcher.drain(), "told once");
    // With the tree's own event expected: read first, then the look.
    let since = watcher.reads();
    std::fs::write(p.join("x"), b"x").unwrap();
    watcher.expect(since, [(wd, OwnEvent::Create, "x")]);
    assert!(mount_and_unmount(p, &p.join("on")));
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [Change::Lost]);
    assert!(!watcher.drain(), "told once");
}

/// Names of every padding (the kernel pads each to a multiple of 16
/// bytes with NULs), the longest, and more events than one read
/// takes: one drain reads them all, each name exactly.
#[test]
fn a_drain_reads_every_event_whole_past_one_buffer() {
    let (dir, watcher, wd) = watched();
    let mut names: Vec<String> = [1, 14, 15, 16, 17, 31, 32, 255]
        .iter()
        .map(|&n| "n".repeat(n))
        .collect();
    // 40 events of 224 bytes: more than a read's 4,096.
    names.extend((0..40).map(|i| format!("{i:0200}")));
    for n in &names {
        std::fs::write(dir.path().join(n), b"").unwrap();
    }
    let reads = watcher.reads();
    assert!(watcher.drain());
    assert!(
        watcher.reads() - reads >= 3,
        "the events took more than two reads"
    );
    let expected: Vec<Change> = names.iter().map(|n| name(wd, n)).collect();
    assert_eq!(watcher.take(), expected);
    assert!(!watcher.drain(), "nothing left behind");
}

#[test]
fn an_event_that_a_read_may_have_taken_is_not_expected() {
    let (dir, watcher, wd) = watched();
    let p = dir.path();
    let since = watcher.reads();
    std::fs::write(p.join("x"), b"x").unwrap();
    // Another thread's drain reads the event before the tree says it
    // is its own: taken as anyone's change.
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [name(wd, "x")]);
    watcher.expect(since, [(wd, OwnEvent::Create, "x")]);
    // So it is not expected: someone else's re-creation of `x` is seen.
    std::fs::remove_file(p.join("x")).unwrap();
    std::fs::write(p.join("x"), b"new").unwrap();
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [name(wd, "x"), name(wd, "x")]);
}

#[test]
fn events_that_change_names_are_queued_others_only_counted() {
    let dir = tempfile::tempdir().unwrap();
    let dir = std::fs::File::open(dir.path()).unwrap();
    let watcher = Watcher::default();
    let wd = watcher.watch(&Arc::new(dir.into())).unwrap();
    let name = || Some(&b"f"[..]);
    for mask in [
        ReadFlags::CREATE,
        ReadFlags::DELETE,
        ReadFlags::MOVED_FROM,
        ReadFlags::MOVED_TO,
        ReadFlags::CREATE | ReadFlags::ISDIR,
    ] {
        assert_eq!(
            change_of(wd, mask, name()),
            Some(Change::Name {
                wd,
                name: "f".into()
            }),
            "{mask:?}"
        );
    }
    for mask in [
        ReadFlags::MODIFY,
        ReadFlags::ATTRIB,
        ReadFlags::ACCESS,
        ReadFlags::DELETE_SELF,
    ] {
        assert_eq!(change_of(wd, mask, name()), None, "{mask:?}");
    }
    assert_eq!(
        change_of(wd, ReadFlags::QUEUE_OVERFLOW, None),
        Some(Change::Lost)
    );
    assert_eq!(
        change_of(wd, ReadFlags::IGNORED, None),
        Some(Change::Gone(wd))
    );
}

/// The kernel's mask of each of `watcher`'s watches, as
/// `/proc/self/fdinfo` of its inotify FD lists them.
fn kernel_masks(watcher: &Watcher) -> HashMap<WatchDescriptor, u32> {
    let Some(Some(Instance { inotify, .. })) = watcher.instance.get() else {
        return HashMap::new();
    };
    let fd = std::os::fd::AsRawFd::as_raw_fd(inotify);
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap();
    let field = |line: &str, key: &str| {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(key))
            .map(str::to_owned)
    };
    info.lines()
        .filter(|line| line.starts_with("inotify "))
        .map(|line| {
            // Both in hex.
            let wd = i32::from_str_radix(&field(line, "wd:").unwrap(), 16).unwrap();
            let mask = u32::from_str_radix(&field(line, "mask:").unwrap(), 16).unwrap();
            (WatchDescriptor::for_test(wd), mask)
        })
        .collect()
}

/// A new directory's FD, as a dentry holds it.
fn dir_fd(dir: &std::path::Path) -> Arc<OwnedFd> {
    std::fs::create_dir(dir).unwrap();
    Arc::new(std::fs::File::open(dir).unwrap().into())
}

/// Once [`masks::PREDICT_AT`] watches in a row came to need names, names
/// made and stats, the next is made with all three in its one
/// `inotify_add_watch` (its first `no-entry` may be remembered: no
/// widening), while the first ones were made narrow and widened need by
/// need.
#[test]
fn a_watch_is_made_with_what_the_watches_before_it_came_to_need() {
    let base = tempfile::tempdir().unwrap();
    let watcher = Watcher::default();
    let wide = (NAMES | masks::CREATES | CHILD).bits();
    for i in 0..masks::PREDICT_AT {
        let fd = dir_fd(&base.path().join(format!("d{i}")));
        let wd = watcher.watch(&fd).unwrap();
        assert_eq!(kernel_masks(&watcher)[&wd] & wide, 0, "made narrow: {i}");
        assert_eq!(watcher.watch_names(wd, fd.as_fd()), Some(false));
        assert!(!watcher.watch_creates(wd, fd.as_fd(), true));
        assert_eq!(watcher.widen(wd, &fd, false), Widening::Now);
    }
    let fd = dir_fd(&base.path().join("next"));
    let wd = watcher.watch(&fd).unwrap();
    assert_eq!(kernel_masks(&watcher)[&wd] & wide, wide);
    assert_eq!(watcher.watch_names(wd, fd.as_fd()), Some(true));
    assert!(watcher.watch_creates(wd, fd.as_fd(), false));
    assert_eq!(watcher.widen(wd, &fd, false), Widening::Already);
    // The kernel tells of it all: a name made there is read.
    watcher.drain();
    std::fs::write(base.path().join("next/f"), b"").unwrap();
    assert!(watcher.drain());
    assert_eq!(watcher.take(), [name(wd, "f")]);
}

/// A prediction that tells of the tree's own change before the need came
/// ends at once: the next watch is made narrow again.
#[test]
fn a_prediction_that_told_of_an_own_change_for_nothing_ends() {
    let base = tempfile::tempdir().unwrap();
    let watcher = Watcher::default();
    for i in 0..masks::PREDICT_AT {
        let fd = dir_fd(&base.path().join(format!("d{i}")));
        let wd = watcher.watch(&fd).unwrap();
        assert!(!watcher.watch_creates(wd, fd.as_fd(), true));
    }
    let fd = dir_fd(&base.path().join("p"));
    let wd = watcher.watch(&fd).unwrap();
    assert_ne!(kernel_masks(&watcher)[&wd] & masks::CREATES.bits(), 0);
    // The tree makes a name there before any `no-entry` is remembered.
    watcher.drain();
    let since = watcher.reads();
    std::fs::write(base.path().join("p/own"), b"").unwrap();
    watcher.expect(since, [(wd, OwnEvent::Create, "own")]);
    assert!(!watcher.drain(), "its own change, skipped");
    let fd = dir_fd(&base.path().join("after"));
    let wd = watcher.watch(&fd).unwrap();
    assert_eq!(kernel_masks(&watcher)[&wd] & masks::CREATES.bits(), 0);
}

/// A watch whose last dentry the cache let go stays in the kernel until
/// [`PARK_BATCH`] of them are removed together; one whose directory is
/// looked up again meanwhile is given back (the same watch) and kept.
#[test]
fn watches_let_go_are_removed_together_and_one_given_back_is_kept() {
    let base = tempfile::tempdir().unwrap();
    let watcher = Watcher::default();
    let again = dir_fd(&base.path().join("again"));
    let kept = watcher.watch(&again).unwrap();
    watcher.unwatch(kept, Unwatch::Parked);
    assert!(kernel_masks(&watcher).contains_key(&kept), "parked");
    assert_eq!(watcher.watch(&again), Some(kept), "given back");
    let mut parked = Vec::new();
    for i in 0..PARK_BATCH - 1 {
        let fd = dir_fd(&base.path().join(format!("d{i}")));
        let wd = watcher.watch(&fd).unwrap();
        watcher.unwatch(wd, Unwatch::Parked);
        parked.push(wd);
    }
    let masks = kernel_masks(&watcher);
    assert!(parked.iter().all(|wd| masks.contains_key(wd)), "not yet");
    let fd = dir_fd(&base.path().join("last"));
    let wd = watcher.watch(&fd).unwrap();
    watcher.unwatch(wd, Unwatch::Parked);
    parked.push(wd);
    let masks = kernel_masks(&watcher);
    assert!(parked.iter().all(|wd| !masks.contains_key(wd)), "removed");
    assert!(masks.contains_key(&kept), "the one given back stays");
    // Their `IN_IGNORED`s are read in one drain and end nothing else.
    assert!(watcher.drain());
    let changes = watcher.take();
    assert_eq!(changes.len(), PARK_BATCH);
    assert!(
        changes
            .iter()
            .all(|c| matches!(c, Change::Gone(wd) if *wd != kept))
    );
    // An unwatch now removes at once.
    watcher.unwatch(kept, Unwatch::Now);
    assert!(!kernel_masks(&watcher).contains_key(&kept));
}
