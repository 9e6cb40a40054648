//! One call of each kind on a volume whose server is slow, one at a time:
//! `/v` is on the volume, `/m` a local directory for markers. Before call
//! `N` the guest waits for `/m/go-N` (the host stops the volume's client
//! first); after it, it prints the call's result and makes `/m/done-N`.
//! Run by `tests/volume.rs`, which measures how long the executor of its
//! async host stalls meanwhile.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

/// Waits for marker `go-N`, runs `call`, prints `NAME: RESULT`, makes
/// marker `done-N`.
fn step<T: std::fmt::Debug>(n: &mut usize, name: &str, call: impl FnOnce() -> T) -> T {
    *n += 1;
    let go = format!("/m/go-{n}");
    while !Path::new(&go).exists() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let result = call();
    println!("{name}: {result:?}");
    fs::write(format!("/m/done-{n}"), b"").unwrap();
    result
}

fn main() {
    let mut n = 0;
    let n = &mut n;
    // The results are printed, and the test reads them there.
    let _ = step(n, "stat", || fs::metadata("/v/f").map(|m| m.len()));
    let mut f = step(n, "open", || fs::File::open("/v/f")).unwrap();
    let _ = step(n, "read", || {
        let mut s = String::new();
        f.read_to_string(&mut s).map(|_| s)
    });
    let mut g = step(n, "create", || fs::File::create("/v/g")).unwrap();
    let _ = step(n, "write", || g.write_all(b"written"));
    step(n, "close a written file", || drop(g));
    step(n, "close a read file", || drop(f));
    let _ = step(n, "read-dir", || {
        fs::read_dir("/v").map(|entries| {
            let mut names: Vec<_> = entries
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            names
        })
    });
    let _ = step(n, "mkdir", || fs::create_dir("/v/d"));
    let _ = step(n, "rename", || fs::rename("/v/g", "/v/d/g"));
    let _ = step(n, "unlink", || fs::remove_file("/v/f"));
    let _ = step(n, "read back", || fs::read_to_string("/v/d/g"));
}
