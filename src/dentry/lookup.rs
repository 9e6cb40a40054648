//! Looking names up and asking about files: one component's walk (with a
//! shared mount's revalidation), stats, identities, `statfs`, `readlink`.

use std::os::fd::{AsFd, BorrowedFd};

use nix::errno::Errno;
use nix::sys::stat::FileStat;

use super::inode::key_of;
use super::{DentryId, MADE, Tree, Watch, count_lookups, deferred, trusts};
use crate::error::ErrorCode;
use crate::name::Name;
use crate::sys;
use crate::sys::file_type_of_mode;
use crate::types::{FileType, Stat, Statfs};

/// What [`Tree::cached_name`] found.
enum Cached {
    /// A live child of that name.
    Child(DentryId),
    /// A remembered `no-entry`.
    NoEntry,
    /// Nothing to trust: ask the host (`shared`: do not remember its
    /// `no-entry`).
    Ask { shared: bool },
}

impl Tree {
    /// Whether [`Tree::walk`] of `name` in `parent` would be answered from
    /// the cache: a live child, or a recent `no-entry` in an exclusive
    /// preopen. (A shared preopen's live child costs a revalidating
    /// `fstatat`, but is most likely still there.)
    pub(crate) fn knows_name(&self, parent: DentryId, name: Name<'_>) -> bool {
        let Ok(dir) = self.get(parent) else {
            return false;
        };
        dir.children.get(name.as_str()).is_some()
            || (trusts(dir) && self.negatives.contains(parent, name.as_str()))
    }

    /// Looks up `name` in directory `parent`. Returns the child with one new
    /// guest reference.
    ///
    /// - A live (held or cached) child is used as it is in an exclusive
    ///   preopen; in a shared one only after `fstatat(parent_fd, name,
    ///   AT_SYMLINK_NOFOLLOW)` shows the same `(st_dev, st_ino)` and type, else
    ///   it loses its name (holders keep it, as after an unlink) and the
    ///   name is walked afresh.
    /// - A recent `no-entry` for the name is returned as is (exclusive only).
    /// - Else `openat(parent_fd, name, …)` as [`super::try_open`].
    ///
    /// A call that walks afresh ([`Tree::walks_afresh`]) trusts only the
    /// children it made or checked itself, and no `no-entry`.
    pub(crate) fn walk(&mut self, parent: DentryId, name: Name<'_>) -> Result<DentryId, ErrorCode> {
        self.watch_later(parent);
        let dir = self.get(parent)?;
        let fresh = self.walks_afresh();
        let shared = !trusts(dir) || fresh;
        if let Some(&child) = dir.children.get(name.as_str()) {
            let current = if fresh {
                self.checked_in_call(child)
            } else {
                !shared || self.still_there_in_call(parent, name, child)
            };
            if current {
                self.acquire(child)?;
                self.count_hit(child);
                return Ok(child);
            }
            self.detach(parent, name.as_str());
        } else if !shared && self.negatives.contains(parent, name.as_str()) {
            count_lookups(1, 0);
            return Err(ErrorCode::NoEntry);
        }
        // A miss (counted where the lookup was put off, if it was). Its
        // answer is cached in `parent`: told of from before the syscall.
        self.watch_names(parent);
        let (found, answered) = match self.walk_answer(parent, name.as_str())? {
            Some(found) => (found, true),
            None => {
                count_lookups(0, 1);
                self.make_room(1)?;
                let path_first = self.opens_path_first(parent);
                let found = self.retrying_out_of_fds(|tree| {
                    deferred::open_child(
                        tree.get(parent).map_err(|_| Errno::EBADF)?.fd.as_fd(),
                        name.as_str(),
                        path_first,
                    )
                });
                (found, false)
            }
        };
        match found {
            Ok((opened, st)) => {
                if !answered {
                    self.keep_miss();
                }
                Ok(self.insert_child(parent, name, opened, &st))
            }
            Err(Errno::ENOENT) if !shared => {
                self.remember_no_entry(parent, name.as_str(), true);
                Err(ErrorCode::NoEntry)
            }
            Err(errno) => Err(errno.into()),
        }
    }

