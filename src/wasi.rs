//! Standard `wasi:filesystem` (`types` and `preopens`, WASI 0.2) served from
//! the dentry tree, so unmodified programs (Rust's `std::fs`, C's stdio)
//! get the same fd-relative host access as `directfs:fs` guests.
//!
//! A [`Descriptor`] is a guest reference to a dentry (one reference, as a
//! `directfs:fs` `dentry` resource), and for a file also an open
//! [`Handle`]. Every `*-at` call walks its path through the dentry tree,
//! confined beneath the descriptor it starts from (no host path is built,
//! the kernel never follows a symlink), and lands on the same `*at`
//! syscalls as `directfs:fs`.
//!
//! # Compatibility
//! The behaviour follows wasmtime-wasi 48's own implementation, call by call,
//! so a program sees the same results under either (the differential tests
//! in `tests/wasi_fs.rs` hold them to it). The intended differences:
//! - Inode numbers (`metadata-hash`, hence `st_ino` in the guest) are the
//!   small stable numbers of [`crate::Stat`], not a hash of the host's.
//! - `status-change-timestamp` is the host's `st_ctime` (the WIT's meaning);
//!   wasmtime-wasi returns the birth time.
//! - FIFOs and sockets have their own `descriptor-type`s (wasmtime-wasi:
//!   `unknown`).
//! - Preopens are separate mounts: `rename-at` and `link-at` between two of
//!   them fail with `cross-device`.
//! - A directory entry whose name is not UTF-8 is left out of
//!   `read-directory` (wasmtime-wasi returns `illegal-byte-sequence` in its
//!   place).
//! - Host resources are bounded: descriptors and directory streams count
//!   towards [`crate::Limits::max_open`] (past it: `insufficient-memory`).

mod calls;
mod convert;
mod host;
mod host_async;
pub mod p3;
pub(crate) mod resources;
mod stream;

pub(crate) use self::resources::DescriptorKind;
pub use self::resources::{Descriptor, DirectoryEntryStream};

use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::WasiView;

use crate::bindings::wasi::wasi::filesystem::{preopens, types};
use crate::ctx::{Directfs, DirectfsCtxView, DirectfsView};
use crate::dentry::{Confine, DentryId, MAX_SYMLINK_FOLLOWS, Tree};
use crate::error::ErrorCode;
use crate::handle::Handle;
use crate::name::{Name, check_path};
use crate::types::{FileType, OpenFlags};

/// Adds `wasi:filesystem/types` and `wasi:filesystem/preopens`, served from
/// each store's [`DirectfsView`], to `linker`, replacing wasmtime-wasi's own.
///
/// Call it after `wasmtime_wasi::p2::add_to_linker_sync` (which adds the
/// rest of WASI: `wasi:io` streams, clocks, random, cli): the filesystem
/// interfaces it added are shadowed, and the guest's streams from
/// `read-via-stream` and friends are read and written through its
/// `wasi:io/streams`. The linker's shadowing setting is left off afterwards.
///
/// # Errors
/// If wasmtime-wasi's `wasi:filesystem` is not in `linker` yet (called in
/// the wrong order: wasmtime-wasi's `add_to_linker_sync` would then fail
/// with "defined twice"), with a message that says so; `linker` is left as
/// it was.
///
/// # Traps
/// The streams this hands out are wasmtime-wasi's `wasi:io` resources, so
/// they must live in the table wasmtime-wasi looks in: the store's
/// [`DirectfsView::directfs`] and `WasiView::ctx` must return the **same**
/// [`wasmtime::component::ResourceTable`]. Where they do not, every
/// `wasi:filesystem` call that hands out or takes a resource (from the first
/// `get-directories` on) traps with a message that says so, instead of a
/// "resource not present" trap later on.
pub fn add_to_linker<T: DirectfsView + WasiView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    replace_filesystem(
        linker,
        "add_to_linker",
        "add_to_linker_sync (or _async)",
        |linker| {
            types::add_to_linker::<T, Directfs>(linker, view::<T>)
                .and_then(|()| preopens::add_to_linker::<T, Directfs>(linker, view::<T>))
        },
    )
}

