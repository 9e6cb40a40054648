//! A directory preopened inside another (`--dir D::/outer --dir
//! D/in::/inner`): an atomic replace, a removal and a re-creation through
//! `/outer` are seen through `/inner` at once. Compared with
//! wasmtime-wasi's output on the same fixture.

#[path = "../std_common.rs"]
mod common;

use std::fs;

use common::{meta, show};

fn main() {
    show("inner: read f", fs::read_to_string("/inner/f"));
    show("inner: stat f", meta("/inner/f".as_ref()));
    // Write a temporary file, rename it over in/f.
    show("outer: write tmp", fs::write("/outer/tmp", b"replaced!"));
    show(
        "outer: rename tmp in/f",
        fs::rename("/outer/tmp", "/outer/in/f"),
    );
    show("inner: read f", fs::read_to_string("/inner/f"));
    show("inner: stat f", meta("/inner/f".as_ref()));
    show("outer: remove in/f", fs::remove_file("/outer/in/f"));
    show("inner: stat f", meta("/inner/f".as_ref()));
    show(
        "inner: create f",
        fs::write("/inner/f", b"made through inner"),
    );
    show("outer: read in/f", fs::read_to_string("/outer/in/f"));
    show("outer: mkdir in/sub", fs::create_dir("/outer/in/sub"));
    show("inner: write sub/y", fs::write("/inner/sub/y", b"y"));
    show(
        "outer: read in/sub/y",
        fs::read_to_string("/outer/in/sub/y"),
    );
}
