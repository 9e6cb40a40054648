//! statfs: the host's fstatfs, printed for the host to compare.

fn main() {
    let s = guest::root().statfs().expect("statfs");
    assert!(s.block_size > 0 && s.blocks >= s.blocks_free && s.name_length == 255);
    println!(
        "bsize={} blocks={} files={} namelen={}",
        s.block_size, s.blocks, s.files, s.name_length
    );
}
