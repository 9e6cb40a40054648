//! Tests of coherent mode: watches, the drain, churned and remote
//! directories, overlapping mounts.

use std::os::fd::OwnedFd;

use super::super::tests::{name, tree_with_root};
use super::super::{Link, Tree, Watch};
use super::*;
use crate::error::ErrorCode;
use crate::types::{OpenFlags, Perms, PreopenOptions, RenameFlags};
use nix::unistd::UnlinkatFlags;

fn coherent(perms: Perms) -> PreopenOptions {
    PreopenOptions {
        revalidation: Revalidation::Coherent,
        ..perms.into()
    }
}

fn open_dir(path: &std::path::Path) -> OwnedFd {
    std::fs::File::open(path).unwrap().into()
}

/// Walks to missing name `missing` in watched directory `dir` twice:
/// the first `no-entry` widens the watch to names made and is not
/// remembered (a name made before the widening is not told of), the
/// second is.
fn remember_missing(tree: &mut Tree, dir: DentryId, missing: &str) {
    for remembered in [false, true] {
        assert_eq!(
            tree.walk(dir, name(missing)),
            Err(crate::error::ErrorCode::NoEntry)
        );
        assert_eq!(tree.negatives.contains(dir, missing), remembered);
    }
}

/// What a call does first: drain the kernel's queue, take in what it
/// said.
fn take_notifications(tree: &mut Tree) {
    if tree.watcher.drain() {
        tree.apply_changes();
    }
}

/// The `(st_dev, st_ino)` of host file `path`.
fn host_key(path: &std::path::Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let st = std::fs::symlink_metadata(path).unwrap();
    (st.dev(), st.ino())
}

/// How many of the process's FDs are open on host file `path`.
fn fds_open_on(path: &std::path::Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target == path)
        .count()
}

/// A file made for a WASI descriptor has a private dentry: it shares
/// the handle's FD (no second open, no second charge), no lookup finds
/// it (one opens a dentry of its own), and the FD closes with the
/// handle and that dentry, whichever goes last: no FD outlives the
/// guest's (a host waiting for `IN_CLOSE_WRITE` is told of the close).
#[test]
fn a_file_made_for_a_wasi_descriptor_has_a_private_dentry_gone_with_it() {
    let (dir, mut tree, root) = tree_with_root();
    let path = dir.path().join("f");
    let used = tree.budget().used();
    let (f, handle) = tree
        .create_private(root, name("f"), OpenFlags::WRITE, 0o644)
        .unwrap();
    assert_eq!(tree.budget().used(), used + 1, "the handle's FD alone");
    assert_eq!(fds_open_on(&path), 1);
    assert!(tree.get(root).unwrap().children.get("f").is_none());
    assert_eq!(tree.get(f).unwrap().key, host_key(&path));
    let g = tree.walk(root, name("f")).unwrap();
    assert_ne!(f, g, "a lookup makes a dentry of its own");
    assert_eq!(tree.identity(f), tree.identity(g));
    tree.release(g);
    tree.set_cache_limits(0, 0);
    tree.make_room(0).unwrap();
    assert!(tree.get(g).is_err(), "evicted");
    // The handle goes first (a stream may keep it longer: then it is
    // the last), then the descriptor's reference.
    drop(handle);
    assert_eq!(fds_open_on(&path), 1, "the dentry's share");
    tree.release(f);
    assert!(tree.get(f).is_err(), "freed with its reference");
    assert_eq!(fds_open_on(&path), 0);
    assert_eq!(tree.budget().used(), used);
    // The other way round.
    let (f, handle) = tree
        .create_private(root, name("f2"), OpenFlags::WRITE, 0o644)
        .unwrap();
    tree.release(f);
    assert_eq!(fds_open_on(&dir.path().join("f2")), 1, "the handle's");
    drop(handle);
    assert_eq!(fds_open_on(&dir.path().join("f2")), 0);
    assert_eq!(tree.budget().used(), used);
}