    /// Whether a walk opens the children of directory `parent` `O_PATH`
    /// first (`try_open_path_first`): where it is on a filesystem the
    /// kernel does not hear every change of (NFS, FUSE, …), found so in a
    /// coherent or shared mount ([`Watch::Off`] `{ remote: true }`).
    pub(super) fn opens_path_first(&self, parent: DentryId) -> bool {
        self.get(parent)
            .is_ok_and(|d| d.watch == Watch::Off { remote: true })
    }

    /// Whether the host still has `child`'s file (same identity and type) as
    /// `name` in `parent`: gVisor's `doRevalidationDirectfs`, one `fstatat`.
    pub(super) fn still_there(&self, parent: DentryId, name: Name<'_>, child: DentryId) -> bool {
        let (Ok(p), Ok(c)) = (self.get(parent), self.get(child)) else {
            return false;
        };
        super::count_revalidation(p);
        match sys::fstatat_nofollow(p.fd.as_fd(), name.as_str().as_bytes()) {
            Ok(st) => key_of(&st) == c.key && file_type_of_mode(st.st_mode) == c.file_type,
            Err(_) => false,
        }
    }

    /// [`Tree::still_there`], not repeated in a later attempt of the call
    /// that checked it (see [`deferred`]).
    pub(super) fn still_there_in_call(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        child: DentryId,
    ) -> bool {
        if self.checked_in_call(child) {
            return true;
        }
        let call = self.call();
        let there = self.still_there(parent, name, child);
        if there && let Ok(c) = self.get_mut(child) {
            c.checked_in = call;
        }
        there
    }

    /// Whether the running call (an attempt of it) made `child` or found it
    /// current.
    fn checked_in_call(&self, child: DentryId) -> bool {
        let call = self.call();
        call != 0 && self.get(child).is_ok_and(|c| c.checked_in & !MADE == call)
    }

    /// Counts a lookup answered by live dentry `child`, unless an earlier
    /// attempt of this call made it (that counted the miss; see
    /// [`deferred`]).
    pub(super) fn count_hit(&self, child: DentryId) {
        let call = self.call();
        if call == 0 || self.get(child).is_ok_and(|c| c.checked_in != call | MADE) {
            count_lookups(1, 0);
        }
    }

    /// `fstat`, on the FD of a handle open on the file if there is one (a
    /// write FD first), else on the dentry's FD.
    pub(crate) fn stat(&mut self, id: DentryId) -> Result<Stat, ErrorCode> {
        let d = self.get(id)?;
        let st = match self.inodes.open_fd(d.key) {
            Some(fd) => sys::fstat(fd.as_fd())?,
            None => sys::fstat(d.fd.as_fd())?,
        };
        Ok(self.inodes.stat(&st))
    }

    /// A host stat as the guest sees it, numbering its file and device if
    /// they are new (the end of a read-locked stat that came to
    /// [`super::ReadLocked::Unnumbered`]).
    pub(crate) fn guest_stat(&mut self, st: &FileStat) -> Stat {
        self.inodes.stat(st)
    }

    /// The file type of dentry `id` (no syscall: it never changes).
    pub(crate) fn file_type(&self, id: DentryId) -> Result<FileType, ErrorCode> {
        Ok(self.get(id)?.file_type)
    }

    /// The guest's `(dev, ino)` of dentry `id`'s file, stable for the life of
    /// the tree (no syscall).
    pub(crate) fn identity(&mut self, id: DentryId) -> Result<(u64, u64), ErrorCode> {
        let key = self.get(id)?.key;
        Ok(self.inodes.identity(key))
    }

    /// Whether directory `dir` was removed (its host link count is 0: Linux
    /// looks no name up in it, `no-entry`, not even one a later check
    /// would refuse). One `fstat`; only on an error's way out.
    pub(crate) fn removed_dir(&self, dir: DentryId) -> bool {
        self.get(dir)
            .is_ok_and(|d| sys::fstat(d.fd.as_fd()).is_ok_and(|st| st.st_nlink == 0))
    }

