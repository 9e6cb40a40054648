//! WASI 0.3 under `dfs-run --max-open 8`: descriptors and live
//! `read-directory` streams (each holds a host FD) count towards the limit;
//! past it, `open-at` and `read-directory` fail with `insufficient-memory`,
//! and dropping them makes room again.
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;

struct Run;

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/sandbox");
        // The preopen is one resource; 7 more fit.
        let mut streams = Vec::new();
        let mut refused = 0;
        for _ in 0..20 {
            let (rx, done) = sb.read_directory();
            // A refused stream ends at once with its error.
            streams.push((rx, done));
        }
        let mut kept = Vec::new();
        for (rx, done) in streams {
            let entries = rx.collect().await;
            match done.await {
                Ok(()) => kept.push(entries.len()),
                Err(code) => {
                    assert!(matches!(code, ErrorCode::InsufficientMemory), "{code:?}");
                    refused += 1;
                }
            }
        }
        // (Each stream above was dropped once read: all but 7 were refused
        // only if they were alive at once.)
        println!("streams listed: {}, refused: {refused}", kept.len());
        let mut files = Vec::new();
        for i in 0..20 {
            match open(&sb, &format!("f{i}"), OpenFlags::CREATE, rw()).await {
                Ok(f) => files.push(f),
                Err(code) => {
                    println!("open {i}: err {code:?}");
                    break;
                }
            }
        }
        println!("files open: {}", files.len());
        let (rx, done) = sb.read_directory();
        drop(rx);
        show("read-directory at the limit", done.await).unwrap_err();
        files.clear();
        let (rx, done) = sb.read_directory();
        let n = rx.collect().await.len();
        show("read-directory after dropping them", done.await).unwrap();
        println!("entries: {n}");
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
