//! Every path-taking call of `wasi:filesystem` 0.2 over a matrix of paths:
//! names, `.`, `..`, trailing `/` and `/.`, doubled slashes, symlinks to a
//! file, a directory, `.`, `..`, an absolute path, nowhere and themselves,
//! escapes, NUL, and names of 255 and 256 bytes. Each call runs on its own
//! copy of the fixture (`mNN`, made by the host test), and prints what it
//! came to; runs under both implementations, whose output must be
//! identical.
//!
//! Then the preopen itself as a hard link's source (refused, but `exist`
//! first where the new name exists), and links and renames with two faults
//! (which one is told first).
//!
//! Left out, as the README's intended differences say: a trailing `/` on
//! the last name of a `stat-at` or `metadata-hash-at` that does not follow
//! symlinks (directfs resolves it as Linux does, wasmtime-wasi answers for
//! the name itself), and `remove-directory-at` of `dir/` (Linux removes
//! `dir`; wasmtime-wasi answers `invalid`).

mod bindings {
    wit_bindgen::generate!({ path: "../wit/wasi", world: "host", generate_all });
}

use bindings::wasi::filesystem::preopens::get_directories;
use bindings::wasi::filesystem::types::{
    Descriptor, DescriptorFlags, ErrorCode, NewTimestamp, OpenFlags, PathFlags,
};

/// The calls, each on its own fixture copy (`m00`, `m01`, …).
const OPS: [&str; 28] = [
    "stat",
    "stat-follow",
    "open",
    "open-follow",
    "open-directory",
    "open-write",
    "open-truncate",
    "create",
    "create-follow",
    "create-exclusive",
    "readlink",
    "hash",
    "hash-follow",
    "set-times",
    "set-times-follow",
    "set-times-nothing",
    "mkdir",
    "rmdir",
    "unlink",
    "symlink",
    "symlink-to",
    "link-from",
    "link-to",
    "rename-from",
    "rename-to",
    "rename-directory-to",
    "open-mutate",
    "symlink-empty",
];

