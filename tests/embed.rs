//! Embedding directfs through the library API, as `examples/embed.rs` does,
//! and the two ways of getting it wrong that must say what is wrong: linking
//! directfs's `wasi:filesystem` before wasmtime-wasi, and giving directfs and
//! wasmtime-wasi different resource tables; a `wasm32-wasip1` core module
//! embedded through `directfs::wasi::p1`, on a sync and on an async host.

mod common;

use std::path::Path;

use common::{Fixture, guest, p1};
use directfs::{DirectfsCtx, DirectfsCtxView, DirectfsView, Perms};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// A store's data with two tables: `wasi_table` is wasmtime-wasi's, and
/// directfs gets it too unless `separate`.
struct Host {
    wasi: WasiCtx,
    directfs: DirectfsCtx,
    wasi_table: ResourceTable,
    directfs_table: ResourceTable,
    separate: bool,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.wasi_table,
        }
    }
}

impl DirectfsView for Host {
    fn directfs(&mut self) -> DirectfsCtxView<'_> {
        DirectfsCtxView {
            ctx: &mut self.directfs,
            table: if self.separate {
                &mut self.directfs_table
            } else {
                &mut self.wasi_table
            },
        }
    }
}

fn engine() -> Engine {
    Engine::new(&Config::new()).unwrap()
}

/// Linked in the documented order: wasmtime-wasi, then directfs.
fn linker(engine: &Engine) -> Linker<Host> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    directfs::add_to_linker(&mut linker).unwrap();
    directfs::wasi::add_to_linker(&mut linker).unwrap();
    linker
}

/// Runs the `std_files` guest on a fresh fixture: the guest's result, and
/// whether it wrote its first file on the host.
fn run_std_files(separate: bool) -> (wasmtime::Result<Result<(), ()>>, bool) {
    let fx = Fixture::new();
    let engine = engine();
    let linker = linker(&engine);
    let host = Host {
        wasi: WasiCtx::builder().build(),
        directfs: DirectfsCtx::builder()
            .preopen(&fx.sandbox, "/sandbox", Perms::ReadWrite)
            .unwrap()
            .build(),
        wasi_table: ResourceTable::new(),
        directfs_table: ResourceTable::new(),
        separate,
    };
    let mut store = Store::new(&engine, host);
    let component = Component::from_file(&engine, guest("std_files")).unwrap();
    let command = Command::instantiate(&mut store, &component, &linker).unwrap();
    let result = command.wasi_cli_run().call_run(&mut store);
    let wrote = fx.path("a.txt").exists();
    fx.assert_outside_untouched();
    (result, wrote)
}

/// directfs's `wasi::add_to_linker` before wasmtime-wasi's is refused with
/// an error that names the order, and leaves the linker usable: linked in
/// the right order afterwards, it works.
#[test]
fn embed_wrong_link_order() {
    let engine = engine();
    let mut linker = Linker::<Host>::new(&engine);
    let err = directfs::wasi::add_to_linker(&mut linker).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("call wasmtime_wasi::p2::add_to_linker_sync (or _async) first"),
        "{msg}"
    );
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    directfs::wasi::add_to_linker(&mut linker).unwrap();
    // The same for async hosts.
    let mut linker = Linker::<Host>::new(&engine);
    let err = directfs::wasi::add_to_linker_async(&mut linker).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("call wasmtime_wasi::p2::add_to_linker_async first"),
        "{msg}"
    );
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    directfs::wasi::add_to_linker_async(&mut linker).unwrap();
}

/// The same table for both: the guest runs and its files land on the host.
#[test]
fn embed_one_table() {
    let (result, wrote) = run_std_files(false);
    assert!(matches!(result, Ok(Ok(()))), "{result:?}");
    assert!(wrote);
}

/// Different tables: the guest's first `wasi:filesystem` call traps with a
/// message naming the cause, before it gets a resource or touches a file.
#[test]
fn embed_separate_tables() {
    let (result, wrote) = run_std_files(true);
    let err = result.expect_err("separate tables must trap");
    let msg = format!("{err:?}");
    assert!(
        msg.contains("return different ResourceTables"),
        "not the table message: {msg}"
    );
    assert!(!wrote, "no file may be written before the trap");
}

