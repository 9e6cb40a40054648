//! The Rust types of `wasi:filesystem`'s resources, as the generated
//! bindings take them (`with:` in [`crate::bindings`]). They hold only core
//! types, so the bindings depend on them and not the other way round.

use std::collections::VecDeque;

use crate::dentry::DentryId;
use crate::handle::Handle;
use crate::types::DirEntry;

/// A `wasi:filesystem` descriptor: the Rust type of its `descriptor`
/// resource. It holds one guest reference on its dentry, released when the
/// guest drops it.
#[derive(Debug)]
pub struct Descriptor {
    pub(crate) dentry: DentryId,
    pub(crate) kind: DescriptorKind,
}

/// What a [`Descriptor`] is open as: a split of behaviour, matched
/// exhaustively.
#[derive(Debug)]
pub(crate) enum DescriptorKind {
    /// A directory, used through its dentry: no handle of its own.
    /// `mutate`: whether `get-flags` shows `mutate-directory` (preopens of
    /// read-write directories, as wasmtime-wasi).
    Directory { mutate: bool },
    /// Any other file, with the handle `open-at` opened.
    File {
        handle: Handle,
        read: bool,
        write: bool,
    },
}

/// A `wasi:filesystem` `directory-entry-stream`: pages of
/// the tree's `read_dir`, handed out one entry at a time. Holds one guest
/// reference on the directory.
#[derive(Debug)]
pub struct DirectoryEntryStream {
    pub(crate) dir: DentryId,
    /// Where the next page starts; `None` once the directory is exhausted.
    pub(crate) cursor: Option<u64>,
    /// Entries of the last page not yet handed out.
    pub(crate) pending: VecDeque<DirEntry>,
    /// The mark of the directory's names as the last page was read
    /// ([`crate::dentry::Tree::listing_mark`]): while it holds, each entry
    /// of the page names the file its inode number says.
    pub(crate) mark: Option<u32>,
}
