//! One test per guest program in `guests/src/bin/ops_*.rs` (the full
//! operation set): the host prepares the sandbox, the guest asserts exact
//! results and error codes, the host checks the effect on disk with std,
//! nix and rustix. Each runs twice ([`each_host`]): on dfs-run's sync host,
//! and on its async host with the calls on the blocking pool (`,pool`).

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::Path;

use common::{Fixture, comma, dfs_run, each_host, guest, host_names, mode_of, run_in, umask};

fn lstat(path: &Path) -> std::fs::Metadata {
    std::fs::symlink_metadata(path).unwrap()
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// What `ops_walk_path` and `ops_stat_path` walk: a/b/c/file ("deep"),
/// symlinks relative, absolute, up and out of the preopen, dangling, a
/// loop, and a chain of 41.
fn walk_fixture() -> Fixture {
    let fx = Fixture::new();
    std::fs::create_dir_all(fx.path("a/b/c")).unwrap();
    std::fs::write(fx.path("a/b/c/file"), b"deep").unwrap();
    symlink("b/c/file", fx.path("a/rel")).unwrap();
    symlink("/a/b", fx.path("a/abs")).unwrap();
    symlink("../../../../../", fx.path("a/b/up")).unwrap();
    symlink(&fx.outside, fx.path("out")).unwrap();
    symlink("nowhere", fx.path("dangling")).unwrap();
    symlink("loop2", fx.path("loop1")).unwrap();
    symlink("loop1", fx.path("loop2")).unwrap();
    for i in 0..40 {
        symlink(format!("chain{}", i + 1), fx.path(&format!("chain{i}"))).unwrap();
    }
    symlink("a/b/c/file", fx.path("chain40")).unwrap();
    fx
}

#[test]
fn ops_walk_path() {
    each_host(|host| {
        let fx = walk_fixture();

        run_in("ops_walk_path", &fx.sandbox, host).assert_success();
        assert!(!fx.path("nowhere").exists());
        fx.assert_outside_untouched();
    });
}

#[test]
fn ops_stat_path() {
    each_host(|host| {
        let fx = walk_fixture();

        run_in("ops_stat_path", &fx.sandbox, host).assert_success();
        assert_eq!(
            std::fs::read(fx.path("a/b/c/file")).unwrap(),
            b"deep and more"
        );
        assert!(!fx.path("nowhere").exists());
        fx.assert_outside_untouched();
    });
}

#[test]
fn ops_walk_again() {
    each_host(|host| {
        let fx = Fixture::new();
        for (dir, content) in [("a", "one"), ("b", "two-2")] {
            std::fs::create_dir(fx.path(dir)).unwrap();
            std::fs::write(fx.path(&format!("{dir}/f")), content).unwrap();
        }

        run_in("ops_walk_again", &fx.sandbox, host).assert_success();
        assert_eq!(std::fs::read(fx.path("c/f")).unwrap(), b"one");
        assert!(!fx.path("a/f").exists() && !fx.path("b").exists());
        assert_eq!(std::fs::read_link(fx.path("s")).unwrap(), Path::new("c/f"));
        fx.assert_outside_untouched();
    });
}

#[test]
fn ops_symlink() {
    each_host(|host| {
        let fx = Fixture::new();
        std::fs::write(fx.path("file"), b"x").unwrap();
        symlink(OsStr::from_bytes(b"bin\xffary"), fx.path("binary")).unwrap();

        run_in("ops_symlink", &fx.sandbox, host).assert_success();
        for (name, target) in [
            ("rel", "a/b"),
            ("abs", "/etc/passwd"),
            ("up", "../../x"),
            ("dot", "."),
        ] {
            assert!(lstat(&fx.path(name)).file_type().is_symlink(), "{name}");
            assert_eq!(
                std::fs::read_link(fx.path(name)).unwrap(),
                Path::new(target),
                "{name}"
            );
        }
        assert_eq!(
            std::fs::read_link(fx.path("long"))
                .unwrap()
                .as_os_str()
                .len(),
            4095
        );
        assert_eq!(
            host_names(&fx.sandbox),
            ["abs", "binary", "dot", "file", "long", "rel", "up"]
        );
        fx.assert_outside_untouched();
    });
}

#[test]
fn ops_mknod() {
    each_host(|host| {
        let fx = Fixture::new();
        run_in("ops_mknod", &fx.sandbox, host).assert_success();
        assert_eq!(
            host_names(&fx.sandbox),
            ["plain", "typed"],
            "no FIFO, device or socket made"
        );
        assert!(lstat(&fx.path("plain")).file_type().is_file());
        assert_eq!(mode_of(&fx.path("plain")), 0o640 & !umask());
        assert_eq!(mode_of(&fx.path("typed")), 0o600 & !umask());
    });
}

#[test]
fn ops_link() {
    each_host(|host| {
        let fx = Fixture::new();
        let other = Fixture::new();
        let ro = Fixture::new();
        std::fs::write(fx.path("f"), b"original").unwrap();
        std::fs::write(fx.path("gone"), b"x").unwrap();
        std::fs::create_dir(fx.path("sub")).unwrap();
        std::fs::write(ro.path("secret"), b"read-only").unwrap();

        let dir =
            |fx: &Fixture, spec: &str| format!("{}::{spec}{}", fx.sandbox.display(), comma(host));
        dfs_run([
            "--dir".into(),
            dir(&fx, "/sandbox").into(),
            "--dir".into(),
            dir(&other, "/other").into(),
            "--dir".into(),
            dir(&ro, "/ro,readonly").into(),
            guest("ops_link").into_os_string(),
        ])
        .assert_success();
        let (f, g) = (
            fx.path("f").metadata().unwrap(),
            fx.path("sub/g").metadata().unwrap(),
        );
        assert_eq!((f.ino(), f.nlink()), (g.ino(), 2), "one inode, two links");
        assert_eq!(std::fs::read(fx.path("f")).unwrap(), b"via g");
        assert_eq!(f.mode() & 0o7777, 0o604);
        assert_eq!(host_names(&fx.sandbox), ["f", "sub"]);
        assert!(host_names(&other.sandbox).is_empty());
        assert_eq!(host_names(&ro.sandbox), ["secret"]);
        assert_eq!(ro.path("secret").metadata().unwrap().nlink(), 1);
        fx.assert_outside_untouched();
    });
}

#[test]
fn ops_rename() {
    each_host(|host| {
        let fx = Fixture::new();
        let other = Fixture::new();
        for (name, content) in [("a", "A"), ("b", "B"), ("c", "C")] {
            std::fs::write(fx.path(name), content).unwrap();
        }
        std::fs::create_dir_all(fx.path("d/keep")).unwrap();
        std::fs::create_dir(fx.path("empty")).unwrap();
        std::fs::create_dir(fx.path("full")).unwrap();
        std::fs::write(fx.path("full/x"), b"").unwrap();

        dfs_run([
            "--dir".into(),
            format!("{}::/sandbox{}", fx.sandbox.display(), comma(host)).into(),
            "--dir".into(),
            format!("{}::/other{}", other.sandbox.display(), comma(host)).into(),
            guest("ops_rename").into_os_string(),
        ])
        .assert_success();
        // h1 and h2: the rename of one onto the other did nothing.
        assert_eq!(
            host_names(&fx.sandbox),
            ["b", "c", "e", "empty", "full", "h1", "h2"]
        );
        assert_eq!(std::fs::read(fx.path("h1")).unwrap(), b"C");
        assert_eq!(std::fs::read(fx.path("b")).unwrap(), b"C");
        assert_eq!(std::fs::read(fx.path("c")).unwrap(), b"A");
        assert_eq!(host_names(&fx.path("e")), ["keep"]);
        assert!(host_names(&other.sandbox).is_empty());
        fx.assert_outside_untouched();
    });
}

/// `dentry.stat` after each kind of change (the guest asserts the values);
/// the host has what the guest left.
#[test]
fn ops_stat_fresh() {
    each_host(|host| {
        let fx = Fixture::new();
        run_in("ops_stat_fresh", &fx.sandbox, host).assert_success();
        assert_eq!(host_names(&fx.sandbox), ["f"]);
        assert_eq!(std::fs::read(fx.path("f")).unwrap(), b"0123456789");
        fx.assert_outside_untouched();
    });
}

#[test]
fn ops_set_stat() {
    each_host(|host| {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), b"0123456789").unwrap();
        std::fs::create_dir(fx.path("d")).unwrap();
        symlink("f", fx.path("l")).unwrap();
        drop(std::os::unix::net::UnixListener::bind(fx.path("sock")).unwrap());
        let target_mtime = lstat(&fx.path("f")).mtime();

        let run = run_in("ops_set_stat", &fx.sandbox, host);
        run.assert_success();
        let f = lstat(&fx.path("f"));
        assert_eq!((f.mode() & 0o7777, f.len()), (0o640, 1));
        assert_eq!(std::fs::read(fx.path("f")).unwrap(), b"0");
        let d = lstat(&fx.path("d"));
        assert_eq!((d.mode() & 0o7777, d.mtime()), (0o700, 1_111_111_111));
        let l = lstat(&fx.path("l"));
        assert_eq!(l.mtime(), 1_222_222_222, "the symlink's own time");
        assert_ne!(f.mtime(), 1_222_222_222, "not its target's");
        assert!(f.mtime() >= target_mtime);
        let sock = lstat(&fx.path("sock"));
        assert_eq!((sock.mode() & 0o7777, sock.mtime()), (0o600, 1_333_333_333));
        if is_root() {
            assert_eq!(run.stdout, "root\n");
            assert_eq!((f.uid(), f.gid()), (4321, 8765));
        } else {
            assert_eq!(run.stdout, "user\n");
        }
        fx.assert_outside_untouched();
    });
}

