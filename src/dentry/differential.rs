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

mod threads;

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
        let got = match op {
            // Made by another process between the tree's calls: its events
            // wait in the kernel's queue with those of the tree's own
            // changes before it (which the next drain skips).
            Op::Host(change) => model(subject_dir.path(), change),
            op => {
                // A call's start, as `Filesystem::lock` makes it: the
                // kernel's notifications read and taken in, a new
                // generation.
                let changed = subject.tree.watcher.drain();
                subject.tree.next_generation();
                if changed {
                    subject.tree.apply_changes();
                }
                subject.apply(op)
            }
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
}
