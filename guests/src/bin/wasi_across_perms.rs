//! Permissions of a read-only preopen (`/ro`) and of descriptors opened
//! without `read` or `write`, checked on every call that could get around
//! them: a hard link or rename from the read-only preopen into a writable
//! one and back (wasmtime's `p2_file_hardlink_across_perms` and
//! `p2_file_rename_across_perms`), opens that would truncate, create or
//! write there (`p2_file_truncation_readonly`), write and append streams of
//! a file opened for reading (`p2_file_stream_not_permitted`), a
//! directory's streams (`p2_file_read_write`), and each directory change in
//! the read-only preopen. Written against
//! `wasi:filesystem` 0.2 directly; runs under both implementations, whose
//! output must be identical. The read-only file must read `ro\n` at the
//! end.

mod bindings {
    wit_bindgen::generate!({ path: "../wit/wasi", world: "host", generate_all });
}

use bindings::wasi::filesystem::preopens::get_directories;
use bindings::wasi::filesystem::types::{
    Descriptor, DescriptorFlags, ErrorCode, NewTimestamp, OpenFlags, PathFlags,
};

/// Prints what a call came to: `what: ok` or `what: err CODE`.
fn show<T>(what: &str, result: Result<T, ErrorCode>) -> Option<T> {
    match result {
        Ok(value) => {
            println!("{what}: ok");
            Some(value)
        }
        Err(code) => {
            println!("{what}: err {}", code.name());
            None
        }
    }
}

fn preopen(name: &str) -> Descriptor {
    get_directories()
        .into_iter()
        .find(|(_, n)| n == name)
        .map(|(d, _)| d)
        .unwrap_or_else(|| panic!("no preopen {name}"))
}

fn open(
    dir: &Descriptor,
    path: &str,
    open: OpenFlags,
    flags: DescriptorFlags,
) -> Result<Descriptor, ErrorCode> {
    dir.open_at(PathFlags::empty(), path, open, flags)
}

/// The read-only file's bytes, read through a stream.
fn ro_bytes(ro: &Descriptor) -> Vec<u8> {
    let file = open(ro, "f", OpenFlags::empty(), DescriptorFlags::READ).expect("open /ro/f");
    let stream = file.read_via_stream(0).expect("read-via-stream");
    stream.blocking_read(100).expect("read /ro/f")
}

