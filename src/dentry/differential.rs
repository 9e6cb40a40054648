//! The differential model test: random sequences of operations, applied
//! through the dentry tree and, equivalently, through plain syscalls on a
//! second directory (the model, which trusts the kernel), must give the same
//! result for every operation (`Ok` or the same error code) and leave
//! identical trees: names, types, sizes, contents, modes, link counts,
//! symlink targets.
//!
//! Names come from a tiny set so that operations collide, paths go through
//! symlinks, and the cache (kept small here) evicts, revalidates nothing
//! (exclusive mode: every change goes through the tree) and must still agree
//! with the host. `PROPTEST_CASES` runs more cases on demand.

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
use crate::types::{FsPerms, PreopenOptions, Revalidation};
use crate::types::{OpenFlags, RenameFlags};

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

#[derive(Debug, Clone)]
enum Op {
    Mkdir(String),
    Create(String),
    Write(String, u8, u8),
    Truncate(String, u8),
    Unlink(String),
    Rmdir(String),
    Rename(String, String, bool),
    Exchange(String, String),
    Link(String, String),
    Symlink(String, &'static str),
}

fn path() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(&NAMES[..]), 1..=3)
        .prop_map(|parts| parts.join("/"))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        path().prop_map(Op::Mkdir),
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
        (path(), proptest::sample::select(&NAMES[..])).prop_map(|(p, t)| Op::Symlink(p, t)),
    ]
}

/// `dir/name` → (`dir`, `name`).
fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// The tree under test.
struct Subject {
    tree: Tree,
    root: DentryId,
}

impl Subject {
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
        let result = f(&mut self.tree, dir, Name::parse(split(path).1)?);
        self.tree.release(dir);
        result
    }

    fn apply(&mut self, op: &Op) -> Result<(), ErrorCode> {
        match op {
            Op::Mkdir(p) => self.with_parent(p, |t, d, n| {
                t.mkdir(d, n, 0o755, None).map(|id| t.release(id))
            }),
            Op::Create(p) => self.with_parent(p, |t, d, n| {
                t.create(d, n, OpenFlags::WRITE, 0o644, None)
                    .map(|(id, _handle)| t.release(id))
            }),
            Op::Write(p, off, len) => {
                let file = self.tree.walk_path(self.root, p, false)?;
                let result = self.tree.open(file, OpenFlags::WRITE).and_then(|h| {
                    h.write(u64::from(*off), &vec![b'x'; usize::from(*len)], 1 << 20)
                        .map(drop)
                });
                self.tree.release(file);
                result
            }
            Op::Truncate(p, size) => {
                let file = self.tree.walk_path(self.root, p, false)?;
                let result = self
                    .tree
                    .open(file, OpenFlags::WRITE)
                    .and_then(|h| h.set_size(u64::from(*size)));
                self.tree.release(file);
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
                let target = self.tree.walk_path(self.root, a, false)?;
                let result =
                    self.with_parent(b, |t, d, n| t.link(d, target, n).map(|id| t.release(id)));
                self.tree.release(target);
                result
            }
            Op::Symlink(p, target) => self.with_parent(p, |t, d, n| {
                t.symlink(d, n, target, None).map(|id| t.release(id))
            }),
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
/// the kernel resolving the (relative, in-tree) symlinks.
fn model(root: &Path, op: &Op) -> Result<(), ErrorCode> {
    let at = |p: &str| CString::new(root.join(p).into_os_string().into_encoded_bytes()).unwrap();
    let cwd = nix::fcntl::AT_FDCWD;
    let errno = |e: Errno| ErrorCode::from(e);
    let result: Result<(), Errno> = match op {
        Op::Mkdir(p) => {
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
        Op::Symlink(p, target) => nix::unistd::symlinkat(*target, cwd, at(p).as_c_str()),
    };
    result.map_err(errno)
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

fn check(ops: &[Op], cache_limit: usize) -> Result<(), TestCaseError> {
    let subject_dir = tempfile::tempdir().unwrap();
    let model_dir = tempfile::tempdir().unwrap();
    let fd = cap_std::fs::Dir::open_ambient_dir(subject_dir.path(), cap_std::ambient_authority())
        .unwrap();
    let mut tree = Tree::default();
    tree.set_cache_limits(cache_limit, 8);
    let policy = PreopenOptions {
        perms: FsPerms::ReadWrite,
        revalidation: Revalidation::Exclusive,
    };
    let root = tree.add_root(fd.into_std_file().into(), policy).unwrap();
    let mut subject = Subject { tree, root };
    for (i, op) in ops.iter().enumerate() {
        let got = subject.apply(op);
        let want = model(model_dir.path(), op);
        prop_assert_eq!(got, want, "op {} {:?}", i, op);
    }
    prop_assert_eq!(snapshot(subject_dir.path()), snapshot(model_dir.path()));
    // Everything the test walked was released: only the cache holds dentries.
    let (live, unreferenced) = subject.tree.counts();
    prop_assert!(
        unreferenced <= cache_limit && live == unreferenced + 1,
        "{live} {unreferenced}"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn tree_agrees_with_the_kernel(ops in proptest::collection::vec(op(), 1..48), small_cache in any::<bool>()) {
        check(&ops, if small_cache { 2 } else { 1000 })?;
    }
}
