//! Every call on a directory descriptor whose directory was removed while
//! it was open (`rmdir` through the preopen; then again with a new
//! directory made under the old name): the descriptor's own calls, and each path-taking call with `.`, `..`, a
//! name, `name/`, `../name`, as both paths of `link-at` and `rename-at`.
//! Linux answers each from the removed directory (`stat(".")` succeeds,
//! `mkdir("x")` is `no-entry`, `link(".", …)` is `not-permitted` — a
//! directory — not `no-entry`); the output must be identical under both
//! implementations.

mod bindings {
    wit_bindgen::generate!({ path: "../wit/wasi", world: "host", generate_all });
}

use bindings::wasi::filesystem::preopens::get_directories;
use bindings::wasi::filesystem::types::{
    Descriptor, DescriptorFlags, ErrorCode, NewTimestamp, OpenFlags, PathFlags,
};

/// An outcome: `ok …` or the error's name.
fn shown<T: std::fmt::Debug>(result: Result<T, ErrorCode>) -> String {
    match result {
        Ok(value) => format!("ok {value:?}"),
        Err(code) => format!("err {}", code.name()),
    }
}

/// The paths each call is given from the removed directory.
const PATHS: [&str; 7] = [".", "..", "./", "x", "x/", "../f", "../gone"];

/// Each path-taking call of `gone` (the removed directory's descriptor),
/// with `root` (the preopen) as the other side of the two-path calls.
fn paths(root: &Descriptor, gone: &Descriptor) {
    let n = PathFlags::empty();
    let rw = DescriptorFlags::READ | DescriptorFlags::WRITE;
    for path in PATHS {
        let kind = |d: Descriptor| d.get_type();
        let calls: [(&str, String); 17] = [
            ("stat", shown(gone.stat_at(n, path).map(|s| s.type_))),
            (
                "open",
                shown(
                    gone.open_at(n, path, OpenFlags::empty(), DescriptorFlags::READ)
                        .and_then(kind),
                ),
            ),
            (
                "open-directory",
                shown(
                    gone.open_at(n, path, OpenFlags::DIRECTORY, DescriptorFlags::READ)
                        .and_then(kind),
                ),
            ),
            (
                "create",
                shown(gone.open_at(n, path, OpenFlags::CREATE, rw).and_then(kind)),
            ),
            ("readlink", shown(gone.readlink_at(path))),
            ("hash", shown(gone.metadata_hash_at(n, path).map(drop))),
            (
                "set-times",
                shown(gone.set_times_at(n, path, NewTimestamp::Now, NewTimestamp::NoChange)),
            ),
            ("mkdir", shown(gone.create_directory_at(path))),
            ("rmdir", shown(gone.remove_directory_at(path))),
            ("unlink", shown(gone.unlink_file_at(path))),
            ("symlink", shown(gone.symlink_at("t", path))),
            ("link-from", shown(gone.link_at(n, path, root, "new"))),
            ("link-into", shown(root.link_at(n, "f", gone, path))),
            ("rename-from", shown(gone.rename_at(path, root, "moved"))),
            ("rename-into", shown(root.rename_at("f", gone, path))),
            ("rename-within", shown(gone.rename_at(path, gone, "y"))),
            ("stat-after", shown(gone.stat_at(n, path).map(|s| s.type_))),
        ];
        for (call, outcome) in calls {
            println!("{call} {path:?}: {outcome}");
        }
    }
}

/// The descriptor's own calls.
fn own(gone: &Descriptor) {
    println!("get-type: {}", shown(gone.get_type()));
    println!(
        "stat: {}",
        shown(gone.stat().map(|s| (s.type_, s.link_count)))
    );
    println!("get-flags: {}", shown(gone.get_flags()));
    println!("sync: {}", shown(gone.sync()));
    println!("sync-data: {}", shown(gone.sync_data()));
    println!(
        "set-times: {}",
        shown(gone.set_times(NewTimestamp::NoChange, NewTimestamp::Now))
    );
    println!("set-size: {}", shown(gone.set_size(0)));
    println!(
        "read-via-stream: {}",
        shown(gone.read_via_stream(0).map(drop))
    );
    println!("read: {}", shown(gone.read(1, 0)));
    let listed = gone.read_directory().map(|s| {
        std::iter::from_fn(|| s.read_directory_entry().transpose())
            .map(|e| e.map(|e| e.name))
            .collect::<Result<Vec<_>, _>>()
    });
    println!("read-directory: {}", shown(listed.and_then(|l| l)));
    println!("metadata-hash: {}", shown(gone.metadata_hash().map(drop)));
}

fn main() {
    let (root, _) = get_directories()
        .into_iter()
        .find(|(_, name)| name == "/sandbox")
        .expect("no /sandbox");
    let flags = DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY;
    for name in ["gone", "gone-twice"] {
        let gone = root
            .open_at(PathFlags::empty(), name, OpenFlags::DIRECTORY, flags)
            .expect("the directory to remove");
        println!("{name}: rmdir {}", shown(root.remove_directory_at(name)));
        if name == "gone-twice" {
            // A new directory of the old name: the descriptor is not it.
            println!(
                "{name}: mkdir again {}",
                shown(root.create_directory_at(name))
            );
        }
        own(&gone);
        paths(&root, &gone);
    }
}
