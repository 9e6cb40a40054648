//! What keeps a [`Revalidation::Coherent`] mount's cache right: each of its
//! directories watched as its dentry is made (one the tree made itself
//! with `mkdir`: before anything is looked up or changed in it,
//! [`Tree::watch_later`]), and unwatched as it is freed, and the changes
//! the kernel told of taken in before the cache answers (see
//! [`crate::watch`]).

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::sys::WatchDescriptor;

use super::{DentryId, Link, StatMemo, Tree, Watch, trusts};
use crate::name::Name;
use crate::sys;
use crate::types::{FileType, Revalidation};
use crate::watch::{Change, OwnEvent, notifies_every_change};

/// The host identities of directory `dir` and of its ancestors, up to `/`
/// (walked with `openat(.., O_PATH | O_DIRECTORY)`, at most 4096 levels):
/// at mount time only, on the embedder's directory.
fn lineage(dir: std::os::fd::BorrowedFd<'_>) -> Vec<super::inode::InoKey> {
    use nix::fcntl::OFlag;
    use nix::sys::stat::Mode;
    let mut keys = Vec::new();
    let Ok(st) = sys::fstat(dir) else { return keys };
    keys.push(super::inode::key_of(&st));
    let mut cur: Option<std::os::fd::OwnedFd> = None;
    for _ in 0..4096 {
        let at = cur.as_ref().map_or(dir, AsFd::as_fd);
        let Ok(up) = sys::openat(at, "..", OFlag::O_PATH | OFlag::O_DIRECTORY, Mode::empty())
        else {
            break;
        };
        let Ok(st) = sys::fstat(up.as_fd()) else {
            break;
        };
        let key = super::inode::key_of(&st);
        if keys.last() == Some(&key) {
            break; // `/`: its `..` is itself.
        }
        keys.push(key);
        cur = Some(up);
    }
    keys
}

impl Tree {
    /// Watches new dentry `id` if it is a coherent mount's directory: on a
    /// filesystem the kernel hears every change of (asked with `fstatfs` at
    /// the root and where the walk crossed into another filesystem; a
    /// subdirectory on its parent's filesystem is as its parent), with an
    /// inotify watch, else it stays [`Watch::Off`] (revalidated).
    ///
    /// A shared mount's directory is asked too (never watched: it is
    /// revalidated anyway), for [`Tree::opens_path_first`]: it is
    /// [`Watch::Off`] with whether it is remote.
    ///
    /// A dentry made with [`Watch::Later`] (by [`Tree::insert_child_as`])
    /// keeps it where it would be watched: its watch is put off.
    ///
    /// # Preconditions
    /// Nothing is cached in the directory yet.
    pub(super) fn watch_new(&mut self, id: DentryId) {
        let Ok(d) = self.get(id) else { return };
        let put_off = d.watch == Watch::Later;
        if d.policy.revalidation == Revalidation::Exclusive || d.file_type != FileType::Directory {
            if put_off && let Ok(d) = self.get_mut(id) {
                d.watch = Watch::None;
            }
            return;
        }
        let as_parent = match &d.link {
            Link::Child { parent, .. } => self
                .get(*parent)
                .ok()
                .filter(|p| p.key.0 == d.key.0)
                .and_then(|p| match p.watch {
                    Watch::On(_) | Watch::Later | Watch::Churned => Some(false),
                    Watch::Off { remote } => Some(remote),
                    Watch::None => None,
                }),
            Link::Root | Link::Unlinked => None,
        };
        let remote = as_parent.unwrap_or_else(|| {
            !sys::fstatfs(d.fd.as_fd()).is_ok_and(|st| notifies_every_change(&st))
        });
        let watch = if remote || d.policy.revalidation == Revalidation::Shared {
            Watch::Off { remote }
        } else if put_off {
            Watch::Later
        } else {
            self.add_watch(id)
        };
        if let Ok(d) = self.get_mut(id) {
            d.watch = watch;
            d.names_told = false;
        }
    }

