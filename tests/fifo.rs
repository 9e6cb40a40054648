//! FIFOs through `wasi:filesystem`: their streams wait for readiness (on
//! the tokio reactor of whatever runs the guest's pollables) instead of
//! blocking a thread in `read`, so a guest waiting on an empty FIFO can be
//! stopped: by dropping its future (async embedders), or by `-W timeout`
//! (dfs-run). Character devices take the same path (a node of the kernel
//! log's device makes its reader wait); a socket's file cannot be opened.
//!
//! FIFOs through `directfs:fs` handles opened without `nonblock`: a read
//! waits for data in `poll`, never in the kernel's `read`, so the embedder's
//! `Interrupter` ends it at once (dfs-run's `-W timeout` uses it), and on an
//! async host it waits on the blocking pool, which a cancelled guest frees.

mod common;

use std::fs::OpenOptions;
use std::io::Write;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::{Fixture, Host, comma, dfs_run, each_host, guest};
use directfs::{Blocking, DirectfsCtx, MountOptions, Perms, Revalidation};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::stat::{Mode, SFlag};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::p2::bindings::Command;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// A fixture with the FIFO `fifo`, and the host's end of it: opened
/// read-write, so that it never blocks and the guest never sees "no
/// writer" (end of file) before the host closes it.
fn fifo_fixture() -> (Fixture, std::fs::File) {
    let fx = Fixture::new();
    nix::unistd::mkfifo(&fx.path("fifo"), Mode::from_bits_truncate(0o644)).unwrap();
    let host_end = OpenOptions::new()
        .read(true)
        .write(true)
        .open(fx.path("fifo"))
        .unwrap();
    (fx, host_end)
}

