//! Many `read-directory` streams mid-listing through WASI 0.3: `wide` gets
//! 2,000 files with 200-byte names; 1,000 streams of it each give one entry
//! and are kept. A stream must hold a bounded read-ahead, not a page that
//! grows with the directory: tests/wasi_p3.rs checks dfs-run's peak
//! memory. Then one more lists the whole directory.
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;
use wit_bindgen::StreamResult;

struct Run;

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/sandbox");
        sb.create_directory_at("wide".into()).await.unwrap();
        let wide = open(&sb, "wide", OpenFlags::DIRECTORY, DescriptorFlags::READ)
            .await
            .unwrap();
        let long = "n".repeat(195);
        for i in 0..2000 {
            open(&wide, &format!("{long}{i:05}"), OpenFlags::CREATE, rw())
                .await
                .unwrap();
        }
        let mut streams = Vec::new();
        for _ in 0..1000 {
            let (mut rx, done) = wide.read_directory();
            let (result, entries) = rx.read(Vec::with_capacity(1)).await;
            assert!(matches!(result, StreamResult::Complete(1)), "{result:?}");
            assert_eq!(entries.len(), 1);
            streams.push((rx, done));
        }
        let (rx, done) = wide.read_directory();
        let listed = rx.collect().await.len();
        done.await.unwrap();
        println!(
            "{} streams mid-listing; listed {listed} entries",
            streams.len()
        );
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
