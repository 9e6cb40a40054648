//! Tests of the dentry tree, and the fixtures other modules' tests share
//! (`tree_with_root`, `name`).

use std::sync::atomic::Ordering;

use nix::unistd::UnlinkatFlags;

use super::create::permission_bits;
use super::open::open_flags;
use super::*;
use crate::name::Name;
use crate::types::{OpenFlags, Perms, RenameFlags};

pub(crate) fn tree_with_root() -> (tempfile::TempDir, Tree, DentryId) {
    let dir = tempfile::tempdir().unwrap();
    let fd = cap_std::fs::Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
    let mut tree = Tree::default();
    let root = tree
        .add_root(fd.into_std_file().into(), Perms::ReadWrite.into())
        .unwrap();
    (dir, tree, root)
}

pub(crate) fn name(s: &str) -> Name<'_> {
    Name::parse(s).unwrap()
}

#[test]
fn an_emptied_directory_keeps_a_small_map_not_a_large_one() {
    let id = |index| DentryId {
        index,
        generation: 0,
    };
    let mut children = Children::default();
    assert!(
        children.is_empty() && children.0.is_none(),
        "no map at first"
    );
    // A name made and removed, again and again: one map, kept.
    for _ in 0..3 {
        children.insert("f".into(), id(1));
        assert!(!children.is_empty());
        assert_eq!(children.remove("f"), Some(id(1)));
        assert!(children.is_empty() && children.0.is_some());
    }
    // A map grown past `KEPT` is freed once empty.
    for i in 0..100 {
        children.insert(format!("f{i}").into(), id(i));
    }
    for i in 0..100 {
        assert!(!children.is_empty());
        assert_eq!(children.remove(&format!("f{i}")), Some(id(i)));
    }
    assert!(children.is_empty() && children.0.is_none());
    assert_eq!(children.remove("f0"), None);
}

/// "Removing a name frees its cached dentry, if nothing holds it, before
/// the `unlinkat`", seen by the kernel: an inotify watch on the file
/// hears the dentry's FD closed (`IN_CLOSE_NOWRITE`) before the unlink
/// (`IN_ATTRIB`, the link count), and the inode freed in the unlink
/// (`IN_DELETE_SELF`), not at a later close.
#[test]
fn removing_a_name_closes_its_cached_dentry_before_the_unlinkat() {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let (dir, mut tree, root) = tree_with_root();
    tree.set_cache_limits(16, 8);
    std::fs::write(dir.path().join("f"), b"x").unwrap();
    let f = tree.walk_path(root, "f", false).unwrap();
    tree.release(f);
    assert!(tree.get(f).is_ok(), "cached, held by no one");
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK).unwrap();
    let heard = AddWatchFlags::IN_CLOSE_NOWRITE
        | AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_ATTRIB
        | AddWatchFlags::IN_DELETE_SELF;
    inotify.add_watch(&dir.path().join("f"), heard).unwrap();
    tree.unlink(root, name("f"), UnlinkatFlags::NoRemoveDir)
        .unwrap();
    let events: Vec<AddWatchFlags> = inotify
        .read_events()
        .unwrap()
        .into_iter()
        .map(|e| e.mask - AddWatchFlags::IN_IGNORED)
        .filter(|mask| !mask.is_empty())
        .collect();
    assert_eq!(
        events,
        [
            AddWatchFlags::IN_CLOSE_NOWRITE,
            AddWatchFlags::IN_ATTRIB,
            AddWatchFlags::IN_DELETE_SELF
        ],
        "the dentry's FD closed, then the name removed and the inode freed"
    );
    assert!(tree.get(f).is_err(), "the dentry is freed");
}

#[test]
fn walks_share_one_dentry_and_free_it_with_the_last_reference() {
    let (dir, mut tree, root) = tree_with_root();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    let a1 = tree.walk(root, name("a")).unwrap();
    let a2 = tree.walk(root, name("a")).unwrap();
    assert_eq!(a1, a2);
    assert_eq!(tree.get(a1).unwrap().refs.load(Ordering::Relaxed), 2);
    tree.release(a1);
    assert!(tree.get(a1).is_ok());
    tree.release(a2);
    assert!(tree.get(a1).is_err(), "freed with its last reference");
    assert!(tree.get(root).unwrap().children.is_empty());
}

