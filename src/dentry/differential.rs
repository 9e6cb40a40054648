//! The differential model test: random sequences of operations, applied
//! through the dentry tree and, equivalently, through plain syscalls on a
//! second directory (the model, which trusts the kernel), must give the same
//! result for every operation (`Ok` or the same error code) and leave
//! identical trees: names, types, sizes, contents, modes, link counts,
//! symlink targets.
//!
//! Names come from a tiny set so that operations collide, paths go through
//! symlinks (of one name or a path), and the cache (kept small here) evicts
//! and must still agree with the host. Besides changes, operations look:
//! `stat`, a read, a listing, each compared with the kernel's answer.
//!
//! Each case runs in one revalidation mode. In `exclusive` every change goes
//! through the tree; in `shared` and `coherent` some are made on the host
//! directly (as by another process) between the tree's operations, and the
//! tree's later answers must still be the kernel's: `coherent` takes in the
//! kernel's change notifications at the start of each operation, as a call
//! does. `PROPTEST_CASES` runs more cases on demand.
//!
//! With threads: each on a directory of its own (every result compared), or
//! racing on the same names, whose results must serialize in the order the
//! calls took the tree lock; and a stress test of threads × contexts.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::Mode;
use proptest::prelude::*;

use super::{DentryId, Tree};
use crate::error::ErrorCode;
use crate::name::Name;
use crate::types::{OpenFlags, RenameFlags};
use crate::types::{Perms, PreopenOptions, Revalidation};

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

#[derive(Debug, Clone)]
enum Op {
    /// With `true`, the new directory's dentry is made at once
    /// ([`Tree::mkdir`]); else when first walked ([`Tree::mkdir_unopened`]).
    Mkdir(String, bool),
    Create(String),
    Write(String, u8, u8),
    Truncate(String, u8),
    Unlink(String),
    Rmdir(String),
    Rename(String, String, bool),
    Exchange(String, String),
    Link(String, String),
    /// A symlink at the path, to a relative target of one or more names.
    Symlink(String, String),
    /// `stat` of the path (not following a final symlink): type, mode,
    /// links, and a file's size.
    Stat(String),
    /// The first bytes of the file at the path (not following a final
    /// symlink).
    Read(String),
    /// The names in the directory at the path (following symlinks).
    List(String),
    /// The operation made on the host directly, by plain syscalls, as
    /// another process would (`shared` and `coherent` cases only).
    Host(Box<Op>),
    /// Walks to the path (not following a final symlink) and keeps the
    /// reference, as a guest holding a `dentry` does.
    Hold(String),
    /// Drops the oldest reference `Hold` kept.
    Drop,
}

fn path() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(&NAMES[..]), 1..=3)
        .prop_map(|parts| parts.join("/"))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (path(), any::<bool>()).prop_map(|(p, opened)| Op::Mkdir(p, opened)),
        path().prop_map(Op::Create),
        (path(), any::<u8>(), any::<u8>()).prop_map(|(p, off, len)| Op::Write(
            p,
            off % 16,
            len % 16
        )),
        (path(), any::<u8>()).prop_map(|(p, size)| Op::Truncate(p, size % 32)),
        path().prop_map(Op::Unlink),
        path().prop_map(Op::Rmdir),
        (path(), path(), any::<bool>()).prop_map(|(a, b, noreplace)| Op::Rename(a, b, noreplace)),
        (path(), path()).prop_map(|(a, b)| Op::Exchange(a, b)),
        (path(), path()).prop_map(|(a, b)| Op::Link(a, b)),
        (path(), path()).prop_map(|(p, t)| Op::Symlink(p, t)),
        path().prop_map(Op::Hold),
        Just(Op::Drop),
        path().prop_map(Op::Stat),
        path().prop_map(Op::Read),
        prop_oneof![Just(String::new()), path()].prop_map(Op::List),
    ]
}

/// The operations of a case in `mode`: with changes made on the host
/// directly where the mode promises to see them.
fn op_in(mode: Revalidation) -> BoxedStrategy<Op> {
    match mode {
        Revalidation::Exclusive => op().boxed(),
        Revalidation::Shared | Revalidation::Coherent => prop_oneof![
            3 => op(),
            1 => op().prop_map(|op| Op::Host(Box::new(op))),
        ]
        .boxed(),
    }
}

/// A case: a mode and its operations.
fn case(len: std::ops::Range<usize>) -> impl Strategy<Value = (Revalidation, Vec<Op>)> {
    proptest::sample::select(vec![
        Revalidation::Exclusive,
        Revalidation::Shared,
        Revalidation::Coherent,
    ])
    .prop_flat_map(move |mode| {
        (
            Just(mode),
            proptest::collection::vec(op_in(mode), len.clone()),
        )
    })
}

