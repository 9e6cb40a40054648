//! Streams count towards `max-open`, as descriptors do: a stream keeps its
//! file open after its descriptor goes, so a guest that opens `/s/f`, takes
//! a stream of it and drops the descriptor, again and again, is stopped
//! with `insufficient-memory` once its descriptors and streams reach the
//! limit (before, only the tree's FD budget stopped it, at `max-open` +
//! `max-cached-dentries`). Each stream held still reads (or writes) its
//! file; once they are dropped there is room again. Prints what stopped it.

mod bindings {
    wit_bindgen::generate!({ path: "../wit/wasi", world: "host", generate_all });
}

use bindings::wasi::filesystem::preopens::get_directories;
use bindings::wasi::filesystem::types::{Descriptor, DescriptorFlags, OpenFlags, PathFlags};

fn open(dir: &Descriptor, flags: DescriptorFlags) -> Result<Descriptor, String> {
    dir.open_at(PathFlags::empty(), "f", OpenFlags::empty(), flags)
        .map_err(|code| format!("open-at {}", code.name()))
}

fn main() {
    let (dir, _) = get_directories().into_iter().next().expect("a preopen");
    let mut reads = Vec::new();
    let mut writes = Vec::new();
    let stopped = loop {
        assert!(reads.len() + writes.len() < 100_000, "no bound on streams");
        // Every third a write stream, the rest read streams.
        let write = (reads.len() + writes.len()) % 3 == 2;
        let flags = match write {
            true => DescriptorFlags::WRITE,
            false => DescriptorFlags::READ,
        };
        let file = match open(&dir, flags) {
            Ok(file) => file,
            Err(stopped) => break stopped,
        };
        let made = match write {
            true => file.write_via_stream(4).map(|s| writes.push(s)),
            false => file.read_via_stream(0).map(|s| reads.push(s)),
        };
        if let Err(code) = made {
            break format!("stream {}", code.name());
        }
        // The descriptor goes; its stream stays.
    };
    println!(
        "held {} streams ({} reading, {} writing), then {stopped}",
        reads.len() + writes.len(),
        reads.len(),
        writes.len()
    );
    for stream in &reads {
        assert_eq!(stream.blocking_read(100).expect("read"), b"data");
    }
    let last = writes.last().expect("a write stream");
    last.blocking_write_and_flush(b"!").expect("write");
    drop(reads);
    drop(writes);
    let file = open(&dir, DescriptorFlags::READ).expect("room again");
    let stream = file.read_via_stream(0).expect("a stream again");
    println!(
        "again: {:?}",
        String::from_utf8(stream.blocking_read(100).unwrap()).unwrap()
    );
}
