//! Inodes: what the dentries of one host file share (hard links are several
//! dentries, one inode), keyed by the host `(st_dev, st_ino)`.
//!
//! An inode gives its file a guest-visible number, stable for the life of the
//! tree, and remembers the FDs that guest handles have open on it, so that
//! `stat` can use the freshest one, as gVisor's `updateMetadataLocked` does:
//! a write FD, then a read FD, then the dentry's own FD.

use std::sync::{Arc, Weak};

use foldhash::HashMap;
use nix::sys::stat::FileStat;

use crate::handle::OpenFd;
use crate::sys::file_type_of_mode;
use crate::types::{Stat, Timestamp};

/// The host identity of a file: `(st_dev, st_ino)`.
pub(crate) type InoKey = (u64, u64);

/// The key of the file a host `stat` describes.
pub(crate) fn key_of(st: &FileStat) -> InoKey {
    (st.st_dev, st.st_ino)
}

#[derive(Debug)]
struct Inode {
    /// The guest's inode number. Immutable.
    ino: u64,
    /// A handle's FD open for writing on this file, while that handle lives.
    write_fd: Weak<OpenFd>,
    /// A handle's FD open for reading on this file, while that handle lives.
    read_fd: Weak<OpenFd>,
}

/// The inodes and devices seen so far. Entries are never removed: a number,
/// once given, stays with its file for the life of the tree (about 50 bytes
/// per distinct file ever seen).
#[derive(Debug, Default)]
pub(crate) struct Inodes {
    by_key: HashMap<InoKey, Inode>,
    dev_by_host: HashMap<u64, u64>,
}

impl Inodes {
    fn inode(&mut self, key: InoKey) -> &mut Inode {
        let next = self.by_key.len() as u64 + 1;
        self.by_key.entry(key).or_insert_with(|| Inode {
            ino: next,
            write_fd: Weak::new(),
            read_fd: Weak::new(),
        })
    }

    /// The guest's number for the file `key`.
    pub(crate) fn ino(&mut self, key: InoKey) -> u64 {
        self.inode(key).ino
    }

    /// The guest's `(dev, ino)` of the host file `key`.
    pub(crate) fn identity(&mut self, key: InoKey) -> (u64, u64) {
        (self.dev(key.0), self.ino(key))
    }

    /// [`Inodes::identity`] without numbering anything: `None` if the file
    /// or its device has no guest number yet.
    pub(crate) fn identity_known(&self, key: InoKey) -> Option<(u64, u64)> {
        Some((*self.dev_by_host.get(&key.0)?, self.by_key.get(&key)?.ino))
    }

    fn dev(&mut self, host_dev: u64) -> u64 {
        let next = self.dev_by_host.len() as u64 + 1;
        *self.dev_by_host.entry(host_dev).or_insert(next)
    }

    /// Remembers that a handle has `fd` open on file `key`.
    pub(crate) fn note_open(
        &mut self,
        key: InoKey,
        fd: &Arc<OpenFd>,
        readable: bool,
        writable: bool,
    ) {
        let inode = self.inode(key);
        if writable {
            inode.write_fd = Arc::downgrade(fd);
        }
        if readable {
            inode.read_fd = Arc::downgrade(fd);
        }
    }

    /// The FD of a live handle on `key` to `fstat` in preference to the
    /// dentry's: a write FD, else a read FD.
    pub(crate) fn open_fd(&self, key: InoKey) -> Option<Arc<OpenFd>> {
        let inode = self.by_key.get(&key)?;
        inode.write_fd.upgrade().or_else(|| inode.read_fd.upgrade())
    }

    /// Converts a host `stat` into the guest's view of it (numbering its
    /// device and file if they are new).
    pub(crate) fn stat(&mut self, st: &FileStat) -> Stat {
        guest_stat(st, self.dev(st.st_dev), self.ino(key_of(st)))
    }

    /// [`Inodes::stat`] without numbering anything: `None` if the device or
    /// the file has no guest number yet.
    pub(crate) fn stat_known(&self, st: &FileStat) -> Option<Stat> {
        let dev = *self.dev_by_host.get(&st.st_dev)?;
        let ino = self.by_key.get(&key_of(st))?.ino;
        Some(guest_stat(st, dev, ino))
    }
}

/// A host `stat` as the guest sees it, with its guest device and inode
/// numbers.
fn guest_stat(st: &FileStat, dev: u64, ino: u64) -> Stat {
    let time = |sec: i64, nsec: i64| Timestamp {
        seconds: sec,
        nanoseconds: u32::try_from(nsec).unwrap_or(0),
    };
    Stat {
        dev,
        ino,
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
