//! The filesystem core's own types: what the dentry tree takes and returns.
//!
//! They know nothing of WIT. Each interface converts at its edge:
//! `directfs:fs` (`src/dfs/convert.rs`, one to one: the WIT was written
//! after these) and `wasi:filesystem` (`src/wasi/p2/convert.rs`, `src/wasi/p3/convert.rs`).

/// What a guest may do under a preopen: the same two choices as
/// wasmtime-wasi's `FsPerms`, under a name of its own so that embedders can
/// import both (`FsPerms` stays as a deprecated alias).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perms {
    /// Walk, stat, list and read; every mutating call fails with `read-only`.
    ReadOnly,
    /// Everything the host process itself may do in the directory.
    ReadWrite,
}

/// How far a preopen's cached dentries are trusted: what a cached answer
/// promises, and what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Revalidation {
    /// Every answer is what a native program would get at that moment,
    /// whoever changed the directory (other processes, the embedder,
    /// wasmtime-wasi's stdio streams, other preopens and filesystems, a
    /// filesystem mounted in it), at nearly [`Revalidation::Exclusive`]'s
    /// speed. On local filesystems the kernel tells of every change
    /// (inotify, one watch per cached directory, and the mount table; see
    /// `src/watch.rs`): each call that would trust the cache first asks
    /// what it said (an `epoll_wait` that never waits, and a `read` of what
    /// is queued), and drops what changed. Directories on filesystems whose changes made
    /// elsewhere the kernel does not hear of (NFS, CIFS, 9p, FUSE —
    /// GlusterFS, CephFS's client, sshfs —, overlayfs, anything unknown;
    /// told by `fstatfs` at the mount and where a walk crosses into
    /// another filesystem), and any inotify refuses, are revalidated as
    /// [`Revalidation::Shared`] does.
    #[default]
    Coherent,
    /// A promise by the embedder that the host directory changes only
    /// through this filesystem's mounts of it: cached dentries and recent
    /// `no-entry` results are used without asking the host, so a repeated
    /// walk costs no syscall; a context's last stat answers again while
    /// nothing changed through directfs (see `crate::ctx::LastStat`). The
    /// fastest; answers are stale where the promise is broken (never
    /// outside the preopen: see SECURITY.md).
    Exclusive,
    /// Other host processes change the directory too: before a cached child
    /// is used, `fstatat(parent_fd, name, AT_SYMLINK_NOFOLLOW)` checks that
    /// the same file (`(st_dev, st_ino)` and type) is still there, as gVisor's
    /// `doRevalidationDirectfs`; a changed or vanished one is dropped and
    /// walked again. No `no-entry` results or stats are remembered. Right
    /// on any filesystem, at a syscall per cached path component.
    Shared,
}

/// Where a mount's `directfs:fs` and `wasi:filesystem` calls make their
/// syscalls when the guest runs on an async host (linked with
/// [`crate::add_to_linker_async`] and [`crate::wasi::add_to_linker_async`]).
/// Hosts that run guests synchronously (`add_to_linker`) always make them
/// inline. On async hosts, I/O that waits for a FIFO or device (opened
/// without `nonblock`) runs on the pool whatever the mount says.
///
/// It also says how long a lookup that misses the cache may take, and so
/// whether it runs with the filesystem's tree lock held: see each variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Blocking {
    /// On the thread running the guest, as a sync host would: the fastest
    /// on local disks, where a syscall takes microseconds. The async
    /// executor waits for each one (wasmtime's epoch yields still bound how
    /// long a guest keeps it between calls).
    ///
    /// A cache miss's lookup (`openat`, `fstat`) runs under the tree's write
    /// lock, as one step with the rest of the call, unless another thread
    /// is waiting for that lock: then it runs with the lock released (as
    /// [`Blocking::Pool`] always does), so threads doing cold walks on one
    /// mount do not queue behind each other's syscalls.
    #[default]
    Inline,
    /// On tokio's blocking thread pool, as wasmtime-wasi does by default:
    /// the executor runs other tasks while a call's syscalls run, so a slow
    /// filesystem (NFS, FUSE) never stalls it, at the cost of a thread
    /// hand-off (some microseconds) per call. File streams read and write on
    /// the pool too, and dropping a descriptor, directory stream, dentry or
    /// handle closes its FDs there (closing a FUSE or NFS file asks the
    /// server). Preview 1 calls with a descriptor run there too on an
    /// async host ([`crate::wasi::p1::add_to_linker_async`]), their bytes
    /// copied through a buffer. Falls back to inline outside a tokio
    /// runtime. Not for WASI 0.3 descriptors' drops.
    ///
    /// Every cache miss's lookup (a walk's `openat` and `fstat`, a
    /// `stat-at`'s `fstatat`, a file's re-open) runs with the tree lock
    /// released, sync hosts included, so a slow one holds up no other
    /// context on the same [`crate::Filesystem`]: at the cost of taking the
    /// lock once more per miss (some hundred nanoseconds).
    Pool,
}

