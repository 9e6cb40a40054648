//! Lookups made with the tree unlocked: a call's cache misses put off, their
//! syscalls run outside the tree lock, and the call run again to find the
//! answers.
//!
//! A walk to a name no dentry caches costs `openat` and `fstat` on the
//! parent's FD, a `stat-at` of one `fstatat`, an open of a file by name
//! `openat` and `fstat`. On a local disk that is a few microseconds; on NFS
//! or FUSE it can be a network round trip. Made under the tree's write
//! lock, it would hold up every other context's call on the same
//! [`crate::Filesystem`] for that long.
//!
//! So a call that the frontends run through `DirectfsCtx::deferring` (every
//! walk, `stat-at` and open of both interfaces) runs in *attempts*, where
//! its mount says so (every miss in a [`Blocking::Pool`] mount; in an
//! [`Blocking::Inline`] one, a miss while another thread waits for the
//! write lock — on a local disk a lookup is shorter than re-taking the
//! lock, unless it makes others queue):
//!
//! 1. The call runs under the write lock as usual until its first lookup
//!    that would need a syscall. There it stops: the lookup records a
//!    [`Deferred`] (the parent's FD, shared by an `Arc` so it stays open,
//!    the name, and the parent's [`super::Dentry::names_gen`]) and fails with
//!    [`DEFERRED`]; every reference the call took is dropped on the way out,
//!    as for any error.
//! 2. The lock is released, and [`Deferred::run`] makes the syscalls (a
//!    WASI 0.3 call, being async, hands the lookup out to its caller,
//!    which makes it on tokio's blocking pool for a pool mount:
//!    `crate::fs::HandOut`).
//! 3. The call runs again, under the lock, from the start; its walk reaches
//!    the same lookup and takes the [`Answer`] instead of a syscall, if the
//!    parent is the same dentry and no name in it changed through directfs
//!    since (its `names_gen` is unchanged). Otherwise the answer is dropped
//!    and the lookup is put off again.
//!
//! Each attempt runs whole under one lock hold, so a call still sees the
//! tree as one state: renames and walks stay consistent, and confinement
//! checks hold as before. The answers cannot be stale through directfs (the
//! generation check), and a host change between the syscall and its use is
//! no different from one just after a locked syscall.
//!
//! A call is only restarted while it has done nothing but look up: the
//! first method that changes the host ([`Tree::changing`]) ends the
//! deferring, and later misses of the call are made under the lock. After
//! [`MAX_DEFERRALS`] attempts the rest of a call's misses are made under the
//! lock too, so a call always ends (a re-walked prefix costs hash lookups,
//! not syscalls).
//!
//! In shared mounts, a dentry revalidated in an earlier attempt of the same
//! call is not revalidated again ([`super::Dentry::checked_in`]).
//!
//! A call that met `ESTALE` (a host file handle its server no longer knows:
//! NFS, after another host replaced a directory and its inode number was
//! reused, so the identity check still passed) is run once more as a new
//! call that *walks afresh* ([`Tree::new_fresh_call`]): it trusts no live
//! child it did not make or check itself, so every directory on its way is
//! opened again by name, as the kernel retries a walk with `LOOKUP_REVAL`.
//! The syscall that failed with `ESTALE` changed nothing. (A call whose
//! change succeeded before a later syscall of it met `ESTALE` would be run
//! again too, and fail as the change is made, `already-exists` or
//! `no-entry`; the syscalls after a change use the directory FD the change
//! used, so the server would have to forget the handle in between.)

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{FileStat, Mode};

use super::{DentryId, FdMode, Tree, try_open};
use crate::budget::FdCharge;
use crate::error::ErrorCode;
use crate::sys;
use crate::types::Blocking;

/// The error a lookup fails with when it put itself off. It never reaches a
/// guest: the call is run again (see the module docs).
pub(crate) const DEFERRED: ErrorCode = ErrorCode::WouldBlock;

/// The most attempts of one call that put a lookup off; past them, its
/// lookups are made under the lock.
pub(crate) const MAX_DEFERRALS: u32 = 64;

