//! The README's demo: makes a directory in the sandbox, writes two files,
//! lists the directory and reads the files back, printing each step.

use guest::{FileType, OpenFlags, list, read_to_end, rw, write_all};

fn main() {
    let (root, name) = guest::get_directories()
        .into_iter()
        .next()
        .expect("run with --dir");
    println!("preopen {name:?}");
    let notes = match root.mkdir("notes", 0o755, None) {
        Ok(d) => d,
        Err(guest::ErrorCode::AlreadyExists) => root.walk("notes").expect("walk notes"),
        Err(e) => panic!("mkdir notes: {e:?}"),
    };
    println!("mkdir   notes/");
    for (file, text) in [
        ("hello.txt", "Hello from a wasm guest!\n"),
        ("todo.txt", "1. walk\n2. stat\n3. read\n"),
    ] {
        let _ = notes.unlink(file);
        let (_, handle) = notes.create(file, rw(), 0o644, None).expect("create");
        write_all(&handle, 0, text.as_bytes());
        println!("create  notes/{file} ({} bytes)", text.len());
    }
    for entry in list(&notes, 16) {
        let kind = if entry.file_type == FileType::Directory {
            "dir "
        } else {
            "file"
        };
        let size = notes
            .walk(&entry.name)
            .and_then(|d| d.stat())
            .map(|s| s.size)
            .unwrap_or(0);
        println!("list    {kind} {:<10} {size:>3} bytes", entry.name);
    }
    let hello = notes
        .walk("hello.txt")
        .expect("walk")
        .open(OpenFlags::READ)
        .expect("open");
    print!(
        "read    notes/hello.txt: {}",
        String::from_utf8_lossy(&read_to_end(&hello, 0))
    );
}