    /// Adds an inotify watch on directory `id` (one per host directory: the
    /// kernel gives a second dentry of it the same one), and says what
    /// `id`'s [`Watch`] is now: [`Watch::Off`] where inotify refused.
    fn add_watch(&mut self, id: DentryId) -> Watch {
        let Ok(d) = self.get(id) else {
            return Watch::Off { remote: false };
        };
        match self.watcher.watch(d.fd.as_fd()) {
            Some(wd) => {
                self.watches.entry(wd).or_default().push(id);
                Watch::On(wd)
            }
            None => Watch::Off { remote: false },
        }
    }

    /// Watches directory `dir` now if its watch was put off
    /// ([`Watch::Later`]); else nothing. Called before a lookup in it or a
    /// change of names in it ([`Tree::walk`], [`Tree::stat_name`],
    /// [`Tree::changing_names`]), so that the kernel queues every change
    /// made there after the call's syscalls start; a lookup answered before
    /// (made with the tree unlocked) is not used (`names_gen`), and what
    /// was cached in it before the watch (nothing, where every caching path
    /// comes here first) is checked ([`Tree::check_dir`]).
    ///
    /// A [`Watch::Churned`] directory whose revalidations show it is looked
    /// into more than it is changed ([`super::rewatch_due`]) is watched
    /// again here, so: its cached names checked once, trusted from then on.
    pub(super) fn watch_later(&mut self, dir: DentryId) {
        if !self
            .get(dir)
            .is_ok_and(|d| d.watch == Watch::Later || super::rewatch_due(d))
        {
            return;
        }
        let watch = self.add_watch(dir);
        if let Ok(d) = self.get_mut(dir) {
            d.watch = watch;
            d.names_told = false;
            d.names_gen = d.names_gen.wrapping_add(1);
            d.revalidated.store(0, Ordering::Relaxed);
            d.changed = 0;
        }
        // Names cached already (a churned directory's) rest on the watch
        // telling of their removal from now on: widened before the check.
        if self.get(dir).is_ok_and(|d| !d.children.is_empty()) {
            self.watch_names(dir);
        }
        self.check_dir(dir);
    }

    /// Takes watch `wd` off its directories, which are revalidated from now
    /// on ([`Watch::Churned`]): nearly all it told of were the tree's own
    /// changes of names ([`crate::watch::CHURN_AFTER`]). Every change told
    /// before now was taken in (the drain that counted it out read them);
    /// a remembered `no-entry` there, which only the watch vouched for, is
    /// forgotten, and a remembered stat, which it vouched for too, ends
    /// (a change counted: [`sys::note_notified_change`]).
    fn churned(&mut self, wd: WatchDescriptor) {
        let dirs = self.watches.get(&wd).cloned().unwrap_or_default();
        for dir in dirs {
            let Ok(d) = self.get(dir) else { continue };
            if d.watch != Watch::On(wd) {
                continue;
            }
            let fd = Arc::clone(&d.fd);
            self.unwatch(wd, dir, &fd);
            if let Ok(d) = self.get_mut(dir) {
                d.watch = Watch::Churned;
                d.names_told = false;
                d.names_gen = d.names_gen.wrapping_add(1);
                d.revalidated.store(0, Ordering::Relaxed);
                d.changed = 0;
            }
            self.negatives.forget_dir(dir);
        }
        sys::note_notified_change();
    }

    /// Makes watched directory `dir`'s watch tell of names removed and
    /// moved ([`crate::watch::Watcher::watch_names`]; nothing where it does
    /// already, or `dir` is not watched): called before the syscalls of
    /// anything that caches a name in it (a lookup, a name made or moved
    /// there with its dentry). Where it widens the watch now, a lookup in
    /// the directory answered before (made with the tree unlocked) is not
    /// used (`names_gen`); where inotify refuses, `dir` is revalidated from
    /// now on, as an unwatched directory is.
    pub(super) fn watch_names(&mut self, dir: DentryId) {
        let Ok(d) = self.get(dir) else { return };
        let Watch::On(wd) = d.watch else { return };
        if d.names_told {
            return;
        }
        match self.watcher.watch_names(wd, d.fd.as_fd()) {
            Some(already) => {
                if !already {
                    for other in self.watches.get(&wd).cloned().unwrap_or_default() {
                        if let Ok(o) = self.get_mut(other) {
                            o.names_gen = o.names_gen.wrapping_add(1);
                        }
                    }
                }
                if let Ok(d) = self.get_mut(dir) {
                    d.names_told = true;
                }
            }
            None => {
                let fd = Arc::clone(&d.fd);
                self.unwatch(wd, dir, &fd);
                if let Ok(d) = self.get_mut(dir) {
                    d.watch = Watch::Off { remote: false };
                    d.names_told = false;
                }
                self.check_dir(dir);
            }
        }
    }

