//! Embedding directfs through the library API, as `examples/embed.rs` does,
//! and the two ways of getting it wrong that must say what is wrong: linking
//! directfs's `wasi:filesystem` before wasmtime-wasi, and giving directfs and
//! wasmtime-wasi different resource tables.

mod common;

use common::{Fixture, guest};
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