/// A lookup put off, to be made with the tree unlocked.
#[derive(Debug)]
pub(crate) struct Deferred {
    what: Lookup,
    /// The directory the lookup is in.
    dir: DentryId,
    /// Its FD, kept open while the tree is unlocked.
    dir_fd: Arc<OwnedFd>,
    /// The name looked up (`"."` for a re-open of a directory).
    name: Box<str>,
    /// `dir`'s [`super::Dentry::names_gen`] when the lookup was put off.
    names_gen: u32,
    /// The FD the answer will hold, charged to the budget before the
    /// syscall (refunded if the answer is never used).
    charge: Option<FdCharge>,
    /// Whether `dir`'s mount is a [`Blocking::Pool`] one.
    pool: bool,
}

/// Which lookup was put off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// [`Tree::walk`]'s: `openat` as [`try_open`] (or, with `path_first`,
    /// as `try_open_path_first`), then `fstat`.
    Walk { path_first: bool },
    /// [`Tree::stat_name`]'s: `fstatat(dir_fd, name, AT_SYMLINK_NOFOLLOW)`.
    Stat,
    /// [`Tree::stat_beneath`]'s: `openat2` of a path of names beneath
    /// `dir_fd` as [`sys::openat2_beneath_path`], then `fstat`.
    StatPath,
    /// [`Tree::open`]'s re-open of dentry `id` with `oflags`.
    Open { id: DentryId, oflags: OFlag },
    /// [`Tree::open_private`]'s open of a name with `oflags`, then `fstat`.
    OpenName { oflags: OFlag },
    /// [`Tree::readlink_name`]'s `readlinkat(dir_fd, name)`.
    Readlink,
}

/// What the syscalls of a [`Deferred`] found.
#[derive(Debug)]
pub(crate) struct Answer {
    asked: Deferred,
    found: Found,
}

/// What a walk's lookup found: the opened FD and its `fstat`.
pub(super) type Walked = Result<((OwnedFd, FdMode), FileStat), Errno>;

/// What a re-open found: the FD, and its `fstat` if it was opened by name.
pub(super) type Reopened = Result<(OwnedFd, Option<FileStat>), Errno>;

/// The result of each kind of lookup.
#[derive(Debug)]
pub(crate) enum Found {
    Walk(Walked),
    Stat(Result<FileStat, Errno>),
    Open(Reopened),
    Readlink(Result<std::ffi::OsString, Errno>),
}

impl Found {
    /// Whether the lookup failed for want of FDs (see
    /// [`Tree::retrying_out_of_fds`]).
    fn out_of_fds(&self) -> bool {
        match self {
            Found::Walk(Err(errno))
            | Found::Stat(Err(errno))
            | Found::Open(Err(errno))
            | Found::Readlink(Err(errno)) => super::tree::out_of_fds(*errno),
            _ => false,
        }
    }
}

impl Deferred {
    /// Lookup `what` of `name` in directory `dir` (dentry `d`), as things
    /// stand now (`d`'s `names_gen`), its answer's FD charged by `charge`.
    fn asking(
        what: Lookup,
        dir: DentryId,
        d: &super::Dentry,
        name: &str,
        charge: Option<FdCharge>,
    ) -> Self {
        Self {
            what,
            dir,
            dir_fd: Arc::clone(&d.fd),
            name: name.into(),
            names_gen: d.names_gen,
            charge,
            pool: d.policy.blocking == Blocking::Pool,
        }
    }

    /// Whether this is a name lookup (a walk's, a `stat-at`'s, an open of
    /// a name), counted in [`crate::Stats::lookup_misses`]; not a re-open.
    fn is_lookup(&self) -> bool {
        !matches!(self.what, Lookup::Open { .. })
    }

    /// Whether the lookup is in a [`Blocking::Pool`] mount: an async
    /// caller makes it on the blocking pool.
    pub(crate) fn on_pool(&self) -> bool {
        self.pool
    }

    /// Makes the lookup's syscalls. Needs no tree: run it unlocked.
    pub(crate) fn run(self) -> Answer {
        let fd = self.dir_fd.as_fd();
        let found = match self.what {
            Lookup::Walk { path_first } => Found::Walk(open_child(fd, &self.name, path_first)),
            Lookup::Stat => Found::Stat(sys::fstatat_nofollow(fd, self.name.as_bytes())),
            Lookup::StatPath => Found::Stat(stat_path_beneath(fd, &self.name)),
            Lookup::Open { oflags, .. } | Lookup::OpenName { oflags } => {
                Found::Open(reopen(fd, &self.name, oflags))
            }
            Lookup::Readlink => Found::Readlink(sys::readlinkat(fd, &self.name)),
        };
        Answer { asked: self, found }
    }
}

