//! read-dir: every entry once across small pages, with types; its errors.
//! Prints the listing (sorted) for the host to compare with its own.

use guest::{ErrorCode, FileType, expect_err, list, root};

fn main() {
    let root = root();
    let mut entries = list(&root, 3);
    let mut names: Vec<_> = entries.iter().map(|e| e.name.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), entries.len(), "an entry came twice");
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    for e in &entries {
        let kind = match e.file_type {
            FileType::Directory => "d",
            FileType::RegularFile => "f",
            FileType::SymbolicLink => "l",
            other => panic!("unexpected type {other:?}"),
        };
        assert_eq!(
            e.ino,
            root.walk(&e.name).unwrap().stat().unwrap().ino,
            "{}",
            e.name
        );
        println!("{kind} {}", e.name);
    }
    // One page holds everything when it may; a finished listing says so.
    let whole = root.read_dir(0, 1000).unwrap();
    assert_eq!(whole.entries.len(), entries.len());
    assert_eq!(whole.next, None);
    assert_eq!(whole.skipped, 0);
    assert!(list(&root.walk("empty").unwrap(), 5).is_empty());

    expect_err(
        root.read_dir(0, 0),
        ErrorCode::Invalid,
        "a page of 0 entries",
    );
    expect_err(
        root.walk("f0").unwrap().read_dir(0, 10),
        ErrorCode::NotDirectory,
        "read-dir a file",
    );
}
