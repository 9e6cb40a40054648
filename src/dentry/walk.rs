//! Multi-component walks with host-side symlink resolution, confined to the
//! preopen: the `namei` of directfs.
//!
//! Each component is one [`Tree::walk`] (`openat(parent_fd, name,
//! O_NOFOLLOW)` or a live child), so the host kernel never resolves more than
//! one name and never follows a symlink. Symlinks are read with
//! `readlinkat(fd, "")` and their targets walked here: an absolute target
//! starts again at the dentry's preopen root, and `..` moves to the parent
//! dentry but never above that root. Nothing can lead out of the preopen,
//! because every step starts from a dentry inside it.
//!
//! `wasi:filesystem` resolves more strictly, as cap-std does for
//! wasmtime-wasi ([`Confine::Beneath`]): a walk may not leave the directory
//! it starts from at all. An absolute path or symlink target, or a `..` above
//! the start, fails with `not-permitted` instead of being clamped.

use super::{DentryId, Link, Tree};
use crate::error::ErrorCode;
use crate::name::{Name, check_path};
use crate::types::FileType;

/// The most symlinks one walk follows before giving up with `loop`, as
/// Linux's `MAXSYMLINKS`.
pub(crate) const MAX_SYMLINK_FOLLOWS: u32 = 40;

/// Where a walk is confined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Confine {
    /// To the start's preopen, as `chroot`: absolute paths and symlink
    /// targets start at its root, `..` at the root stays there
    /// (`directfs:fs`).
    Preopen,
    /// To the start directory itself: absolute paths and symlink targets,
    /// and a `..` above the start, fail with `not-permitted`
    /// (`wasi:filesystem`, as cap-std).
    Beneath,
}

impl Tree {
    /// Walks `path` from `start` (see the module docs). Returns the final
    /// dentry with one new guest reference.
    ///
    /// `follow_final`: follow a symlink in the last component (a trailing `/`
    /// implies it, and also requires a directory).
    pub(crate) fn walk_path(
        &mut self,
        start: DentryId,
        path: &str,
        follow_final: bool,
    ) -> Result<DentryId, ErrorCode> {
        self.walk_path_confined(start, path, follow_final, Confine::Preopen)
    }

    /// [`Tree::walk_path`], confined as `confine` says.
    pub(crate) fn walk_path_confined(
        &mut self,
        start: DentryId,
        path: &str,
        follow_final: bool,
        confine: Confine,
    ) -> Result<DentryId, ErrorCode> {
        check_path(path)?;
        self.acquire(start)?;
        let mut cur = start;
        match self.resolve(&mut cur, path, follow_final, confine) {
            Ok(()) => Ok(cur),
            Err(err) => {
                self.release(cur);
                Err(err)
            }
        }
    }