/// A task ticking every 5 ms on the current runtime: how many times it
/// ran shows whether the executor was free.
struct Ticker {
    ticks: Arc<AtomicU32>,
    done: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Ticker {
    fn start() -> Self {
        let ticks = Arc::new(AtomicU32::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (ticks, done) = (ticks.clone(), done.clone());
            async move {
                let mut interval = tokio::time::interval(Duration::from_millis(5));
                while !done.load(Ordering::Relaxed) {
                    interval.tick().await;
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        Self { ticks, done, task }
    }

    /// Stops the task; how many times it ticked.
    async fn stop(self) -> u32 {
        self.done.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        self.ticks.load(Ordering::Relaxed)
    }
}

/// `out` is a run `-W timeout=300ms` stopped (exit 134, its message) by
/// ending the wait itself, not by dfs-run's last resort, which ends the
/// process 1 s later with another message.
#[track_caller]
fn assert_stopped_by_timeout(out: &common::Run) {
    assert_eq!(out.code, Some(134), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the guest ran longer than -W timeout=300ms and was stopped\n"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("waiting in a host call"),
        "the wait was not ended; the watchdog stopped the process: {}",
        out.stderr
    );
}

/// `dfs-run fifo_std_read`, with the `extra` options first.
fn run(fx: &Fixture, extra: &[&str]) -> common::Run {
    let mut args: Vec<std::ffi::OsString> = extra.iter().map(Into::into).collect();
    args.push("--dir".into());
    args.push(format!("{}::/sandbox", fx.sandbox.display()).into());
    args.push(guest("fifo_std_read").into_os_string());
    dfs_run(args)
}

/// The host writes a first piece, waits until the guest has taken it (the
/// FIFO is empty again), lets the guest wait a while, writes the rest and
/// closes: the guest's blocking reads wait for the data and end at the
/// end of the FIFO.
#[test]
fn fifo_read_waits_for_late_data() {
    let (fx, host_end) = fifo_fixture();
    // Dropping the only writer at the end: the guest reads the end.
    let writer = std::thread::spawn(move || write_late(host_end, b"hello", b" world"));
    let out = run(&fx, &[]);
    writer.join().unwrap();
    out.assert_success();
    assert!(
        out.stdout.contains(r#"read 11 bytes: "hello world""#),
        "{}",
        out.stdout
    );
}

/// A character device opens (non-blocking at the host) and reads to its
/// end as with wasmtime-wasi: `/dev/null`'s device, made in the sandbox as
/// `fifo` with `mknod` (root only), read by `fifo_std_read`. (A device that makes a
/// reader wait cannot be made in a sandbox: a pty's slave opens only
/// inside devpts, `EIO` elsewhere; readiness waits are the FIFOs'.)
#[test]
fn char_device_reads_to_its_end_as_with_wasmtime_wasi() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: making a character device node needs root");
        return;
    }
    let fx = Fixture::new();
    let null = nix::sys::stat::stat("/dev/null").unwrap().st_rdev;
    let mode = Mode::from_bits_truncate(0o666);
    nix::sys::stat::mknod(&fx.path("fifo"), SFlag::S_IFCHR, mode, null).unwrap();
    for extra in [&[][..], &["--wasi-fs", "wasmtime"][..]] {
        let out = run(&fx, extra);
        out.assert_success();
        assert_eq!(out.stdout, "read 0 bytes: \"\"\n", "{extra:?}");
    }
    fx.assert_outside_untouched();
}

/// A fresh sandbox holding `kmsg`, a node of the kernel log's character
/// device (`/dev/kmsg`), which gives the records logged so far and then
/// makes a reader wait for the next; `None` where this machine cannot make
/// or read it (the reason printed): not root, or the log is closed to
/// this process (`dmesg_restrict` without `CAP_SYSLOG`).
fn kmsg_fixture() -> Option<Fixture> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: making a character device node needs root");
        return None;
    }
    if let Err(err) = std::fs::File::open("/dev/kmsg") {
        eprintln!("skipped: the kernel log cannot be read here: {err}");
        return None;
    }
    let fx = Fixture::new();
    let kmsg = nix::sys::stat::stat("/dev/kmsg").unwrap().st_rdev;
    let mode = Mode::from_bits_truncate(0o600);
    nix::sys::stat::mknod(&fx.path("kmsg"), SFlag::S_IFCHR, mode, kmsg).unwrap();
    Some(fx)
}

/// Adds a record holding `text` to the kernel log, and returns `text`.
fn log_to_kmsg(text: String) -> String {
    std::fs::write("/dev/kmsg", format!("{text}\n")).expect("write /dev/kmsg");
    text
}

/// A text no earlier run logged.
fn unique(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("directfs-test-{what}-{}-{nanos}", std::process::id())
}

/// A character device that makes its reader wait: `fifo_char_wait` reads
/// the kernel log's device to a sentinel the test logged first, says so,
/// and the test logs the marker only 300 ms later, so the guest's blocking
/// read of the device waits for it (at the host the device is open
/// `O_NONBLOCK`: the wait is directfs's, in `poll` or on the reactor). A
/// read that failed with `would-block`, or returned the end, would end the
/// guest with another line. As with wasmtime-wasi.
#[test]
fn char_device_read_waits_for_the_device() {
    use std::io::{BufRead, BufReader, Read};
    let Some(fx) = kmsg_fixture() else { return };
    for extra in [&[][..], &["--wasi-fs", "wasmtime"][..]] {
        let sentinel = log_to_kmsg(unique("sentinel"));
        let marker = unique("marker");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dfs-run"))
            .args(extra)
            // Bounds the test should the wait never end.
            .args(["-W", "timeout=60s", "--dir"])
            .arg(format!("{}::/sandbox", fx.sandbox.display()))
            .arg(guest("fifo_char_wait"))
            .args([&sentinel, &marker])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn dfs-run");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        assert_eq!(first, "reached the sentinel\n", "{extra:?}");
        std::thread::sleep(Duration::from_millis(300));
        log_to_kmsg(marker);
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{extra:?}: {rest}{stderr}");
        assert_eq!(rest, "read the marker\n", "{extra:?}: {stderr}");
    }
    fx.assert_outside_untouched();
}

/// The same wait, for a marker that never comes: `-W timeout` ends it as
/// it ends a FIFO's (the wait itself is ended, not left to dfs-run's last
/// resort).
#[test]
fn char_device_wait_stopped_by_timeout() {
    let Some(fx) = kmsg_fixture() else { return };
    let sentinel = log_to_kmsg(unique("sentinel"));
    let out = dfs_run([
        "-W".into(),
        "timeout=300ms".into(),
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()).into(),
        guest("fifo_char_wait").into_os_string(),
        sentinel.into(),
        unique("never").into(),
    ]);
    assert_stopped_by_timeout(&out);
    assert_eq!(out.stdout, "reached the sentinel\n");
}

