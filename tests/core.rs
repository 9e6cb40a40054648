//! One test per guest program in `guests/src/bin/core_*.rs`: the host
//! prepares the sandbox, the guest runs the operation and asserts the exact
//! results and error codes, and the host checks the effect on disk.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

use common::{Fixture, dfs_run, guest, host_names, mode_of, run_in, umask};

#[test]
fn core_walk_stat() {
    let fx = Fixture::new();
    std::fs::write(fx.path("hello.txt"), b"hello").unwrap();
    std::fs::set_permissions(fx.path("hello.txt"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::create_dir(fx.path("sub")).unwrap();
    symlink("hello.txt", fx.path("link")).unwrap();

    let run = run_in("core_walk_stat", &fx.sandbox, "");
    run.assert_success();
    let m = std::fs::metadata(fx.path("hello.txt")).unwrap();
    let expected = format!(
        "size=5 mode=640 nlink=1 uid={} gid={} mtime={}.{:09} blocks={}",
        m.uid(),
        m.gid(),
        m.mtime(),
        m.mtime_nsec(),
        m.blocks()
    );
    assert_eq!(
        run.stdout.trim(),
        expected,
        "the guest's stat is the host's"
    );
    fx.assert_outside_untouched();
}

#[test]
fn core_mkdir() {
    let fx = Fixture::new();
    run_in("core_mkdir", &fx.sandbox, "").assert_success();
    let mask = umask();
    assert!(fx.path("d").is_dir() && fx.path("d/e").is_dir());
    assert_eq!(mode_of(&fx.path("d")), 0o750 & !mask);
    assert_eq!(mode_of(&fx.path("d/e")), 0o700 & !mask);
    assert!(fx.path("f").is_file());
    assert_eq!(
        host_names(&fx.sandbox),
        ["d", "f"],
        "no half-made directories"
    );
    fx.assert_outside_untouched();
}

#[test]
fn core_create_write() {
    let fx = Fixture::new();
    run_in("core_create_write", &fx.sandbox, "").assert_success();
    let mut expected = b"Jello world".to_vec();
    expected.resize(20, 0);
    expected.push(b'!');
    assert_eq!(std::fs::read(fx.path("f")).unwrap(), expected);
    assert_eq!(mode_of(&fx.path("f")), 0o600 & !umask());
    assert_eq!(mode_of(&fx.path("read-only")), 0o444 & !umask());
    assert_eq!(host_names(&fx.sandbox), ["f", "read-only", "write-only"]);
    fx.assert_outside_untouched();
}

#[test]
fn core_open_read() {
    let fx = Fixture::new();
    std::fs::write(fx.path("digits"), b"0123456789").unwrap();
    std::fs::write(fx.path("truncate-me"), b"data").unwrap();
    std::fs::create_dir(fx.path("sub")).unwrap();
    symlink("digits", fx.path("link")).unwrap();

    run_in("core_open_read", &fx.sandbox, "").assert_success();
    assert_eq!(std::fs::read(fx.path("digits")).unwrap(), b"0123456789X");
    assert_eq!(std::fs::metadata(fx.path("truncate-me")).unwrap().len(), 0);
    fx.assert_outside_untouched();
}

#[test]
fn core_read_dir() {
    let fx = Fixture::new();
    for i in 0..10 {
        std::fs::write(fx.path(&format!("f{i}")), b"x").unwrap();
    }
    std::fs::create_dir(fx.path("empty")).unwrap();
    std::fs::create_dir(fx.path("sub")).unwrap();
    symlink("f0", fx.path("l")).unwrap();

    let run = run_in("core_read_dir", &fx.sandbox, "");
    run.assert_success();
    let expected: Vec<String> = host_names(&fx.sandbox)
        .into_iter()
        .map(|name| {
            let kind = std::fs::symlink_metadata(fx.path(&name))
                .unwrap()
                .file_type();
            let letter = if kind.is_symlink() {
                "l"
            } else if kind.is_dir() {
                "d"
            } else {
                "f"
            };
            format!("{letter} {name}")
        })
        .collect();
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn core_unlink() {
    let fx = Fixture::new();
    std::fs::write(fx.path("f"), b"x").unwrap();
    std::fs::write(fx.path("target"), b"stays").unwrap();
    symlink("target", fx.path("link")).unwrap();
    std::fs::create_dir(fx.path("d")).unwrap();

    run_in("core_unlink", &fx.sandbox, "").assert_success();
    assert_eq!(host_names(&fx.sandbox), ["d", "target"]);
    assert_eq!(std::fs::read(fx.path("target")).unwrap(), b"stays");
    fx.assert_outside_untouched();
}

#[test]
fn core_rmdir() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.path("empty")).unwrap();
    std::fs::create_dir(fx.path("full")).unwrap();
    std::fs::write(fx.path("full/x"), b"x").unwrap();
    std::fs::write(fx.path("file"), b"x").unwrap();

    run_in("core_rmdir", &fx.sandbox, "").assert_success();
    assert_eq!(host_names(&fx.sandbox), ["file"]);
    fx.assert_outside_untouched();
}

#[test]
fn core_bad_names() {
    let fx = Fixture::new();
    run_in("core_bad_names", &fx.sandbox, "").assert_success();
    assert_eq!(
        host_names(&fx.sandbox),
        ["y".repeat(255)],
        "only the valid name was created"
    );
    fx.assert_outside_untouched();
}

#[test]
fn core_escape() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.path("sub")).unwrap();
    symlink(&fx.outside, fx.path("out")).unwrap();
    symlink("../outside", fx.path("up")).unwrap();
    symlink("../outside/created-through-link", fx.path("dangling")).unwrap();

    run_in("core_escape", &fx.sandbox, "").assert_success();
    assert_eq!(host_names(&fx.sandbox), ["dangling", "out", "sub", "up"]);
    assert!(!fx.outside.join("created-through-link").exists());
    fx.assert_outside_untouched();
}

