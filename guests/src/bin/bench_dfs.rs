//! Benchmark guest over the directfs API: `bench_dfs WORKLOAD ARGS…` runs one
//! workload on the preopen `/b` (prepared by `benches/fs.rs`) and prints
//! `ns=<elapsed> ops=<count>` for the workload alone (startup excluded).
//! `bench_std` runs the same workloads with `std::fs`.

use std::time::Instant;

use guest::{OpenFlags, arg, rw};

fn main() {
    let workload = std::env::args().nth(1).expect("workload");
    let root = guest::preopen("/b");
    if workload == "tree2" {
        // The second walk of the tree is timed; this is the first.
        tree(&root, arg(2), arg(3));
    }
    let start = Instant::now();
    let ops = match workload.as_str() {
        "noop" => {
            root.walk_path("deep", false).unwrap();
            1
        }
        "stat8" => {
            for _ in 0..arg(2) {
                root.walk_path("deep/a/b/c/d/e/f/g/file", false)
                    .unwrap()
                    .stat()
                    .unwrap();
            }
            arg(2)
        }
        "tree" | "tree2" => tree(&root, arg(2), arg(3)),
        "readdir" => {
            let flat = root.walk("flat").unwrap();
            let (mut cursor, mut n) = (0, 0);
            loop {
                let page = flat.read_dir_plus(cursor, 4096).unwrap();
                n += page.entries.len() as u64;
                match page.next {
                    Some(next) => cursor = next,
                    None => break n,
                }
            }
        }
        "create" => {
            let w = root.walk("w").unwrap();
            let data = vec![7u8; 4096];
            for i in 0..arg(2) {
                let name = format!("f{i}");
                let (_, h) = w.create(&name, OpenFlags::WRITE, 0o644, None).unwrap();
                assert_eq!(h.write(0, &data).unwrap(), 4096);
                drop(h);
                w.unlink(&name).unwrap();
            }
            arg(2)
        }
        "mkdir" => {
            let w = root.walk("w").unwrap();
            for i in 0..arg(2) {
                let name = format!("d{i}");
                drop(w.mkdir(&name, 0o755, None).unwrap());
                w.rmdir(&name).unwrap();
            }
            arg(2)
        }
        "rename" => {
            let w = root.walk("w").unwrap();
            drop(w.create("a", rw(), 0o644, None).unwrap());
            for i in 0..arg(2) {
                let (from, to) = if i % 2 == 0 { ("a", "b") } else { ("b", "a") };
                w.rename(from, &w, to, guest::RenameFlags::empty()).unwrap();
            }
            arg(2)
        }
        "link" => {
            let w = root.walk("w").unwrap();
            let (f, _) = w.create("target", rw(), 0o644, None).unwrap();
            for _ in 0..arg(2) {
                drop(w.link(&f, "l").unwrap());
                w.unlink("l").unwrap();
            }
            arg(2)
        }
        "seqwrite" => {
            let (size, chunk) = (arg(2), arg(3));
            let (_, h) = root
                .walk("w")
                .unwrap()
                .create("big", OpenFlags::WRITE, 0o644, None)
                .unwrap();
            let data = vec![1u8; chunk as usize];
            let mut off = 0;
            while off < size {
                off += h.write(off, &data).unwrap();
            }
            size / chunk
        }
        "seqread" => {
            let (size, chunk) = (arg(2), arg(3));
            let h = root
                .walk_path("big", false)
                .unwrap()
                .open(OpenFlags::READ)
                .unwrap();
            let mut off = 0;
            while off < size {
                off += h.read(off, chunk).unwrap().len() as u64;
            }
            size / chunk
        }
        other => panic!("unknown workload {other}"),
    };
    println!("ns={} ops={ops}", start.elapsed().as_nanos());
}

/// Walks to and stats every file of the tree `tree/d{DD}/f{FFF}`.
fn tree(root: &guest::Dentry, dirs: u64, files: u64) -> u64 {
    for d in 0..dirs {
        for f in 0..files {
            root.walk_path(&format!("tree/d{d:02}/f{f:03}"), false)
                .unwrap()
                .stat()
                .unwrap();
        }
    }
    dirs * files
}
