//! A core module's entry point, as `wasmtime run` finds it: `_start` (a
//! command), or with `--invoke NAME` that export of a reactor, after its
//! `_initialize`; an invoked function's results are printed one per line.

use anyhow::{Context as _, bail};
use wasmtime::{AsContextMut, Func, Instance, Val};

/// What to call: `_initialize` first, if the module exports one and an
/// export was invoked; then `func`.
pub(crate) struct Entry {
    init: Option<Func>,
    func: Func,
    /// `--invoke`: print the results.
    invoked: bool,
}

impl Entry {
    /// The entry of `instance`: `invoke`'s export, or `_start`.
    pub(crate) fn find(
        mut store: impl AsContextMut,
        instance: &Instance,
        invoke: Option<&str>,
    ) -> anyhow::Result<Self> {
        let name = invoke.unwrap_or("_start");
        let func = instance
            .get_func(&mut store, name)
            .with_context(|| format!("failed to find function export `{name}`"))?;
        let ty = func.ty(&store);
        if ty.params().len() != 0 {
            bail!(
                "`{name}` takes {} arguments: dfs-run's --invoke passes none",
                ty.params().len()
            );
        }
        if invoke.is_none() && ty.results().len() != 0 {
            bail!("`_start` returns values: not a command");
        }
        let init = match invoke {
            Some(_) => instance.get_func(&mut store, "_initialize"),
            None => None,
        };
        Ok(Self {
            init,
            func,
            invoked: invoke.is_some(),
        })
    }

    /// Calls it on a sync host.
    pub(crate) fn call(&self, mut store: impl AsContextMut) -> wasmtime::Result<()> {
        if let Some(init) = self.init {
            init.call(&mut store, &[], &mut [])?;
        }
        let mut results = self.results(&store);
        self.func.call(&mut store, &[], &mut results)?;
        self.print(&results);
        Ok(())
    }

    /// Calls it on an async host.
    pub(crate) async fn call_async<T: Send>(
        &self,
        mut store: impl AsContextMut<Data = T>,
    ) -> wasmtime::Result<()> {
        if let Some(init) = self.init {
            init.call_async(&mut store, &[], &mut []).await?;
        }
        let mut results = self.results(&store);
        self.func.call_async(&mut store, &[], &mut results).await?;
        self.print(&results);
        Ok(())
    }

    /// Room for the function's results.
    fn results(&self, store: impl wasmtime::AsContext) -> Vec<Val> {
        let ty = self.func.ty(&store);
        ty.results().map(|_| Val::I32(0)).collect()
    }

    /// Prints an invoked function's results, one per line, as `wasmtime run
    /// --invoke`.
    fn print(&self, results: &[Val]) {
        if !self.invoked {
            return;
        }
        for result in results {
            match result {
                Val::I32(v) => println!("{v}"),
                Val::I64(v) => println!("{v}"),
                Val::F32(bits) => println!("{}", f32::from_bits(*bits)),
                Val::F64(bits) => println!("{}", f64::from_bits(*bits)),
                Val::V128(v) => println!("{}", v.as_u128()),
                Val::FuncRef(_)
                | Val::ExternRef(_)
                | Val::AnyRef(_)
                | Val::ExnRef(_)
                | Val::ContRef(_) => println!("<ref>"),
            }
        }
    }
}
