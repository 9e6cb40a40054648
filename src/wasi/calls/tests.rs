//! Unit tests of the WASI calls' memos: the libc `stat` pairs and the
//! kernel's notifications they read.

use wasmtime::component::{Resource, ResourceTable};

use super::Descriptor;
use crate::sys;
use crate::types::{Perms, Revalidation};
use crate::{DirectfsCtx, DirectfsCtxView, Filesystem};

/// A coherent mount's `/` with file `f` (`x`), its context and table.
fn coherent_root() -> (tempfile::TempDir, DirectfsCtx, ResourceTable) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"x").unwrap();
    let (ctx, table) = context_on(dir.path(), Revalidation::Coherent);
    (dir, ctx, table)
}

/// A context whose `/` is a mount of `dir` with `revalidation`, read-write,
/// and its resource table.
fn context_on(dir: &std::path::Path, revalidation: Revalidation) -> (DirectfsCtx, ResourceTable) {
    let mount = Filesystem::new()
        .mount_with(dir, revalidation.into())
        .unwrap();
    let ctx = DirectfsCtx::builder()
        .mount(&mount, "/", Perms::ReadWrite)
        .unwrap()
        .build();
    (ctx, ResourceTable::new())
}

/// One host call, as a linker function makes it: the syscalls it made
/// on this thread, and its result.
fn call<R>(
    view: &mut DirectfsCtxView<'_>,
    f: impl FnOnce(&mut DirectfsCtxView<'_>) -> R,
) -> (u64, R) {
    view.ctx.begin_call();
    let before = sys::thread_syscalls();
    let result = f(view);
    (sys::thread_syscalls() - before, result)
}

fn hash_at(view: &mut DirectfsCtxView<'_>, root: &Resource<Descriptor>) -> u64 {
    call(view, |v| v.fs_metadata_hash_at(root, false, "f").unwrap()).0
}

fn stat_at(view: &mut DirectfsCtxView<'_>, root: &Resource<Descriptor>) -> (u64, u64) {
    let (syscalls, stat) = call(view, |v| v.fs_stat_at(root, false, "f").unwrap());
    (syscalls, stat.size)
}

/// wasi-libc's `stat` (Rust's `wasm32-wasip2`) is two host calls, a
/// `metadata-hash-at` and then a `stat-at` of the same path: the second
/// reads no notifications (the first's look at the inotify queue stands
/// for both, as one libc call), and a host change between two `stat`s
/// is seen by the next.
#[test]
fn a_libc_stat_reads_the_notifications_once() {
    let _still = sys::test_hook::mount_table_still();
    let (dir, mut ctx, mut table) = coherent_root();
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    hash_at(&mut view, &root);
    stat_at(&mut view, &root);
    // A pair more than `SECOND_HALF_WITHIN` apart (this thread
    // preempted) reads twice: one of a few tries is on time.
    let pairs: Vec<_> = (0..5)
        .map(|_| (hash_at(&mut view, &root), stat_at(&mut view, &root)))
        .collect();
    let look = view.ctx.fs.watcher.look_syscalls();
    assert!(
        pairs.contains(&(look, (0, 1))),
        "the look at the queue alone (a quiet ring, or an `epoll_wait` finding it empty), then none: {pairs:?}"
    );
    std::fs::write(dir.path().join("f"), b"xyz").unwrap();
    assert_eq!(
        hash_at(&mut view, &root),
        2,
        "the `epoll_wait` finding events, and their `read`"
    );
    let (_, size) = stat_at(&mut view, &root);
    assert_eq!(size, 3, "the host's write, read by the hash's call");
}

/// A directory's watch, and a file's own, tell of writes into the file
/// only while a stat there may be remembered: a host write after a
/// remembered stat queues events (read by the next call, ending the memo);
/// once two calls have read such events with no stat there between, the
/// directory's watch is narrowed and the file's removed, and the writes
/// after it queue nothing until a stat there would be remembered again,
/// which widens and watches first. A guest that writes and stats in turn
/// keeps both. Each stat gives the host's
/// file of the moment. (What the kernel queued is asked of it directly:
/// how many syscalls a drain makes depends on other tests' changes.)
#[test]
fn writes_into_a_directory_with_no_stat_remembered_queue_no_events() {
    let still = sys::test_hook::mount_table_still();
    let (dir, mut ctx, mut table) = coherent_root();
    let watcher = std::sync::Arc::clone(&ctx.fs.watcher);
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let f = dir.path().join("f");
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    // A host call that reads the notifications and does nothing else.
    let look = |view: &mut DirectfsCtxView<'_>| call(view, |v| v.ctx.read_notifications());
    let write = |size: usize| {
        std::fs::write(&f, vec![b'x'; size]).unwrap();
        watcher.queued_bytes() > 0
    };
    assert!(!write(1), "a new watch tells of names only");
    // Widened by the first stat (not kept); the second, in the next call,
    // taken as the same operation's (`watch::files`); `f` watched by the
    // third (not kept), kept by the fourth, answered from the memo by the
    // fifth: one look at the queue.
    for _ in 0..4 {
        assert_eq!(stat_at(&mut view, &root).1, 1);
    }
    let quiet = watcher.look_syscalls();
    assert_eq!(stat_at(&mut view, &root), (quiet, 1), "the memo's answer");
    assert!(write(2), "widened: told of");
    look(&mut view); // a first strike
    assert!(write(3), "still widened");
    look(&mut view); // a second: narrowed, and `f`'s watch removed
    assert_eq!(watcher.watched_files(), 0, "f's watch struck out");
    look(&mut view); // its `IN_IGNORED`
    assert!(!write(4), "narrowed, f unwatched: no event");
    look(&mut view);
    // Narrowed by strikes: the next two stats there neither are
    // remembered nor widen it (`masks::Backoff`).
    assert_eq!(stat_at(&mut view, &root).1, 4, "the host's last write");
    assert_eq!(stat_at(&mut view, &root).1, 4);
    assert!(!write(5), "not widened again yet");
    look(&mut view);
    assert_eq!(stat_at(&mut view, &root).1, 5, "widened");
    assert_eq!(stat_at(&mut view, &root).1, 5, "a pair");
    assert_eq!(stat_at(&mut view, &root).1, 5, "f watched");
    assert_eq!(stat_at(&mut view, &root).1, 5, "kept");
    assert_eq!(stat_at(&mut view, &root), (quiet, 5), "remembered again");
    for size in 6..10 {
        assert!(write(size), "widened again: told of");
        assert_eq!(stat_at(&mut view, &root).1, size as u64);
        // A change counted by another test meanwhile (the count is the
        // process's) ends the memo, as it must: remembered and asked
        // again then.
        let mut before = sys::changes();
        let mut again = stat_at(&mut view, &root);
        for _ in 0..5 {
            if again == (quiet, size as u64) || sys::changes() == before {
                break;
            }
            stat_at(&mut view, &root);
            before = sys::changes();
            again = stat_at(&mut view, &root);
        }
        if again != (quiet, size as u64) && still.changed() {
            // Another process mounted or unmounted meanwhile (every memo
            // dropped, as it must be): the counts no longer say anything.
            eprintln!("the mount table changed under the test: its counts not checked");
            return;
        }
        assert_eq!(
            again,
            (quiet, size as u64),
            "remembered: the watch stayed widened"
        );
    }
    assert!(write(10), "a write and a stat in turn: widened still");
    // Attributes alike.
    let mode = |view: &mut DirectfsCtxView<'_>| {
        call(view, |v| v.fs_stat_at(&root, false, "f").unwrap())
            .1
            .mode
    };
    let chmod = |m| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(m)).unwrap();
        watcher.queued_bytes() > 0
    };
    look(&mut view); // a first strike
    assert!(chmod(0o600), "told of");
    look(&mut view); // a second: narrowed, `f`'s watch removed
    look(&mut view); // its `IN_IGNORED`
    assert!(!chmod(0o640), "narrowed, f unwatched: no event");
    // The memo answered since the last narrowing: back off two stats only.
    assert_eq!(mode(&mut view), 0o640, "not widened yet");
    assert_eq!(mode(&mut view), 0o640, "not widened yet");
    assert_eq!(mode(&mut view), 0o640, "widened again, not remembered");
    assert_eq!(mode(&mut view), 0o640, "a pair");
    assert_eq!(mode(&mut view), 0o640, "f watched again, not remembered");
    assert_eq!(mode(&mut view), 0o640, "kept");
    assert_eq!(stat_at(&mut view, &root).0, quiet, "remembered");
    assert!(chmod(0o604), "told of");
    assert_eq!(mode(&mut view), 0o604);
}