#[path = "../examples/embed.rs"]
#[expect(dead_code, reason = "the example's `main`; the test calls its `run`")]
mod embed_example;

#[path = "../examples/server.rs"]
#[expect(dead_code, reason = "the example's `main`; the test calls its `run`")]
mod server_example;

/// `examples/embed.rs` runs the demo guest with a directory preopened as
/// `/data`: the guest's files are on the host.
#[test]
fn embed_example() {
    let fx = Fixture::new();
    let result = embed_example::run(
        guest("demo").to_str().unwrap(),
        fx.sandbox.to_str().unwrap(),
    )
    .unwrap();
    assert_eq!(result, Ok(()));
    assert_eq!(
        std::fs::read_to_string(fx.path("notes/hello.txt")).unwrap(),
        "Hello from a wasm guest!\n"
    );
    fx.assert_outside_untouched();
}

/// `examples/server.rs` serves 2 threads × 5 requests of `shared_worker`
/// on one mount: none fails, each request's directory is on the host, and
/// the filesystem's host FDs stayed within its budget, all released.
#[test]
fn server_example() {
    let fx = Fixture::new();
    std::fs::write(fx.path("common.txt"), b"shared\n").unwrap();
    let served = server_example::run(
        guest("shared_worker").to_str().unwrap(),
        fx.sandbox.to_str().unwrap(),
        2,
        5,
    )
    .unwrap();
    assert_eq!(served.failed, 0);
    for t in 0..2 {
        for r in 0..5 {
            let dir = fx.path(&format!("w{}", t * 1_000_000 + r));
            assert!(dir.join("g0").exists(), "{}", dir.display());
        }
    }
    assert!(served.stats.peak_host_fds <= served.stats.max_host_fds);
    fx.assert_outside_untouched();
}

#[path = "../examples/embed_p3.rs"]
#[expect(dead_code, reason = "the example's `main`; the test calls its `run`")]
mod embed_p3;

/// `examples/embed_p3.rs` runs a WASI 0.3 guest on directfs's
/// `wasi:filesystem@0.3.0`: the files its concurrent calls made and removed
/// are so on the host.
#[test]
fn embed_p3_example() {
    let fx = Fixture::new();
    let result = embed_p3::run(
        guest("p3_concurrent").to_str().unwrap(),
        fx.sandbox.to_str().unwrap(),
    )
    .unwrap();
    assert_eq!(result, Ok(()));
    let shared = std::fs::read(fx.path("shared")).unwrap();
    assert_eq!(shared.len(), 400_000);
    assert_eq!(common::host_names(&fx.sandbox), ["shared"]);
    fx.assert_outside_untouched();
}

/// The store data an embedder gives a core module ([`common::Host`]):
/// `sandbox` preopened read-write as `/sandbox` (and `ro`, if any,
/// read-only as `/ro`), the guest's stdout into `stdout`.
fn p1_host(
    sandbox: &Path,
    ro: Option<&Path>,
    stdout: &wasmtime_wasi::p2::pipe::MemoryOutputPipe,
) -> common::Host {
    let mut directfs = directfs::DirectfsCtx::builder();
    directfs
        .preopen(sandbox, "/sandbox", directfs::Perms::ReadWrite)
        .unwrap();
    if let Some(ro) = ro {
        directfs
            .preopen(ro, "/ro", directfs::Perms::ReadOnly)
            .unwrap();
    }
    common::Host {
        wasi: wasmtime_wasi::WasiCtx::builder()
            .stdout(stdout.clone())
            .build(),
        directfs: directfs.build(),
        table: wasmtime::component::ResourceTable::new(),
    }
}