impl Answer {
    /// The answer `found` to [`Tree::stat_name`]'s lookup of `name` in
    /// directory `dir` (dentry `d`), made under the read lock, for the
    /// full call to take under the write lock ([`super::ReadLocked::Looked`])
    /// as it takes a lookup's made unlocked: only while no name in `dir`
    /// changed since (`names_gen`, read here, where no name can change).
    pub(super) fn stat_made(
        dir: DentryId,
        d: &super::Dentry,
        name: &str,
        found: Result<FileStat, Errno>,
    ) -> Answer {
        Answer {
            asked: Deferred::asking(Lookup::Stat, dir, d, name, None),
            found: Found::Stat(found),
        }
    }
}

/// The syscalls of a walk's lookup of `name` in `dir_fd`: `openat` as
/// [`try_open`], then `fstat` of what it opened; with `path_first` (a
/// directory on a remote filesystem: [`Tree::opens_path_first`]), as
/// `try_open_path_first`.
pub(super) fn open_child(
    dir_fd: std::os::fd::BorrowedFd<'_>,
    name: &str,
    path_first: bool,
) -> Walked {
    if path_first {
        return super::try_open_path_first(dir_fd, name);
    }
    let opened = try_open(dir_fd, name, OFlag::empty())?;
    let st = sys::fstat(opened.0.as_fd())?;
    Ok((opened, st))
}

/// The syscalls of a `stat` of a path of names beneath `dir_fd`: `openat2`
/// as [`sys::openat2_beneath_path`], then `fstat` of what it opened
/// (closed again).
pub(super) fn stat_path_beneath(
    dir_fd: std::os::fd::BorrowedFd<'_>,
    path: &str,
) -> Result<FileStat, Errno> {
    let opened = sys::openat2_beneath_path(dir_fd, path)?;
    sys::fstat(opened.as_fd())
}

/// The syscalls of a re-open of a file: `openat(dir_fd, name, oflags)`, and
/// for a file opened by name (not `"."`) its `fstat`, for the caller's
/// identity check.
pub(super) fn reopen(dir_fd: std::os::fd::BorrowedFd<'_>, name: &str, oflags: OFlag) -> Reopened {
    let fd = sys::openat(dir_fd, name, oflags, Mode::empty())?;
    if name == "." {
        return Ok((fd, None));
    }
    let st = sys::fstat(fd.as_fd())?;
    Ok((fd, Some(st)))
}

/// The per-call state of deferring in a [`Tree`].
#[derive(Debug, Default)]
pub(super) struct Deferring {
    /// Whether a lookup that misses may put itself off.
    allowed: bool,
    /// The lookup this attempt put off.
    deferred: Option<Deferred>,
    /// The answer to the lookup the last attempt put off.
    answer: Option<Answer>,
    /// The misses this attempt made itself whose dentries stay (marked
    /// [`super::MADE`]): still counted if the call is run again, since its
    /// later attempts count no lookup of those dentries.
    kept_misses: u64,
    /// The call being run in attempts (0: none), for
    /// [`super::Dentry::checked_in`].
    call: u32,
    /// The last call number given out.
    last_call: u32,
}

impl Tree {
    /// Starts an attempt of a call (see the module docs): `answer` is the
    /// previous attempt's, `attempt` counts from 0, and `call` is the call's
    /// number from [`Tree::new_call`].
    pub(crate) fn begin_attempt(&mut self, answer: Option<Answer>, attempt: u32, call: u32) {
        self.deferring = Deferring {
            allowed: attempt < MAX_DEFERRALS,
            deferred: None,
            answer,
            kept_misses: 0,
            call,
            last_call: self.deferring.last_call,
        };
    }

    /// A number for a call run in attempts, unique in this tree.
    pub(crate) fn new_call(&mut self) -> u32 {
        // 0 means no call; the top bits are `MADE`'s and `FRESH`'s.
        self.deferring.last_call =
            (self.deferring.last_call.wrapping_add(1) & !(super::MADE | super::FRESH)).max(1);
        self.deferring.last_call
    }

