//! A Unix socket the host bound in the sandbox, `sock`, through
//! `wasi:filesystem` 0.2: listed, stat'ed, opened for reading and for
//! writing — which fails as Linux's `open(2)` of a socket does (`ENXIO`,
//! `no-such-device`): a socket's file gives no stream, so a guest cannot
//! reach a socket through the filesystem — and removed.

mod bindings {
    wit_bindgen::generate!({ path: "../wit/wasi", world: "host", generate_all });
}

use bindings::wasi::filesystem::preopens::get_directories;
use bindings::wasi::filesystem::types::{DescriptorFlags, ErrorCode, OpenFlags, PathFlags};

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
    let entries = dir.read_directory().expect("read-directory");
    while let Some(entry) = entries.read_directory_entry().expect("an entry") {
        println!("listed: {} {:?}", entry.name, entry.type_);
    }
    show(
        "stat-at",
        dir.stat_at(PathFlags::empty(), "sock").map(|s| s.type_),
    );
    for (what, flags) in [
        ("open to read", DescriptorFlags::READ),
        ("open to write", DescriptorFlags::WRITE),
        (
            "open to read and write",
            DescriptorFlags::READ | DescriptorFlags::WRITE,
        ),
    ] {
        show(
            what,
            dir.open_at(PathFlags::empty(), "sock", OpenFlags::empty(), flags)
                .map(|_| ()),
        );
    }
    show(
        "open as a directory",
        dir.open_at(
            PathFlags::empty(),
            "sock",
            OpenFlags::DIRECTORY,
            DescriptorFlags::READ,
        )
        .map(|_| ()),
    );
    show("unlink-file-at", dir.unlink_file_at("sock"));
    show(
        "stat-at after",
        dir.stat_at(PathFlags::empty(), "sock").map(|s| s.type_),
    );
}