    /// The loop of [`Tree::walk_path`]. `cur` holds the walk's one
    /// reference, also when this returns an error; at the end it is on the
    /// dentry the walk reached.
    ///
    /// The walk is at `at`, which may be below `cur`: a step through a live
    /// child of an exclusive mount takes no reference (no reference churn,
    /// no LRU work: a cached walk is hash lookups). That is sound because
    /// nothing is freed between two steps that make no syscall: dentries
    /// are freed only by releases and by the evictions of a walk to a new
    /// name, and before either the reference moves to `at` (so `at`, and
    /// through it every ancestor, stays).
    fn resolve(
        &mut self,
        cur: &mut DentryId,
        path: &str,
        follow_final: bool,
        confine: Confine,
    ) -> Result<(), ErrorCode> {
        let beneath = confine == Confine::Beneath;
        // How far below the start the walk is (counted for `Beneath` only).
        let mut depth = 0usize;
        let root = self.get(*cur)?.root;
        let mut at = *cur;
        let mut must_be_dir = path.ends_with('/');
        let mut follow_last = follow_final || must_be_dir;
        let mut pending = Pending::new(path);
        if path.starts_with('/') {
            if beneath {
                return Err(ErrorCode::NotPermitted);
            }
            // A root is never freed: no reference needed.
            at = root;
        } else if self.get(at)?.file_type != FileType::Directory {
            // A relative path from a file (`.` included): `ENOTDIR`.
            return Err(ErrorCode::NotDirectory);
        }
        let mut follows = 0;
        while let Some(span) = pending.next() {
            let component = pending.get(span);
            if component == ".." {
                let d = self.get(at)?;
                // POSIX: `..` after a file that is not a directory.
                if d.file_type != FileType::Directory {
                    return Err(ErrorCode::NotDirectory);
                }
                if beneath {
                    depth = depth.checked_sub(1).ok_or(ErrorCode::NotPermitted)?;
                }
                // The parent of a live dentry is live.
                at = match &d.link {
                    Link::Root => at,
                    Link::Child { parent, .. } => *parent,
                    Link::Unlinked => return Err(ErrorCode::NoEntry),
                };
                continue;
            }
            let name = Name::parse(component)?;
            let last = pending.is_empty();
            if last && pending.dots_left() {
                // `name/.`: as `name/`, the name must be (or, a symlink,
                // lead to) a directory — Linux's `ENOTDIR` for `file/.`.
                must_be_dir = true;
                follow_last = true;
            }
            let target = match self.cached_child(at, name) {
                Some(child) => {
                    if self.get(child)?.file_type != FileType::SymbolicLink
                        || (last && !follow_last)
                    {
                        at = child;
                        depth += 1;
                        continue;
                    }
                    follows += 1;
                    if follows > MAX_SYMLINK_FOLLOWS {
                        return Err(ErrorCode::Loop);
                    }
                    self.readlink(child)?
                }
                None => {
                    // The walk may evict: hold `at` first.
                    self.move_to(cur, at)?;
                    let child = self.walk(*cur, name)?;
                    let is_symlink = self.get(child)?.file_type == FileType::SymbolicLink;
                    if !is_symlink || (last && !follow_last) {
                        self.release(*cur);
                        *cur = child;
                        at = child;
                        depth += 1;
                        continue;
                    }
                    follows += 1;
                    let target = if follows > MAX_SYMLINK_FOLLOWS {
                        Err(ErrorCode::Loop)
                    } else {
                        self.readlink(child)
                    };
                    self.release(child);
                    target?
                }
            };
            check_path(&target)?;
            if last && target.ends_with('/') {
                must_be_dir = true;
            }
            if target.starts_with('/') {
                if beneath {
                    return Err(ErrorCode::NotPermitted);
                }
                at = root;
            }
            pending.push_target(target);
        }
        if must_be_dir && self.get(at)?.file_type != FileType::Directory {
            return Err(ErrorCode::NotDirectory);
        }
        self.move_to(cur, at)
    }

    /// The live child `name` of `dir` in an exclusive mount, where a walk
    /// needs no syscall and (see [`Tree::resolve`]) no reference; counted
    /// as a lookup hit.
    fn cached_child(&self, dir: DentryId, name: Name<'_>) -> Option<DentryId> {
        let d = self.get(dir).ok()?;
        if !super::trusts(d) || self.walks_afresh() {
            return None;
        }
        let child = *d.children.get(name.as_str())?;
        self.count_hit(child);
        Some(child)
    }

    /// Moves the walk's reference from `*cur` to `to` (taken first, since
    /// `cur` may be what keeps `to` alive).
    fn move_to(&mut self, cur: &mut DentryId, to: DentryId) -> Result<(), ErrorCode> {
        if to == *cur {
            return Ok(());
        }
        self.acquire(to)?;
        self.release(*cur);
        *cur = to;
        Ok(())
    }
}

/// Where a component is: in [`Pending`]'s symlink target `source - 1`, or
/// in its path for `source` 0, at `start..end`.
#[derive(Debug, Clone, Copy)]
struct Span {
    source: usize,
    start: usize,
    end: usize,
}

/// The components a walk has still to take, without copying them: those
/// left of the path, after those left of each symlink target it is
/// crossing (the innermost last). Empty components and `.` are skipped.
/// Only a followed symlink's target is allocated (at most
/// [`MAX_SYMLINK_FOLLOWS`] per walk).
#[derive(Debug)]
struct Pending<'p> {
    path: &'p str,
    /// Where the rest of `path` starts.
    pos: usize,
    /// The targets being crossed, each with where its rest starts.
    targets: Vec<(Box<str>, usize)>,
}

