//! [`DirectfsCtxBuilder`]: a context from mounts or host directories.

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;

use foldhash::HashMap;

use wasmtime::error::Context as _;

use crate::interrupt::Interrupter;
pub use crate::types::{MountOptions, Perms, PreopenOptions};

use super::{DirectfsCtx, Preopen};
use crate::fs::{Filesystem, Limits, Mount, Tally};

/// Builds a [`DirectfsCtx`]: from [`Mount`]s of a shared [`Filesystem`]
/// ([`Self::mount`]), or from host directories ([`Self::preopen`]), which
/// go into a filesystem of the context's own.
///
/// ```
/// use directfs::{Perms, DirectfsCtx};
/// # fn main() -> wasmtime::Result<()> {
/// let dir = std::env::temp_dir();
/// let ctx = DirectfsCtx::builder()
///     .preopen(&dir, "/data", Perms::ReadWrite)?
///     .max_io_bytes(1 << 20)
///     .build();
/// # drop(ctx);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct DirectfsCtxBuilder {
    fs: Option<Filesystem>,
    preopens: Vec<Preopen>,
    limits: Limits,
}

impl DirectfsCtxBuilder {
    /// A builder with no preopens and default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Preopens `mount` for the guest as `guest_name`, with `perms` (a
    /// read-only view of a mount others write to is fine). No syscall,
    /// unless this context preopens `mount` both read-write and read-only:
    /// then the read-only preopens are of the mount's read-only twin,
    /// another root on the same directory (made once per mount: an FD),
    /// so that each keeps its own permissions.
    ///
    /// Every mount of one context must be of the same [`Filesystem`];
    /// otherwise this errors.
    pub fn mount(
        &mut self,
        mount: &Mount,
        guest_name: impl Into<String>,
        perms: Perms,
    ) -> wasmtime::Result<&mut Self> {
        match &self.fs {
            Some(fs) if !fs.same(&mount.fs) => {
                wasmtime::bail!(
                    "the mounts of one context must be of one directfs::Filesystem \
                     (this context already has preopens of another)"
                )
            }
            Some(_) => {}
            None => self.fs = Some(mount.fs.clone()),
        }
        let mixed = self
            .preopens
            .iter()
            .any(|p| p.mount == mount.root && p.perms != perms);
        let root = if mixed {
            let twin = {
                let mut tree = mount.fs.lock();
                let twin = tree.read_only_twin(mount.root);
                tree.set_fd_limit(mount.fs.max_held);
                twin
            }
            .context("cannot preopen a mount both read-write and read-only")?;
            for p in self.preopens.iter_mut().filter(|p| p.mount == mount.root) {
                if p.perms == Perms::ReadOnly {
                    p.root = twin;
                }
            }
            match perms {
                Perms::ReadOnly => twin,
                Perms::ReadWrite => mount.root,
            }
        } else {
            match self
                .preopens
                .iter()
                .find(|p| p.mount == mount.root && p.perms == perms)
            {
                Some(p) => p.root,
                None => mount.root,
            }
        };
        self.preopens.push(Preopen {
            root,
            mount: mount.root,
            name: guest_name.into(),
            perms,
        });
        Ok(self)
    }

    /// Preopens the host directory `host_dir` for the guest as `guest_name`,
    /// in a filesystem of this context's own (or, after [`Self::mount`], in
    /// that mount's filesystem).
    ///
    /// The host path is the embedder's (trusted) and is opened once, here,
    /// following symlinks like any host path; from then on the guest reaches
    /// files only through FDs relative to it.
    ///
    /// Errors if `host_dir` cannot be opened or is not a directory; the
    /// message names the path.
    pub fn preopen(
        &mut self,
        host_dir: impl AsRef<Path>,
        guest_name: impl Into<String>,
        options: impl Into<PreopenOptions>,
    ) -> wasmtime::Result<&mut Self> {
        let host_dir = host_dir.as_ref();
        let dir = cap_std::fs::Dir::open_ambient_dir(host_dir, cap_std::ambient_authority())
            .with_context(|| format!("cannot open preopen directory {}", host_dir.display()))?;
        self.preopen_dir(dir, guest_name, options)
            .with_context(|| format!("cannot preopen {}", host_dir.display()))
    }