/// A second half that comes late is no second half: a `stat-at`, the
/// host replacing the file, and a `metadata-hash-at` of the same path
/// more than `SECOND_HALF_WITHIN` later (a guest that waited, making no
/// host call) reads the notifications and gives the new file's
/// identity.
#[test]
fn a_late_second_half_reads_the_notifications() {
    let (dir, mut ctx, mut table) = coherent_root();
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    let identity = |view: &mut DirectfsCtxView<'_>| {
        call(view, |v| v.fs_metadata_hash_at(&root, false, "f").unwrap())
    };
    stat_at(&mut view, &root);
    let old = identity(&mut view).1;
    stat_at(&mut view, &root);
    std::fs::write(dir.path().join("new"), b"new file").unwrap();
    std::fs::rename(dir.path().join("new"), dir.path().join("f")).unwrap();
    std::thread::sleep(crate::ctx::SECOND_HALF_WITHIN * 5);
    let (syscalls, new) = identity(&mut view);
    assert!(syscalls >= 1, "the notifications read");
    assert_ne!(new, old, "the file the host put there");
    let (_, now) = call(&mut view, |v| v.fs_stat_at(&root, false, "f").unwrap());
    assert_eq!((new, now.size), ((now.dev, now.ino), 8), "its identity");
}

/// A call answered as of the call before it cannot be the first half
/// of the next: after a `stat-at`, a `metadata-hash-at` (its second
/// half, no `read`), the host replacing the file, a `stat-at` of the
/// same path reads the notifications again and sees the new file.
#[test]
fn a_second_half_is_no_first_half() {
    let _still = sys::test_hook::mount_table_still();
    let (dir, mut ctx, mut table) = coherent_root();
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    let mut on_time = false;
    for _ in 0..5 {
        stat_at(&mut view, &root);
        stat_at(&mut view, &root);
        if hash_at(&mut view, &root) == 0 {
            on_time = true; // The second half of the stat.
            break;
        }
    }
    assert!(on_time, "a second half answered as of the first's moment");
    std::fs::write(dir.path().join("new"), b"new file").unwrap();
    std::fs::rename(dir.path().join("new"), dir.path().join("f")).unwrap();
    let (syscalls, size) = stat_at(&mut view, &root);
    assert_eq!(size, 8, "the file the host put there");
    assert!(syscalls >= 1, "the notifications read");
}