/// A Unix socket's file gives no stream: `fifo_socket` lists and stats
/// the socket the test bound in the sandbox, fails to open it for reading,
/// writing or both with `no-device` (Linux's `ENXIO` for `open(2)` of a
/// socket) and as a directory with `not-directory`, and removes it. The
/// socket's own FD never reaches a guest, so no socket stream exists to
/// wait on. wasmtime-wasi answers the same steps with its documented
/// differences: the type `unknown`, each failed open `io`.
#[test]
fn socket_file_opens_to_no_stream() {
    let directfs = "\
listed: sock DescriptorType::Socket
stat-at: ok DescriptorType::Socket
open to read: err no-device
open to write: err no-device
open to read and write: err no-device
open as a directory: err not-directory
unlink-file-at: ok ()
stat-at after: err no-entry
";
    let wasmtime = directfs
        .replace("DescriptorType::Socket", "DescriptorType::Unknown")
        .replace("err no-device", "err io")
        .replace("err not-directory", "err io");
    for (extra, want) in [
        (&[][..], directfs),
        (&["--wasi-fs", "wasmtime"][..], &wasmtime),
    ] {
        let fx = Fixture::new();
        drop(std::os::unix::net::UnixListener::bind(fx.path("sock")).unwrap());
        let mut args: Vec<std::ffi::OsString> = extra.iter().map(Into::into).collect();
        args.push("--dir".into());
        args.push(format!("{}::/sandbox", fx.sandbox.display()).into());
        args.push(guest("fifo_socket").into_os_string());
        let out = dfs_run(args);
        out.assert_success();
        assert_eq!(out.stdout, want, "{extra:?}");
        assert!(!fx.path("sock").exists(), "{extra:?}: removed at the host");
        fx.assert_outside_untouched();
    }
}

/// Nothing ever comes: `-W timeout` stops the waiting guest (which the
/// epoch interrupt alone cannot reach inside a host call), with the
/// timeout's error and exit status: the wait itself is ended (the guest
/// traps as it goes on), not left to dfs-run's last resort, which ends the
/// process 1 s later with another message.
#[test]
fn fifo_read_stopped_by_timeout() {
    let (fx, host_end) = fifo_fixture();
    let start = Instant::now();
    let out = run(&fx, &["-W", "timeout=300ms"]);
    let took = start.elapsed();
    drop(host_end);
    assert_stopped_by_timeout(&out);
    assert!(took < Duration::from_secs(30), "stopped, after {took:?}");
}

/// An async embedder on a current-thread runtime: while the guest waits on
/// the empty FIFO the executor runs its other tasks (the wait is on the
/// reactor, no thread is blocked), dropping the guest's future stops it,
/// and the next guest on the same engine reads what the host writes.
#[test]
fn fifo_wait_keeps_an_async_executor_free_and_can_be_cancelled() {
    let (fx, mut host_end) = fifo_fixture();
    let engine = Engine::new(&Config::new()).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    directfs::wasi::add_to_linker(&mut linker).unwrap();
    let component = Component::from_file(&engine, guest("fifo_std_read")).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let new_store = |stdout: &MemoryOutputPipe| {
        let mut wasi = WasiCtx::builder();
        wasi.arg("fifo_std_read").stdout(stdout.clone());
        let host = Host {
            wasi: wasi.build(),
            directfs: DirectfsCtx::builder()
                .preopen(&fx.sandbox, "/sandbox", Perms::ReadWrite)
                .unwrap()
                .build(),
            table: ResourceTable::new(),
        };
        Store::new(&engine, host)
    };
    rt.block_on(async {
        // 1. Nothing comes: the ticker runs all along; the guest is dropped.
        let ticker = Ticker::start();
        let stdout = MemoryOutputPipe::new(4096);
        let mut store = new_store(&stdout);
        let waited = tokio::time::timeout(Duration::from_millis(400), async {
            let command = Command::instantiate_async(&mut store, &component, &linker)
                .await
                .unwrap();
            command.wasi_cli_run().call_run(&mut store).await
        })
        .await;
        let ticks = ticker.stop().await;
        assert!(waited.is_err(), "the guest was still waiting: {waited:?}");
        eprintln!("the 5 ms task ticked {ticks} times while the guest waited 400 ms");
        assert!(ticks >= 20, "the executor ran other tasks: {ticks} ticks");
        drop(store);

        // 2. The host writes, and closes its end a little later (the data
        // lives while the FIFO is open somewhere): a new guest reads it.
        host_end.write_all(b"late").unwrap();
        let closer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(host_end);
        });
        let stdout = MemoryOutputPipe::new(4096);
        let mut store = new_store(&stdout);
        let command = Command::instantiate_async(&mut store, &component, &linker)
            .await
            .unwrap();
        let ran = command.wasi_cli_run().call_run(&mut store).await;
        assert!(matches!(ran, Ok(Ok(()))), "{ran:?}");
        let out = String::from_utf8(stdout.contents().to_vec()).unwrap();
        assert!(out.contains(r#"read 4 bytes: "late""#), "{out}");
        closer.join().unwrap();
    });
}

