//! Host names that are not UTF-8 cannot travel in a WIT string: read-dir and
//! read-dir-plus leave them out and count them in `skipped`.

fn main() {
    let root = guest::root();
    let page = root.read_dir(0, 100).unwrap();
    let names: Vec<_> = page.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!((names.as_slice(), page.skipped), (["good"].as_slice(), 1));
    let plus = root.read_dir_plus(0, 100).unwrap();
    assert_eq!((plus.entries.len(), plus.skipped), (1, 1));
    assert_eq!(plus.entries[0].name, "good");
}
