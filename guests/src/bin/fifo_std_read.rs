//! Reads the FIFO `/sandbox/fifo` to its end with plain `std::fs` (an
//! `open-at`, then `blocking-read`s of its `read-via-stream`) and prints
//! what came. The host writes into it late, in pieces, or never.

use std::fs;

fn main() {
    let data = fs::read_to_string("/sandbox/fifo").expect("read the FIFO");
    println!("read {} bytes: {data:?}", data.len());
}
