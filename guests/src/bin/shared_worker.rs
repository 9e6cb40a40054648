//! One tenant of a shared mount (`tests/shared.rs`), in plain `std::fs`.
//! `shared_worker ID` reads the shared `/data/common.txt`, then makes
//! `/data/wID/` with files `f0`…`f9` (`f0` renamed to `g0`, `f9` removed,
//! `f1` appended to), lists and reads them back, and prints
//! `ID: NAMES`. `shared_worker ID ro` (a read-only view) prints how its
//! `mkdir` failed instead; `shared_worker ID hold` exits still holding
//! `g0` open (for the host to see it released with the store).

use std::fs::{self, OpenOptions};
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let id = args.get(1).expect("usage: shared_worker ID [ro]");
    let common = fs::read_to_string("/data/common.txt").expect("read common.txt");
    assert_eq!(common, "shared\n");
    let dir = format!("/data/w{id}");
    if args.get(2).is_some_and(|a| a == "ro") {
        let err = fs::create_dir(&dir).expect_err("a read-only view");
        println!("{id}: mkdir {:?}", err.kind());
        return;
    }
    fs::create_dir(&dir).expect("mkdir");
    for i in 0..10 {
        fs::write(format!("{dir}/f{i}"), format!("{id}:{i}")).expect("write");
    }
    fs::rename(format!("{dir}/f0"), format!("{dir}/g0")).expect("rename");
    fs::remove_file(format!("{dir}/f9")).expect("unlink");
    OpenOptions::new()
        .append(true)
        .open(format!("{dir}/f1"))
        .and_then(|mut f| f.write_all(b"+"))
        .expect("append");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    names.sort();
    for name in &names {
        let text = fs::read_to_string(format!("{dir}/{name}")).expect("read back");
        assert!(text.starts_with(&format!("{id}:")), "{name}: {text}");
    }
    if args.get(2).is_some_and(|a| a == "hold") {
        let g0 = fs::File::open(format!("{dir}/g0")).expect("open g0");
        // Never dropped: the resource is still the guest's when it exits.
        std::mem::forget(g0);
    }
    println!("{id}: {}", names.join(","));
}