/// `dfs-run fifo_dfs_read` on `host` (see `each_host`), with the `extra`
/// options first.
fn run_fs(fx: &Fixture, host: &str, extra: &[&str]) -> common::Run {
    let mut args: Vec<std::ffi::OsString> = extra.iter().map(Into::into).collect();
    args.push("--dir".into());
    args.push(format!("{}::/sandbox{}", fx.sandbox.display(), comma(host)).into());
    args.push(guest("fifo_dfs_read").into_os_string());
    dfs_run(args)
}

/// Writes `first`, waits until the reader took it, lets the reader wait a
/// while, writes `rest` and closes the host's end.
fn write_late(mut host_end: std::fs::File, first: &[u8], rest: &[u8]) {
    host_end.write_all(first).unwrap();
    // Until the reader has taken it: nothing to read on the host's end.
    loop {
        let mut fds = [PollFd::new(host_end.as_fd(), PollFlags::POLLIN)];
        if nix::poll::poll(&mut fds, PollTimeout::from(10u16)).unwrap() == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    host_end.write_all(rest).unwrap();
}

/// A `directfs:fs` read of a FIFO opened without `nonblock` waits for data
/// that comes late, and ends at the FIFO's end: inline, and on the pool.
#[test]
fn fifo_dfs_read_waits_for_late_data() {
    each_host(|host| {
        let (fx, host_end) = fifo_fixture();
        let writer = std::thread::spawn(move || write_late(host_end, b"hello", b" world"));
        let out = run_fs(&fx, host, &[]);
        writer.join().unwrap();
        out.assert_success();
        assert_eq!(out.stdout, "read 11 bytes: \"hello world\"\n");
    });
}

/// Nothing comes: `-W timeout` interrupts the waiting read (the guest sees
/// `interrupted`) and the guest traps as it goes on, at once, not after the
/// grace period in which dfs-run gives up on a host call.
#[test]
fn fifo_dfs_read_is_interrupted_by_timeout() {
    each_host(|host| {
        let (fx, host_end) = fifo_fixture();
        let start = Instant::now();
        let out = run_fs(&fx, host, &["-W", "timeout=300ms"]);
        let took = start.elapsed();
        drop(host_end);
        assert_eq!(out.code, Some(134), "{}", out.stderr);
        assert!(
            out.stderr.contains("ran longer than -W timeout=300ms"),
            "{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("waiting in a host call"),
            "interrupted, not given up on: {}",
            out.stderr
        );
        assert!(took < Duration::from_secs(30), "stopped, after {took:?}");
    });
}

/// An embedder (sync host) interrupts a guest blocked reading an empty
/// FIFO from another thread: the read fails with `interrupted` at once,
/// the guest goes on (here: prints it and fails).
#[test]
fn an_embedder_interrupts_a_directfs_fifo_read() {
    let (fx, host_end) = fifo_fixture();
    let engine = Engine::new(&Config::new()).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    directfs::add_to_linker(&mut linker).unwrap();
    let component = Component::from_file(&engine, guest("fifo_dfs_read")).unwrap();
    let stdout = MemoryOutputPipe::new(4096);
    let mut wasi = WasiCtx::builder();
    wasi.arg("fifo_dfs_read").stdout(stdout.clone());
    let directfs = DirectfsCtx::builder()
        .preopen(&fx.sandbox, "/sandbox", Perms::ReadWrite)
        .unwrap()
        .build();
    let interrupter = directfs.interrupter();
    let mut store = Store::new(
        &engine,
        Host {
            wasi: wasi.build(),
            directfs,
            table: ResourceTable::new(),
        },
    );
    let command =
        wasmtime_wasi::p2::bindings::sync::Command::instantiate(&mut store, &component, &linker)
            .unwrap();
    // Taken before the interrupter starts its 300 ms: the run cannot end
    // sooner after it.
    let start = Instant::now();
    let later = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        interrupter.interrupt();
        Instant::now()
    });
    let ran = command.wasi_cli_run().call_run(&mut store);
    let ended = Instant::now();
    let took = ended - start;
    let fired = later.join().unwrap();
    drop(host_end);
    let exit = ran.expect_err("the guest fails");
    let code = exit.downcast_ref::<wasmtime_wasi::I32Exit>().map(|e| e.0);
    assert_eq!(code, Some(1), "{exit:?}");
    let out = String::from_utf8(stdout.contents().to_vec()).unwrap();
    assert_eq!(out, "error interrupted after \"\"\n");
    // It waited for the interrupt, and ended at once when it came.
    assert!(took >= Duration::from_millis(300), "it waited: {took:?}");
    let after = ended.saturating_duration_since(fired);
    assert!(
        after < Duration::from_millis(500),
        "ended {after:?} after the interrupt"
    );
    assert!(store.data().directfs.interrupter().is_interrupted());
}

