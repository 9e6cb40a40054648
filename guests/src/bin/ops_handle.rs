//! Handle operations: sync, sync-data, set-size, allocate; open flags
//! directory and nonblock (on a FIFO the host made).

use guest::{ErrorCode, OpenFlags, expect_err, root, rw};

fn main() {
    let root = root();
    let (f, h) = root.create("f", rw(), 0o644, None).unwrap();
    h.write(0, b"0123456789").unwrap();
    h.sync().expect("sync");
    h.sync_data().expect("sync-data");
    h.set_size(4).expect("shrink");
    assert_eq!(f.stat().unwrap().size, 4);
    h.set_size(6).expect("grow");
    assert_eq!(h.read(0, 100).unwrap(), b"0123\0\0");
    h.allocate(0, 1 << 20).expect("allocate 1 MiB");
    let st = h.stat().unwrap();
    assert_eq!(st.size, 1 << 20, "allocate grows the file");
    assert!(st.blocks * 512 >= 1 << 20, "and reserves the blocks");
    expect_err(h.allocate(0, 0), ErrorCode::Invalid, "allocate 0 bytes");
    expect_err(
        h.set_size(1 << 63),
        ErrorCode::Invalid,
        "size past i64::MAX",
    );
    expect_err(
        h.allocate(u64::MAX - 1, 2),
        ErrorCode::Invalid,
        "offset past i64::MAX",
    );
    expect_err(
        h.allocate(i64::MAX as u64, 2),
        ErrorCode::FileTooLarge,
        "offset + len past i64::MAX",
    );
    expect_err(
        h.read(u64::MAX, 1),
        ErrorCode::Invalid,
        "read past i64::MAX",
    );
    let ro = f.open(OpenFlags::READ).unwrap();
    expect_err(ro.set_size(0), ErrorCode::Invalid, "set-size a read handle");
    assert_eq!(ro.read(0, 0).unwrap(), b"", "a zero-byte read");
    let wo = f.open(OpenFlags::WRITE).unwrap();
    expect_err(
        wo.read(0, 0),
        ErrorCode::BadDescriptor,
        "a zero-byte read of a write-only handle",
    );

    expect_err(
        f.open(OpenFlags::READ | OpenFlags::DIRECTORY),
        ErrorCode::NotDirectory,
        "directory flag on a file",
    );
    let d = root.walk("d").unwrap();
    assert!(d.open(OpenFlags::READ | OpenFlags::DIRECTORY).is_ok());

    // A FIFO: opening never blocks the host; I/O is a stream (the offset
    // is ignored). The FIFO's dentry holds a read end itself (its FD is
    // O_RDONLY|O_NONBLOCK, gVisor's tryOpen), so a writer always has a reader.
    let fifo = root.walk("fifo").unwrap();
    let r = fifo
        .open(OpenFlags::READ | OpenFlags::NONBLOCK)
        .expect("open a FIFO for reading");
    assert!(
        r.read(0, 10).unwrap().is_empty(),
        "no writer yet: end of file"
    );
    let w = fifo
        .open(OpenFlags::WRITE | OpenFlags::NONBLOCK)
        .expect("open a FIFO for writing");
    expect_err(
        r.read(0, 10),
        ErrorCode::WouldBlock,
        "a writer, no data, nonblock",
    );
    assert_eq!(w.write(12345, b"through the pipe").unwrap(), 16);
    // The bytes go to whichever reader reads first: ours, or the dentry's,
    // which never reads.
    assert_eq!(r.read(999, 100).unwrap(), b"through the pipe");
}
