//! Many hosts, one volume: directfs on real distributed filesystems, each
//! mounted twice with its FUSE client — mount A stands for the host the
//! guest runs on, mount B for another host: a GlusterFS volume replicated
//! over 3 bricks (`scripts/volume.sh up`), and CephFS (one monitor, one
//! in-memory OSD, one metadata server: `scripts/cephfs.sh up`); the tests
//! bring them up. Each test makes its changes through B and checks that a
//! guest on A sees each of them exactly as a native program on A does
//! (wasmtime-wasi's filesystem, which caches nothing: plain syscalls on A),
//! after the volume's own cache timeouts, and that B sees what the guest
//! wrote: guests of `dfs-run` and of an embedder (a store on a shared
//! `Filesystem`).
//!
//! The guests' file locks are the volume's too: they exclude processes on
//! the other host (`volume_locks_across_hosts`).
//!
//! Skipped, with a one-line reason, only where a volume cannot be made:
//! no root, no `/dev/fuse`, no packages to install.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use common::host_changes::{
    Told, Views, around_host_changes_embedded, around_host_changes_in, assert_same_run,
};
use common::locks::{check_lock_ranges, finish, setlk, spawn, wait_for};
use nix::libc;

/// The distributed filesystems the tests make.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A GlusterFS volume (`scripts/volume.sh`).
    Gluster,
    /// CephFS (`scripts/cephfs.sh`).
    Ceph,
}

impl Kind {
    /// The script that makes it (relative to the crate).
    fn script(self) -> &'static str {
        match self {
            Kind::Gluster => "scripts/volume.sh",
            Kind::Ceph => "scripts/cephfs.sh",
        }
    }

    /// What it is called in messages.
    fn name(self) -> &'static str {
        match self {
            Kind::Gluster => "GlusterFS volume",
            Kind::Ceph => "CephFS",
        }
    }
}

/// How long a change made on B takes to show on A: GlusterFS's FUSE
/// client keeps attributes and entries for 1 s by default (ceph-fuse's
/// are invalidated by the metadata server at once; the same wait, for
/// one fixture).
const SETTLE: Duration = Duration::from_millis(1100);

/// Tests that stop part of the volume (a brick, a client) take this for
/// writing, the others for reading: a stopped client would slow a
/// neighbour's timed steps.
static FAULTS: RwLock<()> = RwLock::new(());

/// A test that leaves the volume alone (others like it run beside it).
fn calm() -> RwLockReadGuard<'static, ()> {
    FAULTS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A test that stops part of the volume (nothing runs beside it).
fn faulty() -> RwLockWriteGuard<'static, ()> {
    FAULTS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `kind`'s script with `args`, which must succeed; returns its