/// How a look at a file is reported, by the tree and by the model alike.
fn described(file_type: crate::types::FileType, mode: u32, nlink: u64, size: u64) -> String {
    use crate::types::FileType;
    match file_type {
        // A directory's size is the filesystem's business.
        FileType::Directory => format!("{file_type:?} {:o} nlink {nlink}", mode & 0o7777),
        _ => format!(
            "{file_type:?} {:o} nlink {nlink} size {size}",
            mode & 0o7777
        ),
    }
}

/// `dir/name` → (`dir`, `name`).
fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// The tree under test.
struct Subject<'a> {
    tree: &'a mut Tree,
    root: DentryId,
    /// The references `Op::Hold` kept, oldest first.
    held: std::collections::VecDeque<DentryId>,
}

impl Drop for Subject<'_> {
    fn drop(&mut self) {
        while let Some(id) = self.held.pop_front() {
            self.tree.release(id);
        }
    }
}

impl<'a> Subject<'a> {
    fn new(tree: &'a mut Tree, root: DentryId) -> Self {
        Self {
            tree,
            root,
            held: std::collections::VecDeque::new(),
        }
    }

    /// A walk from the root as the frontends make it: under the read
    /// lock's rules first ([`Tree::cached_walk`], [`Tree::acquire_walked`]),
    /// else the full walk.
    fn walk(&mut self, path: &str) -> Result<DentryId, ErrorCode> {
        if let Some(walk) = self.tree.cached_walk(self.root, path, false)
            && self.tree.acquire_walked(walk)
        {
            return Ok(walk.found);
        }
        self.tree.walk_path(self.root, path, false)
    }

    /// A release as the frontends make it: under the read lock's rules
    /// first ([`Tree::release_cached`]).
    fn release(&mut self, id: DentryId) {
        if !self.tree.release_cached(id) {
            self.tree.release(id);
        }
    }

    /// The directory holding `path`'s last component, walked from the root
    /// as the kernel resolves a parent: following symlinks, and it must be a
    /// directory (the trailing `/`).
    fn parent(&mut self, path: &str) -> Result<DentryId, ErrorCode> {
        match split(path).0 {
            "" => {
                self.tree.acquire(self.root)?;
                Ok(self.root)
            }
            dir => self.tree.walk_path(self.root, &format!("{dir}/"), true),
        }
    }