/// In a mount that revalidates (here `shared`), the `stat-at` that
/// follows a `metadata-hash-at` of the same path in the next call (Rust's
/// wasi-libc `stat`) is answered with the stat the hash's walk found: no
/// second walk (an `fstatat` per path component). Not where a file may
/// have changed in the process since (another thread's write: walked,
/// and the new size seen), nor two calls later.
#[test]
fn a_second_half_takes_the_walk_of_the_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::write(dir.path().join("d/f"), b"x").unwrap();
    let (mut ctx, mut table) = context_on(dir.path(), Revalidation::Shared);
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    let hash = |view: &mut DirectfsCtxView<'_>| {
        call(view, |v| {
            v.fs_metadata_hash_at(&root, false, "d/f").unwrap()
        })
    };
    let stat = |view: &mut DirectfsCtxView<'_>| {
        let (syscalls, stat) = call(view, |v| v.fs_stat_at(&root, false, "d/f").unwrap());
        (syscalls, stat.size)
    };
    // A pair more than `SECOND_HALF_WITHIN` apart (this thread preempted)
    // walks twice: one of a few tries is on time.
    let pairs: Vec<_> = (0..5)
        .map(|_| (hash(&mut view).0, stat(&mut view)))
        .collect();
    assert!(
        pairs
            .iter()
            .any(|&(walk, second)| walk >= 1 && second == (0, 1)),
        "a walk, then none: {pairs:?}"
    );
    // Another thread's change between the halves: the second walks (each
    // of a few tries: those on time would answer the old size otherwise).
    for _ in 0..5 {
        hash(&mut view);
        std::fs::write(dir.path().join("d/f"), b"xyz").unwrap();
        sys::note_notified_change();
        let (syscalls, size) = stat(&mut view);
        assert!(syscalls >= 1, "walked");
        assert_eq!(size, 3);
        std::fs::write(dir.path().join("d/f"), b"x").unwrap();
    }
    // Two calls later: no second half.
    hash(&mut view);
    call(&mut view, |_| ());
    assert!(stat(&mut view).0 >= 1, "walked");
}

