//! WASI 0.3 file streams count towards `max-open`, as descriptors do: a
//! stream keeps its file open after its descriptor goes. The guest opens
//! `/s/f` 60 times, each time takes a read stream (or every third time a
//! write stream at offset 4) and drops the descriptor; past the limit a
//! stream is refused: it ends at once and its future is
//! `insufficient-memory`. Each stream held still reads `data` (or writes
//! `!`), and once they are dropped there is room again. Prints the counts.
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;
use wit_bindgen::{FutureReader, StreamReader, StreamResult, StreamWriter};

struct Run;

/// A stream taken of a file, with its result.
enum Taken {
    Read(StreamReader<u8>, FutureReader<Result<(), ErrorCode>>),
    Write(StreamWriter<u8>, FutureReader<Result<(), ErrorCode>>),
}

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/s");
        let mut taken = Vec::new();
        for i in 0..60 {
            let write = i % 3 == 2;
            let flags = match write {
                true => DescriptorFlags::WRITE,
                false => DescriptorFlags::READ,
            };
            let file = open(&sb, "f", OpenFlags::empty(), flags)
                .await
                .unwrap_or_else(|code| panic!("open {i}: {code:?}"));
            taken.push(match write {
                true => {
                    let (tx, rx) = wit_stream::new();
                    Taken::Write(tx, file.write_via_stream(rx, 4))
                }
                false => {
                    let (rx, done) = file.read_via_stream(0);
                    Taken::Read(rx, done)
                }
            });
            // The descriptor goes; its stream stays.
        }
        let (mut reading, mut writing, mut refused) = (0, 0, Vec::new());
        let mut held = Vec::new();
        for (i, stream) in taken.into_iter().enumerate() {
            match stream {
                Taken::Read(mut rx, done) => {
                    let (result, got) = rx.read(Vec::with_capacity(100)).await;
                    if got.is_empty() {
                        assert!(matches!(result, StreamResult::Dropped), "{i}: {result:?}");
                        refused.push(done.await);
                        continue;
                    }
                    // `data`, and the `!` once a write stream before
                    // wrote it.
                    assert!(got.starts_with(b"data"), "stream {i}: {got:?}");
                    reading += 1;
                    held.push(Taken::Read(rx, done));
                }
                Taken::Write(mut tx, done) => {
                    let left = tx.write_all(b"!".to_vec()).await;
                    if !left.is_empty() {
                        drop(tx);
                        refused.push(done.await);
                        continue;
                    }
                    writing += 1;
                    held.push(Taken::Write(tx, done));
                }
            }
        }
        let all_refused = refused
            .iter()
            .all(|r| matches!(r, Err(ErrorCode::InsufficientMemory)));
        println!(
            "held {} streams ({reading} reading, {writing} writing), refused {}, \
             all insufficient-memory: {all_refused}",
            reading + writing,
            refused.len()
        );
        for stream in held {
            let done = match stream {
                Taken::Read(rx, done) => {
                    drop(rx);
                    done
                }
                Taken::Write(tx, done) => {
                    drop(tx);
                    done
                }
            };
            assert!(done.await.is_ok());
        }
        let again = read_file(&sb, "f").await.expect("room again");
        println!("again: {:?}", String::from_utf8(again).unwrap());
        Ok(())
    }
}

guest::p3::export_p3!(Run with_types_in guest::p3);

fn main() {
    unreachable!("a WASI 0.3 command: the host calls wasi:cli/run@0.3.0")
}