    fn with_parent<T>(
        &mut self,
        path: &str,
        f: impl FnOnce(&mut Tree, DentryId, Name<'_>) -> Result<T, ErrorCode>,
    ) -> Result<T, ErrorCode> {
        let dir = self.parent(path)?;
        let result = f(self.tree, dir, Name::parse(split(path).1)?);
        self.tree.release(dir);
        result
    }

    /// Applies `op` to the tree: what it saw (looks), or `""`.
    fn apply(&mut self, op: &Op) -> Result<String, ErrorCode> {
        match op {
            Op::Stat(p) => {
                let id = self.walk(p)?;
                let result = self
                    .tree
                    .stat(id)
                    .map(|st| described(st.file_type, st.mode, st.nlink, st.size));
                self.release(id);
                result
            }
            Op::Read(p) => {
                let id = self.walk(p)?;
                let result = self
                    .tree
                    .open(id, OpenFlags::READ)
                    .and_then(|h| h.read(0, 64, 1 << 20, None))
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
                self.release(id);
                result
            }
            Op::List(p) => {
                let id = match p.as_str() {
                    "" => self.tree.acquire(self.root).map(|()| self.root),
                    p => self.tree.walk_path(self.root, p, true),
                }?;
                let result = self.tree.read_dir(id, 0, 64).map(|page| {
                    let mut names: Vec<_> = page
                        .entries
                        .into_iter()
                        .map(|e| e.name)
                        .filter(|n| n != "." && n != "..")
                        .collect();
                    names.sort();
                    names.join(" ")
                });
                self.release(id);
                result
            }
            Op::Host(_) => unreachable!("made on the host by the test"),
            change => self.change(change).map(|()| String::new()),
        }
    }

    /// Applies change `op` to the tree.
    fn change(&mut self, op: &Op) -> Result<(), ErrorCode> {
        match op {
            Op::Mkdir(p, true) => self.with_parent(p, |t, d, n| {
                t.mkdir(d, n, 0o755, None).map(|id| t.release(id))
            }),
            Op::Mkdir(p, false) => self.with_parent(p, |t, d, n| t.mkdir_unopened(d, n, 0o755)),
            Op::Create(p) => self.with_parent(p, |t, d, n| {
                t.create(d, n, OpenFlags::WRITE, 0o644, None)
                    .map(|(id, _handle)| t.release(id))
            }),
            Op::Write(p, off, len) => {
                let file = self.walk(p)?;
                let result = self.tree.open(file, OpenFlags::WRITE).and_then(|h| {
                    h.write(
                        u64::from(*off),
                        &vec![b'x'; usize::from(*len)],
                        1 << 20,
                        None,
                    )
                    .map(drop)
                });
                self.release(file);
                result
            }
            Op::Truncate(p, size) => {
                let file = self.walk(p)?;
                let result = self
                    .tree
                    .open(file, OpenFlags::WRITE)
                    .and_then(|h| h.set_size(u64::from(*size)));
                self.release(file);
                result
            }
            Op::Unlink(p) => self.with_parent(p, |t, d, n| {
                t.unlink(d, n, nix::unistd::UnlinkatFlags::NoRemoveDir)
            }),
            Op::Rmdir(p) => self.with_parent(p, |t, d, n| {
                t.unlink(d, n, nix::unistd::UnlinkatFlags::RemoveDir)
            }),
            Op::Rename(a, b, noreplace) => {
                let flags = if *noreplace {
                    RenameFlags::NO_REPLACE
                } else {
                    RenameFlags::empty()
                };
                self.rename(a, b, flags)
            }
            Op::Exchange(a, b) => self.rename(a, b, RenameFlags::EXCHANGE),
            Op::Link(a, b) => {
                let target = self.walk(a)?;
                let result =
                    self.with_parent(b, |t, d, n| t.link(d, target, n).map(|id| t.release(id)));
                self.release(target);
                result
            }
            Op::Symlink(p, target) => self.with_parent(p, |t, d, n| {
                t.symlink(d, n, target, None).map(|id| t.release(id))
            }),
            Op::Stat(_) | Op::Read(_) | Op::List(_) | Op::Host(_) => unreachable!("not a change"),
            Op::Hold(p) => {
                let id = self.walk(p)?;
                self.held.push_back(id);
                Ok(())
            }
            Op::Drop => {
                if let Some(id) = self.held.pop_front() {
                    self.release(id);
                }
                Ok(())
            }
        }
    }

    fn rename(&mut self, a: &str, b: &str, flags: RenameFlags) -> Result<(), ErrorCode> {
        let from = self.parent(a)?;
        let result = self.parent(b).and_then(|to| {
            let result = Name::parse(split(a).1)
                .and_then(|old| Ok((old, Name::parse(split(b).1)?)))
                .and_then(|(old, new)| self.tree.rename(from, old, to, new, flags));
            self.tree.release(to);
            result
        });
        self.tree.release(from);
        result
    }
}

/// The model: the same operations as plain path syscalls under `root`, with
/// the kernel resolving the (relative, in-tree) symlinks; what a look saw,
/// or `""`.
fn model(root: &Path, op: &Op) -> Result<String, ErrorCode> {
    let at = |p: &str| CString::new(root.join(p).into_os_string().into_encoded_bytes()).unwrap();
    let cwd = nix::fcntl::AT_FDCWD;
    let result: Result<String, Errno> = match op {
        Op::Stat(p) => nix::sys::stat::fstatat(cwd, at(p).as_c_str(), AtFlags::AT_SYMLINK_NOFOLLOW)
            .map(|st| {
                described(
                    crate::sys::file_type_of_mode(st.st_mode),
                    st.st_mode,
                    st.st_nlink,
                    st.st_size as u64,
                )
            }),
        Op::Read(p) => nix::fcntl::open(
            at(p).as_c_str(),
            OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK,
            Mode::empty(),
        )
        .and_then(|fd| {
            let mut buf = [0u8; 64];
            nix::sys::uio::pread(&fd, &mut buf, 0)
                .map(|n| String::from_utf8_lossy(&buf[..n]).into_owned())
        }),
        Op::List(p) => std::fs::read_dir(root.join(p))
            .map(|entries| {
                let mut names: Vec<_> = entries
                    .map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect();
                names.sort();
                names.join(" ")
            })
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap())),
        Op::Host(op) => return model(root, op),
        change => model_change(root, change, at, cwd).map(|()| String::new()),
    };
    result.map_err(ErrorCode::from)
}

