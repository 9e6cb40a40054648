//! One host directory preopened twice, as `/a` and `/b`: what is done
//! through one is seen through the other at once, names and data alike
//! (`dfs-run --dir D::/a --dir D::/b`). Compared with wasmtime-wasi's
//! output on the same fixture.

#[path = "../std_common.rs"]
mod common;

use std::fs;

use common::{meta, show};

fn main() {
    // Look first, so that the caches hold the old state.
    show("b: stat x", meta("/b/x".as_ref()));
    show("b: read d/f", fs::read_to_string("/b/d/f"));
    show("a: write x", fs::write("/a/x", b"through a"));
    show("b: read x", fs::read_to_string("/b/x"));
    show("b: stat x", meta("/b/x".as_ref()));
    show(
        "b: create x exclusively",
        fs::File::create_new("/b/x").map(drop),
    );
    // A directory moved away and another made in its place through /a.
    show("a: rename d d2", fs::rename("/a/d", "/a/d2"));
    show("a: mkdir d", fs::create_dir("/a/d"));
    show("a: write d/f", fs::write("/a/d/f", b"new"));
    show("b: read d/f", fs::read_to_string("/b/d/f"));
    show("b: write d/f", fs::write("/b/d/f", b"written through b"));
    show("a: read d/f", fs::read_to_string("/a/d/f"));
    show("a: read d2/f", fs::read_to_string("/a/d2/f"));
    show("b: remove d/f", fs::remove_file("/b/d/f"));
    show("a: stat d2/f", meta("/a/d2/f".as_ref()));
    show("a: stat d/f", meta("/a/d/f".as_ref()));
    // The other way round: removed through /a, re-made through /b.
    show("a: remove x", fs::remove_file("/a/x"));
    show("b: stat x", meta("/b/x".as_ref()));
    show("b: write x", fs::write("/b/x", b"again"));
    show("a: read x", fs::read_to_string("/a/x"));
}
