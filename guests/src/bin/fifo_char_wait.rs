//! Reads the character device `/sandbox/kmsg` (the kernel log's device,
//! `/dev/kmsg`, made in the sandbox by the host) record by record: prints
//! `reached the sentinel` at the record holding its first argument, and
//! ends at the one holding its second, the marker. The device gives the
//! records already logged at once, then makes the reader wait: the host
//! logs the marker only a while after the guest said it reached the
//! sentinel, so the guest waits in a blocking read, and a read that failed
//! (`WouldBlock`) instead of waiting ends it with that error.

use std::fs::File;
use std::io::Read;

fn main() {
    let mut args = std::env::args().skip(1);
    let sentinel = args.next().expect("the sentinel");
    let marker = args.next().expect("the marker");
    let mut device = File::open("/sandbox/kmsg").expect("open the device");
    // One record per read; a record never exceeds this (the kernel's
    // `CONSOLE_EXT_LOG_MAX` is 8 KiB).
    let mut record = vec![0; 8192];
    loop {
        match device.read(&mut record) {
            Ok(0) => {
                println!("end of the device before the marker");
                return;
            }
            Ok(n) => {
                let text = String::from_utf8_lossy(&record[..n]);
                if text.contains(&sentinel) {
                    println!("reached the sentinel");
                }
                if text.contains(&marker) {
                    println!("read the marker");
                    return;
                }
            }
            // A record overwritten in the ring buffer since the last read
            // (`EPIPE`): the next read carries on with the oldest left.
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(err) => {
                println!(
                    "read failed: {:?} (errno {:?})",
                    err.kind(),
                    err.raw_os_error()
                );
                return;
            }
        }
    }
}
