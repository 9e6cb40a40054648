//! The `wasi:filesystem` calls in the core's types, once for both WASI
//! versions: the 0.2 frontend ([`super::p2`]) and the 0.3 one
//! ([`super::p3`]) only convert their generated types to these and back.
//!
//! Each call looks up the descriptor (a foreign one traps), checks its kind
//! and the preopen's permissions (wasmtime-wasi's order and error codes),
//! and calls into [`crate::dentry`] through its walks of
//! confined paths. No syscalls here.

use nix::unistd::UnlinkatFlags;
use wasmtime::component::Resource;

use super::{Descriptor, DescriptorKind, DirectoryEntryStream, OpenIntent, OpenRequest, open_at};
use crate::ctx::{DirectfsCtxView, LastIdentity, LastListed, LastStat, StreamSlot};
use crate::dentry::{DentryId, ReadLocked, StatMemo, Tree};
use crate::dentry::{
    Last, TwoPaths, ends_in_name, parent_of_name, resolve_slashed, second_walk_first, slashed_made,
    walk_to_last, with_parent, with_walked,
};
use crate::error::Error;
use crate::error::trap;
use crate::handle::Handle;
use crate::name::check_path;
use crate::sys;
use crate::types::{DirEntry, FileType, RenameFlags, SetStat, SetTime, Stat};

/// The error codes these functions return themselves (the rest come from
/// [`crate::dentry`]).
use crate::error::ErrorCode as Code;

/// What `get-flags` shows of a descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Access {
    pub(crate) read: bool,
    pub(crate) write: bool,
    /// A directory of a read-write preopen (`mutate-directory`).
    pub(crate) mutate: bool,
}

/// A file's identity, as `metadata-hash` shows it: `(dev, ino)`.
pub(crate) type Identity = (u64, u64);

