//! Plain `std::fs`: opening with `create` names that the host made before
//! the guest started (so a cache knows nothing of them), one of each kind:
//! a file, a directory, symlinks to each, a dangling symlink, escaping
//! symlinks (absolute and relative, to an existing and a missing target), a
//! symlink loop, and names in a host-made directory. Runs under both
//! `wasi:filesystem` implementations; the output must be identical.
//!
//! The host side (`tests/wasi_fs.rs`, `std_create_existing`) makes the
//! names: `f` ("old"), `d/`, `d/inner` ("inner"), `lf -> f`, `ld -> d`,
//! `dangling -> made`, `esc_new -> ../outside/new`, `lloop -> lloop`, and
//! the fixture's own `out` (absolute) and `up -> ../outside`.

#[path = "../std_common.rs"]
mod common;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use common::{show, tree};

/// Opens `path` with `create` (and `truncate` if asked) and writes `data`
/// at its start.
fn create(path: &Path, truncate: bool, data: &[u8]) -> std::io::Result<()> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(truncate)
        .open(path)?
        .write_all(data)
}

fn main() {
    let d = Path::new("/sandbox");
    show("file", create(&d.join("f"), false, b"NEW"));
    show("read file", fs::read_to_string(d.join("f")));
    show(
        "file, create_new",
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(d.join("f"))
            .map(|_| ()),
    );
    show("dir", create(&d.join("d"), false, b"x"));
    show("dir, truncate", create(&d.join("d"), true, b"x"));
    show("in dir", create(&d.join("d/inner"), true, b"replaced"));
    show("read in dir", fs::read_to_string(d.join("d/inner")));
    show("new in dir", create(&d.join("d/fresh"), false, b"fresh"));
    show("link to file", create(&d.join("lf"), false, b"via"));
    show("read through link", fs::read_to_string(d.join("f")));
    show("link to dir", create(&d.join("ld"), false, b"x"));
    show("dangling", create(&d.join("dangling"), false, b"made"));
    show("read made", fs::read_to_string(d.join("made")));
    show("escape, absolute", create(&d.join("out"), false, b"x"));
    show("escape, relative", create(&d.join("up"), false, b"x"));
    show("escape, dangling", create(&d.join("esc_new"), false, b"x"));
    show("loop", create(&d.join("lloop"), false, b"x"));
    show("new", create(&d.join("brand_new"), true, b"brand"));
    show("again", create(&d.join("brand_new"), false, b"B"));
    show("read new", fs::read_to_string(d.join("brand_new")));
    tree(d);
}
