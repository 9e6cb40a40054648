//! FIFOs through `wasi:filesystem`: their streams wait for readiness (on
//! the tokio reactor of whatever runs the guest's pollables) instead of
//! blocking a thread in `read`, so a guest waiting on an empty FIFO can be
//! stopped: by dropping its future (async embedders), or by `-W timeout`
//! (dfs-run).

mod common;

use std::fs::OpenOptions;
use std::io::Write;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::{Fixture, Host, dfs_run, guest};
use directfs::{DirectfsCtx, FsPerms};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::stat::Mode;
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

/// `dfs-run std_fifo_read`, with the `extra` options first.
fn run(fx: &Fixture, extra: &[&str]) -> common::Run {
    let mut args: Vec<std::ffi::OsString> = extra.iter().map(Into::into).collect();
    args.push("--dir".into());
    args.push(format!("{}::/sandbox", fx.sandbox.display()).into());
    args.push(guest("std_fifo_read").into_os_string());
    dfs_run(args)
}

/// The host writes a first piece, waits until the guest has taken it (the
/// FIFO is empty again), lets the guest wait a while, writes the rest and
/// closes: the guest's blocking reads wait for the data and end at the
/// end of the FIFO.
#[test]
fn fifo_read_waits_for_late_data() {
    let (fx, mut host_end) = fifo_fixture();
    let writer = std::thread::spawn(move || {
        host_end.write_all(b"hello").unwrap();
        // Until the guest has read it: nothing to read on the host's end.
        loop {
            let mut fds = [PollFd::new(host_end.as_fd(), PollFlags::POLLIN)];
            if nix::poll::poll(&mut fds, PollTimeout::from(10u16)).unwrap() == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(300));
        host_end.write_all(b" world").unwrap();
        // Dropping the only writer: the guest reads the end.
    });
    let out = run(&fx, &[]);
    writer.join().unwrap();
    out.assert_success();
    assert!(
        out.stdout.contains(r#"read 11 bytes: "hello world""#),
        "{}",
        out.stdout
    );
}

/// Nothing ever comes: `-W timeout` stops the waiting guest (which the
/// epoch interrupt alone cannot reach inside a host call), with the
/// timeout's error and exit status.
#[test]
fn fifo_read_stopped_by_timeout() {
    let (fx, host_end) = fifo_fixture();
    let start = Instant::now();
    let out = run(&fx, &["-W", "timeout=300ms"]);
    let took = start.elapsed();
    drop(host_end);
    assert_eq!(out.code, Some(134), "{}", out.stderr);
    assert!(out.stderr.contains("-W timeout=300ms"), "{}", out.stderr);
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
    let component = Component::from_file(&engine, guest("std_fifo_read")).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let new_store = |stdout: &MemoryOutputPipe| {
        let mut wasi = WasiCtx::builder();
        wasi.arg("std_fifo_read").stdout(stdout.clone());
        let host = Host {
            wasi: wasi.build(),
            directfs: DirectfsCtx::builder()
                .preopen(&fx.sandbox, "/sandbox", FsPerms::ReadWrite)
                .unwrap()
                .build(),
            table: ResourceTable::new(),
        };
        Store::new(&engine, host)
    };
    rt.block_on(async {
        // 1. Nothing comes: the ticker runs all along; the guest is dropped.
        let ticks = Arc::new(AtomicU32::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let ticker = tokio::spawn({
            let (ticks, done) = (ticks.clone(), done.clone());
            async move {
                let mut interval = tokio::time::interval(Duration::from_millis(5));
                while !done.load(Ordering::Relaxed) {
                    interval.tick().await;
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        let stdout = MemoryOutputPipe::new(4096);
        let mut store = new_store(&stdout);
        let waited = tokio::time::timeout(Duration::from_millis(400), async {
            let command = Command::instantiate_async(&mut store, &component, &linker)
                .await
                .unwrap();
            command.wasi_cli_run().call_run(&mut store).await
        })
        .await;
        done.store(true, Ordering::Relaxed);
        ticker.await.unwrap();
        assert!(waited.is_err(), "the guest was still waiting: {waited:?}");
        let ticks = ticks.load(Ordering::Relaxed);
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