impl<'p> Pending<'p> {
    fn new(path: &'p str) -> Self {
        Self {
            path,
            pos: 0,
            targets: Vec::new(),
        }
    }

    /// The next component; [`Pending::get`] reads it. A target whose
    /// components are all taken is dropped here, so a span stays readable
    /// until the next call.
    fn next(&mut self) -> Option<Span> {
        loop {
            let source = self.targets.len();
            let (text, pos) = match self.targets.last_mut() {
                Some((target, pos)) => (&**target, pos),
                None => (self.path, &mut self.pos),
            };
            let Some(rest) = text.get(*pos..).filter(|rest| !rest.is_empty()) else {
                self.targets.pop()?;
                continue;
            };
            let start = *pos;
            let end = start + rest.find('/').unwrap_or(rest.len());
            *pos = end + 1;
            if !matches!(text.get(start..end), Some("" | ".") | None) {
                return Some(Span { source, start, end });
            }
        }
    }

    /// The text of a component [`Pending::next`] just gave.
    fn get(&self, span: Span) -> &str {
        let text = match span.source.checked_sub(1) {
            Some(i) => self.targets.get(i).map_or("", |(target, _)| &**target),
            None => self.path,
        };
        text.get(span.start..span.end).unwrap_or("")
    }

    /// Whether no component is left.
    fn is_empty(&self) -> bool {
        let none_in = |text: &str, pos: usize| {
            text.get(pos..)
                .is_none_or(|rest| rest.split('/').all(|c| matches!(c, "" | ".")))
        };
        none_in(self.path, self.pos)
            && self
                .targets
                .iter()
                .all(|(target, pos)| none_in(target, *pos))
    }

    /// Whether a `.` is left (when [`Pending::is_empty`]: the component
    /// just given is the last name, but not the last component).
    fn dots_left(&self) -> bool {
        let dot_in = |text: &str, pos: usize| {
            text.get(pos..)
                .is_some_and(|rest| rest.split('/').any(|c| c == "."))
        };
        dot_in(self.path, self.pos)
            || self
                .targets
                .iter()
                .any(|(target, pos)| dot_in(target, *pos))
    }

    /// Walks the components of symlink target `target` before the rest.
    fn push_target(&mut self, target: String) {
        self.targets.push((target.into_boxed_str(), 0));
    }
}

// The walks of `wasi:filesystem`'s `*-at` calls, on paths confined beneath
// the descriptor they start from.

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
pub(crate) fn walk_beneath(
    tree: &mut Tree,
    dir: DentryId,
    path: &str,
    follow: bool,
) -> Result<DentryId, ErrorCode> {
    tree.walk_path_confined(dir, path, follow, Confine::Beneath)
}

/// Runs `op` on the dentry `path` names (see [`walk_beneath`]), then drops the
/// walk's reference.
pub(crate) fn with_walked<R>(
    tree: &mut Tree,
    dir: DentryId,
    path: &str,
    follow: bool,
    op: impl FnOnce(&mut Tree, DentryId) -> Result<R, ErrorCode>,
) -> Result<R, ErrorCode> {
    let id = walk_beneath(tree, dir, path, follow)?;
    let result = op(tree, id);
    tree.release(id);
    result
}