/// A read or write through a file's own FD trusts nothing cached: where it
/// runs (its mount's `Blocking`, what the frontends ask first) and whether
/// its preopen may write are asked without reading the notifications, so
/// each is its one syscall; a descriptor's type (wasi-libc asks it after
/// every open) and its `metadata-hash` (after every `fstat`) make none. The
/// next call that trusts the cache reads the events the writes queued,
/// and sees the new size.
#[test]
fn a_read_or_write_through_a_files_fd_reads_no_notifications() {
    let (_dir, mut ctx, mut table) = coherent_root();
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    let (_, first) = call(&mut view, |v| v.fs_stat_at(&root, false, "f").unwrap());
    assert_eq!(first.size, 1);
    let intent = crate::wasi::OpenIntent {
        read: true,
        write: true,
        ..Default::default()
    };
    let fd = call(&mut view, |v| v.fs_open_at(&root, false, "f", intent)).1;
    let fd = fd.unwrap();
    let (syscalls, file_type) = call(&mut view, |v| v.fs_get_type(&fd).unwrap());
    assert_eq!(
        (syscalls, file_type),
        (0, crate::types::FileType::RegularFile),
        "a descriptor's type: none"
    );
    let (syscalls, hash) = call(&mut view, |v| v.fs_metadata_hash(&fd).unwrap());
    assert_eq!(
        syscalls, 0,
        "a descriptor's `metadata-hash` (numbered by the stat): none"
    );
    assert_eq!(hash, (first.dev, first.ino), "the stat's numbers");
    for offset in 0..3 {
        let (syscalls, n) = call(&mut view, |v| {
            assert!(!v.pool_for(v.dentry_of(&fd)), "an inline mount");
            // 0.2's `write` checks the preopen's permissions too.
            let handle = v.mutable_file(&fd).unwrap();
            handle.write(offset, b"abcd", usize::MAX, None).unwrap()
        });
        assert_eq!((syscalls, n), (1, 4), "the `pwrite` alone");
        let (syscalls, read) = call(&mut view, |v| {
            assert!(!v.pool_for(v.dentry_of(&fd)), "an inline mount");
            let handle = v.file(&fd).unwrap().1;
            handle.read(offset, 4, usize::MAX, None).unwrap()
        });
        assert_eq!(
            (syscalls, &read[..]),
            (1, &b"abcd"[..]),
            "the `pread` alone"
        );
    }
    let (syscalls, size) = stat_at(&mut view, &root);
    assert_eq!(size, 6, "the writes, seen through the path");
    assert!(syscalls >= 1, "the events the writes queued, read");
}

/// A remembered stat of a directory — of the one a descriptor is open on,
/// or of one named at the end of a path — holds only while no name in it
/// changes: its link count, size and times change with its names, which
/// the watch of the directory holding *its* name does not tell of. The
/// host makes a directory in `d`, a file, renames it, removes both; after
/// each, both stats (each asked twice before, so remembered) show the
/// host's.
#[test]
fn a_remembered_stat_of_a_directory_ends_with_a_name_made_in_it() {
    let (dir, mut ctx, mut table) = coherent_root();
    let d = dir.path().join("d");
    std::fs::create_dir(&d).unwrap();
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    let intent = crate::wasi::OpenIntent {
        directory: true,
        read: true,
        ..Default::default()
    };
    let fd = call(&mut view, |v| v.fs_open_at(&root, false, "d", intent)).1;
    let fd = fd.unwrap();
    let shown = |stat: crate::types::Stat| (stat.nlink, stat.size, stat.mtime, stat.ctime);
    let host = || {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::symlink_metadata(&d).unwrap();
        let time = |seconds: i64, nanoseconds: i64| crate::types::Timestamp {
            seconds,
            nanoseconds: u32::try_from(nanoseconds).unwrap(),
        };
        (
            m.nlink(),
            m.size(),
            time(m.mtime(), m.mtime_nsec()),
            time(m.ctime(), m.ctime_nsec()),
        )
    };
    let changes: [&dyn Fn(); 5] = [
        &|| std::fs::create_dir(d.join("sub")).unwrap(),
        &|| std::fs::write(d.join("f"), b"").unwrap(),
        &|| std::fs::rename(d.join("f"), d.join("g")).unwrap(),
        &|| std::fs::remove_file(d.join("g")).unwrap(),
        &|| std::fs::remove_dir(d.join("sub")).unwrap(),
    ];
    for (i, change) in changes.iter().enumerate() {
        for _ in 0..2 {
            call(&mut view, |v| v.fs_stat_at(&root, false, "d").unwrap());
            call(&mut view, |v| v.fs_stat(&fd).unwrap());
        }
        // The times move by the clock's tick: a change within the same
        // tick would show only in the link count and size.
        std::thread::sleep(std::time::Duration::from_millis(20));
        change();
        let by_name = call(&mut view, |v| v.fs_stat_at(&root, false, "d").unwrap()).1;
        let itself = call(&mut view, |v| v.fs_stat(&fd).unwrap()).1;
        assert_eq!(shown(by_name), host(), "change {i}: by name");
        assert_eq!(shown(itself), host(), "change {i}: its descriptor");
    }
}

