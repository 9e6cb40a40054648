//! One of N instances appending records to `log`: each record is
//! read-modify-write (the size, then the record at that offset, in two
//! writes 1 ms apart). With the argument `lock`, each record is written under an
//! exclusive lock of the whole file, waited for; with `nolock`, without.
//! Arguments: ID RECORDS lock|nolock.

use guest::{LockKind, range, root, rw, write_all};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, id, records, mode] = &args[..] else {
        panic!("usage: lock_append ID RECORDS lock|nolock");
    };
    let id: u32 = id.parse().expect("ID");
    let records: u32 = records.parse().expect("RECORDS");
    let locking = match mode.as_str() {
        "lock" => true,
        "nolock" => false,
        other => panic!("mode {other:?}"),
    };
    let log = root()
        .walk("log")
        .expect("walk log")
        .open(rw())
        .expect("open log");
    for n in 0..records {
        // 32 bytes: "id=II n=NNNNN " + filler + '\n'.
        let record = format!("id={id:02} n={n:05} {}\n", "#".repeat(17));
        assert_eq!(record.len(), 32);
        if locking {
            log.lock(range(0, 0), LockKind::Exclusive, true)
                .expect("lock");
        }
        let end = log.stat().expect("stat").size;
        write_all(&log, end, &record.as_bytes()[..16]);
        std::thread::sleep(std::time::Duration::from_millis(1));
        write_all(&log, end + 16, &record.as_bytes()[16..]);
        if locking {
            log.unlock(range(0, 0)).expect("unlock");
        }
    }
}