/// `ops_set_stat`'s unprivileged branch, which a root CI would never take:
/// as root, dfs-run is started as user `nobody` (`setpriv`) on a sandbox
/// that user owns; giving a file away then fails with `not-permitted`
/// (the guest checks the exact failure mask) and the owner stays.
#[test]
fn ops_set_stat_unprivileged() {
    if !is_root() {
        eprintln!("skipped: ops_set_stat itself runs unprivileged here");
        return;
    }
    const NOBODY: u32 = 65534;
    let fx = Fixture::new();
    std::fs::write(fx.path("f"), b"0123456789").unwrap();
    std::fs::create_dir(fx.path("d")).unwrap();
    symlink("f", fx.path("l")).unwrap();
    drop(std::os::unix::net::UnixListener::bind(fx.path("sock")).unwrap());
    for rel in ["", "f", "d", "l", "sock"] {
        std::os::unix::fs::lchown(fx.path(rel), Some(NOBODY), Some(NOBODY)).unwrap();
    }
    // The fixture's temp dir must let nobody through (changing it changes
    // what the outside check compares: then it is left out).
    let tmp = fx.sandbox.parent().unwrap();
    let traversable = mode_of(tmp) & 0o001 != 0;
    if !traversable {
        std::fs::set_permissions(tmp, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_dfs-run"))
        .args(["-C", "cache=n", "--dir"])
        .arg(format!("{}::/sandbox", fx.sandbox.display()))
        .arg(guest("ops_set_stat"))
        .output()
        .expect("setpriv (util-linux)");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout, "user\n");
    let f = lstat(&fx.path("f"));
    assert_eq!((f.uid(), f.gid()), (NOBODY, NOBODY), "not given away");
    assert_eq!((f.mode() & 0o7777, f.len()), (0o640, 1), "the rest done");
    if traversable {
        fx.assert_outside_untouched();
    }
}

#[test]
fn ops_statfs() {
    each_host(|host| {
        let fx = Fixture::new();
        let run = run_in("ops_statfs", &fx.sandbox, host);
        run.assert_success();
        let host = nix::sys::statfs::statfs(&fx.sandbox).unwrap();
        let expected = format!(
            "bsize={} blocks={} files={} namelen={}\n",
            host.block_size(),
            host.blocks(),
            host.files(),
            host.maximum_name_length()
        );
        assert_eq!(run.stdout, expected);
    });
}

#[test]
fn ops_read_dir_plus() {
    each_host(|host| {
        let fx = Fixture::new();
        for i in 0..10 {
            std::fs::write(fx.path(&format!("f{i}")), "x".repeat(i)).unwrap();
        }
        std::fs::create_dir(fx.path("dir")).unwrap();
        symlink("f3", fx.path("link")).unwrap();

        let run = run_in("ops_read_dir_plus", &fx.sandbox, host);
        run.assert_success();
        let expected: String = host_names(&fx.sandbox)
            .into_iter()
            .map(|name| format!("{name} {}\n", lstat(&fx.path(&name)).len()))
            .collect();
        assert_eq!(run.stdout, expected);
    });
}

#[test]
fn ops_xattr() {
    each_host(|host| {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), b"x").unwrap();
        std::fs::create_dir(fx.path("d")).unwrap();
        symlink("f", fx.path("l")).unwrap();
        rustix::fs::setxattr(
            fx.path("f"),
            "user.host-set",
            b"from the host",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();

        run_in("ops_xattr", &fx.sandbox, host).assert_success();
        let get = |path: &Path, name: &str| {
            let mut buf = vec![0; 8192];
            let n = rustix::fs::getxattr(path, name, &mut buf[..]).ok()?;
            buf.truncate(n);
            Some(buf)
        };
        assert_eq!(
            get(&fx.path("f"), "user.color").as_deref(),
            Some(&b"red"[..])
        );
        assert_eq!(get(&fx.path("f"), "user.empty"), None);
        assert_eq!(get(&fx.path("f"), "user.big"), Some(vec![7; 4000]));
        assert_eq!(
            get(&fx.path("d"), "user.on-dir").as_deref(),
            Some(&b"1"[..])
        );
    });
}

