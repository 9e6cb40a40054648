//! stat-path: one call for `walk-path` + `stat`, the same answer for every
//! kind of path `walk-path` takes (symlinks relative and absolute, `..`
//! clamped at the root, trailing `/`, chains and loops) and the same exact
//! errors; no dentry handed out; a stat taken again after a write through
//! directfs is fresh.
//! The host made what `ops_walk_path` gets: a/b/c/file ("deep"), a/rel ->
//! b/c/file, a/abs -> /a/b, a/b/up -> ../../../../../, out -> <outside dir>,
//! dangling -> nowhere, loop1 <-> loop2, chain0 -> … -> chain40 ->
//! a/b/c/file.

use guest::{ErrorCode, OpenFlags, Stat, expect_err, root, write_all};

/// What two stats of one file agree on.
fn seen(st: &Stat) -> (u64, u64, String, u64, u32, u64) {
    (
        st.dev,
        st.ino,
        format!("{:?}", st.file_type),
        st.size,
        st.mode,
        st.nlink,
    )
}

fn main() {
    let root = root();
    let b = root.walk_path("a/b", false).unwrap();
    let paths = [
        ("a/b/c/file", false),
        ("a/rel", true),
        ("a/rel", false),
        ("a/abs/c/file", false),
        ("/a/b/c/file", false),
        ("a/./b//c/../c/file", false),
        ("a/b/up/a/b/c/file", false),
        ("../../../a/b/c/file", false),
        ("a/b/", false),
        ("a/abs/", false),
        ("a/abs", false),
        ("chain1", true),
        ("loop1", false),
        (".", false),
        // Errors.
        ("chain0", true),
        ("loop1", true),
        ("loop1/x", false),
        ("a/b/c/file/", false),
        ("a/rel/", false),
        ("out/canary", false),
        ("dangling", true),
        ("a/b/c/file/x", false),
        ("a/b/missing", false),
        ("", false),
        ("a/\0", false),
    ];
    // Twice: the second time every path is cached.
    for round in 0..2 {
        for (dir, name) in [(&root, "root"), (&b, "a/b")] {
            for (path, follow) in paths {
                let walked = dir.walk_path(path, follow).and_then(|d| d.stat());
                let got = dir.stat_path(path, follow);
                let what = format!("round {round}, {path:?} from {name}, follow {follow}");
                match (walked, got) {
                    (Ok(want), Ok(got)) => assert_eq!(seen(&got), seen(&want), "{what}"),
                    (Err(want), got) => expect_err(got, want, &what),
                    (Ok(_), Err(err)) => panic!("{what}: {err:?}, walk-path found it"),
                }
            }
        }
    }
    for (path, code) in [
        ("chain0", ErrorCode::Loop),
        ("a/b/c/file/", ErrorCode::NotDirectory),
        ("out/canary", ErrorCode::NoEntry),
        ("", ErrorCode::NoEntry),
        ("a/\0", ErrorCode::Invalid),
    ] {
        expect_err(root.stat_path(path, true), code, path);
    }
    expect_err(
        root.stat_path(&"x".repeat(256), false),
        ErrorCode::NameTooLong,
        "long component",
    );
    expect_err(
        root.stat_path(&"a/".repeat(2048), false),
        ErrorCode::NameTooLong,
        "path over 4095",
    );

    // Fresh after a change through directfs: the file grows from 4 bytes.
    assert_eq!(root.stat_path("a/b/c/file", false).unwrap().size, 4);
    let file = root.walk_path("a/rel", true).unwrap();
    write_all(&file.open(OpenFlags::WRITE).unwrap(), 4, b" and more");
    assert_eq!(root.stat_path("a/b/c/file", false).unwrap().size, 13);
    assert_eq!(b.stat_path("c/file", false).unwrap().size, 13);
}
