//! Many directory streams mid-listing through WASI 0.2 (`std::fs`): `wide`
//! gets 2,000 files with 200-byte names; 1,000 `read_dir`s of it each take
//! one entry and are kept. A stream must hold a bounded read-ahead, not a
//! page that grows with the directory: tests/wasi_fs.rs checks dfs-run's
//! peak memory. Then one more lists the whole directory.
fn main() {
    let wide = "/sandbox/wide";
    std::fs::create_dir(wide).unwrap();
    let long = "n".repeat(195);
    for i in 0..2000 {
        std::fs::File::create(format!("{wide}/{long}{i:05}")).unwrap();
    }
    let mut streams = Vec::new();
    for _ in 0..1000 {
        let mut stream = std::fs::read_dir(wide).unwrap();
        assert!(stream.next().unwrap().is_ok());
        streams.push(stream);
    }
    let listed = std::fs::read_dir(wide).unwrap().count();
    println!(
        "{} streams mid-listing; listed {listed} entries",
        streams.len()
    );
}