#[test]
fn ops_handle() {
    each_host(|host| {
        let fx = Fixture::new();
        std::fs::create_dir(fx.path("d")).unwrap();
        nix::unistd::mkfifo(
            &fx.path("fifo"),
            nix::sys::stat::Mode::from_bits_truncate(0o644),
        )
        .unwrap();

        run_in("ops_handle", &fx.sandbox, host).assert_success();
        let f = lstat(&fx.path("f"));
        assert_eq!(f.len(), 1 << 20);
        assert!(f.blocks() * 512 >= 1 << 20);
        assert_eq!(std::fs::read(fx.path("f")).unwrap()[..6], *b"0123\0\0");
    });
}

#[test]
fn ops_owner() {
    let fx = Fixture::new();
    let run = run_in("ops_owner", &fx.sandbox, "");
    run.assert_success();
    if is_root() {
        assert_eq!(run.stdout, "root\n");
        for name in ["d", "f", "l", "n"] {
            let m = lstat(&fx.path(name));
            assert_eq!((m.uid(), m.gid()), (1234, 5678), "{name}");
        }
        // As root the fchown cannot fail, so run the same guest once more as
        // `nobody` (setpriv, util-linux): there it must fail, and every
        // half-made file must be removed again.
        assert_owner_refused_unprivileged();
    } else {
        assert_eq!(run.stdout, "user\n");
        assert!(
            host_names(&fx.sandbox).is_empty(),
            "half-made files were removed"
        );
    }
}

