//! `metadata-hash-at` (the guest's `st_ino`) names what a path is *now*:
//! right after a `stat-at` of the path (which directfs remembers for the
//! `metadata-hash-at` wasi-libc makes next), then after a `rename-at`
//! replaced the name, and after one moved it away. Written against
//! `wasi:filesystem` directly (std does not show `st_ino` on WASI); runs
//! under both implementations, whose output must be identical.

mod bindings {
    wit_bindgen::generate!({ path: "../wit/wasi", world: "host", generate_all });
}

use bindings::wasi::filesystem::preopens::get_directories;
use bindings::wasi::filesystem::types::{
    Descriptor, DescriptorFlags, ErrorCode, OpenFlags, PathFlags,
};

/// The identity of `name` in `dir`: `(lower, upper)`.
fn identity(dir: &Descriptor, name: &str) -> Result<(u64, u64), ErrorCode> {
    dir.metadata_hash_at(PathFlags::empty(), name)
        .map(|h| (h.lower, h.upper))
}

/// Prints what a step came to (`ok` or the error code), for the
/// differential comparison.
fn show<T>(what: &str, result: Result<T, ErrorCode>) -> Result<T, ErrorCode> {
    match &result {
        Ok(_) => println!("{what}: ok"),
        Err(code) => println!("{what}: {code:?}"),
    }
    result
}

fn main() {
    let (dir, _) = get_directories()
        .into_iter()
        .find(|(_, name)| name == "/sandbox")
        .expect("no /sandbox");
    for name in ["a", "b"] {
        show(
            &format!("create {name}"),
            dir.open_at(
                PathFlags::empty(),
                name,
                OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
                DescriptorFlags::WRITE,
            ),
        )
        .expect("create");
    }
    let (a, b) = (identity(&dir, "a").unwrap(), identity(&dir, "b").unwrap());
    assert_ne!(a, b, "two files, two identities");

    // A stat, then the identity of the same path: the same file.
    show("stat a", dir.stat_at(PathFlags::empty(), "a")).expect("stat a");
    assert_eq!(identity(&dir, "a"), Ok(a));
    println!("identity after stat: ok");

    // `b` renamed over `a`: the name is `b`'s file now.
    show("stat a", dir.stat_at(PathFlags::empty(), "a")).expect("stat a");
    show("rename b over a", dir.rename_at("b", &dir, "a")).expect("rename");
    assert_eq!(identity(&dir, "a"), Ok(b), "identity after rename");
    println!("identity after replacing rename: ok");

    // `a` renamed away: the name is gone.
    show("stat a", dir.stat_at(PathFlags::empty(), "a")).expect("stat a");
    show("rename a to c", dir.rename_at("a", &dir, "c")).expect("rename");
    assert_eq!(
        show("identity of a", identity(&dir, "a")),
        Err(ErrorCode::NoEntry)
    );
    assert_eq!(identity(&dir, "c"), Ok(b));
    println!("identity after rename away: ok");
}