/// How a host directory is mounted ([`crate::Filesystem::mount`]): its
/// revalidation mode and where its syscalls run. A [`Revalidation`] alone
/// converts into one with [`Blocking::Inline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MountOptions {
    /// How far cached dentries are trusted.
    pub revalidation: Revalidation,
    /// Where the syscalls of the mount's calls run on async hosts.
    pub blocking: Blocking,
}

impl From<Revalidation> for MountOptions {
    fn from(revalidation: Revalidation) -> Self {
        Self {
            revalidation,
            blocking: Blocking::default(),
        }
    }
}

/// How a directory is preopened: its permissions, revalidation mode and
/// where its syscalls run. A [`Perms`] alone converts into one with
/// [`Revalidation::Coherent`] and [`Blocking::Inline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreopenOptions {
    /// What the guest may do.
    pub perms: Perms,
    /// How far cached dentries are trusted.
    pub revalidation: Revalidation,
    /// Where the syscalls of the mount's calls run on async hosts.
    pub blocking: Blocking,
}

impl From<Perms> for PreopenOptions {
    fn from(perms: Perms) -> Self {
        Self {
            perms,
            revalidation: Revalidation::default(),
            blocking: Blocking::default(),
        }
    }
}

/// An errno-like error code: the host errno(s) each stands for are named on
/// the variant. `directfs:fs`'s `error-code` has the same cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// EACCES: permission denied by the host.
    Access,
    /// EEXIST: the name already exists.
    AlreadyExists,
    /// EBADF: the handle was not opened for this, or the dentry cannot do
    /// this.
    BadDescriptor,
    /// EBUSY: the file is in use (e.g. a mount point).
    Busy,
    /// EXDEV: the operation would cross a filesystem boundary.
    CrossDevice,
    /// EFBIG: the file would grow past the host's limit.
    FileTooLarge,
    /// EINTR: the host call was interrupted.
    Interrupted,
    /// EINVAL: an argument is invalid (including every malformed name).
    Invalid,
    /// ESPIPE: a seek on a file that cannot seek.
    InvalidSeek,
    /// EILSEQ: host data (a symlink target, an xattr name) is not UTF-8.
    IllegalByteSequence,
    /// EIO: the host reported an I/O error.
    Io,
    /// EISDIR: the operation needs a non-directory.
    IsDirectory,
    /// ELOOP: a symlink was met where none may be followed, or too many.
    Loop,
    /// ENAMETOOLONG: a name, path or symlink target is too long.
    NameTooLong,
    /// ENODATA: no such extended attribute.
    NoData,
    /// ENXIO, ENODEV: no such device (e.g. a FIFO with no reader).
    NoDevice,
    /// ENOENT: no such file, or the dentry was unlinked.
    NoEntry,
    /// ENOMEM: the host is out of memory.
    NoMemory,
    /// ENOSPC: no space left on the host filesystem.
    NoSpace,
    /// ENOTDIR: the operation needs a directory.
    NotDirectory,
    /// ENOTEMPTY: the directory is not empty.
    NotEmpty,
    /// EPERM: the operation is not permitted.
    NotPermitted,
    /// EOPNOTSUPP, ENOTSUP, ENOSYS: the host filesystem does not support
    /// this.
    NotSupported,
    /// EOVERFLOW: a value does not fit.
    Overflow,
    /// E2BIG, ERANGE: a value is larger than the host allows.
    TooBig,
    /// EDQUOT: the host quota is exhausted.
    Quota,
    /// EROFS: the preopen (or the host filesystem) is read-only.
    ReadOnly,
    /// ESTALE: the host file behind the dentry was replaced outside
    /// directfs.
    Stale,
    /// ETXTBSY: the file is being executed on the host.
    TextFileBusy,
    /// EMLINK: too many links.
    TooManyLinks,
    /// The guest's budget of resources or host FDs
    /// ([`crate::Limits::max_open`], the filesystem's FD budget) is spent.
    TooManyOpen,
    /// EMFILE, ENFILE: the host process (or system) is out of file
    /// descriptors, although directfs's budget had room, and freeing the
    /// cached dentries did not help. `directfs:fs` says `too-many-open` for
    /// both; `wasi:filesystem` says `insufficient-memory` for the budget and
    /// `io` for this, as wasmtime-wasi does.
    HostTooManyOpen,
    /// EAGAIN: the operation would block.
    WouldBlock,
    /// EPIPE: the other end of a pipe or socket is closed.
    Pipe,
    /// EDEADLK: waiting for a lock would deadlock.
    Deadlock,
    /// ENOLCK: no more locks: the context's [`crate::Limits::max_locks`]
    /// is spent, or the host has no room for another lock record.
    NoLock,
    /// Any other host errno.
    Other,
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for ErrorCode {}

