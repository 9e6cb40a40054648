//! Prints `wasi:cli/environment`'s `get-initial-cwd`, which `dfs-run -S
//! cwd=PATH` sets as `wasmtime run -S cwd=PATH` does.

mod bindings {
    wit_bindgen::generate!({ path: "../wit/wasi-p3", world: "cli-guest", generate_all });
}

use bindings::exports::wasi::cli::run::Guest;

struct Run;

impl Guest for Run {
    async fn run() -> Result<(), ()> {
        let cwd = bindings::wasi::cli::environment::get_initial_cwd();
        println!("initial-cwd={cwd:?}");
        Ok(())
    }
}

bindings::export!(Run with_types_in bindings);

fn main() {
    unreachable!("the host calls wasi:cli/run@0.3.0's run")
}
