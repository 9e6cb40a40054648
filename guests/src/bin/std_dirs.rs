//! Plain `std::fs` on directories: create_dir(_all), read_dir with
//! metadata, remove_dir(_all), rename, and the error kinds they give
//! (AlreadyExists, NotFound, NotADirectory, IsADirectory,
//! DirectoryNotEmpty); writes to a read-only preopen. Runs under both
//! `wasi:filesystem` implementations; the output must be identical.

#[path = "../std_common.rs"]
mod common;

use std::fs;
use std::path::Path;

use common::{show, tree};

fn main() {
    let d = Path::new("/sandbox");
    show("create_dir", fs::create_dir(d.join("a")));
    show("create_dir again", fs::create_dir(d.join("a")));
    show("create_dir_all", fs::create_dir_all(d.join("a/b/c/d")));
    show("create_dir_all existing", fs::create_dir_all(d.join("a/b")));
    show("create_dir missing parent", fs::create_dir(d.join("x/y")));
    show("write", fs::write(d.join("a/b/f"), b"data"));
    show("create_dir under a file", fs::create_dir(d.join("a/b/f/g")));
    show(
        "create_dir_all under a file",
        fs::create_dir_all(d.join("a/b/f/g")),
    );
    show("read_dir a file", fs::read_dir(d.join("a/b/f")).map(|_| ()));
    show("read_dir missing", fs::read_dir(d.join("nope")).map(|_| ()));
    show("read a directory", fs::read(d.join("a")));
    show("remove_file a directory", fs::remove_file(d.join("a/b/c")));
    show("remove_dir a file", fs::remove_dir(d.join("a/b/f")));
    show("remove_dir non-empty", fs::remove_dir(d.join("a/b")));
    show("remove_dir missing", fs::remove_dir(d.join("a/zz")));
    // Many entries: read_dir spans more than one page of the host listing.
    show(
        "create many",
        (0..600).try_for_each(|i| fs::write(d.join(format!("a/n{i:03}")), [])),
    );
    show(
        "read_dir count",
        fs::read_dir(d.join("a")).map(|it| it.count()),
    );
    show(
        "read_dir metadata",
        fs::read_dir(d.join("a/b")).and_then(|it| {
            let mut v = it
                .map(|e| {
                    let e = e?;
                    let m = e.metadata()?;
                    Ok((
                        e.file_name().into_string().unwrap(),
                        m.is_dir(),
                        m.len() * m.is_file() as u64,
                    ))
                })
                .collect::<std::io::Result<Vec<_>>>()?;
            v.sort();
            Ok(v)
        }),
    );
    show(
        "rename a directory",
        fs::rename(d.join("a/b/c"), d.join("a/c2")),
    );
    show(
        "rename onto a non-empty dir",
        fs::rename(d.join("a/c2"), d.join("a/b")),
    );
    show(
        "rename a dir onto a file",
        fs::rename(d.join("a/c2"), d.join("a/b/f")),
    );
    show(
        "rename a file onto a dir",
        fs::rename(d.join("a/b/f"), d.join("a/c2")),
    );
    show(
        "rename into itself",
        fs::rename(d.join("a/b"), d.join("a/b/inner")),
    );
    show("remove_dir_all", fs::remove_dir_all(d.join("a/c2")));
    show("exists after remove_dir_all", fs::exists(d.join("a/c2")));
    show("exists", fs::exists(d.join("a/b/f")));
    // The read-only preopen.
    let ro = Path::new("/ro");
    show("ro read", fs::read_to_string(ro.join("f")));
    show("ro write", fs::write(ro.join("f"), b"x"));
    show("ro create", fs::write(ro.join("new"), b"x"));
    show("ro create_dir", fs::create_dir(ro.join("dir")));
    show("ro remove_file", fs::remove_file(ro.join("f")));
    show("ro rename", fs::rename(ro.join("f"), ro.join("g")));
    show("ro read_dir", fs::read_dir(ro).map(|it| it.count()));
    show(
        "cross-preopen rename",
        fs::rename(ro.join("f"), d.join("f")),
    );
    show("remove_dir_all many", fs::remove_dir_all(d.join("a")));
    println!("tree:");
    tree(d);
}
