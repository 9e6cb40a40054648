//! `read_dir` of a directory that changes while it is open: removed (empty,
//! and after its entry was removed), an entry removed, an entry added. A
//! listing shows the directory as it was when opened (wasi-libc lists at
//! `opendir`, and wasmtime-wasi reads the whole listing then); an entry
//! removed since fails with `NotFound` (wasi-libc asks for each entry's
//! inode). The output must be identical under both implementations.

#[path = "../std_common.rs"]
mod common;

use std::fs;
use std::io;
use std::path::Path;

use common::show;

/// Lists `dir` after `between` ran on the open listing.
fn list_after(dir: &Path, between: impl FnOnce() -> io::Result<()>) -> io::Result<Vec<String>> {
    let listing = fs::read_dir(dir)?;
    between()?;
    let mut names = listing
        .map(|e| Ok(e?.file_name().into_string().unwrap_or_default()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

fn main() {
    let d = Path::new("/sandbox");
    show("create_dir", fs::create_dir(d.join("empty")));
    show(
        "read_dir of a removed empty directory",
        list_after(&d.join("empty"), || fs::remove_dir(d.join("empty"))),
    );
    show("create_dir", fs::create_dir(d.join("full")));
    show("write", fs::write(d.join("full/f"), b"x"));
    show(
        "read_dir of a directory emptied and removed",
        list_after(&d.join("full"), || {
            fs::remove_file(d.join("full/f"))?;
            fs::remove_dir(d.join("full"))
        }),
    );
    show(
        "read_dir of it again",
        fs::read_dir(d.join("full")).map(|_| ()),
    );
    show("create_dir", fs::create_dir(d.join("kept")));
    show("write", fs::write(d.join("kept/g"), b"y"));
    show(
        "read_dir of a directory whose entry was removed",
        list_after(&d.join("kept"), || fs::remove_file(d.join("kept/g"))),
    );
    show(
        "read_dir of a directory with an entry added",
        list_after(&d.join("kept"), || fs::write(d.join("kept/h"), b"z")),
    );
    show("write", fs::write(d.join("kept/i"), b"z"));
    show(
        "read_dir of it unchanged",
        list_after(&d.join("kept"), || Ok(())),
    );
}