impl DirectfsCtxView<'_> {
    pub(crate) fn descriptor(&self, fd: &Resource<Descriptor>) -> Result<&Descriptor, Error> {
        Ok(self.table.get(fd)?)
    }

    /// `stat-at`'s stat of `path` from `dir`: the remembered one if it
    /// still holds ([`LastStat`]), else under the read lock where the tree
    /// has what it needs ([`crate::dentry::Tree::stat_cached_at`]), else the
    /// full walk under the write lock.
    ///
    /// What a read-locked stat of an exclusive mount finds is remembered
    /// for the next `stat-at` and `metadata-hash-at` of the same file.
    ///
    /// A WASI 0.3 call run again with the answer to the lookup it handed
    /// out takes the full walk, which uses it.
    fn stat_path(&mut self, dir: DentryId, path: &str, follow: bool) -> Result<Stat, Code> {
        if self.ctx.has_handed_out_answer() {
            return self.ctx.deferring(|tree| stat_at(tree, dir, path, follow));
        }
        let (fast, read_generation, at, changes) = {
            // Taking the tree drains the kernel's notifications first
            // (coherent mounts): they are counted in `changes`.
            let tree = self.ctx.tree_read();
            // Read before the stat: a change counted after this is seen by
            // the stat, or makes what it found not hold.
            let changes = sys::changes();
            let generation = tree.generation();
            let last = self.ctx.last_stat.as_ref();
            let whole = Some(changes);
            if let Some(l) = last
                && let Some(stat) = l.answers_asked(dir, path, follow, generation, whole)
            {
                l.call.set(self.ctx.call_number());
                self.ctx.fs.watcher.memo_answered();
                return Ok(stat);
            }
            match tree.cached_path(dir, path) {
                Some(at) => {
                    if let Some(l) = last
                        && let Some(stat) = l.answers(&at, follow, generation, whole)
                    {
                        l.call.set(self.ctx.call_number());
                        self.ctx.fs.watcher.memo_answered();
                        return Ok(stat);
                    }
                    let fast = tree.stat_cached_at(&at, follow);
                    // What the stat found, if it is answered here.
                    let found = match &fast {
                        ReadLocked::Done(Ok(stat)) => Some(stat.file_type),
                        ReadLocked::Unnumbered(st) => Some(sys::file_type_of_mode(st.st_mode)),
                        ReadLocked::Done(Err(_)) | ReadLocked::Full | ReadLocked::Looked(_) => None,
                    };
                    let memo = match found {
                        Some(found) if at.trusted => tree.stat_memo_in(at.dir, at.last, found),
                        _ => StatMemo::Never,
                    };
                    (fast, generation, Some((at, memo)), changes)
                }
                None => (ReadLocked::Full, generation, None, changes),
            }
        };
        // The generation the stat is valid at, if it can be remembered.
        let (stat, generation) = match fast {
            ReadLocked::Done(stat) => (stat?, Some(read_generation)),
            ReadLocked::Unnumbered(st) => {
                let mut tree = self.ctx.tree();
                let stat = tree.guest_stat(&st);
                // Numbering changes no name: still valid if this lock was
                // the only one since the read.
                let generation = tree.generation();
                (
                    stat,
                    (generation == read_generation.wrapping_add(1)).then_some(generation),
                )
            }
            ReadLocked::Full => (
                self.ctx
                    .deferring(|tree| stat_at(tree, dir, path, follow))?,
                None,
            ),
            ReadLocked::Looked(answer) => (
                self.ctx
                    .deferring_with(Some(*answer), |tree| stat_at(tree, dir, path, follow))?,
                None,
            ),
        };
        if let (Some((at, memo)), Some(generation)) = (at, generation)
            && memo.holds(&stat)
        {
            let name = at.last.unwrap_or("");
            let call = self.ctx.call_number();
            let last = self.ctx.last_stat.get_or_insert_with(|| LastStat {
                dir: at.dir,
                name: String::new(),
                asked_dir: dir,
                asked_path: String::new(),
                follow,
                generation,
                changes,
                stat,
                call: std::cell::Cell::new(0),
            });
            last.dir = at.dir;
            last.name.clear();
            last.name.push_str(name);
            last.asked_dir = dir;
            last.asked_path.clear();
            last.asked_path.push_str(path);
            last.follow = follow;
            last.generation = generation;
            last.changes = changes;
            last.stat = stat;
            last.call.set(call);
        }
        Ok(stat)
    }

    /// The identity of `path` from `dir`, if the last `stat-at` remembered
    /// it and the tree is unchanged since (no syscall; see [`LastStat`]).
    fn remembered_identity(&self, dir: DentryId, path: &str, follow: bool) -> Option<Identity> {
        let last = self.ctx.last_stat.as_ref()?;
        if last.call.get() == self.ctx.call_number().wrapping_sub(1)
            && self.ctx.last_call_read_notifications()
        {
            // The second half of one libc `stat`: as of the first's moment.
            let tree = self.ctx.tree_read_as_of_last_call();
            if let Some(stat) = last.answers_asked(dir, path, follow, tree.generation(), None) {
                return Some((stat.dev, stat.ino));
            }
        }
        let tree = self.ctx.tree_read();
        // Shared mounts never remember (see `LastStat`).
        if let Some(stat) = last.answers_asked(dir, path, follow, tree.generation(), None) {
            return Some((stat.dev, stat.ino));
        }
        // A walk that revalidates (syscalls) is never remembered.
        let at = tree.cached_path_trusted(dir, path)?;
        let stat = last.answers(&at, follow, tree.generation(), None)?;
        Some((stat.dev, stat.ino))
    }

    /// The identity of the entry `dir`'s directory stream handed out last,
    /// if `path` is its name and the listing still holds (see
    /// [`LastListed`]): wasi-libc's `readdir` asks it of every entry.
    fn listed_identity(&self, dir: DentryId, path: &str, follow: bool) -> Option<Identity> {
        let listed = self.ctx.last_listed.as_ref()?;
        if !listed.of(dir, path) {
            return None;
        }
        listed.answers(&self.ctx.tree_read(), dir, path, follow)
    }

    /// A directory descriptor's dentry; a file → `not-directory`.
    pub(crate) fn dir(&self, fd: &Resource<Descriptor>) -> Result<DentryId, Error> {
        let d = self.descriptor(fd)?;
        match d.kind {
            DescriptorKind::Directory { .. } => Ok(d.dentry),
            DescriptorKind::File { .. } => Err(Code::NotDirectory.into()),
        }
    }

    /// A directory descriptor's dentry, in a read-write preopen (else
    /// `not-permitted`, as wasmtime-wasi).
    pub(crate) fn mutable_dir(&self, fd: &Resource<Descriptor>) -> Result<DentryId, Error> {
        let dir = self.dir(fd)?;
        self.check_mutable(dir)?;
        Ok(dir)
    }

    /// The dentries of two directory descriptors (`link-at`, `rename-at`),
    /// both in read-write preopens: both are checked to be directories
    /// first (`not-directory`), then to be writable (`not-permitted`), as
    /// wasmtime-wasi checks them.
    pub(crate) fn mutable_dirs(
        &self,
        fd: &Resource<Descriptor>,
        new_fd: &Resource<Descriptor>,
    ) -> Result<(DentryId, DentryId), Error> {
        let (old_dir, new_dir) = (self.dir(fd)?, self.dir(new_fd)?);
        self.check_mutable(old_dir)?;
        self.check_mutable(new_dir)?;
        Ok((old_dir, new_dir))
    }

    /// Fails with `not-permitted` unless dentry `id` is in a read-write
    /// preopen; reads no notifications (the permissions are fixed:
    /// [`crate::ctx::DirectfsCtx::tree_read_fixed`]).
    fn check_mutable(&self, id: DentryId) -> Result<(), Error> {
        self.check_mutable_locked(&self.ctx.tree_read_fixed(), id)
    }

    /// [`Self::check_mutable`] on a tree the caller has locked: dentry `id`
    /// is in a read-write preopen, else `not-permitted`.
    fn check_mutable_locked(&self, tree: &Tree, id: DentryId) -> Result<(), Error> {
        self.ctx
            .check_writable_locked(tree, id)
            .map_err(|_| Code::NotPermitted.into())
    }

    /// Whether calls on dentry `id` run on the blocking pool (on an async
    /// host): its mount is [`crate::Blocking::Pool`] (inline where there is
    /// none: a bad handle then fails inline).
    pub(crate) fn pool_for(&self, id: Option<DentryId>) -> bool {
        id.is_some_and(|id| self.ctx.blocking(id) == crate::Blocking::Pool)
    }

    /// The dentry of descriptor `fd`, to choose where its call runs.
    pub(crate) fn dentry_of(&self, fd: &Resource<Descriptor>) -> Option<DentryId> {
        self.table.get(fd).ok().map(|d| d.dentry)
    }

    /// A file descriptor's handle; a directory → `bad-descriptor`.
    pub(crate) fn file(&self, fd: &Resource<Descriptor>) -> Result<(DentryId, &Handle), Error> {
        let d = self.descriptor(fd)?;
        match &d.kind {
            DescriptorKind::File { handle, .. } => Ok((d.dentry, handle)),
            DescriptorKind::Directory { .. } => Err(Code::BadDescriptor.into()),
        }
    }

    /// The descriptor's dentry, and a share of its handle if it is a file
    /// (`None` for a directory, which has none).
    fn parts(&self, fd: &Resource<Descriptor>) -> Result<(DentryId, Option<Handle>), Error> {
        let d = self.descriptor(fd)?;
        Ok(match &d.kind {
            DescriptorKind::File { handle, .. } => (d.dentry, Some(handle.share())),
            DescriptorKind::Directory { .. } => (d.dentry, None),
        })
    }

    /// A handle on the descriptor's file, for `sync` and `sync-data`: a
    /// file's own, or a directory opened for reading (as wasmtime-wasi).
    fn sync_handle(&mut self, fd: &Resource<Descriptor>) -> Result<Handle, Error> {
        match self.parts(fd)? {
            (_, Some(handle)) => Ok(handle),
            (dir, None) => Ok(self
                .ctx
                .deferring(|tree| tree.open(dir, crate::OpenFlags::READ))?),
        }
    }

    /// What a stream of descriptor `fd` reads through (or, if `write`,
    /// writes through, in a read-write preopen): the descriptor's dentry, a
    /// share of its handle, whether the file is a FIFO, socket or device
    /// ([`is_pipe`]), and the stream's slot of [`crate::Limits::max_open`]
    /// (a stream keeps its file open after the descriptor goes, so each
    /// counts, as a descriptor does: past the limit, `insufficient-memory`).
    /// A directory → `is-directory` to read, `bad-descriptor` to write (as
    /// wasmtime-wasi).
    pub(crate) fn stream_handle(
        &self,
        fd: &Resource<Descriptor>,
        write: bool,
    ) -> Result<(DentryId, Handle, bool, StreamSlot), Error> {
        let d = self.descriptor(fd)?;
        let handle = match &d.kind {
            DescriptorKind::File { handle, .. } => handle,
            DescriptorKind::Directory { .. } if write => return Err(Code::BadDescriptor.into()),
            DescriptorKind::Directory { .. } => return Err(Code::IsDirectory.into()),
        };
        // One read lock for both checks.
        let tree = self.ctx.tree_read();
        if write {
            self.check_mutable_locked(&tree, d.dentry)?;
        }
        let pipe = is_pipe(tree.file_type(d.dentry)?);
        self.room_for(1)?;
        Ok((d.dentry, handle.share(), pipe, self.ctx.stream_slot()))
    }

    /// A file descriptor's handle, in a read-write preopen.
    pub(crate) fn mutable_file(&self, fd: &Resource<Descriptor>) -> Result<&Handle, Error> {
        let (id, handle) = self.file(fd)?;
        self.check_mutable(id)?;
        Ok(handle)
    }

    /// Runs `op` on the parent directory and last name of `path` under the
    /// mutable directory `fd`.
    fn at_parent<R>(
        &mut self,
        fd: &Resource<Descriptor>,
        path: &str,
        mut op: impl FnMut(&mut Tree, DentryId, Last<'_>) -> Result<R, Code>,
    ) -> Result<R, Error> {
        let dir = self.mutable_dir(fd)?;
        Ok(self
            .ctx
            .deferring(|tree| with_parent(tree, dir, path, &mut op))?)
    }
}