/// A directory that caches no name is not told of names removed and
/// moved: the tree's own creates, renames and removes there, of files
/// made for WASI descriptors, queue no event (no read). Its first
/// lookup widens its watch before the syscall, and a name moved into
/// it with its dentry widens it too: the host's later replacements and
/// removals there are seen.
#[test]
fn a_directory_caching_no_name_is_told_of_removals_from_its_first_cached_name() {
    let (dir, mut tree, root) = tree_with_root();
    tree.set_cache_limits(100, 100);
    std::fs::create_dir(dir.path().join("w")).unwrap();
    std::fs::create_dir(dir.path().join("v")).unwrap();
    let w = tree.walk(root, name("w")).unwrap();
    let v = tree.walk(root, name("v")).unwrap();
    take_notifications(&mut tree);
    let reads = tree.watcher.reads();
    for _ in 0..3 {
        let (f, handle) = tree
            .create_private(w, name("f"), OpenFlags::WRITE, 0o644)
            .unwrap();
        drop(handle);
        tree.release(f);
        tree.rename(w, name("f"), w, name("g"), RenameFlags::empty())
            .unwrap();
        tree.unlink(w, name("g"), UnlinkatFlags::NoRemoveDir)
            .unwrap();
        take_notifications(&mut tree);
    }
    assert_eq!(tree.watcher.reads(), reads, "an event queued and read");
    assert!(!dir.path().join("w/g").exists());
    // A lookup caches `x`; the host replaces it, then removes it.
    let x_path = dir.path().join("w/x");
    std::fs::write(&x_path, b"1").unwrap();
    take_notifications(&mut tree);
    let x = tree.walk(w, name("x")).unwrap();
    tree.release(x);
    std::fs::write(dir.path().join("w/tmp"), b"2").unwrap();
    std::fs::rename(dir.path().join("w/tmp"), &x_path).unwrap();
    take_notifications(&mut tree);
    let x = tree.walk(w, name("x")).unwrap();
    assert_eq!(tree.get(x).unwrap().key, host_key(&x_path), "replaced");
    tree.release(x);
    std::fs::remove_file(&x_path).unwrap();
    take_notifications(&mut tree);
    assert_eq!(tree.walk(w, name("x")), Err(ErrorCode::NoEntry));
    // `v` caches nothing; a cached dentry moved into it is cached
    // there: the host's removal of it is seen.
    std::fs::write(dir.path().join("a"), b"a").unwrap();
    take_notifications(&mut tree);
    let a = tree.walk(root, name("a")).unwrap();
    tree.release(a);
    tree.rename(root, name("a"), v, name("b"), RenameFlags::empty())
        .unwrap();
    assert_eq!(tree.get(v).unwrap().children.get("b"), Some(&a));
    std::fs::remove_file(dir.path().join("v/b")).unwrap();
    take_notifications(&mut tree);
    assert_eq!(tree.walk(v, name("b")), Err(ErrorCode::NoEntry));
    tree.release(w);
    tree.release(v);
}

#[test]
fn a_coherent_mount_watches_its_directories_and_trusts_them() {
    let (dir, mut tree, root) = tree_with_root();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::write(dir.path().join("f"), b"x").unwrap();
    let d = tree.walk(root, name("d")).unwrap();
    let f = tree.walk(root, name("f")).unwrap();
    assert!(matches!(tree.get(root).unwrap().watch, Watch::On(_)));
    assert!(matches!(tree.get(d).unwrap().watch, Watch::On(_)));
    assert_eq!(
        tree.get(f).unwrap().watch,
        Watch::None,
        "files are not watched"
    );
    assert!(trusts(tree.get(root).unwrap()));
    assert_eq!(tree.watches.len(), 2);
    // Freed with its dentry.
    tree.release(d);
    tree.release(f);
    tree.set_cache_limits(0, 0);
    tree.make_room(0).unwrap();
    std::fs::create_dir(dir.path().join("e")).unwrap();
    let e = tree.walk(root, name("e")).unwrap();
    tree.release(e);
    assert!(tree.get(d).is_err(), "evicted");
    assert_eq!(tree.watches.len(), 1, "only the root's watch is left");
}

/// A directory the cache let go keeps its watch in the kernel, parked;
/// looked up again, its new dentry is given that watch back (one host
/// watch, as before), and the host's changes there, made while it was
/// parked and after, are seen: a name made, and a cached one replaced.
#[test]
fn a_directory_let_go_and_looked_up_again_is_given_its_watch_back() {
    let (dir, mut tree, root) = tree_with_root();
    tree.set_cache_limits(100, 100);
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::write(dir.path().join("d/f"), b"1").unwrap();
    let d = tree.walk(root, name("d")).unwrap();
    let Watch::On(wd) = tree.get(d).unwrap().watch else {
        panic!("watched")
    };
    remember_missing(&mut tree, d, "new");
    tree.set_cache_limits(0, 0);
    tree.release(d);
    assert!(tree.get(d).is_err(), "evicted");
    assert!(!tree.watches.contains_key(&wd), "no dentry has it");
    // Made while the watch is parked (told of it, to no dentry).
    std::fs::write(dir.path().join("d/new"), b"host").unwrap();
    take_notifications(&mut tree);
    tree.set_cache_limits(100, 100);
    let d = tree.walk(root, name("d")).unwrap();
    assert_eq!(tree.get(d).unwrap().watch, Watch::On(wd), "given back");
    let new = tree.walk(d, name("new")).unwrap();
    tree.release(new);
    let f = tree.walk(d, name("f")).unwrap();
    tree.release(f);
    // Replaced after: seen by the next drain.
    let f_path = dir.path().join("d/f");
    std::fs::write(dir.path().join("d/tmp"), b"2").unwrap();
    std::fs::rename(dir.path().join("d/tmp"), &f_path).unwrap();
    take_notifications(&mut tree);
    let f = tree.walk(d, name("f")).unwrap();
    assert_eq!(tree.get(f).unwrap().key, host_key(&f_path), "replaced");
    tree.release(f);
    tree.release(d);
}

