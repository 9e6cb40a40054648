//! The dentry tree: one [`Dentry`] per host file a guest has reached, each
//! holding a host FD, linked to its parent by name.
//!
//! Every operation is an fd-relative syscall on a dentry's own FD or on its
//! parent's (see [`crate::sys`]). A dentry's FD is opened as gVisor's
//! directfs `tryOpen` does: `O_RDONLY | O_NONBLOCK` first (files, directories,
//! FIFOs without blocking), then `O_PATH` (symlinks, sockets, files the host
//! may not read), always with `O_NOFOLLOW | O_CLOEXEC`.
//!
//! # Lifetime
//! A dentry lives while a guest holds a reference to it (a `dentry` resource)
//! or while it has a live child (whose walks and re-opens go through its FD).
//! When both end it is freed and its FD closed, and so, in turn, are
//! ancestors that nothing else keeps. Preopen roots are never freed. So the
//! number of host FDs is bounded by what guests hold.
//!
//! # Identity
//! Two walks of the same name under the same parent give the same dentry while
//! it lives (the parent's `children` map), so a rename or unlink through
//! directfs updates every reference at once. Guest-visible inode and device
//! numbers come from [`Inodes`], keyed by the host `(st_dev, st_ino)`.
//!
//! # Locking
//! None: the tree belongs to one [`crate::DirectfsCtx`], and wasmtime gives
//! each host call `&mut` access to it.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{FileStat, Mode, SFlag};
use nix::unistd::UnlinkatFlags;

use crate::bindings::directfs::fs::types::{
    DirEntry, DirPage, FileType, OpenFlags, Stat, Timestamp,
};
use crate::ctx::DirPerms;
use crate::error::ErrorCode;
use crate::name::Name;
use crate::sys;

/// A guest's reference to a dentry: the Rust type of the WIT `dentry`
/// resource. Creating one takes a reference on the dentry; the host releases
/// it when the guest drops the resource.
#[derive(Debug)]
pub struct DentryRef {
    pub(crate) id: DentryId,
}

/// The index of a dentry in its [`Tree`], with a generation that tells a
/// freed and reused slot from the dentry that was there before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DentryId {
    index: u32,
    generation: u32,
}

/// Where a dentry hangs in the tree.
#[derive(Debug)]
enum Link {
    /// A preopen root: no parent, never freed.
    Root,
    /// The dentry named `name` in directory `parent`.
    Child { parent: DentryId, name: Box<str> },
    /// Its host file was unlinked through directfs: it has no name any more.
    Unlinked,
}

/// How a dentry's FD was opened by [`try_open`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FdMode {
    /// `O_RDONLY | O_NONBLOCK`: usable for `fstat`, `*at` and reading.
    Read,
    /// `O_PATH`: usable for `fstat` and `*at` only.
    Path,
}

/// The host identity of a file: `(st_dev, st_ino)`.
type InoKey = (u64, u64);

#[derive(Debug)]
struct Dentry {
    /// The host FD of this file, opened by [`try_open`]. Immutable.
    fd: OwnedFd,
    /// How `fd` was opened. Immutable.
    fd_mode: FdMode,
    /// Changes when the file is unlinked through directfs.
    link: Link,
    /// The live dentries under this directory, by name.
    children: HashMap<Box<str>, DentryId>,
    /// The host identity of `fd`'s file. Immutable.
    key: InoKey,
    /// The file type of `fd`'s file. Immutable.
    file_type: FileType,
    /// The permissions of the preopen this dentry is under. Immutable.
    perms: DirPerms,
    /// How many guest references (`dentry` resources) point here.
    refs: u32,
}

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    dentry: Option<Dentry>,
}

/// Guest-visible device and inode numbers, assigned in order of first sight
/// and stable for the life of the tree.
#[derive(Debug, Default)]
struct Inodes {
    ino_by_key: HashMap<InoKey, u64>,
    dev_by_host: HashMap<u64, u64>,
}