    /// The stat of `name` in directory `parent`, without making a dentry for
    /// it (a symlink is not followed): in an exclusive preopen a live
    /// child's [`Tree::stat`] or a recent `no-entry`, else one
    /// `fstatat(parent_fd, name, AT_SYMLINK_NOFOLLOW)`. One syscall at most,
    /// where a walk to a new dentry costs `openat` + `fstat` + `close`.
    pub(crate) fn stat_name(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
    ) -> Result<Stat, ErrorCode> {
        let shared = match self.cached_name(parent, name)? {
            Cached::Child(child) => return self.stat(child),
            Cached::NoEntry => return Err(ErrorCode::NoEntry),
            Cached::Ask { shared } => shared,
        };
        let found = match self.stat_answer(parent, name.as_str())? {
            Some(found) => found,
            None => {
                count_lookups(0, 1);
                sys::fstatat_nofollow(self.get(parent)?.fd.as_fd(), name.as_str().as_bytes())
            }
        };
        let st = self.named_answer(parent, name, shared, found)?;
        Ok(self.inodes.stat(&st))
    }

    /// What the cache says of `name` in `parent` for a call that makes no
    /// dentry of it ([`Tree::stat_name`], [`Tree::readlink_name`]): where
    /// the directory is trusted (see [`trusts`]), a live child or a recent
    /// `no-entry` (each a lookup hit); else the host is to be asked, and
    /// `shared` says whether its `no-entry` may not be remembered.
    fn cached_name(&mut self, parent: DentryId, name: Name<'_>) -> Result<Cached, ErrorCode> {
        self.watch_later(parent);
        let dir = self.get(parent)?;
        let shared = !trusts(dir) || self.walks_afresh();
        if !shared {
            if let Some(&child) = dir.children.get(name.as_str()) {
                count_lookups(1, 0);
                return Ok(Cached::Child(child));
            }
            if self.negatives.contains(parent, name.as_str()) {
                count_lookups(1, 0);
                return Ok(Cached::NoEntry);
            }
        }
        Ok(Cached::Ask { shared })
    }

    /// The host's answer `found` to a call that [`Tree::cached_name`] sent
    /// to it: a `no-entry` remembered unless `shared`.
    fn named_answer<T>(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        shared: bool,
        found: Result<T, Errno>,
    ) -> Result<T, ErrorCode> {
        match found {
            Ok(found) => Ok(found),
            Err(Errno::ENOENT) if !shared => {
                self.remember_no_entry(parent, name.as_str(), true);
                Err(ErrorCode::NoEntry)
            }
            Err(errno) => Err(errno.into()),
        }
    }

    /// The stat of `path` from directory `dir` in one walk by the kernel,
    /// where `dir` revalidates what it caches (a shared mount; a coherent
    /// one the kernel's notifications do not cover) and `path` is two or
    /// more plain names (no `.`, `..`, empty name, leading or trailing `/`):
    /// `openat2` beneath `dir`, following no symlink
    /// ([`sys::openat2_beneath_path`]), `fstat`, `close` — three syscalls
    /// for any depth, where the walk name by name makes an `fstatat` per
    /// name. No dentry is made or used.
    ///
    /// `Ok(None)` where it does not apply, and where the kernel's walk met
    /// what the walk name by name answers itself: a symlink (`ELOOP`; the
    /// last name a symlink to `follow`), a directory it may not search, any
    /// other error. `no-entry` and `not-directory` are answers, as a walk
    /// name by name would give them.
    pub(crate) fn stat_beneath(
        &mut self,
        dir: DentryId,
        path: &str,
        follow: bool,
    ) -> Result<Option<Stat>, ErrorCode> {
        let d = self.get(dir)?;
        let plain = path.contains('/')
            && path
                .split('/')
                .all(|name| !matches!(name, "" | "." | "..") && Name::parse(name).is_ok());
        if trusts(d) || self.walks_afresh() || d.file_type != FileType::Directory || !plain {
            return Ok(None);
        }
        let found = match self.stat_path_answer(dir, path)? {
            Some(found) => found,
            None => {
                count_lookups(0, 1);
                self.make_room(1)?;
                self.retrying_out_of_fds(|tree| {
                    let fd = tree.get(dir).map_err(|_| Errno::EBADF)?.fd.as_fd();
                    deferred::stat_path_beneath(fd, path)
                })
            }
        };
        match found {
            Ok(st) if follow && file_type_of_mode(st.st_mode) == FileType::SymbolicLink => Ok(None),
            Ok(st) => Ok(Some(self.inodes.stat(&st))),
            Err(Errno::ENOENT) => Err(ErrorCode::NoEntry),
            Err(Errno::ENOTDIR) => Err(ErrorCode::NotDirectory),
            Err(_) => Ok(None),
        }
    }