/// [`model`] of a change.
fn model_change(
    root: &Path,
    op: &Op,
    at: impl Fn(&str) -> CString,
    cwd: std::os::fd::BorrowedFd<'static>,
) -> Result<(), Errno> {
    let _ = root;
    match op {
        Op::Mkdir(p, _) => {
            nix::sys::stat::mkdirat(cwd, at(p).as_c_str(), Mode::from_bits_truncate(0o755))
        }
        Op::Create(p) => nix::fcntl::open(
            at(p).as_c_str(),
            OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_WRONLY | OFlag::O_NOFOLLOW,
            Mode::from_bits_truncate(0o644),
        )
        .map(drop),
        Op::Write(p, off, len) => nix::fcntl::open(
            at(p).as_c_str(),
            OFlag::O_WRONLY | OFlag::O_NOFOLLOW,
            Mode::empty(),
        )
        .and_then(|fd| {
            nix::sys::uio::pwrite(&fd, &vec![b'x'; usize::from(*len)], i64::from(*off)).map(drop)
        }),
        Op::Truncate(p, size) => nix::fcntl::open(
            at(p).as_c_str(),
            OFlag::O_WRONLY | OFlag::O_NOFOLLOW,
            Mode::empty(),
        )
        .and_then(|fd| nix::unistd::ftruncate(&fd, i64::from(*size))),
        Op::Unlink(p) => nix::unistd::unlinkat(
            cwd,
            at(p).as_c_str(),
            nix::unistd::UnlinkatFlags::NoRemoveDir,
        ),
        Op::Rmdir(p) => {
            nix::unistd::unlinkat(cwd, at(p).as_c_str(), nix::unistd::UnlinkatFlags::RemoveDir)
        }
        Op::Rename(a, b, noreplace) => {
            let flags = if *noreplace {
                nix::fcntl::RenameFlags::RENAME_NOREPLACE
            } else {
                nix::fcntl::RenameFlags::empty()
            };
            nix::fcntl::renameat2(cwd, at(a).as_c_str(), cwd, at(b).as_c_str(), flags)
        }
        Op::Exchange(a, b) => nix::fcntl::renameat2(
            cwd,
            at(a).as_c_str(),
            cwd,
            at(b).as_c_str(),
            nix::fcntl::RenameFlags::RENAME_EXCHANGE,
        ),
        Op::Link(a, b) => nix::unistd::linkat(
            cwd,
            at(a).as_c_str(),
            cwd,
            at(b).as_c_str(),
            AtFlags::empty(),
        ),
        Op::Symlink(p, target) => nix::unistd::symlinkat(target.as_str(), cwd, at(p).as_c_str()),
        Op::Hold(p) => {
            nix::sys::stat::fstatat(cwd, at(p).as_c_str(), AtFlags::AT_SYMLINK_NOFOLLOW).map(drop)
        }
        Op::Drop => Ok(()),
        Op::Stat(_) | Op::Read(_) | Op::List(_) | Op::Host(_) => unreachable!("not a change"),
    }
}

/// Everything observable under `dir`: per relative path, type, size,
/// content (files), mode, nlink, symlink target.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, rel: &str, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(base.join(rel))
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().into_string().unwrap();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let m = std::fs::symlink_metadata(base.join(&path)).unwrap();
            let what = if m.is_symlink() {
                format!(
                    "link -> {}",
                    std::fs::read_link(base.join(&path)).unwrap().display()
                )
            } else if m.is_dir() {
                format!("dir {:o} nlink {}", m.mode() & 0o7777, m.nlink())
            } else {
                let content = std::fs::read(base.join(&path)).unwrap();
                format!(
                    "file {:o} nlink {} {:?}",
                    m.mode() & 0o7777,
                    m.nlink(),
                    String::from_utf8_lossy(&content)
                )
            };
            out.insert(path.clone(), what);
            if m.is_dir() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, "", &mut out);
    out
}

