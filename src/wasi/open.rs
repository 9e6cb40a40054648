//! `open-at` in either WASI version: the guest's flags checked as
//! wasmtime-wasi checks them, then the walk (or creation) and the open.

use super::{Descriptor, DescriptorKind};
use crate::dentry::{
    DentryId, Last, MAX_SYMLINK_FOLLOWS, Tree, ends_in_name, walk_beneath, with_parent,
};
use crate::error::ErrorCode;
use crate::handle::Handle;
use crate::name::check_path;
use crate::types::{FileType, OpenFlags};

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
        if let Some(descriptor) = open_name(tree, dir, path, req)? {
            return Ok(descriptor);
        }
        let id = walk_beneath(tree, dir, path, req.follow)?;
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

/// `open-at` of a path ending in a name the tree caches nothing of, for a
/// file neither created nor asked to be a directory: the name
/// opened in its directory by the kernel ([`Tree::open_private`]: two
/// syscalls, as wasmtime-wasi's, and no dentry cached for a file opened
/// once). `None` where the caller walks the path instead: a path not ending
/// in a name, a name the tree caches (a dentry re-opened by name is as
/// cheap, and a remembered `no-entry` cheaper), a symlink, a directory.
fn open_name(
    tree: &mut Tree,
    dir: DentryId,
    path: &str,
    req: OpenRequest,
) -> Result<Option<Descriptor>, ErrorCode> {
    if !ends_in_name(path) || req.flags.contains(OpenFlags::DIRECTORY) {
        return Ok(None);
    }
    // A NUL anywhere is `invalid` before any walk, as a walk of the whole
    // path answers it (`with_parent` answers one in the last name after the
    // walk to it).
    check_path(path)?;
    with_parent(tree, dir, path, |tree, parent, last| {
        let Last::Name(name, false) = last else {
            return Ok(None);
        };
        if tree.knows_name(parent, name) {
            return Ok(None);
        }
        let opened = tree.open_private(parent, name, req.flags)?;
        Ok(opened.map(|(dentry, handle)| Descriptor {
            dentry,
            kind: file_kind(handle, req.flags),
        }))
    })
}

/// What one step of a creating [`open_at`] came to.
enum Created {
    Opened(Descriptor),
    /// The last component is a symlink to this (relative) target, to be
    /// walked (and created) in its place: dangling, or ending in `/`.
    Dangling(String),
}

fn create_or_open(
    tree: &mut Tree,
    dir: DentryId,
    path: &str,
    req: OpenRequest,
) -> Result<Created, ErrorCode> {
    // A NUL anywhere is `invalid` before any walk, as wasmtime-wasi answers
    // an open (`with_parent` answers one in the last name after the walk).
    check_path(path)?;
    with_parent(tree, dir, path, |tree, parent, last| {
        let name = match last {
            // `O_CREAT` on `.`, `..` or `name/`: what Linux and wasmtime-wasi
            // answer (`O_EXCL` on `name/` too).
            Last::Dots if req.exclusive => return Err(ErrorCode::AlreadyExists),
            Last::Dots | Last::Name(_, true) => return Err(ErrorCode::IsDirectory),
            Last::Name(name, false) => name,
        };
        let create = |tree: &mut Tree| {
            let (child, handle) = tree.create_private(parent, name, req.flags, 0o666)?;
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
            // Found there lately (by the `O_EXCL` attempt below): opened
            // first, as it was then.
            let existing = tree.found_existing(parent, name);
            if !existing {
                match create(tree) {
                    Err(ErrorCode::AlreadyExists) => tree.note_existing(parent, name),
                    created => return created,
                }
            }
            // There: opened by name as `open_name` opens one (a symlink or
            // a directory is walked below). Gone: created.
            match tree.open_private(parent, name, req.flags) {
                Ok(Some((dentry, handle))) => {
                    return Ok(Created::Opened(Descriptor {
                        dentry,
                        kind: file_kind(handle, req.flags),
                    }));
                }
                Ok(None) => {}
                Err(ErrorCode::NoEntry) => {
                    tree.forget_existing(parent, name);
                    return create(tree);
                }
                Err(err) => return Err(err),
            }
        }
        match tree.walk(parent, name) {
            Ok(child) if req.follow && tree.file_type(child) == Ok(FileType::SymbolicLink) => {
                // A relative target is walked as a path to create (the next
                // round), one symlink at a time, as Linux's `O_CREAT` follows
                // them: a target ending in `/` is `is-directory` once the
                // walk to its last name succeeds, whatever that name is
                // (`ln -s file/ l; open l O_CREAT`), at any depth of the
                // chain (`ln -s d/ d; ln -s d l`: not `loop`).
                if let Ok(link) = tree.readlink(child)
                    && !link.starts_with('/')
                {
                    tree.release(child);
                    return Ok(Created::Dangling(link));
                }
                // An absolute target (or an unreadable link), followed from
                // `dir`, the walk's own start: refused where it leaves `dir`.
                let result = match walk_beneath(tree, dir, path, true) {
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
            // Gone since (or never there, for a known name): created. Made
            // meanwhile by another process (the `O_EXCL` create's `exist`,
            // which drops a remembered `no-entry`: `Tree::name_taken`):
            // opened, as Linux's `O_CREAT` opens a name made under it (an
            // `exist` would make SQLite open its database read-only).
            Err(ErrorCode::NoEntry) => match create(tree) {
                Err(ErrorCode::AlreadyExists) => match tree.walk(parent, name) {
                    Ok(child)
                        if req.follow && tree.file_type(child) == Ok(FileType::SymbolicLink) =>
                    {
                        // A symlink made meanwhile: not followed here.
                        tree.release(child);
                        Err(ErrorCode::AlreadyExists)
                    }
                    Ok(child) => open_existing(tree, child, req).map(Created::Opened),
                    Err(err) => Err(err),
                },
                created => created,
            },
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