    /// `fstat` on a handle's FD, in the guest's numbering.
    pub(crate) fn stat_fd(&mut self, fd: BorrowedFd<'_>) -> Result<Stat, ErrorCode> {
        let st = sys::fstat(fd)?;
        Ok(self.inodes.stat(&st))
    }

    /// `fstatfs` on the dentry's FD.
    pub(crate) fn statfs(&self, id: DentryId) -> Result<Statfs, ErrorCode> {
        let st = sys::fstatfs(self.get(id)?.fd.as_fd())?;
        let block_size = u64::try_from(st.block_size()).unwrap_or(0);
        Ok(Statfs {
            block_size,
            // As gVisor: Linux's f_frsize is f_bsize on the filesystems here.
            fragment_size: block_size,
            blocks: st.blocks(),
            blocks_free: st.blocks_free(),
            blocks_available: st.blocks_available(),
            files: st.files(),
            files_free: st.files_free(),
            name_length: u64::try_from(st.maximum_name_length()).unwrap_or(0),
        })
    }

    /// The target of symlink `name` in directory `parent`, without making a
    /// dentry for it: in a trusted directory (see [`trusts`]) a live
    /// child's [`Tree::readlink`] or a recent `no-entry`, else one
    /// `readlinkat(parent_fd, name)` — the one syscall wasmtime-wasi makes,
    /// where a walk to a new dentry costs two or three `openat`s, an
    /// `fstat` and, when the cache lets it go, a `close`. A name that is
    /// not a symlink is `invalid`, as `readlinkat` answers. A `no-entry` is
    /// remembered as [`Tree::stat_name`] remembers one.
    pub(crate) fn readlink_name(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
    ) -> Result<String, ErrorCode> {
        let shared = match self.cached_name(parent, name)? {
            Cached::Child(child) => return self.readlink(child),
            Cached::NoEntry => return Err(ErrorCode::NoEntry),
            Cached::Ask { shared } => shared,
        };
        let found = match self.readlink_answer(parent, name.as_str())? {
            Some(found) => found,
            None => {
                count_lookups(0, 1);
                sys::readlinkat(self.get(parent)?.fd.as_fd(), name.as_str())
            }
        };
        self.named_answer(parent, name, shared, found)?
            .into_string()
            .map_err(|_| ErrorCode::IllegalByteSequence)
    }

    /// `readlinkat(fd, "")`: the target of symlink `id`.
    pub(crate) fn readlink(&self, id: DentryId) -> Result<String, ErrorCode> {
        let d = self.get(id)?;
        if d.file_type != FileType::SymbolicLink {
            return Err(ErrorCode::Invalid);
        }
        sys::readlinkat(d.fd.as_fd(), "")?
            .into_string()
            .map_err(|_| ErrorCode::IllegalByteSequence)
    }
}

#[cfg(test)]
mod tests {
    use crate::Filesystem;
    use crate::dentry::deferred::tests::context_with;
    use crate::error::ErrorCode;
    use crate::sys::test_hook;
    use crate::types::{Blocking, FileType, Revalidation};
    use crate::{DirectfsCtx, Mount};

    /// [`context_with`] a shared, inline mount, `a/b/c/f` walked once
    /// (cached, held by no one): the mount, its context, and `f`'s dentry.
    fn shared_with_f_cached() -> (
        tempfile::TempDir,
        Mount,
        DirectfsCtx,
        crate::dentry::DentryId,
    ) {
        let (dir, mount, ctx) = context_with(Revalidation::Shared, Blocking::Inline);
        let root = mount.root();
        let f = ctx
            .deferring(|tree| tree.walk_path(root, "a/b/c/f", false))
            .unwrap();
        ctx.release(f);
        (dir, mount, ctx, f)
    }

