//! WASI 0.3 `write-via-stream` fed chunks doubling from 16 bytes
//! (wasmtime's `p3_file_write_chunked`): the host must take a short write
//! long before it would hold 128 MiB of one chunk, and the file must read
//! back as written. Prints how many bytes were written; then a thousand
//! names made, listed and removed (wasmtime's `p3_readdir`).
use guest::p3::exports::wasi::cli::run::Guest;
use guest::p3::*;
use wit_bindgen::StreamResult;

struct Run;

/// `len` bytes of the pattern from `offset` on; moves `offset` past them.
fn bytes(offset: &mut usize, len: usize) -> Vec<u8> {
    let data = (*offset..*offset + len).map(|i| (i % 251) as u8).collect();
    *offset += len;
    data
}

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let sb = preopen("/sandbox");
        // Chunks doubling until the host takes less than a whole chunk.
        let file = open(&sb, "chunked", OpenFlags::CREATE, rw()).await.unwrap();
        let (mut tx, rx) = wit_stream::new();
        let writing = file.write_via_stream(rx, 0);
        let feeding = async {
            let (mut len, mut pos) = (16, 0);
            loop {
                assert!(
                    len <= 128 << 20,
                    "the host took every chunk up to {len} bytes"
                );
                let (result, left) = tx.write(bytes(&mut pos, len)).await;
                assert!(matches!(result, StreamResult::Complete(_)), "{result:?}");
                if left.remaining() == 0 {
                    len *= 2;
                } else {
                    pos -= left.remaining();
                    break;
                }
            }
            drop(tx);
            pos
        };
        let (written, pos) = join_all::<Result<usize, ErrorCode>>(vec![
            Box::pin(async { writing.await.map(|()| 0) }),
            Box::pin(async { Ok(feeding.await) }),
        ])
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map(|v| (v[0], v[1]))
        .unwrap();
        assert_eq!(written, 0);
        let back = read_from(&file, 0).await.unwrap();
        println!("a short write came before 128 MiB: {}", pos < 128 << 20);
        println!("read back as written: {}", back == bytes(&mut 0, pos));
        println!("written: {pos}");
        drop(file);

        // A thousand names, listed, then removed.
        show_unit("mkdir lots", sb.create_directory_at("lots".into()).await).unwrap();
        let lots = open(
            &sb,
            "lots",
            OpenFlags::DIRECTORY,
            DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY,
        )
        .await
        .unwrap();
        for i in 0..1000 {
            drop(
                open(&lots, &format!("file.{i}"), OpenFlags::CREATE, rw())
                    .await
                    .unwrap(),
            );
        }
        let listed = names(&lots).await.unwrap();
        let mut expected: Vec<_> = (0..1000).map(|i| format!("file.{i}")).collect();
        expected.sort();
        println!("listed a thousand names: {}", listed == expected);
        for i in 0..1000 {
            lots.unlink_file_at(format!("file.{i}")).await.unwrap();
        }
        let _ = show(
            "listed after removing them",
            names(&lots).await.map(|n| n.len()),
        );
        Ok(())
    }
}

guest::p3::export_p3!(Run);

fn main() {
    unreachable!("the host calls wasi:cli/run@0.3.0's run")
}