    /// Preopens an already open directory for the guest as `guest_name`, as
    /// [`Self::preopen`]. Takes ownership of `dir`.
    pub fn preopen_dir(
        &mut self,
        dir: cap_std::fs::Dir,
        guest_name: impl Into<String>,
        options: impl Into<PreopenOptions>,
    ) -> wasmtime::Result<&mut Self> {
        let options = options.into();
        let fs = self.fs.get_or_insert_with(|| Filesystem {
            private: true,
            ..Filesystem::new()
        });
        let mount = fs.mount_dir_with(
            dir,
            MountOptions {
                revalidation: options.revalidation,
                blocking: options.blocking,
            },
        )?;
        self.mount(&mount, guest_name, options.perms)
    }
    /// Sets [`Limits::max_io_bytes`] (at least 1).
    pub fn max_io_bytes(&mut self, bytes: usize) -> &mut Self {
        self.limits.max_io_bytes = bytes.max(1);
        self
    }

    /// Sets [`Limits::max_dir_entries`] (at least 1).
    pub fn max_dir_entries(&mut self, entries: u32) -> &mut Self {
        self.limits.max_dir_entries = entries.max(1);
        self
    }

    /// Sets [`Limits::max_cached_dentries`] (per preopen; 0 caches nothing:
    /// every walk goes to the host).
    pub fn max_cached_dentries(&mut self, dentries: usize) -> &mut Self {
        self.limits.max_cached_dentries = dentries;
        self
    }

    /// Sets [`Limits::max_open`] (at least 1).
    pub fn max_open(&mut self, resources: usize) -> &mut Self {
        self.limits.max_open = resources.max(1);
        self
    }

    /// Sets [`Limits::max_locks`] (0: the guest may take no lock).
    pub fn max_locks(&mut self, records: usize) -> &mut Self {
        self.limits.max_locks = records;
        self
    }

    /// Sets [`Limits::max_negative_entries`] (0 remembers none).
    pub fn max_negative_entries(&mut self, entries: usize) -> &mut Self {
        self.limits.max_negative_entries = entries;
        self
    }

    /// Makes the context. The builder is left empty, ready for another.
    ///
    /// The cache limits ([`Limits::max_cached_dentries`],
    /// [`Limits::max_negative_entries`]) and the FD budget apply to a
    /// filesystem of the context's own; a shared [`Filesystem`] keeps its own
    /// ([`Filesystem::with_limits`]).
    pub fn build(&mut self) -> DirectfsCtx {
        let Self {
            fs,
            preopens,
            limits,
        } = std::mem::take(self);
        let fs = fs.unwrap_or_else(|| Filesystem {
            private: true,
            ..Filesystem::new()
        });
        if fs.private {
            let mut tree = fs.lock();
            tree.set_cache_limits(limits.max_cached_dentries, limits.max_negative_entries);
            tree.set_fd_limit(limits.max_open);
        }
        DirectfsCtx {
            fs,
            preopens,
            limits,
            open_resources: 0,
            held: HashMap::default(),
            counts: Tally::default(),
            unread: std::sync::atomic::AtomicBool::new(true),
            read_in: std::sync::atomic::AtomicU64::new(u64::MAX),
            read_at: std::sync::atomic::AtomicU64::new(0),
            calls: 0,
            tables_differ: false,
            async_host: false,
            last_stat: None,
            last_identity: None,
            last_hash_at: None,
            last_listed: None,
            p1: Default::default(),
            last_dentry_stat: None,
            last_walk: None,
            hand_out: RefCell::new(None),
            interrupter: Interrupter::default(),
            streams: Arc::default(),
            locks: Arc::default(),
        }
    }
}
