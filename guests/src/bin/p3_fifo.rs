//! WASI 0.3 FIFO streams: one guest reads a FIFO and writes it at once,
//! 1 MiB through a 64 KiB pipe, so its read and its write must both be in
//! flight and wait for each other (a host blocking a thread on either
//! would hang). The host made `fifo` in the sandbox.
use std::future::Future;
use std::pin::Pin;

use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;
use wit_bindgen::StreamResult;

struct Run;

const LEN: usize = 1 << 20;

fn data() -> Vec<u8> {
    (0..LEN).map(|i| (i % 253) as u8).collect()
}

type Task<'a> = Pin<Box<dyn Future<Output = String> + 'a>>;

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/sandbox");
        let reader = show_unit(
            "open fifo to read",
            open(&sb, "fifo", OpenFlags::empty(), DescriptorFlags::READ).await,
        )
        .unwrap();
        let writer = show_unit(
            "open fifo to write",
            open(&sb, "fifo", OpenFlags::empty(), DescriptorFlags::WRITE).await,
        )
        .unwrap();
        show("type", reader.get_type().await).unwrap();
        let (reader, writer) = (&reader, &writer);
        let tasks: Vec<Task<'_>> = vec![
            Box::pin(async move {
                let (mut rx, done) = reader.read_via_stream(0);
                let mut got = Vec::with_capacity(LEN);
                while got.len() < LEN {
                    let (result, chunk) = rx.read(Vec::with_capacity(16 * 1024)).await;
                    got.extend_from_slice(&chunk);
                    if !matches!(result, StreamResult::Complete(_)) {
                        break;
                    }
                }
                drop(rx);
                let done = done.await;
                format!(
                    "read {} bytes, in order: {}, result {done:?}",
                    got.len(),
                    got == data()
                )
            }),
            Box::pin(async move {
                let result = write_at(writer, 0, data()).await;
                format!("wrote: {result:?}")
            }),
        ];
        for line in join_all(tasks).await {
            println!("{line}");
        }
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
