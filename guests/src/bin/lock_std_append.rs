//! One of N `std::fs` instances appending records to `/sandbox/log`
//! through `std::fs::File`, each record read-modify-write (the length, then
//! the record at that offset, in two writes 1 ms apart), under an exclusive lock
//! taken with the `directfs-locks` crate (`wasi:filesystem` descriptors,
//! `directfs:wasi-filesystem/locks`; built for wasip1 too, where it locks
//! preview 1 fds through `directfs_locks`). Also checks a `try_` lock's
//! `WouldBlock` while another `LockFile` holds the lock.
//! Arguments: ID RECORDS.

use std::io::{Seek, SeekFrom, Write};

use directfs_locks::{FileExt, LockFile};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, id, records] = &args[..] else {
        panic!("usage: lock_std_append ID RECORDS");
    };
    let id: u32 = id.parse().expect("ID");
    let records: u32 = records.parse().expect("RECORDS");

    let lock = LockFile::open("/sandbox/log").expect("open the lock");
    let other = LockFile::open("/sandbox/log").expect("open a second lock");
    lock.lock_exclusive().expect("lock");
    let busy = other
        .try_lock_shared()
        .expect_err("another LockFile holds it");
    assert_eq!(busy.kind(), std::io::ErrorKind::WouldBlock, "{busy}");
    lock.unlock().expect("unlock");
    drop(other);

    let mut log = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/sandbox/log")
        .expect("open the log");
    for n in 0..records {
        let record = format!("id={id:02} n={n:05} {}\n", "#".repeat(17));
        lock.lock_exclusive().expect("lock");
        let end = log.metadata().expect("metadata").len();
        log.seek(SeekFrom::Start(end)).expect("seek");
        log.write_all(&record.as_bytes()[..16]).expect("write");
        std::thread::sleep(std::time::Duration::from_millis(1));
        log.write_all(&record.as_bytes()[16..]).expect("write");
        lock.unlock().expect("unlock");
    }
}