/// Runs `op` on the directory that holds the last component of `path` and
/// that component: every component but the last is walked (symlinks
/// followed, confined beneath `dir`), the last is left to `op`.
///
/// As Linux's path walk, the walk to the last component comes first: its
/// errors (a way out of `dir`, a missing or non-directory component) are
/// answered before the last name's own (`name-too-long`), as
/// wasmtime-wasi answers them too.
pub(crate) fn with_parent<R>(
    tree: &mut Tree,
    dir: DentryId,
    path: &str,
    op: impl FnOnce(&mut Tree, DentryId, Last<'_>) -> Result<R, ErrorCode>,
) -> Result<R, ErrorCode> {
    let (parent_path, last, trailing_slash) = split_last(path)?;
    if last == "." || last == ".." {
        // Walked whole, so a `..` above `dir` fails as any walk would; `op`
        // gets the directory the dots name.
        return with_walked(tree, dir, path, false, |tree, id| op(tree, id, Last::Dots));
    }
    let parent = walk_to_dir(tree, dir, parent_path)?;
    let result = match Name::parse(last) {
        Ok(name) => op(tree, parent, Last::Name(name, trailing_slash)),
        Err(err) => Err(err),
    };
    tree.release(parent);
    result
}

/// `path` walked from `dir` (symlinks followed, confined), with one new
/// reference, if it is a directory; else `not-directory` (or the walk's
/// error).
fn walk_to_dir(tree: &mut Tree, dir: DentryId, path: &str) -> Result<DentryId, ErrorCode> {
    let id = walk_beneath(tree, dir, path, true)?;
    match tree.file_type(id) {
        Ok(FileType::Directory) => Ok(id),
        other => {
            tree.release(id);
            Err(other.err().unwrap_or(ErrorCode::NotDirectory))
        }
    }
}

/// Walks to the directory that holds the last component of `path`, as
/// [`with_parent`] does, without looking at that component: whether it is
/// a name with no trailing `/` (of any length), which a call that changes
/// nothing need not look up (`false` for `.`, `..` and a trailing `/`, which
/// [`with_parent`] resolves whole). A NUL anywhere is `invalid` first here,
/// as wasmtime-wasi answers a call that walks the whole path.
pub(crate) fn parent_of_name(
    tree: &mut Tree,
    dir: DentryId,
    path: &str,
) -> Result<bool, ErrorCode> {
    check_path(path)?;
    let (_, last, trailing_slash) = split_last(path)?;
    if last == "." || last == ".." || trailing_slash {
        return Ok(false);
    }
    walk_to_last(tree, dir, path).map(|()| true)
}

/// Whether `path` ends in a name — not `.` or `..`, no trailing `/` — so
/// that [`with_parent`] gives its op [`Last::Name`] with no slash: a call
/// may then hand that name to the kernel in its directory's FD instead of
/// walking to it. Looks at the text alone.
pub(crate) fn ends_in_name(path: &str) -> bool {
    split_last(path).is_ok_and(|(_, last, slashed)| !slashed && last != "." && last != "..")
}

/// The walk [`with_parent`] makes before it looks at `path`'s last name
/// (the directory that holds it, walked and checked to be one; a path that
/// ends in dots, walked whole), alone: its error, if any. For a call of two
/// paths that failed, to answer as wasmtime-wasi does, which walks both
/// paths to their last names before it looks at either name.
pub(crate) fn walk_to_last(tree: &mut Tree, dir: DentryId, path: &str) -> Result<(), ErrorCode> {
    let (parent_path, last, _) = split_last(path)?;
    if last == "." || last == ".." {
        return with_walked(tree, dir, path, false, |_, _| Ok(()));
    }
    let parent = walk_to_dir(tree, dir, parent_path)?;
    tree.release(parent);
    Ok(())
}

/// The calls of two paths, for [`second_walk_first`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TwoPaths {
    /// `link-at`.
    Link,
    /// `rename-at`.
    Rename,
}