#[test]
fn core_readonly() {
    let fx = Fixture::new();
    std::fs::write(fx.path("f"), b"keep").unwrap();
    std::fs::create_dir(fx.path("d")).unwrap();
    symlink("f", fx.path("l")).unwrap();
    rustix::fs::setxattr(
        fx.path("f"),
        "user.x",
        b"1",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    let before = std::fs::metadata(fx.path("f")).unwrap();

    run_in("core_readonly", &fx.sandbox, "readonly").assert_success();
    assert_eq!(host_names(&fx.sandbox), ["d", "f", "l"]);
    assert!(host_names(&fx.path("d")).is_empty());
    let after = std::fs::metadata(fx.path("f")).unwrap();
    assert_eq!(std::fs::read(fx.path("f")).unwrap(), b"keep");
    assert_eq!(
        (
            after.mtime(),
            after.mtime_nsec(),
            after.ctime(),
            after.ctime_nsec(),
            after.mode(),
            after.nlink()
        ),
        (
            before.mtime(),
            before.mtime_nsec(),
            before.ctime(),
            before.ctime_nsec(),
            before.mode(),
            before.nlink()
        ),
        "data, metadata and xattrs untouched (an xattr change moves ctime)"
    );
    fx.assert_outside_untouched();
}

#[test]
fn core_preopens() {
    let a = Fixture::new();
    let b = Fixture::new();
    std::fs::write(b.path("marker"), b"").unwrap();
    let run = dfs_run([
        "--dir".into(),
        format!("{}::first", a.sandbox.display()).into(),
        "--dir".into(),
        format!("{}::second", b.sandbox.display()).into(),
        guest("core_preopens").into_os_string(),
    ]);
    run.assert_success();
    assert_eq!(run.stdout, "first\nsecond\n");
}

#[test]
fn core_bad_handle() {
    let fx = Fixture::new();
    let run = run_in("core_bad_handle", &fx.sandbox, "");
    assert_eq!(run.code, Some(134), "a bad handle traps: {run:?}");
    assert_eq!(run.stdout, "before\n");
    assert!(run.stderr.contains("guest trapped"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("panicked"),
        "the host must not panic: {}",
        run.stderr
    );
    fx.assert_outside_untouched();
}

#[test]
fn core_escape_ops() {
    let fx = Fixture::new();
    std::fs::write(fx.path("f"), b"inside").unwrap();
    std::fs::create_dir_all(fx.path("deep/er/dir")).unwrap();
    symlink(&fx.outside, fx.path("out")).unwrap();
    symlink("../outside", fx.path("up")).unwrap();
    symlink("../outside/made-through-link", fx.path("dangling")).unwrap();

    run_in("core_escape_ops", &fx.sandbox, "").assert_success();
    assert_eq!(host_names(&fx.sandbox), ["dangling", "deep", "out", "up"]);
    assert_eq!(
        std::fs::read(fx.path("dangling")).unwrap(),
        b"inside",
        "the link was replaced"
    );
    assert_eq!(
        std::fs::symlink_metadata(fx.path("out")).unwrap().mtime(),
        1_000_000_000
    );
    // The outside: same names, content, mode, nlink, mtime, ctime.
    fx.assert_outside_untouched();
    assert!(!fx.outside.join("made-through-link").exists());
}

/// A hostile guest (`core_hostile`): 20,000 random calls per run of every
/// dentry and handle function (dotted, slashed, escaping, NUL and long
/// names; any flags, modes, owners, sizes, offsets, times and lock ranges;
/// renames and exchanges between any two held directories; a pool of held
/// dentries and handles dropped at random), in each revalidation mode, on
/// an async host with a pool mount, and with a cache of 8 dentries. Every
/// call returns: the guest runs to its end; nothing outside the sandbox or
/// in the read-only preopen changes; the host FDs stay within
/// `--max-open`.
#[test]
fn core_hostile() {
    for (seed, options, cached) in [
        ("1", "", None),
        ("2", ",shared", None),
        ("3", ",exclusive", None),
        ("4", ",pool", None),
        ("5", "", Some("8")),
    ] {
        common::run_hostile("core_hostile", seed, None, options, cached);
    }
}