    /// A `stat-at` of a path of names in a mount that revalidates is one
    /// walk by the kernel: `openat2` and `fstat` (the two counted syscalls;
    /// the `close` is not counted), where the walk name by name makes an
    /// `fstatat` per name; no dentry is made. It answers as that walk: a
    /// symlink on the way, or last with `follow`, and a path that is not
    /// plain names take that walk; a missing name is `no-entry`, a file on
    /// the way `not-directory`. On a pool mount it is made with the tree
    /// unlocked; in an exclusive mount the cache answers instead.
    #[test]
    fn a_deep_stat_in_a_revalidating_mount_is_one_walk_by_the_kernel() {
        for blocking in [Blocking::Inline, Blocking::Pool] {
            let (dir, mount, ctx) = context_with(Revalidation::Shared, blocking);
            std::os::unix::fs::symlink("b", dir.path().join("a/l")).unwrap();
            std::os::unix::fs::symlink("f", dir.path().join("a/b/c/s")).unwrap();
            let root = mount.root();
            let stat = |path: &str, follow: bool| {
                ctx.deferring(|tree| tree.stat_beneath(root, path, follow))
            };
            let (fs, log) = (mount.filesystem().clone(), std::rc::Rc::default());
            let to = std::rc::Rc::clone(&log);
            test_hook::set(move |name: &str| {
                let to: &std::cell::RefCell<Vec<(String, bool)>> = &to;
                to.borrow_mut().push((name.to_owned(), fs.is_locked()));
            });
            let dentries = ctx.tree().counts().0;
            let before = ctx.stats().syscalls;
            let f = stat("a/b/c/f", false).unwrap().expect("one walk");
            assert_eq!((f.file_type, f.size), (FileType::RegularFile, 1));
            assert_eq!(ctx.stats().syscalls - before, 2, "{blocking:?}");
            assert_eq!(ctx.tree().counts().0, dentries, "no dentry made");
            let locked = blocking == Blocking::Inline;
            assert_eq!(log.borrow().as_slice(), [("a/b/c/f".to_owned(), locked)]);
            test_hook::clear();

            let s = stat("a/b/c/s", false).unwrap().expect("the symlink itself");
            assert_eq!(s.file_type, FileType::SymbolicLink);
            assert_eq!(stat("a/b/c/s", true), Ok(None), "a symlink to follow");
            assert_eq!(stat("a/l/c/f", false), Ok(None), "a symlink on the way");
            assert_eq!(stat("a/b/c/none", false), Err(ErrorCode::NoEntry));
            assert_eq!(stat("a/b/c/f/x", false), Err(ErrorCode::NotDirectory));
            for not_plain in ["a", "a/./b", "a/../a/b", "a//b", "a/b/", "/a/b"] {
                assert_eq!(stat(not_plain, false), Ok(None), "{not_plain}");
            }
            assert_eq!(ctx.tree().counts().0, dentries, "no dentry made");
        }
        // An exclusive mount's cache answers without a syscall instead.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        let mount = Filesystem::new()
            .mount(dir.path(), Revalidation::Exclusive)
            .unwrap();
        let root = mount.root();
        let mut tree = mount.filesystem().lock();
        assert_eq!(tree.stat_beneath(root, "a/b", false), Ok(None));
    }

    /// A symlink's target is read by name (`readlinkat(dir_fd, name)`, one
    /// syscall) with no dentry made for it; a name that is not a symlink
    /// is `invalid`, a missing one `no-entry` (remembered where the mount
    /// trusts its cache). A cached dentry of the symlink answers in a
    /// trusted mount; a shared one reads the name each time, so a symlink
    /// the host replaced gives its new target.
    #[test]
    fn a_symlink_is_read_by_name() {
        use super::super::tests::name;
        for revalidation in [Revalidation::Exclusive, Revalidation::Shared] {
            let (dir, mount, ctx) = context_with(revalidation, Blocking::Inline);
            let c = ctx
                .deferring(|tree| tree.walk_path(mount.root(), "a/b/c", false))
                .unwrap();
            std::os::unix::fs::symlink("f", dir.path().join("a/b/c/s")).unwrap();
            let read = |n: &str| {
                let before = ctx.stats().syscalls;
                let target = ctx.deferring(|tree| tree.readlink_name(c, name(n)));
                (target, ctx.stats().syscalls - before)
            };
            let dentries = ctx.tree().counts().0;
            assert_eq!(read("s"), (Ok("f".to_owned()), 1), "{revalidation:?}");
            assert_eq!(ctx.tree().counts().0, dentries, "no dentry made");
            assert_eq!(read("f"), (Err(ErrorCode::Invalid), 1));
            assert_eq!(read("none").0, Err(ErrorCode::NoEntry));
            let remembered = revalidation == Revalidation::Exclusive;
            assert_eq!(
                read("none"),
                (Err(ErrorCode::NoEntry), u64::from(!remembered))
            );

            // Cached, then replaced by the host.
            let s = ctx.deferring(|tree| tree.walk_path(c, "s", false)).unwrap();
            ctx.release(s);
            std::fs::remove_file(dir.path().join("a/b/c/s")).unwrap();
            std::os::unix::fs::symlink("g", dir.path().join("a/b/c/s")).unwrap();
            let expected = if remembered { "f" } else { "g" };
            assert_eq!(read("s"), (Ok(expected.to_owned()), 1), "{revalidation:?}");
            ctx.release(c);
        }
    }