    /// The safety net of a path that hangs a child under `parent`: every
    /// path that caches a name watches first ([`Tree::watch_later`],
    /// [`Tree::watch_names`]), and should one not, a parent whose watch was
    /// put off is watched here (one not telling of names removed and moved
    /// is widened to them), and `true` returned: the caller then checks the child against the
    /// host once it hangs there ([`Tree::check_name`], an `fstatat`), as
    /// it may have been looked up before the watch.
    pub(super) fn watch_before_hanging(&mut self, parent: DentryId) -> bool {
        let late = self.get(parent).is_ok_and(|p| {
            p.watch == Watch::Later || (matches!(p.watch, Watch::On(_)) && !p.names_told)
        });
        if late {
            self.watch_later(parent);
            self.watch_names(parent);
        }
        late
    }

    /// New root `root` and the tree's other mounts: where two overlap (one
    /// host directory mounted twice, or one inside the other: told by the
    /// `(st_dev, st_ino)` of each root's directory and its ancestors up to
    /// `/`, walked with `..` once per mount), a change through one is a
    /// change to the other behind its back, which an exclusive mount would
    /// not see. So each exclusive one of them becomes coherent
    /// ([`Tree::make_coherent`]): the kernel tells each of the other's
    /// changes.
    pub(super) fn keep_overlaps_coherent(&mut self, root: DentryId) {
        let Ok(d) = self.get(root) else { return };
        let lineage = lineage(d.fd.as_fd());
        let others: Vec<DentryId> = self
            .lineages
            .keys()
            .copied()
            .filter(|&other| other != root)
            .collect();
        let mut overlapping = Vec::new();
        for other in others {
            let Some(theirs) = self.lineages.get(&other) else {
                continue;
            };
            let (mine, their_key) = (lineage.first(), theirs.first());
            let overlap = mine.is_some_and(|k| theirs.contains(k))
                || their_key.is_some_and(|k| lineage.contains(k));
            if overlap {
                overlapping.push(other);
            }
        }
        self.lineages.insert(root, lineage);
        if !overlapping.is_empty() {
            overlapping.push(root);
            for mount in overlapping {
                if self
                    .get(mount)
                    .is_ok_and(|m| m.policy.revalidation == Revalidation::Exclusive)
                {
                    self.make_coherent(mount);
                }
            }
        }
    }

