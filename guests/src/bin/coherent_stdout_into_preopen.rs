//! The guest's own stdout is redirected into its preopen (`dfs-run --dir
//! D::/s g.wasm > D/log.txt`): what it prints goes through wasmtime-wasi's
//! stdio, not through directfs, and the next `metadata` of the file must
//! still show it. Prints the lengths it sees on stderr.

use std::io::Write;

fn len() -> u64 {
    std::fs::metadata("/s/log.txt").map_or(u64::MAX, |m| m.len())
}

fn main() {
    let mut out = std::io::stdout();
    eprintln!("before: {}", len());
    eprintln!("before, again: {}", len());
    for i in 0..3 {
        writeln!(out, "line {i}").unwrap();
        out.flush().unwrap();
        eprintln!("after line {i}: {}", len());
    }
}
