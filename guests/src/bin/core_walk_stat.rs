//! walk + stat: a file, a directory, a symlink (not followed), missing names,
//! walking through a file. Prints the file's stat for the host to compare.

use guest::{ErrorCode, FileType, expect_err, list, root};

fn main() {
    let root = root();
    assert_eq!(root.stat().unwrap().file_type, FileType::Directory);

    let file = root.walk("hello.txt").expect("walk hello.txt");
    let st = file.stat().unwrap();
    assert_eq!(st.file_type, FileType::RegularFile);
    // Stable identity: again, through a second walk, and in read-dir.
    assert_eq!(file.stat().unwrap().ino, st.ino);
    assert_eq!(root.walk("hello.txt").unwrap().stat().unwrap().ino, st.ino);
    let listed = list(&root, 100)
        .into_iter()
        .find(|e| e.name == "hello.txt")
        .unwrap();
    assert_eq!(listed.ino, st.ino);
    assert_ne!(root.stat().unwrap().ino, st.ino);
    assert_eq!(root.stat().unwrap().dev, st.dev);
    println!(
        "size={} mode={:o} nlink={} uid={} gid={} mtime={}.{:09} blocks={}",
        st.size,
        st.mode,
        st.nlink,
        st.uid,
        st.gid,
        st.mtime.seconds,
        st.mtime.nanoseconds,
        st.blocks
    );

    assert_eq!(
        root.walk("sub").unwrap().stat().unwrap().file_type,
        FileType::Directory
    );
    let link = root.walk("link").expect("walk link");
    assert_eq!(
        link.stat().unwrap().file_type,
        FileType::SymbolicLink,
        "walk does not follow"
    );

    expect_err(root.walk("missing"), ErrorCode::NoEntry, "walk missing");
    expect_err(
        file.walk("x"),
        ErrorCode::NotDirectory,
        "walk through a file",
    );
    expect_err(
        root.walk("sub").unwrap().walk("nope"),
        ErrorCode::NoEntry,
        "walk missing in sub",
    );
}