/// output.
fn volume_sh(kind: Kind, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(kind.script());
    let out = Command::new("bash")
        .arg(&script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        kind.script(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Host A's FUSE client, stopped (`SIGSTOP`) while this lives: its mount's
/// calls wait, as on a slow network. Sent from this process: while the
/// client is stopped, starting a process would wait too (its `exec` closes
/// the FDs it inherited, and closing a FUSE file asks the client).
/// (`client-pid A` of the volume's script gives the pid, before.)
struct ClientStopped(nix::unistd::Pid);

impl ClientStopped {
    fn new(pid: nix::unistd::Pid) -> Self {
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
        ClientStopped(pid)
    }
}

impl Drop for ClientStopped {
    fn drop(&mut self) {
        nix::sys::signal::kill(self.0, nix::sys::signal::Signal::SIGCONT).unwrap();
    }
}

/// The two mounts (A, B) of a `kind` volume, brought up once per test
/// binary; `None` (with the reason printed) where it cannot be.
fn volume(kind: Kind) -> Option<&'static (PathBuf, PathBuf)> {
    static VOLUMES: [OnceLock<Result<(PathBuf, PathBuf), String>>; 2] =
        [OnceLock::new(), OnceLock::new()];
    let volume = VOLUMES[kind as usize].get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(kind.script());
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
                .map_or_else(|| format!("{} up failed", kind.script()), str::to_owned));
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
                "no {}: {why}",
                kind.name()
            );
            eprintln!("skipped: no {} ({why})", kind.name());
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
fn across_hosts(
    kind: Kind,
    told: Told,
    args: &[&str],
    options: &str,
) -> Option<(Vec<String>, Vec<String>)> {
    let volume = volume(kind)?;
    let _calm = calm();
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
    host_changes(Kind::Gluster);
}

/// [`volume_host_changes`] on CephFS.
#[test]
fn cephfs_host_changes() {
    host_changes(Kind::Ceph);
}

fn host_changes(kind: Kind) {
    let Some((want, want_tree)) = across_hosts(kind, Told::Stdin, &["--wasi-fs", "wasmtime"], "")
    else {
        return;
    };
    assert!(
        want.contains(&"[1] read f: ok \"old++appended\"".to_owned()),
        "{want:#?}"
    );
    assert!(want.contains(&"[8] d is a symlink: ok true".to_owned()));
    for options in ["", ",shared"] {
        let (got, tree) = across_hosts(kind, Told::Stdin, &[], options).unwrap();
        assert_same_run(&format!("{options:?}"), (&want, &want_tree), (&got, &tree));
    }
    let (stale, _) = across_hosts(kind, Told::Stdin, &[], ",exclusive").unwrap();
    assert_ne!(
        stale, want,
        "exclusive mode saw every change: the fixture tests nothing"
    );
}

/// The same changes seen on A by a guest of an embedder: a store on a
/// mount of a `Filesystem` another store has already walked, made through
/// the library, in the default mode and in `shared`.
#[test]
fn volume_host_changes_embedded() {
    host_changes_embedded(Kind::Gluster);
}

/// [`volume_host_changes_embedded`] on CephFS.
#[test]
fn cephfs_host_changes_embedded() {
    host_changes_embedded(Kind::Ceph);
}

fn host_changes_embedded(kind: Kind) {
    let Some((want, want_tree)) = across_hosts(kind, Told::Stdin, &["--wasi-fs", "wasmtime"], "")
    else {
        return;
    };
    for revalidation in [
        directfs::Revalidation::Coherent,
        directfs::Revalidation::Shared,
    ] {
        let _calm = calm();
        let (_dir, views) = fresh_dir(volume(kind).unwrap());
        let (got, tree) = around_host_changes_embedded(revalidation, &views);
        assert_same_run(
            &format!("{revalidation:?}"),
            (&want, &want_tree),
            (&got, &tree),
        );
    }
}

/// The same changes seen through WASI 0.3's `wasi:filesystem`.
#[test]
fn volume_p3_host_changes() {
    p3_host_changes(Kind::Gluster);
}

/// [`volume_p3_host_changes`] on CephFS.
#[test]
fn cephfs_p3_host_changes() {
    p3_host_changes(Kind::Ceph);
}

fn p3_host_changes(kind: Kind) {
    let Some((want, want_tree)) = across_hosts(kind, Told::Marker, &["--wasi-fs", "wasmtime"], "")
    else {
        return;
    };
    let (got, tree) = across_hosts(kind, Told::Marker, &[], "").unwrap();
    assert_same_run("WASI 0.3", (&want, &want_tree), (&got, &tree));
}

/// A brick killed while a guest writes, and started again: the guest's
/// calls succeed or fail (it retries what failed), it never hangs (`-W
/// timeout`), every write it acknowledged (after `sync_all`) is on the
/// volume with its bytes, seen from host B, and the volume heals.
#[test]
fn volume_brick_killed_mid_run() {
    writes_through_a_fault(Kind::Gluster, &["brick-kill", "2"], &["brick-start"]);
}

/// CephFS's one metadata server killed while a guest writes, and started
/// again: every metadata call on both hosts waits meanwhile (no other
/// server takes over); the guest's calls wait or fail, never hang past
/// `-W timeout`, and every write it acknowledged is there, seen from host
/// B, once the server is back.
#[test]
fn cephfs_metadata_server_killed_mid_run() {
    writes_through_a_fault(Kind::Ceph, &["mds-kill"], &["mds-start"]);
}

/// A guest on host A writes and syncs files while `kill` (arguments of
/// the volume's script) stops part of the volume, and `start` starts it
/// again 1.5 s later.
fn writes_through_a_fault(kind: Kind, kill: &[&str], start: &[&str]) {
    let Some(volume) = volume(kind) else {
        return;
    };
    let _faulty = faulty();
    let (_dir, views) = fresh_dir(volume);
    std::fs::create_dir_all(&views.host).unwrap();
    const N: usize = 300;
    let mut guest = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .args(["-W", "timeout=120s", "--dir"])
        .arg(format!("{}::/v", views.guest.display()))
        .arg(common::guest("volume_writer"))
        .arg(N.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    volume_sh(kind, kill);
    assert!(
        guest.try_wait().unwrap().is_none(),
        "the guest was done before the fault: it tests nothing"
    );
    std::thread::sleep(Duration::from_millis(1500));
    volume_sh(kind, start);
    let out = guest.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    eprintln!(
        "{kill:?}, then {start:?}, mid-run on the {}: {}",
        kind.name(),
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
    locks_across_hosts(Kind::Gluster);
}

/// [`volume_locks_across_hosts`] on CephFS.
#[test]
fn cephfs_locks_across_hosts() {
    locks_across_hosts(Kind::Ceph);
}

fn locks_across_hosts(kind: Kind) {
    let Some(volume) = volume(kind) else {
        return;
    };
    let _calm = calm();
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

/// The guest's calls in `volume_slow_ops`, each made while host A's
/// client is stopped, with what each returns.
const SLOW_OPS: [&str; 12] = [
    "stat: Ok(4)",
    "open: Ok(File",
    "read: Ok(\"data\")",
    "create: Ok(File",
    "write: Ok(())",
    "close a written file: ()",
    "close a read file: ()",
    "read-dir: Ok([\"f\", \"g\"])",
    "mkdir: Ok(())",
    "rename: Ok(())",
    "unlink: Ok(())",
    "read back: Ok(\"written\")",
];

/// A slow server on an async host: before each of a guest's calls on
/// host A (`volume_slow_ops`: stat, open, read, create, write, close,
/// read-dir, mkdir, rename, unlink), A's FUSE client is stopped for
/// `STOPPED`, as on a slow network. On a `Blocking::Pool` mount the
/// executor's other tasks keep running through every one (a 1 ms ticker
/// never waits 50 ms; the longest wait is printed); on an `Inline` mount
/// the executor waits out the stops (so the calls were caught by them).
/// Every call succeeds, and host B sees the result.
#[test]
fn volume_slow_client_leaves_the_executor_running_on_the_pool() {
    slow_client(Kind::Gluster);
}

/// [`volume_slow_client_leaves_the_executor_running_on_the_pool`] with
/// host A's ceph-fuse stopped.
#[test]
fn cephfs_slow_client_leaves_the_executor_running_on_the_pool() {
    slow_client(Kind::Ceph);
}

fn slow_client(kind: Kind) {
    let Some(volume) = volume(kind) else {
        return;
    };
    let _faulty = faulty();
    const STOPPED: Duration = Duration::from_millis(300);
    const STALL: Duration = Duration::from_millis(50);
    let client = nix::unistd::Pid::from_raw(
        volume_sh(kind, &["client-pid", "A"])
            .trim()
            .parse()
            .unwrap(),
    );
    let engine = wasmtime::Engine::new(&wasmtime::Config::new()).unwrap();
    let mut linker = wasmtime::component::Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    directfs::wasi::add_to_linker_async(&mut linker).unwrap();
    let component =
        wasmtime::component::Component::from_file(&engine, common::guest("volume_slow_ops"))
            .unwrap();
    let mut stalls = Vec::new();
    for blocking in [directfs::Blocking::Pool, directfs::Blocking::Inline] {
        let (_dir, views) = fresh_dir(volume);
        std::fs::create_dir_all(&views.host).unwrap();
        std::fs::write(views.host.join("f"), b"data").unwrap();
        std::thread::sleep(SETTLE);
        let markers = tempfile::tempdir().unwrap();
        let options = |blocking| directfs::PreopenOptions {
            perms: directfs::Perms::ReadWrite,
            revalidation: directfs::Revalidation::Coherent,
            blocking,
        };
        let directfs = directfs::DirectfsCtx::builder()
            .preopen(&views.guest, "/v", options(blocking))
            .unwrap()
            .preopen(markers.path(), "/m", options(directfs::Blocking::Inline))
            .unwrap()
            .build();
        let stdout = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 16);
        let host = common::Host {
            wasi: wasmtime_wasi::WasiCtx::builder()
                .stdout(stdout.clone())
                .build(),
            directfs,
            table: wasmtime::component::ResourceTable::new(),
        };
        // The host's side: for each call, stop the client, let the guest
        // make it, continue the client after `STOPPED`, wait for its end.
        let faults = std::thread::spawn({
            let markers = markers.path().to_path_buf();
            move || {
                for n in 1..=SLOW_OPS.len() {
                    let stopped = ClientStopped::new(client);
                    std::fs::write(markers.join(format!("go-{n}")), b"").unwrap();
                    std::thread::sleep(STOPPED);
                    drop(stopped);
                    while !markers.join(format!("done-{n}")).exists() {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
        });
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let gaps = rt.block_on(async {
            let mut store = wasmtime::Store::new(&engine, host);
            let command = wasmtime_wasi::p2::bindings::Command::instantiate_async(
                &mut store, &component, &linker,
            )
            .await
            .unwrap();
            let ticker = common::Ticker::start();
            tokio::task::yield_now().await;
            let ran = command.wasi_cli_run().call_run(&mut store).await;
            let gaps = ticker.stop().await;
            assert!(matches!(ran, Ok(Ok(()))), "{blocking:?}: {ran:?}");
            gaps
        });
        faults.join().unwrap();
        let out = String::from_utf8(stdout.contents().to_vec()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), SLOW_OPS.len(), "{out}");
        for (line, want) in lines.iter().zip(SLOW_OPS) {
            assert!(
                line.starts_with(want),
                "{blocking:?}: {line:?}, not {want:?}"
            );
        }
        assert_eq!(
            std::fs::read(views.host.join("d/g")).unwrap(),
            b"written",
            "host B reads the guest's file"
        );
        let longest = gaps.iter().max().copied().unwrap_or_default();
        let stalled: Duration = gaps.iter().filter(|gap| **gap >= STALL).sum();
        eprintln!(
            "{blocking:?} mount, host A's client stopped {STOPPED:?} before each of {} \
             calls: the executor stalled {stalled:?} in all, longest {longest:?}",
            SLOW_OPS.len()
        );
        stalls.push((stalled, longest));
    }
    let [(pool_stalled, pool_longest), (inline_stalled, _)] = stalls[..] else {
        unreachable!()
    };
    assert!(
        pool_stalled.is_zero(),
        "pool: the executor stalled {pool_stalled:?} (longest {pool_longest:?}) while host A's \
         client was stopped"
    );
    // Inline, each stop (some back to back) stalled the executor: so every
    // call was made while the client was stopped.
    let stops = STOPPED * SLOW_OPS.len() as u32;
    assert!(
        inline_stalled >= stops * 9 / 10,
        "inline: the executor stalled {inline_stalled:?} of the {stops:?} stopped"
    );
}