/// The kind of an advisory record lock (`handle.lock`; see `docs/locks.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockKind {
    /// A read lock (`F_RDLCK`): many owners may hold one on the same bytes.
    Shared,
    /// A write lock (`F_WRLCK`): no other owner holds any lock on its bytes.
    Exclusive,
}

/// The bytes a lock covers: `len` bytes from `start`, or with `len` 0 every
/// byte from `start` on, however far the file grows (`fcntl`'s `l_len` 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LockRange {
    /// The first byte.
    pub start: u64,
    /// How many bytes; 0: to the end of the file, however far it grows.
    pub len: u64,
}

/// A lock that keeps one from being taken (`handle.test-lock`): held
/// by another handle, another store or a host process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LockConflict {
    /// Whether the lock in the way is shared or exclusive.
    pub kind: LockKind,
    /// The bytes it covers.
    pub range: LockRange,
}

/// The type of a file, from `st_mode`'s `S_IFMT` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    /// The type could not be determined.
    Unknown,
    /// S_IFBLK.
    BlockDevice,
    /// S_IFCHR.
    CharacterDevice,
    /// S_IFDIR.
    Directory,
    /// S_IFIFO.
    Fifo,
    /// S_IFLNK.
    SymbolicLink,
    /// S_IFREG.
    RegularFile,
    /// S_IFSOCK.
    Socket,
}

/// A point in time: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timestamp {
    /// Seconds since the epoch (negative before it).
    pub seconds: i64,
    /// Nanoseconds past `seconds`, below 10^9.
    pub nanoseconds: u32,
}

/// A file's attributes, as `fstat` gives them (with directfs's own stable
/// `dev` and `ino` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// A small number per host filesystem (1, 2, …), stable for the life of
    /// the tree.
    pub dev: u64,
    /// A number per host file, stable for the life of the tree and unique
    /// among the files of a device: a permutation of the host's inode
    /// numbers, keyed at random per tree (the host's are not shown).
    pub ino: u64,
    /// The file's type.
    pub file_type: FileType,
    /// Permission bits (and set-id, sticky).
    pub mode: u32,
    /// Hard links.
    pub nlink: u64,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes.
    pub size: u64,
    /// Preferred I/O size.
    pub blksize: u64,
    /// 512-byte blocks allocated.
    pub blocks: u64,
    /// Last access.
    pub atime: Timestamp,
    /// Last modification.
    pub mtime: Timestamp,
    /// Last status change.
    pub ctime: Timestamp,
}

/// A file's owner and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// How to set one timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTime {
    /// Leave it as it is (UTIME_OMIT).
    Omit,
    /// The host's current time (UTIME_NOW).
    Now,
    /// This time.
    At(Timestamp),
}

/// The attributes to change, each left alone where `None`/[`SetTime::Omit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetStat {
    /// Permission bits (at most `0o7777`).
    pub mode: Option<u32>,
    /// Owner.
    pub uid: Option<u32>,
    /// Group.
    pub gid: Option<u32>,
    /// Size (`ftruncate`).
    pub size: Option<u64>,
    /// Last access.
    pub atime: SetTime,
    /// Last modification.
    pub mtime: SetTime,
}

/// Which attributes of a [`SetStat`] failed, and the error of the last one
/// that failed (as gVisor's `setStatLocked`): the others took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetStatError {
    /// The attributes that failed.
    pub failed: StatFields,
    /// The error of the last one that failed.
    pub error: ErrorCode,
}

/// Filesystem statistics (`fstatfs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statfs {
    /// `f_bsize`.
    pub block_size: u64,
    /// `f_frsize`.
    pub fragment_size: u64,
    /// `f_blocks`.
    pub blocks: u64,
    /// `f_bfree`.
    pub blocks_free: u64,
    /// `f_bavail`.
    pub blocks_available: u64,
    /// `f_files`.
    pub files: u64,
    /// `f_ffree`.
    pub files_free: u64,
    /// `f_namelen`.
    pub name_length: u64,
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The name.
    pub name: String,
    /// The same number [`Stat::ino`] gives for this file.
    pub ino: u64,
    /// The type, from `d_type` (or a stat where the host gives none).
    pub file_type: FileType,
}