    /// A number for a call that walks afresh ([`super::FRESH`]): the run
    /// again of a call that met a stale host file handle (`ESTALE`). Every
    /// name it walks through is looked up again (in a new dentry; holders
    /// keep the old one), as after a rename by another host.
    pub(crate) fn new_fresh_call(&mut self) -> u32 {
        self.new_call() | super::FRESH
    }

    /// Whether `call` is a number [`Tree::new_fresh_call`] gave.
    pub(crate) fn is_fresh_call(&self, call: u32) -> bool {
        call & super::FRESH != 0
    }

    /// Whether the running attempt is of a call that walks afresh.
    pub(crate) fn walks_afresh(&self) -> bool {
        self.deferring.call & super::FRESH != 0
    }

    /// Ends an attempt: the lookup it put off, if any (then the call must be
    /// run again, and its result dropped), with the lookup misses of the
    /// attempt that still count (see [`crate::dentry::rewind_lookups`]). An
    /// answer it did not use is dropped here, with the FD it holds.
    pub(crate) fn end_attempt(&mut self) -> Option<(Deferred, u64)> {
        let ended = self.deferring.take_attempt();
        drop(ended.answer);
        let deferred = ended.deferred?;
        let misses = ended.kept_misses + u64::from(deferred.is_lookup());
        Some((deferred, misses))
    }

    /// Whether the running attempt put a lookup off (then it is not the
    /// call's last: its result is dropped, and the call run again).
    #[cfg(test)]
    pub(crate) fn puts_off(&self) -> bool {
        self.deferring.deferred.is_some()
    }

    /// Notes that this attempt made a lookup miss itself (under the lock)
    /// and kept its dentry (see [`Deferring::kept_misses`]).
    pub(super) fn keep_miss(&mut self) {
        self.deferring.kept_misses += 1;
    }

    /// The call number of the attempt running (0 outside of one).
    pub(crate) fn call(&self) -> u32 {
        self.deferring.call
    }

    /// Called by every method that changes the host before its first
    /// syscall: the call can no longer be run again, so its later misses
    /// are made under the lock. Fails with [`DEFERRED`] if the attempt
    /// already put a lookup off (a caller went on after the error).
    pub(super) fn changing(&mut self) -> Result<(), ErrorCode> {
        if self.deferring.deferred.is_some() {
            return Err(DEFERRED);
        }
        self.deferring.allowed = false;
        Ok(())
    }

    /// [`Tree::changing`], for a method that changes names in directory
    /// `dir`: bumps its `names_gen`, so an answer looked up in it before is
    /// not used, and watches it first if its watch was put off
    /// ([`Tree::watch_later`]).
    pub(super) fn changing_names(&mut self, dir: DentryId) -> Result<(), ErrorCode> {
        self.changing()?;
        self.watch_later(dir);
        let d = self.get_mut(dir)?;
        d.names_gen = d.names_gen.wrapping_add(1);
        super::count_change(d);
        Ok(())
    }

    /// The answer to lookup `what` of `name` in `dir`, if the last attempt
    /// put exactly this off and no name in `dir` changed since.
    fn answer(&mut self, what: Lookup, dir: DentryId, name: &str) -> Option<Answer> {
        let asked = &self.deferring.answer.as_ref()?.asked;
        if asked.what != what || asked.dir != dir || &*asked.name != name {
            return None;
        }
        let answer = self.deferring.answer.take()?;
        let names_gen = self.get(dir).ok()?.names_gen;
        (names_gen == answer.asked.names_gen).then_some(answer)
    }

    /// Puts off lookup `what` of `name` in `dir` if the attempt may; returns
    /// the error to fail with then. `fds`: how many FDs the answer holds
    /// (room is made and charged now, so the budget holds).
    fn defer(&mut self, what: Lookup, dir: DentryId, name: &str, fds: usize) -> Option<ErrorCode> {
        if !self.deferring.allowed || self.deferring.deferred.is_some() {
            return None;
        }
        // An inline mount's lookups are made under the lock unless another
        // thread waits for it (see `Blocking`).
        let d = self.get(dir).ok()?;
        if d.policy.blocking == Blocking::Inline
            && self.writers_waiting.load(Ordering::Relaxed) == 0
        {
            return None;
        }
        let charge = if fds > 0 {
            if let Err(err) = self.make_room(fds) {
                return Some(err);
            }
            Some(self.budget.charge_token())
        } else {
            None
        };
        let d = match self.get(dir) {
            Ok(d) => d,
            Err(err) => return Some(err),
        };
        self.deferring.deferred = Some(Deferred::asking(what, dir, d, name, charge));
        Some(DEFERRED)
    }