/// The calls, named after the WIT's.
impl DirectfsCtxView<'_> {
    pub(crate) fn fs_advise(
        &mut self,
        fd: &Resource<Descriptor>,
        offset: u64,
        length: u64,
        advice: sys::Advice,
    ) -> Result<(), Error> {
        let handle = self.file(fd)?.1;
        Ok(self
            .ctx
            .counting(|| handle.advise(offset, length, advice))?)
    }

    pub(crate) fn fs_sync_data(&mut self, fd: &Resource<Descriptor>) -> Result<(), Error> {
        let handle = self.sync_handle(fd)?;
        Ok(self.ctx.counting(|| handle.sync_data())?)
    }

    pub(crate) fn fs_sync(&mut self, fd: &Resource<Descriptor>) -> Result<(), Error> {
        let handle = self.sync_handle(fd)?;
        Ok(self.ctx.counting(|| handle.sync())?)
    }

    pub(crate) fn fs_get_flags(&mut self, fd: &Resource<Descriptor>) -> Result<Access, Error> {
        Ok(match self.descriptor(fd)?.kind {
            DescriptorKind::File { read, write, .. } => Access {
                read,
                write,
                mutate: false,
            },
            DescriptorKind::Directory { mutate } => Access {
                read: true,
                write: false,
                mutate,
            },
        })
    }

    pub(crate) fn fs_get_type(&mut self, fd: &Resource<Descriptor>) -> Result<FileType, Error> {
        let id = self.descriptor(fd)?.dentry;
        // A dentry's file type never changes: no notifications read.
        Ok(self.ctx.tree_read_fixed().file_type(id)?)
    }

    pub(crate) fn fs_set_size(
        &mut self,
        fd: &Resource<Descriptor>,
        size: u64,
    ) -> Result<(), Error> {
        let handle = self.mutable_file(fd)?;
        Ok(self.ctx.counting(|| handle.set_size(size))?)
    }

    pub(crate) fn fs_set_times(
        &mut self,
        fd: &Resource<Descriptor>,
        atime: SetTime,
        mtime: SetTime,
    ) -> Result<(), Error> {
        let (id, handle) = self.parts(fd)?;
        self.check_mutable(id)?;
        match handle {
            Some(handle) => Ok(self.ctx.counting(|| handle.set_times(&atime, &mtime))?),
            None => Ok(set_times(&mut self.ctx.tree(), id, atime, mtime)?),
        }
    }

    pub(crate) fn fs_create_directory_at(
        &mut self,
        fd: &Resource<Descriptor>,
        path: &str,
    ) -> Result<(), Error> {
        self.at_parent(fd, path, |tree, parent, last| match last {
            Last::Name(name, _) => tree.mkdir_unopened(parent, name, 0o777),
            Last::Dots => Err(Code::AlreadyExists),
        })
    }

    pub(crate) fn fs_stat(&mut self, fd: &Resource<Descriptor>) -> Result<Stat, Error> {
        Ok(match self.parts(fd)? {
            (_, Some(handle)) => self.ctx.stat_fd(handle.fd())?,
            (dir, None) => self.ctx.stat(dir)?,
        })
    }

    pub(crate) fn fs_stat_at(
        &mut self,
        fd: &Resource<Descriptor>,
        follow: bool,
        path: &str,
    ) -> Result<Stat, Error> {
        let dir = self.dir(fd)?;
        let call = self.ctx.call_number();
        // wasi-libc's `stat` is a `metadata-hash-at` and then a `stat-at` of
        // the same path: the second half is answered as of the first's
        // moment (the notifications it read), as one libc call; with the
        // stat the first found, if it walked and no file changed since.
        let mut second_half = None;
        if let Some(last) = &self.ctx.last_hash_at
            && last.answers(dir, path, follow, call).is_some()
            && self.ctx.last_call_read_notifications()
        {
            second_half = Some(last.answers_stat(dir, path, follow, call));
            self.ctx.answer_as_of_last_call();
        }
        let stat = match second_half {
            Some(Some(stat)) => stat,
            _ => self.stat_path(dir, path, follow)?,
        };
        LastIdentity::set(&mut self.ctx.last_identity, dir, path, follow, &stat, call);
        Ok(stat)
    }

    pub(crate) fn fs_set_times_at(
        &mut self,
        fd: &Resource<Descriptor>,
        follow: bool,
        path: &str,
        atime: SetTime,
        mtime: SetTime,
    ) -> Result<(), Error> {
        let dir = self.mutable_dir(fd)?;
        let nothing = matches!((atime, mtime), (SetTime::Omit, SetTime::Omit));
        Ok(self.ctx.deferring(|tree| {
            // Nothing to set on a name not followed: Linux's `utimensat`
            // does not look the name up (and wasmtime-wasi succeeds the
            // same, whatever the name, one too long included); its
            // directory is walked, confined.
            if nothing && !follow && parent_of_name(tree, dir, path)? {
                return Ok(());
            }
            with_walked(tree, dir, path, follow, |tree, id| {
                set_times(tree, id, atime, mtime)
            })
        })?)
    }

    pub(crate) fn fs_link_at(
        &mut self,
        fd: &Resource<Descriptor>,
        follow: bool,
        old_path: &str,
        new_fd: &Resource<Descriptor>,
        new_path: &str,
    ) -> Result<(), Error> {
        let (old_dir, new_dir) = self.mutable_dirs(fd, new_fd)?;
        if follow {
            return Err(Code::Invalid.into());
        }
        Ok(self.ctx.deferring(|tree| {
            let linked = if ends_in_name(old_path) && ends_in_name(new_path) {
                // Name to name: the kernel resolves the old name (no
                // symlink followed) as it links it, as wasmtime-wasi's
                // `linkat`; no dentry of either is looked up or made.
                with_parent(tree, old_dir, old_path, |tree, old_parent, old| {
                    with_parent(tree, new_dir, new_path, |tree, parent, last| {
                        match (old, last) {
                            (Last::Name(old, _), Last::Name(name, _)) => {
                                tree.link_unopened(old_parent, old, parent, name)
                            }
                            // Not reached: both paths end in a name.
                            _ => Err(Code::Invalid),
                        }
                    })
                })
            } else {
                with_walked(tree, old_dir, old_path, false, |tree, target| {
                    with_parent(tree, new_dir, new_path, |tree, parent, last| match last {
                        Last::Name(_, true) => Err(slashed_made(tree, new_dir, new_path)),
                        Last::Name(name, false) => {
                            let linked = tree.link(parent, target, name)?;
                            tree.release(linked);
                            Ok(())
                        }
                        Last::Dots => Err(Code::AlreadyExists),
                    })
                })
            };
            second_walk_first(
                tree,
                linked,
                (old_dir, old_path),
                (new_dir, new_path),
                TwoPaths::Link,
            )
        })?)
    }

    pub(crate) fn fs_open_at(
        &mut self,
        fd: &Resource<Descriptor>,
        follow: bool,
        path: &str,
        intent: OpenIntent,
    ) -> Result<Resource<Descriptor>, Error> {
        let dir = self.dir(fd)?;
        // Only an open that writes needs to know (no lock otherwise).
        let writable = intent.writes()
            && self
                .ctx
                .check_writable_locked(&self.ctx.tree_read(), dir)
                .is_ok();
        let request = OpenRequest::new(follow, intent, writable)?;
        self.room_for(1)?;
        let descriptor = self
            .ctx
            .deferring(|tree| open_at(tree, dir, path, request))?;
        self.push_holding(descriptor.dentry, descriptor)
    }

    pub(crate) fn fs_readlink_at(
        &mut self,
        fd: &Resource<Descriptor>,
        path: &str,
    ) -> Result<String, Error> {
        let dir = self.dir(fd)?;
        let target = self.ctx.deferring(|tree| {
            // A name in a directory: read by name, as wasmtime-wasi does
            // (no dentry of the symlink opened).
            if ends_in_name(path) {
                return with_parent(tree, dir, path, |tree, parent, last| match last {
                    Last::Name(name, false) => tree.readlink_name(parent, name),
                    // Not reached: `ends_in_name`.
                    _ => Err(Code::Invalid),
                });
            }
            let target = with_walked(tree, dir, path, false, |tree, id| tree.readlink(id));
            // A NUL in the last name is `invalid` after the walk to it, as
            // wasmtime-wasi answers (`readlink("missing/a\0")`: `no-entry`).
            if target == Err(Code::Invalid) {
                walk_to_last(tree, dir, path)?;
            }
            target
        })?;
        // The WIT: an absolute target is `not-permitted` (it names a path
        // outside any descriptor; cap-std refuses it the same way).
        match target.starts_with('/') {
            true => Err(Code::NotPermitted.into()),
            false => Ok(target),
        }
    }

    pub(crate) fn fs_remove_directory_at(
        &mut self,
        fd: &Resource<Descriptor>,
        path: &str,
    ) -> Result<(), Error> {
        let dir = self.mutable_dir(fd)?;
        Ok(self.ctx.deferring(|tree| {
            with_parent(tree, dir, path, |tree, parent, last| match last {
                Last::Name(name, slash) => {
                    if slash {
                        // `rmdir("name/")`: the name must resolve to a directory
                        // and be one itself (a symlink to one is `not-directory`,
                        // as in Linux; wasmtime-wasi answers `invalid` for every
                        // `dir/`, which the WASI test suite leaves open).
                        resolve_slashed(tree, dir, path)?;
                        require_dir(tree, parent, name)?;
                    }
                    tree.unlink(parent, name, UnlinkatFlags::RemoveDir)
                }
                // Linux: rmdir(".") is EINVAL, rmdir("..") ENOTEMPTY.
                Last::Dots => Err(Code::Invalid),
            })
        })?)
    }

    pub(crate) fn fs_rename_at(
        &mut self,
        fd: &Resource<Descriptor>,
        old_path: &str,
        new_fd: &Resource<Descriptor>,
        new_path: &str,
    ) -> Result<(), Error> {
        let (old_dir, new_dir) = self.mutable_dirs(fd, new_fd)?;
        Ok(self.ctx.deferring(|tree| {
            let renamed = with_parent(tree, old_dir, old_path, |tree, old_parent, old| {
                with_parent(tree, new_dir, new_path, |tree, new_parent, new| {
                    match (old, new) {
                        (Last::Name(old, old_slash), Last::Name(new, new_slash)) => {
                            if old_slash || new_slash {
                                match require_dir(tree, old_parent, old) {
                                    // Linux looks the new name up before it
                                    // asks for a directory: no name in a
                                    // removed directory.
                                    Err(Code::NotDirectory) if tree.removed_dir(new_parent) => {
                                        return Err(Code::NoEntry);
                                    }
                                    other => other?,
                                }
                            }
                            tree.rename(old_parent, old, new_parent, new, RenameFlags::empty())
                        }
                        // Linux: renaming `.` or `..`, or onto them, is EBUSY.
                        _ => Err(Code::Busy),
                    }
                })
            });
            second_walk_first(
                tree,
                renamed,
                (old_dir, old_path),
                (new_dir, new_path),
                TwoPaths::Rename,
            )
        })?)
    }

    pub(crate) fn fs_symlink_at(
        &mut self,
        fd: &Resource<Descriptor>,
        old_path: &str,
        new_path: &str,
    ) -> Result<(), Error> {
        // The WIT: an absolute target is `not-permitted` (wasmtime-wasi, by
        // cap-std, checks it first). `directfs:fs` `symlink` allows one: its
        // walks resolve it inside the preopen.
        if old_path.starts_with('/') {
            self.mutable_dir(fd)?;
            return Err(Code::NotPermitted.into());
        }
        let dir = self.mutable_dir(fd)?;
        // As Linux's `symlinkat`, the target is checked before the link's
        // last name is looked at: an empty one is `no-entry` whatever that
        // name (`.`, `d/..`, `d/`, one that exists, one too long). The walk
        // to it comes first, as in wasmtime-wasi: a path out of the preopen
        // is `not-permitted`, one through a file `not-directory`.
        let target = check_path(old_path);
        let made = self.ctx.deferring(|tree| {
            with_parent(tree, dir, new_path, |tree, parent, last| match last {
                Last::Name(_, true) => {
                    resolve_slashed(tree, dir, new_path)?;
                    target?;
                    Err(Code::AlreadyExists)
                }
                Last::Name(name, false) => tree.symlink_unopened(parent, name, old_path),
                Last::Dots => target.and(Err(Code::AlreadyExists)),
            })
        });
        Ok(match made {
            Err(Code::NameTooLong) => target.and(made),
            made => made,
        }?)
    }

    pub(crate) fn fs_unlink_file_at(
        &mut self,
        fd: &Resource<Descriptor>,
        path: &str,
    ) -> Result<(), Error> {
        let dir = self.mutable_dir(fd)?;
        Ok(self.ctx.deferring(|tree| {
            with_parent(tree, dir, path, |tree, parent, last| match last {
                Last::Name(name, slash) => {
                    if slash {
                        // `unlink("name/")`: whatever the name resolves to as a
                        // directory, it is not a file to unlink.
                        resolve_slashed(tree, dir, path)?;
                        return Err(Code::IsDirectory);
                    }
                    tree.unlink(parent, name, UnlinkatFlags::NoRemoveDir)
                }
                Last::Dots => Err(Code::IsDirectory),
            })
        })?)
    }

    pub(crate) fn fs_is_same_object(
        &mut self,
        fd: &Resource<Descriptor>,
        other: &Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        let a = self.descriptor(fd).map_err(trap)?.dentry;
        let b = self.descriptor(other).map_err(trap)?.dentry;
        let tree = &mut self.ctx.tree();
        match (tree.identity(a), tree.identity(b)) {
            (Ok(a), Ok(b)) => Ok(a == b),
            _ => Ok(false),
        }
    }

    /// `metadata-hash`: the file's stable guest identity. wasi-libc shows
    /// `lower` as `st_ino`, so it must not change while the file lives (not
    /// even when it is written): it is the inode number itself.
    pub(crate) fn fs_metadata_hash(
        &mut self,
        fd: &Resource<Descriptor>,
    ) -> Result<Identity, Error> {
        let id = self.descriptor(fd)?.dentry;
        Ok(self.ctx.identity(id)?)
    }

    pub(crate) fn fs_metadata_hash_at(
        &mut self,
        fd: &Resource<Descriptor>,
        follow: bool,
        path: &str,
    ) -> Result<Identity, Error> {
        let dir = self.dir(fd)?;
        let (identity, stat) = self.identity_at(dir, path, follow)?;
        let call = self.ctx.call_number();
        LastIdentity::set_with_stat(
            &mut self.ctx.last_hash_at,
            (dir, path, follow),
            identity,
            stat,
            call,
        );
        Ok(identity)
    }

    /// `metadata-hash-at`'s identity of `path` from `dir`; with the whole
    /// stat, and [`sys::changes`] before it, where it walked.
    fn identity_at(
        &mut self,
        dir: DentryId,
        path: &str,
        follow: bool,
    ) -> Result<(Identity, Option<(Stat, u64)>), Error> {
        if let Some(identity) = self.listed_identity(dir, path, follow) {
            return Ok((identity, None));
        }
        if let Some(identity) = self.remembered_identity(dir, path, follow) {
            return Ok((identity, None));
        }
        // The second half of a libc `stat` whose walk was not remembered
        // (a shared mount's, one that revalidated): as of the first's
        // moment, if that was just now.
        let call = self.ctx.call_number();
        if let Some(last) = &self.ctx.last_identity
            && let Some(identity) = last.answers(dir, path, follow, call)
            && self.ctx.last_call_read_notifications()
        {
            return Ok((identity, None));
        }
        let changes = sys::changes();
        let stat = self.stat_path(dir, path, follow)?;
        Ok(((stat.dev, stat.ino), Some((stat, changes))))
    }

    /// `read-directory` (WASI 0.2): a stream of directory `fd`'s entries.
    /// Its first page is listed now, as wasmtime-wasi lists the directory
    /// when the stream is made: wasi-libc makes it at `opendir`, so a
    /// listing shows the directory as it was then.
    pub(crate) fn fs_read_directory(
        &mut self,
        fd: &Resource<Descriptor>,
    ) -> Result<Resource<DirectoryEntryStream>, Error> {
        let dir = self.dir(fd)?;
        self.room_for(1)?;
        let mut stream = DirectoryEntryStream {
            dir,
            cursor: Some(0),
            pending: Default::default(),
            mark: None,
        };
        let mut tree = self.ctx.tree();
        next_page(&mut tree, &mut stream, super::stream_page(&self.ctx.limits))?;
        tree.acquire(dir)?;
        drop(tree);
        self.push_holding(dir, stream)
    }

    /// `read-directory-entry`: the stream's next entry (its next page
    /// listed where it has handed out the last), remembered for the
    /// `metadata-hash-at` of its name that wasi-libc makes next
    /// ([`LastListed`]); `None` at the end.
    pub(crate) fn fs_read_directory_entry(
        &mut self,
        stream: &Resource<DirectoryEntryStream>,
    ) -> Result<Option<DirEntry>, Error> {
        let page = super::stream_page(&self.ctx.limits);
        let Self { ctx, table } = self;
        let stream = table.get_mut(stream)?;
        loop {
            if let Some(entry) = stream.pending.pop_front() {
                LastListed::set(&mut ctx.last_listed, stream.dir, &entry, stream.mark);
                return Ok(Some(entry));
            }
            if stream.cursor.is_none() {
                return Ok(None);
            }
            next_page(&mut ctx.tree(), stream, page)?;
        }
    }

    /// The guest dropped descriptor `fd`: its dentry reference goes.
    pub(crate) fn fs_drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        self.drop_holding(fd, |d| d.dentry)
    }

    /// The preopens as new descriptors, with their guest names.
    pub(crate) fn fs_get_directories(
        &mut self,
    ) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        self.preopen_resources(|dentry, mutate| Descriptor {
            dentry,
            kind: DescriptorKind::Directory { mutate },
        })
    }
}