#[test]
fn a_child_keeps_its_parent_and_then_frees_it() {
    let (dir, mut tree, root) = tree_with_root();
    std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
    let a = tree.walk(root, name("a")).unwrap();
    let b = tree.walk(a, name("b")).unwrap();
    tree.release(a);
    assert!(tree.get(a).is_ok(), "kept by its child");
    tree.release(b);
    assert!(tree.get(a).is_err() && tree.get(b).is_err());
    assert_eq!(tree.free.len(), 2);
    // Reused slots get a new generation: old ids stay dead.
    std::fs::write(dir.path().join("f"), b"x").unwrap();
    let f = tree.walk(root, name("f")).unwrap();
    assert!(f != a && f != b);
}

#[test]
fn unlink_detaches_a_held_dentry() {
    let (dir, mut tree, root) = tree_with_root();
    std::fs::write(dir.path().join("f"), b"x").unwrap();
    let f = tree.walk(root, name("f")).unwrap();
    tree.unlink(root, name("f"), UnlinkatFlags::NoRemoveDir)
        .unwrap();
    assert!(matches!(tree.get(f).unwrap().link, Link::Unlinked));
    assert_eq!(
        tree.open(f, OpenFlags::READ).err(),
        Some(ErrorCode::NoEntry)
    );
    assert_eq!(
        tree.stat(f).unwrap().nlink,
        0,
        "fstat still works on the held FD"
    );
    tree.release(f);
    assert!(tree.get(f).is_err());
}

#[test]
fn rename_moves_replaces_and_exchanges_in_the_tree() {
    let (dir, mut tree, root) = tree_with_root();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::write(dir.path().join("a"), b"a").unwrap();
    std::fs::write(dir.path().join("b"), b"b").unwrap();
    let (a, b, d) = (
        tree.walk(root, name("a")).unwrap(),
        tree.walk(root, name("b")).unwrap(),
        tree.walk(root, name("d")).unwrap(),
    );
    // a replaces b: the dentry of b is unlinked, a's is now named b.
    tree.rename(root, name("a"), root, name("b"), RenameFlags::empty())
        .unwrap();
    assert!(matches!(&tree.get(a).unwrap().link, Link::Child { name, .. } if &**name == "b"));
    assert!(matches!(tree.get(b).unwrap().link, Link::Unlinked));
    assert_eq!(tree.get(root).unwrap().children.get("b"), Some(&a));
    // b (now a) moves into d.
    tree.rename(root, name("b"), d, name("x"), RenameFlags::empty())
        .unwrap();
    assert_eq!(tree.get(d).unwrap().children.get("x"), Some(&a));
    assert!(!tree.get(root).unwrap().children.contains_key("b"));
    // Exchange d/x with root/y: the two dentries swap places.
    std::fs::write(dir.path().join("y"), b"y").unwrap();
    let y = tree.walk(root, name("y")).unwrap();
    tree.rename(d, name("x"), root, name("y"), RenameFlags::EXCHANGE)
        .unwrap();
    assert_eq!(tree.get(root).unwrap().children.get("y"), Some(&a));
    assert_eq!(tree.get(d).unwrap().children.get("x"), Some(&y));
    assert_eq!(std::fs::read(dir.path().join("y")).unwrap(), b"a");
    // Renaming a name onto itself changes nothing.
    tree.rename(root, name("y"), root, name("y"), RenameFlags::empty())
        .unwrap();
    assert_eq!(tree.get(root).unwrap().children.get("y"), Some(&a));
}