/// A directory made through the tree is watched when first looked into,
/// not when made: made and removed, it costs no watch; until then it is
/// trusted in nothing (its stat not remembered); a change the host made
/// in it before the watch is seen by the first lookup, one made after
/// by the drain.
#[test]
fn a_directory_made_here_is_watched_when_first_looked_into() {
    let (dir, mut tree, root) = tree_with_root();
    tree.set_cache_limits(100, 100);
    let d = tree.mkdir(root, name("d"), 0o755, None).unwrap();
    assert_eq!(tree.get(d).unwrap().watch, Watch::Later);
    assert!(!trusts(tree.get(d).unwrap()));
    assert_eq!(tree.stat_memo(d), StatMemo::Never, "its own stat");
    assert_eq!(tree.watches.len(), 1, "the root's alone");
    // The host makes a file in it, unwatched: the first lookup sees it.
    std::fs::write(dir.path().join("d/f"), b"host").unwrap();
    take_notifications(&mut tree);
    let f = tree.walk(d, name("f")).unwrap();
    assert!(matches!(tree.get(d).unwrap().watch, Watch::On(_)));
    assert_eq!(tree.watches.len(), 2);
    assert_eq!(
        tree.stat_memo(d),
        StatMemo::Never,
        "its watch widened now: a stat taken before is not kept"
    );
    assert_eq!(tree.stat_memo(d), StatMemo::Itself);
    // Watched now, and told of names made (what its own stat rests on): a
    // missing name is remembered at once, until the host makes it.
    assert_eq!(tree.walk(d, name("g")), Err(ErrorCode::NoEntry));
    assert!(tree.negatives.contains(d, "g"));
    std::fs::write(dir.path().join("d/g"), b"g").unwrap();
    take_notifications(&mut tree);
    assert!(tree.walk(d, name("g")).is_ok());
    tree.release(f);
    // A name made in a directory whose watch was put off watches it
    // first: the host's later change of that name is seen.
    let e = tree.mkdir(root, name("e"), 0o755, None).unwrap();
    let (x, handle) = tree
        .create(e, name("x"), OpenFlags::WRITE, 0o644, None)
        .unwrap();
    drop(handle);
    assert!(matches!(tree.get(e).unwrap().watch, Watch::On(_)));
    std::fs::remove_file(dir.path().join("e/x")).unwrap();
    take_notifications(&mut tree);
    assert!(matches!(tree.get(x).unwrap().link, Link::Unlinked));
    tree.release(x);
    // Made and removed without a look inside: never watched.
    let before = tree.watches.len();
    let m = tree.mkdir(root, name("m"), 0o755, None).unwrap();
    tree.unlink(root, name("m"), UnlinkatFlags::RemoveDir)
        .unwrap();
    assert_eq!(tree.get(m).unwrap().watch, Watch::Later);
    tree.release(m);
    assert_eq!(tree.watches.len(), before);
}

/// The safety net: a child hung under a directory whose watch was put
/// off, by a path that did not watch it first, is checked against the
/// host after the watch is added.
#[test]
fn a_child_cached_in_an_unwatched_new_directory_is_checked_after_the_watch() {
    let (dir, mut tree, root) = tree_with_root();
    let d = tree.mkdir(root, name("d"), 0o755, None).unwrap();
    std::fs::write(dir.path().join("d/f"), b"old").unwrap();
    let fd = open_dir(&dir.path().join("d"));
    let old = crate::sys::openat(
        fd.as_fd(),
        "f",
        nix::fcntl::OFlag::O_RDONLY,
        nix::sys::stat::Mode::empty(),
    )
    .unwrap();
    let st = crate::sys::fstat(old.as_fd()).unwrap();
    // Replaced on the host between the lookup and the caching.
    std::fs::write(dir.path().join("d/f.tmp"), b"new").unwrap();
    std::fs::rename(dir.path().join("d/f.tmp"), dir.path().join("d/f")).unwrap();
    let f = tree.insert_child(d, name("f"), (old, super::super::FdMode::Read), &st);
    assert!(matches!(tree.get(d).unwrap().watch, Watch::On(_)));
    assert!(
        matches!(tree.get(f).unwrap().link, Link::Unlinked),
        "not the host's file there any more"
    );
    tree.release(f);
}

