//! Stats stay fresh: every change through `std::fs` (a write, `set_len`,
//! times, a hard link, a rename over, a removal, a new entry
//! in a directory) shows in the next `metadata` of the same file, asked by
//! the same path, by another path to it, and through `read_dir`'s entries.
//! directfs answers a repeated stat of an unchanged file from memory
//! (exclusive mounts); this checks that no change is missed. Runs under
//! both `wasi:filesystem` implementations; the output must be identical.

#[path = "../std_common.rs"]
mod common;

use std::fs::{self, File, FileTimes, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{meta, show, tree};

/// The length of each entry of `dir`, through `read_dir` (wasi-libc's
/// `readdir` asks `metadata-hash-at` of every entry, then `metadata` asks
/// `stat-at` of the same name by another path).
fn listing(dir: &Path) -> String {
    let mut out: Vec<String> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| {
            let e = e.expect("entry");
            let m = e.metadata().expect("metadata");
            format!("{}={}", e.file_name().to_string_lossy(), m.len())
        })
        .collect();
    out.sort();
    out.join(" ")
}

fn main() {
    let d = Path::new("/sandbox");
    let f = d.join("dir/f");
    let via = d.join("dir/./f");
    show("mkdir", fs::create_dir(d.join("dir")));
    show("write", fs::write(&f, b"abc"));
    // Opened first: the changes below go through it, with no open (no
    // change of names) between a stat and the next.
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .open(&f)
        .expect("open");
    show("stat", meta(&f));
    show("stat again", meta(&f));
    show("stat by another path", meta(&via));
    show("listing", Ok(listing(&d.join("dir"))));

    // Data and size.
    show("append", file.write_all(b"defg"));
    show("stat after append", meta(&f));
    show("listing after append", Ok(listing(&d.join("dir"))));
    show("append more", file.write_all(b"h"));
    show("listing after append more", Ok(listing(&d.join("dir"))));
    show("stat by another path after append", meta(&via));
    show("set_len", file.set_len(2));
    show("stat after set_len", meta(&via));
    show("stat after set_len again", meta(&f));

    // Times (WASI 0.2 has no permissions to set: `directfs:fs`'s
    // `ops_stat_fresh` checks modes).
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    show(
        "set times",
        file.set_times(FileTimes::new().set_modified(at).set_accessed(at)),
    );
    show("stat after set times", meta(&f));

    // Reading (the access time may change: not shown, but nothing else).
    let mut buf = String::new();
    show("read", file.read_to_string(&mut buf));
    show("stat after read", meta(&f));
    drop(file);

    // Links and names.
    show("hard link", fs::hard_link(&f, d.join("link")));
    show("stat of the link", meta(&d.join("link")));
    show("write other", fs::write(d.join("other"), b"0123456789"));
    show("stat other", meta(&d.join("other")));
    show("rename over", fs::rename(d.join("other"), &f));
    show("stat after rename over", meta(&f));
    show("stat of the old link", meta(&d.join("link")));
    show("listing after rename", Ok(listing(&d.join("dir"))));
    show("remove", fs::remove_file(&f));
    show("stat after remove", meta(&f));
    show("stat of the link after remove", meta(&d.join("link")));

    // Another file, written through a handle opened before its stat.
    show("new entry", fs::write(d.join("dir/g"), b"x"));
    let mut g = File::options()
        .write(true)
        .open(d.join("dir/g"))
        .expect("open g");
    show("listing with g", Ok(listing(&d.join("dir"))));
    show("stat g", meta(&d.join("dir/g")));
    show("write g through the handle", g.write_all(b"xyz"));
    show("stat g after write", meta(&d.join("dir/g")));
    show("listing after write", Ok(listing(&d.join("dir"))));

    // The same path, asked again after its directories were swapped: it
    // leads to another file now.
    show("mkdir p", fs::create_dir(d.join("p")));
    show("write p/x", fs::write(d.join("p/x"), b"1"));
    show("mkdir r", fs::create_dir(d.join("r")));
    show("write r/x", fs::write(d.join("r/x"), b"4444"));
    show("stat p/x", meta(&d.join("p/x")));
    show("stat p/x again", meta(&d.join("p/x")));
    show("rename p q", fs::rename(d.join("p"), d.join("q")));
    show("rename r p", fs::rename(d.join("r"), d.join("p")));
    show("stat p/x after the swap", meta(&d.join("p/x")));
    show("rename p r", fs::rename(d.join("p"), d.join("r")));
    show("stat p/x with p gone", meta(&d.join("p/x")));
    tree(d);
}