/// POSIX: a rename of a name onto another hard link of the same file
/// does nothing; the tree keeps both names and their dentries, whether
/// both are cached or only the target is.
#[test]
fn rename_onto_a_hard_link_of_the_same_file_changes_nothing() {
    let (dir, mut tree, root) = tree_with_root();
    std::fs::write(dir.path().join("a"), b"a").unwrap();
    std::fs::hard_link(dir.path().join("a"), dir.path().join("b")).unwrap();
    std::fs::hard_link(dir.path().join("a"), dir.path().join("c")).unwrap();
    let (a, b) = (
        tree.walk(root, name("a")).unwrap(),
        tree.walk(root, name("b")).unwrap(),
    );
    tree.rename(root, name("a"), root, name("b"), RenameFlags::empty())
        .unwrap();
    // Only `b` cached: `c` has no dentry.
    tree.rename(root, name("c"), root, name("b"), RenameFlags::empty())
        .unwrap();
    for host in ["a", "b", "c"] {
        assert!(dir.path().join(host).exists(), "{host} is still there");
    }
    assert!(matches!(&tree.get(a).unwrap().link, Link::Child { name, .. } if &**name == "a"));
    assert!(matches!(&tree.get(b).unwrap().link, Link::Child { name, .. } if &**name == "b"));
    assert_eq!(tree.get(root).unwrap().children.get("b"), Some(&b));
    assert!(
        tree.open(b, OpenFlags::READ).is_ok(),
        "b's dentry still opens"
    );
    assert!(
        tree.open(a, OpenFlags::READ).is_ok(),
        "a's dentry still opens"
    );
    // A real rename onto b still replaces it.
    std::fs::write(dir.path().join("d"), b"d").unwrap();
    tree.rename(root, name("d"), root, name("b"), RenameFlags::empty())
        .unwrap();
    assert!(matches!(tree.get(b).unwrap().link, Link::Unlinked));
    assert_eq!(std::fs::read(dir.path().join("b")).unwrap(), b"d");
}

#[test]
fn inode_numbers_are_stable_and_shared_by_hard_links() {
    let (dir, mut tree, root) = tree_with_root();
    std::fs::write(dir.path().join("f"), b"x").unwrap();
    let root_ino = tree.stat(root).unwrap().ino;
    let f = tree.walk(root, name("f")).unwrap();
    let first = tree.stat(f).unwrap();
    assert_eq!(first.dev, 1, "the first device seen");
    assert_ne!(root_ino, first.ino, "two files, two numbers");
    let host =
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(dir.path().join("f")).unwrap());
    assert_ne!(first.ino, host, "not the host's number");
    assert_eq!(tree.stat(f).unwrap().ino, first.ino, "stable");
    let g = tree.link(root, f, name("g")).unwrap();
    assert_ne!(f, g, "another name, another dentry");
    let linked = tree.stat(g).unwrap();
    assert_eq!((linked.ino, linked.nlink), (first.ino, 2));
}

#[test]
fn stat_prefers_a_live_handle_fd() {
    use std::sync::Arc;
    let (_dir, mut tree, root) = tree_with_root();
    let (f, handle) = tree
        .create(root, name("f"), OpenFlags::WRITE, 0o644, None)
        .unwrap();
    assert!(Arc::ptr_eq(
        &tree.inodes.open_fd(tree.get(f).unwrap().key).unwrap(),
        handle.shared_fd()
    ));
    drop(handle);
    assert!(
        tree.inodes.open_fd(tree.get(f).unwrap().key).is_none(),
        "weak: gone with the handle"
    );
}

/// A guest that makes files for ever (or lists millions) grows no
/// per-file record: the open-FD map keeps the files with live handles
/// (and at most as many others, swept as it doubles), and the numbers
/// cost nothing.
#[test]
fn files_without_open_handles_leave_no_inode_records() {
    let (_dir, mut tree, root) = tree_with_root();
    let mut numbers = std::collections::HashSet::new();
    for i in 0..5000 {
        let (f, handle) = tree
            .create(root, name(&format!("f{i}")), OpenFlags::WRITE, 0o644, None)
            .unwrap();
        numbers.insert(tree.stat(f).unwrap().ino);
        drop(handle);
        tree.release(f);
    }
    assert_eq!(numbers.len(), 5000, "one number per file");
    let entries = tree.inodes.open_entries();
    assert!(entries <= 64, "{entries} inode records, no handle open");
    assert_eq!(tree.read_dir(root, 0, 10_000).unwrap().entries.len(), 5000);
    let entries = tree.inodes.open_entries();
    assert!(entries <= 64, "{entries} inode records after a listing");
}

