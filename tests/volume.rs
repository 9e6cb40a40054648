//! Many hosts, one volume: directfs on a real distributed filesystem. A
//! GlusterFS volume replicated over 3 bricks, mounted twice with the FUSE
//! client (`scripts/volume.sh up`, which these tests run): mount A stands
//! for the host the guest runs on, mount B for another host. Each test
//! makes its changes through B and checks that a guest on A sees each of
//! them exactly as a native program on A does (wasmtime-wasi's filesystem,
//! which caches nothing: plain syscalls on A), after the volume's own cache
//! timeouts, and that B sees what the guest wrote.
//!
//! The guests' file locks are the volume's too: they exclude processes on
//! the other host (`volume_locks_across_hosts`).
//!
//! Skipped, with a one-line reason, only where the volume cannot be made:
//! no root, no `/dev/fuse`, no GlusterFS packages to install.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use common::host_changes::{Told, Views, around_host_changes_in, first_difference};
use common::locks::{check_lock_ranges, finish, setlk, spawn, wait_for};
use nix::libc;

/// How long a change made on B takes to show on A: GlusterFS's FUSE
/// client keeps attributes and entries for 1 s by default.
const SETTLE: Duration = Duration::from_millis(1100);

/// The two mounts of the volume (A, B), brought up once per test binary;
/// `None` (with the reason printed) where it cannot be.
fn volume() -> Option<&'static (PathBuf, PathBuf)> {
    static VOLUME: OnceLock<Result<(PathBuf, PathBuf), String>> = OnceLock::new();
    let volume = VOLUME.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/volume.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("up")
            .output()
            .map_err(|err| format!("cannot run {}: {err}", script.display()))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(stderr
                .lines()
                .rev()
                .find(|l| l.contains("error"))
                .unwrap_or("scripts/volume.sh up failed")
                .to_owned());
        }
        let stdout = String::from_utf8(out.stdout).unwrap();
        let mut mounts = stdout.lines().map(PathBuf::from);
        Ok((mounts.next().unwrap(), mounts.next().unwrap()))
    });
    match volume {
        Ok(mounts) => Some(mounts),
        Err(why) => {
            // Where CI must run them, a missing volume is a failure.
            assert!(
                std::env::var_os("DIRECTFS_REQUIRE_VOLUME").is_none(),
                "no GlusterFS volume: {why}"
            );
            eprintln!("skipped: no GlusterFS volume ({why})");
            None
        }
    }
}

/// A fresh directory on the volume for one run: its path on A and on B.
fn fresh_dir((a, b): &(PathBuf, PathBuf)) -> (tempfile::TempDir, Views) {
    let dir = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(b)
        .unwrap();
    let name = dir.path().file_name().unwrap();
    let views = Views {
        guest: a.join(name),
        host: dir.path().to_path_buf(),
        settle: SETTLE,
    };
    (dir, views)
}

/// One host-changes run on the volume ([`around_host_changes_in`]): the
/// guest on A, the changes on B.
fn across_hosts(told: Told, args: &[&str], options: &str) -> Option<(Vec<String>, Vec<String>)> {
    let volume = volume()?;
    let (_dir, views) = fresh_dir(volume);
    // `tests/coherent.rs`'s guests, run here across two hosts.
    let name = match told {
        Told::Stdin => "coherent_host_changes",
        Told::Marker => "coherent_p3_host_changes",
    };
    Some(around_host_changes_in(told, name, args, options, &views))
}

/// Host B's changes (append, truncate, mtime, rename over, create, unlink,
/// directory renamed and replaced, replaced by a symlink, a name
/// re-created), seen by a `std::fs` guest on host A: in the default mode
/// and in `shared`, what a native program on A sees; and B sees the
/// guest's writes. `exclusive`, which promises nothing when others change
/// the directory, misses some (so the fixture catches a stale cache).
#[test]
fn volume_host_changes() {
    let Some((want, want_tree)) = across_hosts(Told::Stdin, &["--wasi-fs", "wasmtime"], "") else {
        return;
    };
    assert!(
        want.contains(&"[1] read f: ok \"old++appended\"".to_owned()),
        "{want:#?}"
    );
    assert!(want.contains(&"[8] d is a symlink: ok true".to_owned()));
    for options in ["", ",shared"] {
        let (got, tree) = across_hosts(Told::Stdin, &[], options).unwrap();
        assert!(
            got == want,
            "{options:?}: {}\n{got:#?}",
            first_difference(&want, &got)
        );
        assert_eq!(tree, want_tree, "{options:?}: host B's tree afterwards");
    }
    let (stale, _) = across_hosts(Told::Stdin, &[], ",exclusive").unwrap();
    assert_ne!(
        stale, want,
        "exclusive mode saw every change: the fixture tests nothing"
    );
}

