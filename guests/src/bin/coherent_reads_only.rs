//! The host changes the preopen while the guest runs, as for
//! `coherent_host_changes`, but the guest only opens and reads (and lists):
//! it never asks for a stat of a name, so nothing widens a directory's
//! watch but the lookups themselves. After each change it reads every name
//! again and prints what it got; the output must be wasmtime-wasi's, except
//! in `exclusive` mode, which promises nothing here.

#[path = "../std_common.rs"]
mod common;

use std::fs;
use std::io::BufRead;

use common::show;

fn main() {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut step = 0;
    loop {
        for name in ["f", "g", "h", "d/x", "e/x"] {
            let path = format!("/s/{name}");
            show(&format!("[{step}] read {name}"), fs::read_to_string(&path));
            show(
                &format!("[{step}] read {name} again"),
                fs::read_to_string(&path),
            );
        }
        println!("ready");
        match lines.next() {
            Some(Ok(_)) => step += 1,
            _ => break,
        }
    }
}
