//! `read` and `write` of zero bytes through `wasi:filesystem` 0.2's
//! descriptor calls answer as the kernel answers `pread`/`pwrite` of zero
//! bytes: the descriptor's access is still checked (a write-only file
//! cannot be read, even zero bytes of it), a readable file gives no data.
//! A stream's zero-byte read at an offset past 2^63 - 1 fails, as the
//! kernel's `pread` of zero bytes there does. Written against
//! `wasi:filesystem` directly (std makes no such call);
//! runs under both implementations, whose output must be identical.

mod bindings {
    wit_bindgen::generate!({ path: "../wit/wasi", world: "host", generate_all });
}

use bindings::wasi::filesystem::preopens::get_directories;
use bindings::wasi::filesystem::types::{DescriptorFlags, ErrorCode, OpenFlags, PathFlags};
use bindings::wasi::io::streams::StreamError;

/// Prints what a step came to, for the differential comparison.
fn show<T: std::fmt::Debug>(what: &str, result: Result<T, ErrorCode>) {
    match result {
        Ok(value) => println!("{what}: ok {value:?}"),
        Err(code) => println!("{what}: err {}", code.name()),
    }
}

fn main() {
    let (dir, _) = get_directories()
        .into_iter()
        .find(|(_, name)| name == "/sandbox")
        .expect("no /sandbox");
    // (`create` would open for writing too.)
    let open = |open_flags, flags| {
        dir.open_at(PathFlags::empty(), "f", open_flags, flags)
            .expect("open f")
    };
    let rw = open(
        OpenFlags::CREATE,
        DescriptorFlags::READ | DescriptorFlags::WRITE,
    );
    show("write 3 bytes", rw.write(b"abc", 0));
    let write_only = open(OpenFlags::empty(), DescriptorFlags::WRITE);
    let read_only = open(OpenFlags::empty(), DescriptorFlags::READ);
    show("read 0 of a write-only file", write_only.read(0, 0));
    show("read 1 of a write-only file", write_only.read(1, 0));
    show("read 0 of a read-only file", read_only.read(0, 0));
    show("read 0 past the end", read_only.read(0, 10));
    show("read 2 of a read-only file", read_only.read(2, 1));
    show("write 0 to a read-only file", read_only.write(b"", 0));
    show("write 0 to a write-only file", write_only.write(b"", 5));
    show("write 0 past the end", rw.write(b"", 100));
    show("read 0 at 2^63", read_only.read(0, 1 << 63));
    show("read 0 of a directory", dir.read(0, 0));
    // A stream's zero-byte (blocking) read at an offset `pread` refuses
    // fails too, and the stream is closed after it. (A non-blocking one
    // fails at once here; wasmtime-wasi's only starts its read.)
    let stream = read_only.read_via_stream(1 << 63).expect("read-via-stream");
    let failed = matches!(
        stream.blocking_read(0),
        Err(StreamError::LastOperationFailed(_))
    );
    println!("stream read 0 at 2^63: failed {failed}");
    let again = matches!(stream.read(1), Err(StreamError::Closed));
    println!("stream read after it: closed {again}");
    // A stream's zero-byte write is a `pwrite` of zero bytes too: a file
    // opened only for reading refuses it, as an offset past 2^63 - 1 does.
    let flushed = |what: &str, stream: bindings::wasi::io::streams::OutputStream| {
        let outcome = match stream.blocking_write_and_flush(b"") {
            Ok(()) => "ok".to_owned(),
            Err(StreamError::LastOperationFailed(err)) => {
                match bindings::wasi::filesystem::types::filesystem_error_code(&err) {
                    Some(code) => format!("err {}", code.name()),
                    None => "failed".to_owned(),
                }
            }
            Err(StreamError::Closed) => "closed".to_owned(),
        };
        println!("{what}: {outcome}");
    };
    let at = |d: &bindings::wasi::filesystem::types::Descriptor, offset| {
        d.write_via_stream(offset).expect("write-via-stream")
    };
    flushed("stream write 0 to a read-only file", at(&read_only, 0));
    let appending = read_only.append_via_stream().expect("append-via-stream");
    flushed("stream append 0 to a read-only file", appending);
    flushed("stream write 0 to a write-only file", at(&write_only, 0));
    flushed("stream write 0 at 2^63", at(&rw, 1 << 63));
    show("size after", rw.stat().map(|s| s.size));
}
