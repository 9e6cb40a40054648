//! Plain `std::fs` with a trailing `/` on the name being made, removed or
//! renamed: every such call (hard_link, soft_link, create_dir, open with
//! create, create_new, remove_file, remove_dir, rename on either side) on
//! every kind of destination (missing, file, directory, dangling symlink,
//! symlinks to a directory and to a file), and the same with `/.` (also
//! `metadata` and an open to read). Each case has fresh files,
//! directly in the preopen. Runs under both `wasi:filesystem` implementations; the output
//! must be identical.

#[path = "../std_common.rs"]
mod common;

use std::fs;
use std::path::{Path, PathBuf};

/// `prefix` + `name` as a path.
fn at(prefix: &str, name: &str) -> PathBuf {
    PathBuf::from(format!("{prefix}{name}"))
}

use common::{show, tree};

#[allow(
    deprecated,
    reason = "soft_link is std's only stable symlink maker on WASI"
)]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    fs::soft_link(target, link)
}

/// A fresh case `cNNN`: `cNNN_file`, `cNNN_dir/`, `cNNN_dangling ->
/// nowhere`, `cNNN_dirlink -> cNNN_dir` and `cNNN_filelink -> cNNN_file`,
/// all directly in the preopen (the shape of the WASI test suite's cases).
/// Returns the path prefix `/sandbox/cNNN_`.
fn case(n: &mut u32) -> String {
    *n += 1;
    let c = format!("/sandbox/c{n:03}_");
    let p = |name: &str| PathBuf::from(format!("{c}{name}"));
    fs::write(p("file"), b"x").expect("file");
    fs::create_dir(p("dir")).expect("dir");
    symlink("nowhere", &p("dangling")).expect("dangling");
    symlink(&format!("c{n:03}_dir"), &p("dirlink")).expect("dirlink");
    symlink(&format!("c{n:03}_file"), &p("filelink")).expect("filelink");
    c
}

fn main() {
    let mut n = 0;
    for dst in [
        "new/",
        "file/",
        "dir/",
        "dangling/",
        "dirlink/",
        "filelink/",
        // `name/.` asks as much of `name` as `name/` does (a directory,
        // a symlink followed to one): `not-directory` for a file.
        "new/.",
        "file/.",
        "dir/.",
        "dangling/.",
        "dirlink/.",
        "filelink/.",
    ] {
        let c = case(&mut n);
        show(
            &format!("metadata({dst})"),
            fs::metadata(at(&c, dst)).map(|m| m.is_dir()),
        );
        show(
            &format!("open read({dst})"),
            fs::File::open(at(&c, dst)).map(|_| ()),
        );
        let c = case(&mut n);
        show(
            &format!("hard_link(file, {dst})"),
            fs::hard_link(at(&c, "file"), at(&c, dst)),
        );
        let c = case(&mut n);
        show(
            &format!("soft_link(src, {dst})"),
            symlink("src", &at(&c, dst)),
        );
        let c = case(&mut n);
        show(&format!("create_dir({dst})"), fs::create_dir(at(&c, dst)));
        let c = case(&mut n);
        show(
            &format!("open create({dst})"),
            fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(at(&c, dst))
                .map(|_| ()),
        );
        let c = case(&mut n);
        show(
            &format!("create_new({dst})"),
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(at(&c, dst))
                .map(|_| ()),
        );
        let c = case(&mut n);
        show(
            &format!("open truncate({dst})"),
            fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(at(&c, dst))
                .map(|_| ()),
        );
        let c = case(&mut n);
        show(&format!("remove_file({dst})"), fs::remove_file(at(&c, dst)));
        // `remove_dir("dir/")` (and through a symlink to one): Linux
        // removes `dir` (and refuses the symlink with `not-directory`), as
        // directfs; wasmtime-wasi answers `invalid`. The WASI test suite
        // leaves it open; `tests/wasip1.rs` (`c_calls`, `c_files`) checks
        // directfs's answers against Linux's.
        if !matches!(dst, "dir/" | "dirlink/") {
            let c = case(&mut n);
            show(&format!("remove_dir({dst})"), fs::remove_dir(at(&c, dst)));
        }
        let c = case(&mut n);
        show(
            &format!("rename(file, {dst})"),
            fs::rename(at(&c, "file"), at(&c, dst)),
        );
        let c = case(&mut n);
        show(
            &format!("rename(dir, {dst})"),
            fs::rename(at(&c, "dir"), at(&c, dst)),
        );
        let c = case(&mut n);
        show(
            &format!("rename({dst}, new2)"),
            fs::rename(at(&c, dst), at(&c, "new2")),
        );
        let c = case(&mut n);
        show(
            &format!("hard_link({dst}, new2)"),
            fs::hard_link(at(&c, dst), at(&c, "new2")),
        );
    }
    println!("tree:");
    tree(Path::new("/sandbox"));
}
