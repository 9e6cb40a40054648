//! WASI 0.3 concurrency: many filesystem calls of one guest in flight at
//! once (creates, writes, stats, reads, listings), and several streams of
//! one file read and written interleaved; the results must be as if run
//! one by one.
use std::future::Future;
use std::pin::Pin;

use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;

struct Run;

type Task<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/sandbox");
        let sb = &sb;
        // 64 creates + writes, all in flight.
        let writes: Vec<Task<'_, Result<(), ErrorCode>>> = (0..64)
            .map(|i| -> Task<'_, _> {
                Box::pin(async move {
                    let data = format!("file {i}\n").repeat(i + 1).into_bytes();
                    write_file(sb, &format!("c{i:02}"), data).await
                })
            })
            .collect();
        let done = join_all(writes).await;
        println!("writes: {} ok", done.iter().filter(|r| r.is_ok()).count());
        // Stats, reads and a listing, all in flight together.
        let mut tasks: Vec<Task<'_, String>> = Vec::new();
        for i in 0..64 {
            tasks.push(Box::pin(async move {
                let size = sb
                    .stat_at(PathFlags::empty(), format!("c{i:02}"))
                    .await
                    .map(|s| s.size);
                format!("stat c{i:02}: {size:?}")
            }));
            tasks.push(Box::pin(async move {
                let data = read_file(sb, &format!("c{i:02}")).await;
                let ok = data
                    .as_ref()
                    .map(|d| *d == format!("file {i}\n").repeat(i + 1).into_bytes());
                format!("read c{i:02}: {ok:?}")
            }));
        }
        tasks.push(Box::pin(async move {
            format!("names: {:?}", names(sb).await.map(|n| n.len()))
        }));
        tasks.push(Box::pin(async move {
            format!(
                "missing: {:?}",
                sb.stat_at(PathFlags::empty(), "nope".into())
                    .await
                    .map(|s| s.size)
            )
        }));
        for line in join_all(tasks).await {
            println!("{line}");
        }
        // One file, two writers and two readers interleaved: each writer
        // writes its own half.
        let file = open(sb, "shared", OpenFlags::CREATE, rw()).await.unwrap();
        let file = &file;
        let halves: Vec<Task<'_, Result<(), ErrorCode>>> = vec![
            Box::pin(write_at(file, 0, vec![b'a'; 200_000])),
            Box::pin(write_at(file, 200_000, vec![b'b'; 200_000])),
        ];
        println!("halves: {:?}", join_all(halves).await);
        let readers: Vec<Task<'_, Result<Vec<u8>, ErrorCode>>> = vec![
            Box::pin(read_from(file, 0)),
            Box::pin(read_from(file, 199_990)),
        ];
        let read = join_all(readers).await;
        for r in &read {
            let data = r.as_ref().unwrap();
            println!(
                "read {} bytes: {} a, {} b",
                data.len(),
                data.iter().filter(|&&b| b == b'a').count(),
                data.iter().filter(|&&b| b == b'b').count()
            );
        }
        // Remove them, all in flight.
        let removes: Vec<Task<'_, Result<(), ErrorCode>>> = (0..64)
            .map(|i| -> Task<'_, _> { Box::pin(sb.unlink_file_at(format!("c{i:02}"))) })
            .collect();
        let done = join_all(removes).await;
        println!("removes: {} ok", done.iter().filter(|r| r.is_ok()).count());
        show("names", names(sb).await).unwrap();
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
