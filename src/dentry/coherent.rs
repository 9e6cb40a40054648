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
use crate::watch::{Change, OwnEvent, Unwatch, Widening, notifies_every_change};

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
        match self.watcher.watch(&d.fd) {
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
            self.unwatch(wd, dir, &fd, Unwatch::Now);
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
                self.unwatch(wd, dir, &fd, Unwatch::Now);
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

    /// Dentry `id`, watched by `wd` and open on `fd`, was freed (or is
    /// watched no more): the watch goes with the last dentry of its
    /// directory, `how` says (and is narrowed if `fd` widened it, while
    /// another dentry keeps it: [`crate::watch::Watcher::release`]).
    pub(super) fn unwatch(
        &mut self,
        wd: WatchDescriptor,
        id: DentryId,
        fd: &Arc<OwnedFd>,
        how: Unwatch,
    ) {
        let Some(dirs) = self.watches.get_mut(&wd) else {
            return;
        };
        dirs.retain(|&d| d != id);
        if !dirs.is_empty() {
            self.watcher.release(wd, fd);
        } else {
            self.watches.remove(&wd);
            self.watcher.unwatch(wd, how);
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
        // Even where no name is cached: a listing of it may show a name
        // since removed or replaced ([`Tree::listing_mark`]).
        if let Ok(d) = self.get_mut(dir) {
            d.names_gen = d.names_gen.wrapping_add(1);
        }
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

    /// A mark of what a listing of directory `dir` read now shows, to ask
    /// later whether each name listed still names the file listed
    /// ([`Tree::listed_identity`]): `Some` where the kernel tells the tree
    /// of every name removed, moved or made in `dir` (a coherent mount's
    /// watched directory, its watch widened to names removed and moved
    /// here where it is not yet), `None` elsewhere.
    ///
    /// # Preconditions
    /// The listing's `getdents64` comes after this, under the same hold of
    /// the write lock: a change it misses is then told after the mark.
    pub(crate) fn listing_mark(&mut self, dir: DentryId) -> Option<u32> {
        let d = self.get(dir).ok()?;
        if d.policy.revalidation != Revalidation::Coherent || !matches!(d.watch, Watch::On(_)) {
            return None;
        }
        let host_dev = d.key.0;
        self.watch_names(dir);
        // Numbered now: the identities it shows need it.
        self.inodes.dev(host_dev);
        let d = self.get(dir).ok()?;
        (matches!(d.watch, Watch::On(_)) && d.names_told).then_some(d.names_gen)
    }

    /// The guest identity of the file a listing of `dir` marked `mark`
    /// ([`Tree::listing_mark`]) showed as inode `ino` (the guest's number
    /// of its `d_ino`), if no name in `dir` changed since: through
    /// directfs, or as the kernel told (read in before this is asked), or
    /// unseen (a lost event, a watch taken off or narrowed). `None` also
    /// where the file's device has no guest number yet.
    ///
    /// A name listed is the file `d_ino` says, save a mount point's (the
    /// covered file's number, as a native `readdir` shows it too): the
    /// caller does not ask so of a directory.
    pub(crate) fn listed_identity(&self, dir: DentryId, mark: u32, ino: u64) -> Option<(u64, u64)> {
        let d = self.get(dir).ok()?;
        let holds = matches!(d.watch, Watch::On(_)) && d.names_told && d.names_gen == mark;
        let dev = self.inodes.dev_known(d.key.0)?;
        holds.then_some((dev, ino))
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
    /// kernel tells of its changes (a watched directory itself, or a
    /// watched file named in one); never in a shared one.
    pub(crate) fn stat_memo(&self, id: DentryId) -> StatMemo {
        let Ok(d) = self.get(id) else {
            return StatMemo::Never;
        };
        match d.policy.revalidation {
            Revalidation::Exclusive => StatMemo::Always,
            Revalidation::Shared => StatMemo::Never,
            Revalidation::Coherent => match &d.link {
                _ if d.file_type == FileType::Directory => self.widened(d, None),
                Link::Child { parent, name } => self
                    .get(*parent)
                    .map_or(StatMemo::Never, |dir| self.widened(dir, Some(name))),
                Link::Root | Link::Unlinked => StatMemo::Never,
            },
        }
    }

    /// [`Tree::stat_memo`] for a stat of name `last` in directory `dir`
    /// (of `dir` itself: `None`), reached through trusted directories,
    /// which `found` a file of that type. A directory named in `dir` is
    /// remembered on its own watch (its dentry's, if cached): `dir`'s is
    /// not told of the names made in it.
    pub(crate) fn stat_memo_in(
        &self,
        dir: DentryId,
        last: Option<&str>,
        found: FileType,
    ) -> StatMemo {
        let Ok(d) = self.get(dir) else {
            return StatMemo::Never;
        };
        if d.policy.revalidation == Revalidation::Exclusive {
            return StatMemo::Always;
        }
        match last {
            Some(name) if found == FileType::Directory => d
                .children
                .get(name)
                .map_or(StatMemo::Never, |&child| self.stat_memo(child)),
            _ => self.widened(d, last),
        }
    }

    /// Whether a stat of coherent directory `dir` itself (`name` `None`),
    /// or of the file `name` in it, may be remembered: where its watch is
    /// widened to tell of data and attributes, and, for its own stat, of
    /// names made ([`crate::watch::Watcher::widen`], which widens it for
    /// the next stat where it is not); for a file's, where the file itself
    /// is watched too ([`crate::watch::Watcher::vouch_file`]: what is told
    /// only to the file, its link count, which another hard link made
    /// outside the watched directories changes).
    fn widened(&self, dir: &super::Dentry, name: Option<&str>) -> StatMemo {
        let Watch::On(wd) = dir.watch else {
            return StatMemo::Never;
        };
        if !trusts(dir) {
            return StatMemo::Never;
        }
        let widening = self.watcher.widen(wd, &dir.fd, name.is_none());
        match (name, widening) {
            (None, Widening::Already) => StatMemo::Itself,
            (None, Widening::Now | Widening::Later) => StatMemo::Never,
            // Narrowed lately: no file there is watched either.
            (Some(_), Widening::Later) => StatMemo::Never,
            (Some(name), Widening::Already | Widening::Now) => {
                // Asked even where widened only now: a second stat of the
                // name watches the file.
                let vouched = self.watcher.vouch_file(wd, dir.fd.as_fd(), name);
                match widening == Widening::Already && vouched {
                    true => StatMemo::SingleLink,
                    false => StatMemo::Never,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
