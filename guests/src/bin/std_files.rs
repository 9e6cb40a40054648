//! Plain `std::fs` on files: create, write, read, append, truncate, seek,
//! set_len, create_new, metadata, times, sync. Runs under both
//! `wasi:filesystem` implementations; the output must be identical.

#[path = "../std_common.rs"]
mod common;

use std::fs::{self, File, FileTimes, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{show, tree};

fn main() {
    let d = Path::new("/sandbox");
    show("write", fs::write(d.join("a.txt"), b"hello"));
    show("read", fs::read_to_string(d.join("a.txt")));
    show(
        "append",
        OpenOptions::new()
            .append(true)
            .open(d.join("a.txt"))
            .and_then(|mut f| f.write_all(b", world")),
    );
    show("read after append", fs::read_to_string(d.join("a.txt")));
    show(
        "create truncates",
        File::create(d.join("a.txt")).map(|_| ()),
    );
    show(
        "len after create",
        fs::metadata(d.join("a.txt")).map(|m| m.len()),
    );
    show(
        "create_new on existing",
        File::create_new(d.join("a.txt")).map(|_| ()),
    );
    show(
        "create_new",
        File::create_new(d.join("b.txt")).and_then(|mut f| f.write_all(b"0123456789")),
    );
    // Seek and overwrite in the middle; read back from an offset.
    show(
        "seek write",
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(d.join("b.txt"))
            .and_then(|mut f| {
                f.seek(SeekFrom::Start(3))?;
                f.write_all(b"abc")?;
                f.seek(SeekFrom::Start(2))?;
                let mut s = String::new();
                f.read_to_string(&mut s)?;
                Ok(s)
            }),
    );
    show(
        "set_len shrink",
        OpenOptions::new()
            .write(true)
            .open(d.join("b.txt"))
            .and_then(|f| f.set_len(4)),
    );
    show(
        "set_len grow",
        OpenOptions::new()
            .write(true)
            .open(d.join("b.txt"))
            .and_then(|f| f.set_len(8)),
    );
    show("read after set_len", fs::read(d.join("b.txt")));
    show(
        "truncate option",
        OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(d.join("b.txt"))
            .and_then(|mut f| f.write_all(b"xy")),
    );
    show("read after truncate", fs::read(d.join("b.txt")));
    show(
        "write to a read-only open",
        File::open(d.join("b.txt")).and_then(|mut f| f.write_all(b"no")),
    );
    show(
        "read from a write-only open",
        OpenOptions::new()
            .write(true)
            .open(d.join("b.txt"))
            .and_then(|mut f| f.read(&mut [0; 4])),
    );
    // A large file through the streams, in several chunks.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    show("write big", fs::write(d.join("big"), &big));
    show("read big", fs::read(d.join("big")).map(|b| b == big));
    // Metadata and times.
    let meta = fs::metadata(d.join("big"));
    show("metadata", meta.map(|m| (m.is_file(), m.is_dir(), m.len())));
    let when = SystemTime::UNIX_EPOCH + Duration::new(1_000_000_000, 500);
    show(
        "set_times",
        File::options()
            .write(true)
            .open(d.join("big"))
            .and_then(|f| f.set_times(FileTimes::new().set_modified(when).set_accessed(when))),
    );
    show(
        "modified",
        fs::metadata(d.join("big"))
            .and_then(|m| m.modified())
            .map(|t| t == when),
    );
    show(
        "accessed",
        fs::metadata(d.join("big"))
            .and_then(|m| m.accessed())
            .map(|t| t == when),
    );
    show(
        "sync_all",
        File::open(d.join("big")).and_then(|f| f.sync_all()),
    );
    show(
        "sync_data",
        File::open(d.join("big")).and_then(|f| f.sync_data()),
    );
    show(
        "readonly bit",
        fs::metadata(d.join("big")).map(|m| m.permissions().readonly()),
    );
    show(
        "file metadata",
        File::open(d.join("big"))
            .and_then(|f| f.metadata())
            .map(|m| m.len()),
    );
    show("copy", fs::copy(d.join("big"), d.join("big2")));
    show("read copy", fs::read(d.join("big2")).map(|b| b == big));
    show("remove_file", fs::remove_file(d.join("big2")));
    show("open missing", File::open(d.join("missing")).map(|_| ()));
    println!("tree:");
    tree(d);
}
