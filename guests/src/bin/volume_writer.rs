//! Writes through a fault: `N` files of 16 KiB, each with its own bytes,
//! each synced (`sync_all`) and then acknowledged on stdout (`acked I`);
//! a write or sync that fails is retried (a replicated volume with a brick
//! down may fail a call, never lose what it acknowledged), and after the
//! writes every file is read back and checked. Run by `tests/volume.rs`
//! while the test kills one brick of the volume and starts it again.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// File `i`'s bytes.
fn content(i: usize) -> Vec<u8> {
    (0..16 * 1024)
        .map(|j| ((i * 31 + j * 7) % 251) as u8)
        .collect()
}

fn write_one(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(data)?;
    f.sync_all()
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .expect("N")
        .parse()
        .expect("a number");
    let dir = Path::new("/v");
    let mut retries = 0;
    for i in 0..n {
        let path = dir.join(format!("file-{i:04}"));
        let data = content(i);
        let mut tries = 0;
        while let Err(err) = write_one(&path, &data) {
            tries += 1;
            retries += 1;
            eprintln!("write {i}: {err} (try {tries})");
            assert!(tries < 50, "write {i} keeps failing: {err}");
            std::thread::sleep(Duration::from_millis(100));
        }
        println!("acked {i}");
        // Spread the writes over the fault.
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut bad = 0;
    for i in 0..n {
        match fs::read(dir.join(format!("file-{i:04}"))) {
            Ok(data) if data == content(i) => {}
            other => {
                bad += 1;
                eprintln!("file {i}: {:?}", other.map(|d| d.len()));
            }
        }
    }
    println!("read back: {} good, {bad} bad, {retries} retries", n - bad);
}