fn check(ops: &[Op], cache_limit: usize, mode: Revalidation) -> Result<(), TestCaseError> {
    let subject_dir = tempfile::tempdir().unwrap();
    let model_dir = tempfile::tempdir().unwrap();
    let fd = cap_std::fs::Dir::open_ambient_dir(subject_dir.path(), cap_std::ambient_authority())
        .unwrap();
    let mut tree = Tree::default();
    tree.set_cache_limits(cache_limit, 8);
    let policy = PreopenOptions {
        perms: Perms::ReadWrite,
        revalidation: mode,
        blocking: crate::types::Blocking::Inline,
    };
    let root = tree.add_root(fd.into_std_file().into(), policy).unwrap();
    let mut subject = Subject::new(&mut tree, root);
    for (i, op) in ops.iter().enumerate() {
        // A call's start, as `Filesystem::lock` makes it: the kernel's
        // notifications read and taken in, a new generation.
        let changed = subject.tree.watcher.drain();
        subject.tree.next_generation();
        if changed {
            subject.tree.apply_changes();
        }
        let got = match op {
            Op::Host(change) => model(subject_dir.path(), change),
            op => subject.apply(op),
        };
        let want = model(model_dir.path(), op);
        prop_assert_eq!(got, want, "op {} {:?}", i, op);
        // The LRU keeps its rules whatever the op did.
        if let Err(broken) = subject.tree.check_lru() {
            return Err(TestCaseError::fail(format!("op {i} {op:?}: {broken}")));
        }
        // What the test holds is never freed, whatever was evicted.
        for &id in &subject.held {
            prop_assert!(
                subject.tree.get(id).is_ok(),
                "op {} {:?}: a held dentry was freed",
                i,
                op
            );
        }
    }
    prop_assert_eq!(snapshot(subject_dir.path()), snapshot(model_dir.path()));
    while let Some(id) = subject.held.pop_front() {
        subject.release(id);
    }
    // Everything the test walked was released: only the cache holds dentries.
    let (live, unreferenced) = subject.tree.counts();
    prop_assert!(
        unreferenced <= cache_limit && live == unreferenced + 1,
        "{live} {unreferenced}"
    );
    subject.tree.check_lru().map_err(TestCaseError::fail)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn tree_agrees_with_the_kernel((mode, ops) in case(1..48), small_cache in any::<bool>()) {
        check(&ops, if small_cache { 2 } else { 1000 }, mode)?;
    }

    #[test]
    fn threads_on_one_tree_agree_with_the_kernel(
        per_thread in proptest::collection::vec(proptest::collection::vec(op(), 1..40), 2..=4),
        small_cache in any::<bool>(),
    ) {
        check_threads(&per_thread, if small_cache { 2 } else { 1000 })?;
    }

    #[test]
    fn threads_racing_on_the_same_names_serialize_as_the_kernel(
        mode in proptest::sample::select(vec![
            Revalidation::Exclusive,
            Revalidation::Shared,
            Revalidation::Coherent,
        ]),
        per_thread in proptest::collection::vec(proptest::collection::vec(op(), 1..32), 2..=3),
        small_cache in any::<bool>(),
    ) {
        check_racing_threads(mode, &per_thread, if small_cache { 2 } else { 1000 })?;
    }
}