/// Runs `ops_owner` as uid/gid 65534 on a sandbox that user owns.
fn assert_owner_refused_unprivileged() {
    use std::os::unix::fs::PermissionsExt;
    const NOBODY: u32 = 65534;
    // Everything nobody needs, in one world-traversable temp dir (the build
    // tree may sit under private directories): dfs-run, the guest, and the
    // sandbox, owned by nobody.
    let top = tempfile::tempdir().unwrap();
    std::fs::set_permissions(top.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (bin, wasm, sandbox) = (
        top.path().join("dfs-run"),
        top.path().join("ops_owner.wasm"),
        top.path().join("sandbox"),
    );
    std::fs::copy(env!("CARGO_BIN_EXE_dfs-run"), &bin).unwrap();
    std::fs::copy(guest("ops_owner"), &wasm).unwrap();
    std::fs::set_permissions(&wasm, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::create_dir(&sandbox).unwrap();
    std::os::unix::fs::chown(&sandbox, Some(NOBODY), Some(NOBODY)).unwrap();
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .arg("--dir")
        .arg(format!("{}::/sandbox", sandbox.display()))
        .arg(&wasm)
        .output()
        .expect("setpriv (util-linux)");
    assert!(
        out.status.success(),
        "as nobody: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "user\n");
    assert!(
        host_names(&sandbox).is_empty(),
        "half-made files were removed"
    );
}

#[test]
fn ops_non_utf8() {
    each_host(|host| {
        let fx = Fixture::new();
        std::fs::write(fx.path("good"), b"").unwrap();
        std::fs::write(fx.sandbox.join(OsStr::from_bytes(b"bad\xff")), b"").unwrap();
        run_in("ops_non_utf8", &fx.sandbox, host).assert_success();
    });
}
