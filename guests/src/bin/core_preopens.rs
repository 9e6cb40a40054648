//! get-directories: every preopen with its guest name, in order, each a
//! distinct directory. Prints the names.

use guest::{FileType, get_directories};

fn main() {
    let dirs = get_directories();
    let mut inos = Vec::new();
    for (dentry, name) in &dirs {
        let st = dentry.stat().unwrap();
        assert_eq!(st.file_type, FileType::Directory);
        inos.push(st.ino);
        println!("{name}");
    }
    inos.dedup();
    assert_eq!(inos.len(), dirs.len(), "each preopen is its own directory");
    // Each call gives new resources for the same roots.
    let again = get_directories();
    assert_eq!(again[0].0.stat().unwrap().ino, inos[0]);
    drop(dirs);
    assert!(again[1].0.walk("marker").is_ok());
}