    /// The answer to [`Tree::walk`]'s lookup of `name` in `dir`, or `None`
    /// to make it now; `Err` if it was put off (or room could not be made).
    pub(super) fn walk_answer(
        &mut self,
        dir: DentryId,
        name: &str,
    ) -> Result<Option<Walked>, ErrorCode> {
        let path_first = self.opens_path_first(dir);
        self.answer_or_defer(
            Lookup::Walk { path_first },
            dir,
            name,
            1,
            |found| match found {
                Found::Walk(walked) => Some(walked),
                _ => None,
            },
        )
    }

    /// The answer to [`Tree::stat_name`]'s lookup, as [`Tree::walk_answer`].
    pub(super) fn stat_answer(
        &mut self,
        dir: DentryId,
        name: &str,
    ) -> Result<Option<Result<FileStat, Errno>>, ErrorCode> {
        self.answer_or_defer(Lookup::Stat, dir, name, 0, |found| match found {
            Found::Stat(stat) => Some(stat),
            _ => None,
        })
    }

    /// The answer to [`Tree::stat_beneath`]'s lookup of `path` (whose
    /// answer's FD is closed at once, but is charged while open), as
    /// [`Tree::walk_answer`].
    pub(super) fn stat_path_answer(
        &mut self,
        dir: DentryId,
        path: &str,
    ) -> Result<Option<Result<FileStat, Errno>>, ErrorCode> {
        self.answer_or_defer(Lookup::StatPath, dir, path, 1, |found| match found {
            Found::Stat(stat) => Some(stat),
            _ => None,
        })
    }

    /// The answer to [`Tree::open`]'s re-open of dentry `id` with `oflags`
    /// (as `name` in `dir`), as [`Tree::walk_answer`].
    pub(super) fn open_answer(
        &mut self,
        id: DentryId,
        oflags: OFlag,
        dir: DentryId,
        name: &str,
    ) -> Result<Option<Reopened>, ErrorCode> {
        let what = Lookup::Open { id, oflags };
        self.answer_or_defer(what, dir, name, 1, |found| match found {
            Found::Open(reopened) => Some(reopened),
            _ => None,
        })
    }

    /// The answer to [`Tree::open_private`]'s open of `name` in `dir` with
    /// `oflags`, as [`Tree::walk_answer`].
    pub(super) fn open_name_answer(
        &mut self,
        dir: DentryId,
        name: &str,
        oflags: OFlag,
    ) -> Result<Option<Reopened>, ErrorCode> {
        let what = Lookup::OpenName { oflags };
        self.answer_or_defer(what, dir, name, 1, |found| match found {
            Found::Open(reopened) => Some(reopened),
            _ => None,
        })
    }

    /// The answer to [`Tree::readlink_name`]'s `readlinkat` of `name` in
    /// `dir`, as [`Tree::walk_answer`].
    pub(super) fn readlink_answer(
        &mut self,
        dir: DentryId,
        name: &str,
    ) -> Result<Option<Result<std::ffi::OsString, Errno>>, ErrorCode> {
        self.answer_or_defer(Lookup::Readlink, dir, name, 0, |found| match found {
            Found::Readlink(target) => Some(target),
            _ => None,
        })
    }

    /// The answer to lookup `what` of `name` in `dir` (`take` picks its
    /// result), or `None` to make the lookup now; `Err` if it was put off
    /// (`fds`: the FDs its answer will hold, charged now) or room could not
    /// be made.
    fn answer_or_defer<T>(
        &mut self,
        what: Lookup,
        dir: DentryId,
        name: &str,
        fds: usize,
        take: impl FnOnce(Found) -> Option<T>,
    ) -> Result<Option<T>, ErrorCode> {
        if let Some(Answer { asked, found }) = self.answer(what, dir, name) {
            // What the answer goes into (a dentry, a handle) charges its FD
            // anew.
            drop(asked.charge);
            if found.out_of_fds() {
                // Made again now, under the lock, where the cache can make
                // room for it.
                self.shed_cache();
                return Ok(None);
            }
            if let Some(found) = take(found) {
                return Ok(Some(found));
            }
        }
        match self.defer(what, dir, name, fds) {
            Some(err) => Err(err),
            None => Ok(None),
        }
    }
}

