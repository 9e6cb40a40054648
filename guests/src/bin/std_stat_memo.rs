//! Plain `std::fs`: stats of many names, asked again after changes made
//! between them. directfs answers a repeated stat of an exclusive mount
//! from memory while nothing changes; this checks that each kind of change
//! — a write through a handle opened before, `set_len`, set times, a
//! rename of the name or of its directory, a removal, a new name — shows in
//! the next stat of *any* name asked before that it touches, not just the
//! last one asked. Runs under both `wasi:filesystem` implementations; the
//! output must be identical.

#[path = "../std_common.rs"]
mod common;

use std::fs::{self, File, FileTimes};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{meta, show};

/// Stats every name of the walk, printing each.
fn walk(d: &Path, round: &str) {
    for name in [
        "t/a/x", "t/a/y", "t/a/z", "t/b/x", "t/b/y", "t/b/z", "t/b/w", "t/a", "t/b",
    ] {
        show(&format!("{round} {name}"), meta(&d.join(name)));
    }
}

fn main() {
    let d = Path::new("/sandbox");
    show("mkdir", fs::create_dir_all(d.join("t/a")));
    show("mkdir", fs::create_dir_all(d.join("t/b")));
    for (name, data) in [("t/a/x", "1"), ("t/a/y", "22"), ("t/b/z", "333")] {
        show(&format!("write {name}"), fs::write(d.join(name), data));
    }
    let mut x = File::options()
        .append(true)
        .open(d.join("t/a/x"))
        .expect("open x");
    walk(d, "first");
    walk(d, "second");

    show("append to x through a handle", x.write_all(b"++"));
    walk(d, "after append");
    show(
        "set_len of y",
        File::options()
            .write(true)
            .open(d.join("t/a/y"))
            .and_then(|f| f.set_len(7)),
    );
    walk(d, "after set_len");
    let times =
        FileTimes::new().set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000));
    show(
        "set times of z",
        File::options()
            .write(true)
            .open(d.join("t/b/z"))
            .and_then(|f| f.set_times(times)),
    );
    walk(d, "after set times");
    show("new w", fs::write(d.join("t/b/w"), "4444"));
    walk(d, "after new w");
    show(
        "rename x over w",
        fs::rename(d.join("t/a/x"), d.join("t/b/w")),
    );
    walk(d, "after rename");
    show(
        "swap a and b",
        fs::rename(d.join("t/a"), d.join("t/c"))
            .and_then(|()| fs::rename(d.join("t/b"), d.join("t/a")))
            .and_then(|()| fs::rename(d.join("t/c"), d.join("t/b"))),
    );
    walk(d, "after swap");
    show("remove z", fs::remove_file(d.join("t/a/z")));
    walk(d, "after remove");
    show("write x", fs::write(d.join("t/b/x"), "55555"));
    walk(d, "last");
}