#[test]
fn a_name_the_host_replaced_is_walked_afresh_after_the_drain() {
    let (dir, mut tree, root) = tree_with_root();
    let p = dir.path();
    std::fs::write(p.join("f"), b"old").unwrap();
    let old = tree.walk(root, name("f")).unwrap();
    std::fs::write(p.join("f.tmp"), b"new").unwrap();
    std::fs::rename(p.join("f.tmp"), p.join("f")).unwrap();
    // Not drained: the cache still answers (what exclusive mode does).
    assert_eq!(tree.walk(root, name("f")).unwrap(), old);
    tree.release(old);
    take_notifications(&mut tree);
    assert!(matches!(tree.get(old).unwrap().link, Link::Unlinked));
    let new = tree.walk(root, name("f")).unwrap();
    assert_ne!(new, old);
    let handle = tree.open(new, OpenFlags::READ).unwrap();
    let mut buf = [0; 8];
    let n = nix::unistd::read(handle.fd(), &mut buf).unwrap();
    assert_eq!(&buf[..n], b"new");
}

#[test]
fn a_name_the_host_made_is_no_longer_missing_after_the_drain() {
    let (dir, mut tree, root) = tree_with_root();
    tree.set_cache_limits(100, 100);
    remember_missing(&mut tree, root, "g");
    std::fs::write(dir.path().join("g"), b"g").unwrap();
    take_notifications(&mut tree);
    assert!(!tree.negatives.contains(root, "g"));
    assert!(tree.walk(root, name("g")).is_ok());
}

#[test]
fn a_name_changed_through_directfs_keeps_its_dentry() {
    let (_dir, mut tree, root) = tree_with_root();
    let (f, handle) = tree
        .create(root, name("f"), OpenFlags::WRITE, 0o644, None)
        .unwrap();
    drop(handle);
    // The kernel told of the create: the child is checked, and stays.
    take_notifications(&mut tree);
    assert_eq!(tree.walk(root, name("f")).unwrap(), f);
}

#[test]
fn a_remote_directory_keeps_its_files_o_path() {
    let (dir, mut tree, root) = tree_with_root();
    let p = dir.path();
    std::fs::write(p.join("f"), b"f").unwrap();
    std::fs::create_dir(p.join("d")).unwrap();
    // As a directory on a FUSE mount is: not watched, remote.
    tree.get_mut(root).unwrap().watch = Watch::Off { remote: true };
    let before = sys::thread_syscalls();
    let f = tree.walk(root, name("f")).unwrap();
    assert_eq!(sys::thread_syscalls() - before, 2, "openat(O_PATH), fstat");
    assert_eq!(tree.get(f).unwrap().fd_mode, super::super::FdMode::Path);
    // A directory is opened for reading (its listing), from that FD.
    let d = tree.walk(root, name("d")).unwrap();
    assert_eq!(tree.get(d).unwrap().fd_mode, super::super::FdMode::Read);
    assert_eq!(tree.get(d).unwrap().watch, Watch::Off { remote: true });
    assert!(tree.read_dir(d, 0, 16).is_ok());
    // A file made there is kept so too.
    let (g, handle) = tree
        .create(d, name("g"), OpenFlags::WRITE, 0o644, None)
        .unwrap();
    drop(handle);
    assert_eq!(tree.get(g).unwrap().fd_mode, super::super::FdMode::Path);
    // Its extended attributes work (through an open for the call).
    let attr = crate::name::XattrName::parse("user.directfs").unwrap();
    match tree.set_xattr(f, attr, b"v", crate::types::XattrFlags::empty()) {
        Err(crate::error::ErrorCode::NotSupported) => {
            eprintln!("skipped the xattr part: the temp dir has no user xattrs");
        }
        set => {
            set.unwrap();
            assert_eq!(tree.get_xattr(f, attr).unwrap(), b"v");
            assert_eq!(tree.list_xattr(f).unwrap(), ["user.directfs"]);
            tree.remove_xattr(f, attr).unwrap();
            assert!(xattr_of(&p.join("f")).is_none());
        }
    }
    // And its I/O: opened by name, as every file.
    let handle = tree.open(f, OpenFlags::READ).unwrap();
    let mut buf = [0; 4];
    assert_eq!(nix::unistd::read(handle.fd(), &mut buf), Ok(1));
}

/// `user.directfs` of the file at `path`, read by the test itself.
fn xattr_of(path: &std::path::Path) -> Option<Vec<u8>> {
    let path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let mut buf = [0u8; 64];
    nix::sys::stat::stat(path.as_c_str()).ok()?;
    let n = rustix::fs::getxattr(path.as_c_str(), "user.directfs", &mut buf).ok()?;
    Some(buf[..n].to_vec())
}

