//! A directory listing while the host changes the directory: the guest
//! lists `/s/l` (its entries read when the stream is made, as `opendir`
//! does), then, after each of the host's changes (told by a line on
//! stdin), takes the next entry and asks its `metadata-hash-at` by its
//! name right after, as wasi-libc's `readdir` does for `d_ino`, and again
//! by another path to it (`./name`, which no memo of the listing answers).
//! The two must be one file, or both the error the host's change makes:
//! directfs answers the first from the listing while the directory's
//! names are unchanged. Then it takes the entries left and lists `/s/l`
//! anew. Run under both
//! `wasi:filesystem` implementations and in each revalidation mode; the
//! output must be wasmtime-wasi's.

mod bindings {
    wit_bindgen::generate!({ path: "../wit/wasi", world: "host", generate_all });
}

use std::io::BufRead;

use bindings::wasi::filesystem::preopens::get_directories;
use bindings::wasi::filesystem::types::{
    Descriptor, DescriptorFlags, DirectoryEntryStream, ErrorCode, MetadataHashValue, OpenFlags,
    PathFlags,
};

/// An outcome: `ok …` or the error's name.
fn shown<T: std::fmt::Debug>(result: Result<T, ErrorCode>) -> String {
    match result {
        Ok(value) => format!("ok {value:?}"),
        Err(code) => format!("err {}", code.name()),
    }
}

/// Two hashes of one name compared: `same`, `other`, or their errors.
fn compared(
    listed: Result<MetadataHashValue, ErrorCode>,
    walked: Result<MetadataHashValue, ErrorCode>,
) -> String {
    match (listed, walked) {
        (Ok(a), Ok(b)) if (a.lower, a.upper) == (b.lower, b.upper) => "same file".to_owned(),
        (Ok(_), Ok(_)) => "another file".to_owned(),
        (a, b) => format!("{} / {}", shown(a.map(drop)), shown(b.map(drop))),
    }
}

/// Takes `stream`'s next entry and hashes it (see the module doc); `None`
/// at the end.
fn next(l: &Descriptor, stream: &DirectoryEntryStream) -> Option<String> {
    let entry = match stream.read_directory_entry() {
        Ok(Some(entry)) => entry,
        Ok(None) => return None,
        Err(code) => return Some(format!("entry: err {}", code.name())),
    };
    let n = PathFlags::empty();
    let listed = l.metadata_hash_at(n, &entry.name);
    let walked = l.metadata_hash_at(n, &format!("./{}", entry.name));
    Some(format!(
        "entry {} {:?}: {}",
        entry.name,
        entry.type_,
        compared(listed, walked)
    ))
}

/// The names in `l` now, sorted.
fn names(l: &Descriptor) -> String {
    let Ok(stream) = l.read_directory() else {
        return "list: err".to_owned();
    };
    let mut names: Vec<String> = std::iter::from_fn(|| stream.read_directory_entry().ok()?)
        .map(|e| e.name)
        .collect();
    names.sort();
    names.join(" ")
}

fn main() {
    let (root, _) = get_directories()
        .into_iter()
        .find(|(_, name)| name == "/s")
        .expect("no /s");
    let l = root
        .open_at(
            PathFlags::empty(),
            "l",
            OpenFlags::DIRECTORY,
            DescriptorFlags::READ,
        )
        .expect("/s/l");
    let stream = l.read_directory().expect("read-directory");
    println!("step 0 {}", next(&l, &stream).expect("a first entry"));
    let mut lines = std::io::stdin().lock().lines();
    for step in 1.. {
        println!("ready");
        if lines.next().is_none_or(|line| line.is_err()) {
            break;
        }
        match next(&l, &stream) {
            Some(line) => println!("step {step} {line}"),
            None => break,
        }
    }
    // The rest, after the last change.
    for line in std::iter::from_fn(|| next(&l, &stream)) {
        println!("after {line}");
    }
    println!("list after: {}", names(&l));
}