/// The answer of a call of two paths (`link-at`, `rename-at`) that made
/// `result`: where it failed, the walk to the first path's last name fails
/// first, if it does, then the second path's walk to its last name
/// (wasmtime-wasi walks both before it looks at either last name:
/// `link("missing", "..")` is `not-permitted`, not `no-entry`). Only on the
/// way out of a failed call: a call that succeeds walks nothing more.
///
/// Then a NUL in either last name is `invalid` (both names reach the
/// syscall together), for `link-at` once a second path ending in `/` is
/// walked whole (wasmtime-wasi walks `name/` as `name/.` there; its
/// `rename-at` drops the `/`). For `rename-at`, a path whose last name is a
/// dot is then `busy` before either name is looked at, as Linux's
/// `renameat` answers (`rename("x…x", ".")`: `busy`, not `name-too-long`).
/// Last, a call whose new name is too long is `no-entry` where the old
/// name is missing: Linux looks the old name up before the new one (as
/// wasmtime-wasi answers; `link-at` from name to name leaves the old name
/// to the kernel, after the new one is parsed).
pub(crate) fn second_walk_first(
    tree: &mut Tree,
    result: Result<(), ErrorCode>,
    (first_dir, first): (DentryId, &str),
    (second_dir, second): (DentryId, &str),
    call: TwoPaths,
) -> Result<(), ErrorCode> {
    // Not where the first path's own last name was the fault as wasmtime-wasi
    // sees it too: a dot for a name (`busy`), or, for `link-at`, a trailing
    // `/` (which it resolves with the walk, `name/` as `name/.`, as Linux's
    // `linkat` does; `renameat` walks to both last names first).
    let slashed_link = call == TwoPaths::Link && first.ends_with('/');
    if result.is_err() && result != Err(ErrorCode::Busy) && !slashed_link {
        // The first path's own walk fails first (`link("/\0", …)`:
        // `not-permitted`, not the NUL's `invalid`).
        walk_to_last(tree, first_dir, first)?;
        walk_to_last(tree, second_dir, second)?;
        let nul = |path| split_last(path).is_ok_and(|(_, last, _)| last.contains('\0'));
        if nul(first) || nul(second) {
            if call == TwoPaths::Link && second.ends_with('/') {
                resolve_slashed(tree, second_dir, second)?;
            }
            return Err(ErrorCode::Invalid);
        }
        let dots = |path| split_last(path).is_ok_and(|(_, last, _)| last == "." || last == "..");
        if call == TwoPaths::Rename && (dots(first) || dots(second)) {
            return Err(ErrorCode::Busy);
        }
    }
    if result == Err(ErrorCode::NameTooLong) {
        let old = with_parent(tree, first_dir, first, |tree, parent, last| match last {
            Last::Name(name, _) => tree.stat_name(parent, name).map(drop),
            Last::Dots => Ok(()),
        });
        if old == Err(ErrorCode::NoEntry) {
            return old;
        }
    }
    result
}

/// `path` (checked: not empty, not too long, no NUL before its last
/// component) as the path to its last component's directory, that
/// component, and whether it ends in `/`.
///
/// A NUL in the last component is that name's own fault, answered by
/// [`Name::parse`] once the walk to its directory succeeded, as
/// wasmtime-wasi answers it (`mkdir("missing/a\0")`: `no-entry`;
/// `rename("a\0", "..")`: `not-permitted`).
fn split_last(path: &str) -> Result<(&str, &str, bool), ErrorCode> {
    if path.is_empty() {
        return Err(ErrorCode::NoEntry);
    }
    let trimmed = path.trim_end_matches('/');
    let trailing_slash = trimmed.len() != path.len();
    let (parent_path, last) = match trimmed.rsplit_once('/') {
        Some(("", last)) => ("/", last),
        Some(split) => split,
        // All slashes: an absolute path.
        None if trimmed.is_empty() => return Err(ErrorCode::NotPermitted),
        None => (".", trimmed),
    };
    match check_path(path) {
        Err(ErrorCode::Invalid) if !parent_path.contains('\0') => {}
        checked => checked?,
    }
    Ok((parent_path, last, trailing_slash))
}

