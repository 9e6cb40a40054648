//! Every mutating and reading operation aimed out of the preopen through
//! symlinks and `..`: each fails with its exact code, and nothing outside is
//! read, written, created, linked, renamed, chmod-ed or stat-ed (the host
//! checks). The host planted: out -> <outside, absolute>, up -> ../outside,
//! dangling -> ../outside/made-through-link, deep/er/dir, file f.

use guest::{
    ErrorCode, OpenFlags, RenameFlags, SetTime, StatFields, Timestamp, XattrFlags, expect_err,
    no_change, root, rw,
};

fn main() {
    let root = root();
    let none = RenameFlags::empty();
    // Outside files cannot even be named: absolute targets and `..` resolve
    // inside the preopen, where there is no such file.
    for path in [
        "out/canary",
        "up/canary",
        "../outside/canary",
        "/../../outside/canary",
        "deep/er/dir/../../../../../../outside/canary",
    ] {
        expect_err(root.walk_path(path, true), ErrorCode::NoEntry, path);
    }
    expect_err(
        root.walk_path("out", true),
        ErrorCode::NoEntry,
        "follow out",
    );
    expect_err(
        root.walk_path("dangling", true),
        ErrorCode::NoEntry,
        "follow dangling",
    );

    // The symlinks themselves are inside: operations on them never reach
    // their targets.
    let out = root.walk("out").unwrap();
    let up = root.walk("up").unwrap();
    for link in [&out, &up] {
        expect_err(link.open(OpenFlags::READ), ErrorCode::Loop, "open");
        expect_err(link.walk("canary"), ErrorCode::NotDirectory, "walk through");
        expect_err(link.read_dir(0, 10), ErrorCode::NotDirectory, "read-dir");
        expect_err(
            link.read_dir_plus(0, 10),
            ErrorCode::NotDirectory,
            "read-dir-plus",
        );
        expect_err(
            link.mkdir("x", 0o755, None),
            ErrorCode::NotDirectory,
            "mkdir in",
        );
        expect_err(
            link.create("x", rw(), 0o644, None),
            ErrorCode::NotDirectory,
            "create in",
        );
        expect_err(
            link.mknod("x", 0o644, None),
            ErrorCode::NotDirectory,
            "mknod in",
        );
        expect_err(
            link.symlink("x", "y", None),
            ErrorCode::NotDirectory,
            "symlink in",
        );
        expect_err(link.unlink("canary"), ErrorCode::NotDirectory, "unlink in");
        expect_err(
            link.rmdir("canary-dir"),
            ErrorCode::NotDirectory,
            "rmdir in",
        );
        expect_err(
            root.rename("f", link, "f", none),
            ErrorCode::NotDirectory,
            "rename into",
        );
        expect_err(
            link.rename("canary", &root, "stolen", none),
            ErrorCode::NotDirectory,
            "rename out of",
        );
        expect_err(
            link.link(&root.walk("f").unwrap(), "x"),
            ErrorCode::NotDirectory,
            "link into",
        );
        expect_err(
            link.get_xattr("user.x"),
            ErrorCode::NotSupported,
            "get-xattr",
        );
        expect_err(
            link.set_xattr("user.x", b"1", XattrFlags::empty()),
            ErrorCode::NotSupported,
            "set-xattr",
        );
        expect_err(link.list_xattr(), ErrorCode::NotSupported, "list-xattr");
        let mut chmod = no_change();
        chmod.mode = Some(0o777);
        let err = link.set_stat(chmod).unwrap_err();
        assert_eq!(
            (err.failed, err.error),
            (StatFields::MODE, ErrorCode::NotSupported),
            "chmod a symlink"
        );
        let mut size = no_change();
        size.size = Some(0);
        assert_eq!(
            link.set_stat(size).unwrap_err().error,
            ErrorCode::Invalid,
            "truncate through"
        );
        // Times and owner change the symlink itself (AT_SYMLINK_NOFOLLOW).
        let mut times = no_change();
        times.mtime = SetTime::At(Timestamp {
            seconds: 1_000_000_000,
            nanoseconds: 0,
        });
        link.set_stat(times).expect("utimens the symlink itself");
        assert_eq!(link.stat().unwrap().mtime.seconds, 1_000_000_000);
        let mut owner = no_change();
        owner.uid = Some(link.stat().unwrap().uid);
        link.set_stat(owner).expect("chown the symlink itself");
        assert!(
            link.statfs().is_ok(),
            "statfs of the symlink's own filesystem"
        );
    }
    // Creating over a dangling symlink never creates its target.
    expect_err(
        root.create("dangling", rw(), 0o644, None),
        ErrorCode::AlreadyExists,
        "create",
    );
    expect_err(
        root.mknod("dangling", 0o644, None),
        ErrorCode::AlreadyExists,
        "mknod",
    );
    expect_err(
        root.mkdir("dangling", 0o755, None),
        ErrorCode::AlreadyExists,
        "mkdir",
    );
    expect_err(
        root.symlink("dangling", "x", None),
        ErrorCode::AlreadyExists,
        "symlink",
    );
    let f = root.walk("f").unwrap();
    expect_err(root.link(&f, "dangling"), ErrorCode::AlreadyExists, "link");
    // Replacing a symlink by rename replaces the link, not its target.
    root.rename("f", &root, "dangling", none)
        .expect("rename over the dangling symlink");
    assert_eq!(
        root.walk("dangling").unwrap().stat().unwrap().file_type,
        guest::FileType::RegularFile
    );
    // Names and paths that are not components.
    expect_err(
        root.rename("dangling", &root, "../x", none),
        ErrorCode::Invalid,
        "rename to ../x",
    );
    expect_err(
        root.walk_path(&"a/".repeat(3000), false),
        ErrorCode::NameTooLong,
        "path over 4095",
    );
}