impl Inodes {
    fn ino(&mut self, key: InoKey) -> u64 {
        let next = self.ino_by_key.len() as u64 + 1;
        *self.ino_by_key.entry(key).or_insert(next)
    }

    fn dev(&mut self, host_dev: u64) -> u64 {
        let next = self.dev_by_host.len() as u64 + 1;
        *self.dev_by_host.entry(host_dev).or_insert(next)
    }

    /// Converts a host `stat` into the guest's view of it.
    fn stat(&mut self, st: &FileStat) -> Stat {
        let time = |sec: i64, nsec: i64| Timestamp {
            seconds: sec,
            nanoseconds: u32::try_from(nsec).unwrap_or(0),
        };
        Stat {
            dev: self.dev(st.st_dev),
            ino: self.ino((st.st_dev, st.st_ino)),
            file_type: file_type_of_mode(st.st_mode),
            mode: st.st_mode & 0o7777,
            nlink: st.st_nlink,
            uid: st.st_uid,
            gid: st.st_gid,
            size: u64::try_from(st.st_size).unwrap_or(0),
            blksize: u64::try_from(st.st_blksize).unwrap_or(0),
            blocks: u64::try_from(st.st_blocks).unwrap_or(0),
            atime: time(st.st_atime, st.st_atime_nsec),
            mtime: time(st.st_mtime, st.st_mtime_nsec),
            ctime: time(st.st_ctime, st.st_ctime_nsec),
        }
    }
}

/// The dentries of one context, all preopens together.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    slots: Vec<Slot>,
    /// Indexes of empty slots.
    free: Vec<u32>,
    inodes: Inodes,
}

impl Tree {
    /// Adds a preopened host directory as a root dentry. Takes ownership of
    /// `dir` (and closes it).
    ///
    /// # Preconditions
    /// `dir` is a directory the embedder (trusted) opened.
    ///
    /// The root gets its own FD, opened from `dir` as [`try_open`] does for
    /// every dentry (cap-std, for one, hands out `O_PATH` directories).
    pub(crate) fn add_root(&mut self, dir: OwnedFd, perms: DirPerms) -> Result<DentryId, Errno> {
        let (fd, fd_mode) = try_open(dir.as_fd(), ".", OFlag::O_DIRECTORY)?;
        let st = sys::fstat(fd.as_fd())?;
        Ok(self.insert(Dentry {
            fd,
            fd_mode,
            link: Link::Root,
            children: HashMap::new(),
            key: (st.st_dev, st.st_ino),
            file_type: FileType::Directory,
            perms,
            refs: 0,
        }))
    }

    /// Takes one more guest reference on `id`.
    pub(crate) fn acquire(&mut self, id: DentryId) -> Result<(), ErrorCode> {
        let d = self.get_mut(id)?;
        d.refs = d.refs.checked_add(1).ok_or(ErrorCode::TooManyOpen)?;
        Ok(())
    }

    /// Drops one guest reference on `id`, freeing what nothing keeps any more.
    pub(crate) fn release(&mut self, id: DentryId) {
        if let Ok(d) = self.get_mut(id) {
            d.refs = d.refs.saturating_sub(1);
            self.free_unused(id);
        }
    }

    /// Fails with `read-only` unless `id` is under a read-write preopen.
    pub(crate) fn check_writable(&self, id: DentryId) -> Result<(), ErrorCode> {
        match self.get(id)?.perms {
            DirPerms::ReadWrite => Ok(()),
            DirPerms::ReadOnly => Err(ErrorCode::ReadOnly),
        }
    }

    /// Looks up `name` in directory `parent`: the live child if there is one,
    /// else `openat(parent_fd, name, …)` as [`try_open`]. Returns the child
    /// with one new guest reference.
    pub(crate) fn walk(&mut self, parent: DentryId, name: Name<'_>) -> Result<DentryId, ErrorCode> {
        let dir = self.get(parent)?;
        if let Some(&child) = dir.children.get(name.as_str()) {
            self.acquire(child)?;
            return Ok(child);
        }
        let opened = try_open(dir.fd.as_fd(), name.as_str(), OFlag::empty())?;
        let st = sys::fstat(opened.0.as_fd())?;
        Ok(self.insert_child(parent, name, opened, &st))
    }