#[test]
fn the_trees_own_changes_cost_no_check_after_the_drain() {
    let _still = sys::test_hook::mount_table_still();
    let (dir, mut tree, root) = tree_with_root();
    tree.set_cache_limits(100, 100);
    // The first drain makes its look (see `watch`): not counted below.
    tree.watcher.drain();
    // A missing name remembered: the watch tells of names made too, so
    // the creates below queue events (to be skipped).
    remember_missing(&mut tree, root, "x");
    let p = dir.path();
    let (f, handle) = tree
        .create(root, name("f"), OpenFlags::WRITE, 0o644, None)
        .unwrap();
    drop(handle);
    // `g` unknown: tried without replacing, so surely a move; then `f`
    // is a remembered `no-entry`: surely a move.
    tree.rename(root, name("f"), root, name("g"), RenameFlags::empty())
        .unwrap();
    tree.rename(root, name("g"), root, name("f"), RenameFlags::empty())
        .unwrap();
    let l = tree.link(root, f, name("l")).unwrap();
    tree.release(l);
    tree.unlink(root, name("l"), UnlinkatFlags::NoRemoveDir)
        .unwrap();
    let d = tree.mkdir(root, name("d"), 0o755, None).unwrap();
    let s = tree.symlink(d, name("s"), "../f", None).unwrap();
    tree.release(s);
    let before = sys::thread_syscalls();
    assert!(!tree.watcher.drain(), "every event was the tree's own");
    let drained = sys::thread_syscalls() - before;
    assert_eq!(
        drained,
        1 + tree.watcher.look_syscalls(),
        "the read, and the look at the mount table (the ring's completions where it is this thread's)"
    );
    assert_eq!(
        tree.walk(root, name("g")),
        Err(crate::error::ErrorCode::NoEntry),
        "moved away: remembered"
    );
    assert_eq!(sys::thread_syscalls() - before, drained, "no check");
    // Someone else's change among the tree's own is still seen.
    tree.rename(root, name("f"), root, name("g"), RenameFlags::empty())
        .unwrap();
    std::fs::write(p.join("f"), b"theirs").unwrap();
    take_notifications(&mut tree);
    let theirs = tree.walk(root, name("f")).unwrap();
    assert_ne!(tree.get(theirs).unwrap().key, tree.get(f).unwrap().key);
    assert_eq!(tree.walk(root, name("g")).unwrap(), f);
    // A rename onto another hard link of the same file moves nothing,
    // and the kernel tells of nothing: nothing is expected, so
    // someone else's move onto that name later is seen.
    std::fs::hard_link(p.join("g"), p.join("h")).unwrap();
    take_notifications(&mut tree);
    tree.rename(root, name("g"), root, name("h"), RenameFlags::empty())
        .unwrap();
    std::fs::rename(p.join("f"), p.join("h")).unwrap();
    take_notifications(&mut tree);
    let h = tree.walk(root, name("h")).unwrap();
    assert_eq!(tree.get(h).unwrap().key, tree.get(theirs).unwrap().key);
}

#[test]
fn two_mounts_of_one_directory_share_a_watch_and_see_each_other() {
    let (dir, mut tree, a) = tree_with_root();
    let b = tree
        .add_root(open_dir(dir.path()), coherent(Perms::ReadWrite))
        .unwrap();
    assert_eq!(tree.watches.len(), 1, "one host directory, one watch");
    assert_eq!(tree.watches.values().next().unwrap().len(), 2);
    assert_eq!(
        tree.walk(b, name("x")),
        Err(crate::error::ErrorCode::NoEntry)
    );
    let (_, handle) = tree
        .create(a, name("x"), OpenFlags::WRITE, 0o644, None)
        .unwrap();
    drop(handle);
    take_notifications(&mut tree);
    assert!(
        tree.walk(b, name("x")).is_ok(),
        "made through a, seen through b"
    );
}

/// In a watched directory where no `no-entry` was remembered, the
/// tree's own create queues no event: the next call's drain reads
/// nothing. Once one is, a name the host makes ends it, as above.
#[test]
fn a_create_where_no_missing_name_is_remembered_costs_no_read() {
    let (dir, mut tree, root) = tree_with_root();
    tree.set_cache_limits(100, 100);
    take_notifications(&mut tree);
    let before = tree.watcher.reads();
    let (f, handle) = tree
        .create(root, name("f"), OpenFlags::WRITE, 0o644, None)
        .unwrap();
    drop(handle);
    take_notifications(&mut tree);
    assert_eq!(tree.watcher.reads(), before, "read the own create");
    assert!(dir.path().join("f").exists());
    tree.release(f);
    // A missing name remembered: the host making it is told.
    remember_missing(&mut tree, root, "g");
    std::fs::write(dir.path().join("g"), b"g").unwrap();
    take_notifications(&mut tree);
    assert!(tree.walk(root, name("g")).is_ok());
}

