//! read-dir-plus: each entry with its full stat in the same page, equal to a
//! walk + stat. Prints "name size" lines, sorted.

use guest::{ErrorCode, expect_err, root};

fn main() {
    let root = root();
    let mut all = Vec::new();
    let mut cursor = 0;
    let mut pages = 0;
    loop {
        let page = root.read_dir_plus(cursor, 4).expect("read-dir-plus");
        assert!(page.entries.len() <= 4);
        pages += 1;
        all.extend(page.entries);
        match page.next {
            Some(next) => cursor = next,
            None => break,
        }
    }
    assert!(pages >= 3, "paged");
    all.sort_by(|a, b| a.name.cmp(&b.name));
    for e in &all {
        let walked = root.walk(&e.name).unwrap().stat().unwrap();
        assert_eq!(e.stat.ino, walked.ino, "{}", e.name);
        assert_eq!(e.stat.file_type, walked.file_type, "{}", e.name);
        assert_eq!(e.stat.size, walked.size, "{}", e.name);
        assert_eq!(e.stat.mode, walked.mode, "{}", e.name);
        println!("{} {}", e.name, e.stat.size);
    }
    expect_err(
        root.walk("f0").unwrap().read_dir_plus(0, 4),
        ErrorCode::NotDirectory,
        "a file",
    );
    expect_err(root.read_dir_plus(0, 0), ErrorCode::Invalid, "a page of 0");
}
