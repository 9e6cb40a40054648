//! Inodes: what the dentries of one host file share (hard links are several
//! dentries, one inode), keyed by the host `(st_dev, st_ino)`.
//!
//! A file's guest-visible inode number is a keyed permutation of its host
//! inode number ([`InoNumbers`]): stable for the life of the tree, unique
//! among the files of a device as the host's are, never the host's own, and
//! costing no memory per file — a guest that makes and removes files for
//! ever, or lists a directory of millions, grows nothing. What is kept per
//! inode is only the FDs that guest handles have open on it, so that `stat`
//! can use the freshest one, as gVisor's `updateMetadataLocked` does: a
//! write FD, then a read FD, then the dentry's own FD; kept while such a
//! handle may live (entries whose handles are all gone are dropped as the
//! map grows: [`Inodes::note_open`]).

use std::hash::BuildHasher;
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

/// The handles' FDs open on one host file.
#[derive(Debug, Default)]
struct OpenFds {
    /// A handle's FD open for writing on this file, while that handle lives.
    write_fd: Weak<OpenFd>,
    /// A handle's FD open for reading on this file, while that handle lives.
    read_fd: Weak<OpenFd>,
}

impl OpenFds {
    /// Whether a handle these FDs belong to may still live.
    fn live(&self) -> bool {
        self.write_fd.strong_count() > 0 || self.read_fd.strong_count() > 0
    }
}

/// Entries of [`Inodes::open`] below which no sweep is made.
const SWEEP_FLOOR: usize = 64;

/// Rounds of [`InoNumbers`]' Feistel network.
const ROUNDS: usize = 6;

/// Guest inode numbers: per host device, a permutation of the 64-bit
/// numbers, a Feistel network keyed at random per tree and tweaked by the
/// device. A permutation, so two host files of a device never share a
/// number (no collision, whatever the count); tweaked, so files of two
/// devices share one with a chance of 2^-64 a pair, as a hash's (preview 1
/// shows one device); keyed, so the guest learns nothing of the host's
/// numbers; and 0 is never given (the host's 0 is never a file's), by
/// cycle-walking past it.
#[derive(Debug)]
pub(crate) struct InoNumbers {
    /// The round keys. Immutable.
    keys: [u64; ROUNDS],
}

impl InoNumbers {
    /// Numbers under keys drawn at random (std's per-process random seed,
    /// new keys each call).
    pub(crate) fn random() -> Self {
        let seed = std::collections::hash_map::RandomState::new();
        Self {
            keys: std::array::from_fn(|i| seed.hash_one(i)),
        }
    }

    /// The guest's number of host inode number `host` on host device `dev`.
    pub(crate) fn number(&self, dev: u64, host: u64) -> u64 {
        let tweak = mix(dev ^ self.keys[0]);
        let mut n = self.permute(tweak, host);
        // A permutation's cycle through 0 leads on to another number that
        // no input maps to first: `host` ≠ 0 keeps the whole map one to one
        // on the numbers that are not 0.
        while n == 0 {
            n = self.permute(tweak, n);
        }
        n
    }

    /// One pass of the network, its keys tweaked by `tweak`, over `x`'s two
    /// 32-bit halves.
    fn permute(&self, tweak: u64, x: u64) -> u64 {
        let (mut left, mut right) = ((x >> 32) as u32, x as u32);
        for key in self.keys {
            let mixed = mix(u64::from(right) ^ key ^ tweak) as u32;
            (left, right) = (right, left ^ mixed);
        }
        (u64::from(left) << 32) | u64::from(right)
    }
}

/// MurmurHash3's 64-bit finalizer: every bit of `x` moves every bit out.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The devices seen so far, the guest numbers of files, and the handles'
/// FDs open on them.
#[derive(Debug)]
pub(crate) struct Inodes {
    /// Per host file that a handle opened: its FDs. Entries of files with
    /// no live handle left are swept as the map grows, so it holds about
    /// twice the files with open handles at most (those are bounded by the
    /// budget).
    open: HashMap<InoKey, OpenFds>,
    /// The size of `open` after its last sweep.
    swept_at: usize,
    /// A small number per host device, stable for the life of the tree
    /// (devices are few: the mounts a preopen reaches).
    dev_by_host: HashMap<u64, u64>,
    /// The guest's numbers of files. Immutable.
    numbers: InoNumbers,
}

impl Default for Inodes {
    fn default() -> Self {
        Self {
            open: HashMap::default(),
            swept_at: 0,
            dev_by_host: HashMap::default(),
            numbers: InoNumbers::random(),
        }
    }
}

impl Inodes {
    /// The guest's number for the file `key`.
    pub(crate) fn ino(&self, key: InoKey) -> u64 {
        self.numbers.number(key.0, key.1)
    }

    /// The guest's `(dev, ino)` of the host file `key`.
    pub(crate) fn identity(&mut self, key: InoKey) -> (u64, u64) {
        (self.dev(key.0), self.ino(key))
    }

