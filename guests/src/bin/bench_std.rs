//! Benchmark guest over `std::fs` (so `wasi:filesystem`): the workloads of
//! `bench_dfs`, on the preopen `/b`, printing `ns=<elapsed> ops=<count>`.

use std::fs;
use std::io::{Read, Write};
use std::time::Instant;

use guest::arg;

fn main() {
    let workload = std::env::args().nth(1).expect("workload");
    if workload == "tree2" {
        // The second walk of the tree is timed; this is the first.
        tree(arg(2), arg(3));
    }
    let start = Instant::now();
    let ops = match workload.as_str() {
        "noop" => {
            fs::symlink_metadata("/b/deep").unwrap();
            1
        }
        "stat8" => {
            for _ in 0..arg(2) {
                fs::symlink_metadata("/b/deep/a/b/c/d/e/f/g/file").unwrap();
            }
            arg(2)
        }
        "tree" | "tree2" => tree(arg(2), arg(3)),
        "read" => {
            // Reads every file of directories `d{first}`.. of the tree:
            // an `open-at` (a walk and an open) per file.
            let (dirs, files, first) = (arg(2), arg(3), arg(4));
            for d in first..first + dirs {
                for f in 0..files {
                    fs::read(format!("/b/tree/d{d:02}/f{f:03}")).unwrap();
                }
            }
            dirs * files
        }
        "readdir" => {
            let mut n = 0;
            for e in fs::read_dir("/b/flat").unwrap() {
                e.unwrap().metadata().unwrap();
                n += 1;
            }
            n
        }
        "create" => {
            let data = vec![7u8; 4096];
            for i in 0..arg(2) {
                let name = format!("/b/w/f{i}");
                fs::File::create(&name).unwrap().write_all(&data).unwrap();
                fs::remove_file(&name).unwrap();
            }
            arg(2)
        }
        "mkdir" => {
            for i in 0..arg(2) {
                let name = format!("/b/w/d{i}");
                fs::create_dir(&name).unwrap();
                fs::remove_dir(&name).unwrap();
            }
            arg(2)
        }
        "rename" => {
            fs::File::create("/b/w/a").unwrap();
            for i in 0..arg(2) {
                let (from, to) = if i % 2 == 0 {
                    ("/b/w/a", "/b/w/b")
                } else {
                    ("/b/w/b", "/b/w/a")
                };
                fs::rename(from, to).unwrap();
            }
            arg(2)
        }
        "link" => {
            fs::File::create("/b/w/target").unwrap();
            for _ in 0..arg(2) {
                fs::hard_link("/b/w/target", "/b/w/l").unwrap();
                fs::remove_file("/b/w/l").unwrap();
            }
            arg(2)
        }
        "symlink" => {
            for _ in 0..arg(2) {
                symlink("target", "/b/w/s");
                fs::remove_file("/b/w/s").unwrap();
            }
            arg(2)
        }
        "append" => {
            // One file opened to append (and create) again and again, as
            // a log is: `O_CREAT | O_APPEND`.
            for i in 0..arg(2) {
                let mut log = fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open("/b/w/log")
                    .unwrap();
                writeln!(log, "{i}").unwrap();
            }
            arg(2)
        }
        "logstat" => {
            // One file appended to and stat-ed by name, a line a turn (as
            // a logger that checks its file's size to rotate it does).
            let mut log = fs::File::create("/b/w/log").unwrap();
            for i in 0..arg(2) {
                writeln!(log, "{i}").unwrap();
                assert!(fs::metadata("/b/w/log").unwrap().len() > 0);
            }
            arg(2)
        }
        "rewrite" => {
            // Files made, then each written over once (`fs::write`:
            // `O_CREAT | O_TRUNC` of a name that is there).
            for i in 0..arg(2) {
                fs::write(format!("/b/w/f{i}"), b"old content").unwrap();
            }
            for i in 0..arg(2) {
                fs::write(format!("/b/w/f{i}"), format!("{i}")).unwrap();
            }
            arg(2)
        }
        "readlink" => {
            // A new symlink a turn, its target read back once.
            for i in 0..arg(2) {
                let (target, link) = (format!("t{i}"), format!("/b/w/s{i}"));
                symlink(&target, &link);
                assert_eq!(fs::read_link(&link).unwrap().to_str(), Some(&*target));
            }
            arg(2)
        }
        "missing" => {
            // A name that is not there stat-ed twice a turn, a new one each
            // turn (as a program probing for optional files does).
            for i in 0..arg(2) {
                let name = format!("/b/w/m{i}");
                for _ in 0..2 {
                    let err = fs::symlink_metadata(&name).unwrap_err();
                    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
                }
            }
            arg(2)
        }
        "probe" => {
            // A directory made, then looked into, stat-ed and probed twice
            // for a name that is not there, a turn (as a search probing each
            // directory it enters for its ignore files does).
            for i in 0..arg(2) {
                let dir = format!("/b/w/d{i}");
                fs::create_dir(&dir).unwrap();
                assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
                assert!(fs::metadata(&dir).unwrap().is_dir());
                for _ in 0..2 {
                    let err = fs::symlink_metadata(format!("{dir}/.ignore")).unwrap_err();
                    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
                }
            }
            arg(2)
        }
        "seqwrite" => {
            let (size, chunk) = (arg(2), arg(3));
            let mut f = fs::File::create("/b/w/big").unwrap();
            let data = vec![1u8; chunk as usize];
            for _ in 0..size / chunk {
                f.write_all(&data).unwrap();
            }
            size / chunk
        }
        "seqread" => {
            let (size, chunk) = (arg(2), arg(3));
            let mut f = fs::File::open("/b/big").unwrap();
            let mut buf = vec![0u8; chunk as usize];
            let mut total = 0;
            while total < size {
                let n = f.read(&mut buf).unwrap();
                assert!(n > 0);
                total += n as u64;
            }
            size / chunk
        }
        other => panic!("unknown workload {other}"),
    };
    println!("ns={} ops={ops}", start.elapsed().as_nanos());
}

/// Stats every file of the tree `tree/d{DD}/f{FFF}`.
fn tree(dirs: u64, files: u64) -> u64 {
    for d in 0..dirs {
        for f in 0..files {
            fs::symlink_metadata(format!("/b/tree/d{d:02}/f{f:03}")).unwrap();
        }
    }
    dirs * files
}

/// `std::fs::soft_link`, std's only stable symlink maker on WASI.
#[expect(
    deprecated,
    reason = "soft_link is std's only stable symlink maker on WASI"
)]
fn symlink(target: &str, link: &str) {
    fs::soft_link(target, link).unwrap();
}