/// The paths every call is given, from its fixture copy.
fn paths() -> Vec<String> {
    let mut paths: Vec<String> = [
        "",
        ".",
        "..",
        "/",
        "./",
        "f",
        "f/",
        "f/.",
        "./f",
        "f//",
        "d",
        "d/",
        "d/.",
        "d/..",
        "d/../f",
        "d/s",
        "d//s",
        "d/s/../..",
        "d/s/../../..",
        "d/s/../../../..",
        "../x",
        "../m00/f",
        "e",
        "e/",
        "up",
        "up/",
        "up/m00",
        "up/../x",
        "dot",
        "dot/",
        "dot/f",
        "abs",
        "abs/",
        "dangling",
        "dangling/",
        "loop",
        "loop/",
        "dl",
        "dl/",
        "dl/g",
        "dl/.",
        "dl/..",
        "fl",
        "fl/",
        "fl/.",
        "chain",
        "nope",
        "nope/",
        "nope/x",
        "a\0b",
        "/etc/passwd",
        "d/g/",
        "d/g/x",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    paths.push("x".repeat(255));
    paths.push("x".repeat(256));
    paths
}

/// An outcome: `ok …` or the error's name.
fn shown<T: std::fmt::Debug>(result: Result<T, ErrorCode>) -> String {
    match result {
        Ok(value) => format!("ok {value:?}"),
        Err(code) => format!("err {}", code.name()),
    }
}

/// What an opened descriptor is: its type and flags.
fn opened(result: Result<Descriptor, ErrorCode>) -> String {
    shown(result.and_then(|d| Ok((d.get_type()?, d.get_flags()?))))
}

/// `op` on `path` from `base` (the fixture copy).
fn call(base: &Descriptor, op: &str, path: &str) -> Option<String> {
    let (n, follow) = (PathFlags::empty(), PathFlags::SYMLINK_FOLLOW);
    let rw = DescriptorFlags::READ | DescriptorFlags::WRITE;
    let slashed = path.ends_with('/') || path.ends_with("/.");
    Some(match op {
        "stat" | "hash" if slashed => return None,
        "stat" => shown(base.stat_at(n, path).map(|s| (s.type_, s.link_count))),
        "stat-follow" => shown(base.stat_at(follow, path).map(|s| (s.type_, s.link_count))),
        "open" => opened(base.open_at(n, path, OpenFlags::empty(), DescriptorFlags::READ)),
        "open-follow" => {
            opened(base.open_at(follow, path, OpenFlags::empty(), DescriptorFlags::READ))
        }
        "open-directory" => {
            opened(base.open_at(follow, path, OpenFlags::DIRECTORY, DescriptorFlags::READ))
        }
        "open-write" => opened(base.open_at(n, path, OpenFlags::empty(), DescriptorFlags::WRITE)),
        "open-truncate" => opened(base.open_at(n, path, OpenFlags::TRUNCATE, rw)),
        "open-mutate" => opened(base.open_at(
            n,
            path,
            OpenFlags::empty(),
            DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY,
        )),
        "create" => opened(base.open_at(n, path, OpenFlags::CREATE, rw)),
        "create-follow" => opened(base.open_at(follow, path, OpenFlags::CREATE, rw)),
        "create-exclusive" => opened(base.open_at(
            follow,
            path,
            OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
            DescriptorFlags::WRITE,
        )),
        "readlink" => shown(base.readlink_at(path)),
        "hash" => shown(base.metadata_hash_at(n, path).map(|_| ())),
        "hash-follow" => shown(base.metadata_hash_at(follow, path).map(|_| ())),
        "set-times" => shown(base.set_times_at(n, path, NewTimestamp::NoChange, NewTimestamp::Now)),
        "set-times-follow" => {
            shown(base.set_times_at(follow, path, NewTimestamp::Now, NewTimestamp::NoChange))
        }
        "set-times-nothing" => {
            shown(base.set_times_at(n, path, NewTimestamp::NoChange, NewTimestamp::NoChange))
        }
        "mkdir" => shown(base.create_directory_at(path)),
        "rmdir" if matches!(path, "d/" | "dl/" | "dot/" | "e/") => return None,
        "rmdir" => shown(base.remove_directory_at(path)),
        "unlink" => shown(base.unlink_file_at(path)),
        "symlink" => shown(base.symlink_at("target", path)),
        // An empty target: `no-entry` whatever the new path, as Linux checks
        // the target first.
        "symlink-empty" => shown(base.symlink_at("", path)),
        "symlink-to" => {
            let made = base.symlink_at(path, "new");
            let _ = base.unlink_file_at("new");
            shown(made)
        }
        "link-from" => {
            let made = base.link_at(n, path, base, "new");
            let _ = base.unlink_file_at("new");
            shown(made)
        }
        "link-to" => shown(base.link_at(n, "g", base, path)),
        "rename-from" => {
            let moved = base.rename_at(path, base, "moved");
            if moved.is_ok() {
                let back = base.rename_at("moved", base, path);
                format!("{} back {}", shown(moved), shown(back))
            } else {
                shown(moved)
            }
        }
        "rename-to" => {
            let moved = base.rename_at("g", base, path);
            if moved.is_ok() {
                // A new `g` for the next path.
                let _ = base.open_at(n, "g", OpenFlags::CREATE, DescriptorFlags::WRITE);
            }
            shown(moved)
        }
        "rename-directory-to" => {
            let _ = base.create_directory_at("h");
            shown(base.rename_at("h", base, path))
        }
        other => panic!("no call {other}"),
    })
}

fn main() {
    let (dir, _) = get_directories()
        .into_iter()
        .find(|(_, name)| name == "/sandbox")
        .expect("no /sandbox");
    for (i, op) in OPS.iter().enumerate() {
        let base = dir
            .open_at(
                PathFlags::empty(),
                &format!("m{i:02}"),
                OpenFlags::DIRECTORY,
                DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY,
            )
            .expect("a fixture copy");
        for path in paths() {
            if let Some(outcome) = call(&base, op, &path) {
                let short: String = path.chars().take(12).collect();
                println!("{op} {short:?}: {outcome}");
            }
        }
    }
    // The preopen itself as a hard link's source: a directory, refused,
    // but a new name that exists is `exist` first (as Linux's `linkat`).
    let n = PathFlags::empty();
    for (old, new) in [
        (".", "m00"),
        (".", "new"),
        ("m00/..", "m01"),
        ("m00/..", "new"),
    ] {
        println!(
            "link-root {old:?} to {new:?}: {}",
            shown(dir.link_at(n, old, &dir, new))
        );
    }
    // Two faults in one call: which is told first (the walks to both last
    // names, then a dot, then the names).
    let long = "x".repeat(256);
    for (old, new) in [
        ("missing", ".."),
        ("missing", "../x"),
        ("m00/f/", ""),
        (long.as_str(), "../x"),
        (long.as_str(), "."),
        (".", long.as_str()),
        ("m00/d/..", long.as_str()),
        // The old name is looked up before the new one (`no-entry`).
        ("missing", long.as_str()),
        // A NUL in a last name is found after both walks.
        ("missing", "b\0"),
        ("a\0", ".."),
        ("a\0b", "missing/x"),
        ("m00\0/x", "missing/x"),
        // The first path's walk before its NUL.
        ("/\0b", "/"),
        ("missing/a\0", "b"),
        // A symlink to a name too long in the new path's walk (`m00/long`):
        // `renameat` walks to both last names first; `linkat` walks the
        // old path whole (`name/` as `name/.`) first.
        ("missing/", "m00/long/x"),
        ("m00/f/", "m00/long/x"),
        ("missing", "m00/long/x"),
        ("m00/f/", "missing/x"),
        // The new name too long is looked up after the old name, before
        // a trailing `/` on a file asks for a directory.
        ("missing/", long.as_str()),
        ("m00/f/", long.as_str()),
    ] {
        let (old12, new12): (String, String) = (
            old.chars().take(12).collect(),
            new.chars().take(12).collect(),
        );
        let linked = shown(dir.link_at(n, old, &dir, new));
        println!("two-faults link {old12:?} to {new12:?}: {linked}");
        let renamed = shown(dir.rename_at(old, &dir, new));
        println!("two-faults rename {old12:?} to {new12:?}: {renamed}");
    }
}