    /// Makes exclusive mount `root` coherent: each of its dentries takes
    /// the coherent policy, each directory is watched, and what was cached
    /// in it before the watch is checked once (its children, one `fstatat`
    /// each; its remembered `no-entry`s forgotten).
    fn make_coherent(&mut self, root: DentryId) {
        let ids: Vec<DentryId> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(index, slot)| {
                let d = slot.dentry.as_ref()?;
                (d.root == root).then_some(DentryId {
                    index: u32::try_from(index).ok()?,
                    generation: slot.generation,
                })
            })
            .collect();
        for &id in &ids {
            if let Ok(d) = self.get_mut(id) {
                d.policy.revalidation = Revalidation::Coherent;
            }
        }
        for &id in &ids {
            self.watch_new(id);
            // What it caches rests on names from now on.
            self.watch_names(id);
            self.check_dir(id);
        }
    }

    /// Dentry `id`, watched by `wd` and open on `fd`, was freed: the watch
    /// goes with the last dentry of its directory (and is narrowed if `fd`
    /// widened it, while another dentry keeps it:
    /// [`crate::watch::Watcher::release`]).
    pub(super) fn unwatch(&mut self, wd: WatchDescriptor, id: DentryId, fd: &Arc<OwnedFd>) {
        let Some(dirs) = self.watches.get_mut(&wd) else {
            return;
        };
        dirs.retain(|&d| d != id);
        if !dirs.is_empty() {
            self.watcher.release(wd, fd);
        } else {
            self.watches.remove(&wd);
            self.watcher.unwatch(wd);
        }
    }

    /// A mark to take before a change of names whose events
    /// [`Tree::expect_own`] will expect.
    pub(super) fn own_mark(&self) -> u64 {
        self.watcher.reads()
    }

    /// After a change of names through the tree succeeded (and the tree
    /// took it in): the kernel's events for it, `(directory, kind, name)`,
    /// are skipped by the drain that reads them ([`crate::watch::Watcher::expect`]),
    /// where the directory is watched and has no other dentry (another
    /// preopen of the same host directory learns of the change from the
    /// event).
    ///
    /// # Preconditions
    /// `since` is [`Tree::own_mark`] taken before the change's first
    /// syscall; the kernel queues each event whenever the change succeeds.
    pub(super) fn expect_own(&self, since: u64, events: &[(DentryId, OwnEvent, &str)]) {
        let alone = |dir: DentryId| match self.get(dir).map(|d| &d.watch) {
            Ok(&Watch::On(wd)) if self.watches.get(&wd).is_some_and(|dirs| dirs.len() == 1) => {
                Some(wd)
            }
            _ => None,
        };
        let events = events
            .iter()
            .filter_map(|&(dir, event, name)| Some((alone(dir)?, event, name)));
        self.watcher.expect(since, events);
    }

    /// Takes in the changes the kernel told of ([`crate::watch::Watcher::take`]):
    /// a name's cached child that is no longer the host's file there loses
    /// its name (holders keep it, as after an unlink), and a remembered
    /// `no-entry` of the name is forgotten; after lost events, every
    /// watched directory's children are checked so. Called under the write
    /// lock, which started a new generation: the contexts' walk memos end.
    pub(crate) fn apply_changes(&mut self) {
        let changes = self.watcher.take();
        self.apply(changes);
    }

    /// Takes in `changes` (see [`Tree::apply_changes`]).
    fn apply(&mut self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        // Another generation than the lock's own: a call that compares
        // generations across its own locks sees that names changed.
        self.next_generation();
        for change in changes {
            match change {
                Change::Name { wd, name } => {
                    let dirs = self.watches.get(&wd).cloned().unwrap_or_default();
                    for dir in dirs {
                        self.check_name(dir, &name);
                    }
                }
                Change::Churned(wd) => self.churned(wd),
                Change::Gone(wd) => {
                    for dir in self.watches.remove(&wd).unwrap_or_default() {
                        if let Ok(d) = self.get_mut(dir) {
                            d.watch = Watch::Off { remote: false };
                        }
                    }
                }
                Change::Lost => {
                    let dirs: Vec<DentryId> = self.watches.values().flatten().copied().collect();
                    for dir in dirs {
                        self.check_dir(dir);
                    }
                }
            }
        }
    }

    /// Anything in directory `dir` may have changed unseen: each cached
    /// name is checked ([`Tree::check_name`]), every remembered `no-entry`
    /// forgotten.
    pub(super) fn check_dir(&mut self, dir: DentryId) {
        let names: Vec<std::sync::Arc<str>> = self
            .get(dir)
            .map(|d| d.children.names().cloned().collect())
            .unwrap_or_default();
        for name in names {
            self.check_name(dir, &name);
        }
        self.negatives.forget_dir(dir);
    }

    /// `name` in watched directory `dir` may be another file now: forgets
    /// a `no-entry` of it, detaches its cached child unless the host still
    /// has that file there (one `fstatat`), and drops any answer to a
    /// lookup in `dir` made with the tree unlocked before (it may predate
    /// the change).
    pub(super) fn check_name(&mut self, dir: DentryId, name: &str) {
        // A lookup of the name made unlocked before this is not used: it
        // may be of the file before the change (see `deferred`).
        if let Ok(d) = self.get_mut(dir) {
            d.names_gen = d.names_gen.wrapping_add(1);
        }
        self.negatives.remove(dir, name);
        let Some(child) = self
            .get(dir)
            .ok()
            .and_then(|d| d.children.get(name).copied())
        else {
            return;
        };
        let there = Name::parse(name).is_ok_and(|n| self.still_there(dir, n, child));
        if !there {
            self.detach(dir, name);
        }
    }

    /// Remembers that `name` is not in directory `parent` (trusted: see
    /// [`trusts`]), which the host has just said (an `ENOENT` under this
    /// hold of the write lock, or a lookup's answer from before it, kept
    /// only while no name in `parent` changed since: `names_gen`): in an
    /// exclusive mount; in a coherent one only where `parent`'s watch
    /// tells of names made already ([`crate::watch::Watcher::watch_creates`]).
    /// Where it does not and `widen`, the watch is widened to them now, and
    /// `names_gen` moved on (an answer found before the widening is not
    /// taken after it): the next `no-entry` there is remembered.
    pub(super) fn remember_no_entry(&mut self, parent: DentryId, name: &str, widen: bool) {
        let Ok(dir) = self.get(parent) else { return };
        let told = match (dir.policy.revalidation, &dir.watch) {
            (Revalidation::Exclusive, _) => true,
            (Revalidation::Coherent, &Watch::On(wd)) => {
                let told = self.watcher.watch_creates(wd, dir.fd.as_fd(), widen);
                if !told && widen {
                    for d in self.watches.get(&wd).cloned().unwrap_or_default() {
                        if let Ok(d) = self.get_mut(d) {
                            d.names_gen = d.names_gen.wrapping_add(1);
                        }
                    }
                }
                told
            }
            _ => false,
        };
        if told {
            self.negatives.insert(parent, name);
        }
    }

    /// Whether a stat of dentry `id` may be remembered by a context
    /// ([`StatMemo`]): in an exclusive mount; in a coherent one where the
    /// kernel tells of its changes (a watched directory, or a file named in
    /// one); never in a shared one.
    pub(crate) fn stat_memo(&self, id: DentryId) -> StatMemo {
        let Ok(d) = self.get(id) else {
            return StatMemo::Never;
        };
        match d.policy.revalidation {
            Revalidation::Exclusive => StatMemo::Always,
            Revalidation::Shared => StatMemo::Never,
            Revalidation::Coherent => {
                let dir = match &d.link {
                    _ if d.file_type == FileType::Directory => Some(d),
                    Link::Child { parent, .. } => self.get(*parent).ok(),
                    Link::Root | Link::Unlinked => None,
                };
                dir.map_or(StatMemo::Never, |dir| self.widened(dir))
            }
        }
    }

    /// [`Tree::stat_memo`] for a stat of a name in directory `dir` (or of
    /// `dir` itself), reached through trusted directories.
    pub(crate) fn stat_memo_in(&self, dir: DentryId) -> StatMemo {
        match self.get(dir) {
            Ok(d) if d.policy.revalidation == Revalidation::Exclusive => StatMemo::Always,
            Ok(d) => self.widened(d),
            Err(_) => StatMemo::Never,
        }
    }

    /// Whether a stat of coherent directory `dir`, or of a file named in
    /// it, may be remembered: where its watch is widened to tell of data
    /// and attributes ([`crate::watch::Watcher::widen`], which widens it
    /// for the next stat where it is not).
    fn widened(&self, dir: &super::Dentry) -> StatMemo {
        match dir.watch {
            Watch::On(wd) if trusts(dir) && self.watcher.widen(wd, &dir.fd) => StatMemo::SingleLink,
            _ => StatMemo::Never,
        }
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(tree.stat_memo(d), StatMemo::SingleLink);
        // Watched now: a missing name is remembered until the host makes it.
        remember_missing(&mut tree, d, "g");
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
        tree.watcher.unwatch(wd);
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
        assert_eq!(tree.stat_memo(root), StatMemo::SingleLink);
    }
}