/// A directory whose watch tells of little but the tree's own changes
/// of names ([`crate::watch::CHURN_AFTER`] of them) is revalidated
/// instead: its own renames then queue no event (no read), a remembered
/// `no-entry` there is forgotten, and the host's replacement of a name
/// cached there is still seen (its `fstatat`). Looked into as often as
/// changed, it stays so; looked into more (its cached names
/// revalidated past [`super::rewatch_due`]), it is watched again, and
/// the host's next replacement is told.
#[test]
fn a_directory_the_tree_churns_is_revalidated_until_looked_into_again() {
    let _still = sys::test_hook::mount_table_still();
    let (dir, mut tree, root) = tree_with_root();
    tree.set_cache_limits(100, 100);
    let p = dir.path();
    std::fs::create_dir(p.join("w")).unwrap();
    std::fs::write(p.join("w/kept"), b"old").unwrap();
    let w = tree.walk(root, name("w")).unwrap();
    let kept = tree.walk(w, name("kept")).unwrap();
    tree.release(kept);
    remember_missing(&mut tree, w, "x");
    let (a, handle) = tree
        .create(w, name("a"), OpenFlags::WRITE, 0o644, None)
        .unwrap();
    drop(handle);
    tree.release(a);
    let rename = |tree: &mut Tree, i: u32| {
        let (from, to) = if i.is_multiple_of(2) {
            ("a", "b")
        } else {
            ("b", "a")
        };
        tree.rename(w, name(from), w, name(to), RenameFlags::empty())
            .unwrap();
        take_notifications(tree);
    };
    // Two own events a rename: counted out half way.
    for i in 0..crate::watch::CHURN_AFTER / 2 - 1 {
        rename(&mut tree, i);
    }
    assert!(matches!(tree.get(w).unwrap().watch, Watch::On(_)));
    rename(&mut tree, 1);
    assert_eq!(tree.get(w).unwrap().watch, Watch::Churned);
    assert!(!trusts(tree.get(w).unwrap()));
    assert!(!tree.negatives.contains(w, "x"));
    take_notifications(&mut tree);
    let before = tree.watcher.reads();
    for i in 0..10 {
        rename(&mut tree, i);
    }
    assert_eq!(tree.watcher.reads(), before, "no own event read");
    // The host replaces the cached name: seen by its revalidation.
    std::fs::remove_file(p.join("w/kept")).unwrap();
    std::fs::write(p.join("w/kept"), b"new").unwrap();
    take_notifications(&mut tree);
    let again = tree.walk(w, name("kept")).unwrap();
    assert_eq!(tree.get(again).unwrap().key, host_key(&p.join("w/kept")));
    tree.release(again);
    // Looked into as often as changed: a revalidation costs about half
    // what a watched change does, so it stays revalidated, window after
    // window.
    let before = tree.watcher.reads();
    for i in 0..3 * (crate::watch::CHURN_AFTER + 20) {
        let k = tree.walk(w, name("kept")).unwrap();
        tree.release(k);
        rename(&mut tree, i);
    }
    assert_eq!(tree.get(w).unwrap().watch, Watch::Churned);
    assert_eq!(
        tree.watcher.reads(),
        before,
        "never watched again meanwhile"
    );
    let window = crate::watch::CHURN_AFTER as usize + 4 * tree.get(w).unwrap().children.len();
    // Changed many times over with no lookup between (a window's
    // changes never outweigh its lookups for good), then looked into
    // again and again: watched again within a window.
    for i in 0..5000 {
        rename(&mut tree, i);
    }
    assert_eq!(tree.get(w).unwrap().watch, Watch::Churned);
    let mut walks = 1;
    while tree.get(w).unwrap().watch == Watch::Churned {
        assert!(walks < 1000, "still revalidated after {walks} lookups");
        let k = tree.walk(w, name("kept")).unwrap();
        tree.release(k);
        walks += 1;
    }
    // `walks` counts from 1, and the walk after the window watches.
    assert!(
        walks <= window + 2,
        "watched again within a window: {walks}"
    );
    assert!(trusts(tree.get(w).unwrap()));
    // Trusted again, and told: the host's next replacement is seen.
    std::fs::remove_file(p.join("w/kept")).unwrap();
    std::fs::write(p.join("w/kept"), b"newer").unwrap();
    take_notifications(&mut tree);
    let newer = tree.walk(w, name("kept")).unwrap();
    assert_eq!(tree.get(newer).unwrap().key, host_key(&p.join("w/kept")));
}

#[test]
fn lost_events_check_every_cached_name() {
    let (dir, mut tree, root) = tree_with_root();
    tree.set_cache_limits(100, 100);
    let p = dir.path();
    std::fs::write(p.join("f"), b"old").unwrap();
    std::fs::write(p.join("same"), b"same").unwrap();
    let f = tree.walk(root, name("f")).unwrap();
    let same = tree.walk(root, name("same")).unwrap();
    remember_missing(&mut tree, root, "g");
    std::fs::remove_file(p.join("f")).unwrap();
    std::fs::write(p.join("f"), b"new").unwrap();
    tree.apply(vec![Change::Lost]);
    assert!(matches!(tree.get(f).unwrap().link, Link::Unlinked));
    assert!(matches!(tree.get(same).unwrap().link, Link::Child { .. }));
    assert!(!tree.negatives.contains(root, "g"));
}

