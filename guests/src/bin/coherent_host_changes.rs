//! The host changes the preopen while the guest runs: after each change
//! (made by the test, another process, between two lines on stdin) the
//! guest looks at every name again and prints what it sees, so a cache
//! that missed a change shows. Then it writes where the host changed
//! things. Run under both `wasi:filesystem` implementations and in each
//! revalidation mode; the output must be wasmtime-wasi's, except in
//! `exclusive` mode, which promises nothing here.

#[path = "../std_common.rs"]
mod common;

use std::fs;
use std::io::{BufRead, Write};
use std::path::Path;

use common::{meta, show};

/// The names in `dir`, sorted.
fn names(dir: &Path) -> std::io::Result<String> {
    let mut names = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names.join(" "))
}

fn probe(step: &str) {
    let root = Path::new("/s");
    for name in ["f", "g", "h", "d", "d/x", "e/x"] {
        let path = root.join(name);
        // Twice: the second may be answered from memory.
        show(&format!("{step} stat {name}"), meta(&path));
        show(&format!("{step} stat {name} again"), meta(&path));
        if name != "d" {
            show(&format!("{step} read {name}"), fs::read_to_string(&path));
        }
    }
    show(&format!("{step} list /"), names(root));
    show(&format!("{step} list d"), names(&root.join("d")));
    show(
        &format!("{step} d is a symlink"),
        fs::symlink_metadata(root.join("d")).map(|m| m.is_symlink()),
    );
}

/// With `MADE` in the environment: the guest first makes the fixture's
/// files again itself, unlinked and created anew through WASI (so their
/// names are cached nowhere and their directories have cached nothing
/// when the host starts changing them), and keeps `h` open: its handle
/// must keep working after the host removes `h`.
fn make_files_again() -> Option<fs::File> {
    std::env::var_os("MADE")?;
    for (name, data) in [("/s/f", "old"), ("/s/d/x", "in d")] {
        show(&format!("remove {name}"), fs::remove_file(name));
        show(&format!("make {name}"), fs::write(name, data));
    }
    show("remove /s/h", fs::remove_file("/s/h"));
    let h = fs::File::create_new("/s/h");
    let mut h = h.inspect_err(|e| println!("make /s/h: {e}")).ok()?;
    show("write /s/h", h.write_all(b"doomed"));
    Some(h)
}

/// With `CHURN` in the environment: the guest first makes, renames and
/// removes a file 300 times in `/s` and in `/s/d`, after a look at each
/// (so directfs's watch of each tells of little but the guest's own
/// changes of names, and each directory is revalidated instead: see
/// directfs's `CHURN_AFTER`), before the host starts changing them.
fn churn() {
    if std::env::var_os("CHURN").is_none() {
        return;
    }
    let mut failed = None;
    for dir in ["/s", "/s/d"] {
        show(&format!("look into {dir}"), meta(&Path::new(dir).join("x")));
        let (tmp, moved) = (format!("{dir}/tmp"), format!("{dir}/tmp2"));
        for _ in 0..300 {
            let step = fs::write(&tmp, b"tmp")
                .and_then(|()| fs::rename(&tmp, &moved))
                .and_then(|()| fs::remove_file(&moved));
            failed = failed.or(step.err());
        }
    }
    show("churn", failed.map_or(Ok(()), Err));
}

fn main() {
    let mut h = make_files_again();
    churn();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut step = 0;
    loop {
        probe(&format!("[{step}]"));
        println!("ready");
        match lines.next() {
            Some(Ok(_)) => step += 1,
            _ => break,
        }
    }
    // Writes where the host changed things: a name it removed, a file
    // under a directory it replaced by a symlink, one it re-created.
    show("write h", fs::write("/s/h", b"guest h"));
    show("write d/x", fs::write("/s/d/x", b"guest d/x"));
    show("append e/x", {
        use std::io::Write;
        fs::OpenOptions::new()
            .append(true)
            .open("/s/e/x")
            .and_then(|mut f| f.write_all(b"+guest"))
    });
    show("remove g", fs::remove_file("/s/g"));
    show("create g", fs::write("/s/g", b"guest g"));
    // The file the guest made and kept open, removed by the host since.
    if let Some(h) = &mut h {
        show("open h write", h.write_all(b"+more"));
        show("open h len", h.metadata().map(|m| m.len()));
    }
}