/// [`add_to_linker`] for async hosts, after
/// `wasmtime_wasi::p2::add_to_linker_async`: the same `wasi:filesystem`,
/// whose calls on a mount with [`crate::Blocking::Pool`] make their
/// syscalls on tokio's blocking pool (file streams too) while the executor
/// runs other tasks; calls on other mounts run inline, as with
/// [`add_to_linker`].
///
/// # Errors
/// As [`add_to_linker`] (wasmtime-wasi's `wasi:filesystem` must be in
/// `linker` first).
///
/// # Traps
/// As [`add_to_linker`].
pub fn add_to_linker_async<T: DirectfsView + WasiView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    use crate::bindings::wasi_async::wasi::filesystem::{preopens, types};
    replace_filesystem(
        linker,
        "add_to_linker_async",
        "add_to_linker_async",
        |linker| {
            types::add_to_linker::<T, Directfs>(linker, view_async::<T>)
                .and_then(|()| preopens::add_to_linker::<T, Directfs>(linker, view_async::<T>))
        },
    )
}

/// Adds directfs's `wasi:filesystem` to `linker` with `add`, in place of
/// wasmtime-wasi's, which must be there already (else an error that names
/// `ours`, directfs's function, and `theirs`, wasmtime-wasi's to call
/// first); `linker` is then left as it was. The linker's shadowing setting
/// is left off afterwards.
fn replace_filesystem<T: 'static>(
    linker: &mut Linker<T>,
    ours: &str,
    theirs: &str,
    add: impl Fn(&mut Linker<T>) -> wasmtime::Result<()>,
) -> wasmtime::Result<()> {
    // Added without shadowing, to a copy: if that works, there was nothing
    // to replace, i.e. wasmtime-wasi comes later (or not at all).
    let mut probe = linker.clone();
    probe.allow_shadowing(false);
    if add(&mut probe).is_ok() {
        wasmtime::bail!(
            "directfs::wasi::{ours} replaces wasmtime-wasi's wasi:filesystem, which is not in \
             the linker yet: call wasmtime_wasi::p2::{theirs} first, then \
             directfs::wasi::{ours}"
        );
    }
    linker.allow_shadowing(true);
    let added = add(linker);
    linker.allow_shadowing(false);
    added
}

/// [`view`] for [`add_to_linker_async`]: also marks the context as on an
/// async host.
fn view_async<T: DirectfsView + WasiView>(data: &mut T) -> DirectfsCtxView<'_> {
    let view = view(data);
    view.ctx.async_host = true;
    view
}

/// The view `wasi:filesystem` is served from: the store's
/// [`DirectfsView`], with [`crate::DirectfsCtx::tables_differ`] set from a
/// comparison with wasmtime-wasi's table.
fn view<T: DirectfsView + WasiView>(data: &mut T) -> DirectfsCtxView<'_> {
    let wasi_table: *const ResourceTable = WasiView::ctx(data).table;
    let view = data.directfs();
    view.ctx.tables_differ = !std::ptr::eq(&*view.table, wasi_table);
    view
}

/// The last component of a path given to a `*-at` call that makes or
/// removes a name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Last<'a> {
    /// A name, and whether the path ended in `/`.
    Name(Name<'a>, bool),
    /// `.` or `..` (already checked not to leave the start directory); the
    /// directory `op` gets is the one they name.
    Dots,
}

/// Walks `path` from directory `dir` as `wasi:filesystem` does: confined
/// beneath `dir`, following a final symlink if `follow`. Returns the dentry
/// with one new guest reference.
pub(crate) fn walk(
    tree: &mut Tree,
    dir: DentryId,
    path: &str,
    follow: bool,
) -> Result<DentryId, ErrorCode> {
    tree.walk_path_confined(dir, path, follow, Confine::Beneath)
}

/// Runs `op` on the dentry `path` names (see [`walk`]), then drops the
/// walk's reference.
pub(crate) fn with_walked<R>(
    tree: &mut Tree,
    dir: DentryId,
    path: &str,
    follow: bool,
    op: impl FnOnce(&mut Tree, DentryId) -> Result<R, ErrorCode>,
) -> Result<R, ErrorCode> {
    let id = walk(tree, dir, path, follow)?;
    let result = op(tree, id);
    tree.release(id);
    result
}

