//! The model test with threads: each on a directory of its own (every
//! result compared with the kernel's), racing on the same names (the
//! results must serialize in the order the calls took the tree lock), and
//! a stress test of threads × contexts on the same names (then the tree
//! must agree with the kernel).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use proptest::prelude::*;

use super::{Op, Subject, model, op, snapshot};
use crate::dentry::{DentryId, Tree};
use crate::error::ErrorCode;
use crate::types::{Perms, Revalidation};

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

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
                                fs.deferring(None, None, None, |tree| {
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
                        op => fs.deferring(None, None, None, |tree| {
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
        None => fs.deferring(None, None, None, |tree| tree.walk_path(root, path, false)),
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
                            _ => fs.deferring(None, None, None, |tree| {
                                Subject::new(tree, root).apply(&op)
                            }),
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
                crate::dentry::Link::Root if id == root => break,
                crate::dentry::Link::Child { parent, name } => {
                    parts.push(name.to_string());
                    id = *parent;
                }
                crate::dentry::Link::Root | crate::dentry::Link::Unlinked => return None,
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