/// The preopen's descriptor, and one of its file `f` opened to read.
fn root_and_f(view: &mut DirectfsCtxView<'_>) -> (Resource<Descriptor>, Resource<Descriptor>) {
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    let intent = crate::wasi::OpenIntent {
        read: true,
        ..Default::default()
    };
    let fd = call(view, |v| v.fs_open_at(&root, false, "f", intent)).1;
    (root, fd.unwrap())
}

/// A file's link count changes when a hard link to it is made or removed
/// in a directory no watch of the tree's is on, and the kernel tells that
/// only to a watch of the file itself: a stat of it remembered (asked
/// again and again) shows each new count, by name and through a
/// descriptor; the file is watched from the second stat of its name on.
#[test]
fn a_remembered_stat_of_a_file_sees_a_link_made_elsewhere() {
    let (dir, mut ctx, mut table) = coherent_root();
    let elsewhere = tempfile::tempdir().unwrap();
    let watcher = std::sync::Arc::clone(&ctx.fs.watcher);
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, fd) = root_and_f(&mut view);
    let f = dir.path().join("f");
    let link = elsewhere.path().join("link");
    let changes: [&dyn Fn(); 2] = [&|| std::fs::hard_link(&f, &link).unwrap(), &|| {
        std::fs::remove_file(&link).unwrap()
    }];
    for (i, change) in changes.iter().enumerate() {
        for _ in 0..4 {
            call(&mut view, |v| v.fs_stat_at(&root, false, "f").unwrap());
            call(&mut view, |v| v.fs_stat(&fd).unwrap());
        }
        change();
        let host = {
            use std::os::unix::fs::MetadataExt;
            std::fs::symlink_metadata(&f).unwrap().nlink()
        };
        let by_name = call(&mut view, |v| v.fs_stat_at(&root, false, "f").unwrap()).1;
        let itself = call(&mut view, |v| v.fs_stat(&fd).unwrap()).1;
        assert_eq!(by_name.nlink, host, "change {i}: by name");
        assert_eq!(itself.nlink, host, "change {i}: its descriptor");
        assert_eq!(watcher.watched_files(), 1, "f, from its second stat on");
    }
}

/// A remembered stat of a file sees a write through a descriptor the host
/// opened under another name, since removed: the kernel tells that name's
/// directory of it (not watched), never this one's, but the file's own
/// watch. Then the file, written on by the host with no stat between, is
/// watched no more.
#[test]
fn a_remembered_stat_of_a_file_sees_a_write_through_a_name_since_removed() {
    use std::io::Write;
    let (dir, mut ctx, mut table) = coherent_root();
    let elsewhere = tempfile::tempdir().unwrap();
    let watcher = std::sync::Arc::clone(&ctx.fs.watcher);
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, fd) = root_and_f(&mut view);
    let f = dir.path().join("f");
    let link = elsewhere.path().join("link");
    std::fs::hard_link(&f, &link).unwrap();
    let mut host = std::fs::OpenOptions::new()
        .append(true)
        .open(&link)
        .unwrap();
    std::fs::remove_file(&link).unwrap();
    let mut size = 1;
    for turn in 0..3 {
        for _ in 0..4 {
            call(&mut view, |v| v.fs_stat_at(&root, false, "f").unwrap());
            call(&mut view, |v| v.fs_stat(&fd).unwrap());
        }
        assert_eq!(watcher.watched_files(), 1, "f, from its second stat on");
        host.write_all(b"more").unwrap();
        size += 4;
        let host_stat = std::fs::symlink_metadata(&f).unwrap();
        assert_eq!(host_stat.len(), size);
        let by_name = call(&mut view, |v| v.fs_stat_at(&root, false, "f").unwrap()).1;
        let itself = call(&mut view, |v| v.fs_stat(&fd).unwrap()).1;
        for (how, stat) in [("by name", by_name), ("its descriptor", itself)] {
            assert_eq!(stat.size, size, "turn {turn}: {how}");
            use std::os::unix::fs::MetadataExt;
            let mtime = (host_stat.mtime(), host_stat.mtime_nsec() as u32);
            assert_eq!(
                (stat.mtime.seconds, stat.mtime.nanoseconds),
                mtime,
                "turn {turn}: {how}"
            );
        }
    }
    // Written on with no stat between: struck out by the second call that
    // reads its events.
    let look = |view: &mut DirectfsCtxView<'_>| call(view, |v| v.ctx.read_notifications());
    host.write_all(b"x").unwrap();
    look(&mut view);
    assert_eq!(watcher.watched_files(), 1, "one strike");
    host.write_all(b"x").unwrap();
    look(&mut view);
    assert_eq!(watcher.watched_files(), 0, "struck out");
    size += 2;
    for _ in 0..3 {
        let stat = call(&mut view, |v| v.fs_stat_at(&root, false, "f").unwrap()).1;
        assert_eq!(stat.size, size);
    }
    assert_eq!(watcher.watched_files(), 1, "watched again");
}