/// Runs `op` on the directory that holds the last component of `path` and
/// that component: every component but the last is walked (symlinks
/// followed, confined beneath `dir`), the last is left to `op`.
pub(crate) fn with_parent<R>(
    tree: &mut Tree,
    dir: DentryId,
    path: &str,
    op: impl FnOnce(&mut Tree, DentryId, Last<'_>) -> Result<R, ErrorCode>,
) -> Result<R, ErrorCode> {
    check_path(path)?;
    let trimmed = path.trim_end_matches('/');
    let trailing_slash = trimmed.len() != path.len();
    let (parent_path, last) = match trimmed.rsplit_once('/') {
        Some(("", last)) => ("/", last),
        Some(split) => split,
        // All slashes: an absolute path.
        None if trimmed.is_empty() => return Err(ErrorCode::NotPermitted),
        None => (".", trimmed),
    };
    if last == "." || last == ".." {
        // Walked whole, so a `..` above `dir` fails as any walk would; `op`
        // gets the directory the dots name.
        return with_walked(tree, dir, path, false, |tree, id| op(tree, id, Last::Dots));
    }
    let name = Name::parse(last)?;
    let parent = walk(tree, dir, parent_path, true)?;
    let result = match tree.file_type(parent) {
        Ok(FileType::Directory) => op(tree, parent, Last::Name(name, trailing_slash)),
        Ok(_) => Err(ErrorCode::NotDirectory),
        Err(err) => Err(err),
    };
    tree.release(parent);
    result
}

/// What `path`, whose last component ends in `/`, resolves to, walked from
/// `dir` as a directory (symlinks followed, confined beneath `dir`): `Ok`
/// for a directory, else the walk's error — `no-entry` for nothing (a
/// dangling symlink included), `not-directory` for anything else. A
/// trailing `/` on a name to be made or removed asks for exactly this, as in
/// Linux and wasmtime-wasi (and the WASI test suite's `*_trailing_slashes`
/// programs).
pub(crate) fn resolve_slashed(tree: &mut Tree, dir: DentryId, path: &str) -> Result<(), ErrorCode> {
    let id = walk(tree, dir, path, true)?;
    tree.release(id);
    Ok(())
}

/// The error of making `path` (`link-at`, `symlink-at`) when it ends in `/`:
/// such a name must already be a directory ([`resolve_slashed`]), so the
/// call fails with `already-exists` if it is, or the walk's error if not.
pub(crate) fn slashed_made(tree: &mut Tree, dir: DentryId, path: &str) -> ErrorCode {
    match resolve_slashed(tree, dir, path) {
        Ok(()) => ErrorCode::AlreadyExists,
        Err(err) => err,
    }
}

/// What the guest's `open-at` flags ask for, in either WASI version.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OpenIntent {
    /// `open-flags`: `create`, `exclusive`, `truncate`, `directory`.
    pub(crate) create: bool,
    pub(crate) exclusive: bool,
    pub(crate) truncate: bool,
    pub(crate) directory: bool,
    /// `descriptor-flags`: `read`, `write`, and whether any of the sync
    /// flags is set.
    pub(crate) read: bool,
    pub(crate) write: bool,
    pub(crate) sync: bool,
}

impl OpenIntent {
    /// Whether the open writes: `create`, `truncate` or `write`.
    pub(crate) fn writes(&self) -> bool {
        self.create || self.truncate || self.write
    }
}

/// What `open-at` asks for, checked as wasmtime-wasi checks it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenRequest {
    /// `directfs:fs` open flags: the access mode, `truncate`, `directory`.
    pub(crate) flags: OpenFlags,
    pub(crate) create: bool,
    pub(crate) exclusive: bool,
    pub(crate) follow: bool,
}

impl OpenRequest {
    /// Checks `open-at`'s flags (before any syscall, as wasmtime-wasi):
    /// a write without a writable preopen → `not-permitted`, sync flags →
    /// `not-supported`, `directory` with `create`/`exclusive`/`truncate` →
    /// `invalid`. A file is opened for reading unless only `write` is asked.
    pub(crate) fn new(follow: bool, intent: OpenIntent, writable: bool) -> Result<Self, ErrorCode> {
        let OpenIntent {
            create,
            exclusive,
            truncate,
            directory,
            read,
            write,
            sync,
        } = intent;
        let writes = intent.writes();
        let reads = read || !write;
        if sync {
            return Err(ErrorCode::NotSupported);
        }
        if directory && (create || exclusive || truncate) {
            return Err(ErrorCode::Invalid);
        }
        if writes && !writable {
            return Err(ErrorCode::NotPermitted);
        }
        let mut open = OpenFlags::empty();
        for (wanted, flag) in [
            (reads, OpenFlags::READ),
            (writes, OpenFlags::WRITE),
            (truncate, OpenFlags::TRUNCATE),
            (directory, OpenFlags::DIRECTORY),
        ] {
            if wanted {
                open |= flag;
            }
        }
        Ok(Self {
            flags: open,
            create,
            exclusive,
            follow,
        })
    }
}