    /// [`Inodes::identity`] without numbering anything: `None` if the
    /// file's device has no guest number yet.
    pub(crate) fn identity_known(&self, key: InoKey) -> Option<(u64, u64)> {
        Some((self.dev_known(key.0)?, self.ino(key)))
    }

    /// The guest's number of host device `host_dev`, if it has one yet.
    pub(crate) fn dev_known(&self, host_dev: u64) -> Option<u64> {
        self.dev_by_host.get(&host_dev).copied()
    }

    /// The guest's number of host device `host_dev` (numbered now if it
    /// is new).
    pub(crate) fn dev(&mut self, host_dev: u64) -> u64 {
        let next = self.dev_by_host.len() as u64 + 1;
        *self.dev_by_host.entry(host_dev).or_insert(next)
    }

    /// Remembers that a handle has `fd` open on file `key`. Sweeps the
    /// entries of files whose handles are all gone once the map has doubled
    /// since the last sweep (amortized constant time per call).
    pub(crate) fn note_open(
        &mut self,
        key: InoKey,
        fd: &Arc<OpenFd>,
        readable: bool,
        writable: bool,
    ) {
        if self.open.len() >= SWEEP_FLOOR.max(2 * self.swept_at) {
            self.open.retain(|_, fds| fds.live());
            self.swept_at = self.open.len();
        }
        let fds = self.open.entry(key).or_default();
        if writable {
            fds.write_fd = Arc::downgrade(fd);
        }
        if readable {
            fds.read_fd = Arc::downgrade(fd);
        }
    }

    /// The FD of a live handle on `key` to `fstat` in preference to the
    /// dentry's: a write FD, else a read FD.
    pub(crate) fn open_fd(&self, key: InoKey) -> Option<Arc<OpenFd>> {
        let fds = self.open.get(&key)?;
        fds.write_fd.upgrade().or_else(|| fds.read_fd.upgrade())
    }

    /// Converts a host `stat` into the guest's view of it (numbering its
    /// device if it is new).
    pub(crate) fn stat(&mut self, st: &FileStat) -> Stat {
        let (dev, ino) = self.identity(key_of(st));
        guest_stat(st, dev, ino)
    }

    /// [`Inodes::stat`] without numbering anything: `None` if the device
    /// has no guest number yet.
    pub(crate) fn stat_known(&self, st: &FileStat) -> Option<Stat> {
        let (dev, ino) = self.identity_known(key_of(st))?;
        Some(guest_stat(st, dev, ino))
    }

    /// How many files the map of open FDs holds entries for.
    #[cfg(test)]
    pub(crate) fn open_entries(&self) -> usize {
        self.open.len()
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

#[cfg(test)]
mod tests {
    use super::InoNumbers;

    /// One to one on a device (no two host files of it share a number,
    /// however many), never 0, stable, and keyed: two trees, and two
    /// devices, number apart, and neither gives the host's numbers.
    #[test]
    fn guest_numbers_are_one_to_one_keyed_and_never_0() {
        let (a, b) = (InoNumbers::random(), InoNumbers::random());
        let hosts: std::collections::BTreeSet<u64> = (1..200_000u64)
            .chain((0..64).map(|bit| 1 << bit))
            .chain([u64::MAX])
            .collect();
        let mut seen = std::collections::HashSet::new();
        let (mut same_as_host, mut same_as_other, mut same_on_other_dev) = (0, 0, 0);
        for host in hosts {
            let n = a.number(7, host);
            assert_ne!(n, 0);
            assert!(seen.insert(n), "{host} shares {n}");
            assert_eq!(a.number(7, host), n, "stable");
            same_as_host += usize::from(n == host);
            same_as_other += usize::from(n == b.number(7, host));
            same_on_other_dev += usize::from(n == a.number(8, host));
        }
        assert!(same_as_host <= 1 && same_as_other <= 1 && same_on_other_dev <= 1);
    }

    /// Cycle-walking past 0 keeps the map one to one: the number that
    /// would have been 0's goes to the host number that maps to 0.
    #[test]
    fn the_host_number_that_would_be_0_gets_one_no_other_gets() {
        let numbers = InoNumbers::random();
        let dev = 7;
        let tweak = super::mix(dev ^ numbers.keys[0]);
        // The preimage of 0 under one pass: the network run backwards.
        let (mut left, mut right) = (0u32, 0u32);
        for key in numbers.keys.iter().rev() {
            let mixed = super::mix(u64::from(left) ^ key ^ tweak) as u32;
            (left, right) = (right ^ mixed, left);
        }
        let x = (u64::from(left) << 32) | u64::from(right);
        assert_eq!(numbers.permute(tweak, x), 0, "the inverse is right");
        let walked = numbers.number(dev, x);
        assert_eq!(walked, numbers.permute(tweak, 0));
        assert_ne!(walked, 0);
        // No other host number reaches it: its preimage under one pass is
        // 0, which is no file's.
    }
}