/// A file written and stat-ed in turn (a log and its size): a memo never
/// answers, so the directory's watch is narrowed and the file's removed
/// after two turns, and not made again for 2, 4, … 256 stats
/// (`watch::masks::Backoff`): most writes queue no event. Each stat gives
/// the host's size.
#[test]
fn a_file_written_and_stated_in_turn_is_watched_less_and_less() {
    let (dir, mut ctx, mut table) = coherent_root();
    let watcher = std::sync::Arc::clone(&ctx.fs.watcher);
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("f"))
        .unwrap();
    let mut told = Vec::new();
    for turn in 0..200u64 {
        use std::io::Write;
        log.write_all(b"x").unwrap();
        told.push(watcher.queued_bytes() > 0);
        assert_eq!(stat_at(&mut view, &root).1, turn + 2, "turn {turn}");
    }
    let told_at: Vec<_> = (0..told.len()).filter(|&t| told[t]).collect();
    // Widened at the first stat and `f` watched at the second; each
    // narrowed (removed) after two writes told of; tried again after 2, 4,
    // 8, 16, 32, 64, 128 stats: four writes told of each time.
    assert!(told_at.len() <= 4 * 7, "{told_at:?}");
    assert!(
        (100..200).filter(|t| told[*t]).count() <= 4,
        "one try in the last 100 turns: {told_at:?}"
    );
}

/// Rust's `wasm32-wasip2` `fs::metadata` asks `metadata-hash-at` without
/// following a final symlink and then `stat-at` following it: of a file
/// that is no symlink, one file, so the second is answered with the
/// first's stat (no syscall, even in a mount that revalidates); of a
/// symlink, the stat follows it (the target's stat, walked).
#[test]
fn a_stat_following_after_a_hash_not_following_is_one_walk_unless_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f"), b"xy").unwrap();
    std::os::unix::fs::symlink("f", dir.path().join("l")).unwrap();
    let (mut ctx, mut table) = context_on(dir.path(), Revalidation::Shared);
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    let pair = |view: &mut DirectfsCtxView<'_>, name: &str| {
        let hash = call(view, |v| v.fs_metadata_hash_at(&root, false, name).unwrap()).1;
        let (syscalls, stat) = call(view, |v| v.fs_stat_at(&root, true, name).unwrap());
        (hash, syscalls, stat)
    };
    // A pair more than `SECOND_HALF_WITHIN` apart (this thread
    // preempted) walks twice: one of a few tries is on time.
    let tries: Vec<_> = (0..5).map(|_| pair(&mut view, "f")).collect();
    assert!(
        tries.iter().any(|(_, syscalls, _)| *syscalls == 0),
        "the hash's stat: {tries:?}"
    );
    for (hash, _, stat) in &tries {
        assert_eq!(*hash, (stat.dev, stat.ino));
        assert_eq!(stat.size, 2);
    }
    let (link, _, target) = pair(&mut view, "l");
    assert_eq!(target.file_type, crate::types::FileType::RegularFile);
    assert_eq!(target.size, 2, "the symlink followed");
    assert_ne!(link, (target.dev, target.ino), "the hash is the symlink's");
}