    /// In a mount that revalidates, a walk under the read lock through
    /// cached dentries checks each name once (one `fstatat`) and leads
    /// where the write-locked walk led, with no second walk; it is not
    /// remembered: the next one checks again, and a directory the host
    /// replaced sends it to the write-locked walk.
    #[test]
    fn a_walk_through_directories_that_revalidate_checks_each_name_once_each_time() {
        let (dir, mount, mut ctx, f) = shared_with_f_cached();
        let root = mount.root();
        for _ in 0..2 {
            let before = ctx.stats().syscalls;
            let found = ctx.walk_path_cached(root, "a/b/c/f", false);
            assert_eq!(found, Some(f), "under the read lock");
            assert_eq!(ctx.stats().syscalls - before, 4, "one fstatat a name");
            ctx.release(f);
        }
        std::fs::rename(dir.path().join("a/b/c"), dir.path().join("old")).unwrap();
        std::fs::create_dir(dir.path().join("a/b/c")).unwrap();
        std::fs::write(dir.path().join("a/b/c/f"), b"new").unwrap();
        assert_eq!(ctx.walk_path_cached(root, "a/b/c/f", false), None);
        let new = ctx
            .deferring(|tree| tree.walk_path(root, "a/b/c/f", false))
            .unwrap();
        assert_ne!(new, f);
        assert_eq!(ctx.stat(new).unwrap().size, 3);
    }

    /// In a mount that revalidates, a walk that leaves the cache (its last
    /// name, or a directory on the way, not cached) is given up under the
    /// read lock before any syscall: the write-locked walk then checks each
    /// cached name once (one `fstatat` each) and opens the new ones, instead
    /// of every name being checked twice.
    #[test]
    fn a_walk_leaving_the_cache_checks_the_names_on_the_way_once() {
        let (dir, mount, mut ctx, _) = shared_with_f_cached();
        let root = mount.root();
        std::fs::write(dir.path().join("a/b/c/g"), b"g").unwrap();
        std::fs::create_dir(dir.path().join("a/b/x")).unwrap();
        std::fs::write(dir.path().join("a/b/x/h"), b"h").unwrap();
        for (path, on_the_way, opened) in [("a/b/c/g", 3, 1), ("a/b/x/h", 2, 2)] {
            let before = ctx.stats().syscalls;
            assert_eq!(ctx.walk_path_cached(root, path, false), None, "{path}");
            assert_eq!(ctx.stat_path_cached(root, path, false), None, "{path}");
            let tree = ctx.tree();
            assert!(tree.cached_path_trusted(root, path).is_none(), "{path}");
            drop(tree);
            assert_eq!(ctx.stats().syscalls, before, "{path}: no syscall");
            let found = ctx
                .deferring(|tree| tree.walk_path(root, path, false))
                .unwrap();
            // Each cached name checked once (`fstatat`); each new one
            // opened (`openat`, `fstat`).
            assert_eq!(
                ctx.stats().syscalls - before,
                on_the_way + 2 * opened,
                "{path}"
            );
            ctx.release(found);
        }
        // A cached symlink to follow at the end: given up alike.
        std::os::unix::fs::symlink("f", dir.path().join("a/b/c/s")).unwrap();
        let s = ctx
            .deferring(|tree| tree.walk_path(root, "a/b/c/s", false))
            .unwrap();
        ctx.release(s);
        let before = ctx.stats().syscalls;
        assert_eq!(ctx.walk_path_cached(root, "a/b/c/s", true), None);
        assert_eq!(
            ctx.stats().syscalls,
            before,
            "a symlink to follow: no syscall"
        );
    }
}