#[test]
fn a_watch_the_kernel_dropped_leaves_its_directory_revalidated() {
    let (dir, mut tree, root) = tree_with_root();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    let d = tree.walk(root, name("d")).unwrap();
    let Watch::On(wd) = tree.get(d).unwrap().watch else {
        panic!("watched")
    };
    // The kernel drops the watch (as when the directory's inode goes,
    // or the watch is removed behind the tree's back): IN_IGNORED.
    tree.watcher.unwatch(wd, crate::watch::Unwatch::Now);
    take_notifications(&mut tree);
    assert!(!tree.watches.contains_key(&wd));
    assert_eq!(tree.get(d).unwrap().watch, Watch::Off { remote: false });
    assert!(!trusts(tree.get(d).unwrap()));
}

#[test]
fn exclusive_mounts_that_overlap_are_kept_coherent() {
    let exclusive = || PreopenOptions {
        revalidation: Revalidation::Exclusive,
        ..Perms::ReadWrite.into()
    };
    let mode = |tree: &Tree, id| tree.get(id).unwrap().policy.revalidation;
    let mut tree = Tree::default();
    tree.set_cache_limits(100, 100);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir(p.join("in")).unwrap();
    std::fs::write(p.join("in/old"), b"old").unwrap();
    // Alone, an exclusive mount stays exclusive: its cache is trusted.
    let outer = tree.add_root(open_dir(p), exclusive()).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let lone = tree
        .add_root(open_dir(elsewhere.path()), exclusive())
        .unwrap();
    assert_eq!(mode(&tree, outer), Revalidation::Exclusive);
    let in_outer = tree.walk(outer, name("in")).unwrap();
    let old = tree.walk(in_outer, name("old")).unwrap();
    assert_eq!(
        tree.walk(in_outer, name("f")),
        Err(crate::error::ErrorCode::NoEntry)
    );
    std::fs::remove_file(p.join("in/old")).unwrap();
    // A mount inside it: both become coherent, and what the outer one
    // cached before is checked.
    let inner = tree.add_root(open_dir(&p.join("in")), exclusive()).unwrap();
    assert_eq!(mode(&tree, outer), Revalidation::Coherent);
    assert_eq!(mode(&tree, inner), Revalidation::Coherent);
    assert_eq!(mode(&tree, in_outer), Revalidation::Coherent);
    assert_eq!(mode(&tree, lone), Revalidation::Exclusive, "no overlap");
    assert!(matches!(tree.get(in_outer).unwrap().watch, Watch::On(_)));
    assert!(matches!(tree.get(old).unwrap().link, Link::Unlinked));
    assert!(!tree.negatives.contains(in_outer, "f"));
    // A change through one is seen through the other.
    assert_eq!(
        tree.walk(inner, name("f")),
        Err(crate::error::ErrorCode::NoEntry)
    );
    let (_, handle) = tree
        .create(in_outer, name("f"), OpenFlags::WRITE, 0o644, None)
        .unwrap();
    drop(handle);
    take_notifications(&mut tree);
    assert!(tree.walk(inner, name("f")).is_ok());
    // The same directory mounted twice: the same.
    let other = tempfile::tempdir().unwrap();
    let first = tree.add_root(open_dir(other.path()), exclusive()).unwrap();
    assert_eq!(mode(&tree, first), Revalidation::Exclusive);
    let second = tree.add_root(open_dir(other.path()), exclusive()).unwrap();
    assert_eq!(mode(&tree, first), Revalidation::Coherent);
    assert_eq!(mode(&tree, second), Revalidation::Coherent);
    // A read-only twin changes nothing: no one is made coherent for it.
    let third = tempfile::tempdir().unwrap();
    let mount = tree.add_root(open_dir(third.path()), exclusive()).unwrap();
    let twin = tree.read_only_twin(mount).unwrap();
    assert_eq!(mode(&tree, mount), Revalidation::Exclusive);
    assert_eq!(mode(&tree, twin), Revalidation::Coherent);
}

