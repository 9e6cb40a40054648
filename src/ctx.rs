//! The per-store directfs context, its builder, and the view embedders give
//! to [`crate::add_to_linker`].

use std::path::Path;

use wasmtime::component::{HasData, ResourceTable};
use wasmtime::error::Context as _;

use crate::dentry::{DentryId, Tree};
pub use crate::types::{FsPerms, PreopenOptions, Revalidation};

/// The old name of [`FsPerms`].
#[deprecated(since = "0.1.0", note = "renamed to `FsPerms`, as in wasmtime-wasi 48")]
pub type DirPerms = FsPerms;

/// Caps on what a guest may make the host allocate or hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes one `handle.read` returns or one `handle.write`
    /// writes (the rest is a short read or write). Default 4 MiB.
    pub max_io_bytes: usize,
    /// The most entries one `read-dir` page holds. Default 4096.
    pub max_dir_entries: u32,
    /// The most dentries per preopen kept (with their host FDs) that no guest
    /// holds; past it the least recently used are closed. Default 1000, as
    /// gVisor's dentry cache.
    pub max_cached_dentries: usize,
    /// The most `dentry` and `handle` resources a guest may hold at once;
    /// past it, calls that would make one fail with `too-many-open`.
    /// Default 4096.
    pub max_open: usize,
    /// The most recent `no-entry` walk results remembered (exclusive
    /// preopens only). Default 1024.
    pub max_negative_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_io_bytes: 4 << 20,
            max_dir_entries: 4096,
            max_cached_dentries: 1000,
            max_open: 4096,
            max_negative_entries: 1024,
        }
    }
}

/// What a context holds right now, for observability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Dentries in the tree (each holds one host FD), roots included.
    pub dentries: usize,
    /// Of those, the ones no guest holds (cached, or kept by a cached child).
    pub unreferenced: usize,
    /// `dentry` and `handle` resources the guest holds.
    pub open_resources: usize,
    /// Host FDs the tree holds now: dentries and open files.
    pub host_fds: usize,
    /// The most host FDs the tree held at once so far.
    pub peak_host_fds: usize,
    /// The bound on [`Stats::host_fds`]: [`Limits::max_open`] +
    /// [`Limits::max_cached_dentries`] + the preopens. Past it, calls that
    /// would need another FD fail with `too-many-open` (after evicting what
    /// the cache can give up).
    pub max_host_fds: usize,
}

/// The directfs state of one store: the preopens and the dentry tree behind
/// them. Made by [`DirectfsCtxBuilder`].
#[derive(Debug)]
pub struct DirectfsCtx {
    pub(crate) tree: Tree,
    /// The root dentry and guest name of each preopen, in the order added.
    pub(crate) preopens: Vec<(DentryId, String)>,
    pub(crate) limits: Limits,
    /// How many `dentry` and `handle` resources the guest holds.
    pub(crate) open_resources: usize,
    /// Set by [`crate::wasi::add_to_linker`]'s view on every call: whether
    /// the store's [`DirectfsView`] and wasmtime-wasi `WasiView` hand out
    /// different [`ResourceTable`]s (then `wasi:filesystem` traps, before the
    /// guest gets a resource the other side cannot find).
    pub(crate) tables_differ: bool,
}

impl DirectfsCtx {
    /// A builder with no preopens and default [`Limits`].
    pub fn builder() -> DirectfsCtxBuilder {
        DirectfsCtxBuilder::new()
    }

    /// What the context holds right now.
    pub fn stats(&self) -> Stats {
        let (dentries, unreferenced) = self.tree.counts();
        let budget = self.tree.budget();
        Stats {
            dentries,
            unreferenced,
            open_resources: self.open_resources,
            host_fds: budget.used(),
            peak_host_fds: budget.peak(),
            max_host_fds: budget.limit(),
        }
    }
}

/// Builds a [`DirectfsCtx`].
///
/// ```
/// use directfs::{FsPerms, DirectfsCtx};
/// # fn main() -> wasmtime::Result<()> {
/// let dir = std::env::temp_dir();
/// let ctx = DirectfsCtx::builder()
///     .preopen(&dir, "/data", FsPerms::ReadWrite)?
///     .max_io_bytes(1 << 20)
///     .build();
/// # drop(ctx);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
pub struct DirectfsCtxBuilder {
    tree: Tree,
    preopens: Vec<(DentryId, String)>,
    limits: Limits,
}

impl DirectfsCtxBuilder {
    /// A builder with no preopens and default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Preopens the host directory `host_dir` for the guest as `guest_name`.
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

    /// Preopens an already open directory for the guest as `guest_name`.
    /// Takes ownership of `dir`.
    pub fn preopen_dir(
        &mut self,
        dir: cap_std::fs::Dir,
        guest_name: impl Into<String>,
        options: impl Into<PreopenOptions>,
    ) -> wasmtime::Result<&mut Self> {
        let root = self
            .tree
            .add_root(dir.into_std_file().into(), options.into())
            .context("not a directory")?;
        self.preopens.push((root, guest_name.into()));
        Ok(self)
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

    /// Sets [`Limits::max_negative_entries`] (0 remembers none).
    pub fn max_negative_entries(&mut self, entries: usize) -> &mut Self {
        self.limits.max_negative_entries = entries;
        self
    }

    /// Makes the context. The builder is left empty, ready for another.
    pub fn build(&mut self) -> DirectfsCtx {
        let Self {
            mut tree,
            preopens,
            limits,
        } = std::mem::take(self);
        tree.set_cache_limits(limits.max_cached_dentries, limits.max_negative_entries);
        tree.set_fd_limit(limits.max_open);
        DirectfsCtx {
            tree,
            preopens,
            limits,
            open_resources: 0,
            tables_differ: false,
        }
    }
}

/// What directfs's host functions work on: the context and the resource table
/// (shared with wasmtime-wasi when both are linked).
pub struct DirectfsCtxView<'a> {
    /// The directfs state.
    pub ctx: &'a mut DirectfsCtx,
    /// Where the guest's `dentry` and `handle` resources live.
    pub table: &'a mut ResourceTable,
}

/// Implemented by a store's data to hand directfs its view, as wasmtime-wasi's
/// `WasiView`.
pub trait DirectfsView: Send {
    /// The directfs context and the resource table.
    fn directfs(&mut self) -> DirectfsCtxView<'_>;
}

/// The [`HasData`] marker of directfs's bindings, for calling the generated
/// `add_to_linker` functions directly.
pub struct Directfs;

impl HasData for Directfs {
    type Data<'a> = DirectfsCtxView<'a>;
}