/// One directory entry with its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntryPlus {
    /// The name.
    pub name: String,
    /// Its attributes.
    pub stat: Stat,
}

/// A page of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirPage {
    /// The entries, without `.` and `..`, in host order.
    pub entries: Vec<DirEntry>,
    /// The cursor of the next page, or `None` when the listing is done.
    pub next: Option<u64>,
    /// Entries left out (names that are not UTF-8).
    pub skipped: u32,
}

/// A page of a directory listing with attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirPlusPage {
    /// The entries, without `.` and `..`, in host order.
    pub entries: Vec<DirEntryPlus>,
    /// The cursor of the next page, or `None` when the listing is done.
    pub next: Option<u64>,
    /// Entries left out (names that are not UTF-8, or gone before their
    /// stat).
    pub skipped: u32,
}

/// A set of flags over one integer: the same calls as the generated WIT
/// flags types (`empty`, `contains`, `|`, …), so the core reads the same.
macro_rules! flags {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* const $flag:ident = $bit:expr;)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(u8);

        impl $name {
            $($(#[$fdoc])* pub const $flag: Self = Self(1 << $bit);)*

            /// No flag.
            pub const fn empty() -> Self {
                Self(0)
            }

            /// Every flag.
            pub const fn all() -> Self {
                Self(0 $(| (1 << $bit))*)
            }

            /// Whether every flag of `other` is set.
            pub const fn contains(&self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// Whether any flag of `other` is set.
            pub const fn intersects(&self, other: Self) -> bool {
                self.0 & other.0 != 0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut set = f.debug_set();
                $(if self.contains(Self::$flag) {
                    set.entry(&stringify!($flag));
                })*
                set.finish()
            }
        }

        impl std::ops::BitOr for $name {
            type Output = Self;
            fn bitor(self, rhs: Self) -> Self {
                Self(self.0 | rhs.0)
            }
        }

        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: Self) {
                self.0 |= rhs.0;
            }
        }

        impl std::ops::BitAnd for $name {
            type Output = Self;
            fn bitand(self, rhs: Self) -> Self {
                Self(self.0 & rhs.0)
            }
        }

        impl std::ops::BitAndAssign for $name {
            fn bitand_assign(&mut self, rhs: Self) {
                self.0 &= rhs.0;
            }
        }

        impl std::ops::Not for $name {
            type Output = Self;
            fn not(self) -> Self {
                Self(!self.0 & Self::all().0)
            }
        }
    };
}

flags! {
    /// How to open a file.
    OpenFlags {
        /// O_RDONLY (with `WRITE`: O_RDWR).
        const READ = 0;
        /// O_WRONLY (with `READ`: O_RDWR).
        const WRITE = 1;
        /// O_APPEND.
        const APPEND = 2;
        /// O_TRUNC.
        const TRUNCATE = 3;
        /// O_DIRECTORY.
        const DIRECTORY = 4;
        /// O_NONBLOCK.
        const NONBLOCK = 5;
    }
}

flags! {
    /// `renameat2` flags.
    RenameFlags {
        /// RENAME_NOREPLACE.
        const NO_REPLACE = 0;
        /// RENAME_EXCHANGE.
        const EXCHANGE = 1;
    }
}

flags! {
    /// `setxattr` flags.
    XattrFlags {
        /// XATTR_CREATE.
        const CREATE = 0;
        /// XATTR_REPLACE.
        const REPLACE = 1;
    }
}

flags! {
    /// The attributes of a [`SetStat`].
    StatFields {
        /// The mode.
        const MODE = 0;
        /// The owner.
        const UID = 1;
        /// The group.
        const GID = 2;
        /// The size.
        const SIZE = 3;
        /// The access time.
        const ATIME = 4;
        /// The modification time.
        const MTIME = 5;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_behave_as_sets() {
        let rw = OpenFlags::READ | OpenFlags::WRITE;
        assert!(rw.contains(OpenFlags::READ));
        assert!(!rw.contains(OpenFlags::READ | OpenFlags::APPEND));
        assert!(rw.intersects(OpenFlags::WRITE | OpenFlags::APPEND));
        assert_eq!(!OpenFlags::all(), OpenFlags::empty());
        assert_eq!(
            !rw & OpenFlags::all(),
            OpenFlags::APPEND | OpenFlags::TRUNCATE | OpenFlags::DIRECTORY | OpenFlags::NONBLOCK
        );
        assert_eq!(format!("{rw:?}"), r#"{"READ", "WRITE"}"#);
    }
}