#[test]
fn a_filesystem_the_kernel_does_not_hear_every_change_of_is_revalidated() {
    // procfs is not a local disk filesystem: not watched.
    let mut tree = Tree::default();
    let proc = tree
        .add_root(open_dir("/proc/self".as_ref()), coherent(Perms::ReadOnly))
        .unwrap();
    assert_eq!(tree.get(proc).unwrap().watch, Watch::Off { remote: true });
    assert!(!trusts(tree.get(proc).unwrap()));
    assert_eq!(tree.stat_memo(proc), StatMemo::Never);
    // Its subdirectories on the same filesystem are not either (and
    // cost no `fstatfs`).
    let fd = tree.walk(proc, name("fdinfo")).unwrap();
    assert_eq!(tree.get(fd).unwrap().watch, Watch::Off { remote: true });
    assert!(tree.watches.is_empty());
    // Where a walk crosses into another filesystem, it is asked again:
    // `/proc` under `/` is not watched, whatever `/` is.
    let slash = tree
        .add_root(open_dir("/".as_ref()), coherent(Perms::ReadOnly))
        .unwrap();
    let proc = tree.walk(slash, name("proc")).unwrap();
    assert_eq!(tree.get(proc).unwrap().watch, Watch::Off { remote: true });
    // A shared mount is asked too (for `opens_path_first`): its files
    // there are kept `O_PATH`.
    let shared = tree
        .add_root(
            open_dir("/proc/self".as_ref()),
            PreopenOptions {
                revalidation: Revalidation::Shared,
                ..Perms::ReadOnly.into()
            },
        )
        .unwrap();
    assert_eq!(tree.get(shared).unwrap().watch, Watch::Off { remote: true });
    let status = tree.walk(shared, name("status")).unwrap();
    assert_eq!(
        tree.get(status).unwrap().fd_mode,
        super::super::FdMode::Path
    );
    // A temp dir is.
    let (_dir, tree, root) = tree_with_root();
    assert!(matches!(tree.get(root).unwrap().watch, Watch::On(_)));
    assert_eq!(tree.stat_memo(root), StatMemo::Never, "widened now");
    assert_eq!(tree.stat_memo(root), StatMemo::Itself);
}

/// A listing's mark holds while no name in its directory changes: the
/// identity of a file listed is then its `d_ino`'s (the one a stat
/// gives), and it is not after the host replaces or removes a name there
/// (told by the watch), after lost events (even with no name cached
/// there), or after a change through the tree. Exclusive and shared
/// mounts give no mark.
#[test]
fn a_listing_holds_until_a_name_in_its_directory_changes() {
    let (dir, mut tree, root) = tree_with_root();
    tree.set_cache_limits(100, 100);
    let p = dir.path();
    for f in ["f", "g", "h"] {
        std::fs::write(p.join(f), f).unwrap();
    }
    let dev = tree.identity(root).unwrap().0;
    let listed = |tree: &mut Tree| {
        let mark = tree.listing_mark(root).expect("a watched directory");
        let page = tree.read_dir(root, 0, 10).unwrap();
        let ino = |n: &str| page.entries.iter().find(|e| e.name == n).unwrap().ino;
        (mark, ino("f"), ino("g"))
    };
    let (mark, f, g) = listed(&mut tree);
    take_notifications(&mut tree);
    assert_eq!(tree.listed_identity(root, mark, f), Some((dev, f)));
    let stat = tree.inodes.identity_known(host_key(&p.join("f")));
    assert_eq!(stat, Some((dev, f)), "a stat's identity");
    assert!(
        tree.get(root).unwrap().children.is_empty(),
        "no name cached"
    );
    // The host replaces `f`: told, the mark ends.
    std::fs::write(p.join("tmp"), b"new").unwrap();
    std::fs::rename(p.join("tmp"), p.join("f")).unwrap();
    take_notifications(&mut tree);
    assert_eq!(tree.listed_identity(root, mark, g), None, "replaced");
    // The host removes `g`.
    let (mark, _, g) = listed(&mut tree);
    std::fs::remove_file(p.join("g")).unwrap();
    take_notifications(&mut tree);
    assert_eq!(tree.listed_identity(root, mark, g), None, "removed");
    // Lost events, though no name is cached in the directory.
    std::fs::write(p.join("g"), b"g").unwrap();
    take_notifications(&mut tree);
    let (mark, f, _) = listed(&mut tree);
    tree.apply(vec![Change::Lost]);
    assert_eq!(tree.listed_identity(root, mark, f), None, "events lost");
    // A change through the tree.
    let (mark, f, _) = listed(&mut tree);
    tree.unlink(root, name("h"), UnlinkatFlags::NoRemoveDir)
        .unwrap();
    assert_eq!(tree.listed_identity(root, mark, f), None, "the tree's own");
    // Other modes: none.
    for revalidation in [Revalidation::Exclusive, Revalidation::Shared] {
        let options = PreopenOptions {
            revalidation,
            ..Perms::ReadWrite.into()
        };
        let other = tempfile::tempdir().unwrap();
        let r = tree.add_root(open_dir(other.path()), options).unwrap();
        assert_eq!(tree.listing_mark(r), None, "{revalidation:?}");
    }
}