/// Threads racing on the same names of one tree serialize as the tree lock
/// orders them: each call's last attempt runs whole under the lock, so
/// applying every call to the kernel alone, one at a time, in the order
/// their last attempts took the lock, must give each call the result its
/// thread got and leave the same tree. (In a `Pool` mount every miss is
/// made with the tree unlocked and its answer used in a later attempt:
/// those answers must never let a call see a state that was not the tree's
/// at its turn.) `Hold`s answered under the read lock are ordered there.
fn check_racing_threads(
    mode: Revalidation,
    per_thread: &[Vec<Op>],
    cache_limit: usize,
) -> Result<(), TestCaseError> {
    /// Per call, in the order it took effect: thread, index, what it got.
    type Order = std::sync::Mutex<Vec<(usize, usize, Result<String, ErrorCode>)>>;
    let subject_dir = tempfile::tempdir().unwrap();
    let model_dir = tempfile::tempdir().unwrap();
    let fs = crate::Filesystem::with_limits(cache_limit, 64);
    let options = crate::MountOptions {
        revalidation: mode,
        blocking: crate::Blocking::Pool,
    };
    let mount = fs.mount_with(subject_dir.path(), options).unwrap();
    let root = mount.root();
    let order = Order::default();
    let start = std::sync::Barrier::new(per_thread.len());
    std::thread::scope(|s| {
        for (t, ops) in per_thread.iter().enumerate() {
            let (fs, order, start) = (&fs, &order, &start);
            s.spawn(move || {
                start.wait();
                let note = |i: usize, got: Result<String, ErrorCode>| {
                    order.lock().unwrap().push((t, i, got));
                };
                let mut held = std::collections::VecDeque::new();
                for (i, op) in ops.iter().enumerate() {
                    match op {
                        Op::Hold(p) => {
                            let cached = {
                                let tree = fs.read_counted(None);
                                let walk = tree
                                    .cached_walk(root, p, false)
                                    .filter(|walk| tree.acquire_walked(*walk));
                                if walk.is_some() {
                                    note(i, Ok(String::new()));
                                }
                                walk.map(|walk| walk.found)
                            };
                            let id = cached.map(Ok).unwrap_or_else(|| {
                                fs.deferring(None, None, |tree| {
                                    let walked = tree.walk_path(root, p, false);
                                    if !tree.puts_off() {
                                        note(i, walked.map(|_| String::new()));
                                    }
                                    walked
                                })
                            });
                            held.extend(id);
                        }
                        // No effect the kernel could see: not ordered.
                        Op::Drop => {
                            if let Some(id) = held.pop_front() {
                                let_go(fs, id);
                            }
                        }
                        op => fs.deferring(None, None, |tree| {
                            let got = Subject::new(tree, root).apply(op);
                            if !tree.puts_off() {
                                note(i, got);
                            }
                        }),
                    }
                    // Lets the others in: calls this short would otherwise
                    // run in long batches per thread.
                    std::thread::yield_now();
                }
                held.into_iter().for_each(|id| let_go(fs, id));
            });
        }
    });
    let order = order.into_inner().unwrap();
    if std::env::var_os("DIRECTFS_SHOW_INTERLEAVING").is_some() {
        let switches = order.windows(2).filter(|w| w[0].0 != w[1].0).count();
        eprintln!("{} calls, {switches} switches between threads", order.len());
    }
    let calls = per_thread
        .iter()
        .flatten()
        .filter(|op| !matches!(op, Op::Drop))
        .count();
    prop_assert_eq!(order.len(), calls, "every call took effect once");
    for (turn, (t, i, got)) in order.into_iter().enumerate() {
        let op = &per_thread[t][i];
        let want = model(model_dir.path(), op);
        prop_assert_eq!(got, want, "turn {}: thread {} op {} {:?}", turn, t, i, op);
    }
    prop_assert_eq!(snapshot(subject_dir.path()), snapshot(model_dir.path()));
    let tree = fs.lock();
    let (live, unreferenced) = tree.counts();
    prop_assert!(
        unreferenced <= cache_limit && live == unreferenced + 1,
        "{live} {unreferenced}"
    );
    tree.check_lru().map_err(TestCaseError::fail)?;
    agrees_with_the_kernel(&tree, root, subject_dir.path())
}

/// A walk to `path` as a frontend makes it on a shared filesystem: under
/// the read lock where the cache answers, else under the write lock.
fn hold(fs: &crate::Filesystem, root: DentryId, path: &str) -> Result<DentryId, ErrorCode> {
    let found = {
        let tree = fs.read_counted(None);
        tree.cached_walk(root, path, false)
            .filter(|walk| tree.acquire_walked(*walk))
    };
    match found {
        Some(walk) => Ok(walk.found),
        None => fs.deferring(None, None, |tree| tree.walk_path(root, path, false)),
    }
}

/// A release as a frontend makes it on a shared filesystem: under the read
/// lock where that is enough.
fn let_go(fs: &crate::Filesystem, id: DentryId) {
    let done = fs.read_counted(None).release_cached(id);
    if !done {
        fs.lock().release(id);
    }
}