impl Deferring {
    /// Takes the attempt's state, leaving only the call counter.
    fn take_attempt(&mut self) -> Self {
        let last_call = self.last_call;
        let taken = std::mem::take(self);
        self.last_call = last_call;
        taken
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::super::tests::name;
    use crate::error::ErrorCode;
    use crate::sys::test_hook;
    use crate::types::{Blocking, MountOptions, OpenFlags, Perms, RenameFlags, Revalidation};
    use crate::{DirectfsCtx, Filesystem, Mount};

    fn context(revalidation: Revalidation) -> (tempfile::TempDir, Mount, DirectfsCtx) {
        context_with(revalidation, Blocking::Pool)
    }

    /// A fresh directory holding `a/b/c/f` (one byte), mounted with
    /// `revalidation` and `blocking`, and a context with it as `/`.
    pub(crate) fn context_with(
        revalidation: Revalidation,
        blocking: Blocking,
    ) -> (tempfile::TempDir, Mount, DirectfsCtx) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b/c")).unwrap();
        std::fs::write(dir.path().join("a/b/c/f"), b"x").unwrap();
        let options = MountOptions {
            revalidation,
            blocking,
        };
        let mount = Filesystem::new().mount_with(dir.path(), options).unwrap();
        let ctx = DirectfsCtx::builder()
            .mount(&mount, "/", Perms::ReadWrite)
            .unwrap()
            .build();
        (dir, mount, ctx)
    }

    /// Records, for each lookup on this thread, its name and whether the
    /// tree was locked during it.
    fn record_locking(mount: &Mount) -> Rc<RefCell<Vec<(String, bool)>>> {
        let log = Rc::new(RefCell::new(Vec::new()));
        let (fs, to) = (mount.filesystem().clone(), Rc::clone(&log));
        test_hook::set(move |name| to.borrow_mut().push((name.to_owned(), fs.is_locked())));
        log
    }

    #[test]
    fn misses_are_made_with_the_tree_unlocked() {
        let (dir, mount, ctx) = context(Revalidation::Exclusive);
        let root = mount.root();
        let log = record_locking(&mount);
        let f = ctx
            .deferring(|tree| tree.walk_path(root, "a/b/c/f", false))
            .unwrap();
        let handle = ctx
            .deferring(|tree| tree.open(f, OpenFlags::READ | OpenFlags::WRITE))
            .unwrap();
        let c = ctx
            .deferring(|tree| tree.walk_path(root, "a/b/c", false))
            .unwrap();
        std::fs::write(dir.path().join("a/b/c/g"), b"y").unwrap();
        let stat = ctx.deferring(|tree| tree.stat_name(c, name("g"))).unwrap();
        assert_eq!(stat.size, 1);
        std::os::unix::fs::symlink("g", dir.path().join("a/b/c/s")).unwrap();
        let target = ctx.deferring(|tree| tree.readlink_name(c, name("s")));
        assert_eq!(target.as_deref(), Ok("g"));
        let names: Vec<_> = log.borrow().iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(
            names,
            ["a", "b", "c", "f", "f", "g", "s"],
            "walk, open by name, stat-at, readlink-at"
        );
        assert!(log.borrow().iter().all(|(_, locked)| !locked), "{log:?}");
        // One lookup each, counted once however many attempts it took.
        let stats = ctx.stats();
        assert_eq!((stats.lookup_misses, stats.lookup_hits), (6, 3));
        // Outside `deferring`, the miss is made under the lock (so the
        // check above can fail).
        log.borrow_mut().clear();
        let g = ctx.tree().walk(c, name("g")).unwrap();
        assert_eq!(log.borrow().as_slice(), [("g".to_owned(), true)]);
        test_hook::clear();
        drop(handle);
        let mut tree = ctx.tree();
        for id in [f, c, g] {
            tree.release(id);
        }
    }