    /// `fstat` on the dentry's FD.
    pub(crate) fn stat(&mut self, id: DentryId) -> Result<Stat, ErrorCode> {
        let st = sys::fstat(self.get(id)?.fd.as_fd())?;
        Ok(self.inodes.stat(&st))
    }

    /// `fstat` on any FD of this tree (a handle's), in the guest's numbering.
    pub(crate) fn stat_fd(&mut self, fd: BorrowedFd<'_>) -> Result<Stat, ErrorCode> {
        let st = sys::fstat(fd)?;
        Ok(self.inodes.stat(&st))
    }

    /// `mkdirat(parent_fd, name, mode)`, then opens the new directory. Returns
    /// it with one new guest reference.
    pub(crate) fn mkdir(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        mode: u32,
    ) -> Result<DentryId, ErrorCode> {
        let mode = permission_bits(mode)?;
        sys::mkdirat(self.get(parent)?.fd.as_fd(), name.as_str(), mode)?;
        self.created_child(parent, name, true)
    }

    /// `openat(parent_fd, name, O_CREAT | O_EXCL | flags, mode)`, then opens
    /// the new file's dentry. Returns the dentry with one new guest reference
    /// and the open FD.
    pub(crate) fn create(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        flags: OpenFlags,
        mode: u32,
    ) -> Result<(DentryId, OwnedFd), ErrorCode> {
        let mode = permission_bits(mode)?;
        let oflags = open_flags(flags)? | OFlag::O_CREAT | OFlag::O_EXCL;
        let fd = sys::openat(self.get(parent)?.fd.as_fd(), name.as_str(), oflags, mode)?;
        let child = self.created_child(parent, name, false)?;
        Ok((child, fd))
    }

    /// Opens the dentry's file again with `flags`, as gVisor's `openHandle`:
    /// through the parent's FD by name (the only way to re-open without
    /// procfs), checking that the same file was opened. A directory (and a
    /// root, which has no parent) is opened as `openat(fd, ".")`, which
    /// cannot miss.
    pub(crate) fn open(&self, id: DentryId, flags: OpenFlags) -> Result<OwnedFd, ErrorCode> {
        // Opening never blocks the host thread, not even on a FIFO.
        let oflags = open_flags(flags)? | OFlag::O_NONBLOCK;
        let d = self.get(id)?;
        match (&d.link, d.file_type) {
            (Link::Root, _) | (_, FileType::Directory) => Ok(sys::openat(
                d.fd.as_fd(),
                ".",
                oflags | OFlag::O_DIRECTORY,
                Mode::empty(),
            )?),
            (Link::Child { parent, name }, _) => {
                let fd = sys::openat(self.get(*parent)?.fd.as_fd(), name, oflags, Mode::empty())?;
                let st = sys::fstat(fd.as_fd())?;
                if (st.st_dev, st.st_ino) != d.key {
                    return Err(ErrorCode::Stale);
                }
                Ok(fd)
            }
            (Link::Unlinked, _) => Err(ErrorCode::NoEntry),
        }
    }