/// What `path`, whose last component ends in `/`, resolves to, walked from
/// `dir` as a directory (symlinks followed, confined beneath `dir`): `Ok`
/// for a directory, else the walk's error — `no-entry` for nothing (a
/// dangling symlink included), `not-directory` for anything else. A
/// trailing `/` on a name to be made or removed asks for exactly this, as in
/// Linux and wasmtime-wasi (and the WASI test suite's `*_trailing_slashes`
/// programs).
pub(crate) fn resolve_slashed(tree: &mut Tree, dir: DentryId, path: &str) -> Result<(), ErrorCode> {
    let id = walk_beneath(tree, dir, path, true)?;
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::super::tests::tree_with_root;
    use super::*;

    #[test]
    fn components_come_in_order() {
        let mut pending = Pending::new("/a//./b/../c/");
        let mut order = Vec::new();
        while let Some(span) = pending.next() {
            let component = pending.get(span).to_owned();
            if component == "b" {
                pending.push_target("x/./y//".to_owned());
            }
            if component == "y" {
                pending.push_target(".//z".to_owned());
            }
            order.push((component, pending.is_empty()));
        }
        let order: Vec<_> = order.iter().map(|(c, last)| (&**c, *last)).collect();
        assert_eq!(
            order,
            [
                ("a", false),
                ("b", false),
                ("x", false),
                ("y", false),
                ("z", false),
                ("..", false),
                ("c", true),
            ]
        );
        assert!(Pending::new("").is_empty());
        assert!(Pending::new("/./").is_empty());
        assert!(Pending::new("/./").next().is_none());
    }

    /// Every name with a `/`, `/.`, `/..` after it (and more), walked as
    /// `lstat` and `stat` resolve it: the same file type or the same error.
    /// `file/.` once walked to the file, skipping the `.`.
    #[test]
    fn dots_and_slashes_resolve_as_the_kernel_resolves_them() {
        let (dir, mut tree, root) = tree_with_root();
        let p = dir.path();
        std::fs::create_dir(p.join("d")).unwrap();
        std::fs::write(p.join("d/f"), b"x").unwrap();
        std::fs::write(p.join("f"), b"x").unwrap();
        symlink("d", p.join("dl")).unwrap();
        symlink("f", p.join("fl")).unwrap();
        symlink("fl", p.join("fll")).unwrap();
        symlink("nope", p.join("dang")).unwrap();
        symlink("loop", p.join("loop")).unwrap();
        symlink("d/.", p.join("ddot")).unwrap();
        symlink("f/.", p.join("fdot")).unwrap();
        let kind = |file_type: FileType| match file_type {
            FileType::Directory => "dir",
            FileType::RegularFile => "file",
            FileType::SymbolicLink => "symlink",
            _ => "other",
        };
        let mut checked = 0;
        for base in [
            "f", "d", "dl", "fl", "fll", "dang", "loop", "nope", "d/f", "ddot", "fdot",
        ] {
            for suffix in [
                "", "/", "//", "/.", "/./", "//.", "/./.", "/..", "/../f", "/./f", "/.//",
            ] {
                let path = format!("{base}{suffix}");
                for follow in [false, true] {
                    let host = p.join(&path);
                    let kernel = match follow {
                        true => std::fs::metadata(&host),
                        false => std::fs::symlink_metadata(&host),
                    };
                    let kernel = kernel
                        .map(|m| match m.file_type() {
                            t if t.is_symlink() => "symlink",
                            t if t.is_dir() => "dir",
                            t if t.is_file() => "file",
                            _ => "other",
                        })
                        .map_err(|e| {
                            ErrorCode::from(nix::errno::Errno::from_raw(e.raw_os_error().unwrap()))
                        });
                    let walked = tree.walk_path(root, &path, follow).map(|id| {
                        let file_type = tree.file_type(id).unwrap();
                        tree.release(id);
                        kind(file_type)
                    });
                    assert_eq!(walked, kernel, "{path:?} (follow: {follow})");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 11 * 11 * 2);
        // A relative walk from a file, as `openat(file_fd, …)`: not a
        // directory, `.` alone included; an absolute one starts at the root.
        let f = tree.walk_path(root, "f", false).unwrap();
        for path in [".", "./", "x", "..", "../f"] {
            assert_eq!(
                tree.walk_path(f, path, false),
                Err(ErrorCode::NotDirectory),
                "{path}"
            );
        }
        let d = tree.walk_path(f, "/d", false).unwrap();
        assert_eq!(tree.file_type(d), Ok(FileType::Directory));
        tree.release(d);
        tree.release(f);
    }

    #[test]
    fn walks_resolve_inside_the_preopen() {
        let (dir, mut tree, root) = tree_with_root();
        let p = dir.path();
        std::fs::create_dir_all(p.join("a/b")).unwrap();
        std::fs::write(p.join("a/b/f"), b"x").unwrap();
        symlink("b/f", p.join("a/rel")).unwrap();
        symlink("/a/b", p.join("abs")).unwrap();
        symlink("../../../../a", p.join("a/b/up")).unwrap();
        symlink("loop2", p.join("loop1")).unwrap();
        symlink("loop1", p.join("loop2")).unwrap();
        let f = tree.walk_path(root, "a/b/f", false).unwrap();
        let ino = |tree: &mut Tree, id| tree.stat(id).unwrap().ino;
        let f_ino = ino(&mut tree, f);
        for (path, follow) in [
            ("a/rel", true),
            ("abs/f", false),
            ("/abs/f", false),
            ("a/b/../b/./f", false),
            ("a/b/up/b/f", false),
            ("../../a/b/f", false),
        ] {
            let id = tree
                .walk_path(root, path, follow)
                .unwrap_or_else(|e| panic!("{path}: {e:?}"));
            assert_eq!(ino(&mut tree, id), f_ino, "{path}");
            tree.release(id);
        }
        let link = tree.walk_path(root, "a/rel", false).unwrap();
        assert_eq!(tree.stat(link).unwrap().file_type, FileType::SymbolicLink);
        assert_eq!(tree.walk_path(root, "loop1", true), Err(ErrorCode::Loop));
        assert_eq!(
            tree.walk_path(root, "a/b/f/", false),
            Err(ErrorCode::NotDirectory)
        );
        assert_eq!(
            tree.walk_path(root, "a/rel/", false),
            Err(ErrorCode::NotDirectory)
        );
        assert_eq!(
            tree.walk_path(root, "a/b/missing", false),
            Err(ErrorCode::NoEntry)
        );
        assert_eq!(tree.walk_path(root, "", false), Err(ErrorCode::NoEntry));
        // `..` at the root stays at the root.
        let up = tree.walk_path(root, "..", false).unwrap();
        assert_eq!(up, root);
    }

    #[test]
    fn beneath_walks_never_leave_their_start() {
        let (dir, mut tree, root) = tree_with_root();
        let p = dir.path();
        std::fs::create_dir_all(p.join("a/b")).unwrap();
        std::fs::write(p.join("a/b/f"), b"x").unwrap();
        symlink("/a/b", p.join("a/abs")).unwrap();
        symlink("../a/b/f", p.join("a/rel")).unwrap();
        let a = tree.walk_path(root, "a", false).unwrap();
        let beneath = |tree: &mut Tree, path: &str| {
            let found = tree.walk_path_confined(a, path, true, Confine::Beneath);
            if let Ok(id) = found {
                tree.release(id);
            }
            found.map(|_| ())
        };
        assert_eq!(beneath(&mut tree, "b/../b/f"), Ok(()));
        assert_eq!(beneath(&mut tree, "b/.."), Ok(()));
        for escape in ["..", "b/../..", "/a/b/f", "abs/f", "rel", "../a/b/f"] {
            assert_eq!(
                beneath(&mut tree, escape),
                Err(ErrorCode::NotPermitted),
                "{escape}"
            );
        }
        // From the root, the same relative symlink stays inside: allowed.
        let rel = tree.walk_path_confined(root, "a/rel", true, Confine::Beneath);
        assert!(rel.is_ok());
        // The preopen confinement clamps instead.
        let up = tree.walk_path(a, "../../..", false).unwrap();
        assert_eq!(up, root);
        // `..` after a file is not-directory, as in POSIX.
        assert_eq!(
            tree.walk_path(root, "a/b/f/..", false),
            Err(ErrorCode::NotDirectory)
        );
    }

    #[test]
    fn failed_walks_leave_no_references_behind() {
        let (dir, mut tree, root) = tree_with_root();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        symlink("x", dir.path().join("a/b/l")).unwrap();
        assert_eq!(
            tree.walk_path(root, "a/b/l/c", false),
            Err(ErrorCode::NoEntry)
        );
        assert!(
            tree.get(root).unwrap().children.is_empty(),
            "every dentry of the walk was freed"
        );
        assert_eq!(
            tree.get(root)
                .unwrap()
                .refs
                .load(std::sync::atomic::Ordering::Relaxed),
            0
        );
    }
}
