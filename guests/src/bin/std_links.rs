//! Plain `std::fs` on links and paths: rename (replacing), hard links
//! (shared data), symlinks (made by `soft_link`, read, followed, not
//! followed), walks with `.` and `..`, and escapes that must fail. Runs under
//! both `wasi:filesystem` implementations; the output must be identical.
//!
//! The host planted `/sandbox/out` (an absolute symlink to a directory
//! outside the sandbox) and `/sandbox/up` (`../outside`).

#[path = "../std_common.rs"]
mod common;

use std::fs;
use std::path::Path;

use common::{show, tree};

#[allow(
    deprecated,
    reason = "soft_link is std's only stable symlink maker on WASI"
)]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    fs::soft_link(target, link)
}

fn main() {
    let d = Path::new("/sandbox");
    show("mkdir", fs::create_dir_all(d.join("dir/sub")));
    show("write", fs::write(d.join("dir/sub/file"), b"content"));
    // Rename: a file, replacing another.
    show("write other", fs::write(d.join("other"), b"old"));
    show(
        "rename replacing",
        fs::rename(d.join("other"), d.join("dir/sub/file2")),
    );
    show("read renamed", fs::read_to_string(d.join("dir/sub/file2")));
    show("rename missing", fs::rename(d.join("other"), d.join("x")));
    // Hard links share their data.
    show(
        "hard_link",
        fs::hard_link(d.join("dir/sub/file"), d.join("hard")),
    );
    show(
        "hard_link existing",
        fs::hard_link(d.join("dir/sub/file"), d.join("hard")),
    );
    show(
        "hard_link missing",
        fs::hard_link(d.join("nope"), d.join("hard2")),
    );
    show(
        "hard_link a dir",
        fs::hard_link(d.join("dir"), d.join("dirlink")),
    );
    show("write through link", fs::write(d.join("hard"), b"shared!"));
    show(
        "read other name",
        fs::read_to_string(d.join("dir/sub/file")),
    );
    // Symlinks.
    show("symlink rel", symlink("dir/sub/file", &d.join("rel")));
    show("symlink dir", symlink("dir/sub", &d.join("subl")));
    show("symlink dangling", symlink("nowhere", &d.join("dangling")));
    show("symlink existing", symlink("x", &d.join("rel")));
    show("read_link", fs::read_link(d.join("rel")));
    show("read_link a file", fs::read_link(d.join("hard")));
    show("read through symlink", fs::read_to_string(d.join("rel")));
    show(
        "read through dir symlink",
        fs::read_to_string(d.join("subl/file")),
    );
    show(
        "symlink_metadata",
        fs::symlink_metadata(d.join("rel")).map(|m| (m.is_symlink(), m.is_file())),
    );
    show(
        "metadata follows",
        fs::metadata(d.join("rel")).map(|m| (m.is_symlink(), m.is_file(), m.len())),
    );
    show(
        "metadata dangling",
        fs::metadata(d.join("dangling")).map(|_| ()),
    );
    show("read dangling", fs::read(d.join("dangling")));
    show(
        "write through dangling",
        fs::write(d.join("dangling"), b"made"),
    );
    show("remove_file symlink", fs::remove_file(d.join("subl")));
    show("target survives", fs::exists(d.join("dir/sub/file")));
    // Walks with `.` and `..`.
    show(
        "dot dot",
        fs::read_to_string(d.join("dir/sub/../sub/./file")),
    );
    show(
        "dot dot through symlink",
        fs::read_to_string(d.join("rel/../sub/file2")),
    );
    show(
        "dot dot to the top",
        fs::read_dir(d.join("dir/..")).map(|it| it.count()),
    );
    show(
        "missing then dot dot",
        fs::read(d.join("dir/missing/../sub/file")),
    );
    show("file then dot dot", fs::read(d.join("hard/../hard")));
    // Escapes: none may leave the sandbox.
    show("escape dot dot", fs::read(d.join("../outside/canary")));
    show("escape deep", fs::read(d.join("dir/../../outside/canary")));
    show("escape absolute symlink", fs::read(d.join("out/canary")));
    show("escape relative symlink", fs::read(d.join("up/canary")));
    show("escape write", fs::write(d.join("up/new"), b"x"));
    show("escape mkdir", fs::create_dir(d.join("out/new")));
    show("escape remove", fs::remove_file(d.join("out/canary")));
    show(
        "escape rename",
        fs::rename(d.join("hard"), d.join("up/stolen")),
    );
    show(
        "escape link",
        fs::hard_link(d.join("up/canary"), d.join("got")),
    );
    show(
        "escape symlink made",
        symlink("../outside/canary", &d.join("esc")),
    );
    show("escape through made", fs::read(d.join("esc")));
    show(
        "read_link out",
        fs::read_link(d.join("out")).map(|p| p.is_absolute()),
    );
    println!("tree:");
    tree(d);
}