/// An `open-at` with `create` (not `exclusive`) of a name another process
/// made after the tree remembered its `no-entry` (here: an exclusive
/// mount, whose promise the host breaks; in a coherent one, a name made
/// during the call) opens that file, as Linux's `O_CREAT` does: it was
/// `exist` (the `O_EXCL` create's), and SQLite then opened its database
/// read-only (`tests/sqlite.rs`: `sqlite_writers_in_three_processes`, now
/// and then).
#[test]
fn a_create_open_of_a_name_made_under_a_remembered_no_entry_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ctx, mut table) = context_on(dir.path(), Revalidation::Exclusive);
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    for _ in 0..2 {
        let missing = call(&mut view, |v| v.fs_stat_at(&root, false, "x")).1;
        assert!(missing.is_err());
    }
    std::fs::write(dir.path().join("x"), b"host").unwrap();
    let intent = crate::wasi::OpenIntent {
        create: true,
        read: true,
        write: true,
        ..Default::default()
    };
    let fd = call(&mut view, |v| v.fs_open_at(&root, true, "x", intent)).1;
    let fd = fd.expect("the file made meanwhile, opened");
    let stat = call(&mut view, |v| v.fs_stat(&fd).unwrap()).1;
    assert_eq!(stat.size, 4, "the host's file, not truncated");
    assert_eq!(std::fs::read(dir.path().join("x")).unwrap(), b"host");
}

/// wasi-libc's `readdir` asks `metadata-hash-at` of each entry (its
/// `d_ino`) right after `read-directory-entry` hands it out: in a coherent
/// mount it is answered from the listing (the look at the queue alone, no
/// `fstatat`), with the identity a stat gives, while no name in the
/// directory changed since the page was read. After the host replaces
/// the entry's name, the hash is the new file's; after it removes it,
/// `no-entry`, as wasmtime-wasi answers.
#[test]
fn an_entry_listed_is_identified_from_the_listing_while_its_directory_is_unchanged() {
    let _still = sys::test_hook::mount_table_still();
    let (dir, mut ctx, mut table) = coherent_root();
    std::fs::write(dir.path().join("g"), b"g").unwrap();
    let mut view = DirectfsCtxView {
        ctx: &mut ctx,
        table: &mut table,
    };
    let (root, _) = view.fs_get_directories().unwrap().remove(0);
    let stream = call(&mut view, |v| v.fs_read_directory(&root).unwrap()).1;
    let next = |view: &mut DirectfsCtxView<'_>| {
        call(view, |v| v.fs_read_directory_entry(&stream).unwrap())
            .1
            .unwrap()
            .name
    };
    let hash = |view: &mut DirectfsCtxView<'_>, name: &str| {
        call(view, |v| v.fs_metadata_hash_at(&root, false, name))
    };
    let stat = |view: &mut DirectfsCtxView<'_>, name: &str| {
        let stat = call(view, |v| v.fs_stat_at(&root, false, name).unwrap()).1;
        (stat.dev, stat.ino)
    };
    next(&mut view);
    let second = next(&mut view);
    // A look at the queue first: what was queued before (the test's
    // writes) is read.
    call(&mut view, |v| v.ctx.read_notifications());
    let quiet = view.ctx.fs.watcher.look_syscalls();
    let (syscalls, identity) = hash(&mut view, &second);
    assert_eq!(syscalls, quiet, "no fstatat");
    assert_eq!(identity.unwrap(), stat(&mut view, &second));
    // The host replaces the entry's name: the new file's hash.
    let path = dir.path().join(&second);
    std::fs::write(dir.path().join("tmp"), b"new").unwrap();
    std::fs::rename(dir.path().join("tmp"), &path).unwrap();
    let (syscalls, identity) = hash(&mut view, &second);
    assert!(syscalls > quiet, "walked: {syscalls}");
    assert_eq!(identity.unwrap(), stat(&mut view, &second), "the new file");
    // Listed again, then removed by the host: `no-entry`.
    view.ctx.last_listed = None;
    let stream = call(&mut view, |v| v.fs_read_directory(&root).unwrap()).1;
    let name = call(&mut view, |v| v.fs_read_directory_entry(&stream).unwrap())
        .1
        .unwrap()
        .name;
    std::fs::remove_file(dir.path().join(&name)).unwrap();
    let err = hash(&mut view, &name).1.unwrap_err();
    assert_eq!(err.code(), Some(crate::ErrorCode::NoEntry));
}
