//! Benchmark guest over WASI 0.3's `wasi:filesystem@0.3.0`: the workloads
//! of `bench_std`, on the preopen `/b`, each call the one `std::fs` makes
//! under 0.2 (file data through `read-via-stream` / `write-via-stream`),
//! printing `ns=<elapsed> ops=<count>`.

use std::time::Instant;

use guest::arg;
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;
use wit_bindgen::StreamResult;

struct Run;

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let workload = std::env::args().nth(1).expect("workload");
        let b = preopen("/b");
        if workload == "tree2" {
            // The second walk of the tree is timed; this is the first.
            tree(&b, arg(2), arg(3)).await;
        }
        let start = Instant::now();
        let ops = match workload.as_str() {
            "noop" => {
                b.stat_at(PathFlags::empty(), "deep".into()).await.unwrap();
                1
            }
            "stat8" => {
                for _ in 0..arg(2) {
                    b.stat_at(PathFlags::empty(), "deep/a/b/c/d/e/f/g/file".into())
                        .await
                        .unwrap();
                }
                arg(2)
            }
            "tree" | "tree2" => tree(&b, arg(2), arg(3)).await,
            "readdir" => {
                let flat = open(&b, "flat", OpenFlags::DIRECTORY, DescriptorFlags::READ)
                    .await
                    .unwrap();
                let (entries, done) = flat.read_directory();
                let mut n = 0;
                for e in entries.collect().await {
                    flat.stat_at(PathFlags::empty(), e.name).await.unwrap();
                    n += 1;
                }
                done.await.unwrap();
                n
            }
            "create" => {
                let data = vec![7u8; 4096];
                for i in 0..arg(2) {
                    let name = format!("w/f{i}");
                    let f = open(&b, &name, OpenFlags::CREATE | OpenFlags::TRUNCATE, rw())
                        .await
                        .unwrap();
                    write_at(&f, 0, data.clone()).await.unwrap();
                    drop(f);
                    b.unlink_file_at(name).await.unwrap();
                }
                arg(2)
            }
            "mkdir" => {
                for i in 0..arg(2) {
                    b.create_directory_at(format!("w/d{i}")).await.unwrap();
                    b.remove_directory_at(format!("w/d{i}")).await.unwrap();
                }
                arg(2)
            }
            "rename" => {
                write_file(&b, "w/a", Vec::new()).await.unwrap();
                for i in 0..arg(2) {
                    let (from, to) = if i % 2 == 0 {
                        ("w/a", "w/b")
                    } else {
                        ("w/b", "w/a")
                    };
                    b.rename_at(from.into(), &b, to.into()).await.unwrap();
                }
                arg(2)
            }
            "link" => {
                write_file(&b, "w/target", Vec::new()).await.unwrap();
                for _ in 0..arg(2) {
                    b.link_at(PathFlags::empty(), "w/target".into(), &b, "w/l".into())
                        .await
                        .unwrap();
                    b.unlink_file_at("w/l".into()).await.unwrap();
                }
                arg(2)
            }
            "seqwrite" => {
                let (total, chunk) = (arg(2), arg(3) as usize);
                let f = open(&b, "w/big", OpenFlags::CREATE | OpenFlags::TRUNCATE, rw())
                    .await
                    .unwrap();
                let (mut tx, rx) = wit_stream::new();
                let done = f.write_via_stream(rx, 0);
                let mut data = vec![1u8; chunk];
                for _ in 0..total / chunk as u64 {
                    data = tx.write_all(data).await;
                    assert!(data.is_empty(), "short write");
                    // The same buffer again (`write_all` hands it back
                    // emptied).
                    data.resize(chunk, 1);
                }
                drop(tx);
                done.await.unwrap();
                total / chunk as u64
            }
            "seqread" => {
                let (total, chunk) = (arg(2), arg(3) as usize);
                let f = open(&b, "big", OpenFlags::empty(), DescriptorFlags::READ)
                    .await
                    .unwrap();
                let (mut rx, done) = f.read_via_stream(0);
                let mut buf = Vec::with_capacity(chunk);
                let mut read = 0u64;
                while read < total {
                    let (result, got) = rx.read(buf).await;
                    assert!(matches!(result, StreamResult::Complete(_)), "{result:?}");
                    read += got.len() as u64;
                    buf = got;
                    buf.clear();
                }
                drop(rx);
                done.await.unwrap();
                total / chunk as u64
            }
            other => panic!("unknown workload {other}"),
        };
        println!("ns={} ops={ops}", start.elapsed().as_nanos());
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}

/// Stats every file of the tree `tree/d{DD}/f{FFF}`.
async fn tree(b: &Descriptor, dirs: u64, files: u64) -> u64 {
    for d in 0..dirs {
        for f in 0..files {
            b.stat_at(PathFlags::empty(), format!("tree/d{d:02}/f{f:03}"))
                .await
                .unwrap();
        }
    }
    dirs * files
}