/// Per thread, an operation sequence, applied to a directory of the
/// thread's own (`t0/`, `t1/`, …) on one shared tree while the other
/// threads apply theirs: each thread's results and the final trees must be
/// those of the kernel, with the cache (small, shared, evicting across
/// threads) and the FD budget shared.
fn check_threads(per_thread: &[Vec<Op>], cache_limit: usize) -> Result<(), TestCaseError> {
    let subject_dir = tempfile::tempdir().unwrap();
    let model_dir = tempfile::tempdir().unwrap();
    for t in 0..per_thread.len() {
        std::fs::create_dir(subject_dir.path().join(format!("t{t}"))).unwrap();
        std::fs::create_dir(model_dir.path().join(format!("t{t}"))).unwrap();
    }
    let fs = crate::Filesystem::with_limits(cache_limit, 64);
    // A pool mount: every miss is made with the tree unlocked, so the
    // threads' calls interleave there.
    let options = crate::MountOptions {
        revalidation: Revalidation::Exclusive,
        blocking: crate::Blocking::Pool,
    };
    let mount = fs.mount_with(subject_dir.path(), options).unwrap();
    let root = mount.root();
    let mismatches = std::thread::scope(|s| {
        let threads: Vec<_> = per_thread
            .iter()
            .enumerate()
            .map(|(t, ops)| {
                let (fs, model_dir) = (&fs, model_dir.path());
                s.spawn(move || {
                    let mut mismatches = Vec::new();
                    let mut held = std::collections::VecDeque::new();
                    for (i, op) in ops.iter().enumerate() {
                        let op = op.under(&format!("t{t}"));
                        let got = match &op {
                            // References kept and dropped under the read
                            // lock, while other threads change the tree.
                            Op::Hold(p) => hold(fs, root, p).map(|id| {
                                held.push_back(id);
                                String::new()
                            }),
                            Op::Drop => {
                                if let Some(id) = held.pop_front() {
                                    let_go(fs, id);
                                }
                                Ok(String::new())
                            }
                            _ => {
                                fs.deferring(None, None, |tree| Subject::new(tree, root).apply(&op))
                            }
                        };
                        let want = model(model_dir, &op);
                        if got != want {
                            mismatches
                                .push(format!("thread {t} op {i} {op:?}: {got:?} != {want:?}"));
                        }
                    }
                    held.into_iter().for_each(|id| let_go(fs, id));
                    mismatches
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    prop_assert!(mismatches.is_empty(), "{mismatches:#?}");
    prop_assert_eq!(snapshot(subject_dir.path()), snapshot(model_dir.path()));
    let tree = fs.lock();
    let (live, unreferenced) = tree.counts();
    prop_assert!(
        unreferenced <= cache_limit && live == unreferenced + 1,
        "{live} {unreferenced}"
    );
    prop_assert_eq!(tree.budget().used(), live);
    tree.check_lru().map_err(TestCaseError::fail)?;
    agrees_with_the_kernel(&tree, root, subject_dir.path())
}

/// What the tree keeps agrees with the host: every named dentry's path
/// names its file there (same `(st_dev, st_ino)` and type), and every
/// remembered `no-entry` is absent there.
fn agrees_with_the_kernel(tree: &Tree, root: DentryId, host: &Path) -> Result<(), TestCaseError> {
    let path_of = |mut id: DentryId| -> Option<String> {
        let mut parts = Vec::new();
        loop {
            match &tree.get(id).ok()?.link {
                super::Link::Root if id == root => break,
                super::Link::Child { parent, name } => {
                    parts.push(name.to_string());
                    id = *parent;
                }
                super::Link::Root | super::Link::Unlinked => return None,
            }
        }
        parts.reverse();
        Some(parts.join("/"))
    };
    for (index, slot) in tree.slots.iter().enumerate() {
        let Some(d) = &slot.dentry else { continue };
        let id = DentryId {
            index: index as u32,
            generation: slot.generation,
        };
        let Some(path) = path_of(id) else { continue };
        let m = std::fs::symlink_metadata(host.join(&path))
            .map_err(|e| TestCaseError::fail(format!("dentry {path}: {e}")))?;
        prop_assert_eq!(
            (m.dev(), m.ino(), crate::sys::file_type_of_mode(m.mode())),
            (d.key.0, d.key.1, d.file_type),
            "dentry {}",
            path
        );
    }
    for (parent, name) in tree.negatives.entries() {
        let Some(dir) = path_of(parent) else { continue };
        let path = host.join(&dir).join(name);
        prop_assert!(
            std::fs::symlink_metadata(&path).is_err(),
            "remembered no-entry {} exists",
            path.display()
        );
    }
    Ok(())
}

impl Op {
    /// The same operation with every path under `dir/`.
    fn under(&self, dir: &str) -> Op {
        let p = |path: &String| format!("{dir}/{path}");
        match self {
            Op::Mkdir(a, opened) => Op::Mkdir(p(a), *opened),
            Op::Create(a) => Op::Create(p(a)),
            Op::Write(a, off, len) => Op::Write(p(a), *off, *len),
            Op::Truncate(a, size) => Op::Truncate(p(a), *size),
            Op::Unlink(a) => Op::Unlink(p(a)),
            Op::Rmdir(a) => Op::Rmdir(p(a)),
            Op::Rename(a, b, noreplace) => Op::Rename(p(a), p(b), *noreplace),
            Op::Exchange(a, b) => Op::Exchange(p(a), p(b)),
            Op::Link(a, b) => Op::Link(p(a), p(b)),
            Op::Symlink(a, target) => Op::Symlink(p(a), target.clone()),
            Op::Hold(a) => Op::Hold(p(a)),
            Op::Drop => Op::Drop,
            Op::Stat(a) => Op::Stat(p(a)),
            Op::Read(a) => Op::Read(p(a)),
            Op::List(a) => Op::List(p(a)),
            Op::Host(op) => Op::Host(Box::new(op.under(dir))),
        }
    }
}

/// The stress test: threads × contexts applying random operations to the
/// same names of one mount at once (so their results depend on the
/// interleaving and are not compared), some contexts keeping dentries held
/// when they are dropped; then the tree must agree with the kernel, hold no
/// reference, and keep its FD bound.
#[test]
fn threads_and_contexts_on_one_mount_leave_a_tree_that_agrees_with_the_kernel() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

    const THREADS: usize = 4;
    const CONTEXTS: usize = 6;
    const OPS: usize = 500;
    let dir = tempfile::tempdir().unwrap();
    let fs = crate::Filesystem::with_limits(6, 48);
    let mount = fs.mount(dir.path(), Revalidation::Exclusive).unwrap();
    let root = mount.root();
    let results = std::thread::scope(|s| {
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let mount = &mount;
                s.spawn(move || {
                    let mut seed = [0u8; 32];
                    seed[0] = t as u8;
                    let mut runner = TestRunner::new_with_rng(
                        Default::default(),
                        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
                    );
                    let (mut ok, mut failed) = (0, 0);
                    for c in 0..CONTEXTS {
                        let mut ctx = crate::DirectfsCtx::builder()
                            .mount(mount, "/", Perms::ReadWrite)
                            .unwrap()
                            .build();
                        let mut held = std::collections::VecDeque::new();
                        for i in 0..OPS {
                            let op = op().new_tree(&mut runner).unwrap().current();
                            let result = match &op {
                                Op::Hold(p) => ctx
                                    .walk_path_cached(root, p, false)
                                    .map_or_else(
                                        || ctx.deferring(|tree| tree.walk_path(root, p, false)),
                                        Ok,
                                    )
                                    .map(|id| {
                                        ctx.note_held(id);
                                        held.push_back(id);
                                    }),
                                Op::Drop => {
                                    if let Some(id) = held.pop_front() {
                                        ctx.note_released(id);
                                        ctx.release(id);
                                    }
                                    Ok(())
                                }
                                _ => ctx
                                    .deferring(|tree| Subject::new(tree, root).apply(&op))
                                    .map(drop),
                            };
                            if result.is_ok() {
                                ok += 1
                            } else {
                                failed += 1
                            }
                            // Now and then the guest keeps what it walked to,
                            // and never drops it: the context's drop must.
                            if (i + c) % 17 == 0 {
                                let held = ctx.tree().walk_path(root, &path_of_op(&op), false);
                                if let Ok(id) = held {
                                    ctx.note_held(id);
                                }
                            }
                        }
                        drop(ctx);
                    }
                    (ok, failed)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    let tree = fs.lock();
    let (live, unreferenced) = tree.counts();
    println!(
        "{THREADS} threads × {CONTEXTS} contexts × {OPS} ops (ok, failed): {results:?}; \
         {live} dentries left, peak host FDs {} of {}",
        tree.budget().peak(),
        tree.budget().limit()
    );
    assert!(results.iter().all(|&(ok, _)| ok > 0), "{results:?}");
    assert_eq!(
        live,
        unreferenced + 1,
        "no reference left after every context dropped"
    );
    assert!(unreferenced <= 6);
    assert_eq!(tree.budget().used(), live);
    assert!(tree.budget().peak() <= tree.budget().limit());
    tree.check_lru().unwrap();
    agrees_with_the_kernel(&tree, root, dir.path()).unwrap();
    drop(tree);
    // A fresh walk of everything on the host agrees too.
    let host = snapshot(dir.path());
    let mut tree = fs.lock();
    for path in host.keys() {
        let id = tree.walk_path(root, path, false).unwrap();
        let m = std::fs::symlink_metadata(dir.path().join(path)).unwrap();
        assert_eq!(tree.get(id).unwrap().key, (m.dev(), m.ino()), "{path}");
        tree.release(id);
    }
}

/// The first path an operation names.
fn path_of_op(op: &Op) -> String {
    match op {
        Op::Mkdir(p, _)
        | Op::Create(p)
        | Op::Write(p, ..)
        | Op::Truncate(p, _)
        | Op::Unlink(p)
        | Op::Rmdir(p)
        | Op::Rename(p, ..)
        | Op::Exchange(p, _)
        | Op::Link(p, _)
        | Op::Symlink(p, _)
        | Op::Hold(p)
        | Op::Stat(p)
        | Op::Read(p)
        | Op::List(p) => p.clone(),
        Op::Host(op) => path_of_op(op),
        Op::Drop => String::new(),
    }
}
