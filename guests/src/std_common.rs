//! Shared by the `std_*` guests, which use nothing but `std` (no
//! wit-bindgen): included with `#[path]`. Each step prints one line, so two
//! runs (directfs's `wasi:filesystem`, wasmtime-wasi's) can be compared
//! line by line.

use std::fmt::Debug;
use std::fs;
use std::path::Path;
use std::time::SystemTime;

/// Prints `label: ok VALUE` or `label: err KIND (errno N)`: the exact
/// error, as wasi-libc numbers it.
pub fn show<T: Debug>(label: &str, result: std::io::Result<T>) {
    match result {
        Ok(value) => println!("{label}: ok {value:?}"),
        Err(err) => println!(
            "{label}: err {:?} (errno {})",
            err.kind(),
            err.raw_os_error().unwrap_or(-1)
        ),
    }
}

/// Prints the tree under `dir`, sorted: each entry's path, type (from
/// `read_dir`'s file type and from `symlink_metadata`) and, for files,
/// length.
#[allow(dead_code, reason = "not every std_* guest prints a tree")]
pub fn tree(dir: &Path) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let listed = entry.file_type().expect("file_type");
        let meta = fs::symlink_metadata(&path).expect("symlink_metadata");
        let kind = if meta.is_dir() {
            "dir"
        } else if meta.is_symlink() {
            "symlink"
        } else {
            "file"
        };
        assert_eq!(listed.is_dir(), meta.is_dir(), "{path:?}");
        assert_eq!(listed.is_symlink(), meta.is_symlink(), "{path:?}");
        match kind {
            "file" => println!("  {} {kind} {}", path.display(), meta.len()),
            "symlink" => match fs::read_link(&path) {
                Ok(target) => println!("  {} {kind} -> {}", path.display(), target.display()),
                Err(err) => println!("  {} {kind} -> err {:?}", path.display(), err.kind()),
            },
            _ => println!("  {} {kind}", path.display()),
        }
        if kind == "dir" {
            tree(&path);
        }
    }
}

/// The parts of `path`'s stat (not following a symlink) that are the same
/// under both implementations: length, whether a directory, and the
/// modification time only where a guest or the host set it (whole
/// thousands of seconds before 2020: every time the tests set is
/// 1,000,000,000; a file a test makes now has a later one, which falls on a
/// whole thousand one time in a thousand, differently in the two runs).
#[allow(dead_code, reason = "not every std_* guest compares stats")]
pub fn meta(path: &Path) -> std::io::Result<String> {
    fs::symlink_metadata(path).map(|m| {
        let mtime = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            // Only the set times are the same in both runs.
            .filter(|s| *s < 1_600_000_000 && *s % 1000 == 0);
        format!("len={} dir={} mtime={mtime:?}", m.len(), m.is_dir())
    })
}