/// `open-at`: walks (or creates) `path` under `dir` and opens it. Returns
/// the new descriptor, which owns one reference on its dentry.
///
/// Creating through a dangling symlink creates its target, as `O_CREAT`
/// does: the target is walked from the symlink's directory, still confined
/// beneath `dir`.
pub(crate) fn open_at(
    tree: &mut Tree,
    dir: DentryId,
    path: &str,
    req: OpenRequest,
) -> Result<Descriptor, ErrorCode> {
    if !req.create {
        let id = walk(tree, dir, path, req.follow)?;
        return open_existing(tree, id, req);
    }
    let mut path = path.to_owned();
    for _ in 0..=MAX_SYMLINK_FOLLOWS {
        match create_or_open(tree, dir, &path, req)? {
            Created::Opened(descriptor) => return Ok(descriptor),
            Created::Dangling(target) => {
                let parent = match path.trim_end_matches('/').rsplit_once('/') {
                    Some((parent, _)) => parent,
                    None => ".",
                };
                path = format!("{parent}/{target}");
            }
        }
    }
    Err(ErrorCode::Loop)
}

/// What one step of a creating [`open_at`] came to.
enum Created {
    Opened(Descriptor),
    /// The last component is a dangling symlink to this (relative) target.
    Dangling(String),
}

fn create_or_open(
    tree: &mut Tree,
    dir: DentryId,
    path: &str,
    req: OpenRequest,
) -> Result<Created, ErrorCode> {
    with_parent(tree, dir, path, |tree, parent, last| {
        let name = match last {
            // `O_CREAT` on `.`, `..` or `name/`: what Linux and wasmtime-wasi
            // answer (`O_EXCL` on `name/` too).
            Last::Dots if req.exclusive => return Err(ErrorCode::AlreadyExists),
            Last::Dots | Last::Name(_, true) => return Err(ErrorCode::IsDirectory),
            Last::Name(name, false) => name,
        };
        let create = |tree: &mut Tree| {
            let (child, handle) = tree.create(parent, name, req.flags, 0o666, None)?;
            Ok(Created::Opened(Descriptor {
                dentry: child,
                kind: file_kind(handle, req.flags),
            }))
        };
        if req.exclusive {
            return create(tree);
        }
        // A name the tree knows nothing of is created first: for a new file
        // that is one `openat(O_CREAT | O_EXCL)` instead of a failed lookup
        // and then it. An existing name of any type fails with `exist` (a
        // symlink too: `O_EXCL` does not follow it) and is walked.
        if !tree.knows_name(parent, name) {
            match create(tree) {
                Err(ErrorCode::AlreadyExists) => {}
                created => return created,
            }
        }
        match tree.walk(parent, name) {
            Ok(child) if req.follow && tree.file_type(child) == Ok(FileType::SymbolicLink) => {
                // Followed from `dir`, the walk's own start: a relative
                // target resolves from the symlink's directory, and only one
                // that leaves `dir` is refused.
                let result = match walk(tree, dir, path, true) {
                    Ok(target) => open_existing(tree, target, req).map(Created::Opened),
                    Err(ErrorCode::NoEntry) => match tree.readlink(child) {
                        Ok(link) if link.starts_with('/') => Err(ErrorCode::NotPermitted),
                        Ok(link) => Ok(Created::Dangling(link)),
                        Err(err) => Err(err),
                    },
                    Err(err) => Err(err),
                };
                tree.release(child);
                result
            }
            Ok(child) => open_existing(tree, child, req).map(Created::Opened),
            // Gone since (or never there, for a known name).
            Err(ErrorCode::NoEntry) => create(tree),
            Err(err) => Err(err),
        }
    })
}

/// Opens dentry `id` (on which the caller holds a reference that the
/// descriptor takes over; released here on failure).
fn open_existing(tree: &mut Tree, id: DentryId, req: OpenRequest) -> Result<Descriptor, ErrorCode> {
    let opened = tree.open(id, req.flags).and_then(|handle| {
        Ok(match tree.file_type(id)? {
            // A directory is used through its dentry; the open only checked
            // that the guest may (as wasmtime-wasi opens it).
            FileType::Directory => DescriptorKind::Directory { mutate: false },
            _ => file_kind(handle, req.flags),
        })
    });
    match opened {
        Ok(kind) => Ok(Descriptor { dentry: id, kind }),
        Err(err) => {
            tree.release(id);
            Err(err)
        }
    }
}

fn file_kind(handle: Handle, flags: OpenFlags) -> DescriptorKind {
    DescriptorKind::File {
        handle,
        read: flags.contains(OpenFlags::READ),
        write: flags.contains(OpenFlags::WRITE),
    }
}