    #[test]
    fn a_name_changed_while_unlocked_is_looked_up_again() {
        let (dir, mount, ctx) = context(Revalidation::Exclusive);
        let root = mount.root();
        std::fs::write(dir.path().join("x"), b"x").unwrap();
        // Right after the first `openat` of `x` found it, another context
        // renames it to `y`, while this call is between its attempts.
        let other = mount.clone();
        let mut renamed = false;
        test_hook::set(move |looked_up| {
            if looked_up == "x" && !renamed {
                renamed = true;
                let other = other.clone();
                std::thread::spawn(move || {
                    let ctx = DirectfsCtx::builder()
                        .mount(&other, "/", Perms::ReadWrite)
                        .unwrap()
                        .build();
                    let root = other.root();
                    ctx.tree()
                        .rename(root, name("x"), root, name("y"), RenameFlags::empty())
                        .unwrap();
                })
                .join()
                .unwrap();
            }
        });
        let found = ctx.deferring(|tree| tree.walk_path(root, "x", false));
        test_hook::clear();
        assert_eq!(
            found,
            Err(ErrorCode::NoEntry),
            "the stale answer was dropped"
        );
        assert!(!dir.path().join("x").exists());
        // `y` is the file that was `x`; the tree agrees with the host.
        let y = ctx
            .deferring(|tree| tree.walk_path(root, "y", false))
            .unwrap();
        let mut tree = ctx.tree();
        assert_eq!(tree.stat(y).unwrap().size, 1);
        assert_eq!(tree.walk(root, name("x")), Err(ErrorCode::NoEntry));
        tree.release(y);
    }

    #[test]
    fn misses_made_before_a_lookup_put_off_stay_counted() {
        // An inline mount: its misses are made under the lock until another
        // thread waits for it. Here one starts waiting right after this
        // call's walk made its last miss, so the open's re-open is put off
        // and the call run again, through the dentries it made.
        let (_dir, mount, ctx) = context_with(Revalidation::Exclusive, Blocking::Inline);
        let root = mount.root();
        let (fs, waiter) = (mount.filesystem().clone(), mount.clone());
        let looked_up = Rc::new(RefCell::new(Vec::new()));
        let log = Rc::clone(&looked_up);
        let other = Rc::new(RefCell::new(None));
        let started = Rc::clone(&other);
        test_hook::set(move |looked| {
            log.borrow_mut().push(looked.to_owned());
            if looked == "f" && started.borrow().is_none() {
                let waiter = waiter.clone();
                *started.borrow_mut() = Some(std::thread::spawn(move || {
                    let ctx = DirectfsCtx::builder()
                        .mount(&waiter, "/", Perms::ReadWrite)
                        .unwrap()
                        .build();
                    ctx.deferring(|tree| tree.stat_name(waiter.root(), name("a")))
                        .unwrap();
                }));
                while fs.writers_waiting() == 0 {
                    std::thread::yield_now();
                }
            }
        });
        let handle = ctx.deferring(|tree| {
            let f = tree.walk_path(root, "a/b/c/f", false)?;
            tree.open(f, OpenFlags::READ | OpenFlags::WRITE)
                .inspect_err(|_| tree.release(f))
                .map(|handle| (f, handle))
        });
        test_hook::clear();
        other.borrow_mut().take().expect("waited").join().unwrap();
        let (f, handle) = handle.unwrap();
        assert_eq!(
            looked_up.borrow().as_slice(),
            ["a", "b", "c", "f", "f"],
            "four misses under the lock, then the re-open"
        );
        let stats = ctx.stats();
        assert_eq!(
            (stats.lookup_misses, stats.lookup_hits),
            (4, 0),
            "each miss counted once, in the attempt that made it"
        );
        drop(handle);
        ctx.tree().release(f);
    }

    #[test]
    fn a_shared_walk_revalidates_each_dentry_once_per_call() {
        let (_dir, mount, ctx) = context(Revalidation::Shared);
        let root = mount.root();
        let before = ctx.stats().syscalls;
        let f = ctx
            .deferring(|tree| tree.walk_path(root, "a/b/c/f", false))
            .unwrap();
        // `openat` + `fstat` per name; no cached dentry of the call is
        // re-checked by the attempts after it.
        assert_eq!(ctx.stats().syscalls - before, 8);
        ctx.tree().release(f);
    }

