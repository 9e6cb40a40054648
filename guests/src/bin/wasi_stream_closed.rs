//! A `wasi:io` stream of a file that failed, or reached its end, is closed
//! for good: every later call answers `closed` (`wasi:io/streams`, on
//! `last-operation-failed`). Written against `wasi:filesystem` 0.2
//! directly; runs under both implementations, whose output must be
//! identical.

mod bindings {
    wit_bindgen::generate!({ path: "../wit/wasi", world: "host", generate_all });
}

use bindings::wasi::filesystem::preopens::get_directories;
use bindings::wasi::filesystem::types::{DescriptorFlags, OpenFlags, PathFlags};
use bindings::wasi::io::streams::StreamError;

/// What a stream call came to: `ok …`, `closed` or `failed`.
fn show<T: std::fmt::Debug>(what: &str, result: Result<T, StreamError>) {
    match result {
        Ok(value) => println!("{what}: ok {value:?}"),
        Err(StreamError::Closed) => println!("{what}: closed"),
        Err(StreamError::LastOperationFailed(_)) => println!("{what}: failed"),
    }
}

fn main() {
    let (dir, _) = get_directories()
        .into_iter()
        .find(|(_, name)| name == "/sandbox")
        .expect("no /sandbox");
    let file = dir
        .open_at(
            PathFlags::empty(),
            "f",
            OpenFlags::CREATE,
            DescriptorFlags::READ | DescriptorFlags::WRITE,
        )
        .expect("create f");
    file.write(b"abc", 0).expect("write f");
    let reader = dir
        .open_at(
            PathFlags::empty(),
            "f",
            OpenFlags::empty(),
            DescriptorFlags::READ,
        )
        .expect("open f");

    // A write stream of a file open only for reading: its first write
    // fails, then the stream is closed.
    let out = reader.write_via_stream(0).expect("write-via-stream");
    show("write", out.blocking_write_and_flush(b"x"));
    show("write again", out.blocking_write_and_flush(b"x"));
    show("check-write", out.check_write());
    show("flush", out.flush());
    drop(out);

    // A read stream at the end: closed, and stays so when the file grows.
    let input = reader.read_via_stream(0).expect("read-via-stream");
    show("read", input.blocking_read(10));
    show("read at the end", input.blocking_read(10));
    file.write(b"def", 3).expect("grow f");
    show("read after the file grew", input.blocking_read(10));
    show("skip", input.skip(1));
    show("read nothing", input.read(0));
    // A writable stream, for comparison: open until dropped.
    let out = file.write_via_stream(6).expect("write-via-stream");
    show(
        "write to a writable file",
        out.blocking_write_and_flush(b"g"),
    );
    show("and again", out.blocking_write_and_flush(b"h"));
    show(
        "read from a new stream",
        reader
            .read_via_stream(3)
            .expect("read-via-stream")
            .blocking_read(10),
    );
}