/// The same changes seen through WASI 0.3's `wasi:filesystem`.
#[test]
fn volume_p3_host_changes() {
    let Some((want, want_tree)) = across_hosts(Told::Marker, &["--wasi-fs", "wasmtime"], "") else {
        return;
    };
    let (got, tree) = across_hosts(Told::Marker, &[], "").unwrap();
    assert!(got == want, "{}\n{got:#?}", first_difference(&want, &got));
    assert_eq!(tree, want_tree, "host B's tree afterwards");
}

/// A brick killed while a guest writes, and started again: the guest's
/// calls succeed or fail (it retries what failed), it never hangs (`-W
/// timeout`), every write it acknowledged (after `sync_all`) is on the
/// volume with its bytes, seen from host B, and the volume heals.
#[test]
fn volume_brick_killed_mid_run() {
    let Some(volume) = volume() else {
        return;
    };
    let (_dir, views) = fresh_dir(volume);
    std::fs::create_dir_all(&views.host).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/volume.sh");
    const N: usize = 300;
    let guest = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .args(["-W", "timeout=120s", "--dir"])
        .arg(format!("{}::/v", views.guest.display()))
        .arg(common::guest("volume_writer"))
        .arg(N.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let killed = Command::new("bash")
        .arg(&script)
        .args(["brick-kill", "2"])
        .output()
        .unwrap();
    assert!(
        killed.status.success(),
        "{}",
        String::from_utf8_lossy(&killed.stderr)
    );
    std::thread::sleep(Duration::from_millis(1500));
    let started = Command::new("bash")
        .arg(&script)
        .arg("brick-start")
        .output()
        .unwrap();
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let out = guest.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    eprintln!(
        "brick 2 killed and started again mid-run: {}",
        stdout.lines().last().unwrap_or_default()
    );
    let acked = stdout.lines().filter(|l| l.starts_with("acked ")).count();
    assert_eq!(acked, N, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("read back: {N} good, 0 bad")),
        "{stdout}\n{stderr}"
    );
    // Host B reads every acknowledged file with its bytes.
    for i in 0..N {
        let data = std::fs::read(views.host.join(format!("file-{i:04}"))).unwrap();
        let want: Vec<u8> = (0..16 * 1024)
            .map(|j| ((i * 31 + j * 7) % 251) as u8)
            .collect();
        assert!(data == want, "file {i} on host B");
    }
}

/// Locks across hosts: the guests' locks are the volume's, so they exclude
/// processes on other hosts, and the reverse. A process on host B holds an
/// `fcntl` lock on `f`: a guest on host A is refused (`would-block`), waits,
/// and gets the lock once B releases it. Then a guest on A holds a known
/// set of locks (`lock_ranges`) and B sees exactly them, range by range,
/// and is refused them.
#[test]
fn volume_locks_across_hosts() {
    let Some(volume) = volume() else {
        return;
    };
    let (_dir, views) = fresh_dir(volume);
    std::fs::create_dir_all(&views.host).unwrap();
    std::fs::write(views.host.join("f"), [0u8; 64]).unwrap();
    std::fs::create_dir(views.host.join("d")).unwrap();
    let f = std::fs::File::options()
        .read(true)
        .write(true)
        .open(views.host.join("f"))
        .unwrap();
    let w = libc::F_WRLCK;
    setlk(&f, w, 0, 0).unwrap();
    std::thread::sleep(SETTLE);

    let mut guest = spawn("lock_wait", &views.guest, "", &[]);
    wait_for(&views.guest, "tried", &mut guest);
    std::thread::sleep(Duration::from_millis(300));
    assert!(guest.try_wait().unwrap().is_none(), "the guest on A waits");
    setlk(&f, libc::F_UNLCK, 0, 0).unwrap();
    wait_for(&views.guest, "acquired", &mut guest);
    let (code, stdout, stderr) = finish(guest);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");

    // Host B sees a guest's ranges on A exactly, and is refused them.
    check_lock_ranges("lock_ranges", &views.guest, &views.host, "", |_| {});
}
