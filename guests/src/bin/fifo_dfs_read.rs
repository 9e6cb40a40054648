//! Reads the FIFO `fifo` through a `directfs:fs` handle opened without
//! `nonblock` (blocking reads, as a guest expects them) until its end, and
//! prints what came. A failed read prints its error code and fails (exit status 1).

use guest::{OpenFlags, root};

fn main() {
    let fifo = root().walk("fifo").expect("walk to the FIFO");
    let handle = fifo.open(OpenFlags::READ).expect("open the FIFO");
    let mut got = Vec::new();
    loop {
        match handle.read(0, 64) {
            Ok(data) if data.is_empty() => break,
            Ok(data) => got.extend(data),
            Err(code) => {
                println!(
                    "error {} after {:?}",
                    code.name(),
                    String::from_utf8_lossy(&got)
                );
                std::process::exit(1);
            }
        }
    }
    println!(
        "read {} bytes: {:?}",
        got.len(),
        String::from_utf8_lossy(&got)
    );
}