    /// The parent dentry of `id`, or `None` once it lost its name.
    fn parent_of(
        tree: &crate::dentry::Tree,
        id: crate::dentry::DentryId,
    ) -> Option<crate::dentry::DentryId> {
        match &tree.get(id).ok()?.link {
            super::super::Link::Child { parent, .. } => Some(*parent),
            _ => None,
        }
    }

    /// Whether `id` still has a path from its root.
    fn named(tree: &crate::dentry::Tree, mut id: crate::dentry::DentryId) -> bool {
        loop {
            match tree.get(id).map(|d| &d.link) {
                Ok(super::super::Link::Root) => return true,
                Ok(super::super::Link::Child { parent, .. }) => id = *parent,
                _ => return false,
            }
        }
    }

    /// A directory whose host file handle the server no longer knows
    /// (`ESTALE`, as NFS gives after another host replaced it and its
    /// inode number was reused, so the identity check still passes): a
    /// walk through it, and an unlink in it, are run once more walking
    /// every name afresh, and succeed as a native program's would; the
    /// stale dentry loses its name (its holder keeps it). In every mode,
    /// inline and on the pool.
    #[test]
    fn a_stale_host_handle_is_walked_afresh() {
        use nix::unistd::UnlinkatFlags;
        use std::os::fd::AsFd;

        for revalidation in [
            Revalidation::Exclusive,
            Revalidation::Shared,
            Revalidation::Coherent,
        ] {
            for blocking in [Blocking::Inline, Blocking::Pool] {
                let case = format!("{revalidation:?} {blocking:?}");
                let (dir, mount, ctx) = context_with(revalidation, blocking);
                let root = mount.root();
                let walk = |path: &str| ctx.deferring(|tree| tree.walk_path(root, path, false));
                let f = walk("a/b/c/f").unwrap();
                ctx.tree().release(f);
                // The guest holds `c`; then its host handle goes stale.
                let c = walk("a/b/c").unwrap();
                test_hook::make_stale(ctx.tree().get(c).unwrap().fd.as_fd());
                std::fs::write(dir.path().join("a/b/c/g"), b"y").unwrap();
                let stale_before = crate::error::stale_handles();

                let g = walk("a/b/c/g").unwrap_or_else(|e| panic!("{case}: {e:?}"));
                assert_eq!(
                    crate::error::stale_handles() - stale_before,
                    1,
                    "{case}: met once, then walked afresh"
                );
                let tree = ctx.tree();
                let fresh_c = parent_of(&tree, g).unwrap();
                assert_ne!(fresh_c, c, "{case}: through a new dentry for c");
                assert_eq!(tree.get(fresh_c).unwrap().key, tree.get(c).unwrap().key);
                assert!(!named(&tree, c), "{case}: the stale one lost its path");
                drop(tree);
                ctx.tree().release(g);
                // Later walks go through the new dentry: no stale handle met.
                let stale_before = crate::error::stale_handles();
                let f = walk("a/b/c/f").unwrap();
                ctx.tree().release(f);
                assert_eq!(crate::error::stale_handles(), stale_before, "{case}");

                // An unlink whose parent's handle went stale is made again.
                test_hook::make_stale(ctx.tree().get(fresh_c).unwrap().fd.as_fd());
                ctx.deferring(|tree| {
                    let parent = tree.walk_path(root, "a/b/c/", true)?;
                    let unlinked = tree.unlink(parent, name("g"), UnlinkatFlags::NoRemoveDir);
                    tree.release(parent);
                    unlinked
                })
                .unwrap_or_else(|e| panic!("{case}: {e:?}"));
                assert!(!dir.path().join("a/b/c/g").exists(), "{case}");

                // A stale start cannot be walked afresh: `stale` after one
                // more try, as a native program's stale directory FD.
                let stale_before = crate::error::stale_handles();
                let held = ctx.deferring(|tree| tree.walk_path(c, "new", false));
                assert_eq!(held.err(), Some(ErrorCode::Stale), "{case}");
                assert_eq!(crate::error::stale_handles() - stale_before, 2, "{case}");
                test_hook::clear_stale();
                ctx.tree().release(c);
            }
        }
    }
}