fn main() {
    let rw = preopen("/sandbox");
    let ro = preopen("/ro");
    let read = DescriptorFlags::READ;
    let none = DescriptorFlags::empty();
    show("mkdir sub", rw.create_directory_at("sub"));
    let made = open(&rw, "w", OpenFlags::CREATE, DescriptorFlags::WRITE).expect("create w");
    show("write w", made.write(b"w", 0));

    // Links and renames across the two preopens, both ways, and within
    // the read-only one.
    show(
        "link ro/f -> rw/alias",
        ro.link_at(PathFlags::empty(), "f", &rw, "alias"),
    );
    show(
        "link rw/w -> ro/alias",
        rw.link_at(PathFlags::empty(), "w", &ro, "alias"),
    );
    show(
        "link ro/f -> ro/alias",
        ro.link_at(PathFlags::empty(), "f", &ro, "alias"),
    );
    show("rename ro/f -> rw/f", ro.rename_at("f", &rw, "f"));
    show("rename rw/w -> ro/w", rw.rename_at("w", &ro, "w"));
    show("rename ro/f -> ro/g", ro.rename_at("f", &ro, "g"));
    show("rename ro/f -> ro/f", ro.rename_at("f", &ro, "f"));
    show(
        "rename ro/missing -> rw/x",
        ro.rename_at("missing", &rw, "x"),
    );
    show(
        "link ro/missing -> rw/x",
        ro.link_at(PathFlags::empty(), "missing", &rw, "x"),
    );
    let sub_ro = open(&ro, ".", OpenFlags::DIRECTORY, read).expect("open ro/.");
    show(
        "link via ro/. -> rw/alias",
        sub_ro.link_at(PathFlags::empty(), "f", &rw, "alias2"),
    );
    show(
        "a read-only dir's flags",
        sub_ro.get_flags().map(|f| println!("  {f:?}")),
    );

    // Opens that would change the read-only file or directory.
    show(
        "open ro/f truncate",
        open(&ro, "f", OpenFlags::TRUNCATE, read),
    );
    show(
        "open ro/f truncate, no flags",
        open(&ro, "f", OpenFlags::TRUNCATE, none),
    );
    show("open ro/f create", open(&ro, "f", OpenFlags::CREATE, read));
    show(
        "open ro/new create",
        open(&ro, "new", OpenFlags::CREATE, read),
    );
    show(
        "open ro/f create exclusive",
        open(&ro, "f", OpenFlags::CREATE | OpenFlags::EXCLUSIVE, read),
    );
    show(
        "open ro/f write",
        open(&ro, "f", OpenFlags::empty(), DescriptorFlags::WRITE),
    );
    show(
        "open ro/. mutate-directory",
        open(
            &ro,
            ".",
            OpenFlags::DIRECTORY,
            read | DescriptorFlags::MUTATE_DIRECTORY,
        ),
    );
    show(
        "open ro/f file-integrity-sync",
        open(
            &ro,
            "f",
            OpenFlags::empty(),
            read | DescriptorFlags::FILE_INTEGRITY_SYNC,
        ),
    );

    // Streams and calls that write, on a read-only file.
    let file = open(&ro, "f", OpenFlags::empty(), read).expect("open ro/f");
    show("ro/f write-via-stream", file.write_via_stream(0));
    show("ro/f append-via-stream", file.append_via_stream());
    show("ro/f write", file.write(b"x", 0));
    show("ro/f set-size", file.set_size(0));
    show(
        "ro/f set-times",
        file.set_times(NewTimestamp::Now, NewTimestamp::NoChange),
    );
    show("ro/f sync", file.sync());
    show("ro/f sync-data", file.sync_data());
    show("ro/f flags", file.get_flags().map(|f| println!("  {f:?}")));
    drop(file);

    // A file opened with neither read nor write, in the writable preopen.
    let bare = open(&rw, "w", OpenFlags::empty(), none).expect("open w");
    show("bare read-via-stream", bare.read_via_stream(0));
    show("bare write-via-stream", bare.write_via_stream(0));
    show("bare append-via-stream", bare.append_via_stream());
    show("bare read", bare.read(1, 0));
    show("bare write", bare.write(b"x", 0));
    show("bare set-size", bare.set_size(0));
    show("bare stat", bare.stat().map(|s| s.size));
    // A file opened only for writing: reads refused.
    let wo = open(&rw, "w", OpenFlags::empty(), DescriptorFlags::WRITE).expect("open w");
    show("write-only read-via-stream", wo.read_via_stream(0));
    show("write-only read", wo.read(1, 0));
    show("write-only set-size", wo.set_size(3));
    drop((bare, wo));

    // A directory's streams and file calls, in both preopens.
    for (name, dir) in [("rw", &rw), ("ro", &ro)] {
        show(&format!("{name} read-via-stream"), dir.read_via_stream(0));
        show(&format!("{name} write-via-stream"), dir.write_via_stream(0));
        show(
            &format!("{name} append-via-stream"),
            dir.append_via_stream(),
        );
        show(&format!("{name} read"), dir.read(1, 0));
        show(&format!("{name} write"), dir.write(b"x", 0));
        show(&format!("{name} set-size"), dir.set_size(0));
    }

    // Each directory change in the read-only preopen.
    show("ro mkdir", ro.create_directory_at("d"));
    show("ro unlink f", ro.unlink_file_at("f"));
    show("ro rmdir missing", ro.remove_directory_at("missing"));
    show("ro symlink", ro.symlink_at("f", "s"));
    show(
        "ro set-times-at f",
        ro.set_times_at(
            PathFlags::empty(),
            "f",
            NewTimestamp::Now,
            NewTimestamp::Now,
        ),
    );
    show(
        "ro set-times",
        ro.set_times(NewTimestamp::Now, NewTimestamp::Now),
    );
    show("ro read-directory", ro.read_directory().map(drop));
    show(
        "ro stat-at f",
        ro.stat_at(PathFlags::empty(), "f").map(|s| s.size),
    );

    show(
        "rw/alias exists",
        rw.stat_at(PathFlags::empty(), "alias").map(drop),
    );
    println!("ro/f: {:?}", String::from_utf8_lossy(&ro_bytes(&ro)));
}