/// Lists `stream`'s next page, `page` entries at most, with the mark of
/// its directory's names as it is read ([`Tree::listing_mark`]).
fn next_page(tree: &mut Tree, stream: &mut DirectoryEntryStream, page: u32) -> Result<(), Code> {
    let Some(cursor) = stream.cursor else {
        return Ok(());
    };
    stream.mark = tree.listing_mark(stream.dir);
    match tree.read_dir(stream.dir, cursor, page) {
        Ok(listed) => {
            stream.cursor = listed.next;
            stream.pending.extend(listed.entries);
            Ok(())
        }
        // A removed directory lists as empty, as in wasmtime-wasi (and
        // WASI 0.3's stream): Linux's `getdents64` fails with `ENOENT` on it.
        Err(Code::NoEntry) => {
            stream.cursor = None;
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// `stat-at`: in a mount that revalidates, a path of plain names in one
/// walk by the kernel ([`Tree::stat_beneath`]); else the parent walked,
/// then the last name stat-ed in place ([`Tree::stat_name`], no dentry
/// made for it); a symlink to follow, a trailing `/` or a `.`/`..` take the
/// whole walk instead.
fn stat_at(tree: &mut Tree, dir: DentryId, path: &str, follow: bool) -> Result<Stat, Code> {
    // A NUL anywhere is `invalid` before any walk, as wasmtime-wasi answers
    // a call that resolves the whole path (`with_parent` answers one in the
    // last name after the walk to it).
    check_path(path)?;
    if let Some(stat) = tree.stat_beneath(dir, path, follow)? {
        return Ok(stat);
    }
    let fast = with_parent(tree, dir, path, |tree, parent, last| match last {
        Last::Name(name, false) => tree.stat_name(parent, name).map(Some),
        Last::Name(_, true) | Last::Dots => Ok(None),
    })?;
    match fast {
        Some(stat) if !(follow && stat.file_type == FileType::SymbolicLink) => Ok(stat),
        _ => with_walked(tree, dir, path, follow, Tree::stat),
    }
}

/// Whether a file of `file_type` is a FIFO, socket or character device: a
/// file whose streams wait for readiness.
pub(crate) fn is_pipe(file_type: FileType) -> bool {
    matches!(
        file_type,
        FileType::Fifo | FileType::Socket | FileType::CharacterDevice
    )
}

/// `utimens` of a dentry, through `set-stat`'s rules (symlinks through their
/// parent).
fn set_times(tree: &mut Tree, id: DentryId, atime: SetTime, mtime: SetTime) -> Result<(), Code> {
    let changes = SetStat {
        mode: None,
        uid: None,
        gid: None,
        size: None,
        atime,
        mtime,
    };
    tree.set_stat(id, &changes).map_err(|failed| failed.error)
}

/// Fails unless `name` in `parent` is a directory (not following a symlink):
/// what a trailing `/` asks of a name being removed or renamed.
fn require_dir(tree: &mut Tree, parent: DentryId, name: crate::name::Name<'_>) -> Result<(), Code> {
    let child = tree.walk(parent, name)?;
    let file_type = tree.file_type(child);
    tree.release(child);
    match file_type? {
        FileType::Directory => Ok(()),
        _ => Err(Code::NotDirectory),
    }
}

#[cfg(test)]
mod tests;