#[test]
fn truncate_checks_identity_first() {
    let (dir, mut tree, root) = tree_with_root();
    let p = dir.path();
    std::fs::write(p.join("f"), b"mine").unwrap();
    std::fs::write(p.join("other"), b"precious").unwrap();
    let f = tree.walk(root, name("f")).unwrap();
    // The host replaces `f` with a hard link of another file.
    std::fs::remove_file(p.join("f")).unwrap();
    std::fs::hard_link(p.join("other"), p.join("f")).unwrap();
    let flags = OpenFlags::WRITE | OpenFlags::TRUNCATE;
    assert_eq!(tree.open(f, flags).err(), Some(ErrorCode::Stale));
    assert_eq!(std::fs::read(p.join("other")).unwrap(), b"precious");
    // On the dentry's own file, truncate still truncates.
    let g = tree.walk(root, name("other")).unwrap();
    let handle = tree.open(g, flags).unwrap();
    assert_eq!(std::fs::read(p.join("other")).unwrap(), b"");
    drop(handle);
    // The same check guards the by-name calls: a symlink's times.
    std::os::unix::fs::symlink("x", p.join("l")).unwrap();
    let l = tree.walk(root, name("l")).unwrap();
    std::fs::remove_file(p.join("l")).unwrap();
    std::os::unix::fs::symlink("y", p.join("l")).unwrap();
    let before = std::fs::symlink_metadata(p.join("l")).unwrap();
    use crate::types::{SetStat, SetTime};
    let changes = SetStat {
        mode: None,
        uid: None,
        gid: None,
        size: None,
        atime: SetTime::Omit,
        mtime: SetTime::Now,
    };
    assert_eq!(
        tree.set_stat(l, &changes).map_err(|e| e.error),
        Err(ErrorCode::Stale)
    );
    let after = std::fs::symlink_metadata(p.join("l")).unwrap();
    assert_eq!(
        std::os::unix::fs::MetadataExt::mtime_nsec(&before),
        std::os::unix::fs::MetadataExt::mtime_nsec(&after)
    );
}

#[test]
fn the_fd_budget_bounds_deep_nests() {
    let (_dir, mut tree, root) = tree_with_root();
    tree.set_cache_limits(4, 0);
    tree.set_fd_limit(3); // 3 + 4 + 1 root = 8 FDs
    assert_eq!(tree.budget().limit(), 8);
    // Hold only the deepest level, as a guest nesting directories does.
    let mut cur = root;
    tree.acquire(root).unwrap();
    let mut depth = 0;
    let refused = loop {
        match tree.mkdir(cur, name("d"), 0o755, None) {
            Ok(next) => {
                tree.release(cur);
                cur = next;
                depth += 1;
            }
            Err(code) => break code,
        }
    };
    assert_eq!(refused, ErrorCode::TooManyOpen);
    assert_eq!(depth, 7, "root + 7 levels = the 8 FDs");
    assert_eq!(tree.budget().used(), 8);
    assert!(tree.budget().peak() <= 8);
    // Nothing was made for the refused level.
    assert_eq!(tree.walk(cur, name("d")), Err(ErrorCode::TooManyOpen));
    // Handles count too, and come back when dropped.
    assert_eq!(
        tree.open(cur, OpenFlags::READ).err(),
        Some(ErrorCode::TooManyOpen)
    );
    tree.release(cur);
    // Let go: the cache keeps 4, and there is room again.
    assert_eq!(tree.budget().used(), 1 + 4);
    let top = tree.walk(root, name("d")).unwrap();
    let handle = tree.open(top, OpenFlags::READ).unwrap();
    assert_eq!(tree.budget().used(), 1 + 4 + 1);
    drop(handle);
    assert_eq!(tree.budget().used(), 1 + 4);
}

#[test]
fn open_flags_need_an_access_mode() {
    assert_eq!(open_flags(OpenFlags::empty()), Err(ErrorCode::Invalid));
    assert_eq!(
        open_flags(OpenFlags::READ | OpenFlags::APPEND),
        Err(ErrorCode::Invalid)
    );
    assert_eq!(
        open_flags(OpenFlags::WRITE | OpenFlags::TRUNCATE),
        Ok(OFlag::O_WRONLY | OFlag::O_TRUNC)
    );
    assert_eq!(
        open_flags(OpenFlags::READ | OpenFlags::WRITE),
        Ok(OFlag::O_RDWR)
    );
    assert_eq!(
        open_flags(OpenFlags::READ | OpenFlags::DIRECTORY | OpenFlags::NONBLOCK),
        Ok(OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NONBLOCK)
    );
}

#[test]
fn permission_bits_reject_file_type_bits() {
    assert_eq!(permission_bits(0o755).map(|m| m.bits()), Ok(0o755));
    assert_eq!(permission_bits(0o7777).map(|m| m.bits()), Ok(0o7777));
    assert_eq!(permission_bits(0o100644), Err(ErrorCode::Invalid));
}