/// Runs `rust_std_files` through the library API on a sync or an async
/// host: `directfs::wasi::p1::add_to_linker` (or `_async`) on a core-module
/// linker; returns the fixture and what the guest printed.
fn embed(async_host: bool) -> (Fixture, String) {
    let fx = Fixture::new();
    // The fixture `dfs-run`'s runs get.
    std::os::unix::fs::symlink(&fx.outside, fx.path("out")).unwrap();
    std::os::unix::fs::symlink("../outside", fx.path("up")).unwrap();
    let engine = wasmtime::Engine::default();
    let mut linker = wasmtime::Linker::<common::Host>::new(&engine);
    match async_host {
        true => directfs::wasi::p1::add_to_linker_async(&mut linker).unwrap(),
        false => directfs::wasi::p1::add_to_linker(&mut linker).unwrap(),
    }
    let ro = tempfile::tempdir().unwrap();
    std::fs::write(ro.path().join("f"), b"ro\n").unwrap();
    let stdout = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 20);
    let data = p1_host(&fx.sandbox, Some(ro.path()), &stdout);
    let mut store = wasmtime::Store::new(&engine, data);
    let module = wasmtime::Module::from_file(&engine, p1::module("rust_std_files")).unwrap();
    if async_host {
        wasmtime_wasi::runtime::in_tokio(async {
            let instance = linker.instantiate_async(&mut store, &module).await.unwrap();
            let start = instance
                .get_typed_func::<(), ()>(&mut store, "_start")
                .unwrap();
            start.call_async(&mut store, ()).await.unwrap();
        });
    } else {
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .unwrap();
        start.call(&mut store, ()).unwrap();
    }
    drop(store);
    let out = String::from_utf8(stdout.contents().to_vec()).unwrap();
    (fx, out)
}

/// An embedder's core module on a sync and on an async host prints what it
/// prints under `dfs-run`, and leaves its files on the host.
#[test]
fn embed_p1_sync_and_async() {
    let cli = p1::rust_guest("rust_std_files").run.stdout;
    for async_host in [false, true] {
        let (fx, out) = embed(async_host);
        assert_eq!(out, cli, "async host: {async_host}");
        assert_eq!(std::fs::read(fx.path("b.txt")).unwrap(), b"xy");
        fx.assert_outside_untouched();
    }
}

/// A preview 1 guest on an async host waiting on an empty FIFO holds a
/// thread of tokio's blocking pool, not the executor: on a current-thread
/// runtime, a 1 ms ticker task keeps ticking (no gap of 50 ms) while
/// `rust_fifo_std_read` waits 300 ms in `fd_read` for the host's data, and
/// the guest then reads it to the end. (Run inline, the read's wait would
/// stop the executor for the whole 300 ms.)
#[test]
fn p1_fifo_wait_keeps_an_async_executor_free() {
    use std::io::Write;
    let fx = Fixture::new();
    nix::unistd::mkfifo(
        &fx.path("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .unwrap();
    // Read-write, so the guest never sees "no writer" before it is closed.
    let mut host_end = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(fx.path("fifo"))
        .unwrap();
    let engine = wasmtime::Engine::default();
    let mut linker = wasmtime::Linker::<common::Host>::new(&engine);
    directfs::wasi::p1::add_to_linker_async(&mut linker).unwrap();
    let stdout = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 20);
    let data = p1_host(&fx.sandbox, None, &stdout);
    let mut store = wasmtime::Store::new(&engine, data);
    let module = wasmtime::Module::from_file(&engine, p1::module("rust_fifo_std_read")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let gaps = runtime.block_on(async {
        let ticker = common::Ticker::start();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            host_end.write_all(b"late data").unwrap();
        });
        let instance = linker.instantiate_async(&mut store, &module).await.unwrap();
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .unwrap();
        start.call_async(&mut store, ()).await.unwrap();
        writer.join().unwrap();
        ticker.stop().await
    });
    let out = String::from_utf8(stdout.contents().to_vec()).unwrap();
    assert_eq!(out, "read 9 bytes: \"late data\"\n");
    let longest = gaps.iter().max().copied().unwrap_or_default();
    assert!(
        gaps.len() > 100 && longest < std::time::Duration::from_millis(50),
        "{} ticks, longest gap {longest:?}",
        gaps.len()
    );
}