/// An async host, on an inline mount: a `directfs:fs` FIFO read that waits
/// does so on the blocking pool (the executor's other tasks run), and when
/// the guest's future is dropped the wait is interrupted, so the pool's
/// thread ends and the context it took along is dropped, releasing what
/// the guest held.
#[test]
fn a_cancelled_async_guest_waiting_on_a_fifo_frees_its_pool_thread() {
    let (fx, host_end) = fifo_fixture();
    let engine = Engine::new(&Config::new()).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    directfs::add_to_linker_async(&mut linker).unwrap();
    let component = Component::from_file(&engine, guest("fifo_dfs_read")).unwrap();
    let fs = directfs::Filesystem::new();
    let options = MountOptions {
        revalidation: Revalidation::Exclusive,
        blocking: Blocking::Inline,
    };
    let mount = fs.mount_with(&fx.sandbox, options).unwrap();
    let held = |s: directfs::Stats| s.dentries - s.unreferenced;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let released = rt.block_on(async {
        let ticker = Ticker::start();
        let mut wasi = WasiCtx::builder();
        wasi.arg("fifo_dfs_read");
        let host = Host {
            wasi: wasi.build(),
            directfs: DirectfsCtx::builder()
                .mount(&mount, "/sandbox", Perms::ReadWrite)
                .unwrap()
                .build(),
            table: ResourceTable::new(),
        };
        let mut store = Store::new(&engine, host);
        let command = Command::instantiate_async(&mut store, &component, &linker)
            .await
            .unwrap();
        let run = command.wasi_cli_run().call_run(&mut store);
        let ran = tokio::time::timeout(Duration::from_millis(400), run).await;
        let ticks = ticker.stop().await;
        assert!(ran.is_err(), "the guest was still waiting: {ran:?}");
        assert!(ticks >= 20, "the executor ran other tasks: {ticks} ticks");
        drop(store);
        // The guest held its preopen, the FIFO's dentry and its handle.
        let deadline = Instant::now() + Duration::from_secs(10);
        while held(fs.stats()) != 1 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        held(fs.stats()) == 1
    });
    // Without the interrupt the pool's thread would still wait: do not
    // wait for it here.
    rt.shutdown_timeout(Duration::from_secs(1));
    drop(host_end);
    assert!(released, "after the store is gone: {:?}", fs.stats());
}