    /// Lists directory `id` from `cursor`, at most `max` entries.
    ///
    /// Names that are not UTF-8 are left out and counted in `skipped` (they
    /// count towards `max`, so a page's work stays bounded).
    pub(crate) fn read_dir(
        &mut self,
        id: DentryId,
        cursor: u64,
        max: u32,
    ) -> Result<DirPage, ErrorCode> {
        if max == 0 {
            return Err(ErrorCode::Invalid);
        }
        let Self { slots, inodes, .. } = self;
        let dir = slot_dentry(slots, id)?;
        let dev = dir.key.0;
        let mut entries = Vec::new();
        let mut skipped = 0;
        // A dentry FD opened `O_PATH` cannot be read: open the directory
        // itself for reading (a symlink's FD fails here with ENOTDIR).
        let reopened;
        let fd = match dir.fd_mode {
            FdMode::Read => dir.fd.as_fd(),
            FdMode::Path => {
                reopened = sys::openat(
                    dir.fd.as_fd(),
                    ".",
                    OFlag::O_RDONLY | OFlag::O_DIRECTORY,
                    Mode::empty(),
                )?;
                reopened.as_fd()
            }
        };
        let next = sys::getdents64(fd, cursor, |dirent| {
            if entries.len() + skipped as usize >= max as usize {
                return ControlFlow::Break(());
            }
            match std::str::from_utf8(dirent.name) {
                Ok(name) => entries.push(DirEntry {
                    name: name.to_owned(),
                    ino: inodes.ino((dev, dirent.ino)),
                    file_type: file_type_of_dirent(dirent.kind),
                }),
                Err(_) => skipped += 1,
            }
            ControlFlow::Continue(())
        })?;
        Ok(DirPage {
            entries,
            next,
            skipped,
        })
    }

    /// `unlinkat(parent_fd, name, 0 or AT_REMOVEDIR)`; a live dentry of that
    /// name stays valid for its holders but loses its name.
    pub(crate) fn unlink(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        flags: UnlinkatFlags,
    ) -> Result<(), ErrorCode> {
        sys::unlinkat(self.get(parent)?.fd.as_fd(), name.as_str(), flags)?;
        self.detach(parent, name.as_str());
        Ok(())
    }

    /// Makes the dentry of a child just created under `name` (as gVisor's
    /// `getCreatedChild`): opens it as [`try_open`]; if that fails, removes
    /// the child again so no half-made file stays behind.
    fn created_child(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        is_dir: bool,
    ) -> Result<DentryId, ErrorCode> {
        let (extra, unlink_flags) = if is_dir {
            (OFlag::O_DIRECTORY, UnlinkatFlags::RemoveDir)
        } else {
            (OFlag::empty(), UnlinkatFlags::NoRemoveDir)
        };
        let dir_fd = self.get(parent)?.fd.as_fd();
        let opened = try_open(dir_fd, name.as_str(), extra)
            .and_then(|opened| Ok((sys::fstat(opened.0.as_fd())?, opened)));
        let (st, opened) = match opened {
            Ok(opened) => opened,
            Err(errno) => {
                // Best effort: the error that matters is the one returned.
                let _ = sys::unlinkat(dir_fd, name.as_str(), unlink_flags);
                return Err(errno.into());
            }
        };
        // A stale dentry of the old file of that name (removed outside
        // directfs) must not shadow the new one.
        self.detach(parent, name.as_str());
        Ok(self.insert_child(parent, name, opened, &st))
    }

    /// Adds the dentry of `fd` as `name` under `parent`, with one guest
    /// reference.
    ///
    /// # Preconditions
    /// `parent` is live and has no live child `name`; `st` is `fstat(fd)`.
    fn insert_child(
        &mut self,
        parent: DentryId,
        name: Name<'_>,
        (fd, fd_mode): (OwnedFd, FdMode),
        st: &FileStat,
    ) -> DentryId {
        let perms = self.get(parent).map_or(DirPerms::ReadOnly, |p| p.perms);
        let name: Box<str> = name.as_str().into();
        let id = self.insert(Dentry {
            fd,
            fd_mode,
            link: Link::Child {
                parent,
                name: name.clone(),
            },
            children: HashMap::new(),
            key: (st.st_dev, st.st_ino),
            file_type: file_type_of_mode(st.st_mode),
            perms,
            refs: 1,
        });
        if let Ok(p) = self.get_mut(parent) {
            p.children.insert(name, id);
        }
        id
    }

    /// Unhooks the live child `name` of `parent`, if any: it becomes
    /// [`Link::Unlinked`] and is freed if nothing keeps it.
    fn detach(&mut self, parent: DentryId, name: &str) {
        let Ok(p) = self.get_mut(parent) else { return };
        let Some(child) = p.children.remove(name) else {
            return;
        };
        if let Ok(c) = self.get_mut(child) {
            c.link = Link::Unlinked;
        }
        self.free_unused(child);
        self.free_unused(parent);
    }

