//! A host of its own that embeds directfs beside wasmtime-wasi: it runs a
//! wasm32-wasip2 command component with one directory preopened read-write
//! as `/data`, with smaller I/O limits than the defaults, and reports how
//! the guest ended. Guests may use `directfs:fs` or plain `std::fs`: both
//! are served from the same dentry tree.
//!
//! ```text
//! cargo run --example embed -- guests/target/wasm32-wasip2/release/demo.wasm ./sandbox
//! ```

use directfs::{DirectfsCtx, DirectfsCtxView, DirectfsView, Perms};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::error::Context as _;
use wasmtime::{Config, Engine, Result, Store};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The store's data: wasmtime-wasi's context and directfs's share one
/// resource table.
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
        eprintln!("usage: embed COMPONENT.wasm HOST_DIR");
        std::process::exit(2);
    };
    match run(&component, &dir)? {
        Ok(()) => eprintln!("[embed] guest finished"),
        Err(()) => eprintln!("[embed] guest reported failure"),
    }
    Ok(())
}

/// Runs the command component at `component` with `dir` preopened as
/// `/data`: how the guest ended (its `wasi:cli/run` result), or why it
/// could not run.
pub fn run(component: &str, dir: &str) -> Result<Result<(), ()>> {
    let engine = Engine::new(&Config::new())?;
    let mut linker = Linker::<MyHost>::new(&engine);
    // wasmtime-wasi for cli, clocks, random and stdio; directfs for files.
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    // directfs:fs, and wasi:filesystem (std::fs) from the same tree.
    directfs::add_to_linker(&mut linker)?;
    directfs::wasi::add_to_linker(&mut linker)?;

    let host = MyHost {
        wasi: WasiCtx::builder().inherit_stdio().arg(component).build(),
        directfs: DirectfsCtx::builder()
            .preopen(dir, "/data", Perms::ReadWrite)?
            .max_io_bytes(1 << 20)
            .max_dir_entries(256)
            .build(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(&engine, host);
    let component =
        Component::from_file(&engine, component).with_context(|| format!("loading {component}"))?;
    let command = Command::instantiate(&mut store, &component, &linker)?;
    command.wasi_cli_run().call_run(&mut store)
}
