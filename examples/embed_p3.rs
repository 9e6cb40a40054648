//! A host of its own that runs a WASI 0.3 command component
//! (`wasi:cli/run@0.3.0`) with one directory preopened read-write as
//! `/sandbox`: wasmtime-wasi serves WASI 0.3's cli, clocks and random (and
//! WASI 0.2, which Rust's `std` still imports), directfs serves
//! `wasi:filesystem@0.3.0` from its dentry tree.
//!
//! ```text
//! cargo run --example embed_p3 -- guests/target/wasm32-wasip2/release/p3_concurrent.wasm ./sandbox
//! ```

use directfs::{DirectfsCtx, DirectfsCtxView, DirectfsView, Perms};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::error::Context as _;
use wasmtime::{Config, Engine, Result, Store};
use wasmtime_wasi::p3::bindings::Command;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The store's data.
struct MyHost {
    wasi: WasiCtx,
    directfs: DirectfsCtx,
    table: ResourceTable,
}

impl WasiView for MyHost {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl DirectfsView for MyHost {
    fn directfs(&mut self) -> DirectfsCtxView<'_> {
        DirectfsCtxView {
            ctx: &mut self.directfs,
            table: &mut self.table,
        }
    }
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(component), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: embed_p3 COMPONENT.wasm HOST_DIR");
        std::process::exit(2);
    };
    match run(&component, &dir)? {
        Ok(()) => eprintln!("[embed_p3] guest finished"),
        Err(()) => eprintln!("[embed_p3] guest reported failure"),
    }
    Ok(())
}

/// Runs the WASI 0.3 command `component` with `dir` as `/sandbox`; returns
/// what its `run` returned.
pub fn run(component: &str, dir: &str) -> Result<Result<(), ()>> {
    let mut config = Config::new();
    // WASI 0.3: `stream`, `future` and async functions.
    config.wasm_component_model_async(true);
    let engine = Engine::new(&config)?;
    let mut linker = Linker::<MyHost>::new(&engine);
    // WASI 0.2 (what Rust's std prints and reads the clock through), with
    // directfs's wasi:filesystem 0.2 in place of wasmtime-wasi's.
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    directfs::wasi::add_to_linker_async(&mut linker)?;
    // WASI 0.3: wasmtime-wasi's cli, clocks and random; directfs's
    // filesystem (not `wasmtime_wasi::p3::add_to_linker`, which would add
    // wasmtime-wasi's filesystem too).
    wasmtime_wasi::p3::cli::add_to_linker(&mut linker)?;
    wasmtime_wasi::p3::clocks::add_to_linker(&mut linker)?;
    wasmtime_wasi::p3::random::add_to_linker(&mut linker)?;
    directfs::wasi::p3::add_to_linker(&mut linker)?;

    let host = MyHost {
        wasi: WasiCtx::builder().inherit_stdio().arg(component).build(),
        directfs: DirectfsCtx::builder()
            .preopen(dir, "/sandbox", Perms::ReadWrite)?
            .build(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(&engine, host);
    let component =
        Component::from_file(&engine, component).with_context(|| format!("loading {component}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let command = Command::instantiate_async(&mut store, &component, &linker).await?;
        store
            .run_concurrent(async move |store| command.wasi_cli_run().call_run(store).await)
            .await?
    })
}