    /// Frees `id` if no guest holds it and it has no children, then its
    /// parent on the same terms, and so on up.
    fn free_unused(&mut self, id: DentryId) {
        let mut next = Some(id);
        while let Some(id) = next.take() {
            let Ok(d) = self.get(id) else { return };
            if d.refs > 0 || !d.children.is_empty() || matches!(d.link, Link::Root) {
                return;
            }
            let Some(d) = self.remove(id) else { return };
            if let Link::Child { parent, name } = d.link {
                if let Ok(p) = self.get_mut(parent) {
                    p.children.remove(&name);
                }
                next = Some(parent);
            }
            // `d.fd` closes here.
        }
    }

    fn insert(&mut self, dentry: Dentry) -> DentryId {
        match self.free.pop() {
            Some(index) => {
                let slot = &mut self.slots[index as usize];
                slot.dentry = Some(dentry);
                DentryId {
                    index,
                    generation: slot.generation,
                }
            }
            None => {
                let index = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                self.slots.push(Slot {
                    generation: 0,
                    dentry: Some(dentry),
                });
                DentryId {
                    index,
                    generation: 0,
                }
            }
        }
    }

    fn remove(&mut self, id: DentryId) -> Option<Dentry> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        let dentry = slot.dentry.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(id.index);
        Some(dentry)
    }

    fn get(&self, id: DentryId) -> Result<&Dentry, ErrorCode> {
        slot_dentry(&self.slots, id)
    }

    fn get_mut(&mut self, id: DentryId) -> Result<&mut Dentry, ErrorCode> {
        match self.slots.get_mut(id.index as usize) {
            Some(Slot {
                generation,
                dentry: Some(d),
            }) if *generation == id.generation => Ok(d),
            // Unreachable while guest references keep dentries alive.
            _ => Err(ErrorCode::BadDescriptor),
        }
    }
}

fn slot_dentry(slots: &[Slot], id: DentryId) -> Result<&Dentry, ErrorCode> {
    match slots.get(id.index as usize) {
        Some(Slot {
            generation,
            dentry: Some(d),
        }) if *generation == id.generation => Ok(d),
        // Unreachable while guest references keep dentries alive.
        _ => Err(ErrorCode::BadDescriptor),
    }
}

/// gVisor's `tryOpen`: `openat(dirfd, name, O_RDONLY | O_NONBLOCK | extra)`,
/// then, unless the file does not exist, `openat(dirfd, name, O_PATH | extra)`
/// (both with `O_NOFOLLOW | O_CLOEXEC`, see [`sys::openat`]).
///
/// # Preconditions
/// `name` is a [`Name`] or `"."`.
fn try_open(dirfd: BorrowedFd<'_>, name: &str, extra: OFlag) -> Result<(OwnedFd, FdMode), Errno> {
    match sys::openat(
        dirfd,
        name,
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | extra,
        Mode::empty(),
    ) {
        Ok(fd) => Ok((fd, FdMode::Read)),
        Err(Errno::ENOENT) => Err(Errno::ENOENT),
        Err(_) => Ok((
            sys::openat(dirfd, name, OFlag::O_PATH | extra, Mode::empty())?,
            FdMode::Path,
        )),
    }
}

/// The access mode and flags of an open with `flags`.
///
/// Errors: `invalid` without `read` or `write`, or with `append` or
/// `truncate` but not `write`.
fn open_flags(flags: OpenFlags) -> Result<OFlag, ErrorCode> {
    let mut oflags = match (
        flags.contains(OpenFlags::READ),
        flags.contains(OpenFlags::WRITE),
    ) {
        (true, true) => OFlag::O_RDWR,
        (false, true) => OFlag::O_WRONLY,
        (true, false) => OFlag::O_RDONLY,
        (false, false) => return Err(ErrorCode::Invalid),
    };
    let needs_write = flags.intersects(OpenFlags::APPEND | OpenFlags::TRUNCATE);
    if needs_write && !flags.contains(OpenFlags::WRITE) {
        return Err(ErrorCode::Invalid);
    }
    if flags.contains(OpenFlags::APPEND) {
        oflags |= OFlag::O_APPEND;
    }
    if flags.contains(OpenFlags::TRUNCATE) {
        oflags |= OFlag::O_TRUNC;
    }
    Ok(oflags)
}

