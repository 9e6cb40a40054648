//! What every directfs guest program shares: the `directfs:fs` bindings and
//! small helpers. A failed check panics, which traps the guest with its
//! message on stderr; the host test then fails and shows it.

wit_bindgen::generate!({ path: "../wit", world: "imports" });

pub use directfs::fs::preopens::get_directories;
pub use directfs::fs::types::{
    Dentry, DirEntry, DirEntryPlus, DirPage, DirPlusPage, ErrorCode, FileType, Handle, OpenFlags,
    Owner, RenameFlags, SetStat, SetStatError, SetTime, Stat, StatFields, Statfs, Timestamp,
    XattrFlags,
};

/// A `set-stat` that changes nothing; fill in the fields to change.
pub fn no_change() -> SetStat {
    SetStat {
        mode: None,
        uid: None,
        gid: None,
        size: None,
        atime: SetTime::Omit,
        mtime: SetTime::Omit,
    }
}

/// The preopen named `name`.
pub fn preopen(name: &str) -> Dentry {
    get_directories()
        .into_iter()
        .find(|(_, n)| n == name)
        .map(|(d, _)| d)
        .unwrap_or_else(|| panic!("no preopen named {name:?}"))
}

/// The first preopen (the sandbox of a test).
pub fn root() -> Dentry {
    get_directories().into_iter().next().expect("no preopen").0
}

/// Checks that `result` failed with exactly `code`.
#[track_caller]
pub fn expect_err<T>(result: Result<T, ErrorCode>, code: ErrorCode, what: &str) {
    match result {
        Ok(_) => panic!("{what}: succeeded, expected {code:?}"),
        Err(got) => assert_eq!(got, code, "{what}"),
    }
}

/// Writes all of `data` at `offset`, looping over short writes.
pub fn write_all(handle: &Handle, mut offset: u64, mut data: &[u8]) {
    while !data.is_empty() {
        let n = handle.write(offset, data).expect("write") as usize;
        assert!(n > 0, "write made no progress");
        data = &data[n..];
        offset += n as u64;
    }
}

/// Reads from `offset` to end of file.
pub fn read_to_end(handle: &Handle, mut offset: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let chunk = handle.read(offset, 64 * 1024).expect("read");
        if chunk.is_empty() {
            return out;
        }
        offset += chunk.len() as u64;
        out.extend(chunk);
    }
}

/// Every entry of `dir`, following the cursor, `page` entries at a time.
pub fn list(dir: &Dentry, page: u32) -> Vec<DirEntry> {
    let mut all = Vec::new();
    let mut cursor = 0;
    loop {
        let p = dir.read_dir(cursor, page).expect("read-dir");
        assert!(p.entries.len() <= page as usize, "page larger than asked");
        all.extend(p.entries);
        match p.next {
            Some(next) => cursor = next,
            None => return all,
        }
    }
}

/// Argument `i` as a number (0 if absent or not a number).
pub fn arg(i: usize) -> u64 {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0)
}

/// `read | write`.
pub fn rw() -> OpenFlags {
    OpenFlags::READ | OpenFlags::WRITE
}