/// Whether a guest may open for writing with `flags`.
pub(crate) fn writes(flags: OpenFlags) -> bool {
    flags.intersects(OpenFlags::WRITE | OpenFlags::APPEND | OpenFlags::TRUNCATE)
}

/// Permission bits from the guest: at most `0o7777`, else `invalid`.
fn permission_bits(mode: u32) -> Result<Mode, ErrorCode> {
    Mode::from_bits(mode).ok_or(ErrorCode::Invalid)
}

fn file_type_of_mode(mode: u32) -> FileType {
    match SFlag::from_bits_truncate(mode & SFlag::S_IFMT.bits()) {
        SFlag::S_IFDIR => FileType::Directory,
        SFlag::S_IFREG => FileType::RegularFile,
        SFlag::S_IFLNK => FileType::SymbolicLink,
        SFlag::S_IFIFO => FileType::Fifo,
        SFlag::S_IFSOCK => FileType::Socket,
        SFlag::S_IFCHR => FileType::CharacterDevice,
        SFlag::S_IFBLK => FileType::BlockDevice,
        _ => FileType::Unknown,
    }
}

fn file_type_of_dirent(kind: sys::DirentType) -> FileType {
    match kind {
        sys::DirentType::Directory => FileType::Directory,
        sys::DirentType::RegularFile => FileType::RegularFile,
        sys::DirentType::Symlink => FileType::SymbolicLink,
        sys::DirentType::Fifo => FileType::Fifo,
        sys::DirentType::Socket => FileType::Socket,
        sys::DirentType::CharacterDevice => FileType::CharacterDevice,
        sys::DirentType::BlockDevice => FileType::BlockDevice,
        sys::DirentType::Unknown => FileType::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_with_root() -> (tempfile::TempDir, Tree, DentryId) {
        let dir = tempfile::tempdir().unwrap();
        let fd =
            cap_std::fs::Dir::open_ambient_dir(dir.path(), cap_std::ambient_authority()).unwrap();
        let mut tree = Tree::default();
        let root = tree
            .add_root(fd.into_std_file().into(), DirPerms::ReadWrite)
            .unwrap();
        (dir, tree, root)
    }

    fn name(s: &str) -> Name<'_> {
        Name::parse(s).unwrap()
    }

    #[test]
    fn walks_share_one_dentry_and_free_it_with_the_last_reference() {
        let (dir, mut tree, root) = tree_with_root();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        let a1 = tree.walk(root, name("a")).unwrap();
        let a2 = tree.walk(root, name("a")).unwrap();
        assert_eq!(a1, a2);
        assert_eq!(tree.get(a1).unwrap().refs, 2);
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
    fn inode_numbers_are_stable_and_small() {
        let (dir, mut tree, root) = tree_with_root();
        std::fs::write(dir.path().join("f"), b"x").unwrap();
        let root_ino = tree.stat(root).unwrap().ino;
        let f = tree.walk(root, name("f")).unwrap();
        let first = tree.stat(f).unwrap();
        assert_eq!((root_ino, first.ino, first.dev), (1, 2, 1));
        assert_eq!(tree.stat(f).unwrap().ino, first.ino);
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
    }

    #[test]
    fn permission_bits_reject_file_type_bits() {
        assert_eq!(permission_bits(0o755).map(|m| m.bits()), Ok(0o755));
        assert_eq!(permission_bits(0o7777).map(|m| m.bits()), Ok(0o7777));
        assert_eq!(permission_bits(0o100644), Err(ErrorCode::Invalid));
    }
}
