//! `dfs-run`: runs a WASI program with host directories preopened through
//! directfs, the way `wasmtime run` runs it: a WASI 0.2 command component
//! (`wasi:cli/run`), a WASI 0.3 one (`wasi:cli/run@0.3.0`, run on an async
//! host, its `wasi:filesystem@0.3.0` from the dentry tree too), or a
//! `wasm32-wasip1` core module, whose `wasi_snapshot_preview1` is served
//! natively ([`directfs::wasi::p1`]: the filesystem from the dentry tree,
//! the rest from wasmtime-wasi), as `wasmtime run` serves it.
//!
//! wasmtime-wasi serves the guest's cli, clocks, random, stdio and `wasi:io`;
//! directfs serves every `--dir` through both `directfs:fs` and the standard
//! `wasi:filesystem` (what `std::fs` uses). `--wasi-fs wasmtime` leaves
//! `wasi:filesystem` (and a core module's whole preview 1) to wasmtime-wasi
//! instead (the same directories, for comparison).
//!
//! Compiled code is cached on disk by wasmtime's own cache (as the wasmtime
//! CLI does; `-C cache=n` turns it off).
//!
//! Exit status: the guest's (`wasi:cli/exit`'s `exit-with-code` and wasip1's
//! `proc_exit(N)` give N; a plain failure gives 1); 134 when the guest traps
//! or is stopped by a `-W` limit (a one-line error on stderr), as the
//! wasmtime CLI; 2 when dfs-run cannot start the guest (a one-line error).

mod args;
mod entry;
mod load;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser;

use crate::args::{Cli, WasiFs};
use crate::load::{Program, cache, compile, compile_module, is_wasip3, program};
use directfs::{DirectfsCtx, DirectfsCtxView, DirectfsView, Perms};
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, Trap};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::bindings::{Command as AsyncCommand, sync::Command};
use wasmtime_wasi::p3::bindings::Command as P3Command;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// The exit status of a guest trap, as the wasmtime CLI (128 + SIGABRT).
const EXIT_TRAP: u8 = 134;
/// The exit status when dfs-run cannot start the guest.
const EXIT_SETUP: u8 = 2;

/// How long after `-W timeout` a guest waiting in a host call (where the
/// epoch interrupt cannot reach it) gets before the process ends anyway.
const TIMEOUT_GRACE: Duration = Duration::from_secs(1);

struct Host {
    wasi: WasiCtx,
    directfs: DirectfsCtx,
    table: ResourceTable,
    /// wasmtime-wasi's own preview 1 (with its own WASI context and table),
    /// for a core module run with `--wasi-fs wasmtime`.
    wasmtime_p1: Option<WasiP1Ctx>,
    /// `-W max-memory-size`.
    limits: StoreLimits,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl DirectfsView for Host {
    fn directfs(&mut self) -> DirectfsCtxView<'_> {
        DirectfsCtxView {
            ctx: &mut self.directfs,
            table: &mut self.table,
        }
    }
}

/// The guest, ready to run.
struct Prepared {
    store: Store<Host>,
    command: Guest,
    engine: Engine,
    /// The compilation cache, if on (for `--stats`).
    cache: Option<wasmtime::Cache>,
}

/// The guest's `wasi:cli/run`, instantiated for a sync or an async host.
enum Guest {
    /// The usual: every host call on this thread.
    Sync(Command),
    /// A `pool` dir: run on wasmtime-wasi's tokio runtime.
    Async(AsyncCommand),
    /// A WASI 0.3 command (`wasi:cli/run@0.3.0`): run on wasmtime-wasi's
    /// tokio runtime, concurrently with the host calls it has in flight.
    P3(P3Command),
    /// A `wasm32-wasip1` core module's `_start` (or `--invoke`'s export).
    Core(entry::Entry),
    /// A core module's entry on an async host (a `pool` dir).
    CoreAsync(entry::Entry),
}

/// The guest's linker and compiled code: a component's or a core module's.
enum Linked {
    Component {
        linker: Linker<Host>,
        component: wasmtime::component::Component,
        wasip3: bool,
        on_async_host: bool,
    },
    Module {
        linker: wasmtime::Linker<Host>,
        module: wasmtime::Module,
        on_async_host: bool,
    },
}

/// Everything before the guest runs; every error names what is wrong.
fn prepare(cli: &Cli) -> anyhow::Result<Prepared> {
    // wasmtime-wasi builds its tokio runtime (an epoll FD, an eventfd, worker
    // threads) on first use, and panics if that fails: built now, while FDs
    // are there, a guest that later exhausts the process's FDs gets error
    // codes instead of taking the host down.
    wasmtime_wasi::runtime::in_tokio(async {});
    let mut directfs = DirectfsCtx::builder();
    directfs
        .max_cached_dentries(cli.max_cached_dentries)
        .max_open(cli.max_open)
        .max_locks(cli.max_locks);
    for dir in &cli.dirs {
        check_dir(&dir.host)?;
        directfs
            .preopen(&dir.host, &dir.guest, dir.options)
            .map_err(anyhow::Error::from)?;
    }

    let path = cli.component();
    let bytes =
        std::fs::read(path).with_context(|| format!("component file {}", path.display()))?;
    let cache = cache(cli)?;
    let (engine, linked) = match program(path, bytes)? {
        Program::Component(bytes) => component_linker(cli, cache.as_ref(), path, &bytes)?,
        Program::Module(bytes) => {
            let (engine, module) = compile_module(cli, cache.as_ref(), path, &bytes)?;
            let mut linker = wasmtime::Linker::<Host>::new(&engine);
            let on_async_host = on_async_host(cli);
            match (cli.wasi_fs, on_async_host) {
                (WasiFs::Directfs, false) => directfs::wasi::p1::add_to_linker(&mut linker),
                (WasiFs::Directfs, true) => directfs::wasi::p1::add_to_linker_async(&mut linker),
                (WasiFs::Wasmtime, false) => {
                    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, wasmtime_p1)
                }
                (WasiFs::Wasmtime, true) => {
                    wasmtime_wasi::p1::add_to_linker_async(&mut linker, wasmtime_p1)
                }
            }
            .map_err(anyhow::Error::from)?;
            if cli.unknown_imports_trap() {
                linker
                    .define_unknown_imports_as_traps(&module)
                    .map_err(anyhow::Error::from)?;
            }
            let linked = Linked::Module {
                linker,
                module,
                on_async_host,
            };
            (engine, linked)
        }
    };

    let mut wasi = WasiCtx::builder();
    // As the wasmtime CLI: this host is synchronous, so wasmtime-wasi may
    // block this thread instead of bouncing through a thread pool.
    wasi.allow_blocking_current_thread(true)
        .inherit_stdio()
        .arg(cli.argv0())
        .args(&cli.guest_args().collect::<Vec<_>>());
    let options = cli.wasi_options();
    if options.inherit_env {
        // The host's variables that `--env` does not set (which wins);
        // those whose name or value is not UTF-8 cannot be a WASI string.
        for (name, value) in std::env::vars_os() {
            if let (Some(name), Some(value)) = (name.to_str(), value.to_str())
                && !cli.envs.iter().any(|env| env.name == name)
            {
                wasi.env(name, value);
            }
        }
    }
    if options.inherit_network {
        wasi.inherit_network();
    }
    if let Some(cwd) = &options.cwd {
        wasi.initial_cwd(cwd);
    }
    wasi.allow_ip_name_lookup(options.ip_name_lookup)
        .allow_tcp(options.tcp)
        .allow_udp(options.udp);
    if cli.wasi_fs == WasiFs::Wasmtime {
        for dir in &cli.dirs {
            let perms = match dir.options.perms {
                Perms::ReadOnly => wasmtime_wasi::FsPerms::ReadOnly,
                Perms::ReadWrite => wasmtime_wasi::FsPerms::ReadWrite,
            };
            wasi.preopened_dir(&dir.host, &dir.guest, perms)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("--dir {}", dir.host.display()))?;
        }
    }
    for env in &cli.envs {
        match &env.value {
            Some(value) => wasi.env(&env.name, value),
            None => match std::env::var(&env.name) {
                Ok(value) => wasi.env(&env.name, value),
                Err(_) => &mut wasi,
            },
        };
    }
    let mut limits = StoreLimitsBuilder::new();
    if let Some(bytes) = cli.max_memory_size() {
        // Past the limit the guest is stopped, as `wasmtime run -W
        // max-memory-size` with `trap-on-grow-failure`: a one-line error,
        // not an allocation failure deep inside the guest.
        limits = limits.memory_size(bytes).trap_on_grow_failure(true);
    }
    let wasmtime_p1 = matches!(linked, Linked::Module { .. }) && cli.wasi_fs == WasiFs::Wasmtime;
    let (wasi, wasmtime_p1) = match wasmtime_p1 {
        true => (WasiCtxBuilder::new().build(), Some(wasi.build_p1())),
        false => (wasi.build(), None),
    };
    let host = Host {
        wasi,
        directfs: directfs.build(),
        table: ResourceTable::new(),
        wasmtime_p1,
        limits: limits.build(),
    };
    let mut store = Store::new(&engine, host);
    store.limiter(|host| &mut host.limits);
    if cli.timeout().is_some() {
        // One tick: the timer thread of `main` increments the epoch once.
        store.set_epoch_deadline(1);
        store.epoch_deadline_trap();
    }
    let command = match linked {
        Linked::Component {
            linker,
            component,
            wasip3,
            on_async_host,
        } => if wasip3 {
            wasmtime_wasi::runtime::in_tokio(P3Command::instantiate_async(
                &mut store, &component, &linker,
            ))
            .map(Guest::P3)
        } else if on_async_host {
            wasmtime_wasi::runtime::in_tokio(AsyncCommand::instantiate_async(
                &mut store, &component, &linker,
            ))
            .map(Guest::Async)
        } else {
            Command::instantiate(&mut store, &component, &linker).map(Guest::Sync)
        }
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!(
                "cannot instantiate {} as a wasi:cli command",
                path.display()
            )
        })?,
        Linked::Module {
            linker,
            module,
            on_async_host,
        } => match on_async_host {
            true => wasmtime_wasi::runtime::in_tokio(linker.instantiate_async(&mut store, &module)),
            false => linker.instantiate(&mut store, &module),
        }
        .map_err(anyhow::Error::from)
        .and_then(|instance| entry::Entry::find(&mut store, &instance, cli.invoke.as_deref()))
        .map(|start| match on_async_host {
            true => Guest::CoreAsync(start),
            false => Guest::Core(start),
        })
        .with_context(|| {
            format!(
                "cannot instantiate {} as a wasm32-wasip1 command (a core module \
                     importing wasi_snapshot_preview1 and exporting _start, or the \
                     export --invoke names)",
                path.display()
            )
        })?,
    };
    Ok(Prepared {
        store,
        command,
        engine,
        cache,
    })
}

/// A component's engine, compiled code and linker: wasmtime-wasi's WASI
/// 0.2 (and 0.3 where the component needs it), `directfs:fs`, and the
/// standard `wasi:filesystem` from the dentry tree (or wasmtime-wasi's, with
/// wasmtime-wasi's preview 1 context of a core module run with `--wasi-fs
/// wasmtime`.
fn wasmtime_p1(host: &mut Host) -> &mut wasmtime_wasi::p1::WasiP1Ctx {
    host.wasmtime_p1
        .as_mut()
        .expect("a core module run with --wasi-fs wasmtime has wasmtime_p1")
}

/// Whether the guest runs on an async host: a `pool` dir asks for one (its
/// calls then run on tokio's blocking pool).
fn on_async_host(cli: &Cli) -> bool {
    cli.dirs
        .iter()
        .any(|dir| dir.options.blocking == directfs::Blocking::Pool)
}

/// `--wasi-fs wasmtime`).
fn component_linker(
    cli: &Cli,
    cache: Option<&wasmtime::Cache>,
    path: &Path,
    bytes: &[u8],
) -> anyhow::Result<(Engine, Linked)> {
    let (engine, component, async_model) = compile(cli, cache, path, bytes)?;
    let mut linker = Linker::<Host>::new(&engine);
    // A `pool` dir: the guest runs on an async host (wasmtime-wasi's tokio
    // runtime), where such a mount's calls leave the executor.
    // A WASI 0.3 command (and any component that needs the component
    // model's async features: WASI 0.3 is linked for it) is run on an async
    // host.
    let wasip3 = is_wasip3(&engine, &component);
    let on_async_host = async_model || on_async_host(cli);
    // Includes `wasi:cli/exit`'s `exit-with-code` (stable since WASI
    // 0.2.12): the guest's status, as wasip1's `proc_exit` gives it.
    if on_async_host {
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
    } else {
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(anyhow::Error::from)?;
    }
    if on_async_host {
        directfs::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
    } else {
        directfs::add_to_linker(&mut linker).map_err(anyhow::Error::from)?;
    }
    match (cli.wasi_fs, on_async_host) {
        (WasiFs::Directfs, false) => directfs::wasi::add_to_linker(&mut linker),
        (WasiFs::Directfs, true) => directfs::wasi::add_to_linker_async(&mut linker),
        (WasiFs::Wasmtime, _) => Ok(()),
    }
    .map_err(anyhow::Error::from)?;
    if async_model {
        // The rest of WASI 0.3 is wasmtime-wasi's; so is its filesystem
        // with `--wasi-fs wasmtime`.
        wasmtime_wasi::p3::cli::add_to_linker(&mut linker)
            .and_then(|()| wasmtime_wasi::p3::clocks::add_to_linker(&mut linker))
            .and_then(|()| wasmtime_wasi::p3::random::add_to_linker(&mut linker))
            .and_then(|()| wasmtime_wasi::p3::sockets::add_to_linker(&mut linker))
            .and_then(|()| match cli.wasi_fs {
                WasiFs::Directfs => directfs::wasi::p3::add_to_linker(&mut linker),
                WasiFs::Wasmtime => wasmtime_wasi::p3::filesystem::add_to_linker(&mut linker),
            })
            .map_err(anyhow::Error::from)?;
    }
    // Last: only what nothing above provides.
    if cli.unknown_imports_trap() {
        linker
            .define_unknown_imports_as_traps(&component)
            .map_err(anyhow::Error::from)?;
    }
    Ok((
        engine,
        Linked::Component {
            linker,
            component,
            wasip3,
            on_async_host,
        },
    ))
}

/// What stopped the guest, if it was one of the `-W` limits.
fn limit_stop(cli: &Cli, err: &wasmtime::Error) -> Option<String> {
    if let (Some(Trap::Interrupt), Some(timeout)) = (err.downcast_ref::<Trap>(), cli.timeout()) {
        return Some(format!(
            "the guest ran longer than -W timeout={timeout:?} and was stopped"
        ));
    }
    let max = cli.max_memory_size()?;
    // StoreLimits' `trap_on_grow_failure` error.
    err.chain()
        .any(|cause| cause.to_string().contains("forcing trap when growing memory"))
        .then(|| format!("the guest tried to grow a memory past -W max-memory-size={max} bytes and was stopped"))
}

/// This process's peak resident set (`VmHWM` in `/proc/self/status`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn check_dir(host: &Path) -> anyhow::Result<()> {
    let meta = std::fs::metadata(host).with_context(|| format!("--dir {}", host.display()))?;
    if !meta.is_dir() {
        bail!("--dir {}: not a directory", host.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Prepared {
        mut store,
        command,
        engine,
        cache,
    } = match prepare(&cli) {
        Ok(ready) => ready,
        Err(err) => {
            eprintln!("dfs-run: error: {err:#}");
            return ExitCode::from(EXIT_SETUP);
        }
    };
    if let Some(timeout) = cli.timeout() {
        // The deadline: one epoch tick, after which the guest traps at its
        // next loop header or call. A guest waiting in a directfs call (a
        // blocking read of an empty FIFO) is interrupted: the call fails
        // with `interrupted`, and the guest traps as it goes on. One
        // waiting in another host call (a sleep) reaches neither: after a
        // grace period, the process ends anyway. The thread ends with the
        // process.
        let interrupter = store.data().directfs.interrupter();
        std::thread::spawn(move || {
            std::thread::sleep(timeout);
            engine.increment_epoch();
            interrupter.interrupt();
            std::thread::sleep(TIMEOUT_GRACE);
            eprintln!(
                "dfs-run: error: the guest ran longer than -W timeout={timeout:?} and was \
                 stopped (it was waiting in a host call)"
            );
            std::process::exit(i32::from(EXIT_TRAP));
        });
    }
    let result = match command {
        Guest::Sync(command) => command.wasi_cli_run().call_run(&mut store),
        Guest::Async(command) => {
            wasmtime_wasi::runtime::in_tokio(command.wasi_cli_run().call_run(&mut store))
        }
        Guest::P3(command) => wasmtime_wasi::runtime::in_tokio(
            store.run_concurrent(async move |store| command.wasi_cli_run().call_run(store).await),
        )
        .and_then(|result| result),
        Guest::Core(entry) => entry.call(&mut store).map(Ok),
        Guest::CoreAsync(entry) => {
            wasmtime_wasi::runtime::in_tokio(entry.call_async(&mut store)).map(Ok)
        }
    };
    if cli.stats {
        let stats = store.data().directfs.stats();
        eprintln!(
            "dfs-run: stats: host_syscalls={} dentries={} unreferenced={} open_resources={} host_fds={} peak_host_fds={} max_host_fds={} lookup_hits={} lookup_misses={} lock_records={} cache_hits={} cache_misses={} peak_rss_kib={}",
            directfs::host_syscalls(),
            stats.dentries,
            stats.unreferenced,
            stats.open_resources,
            stats.host_fds,
            stats.peak_host_fds,
            stats.max_host_fds,
            stats.lookup_hits,
            stats.lookup_misses,
            stats.lock_records,
            cache.as_ref().map_or(0, wasmtime::Cache::cache_hits),
            cache.as_ref().map_or(0, wasmtime::Cache::cache_misses),
            peak_rss_kib().unwrap_or(0)
        );
    }
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(())) => ExitCode::FAILURE,
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => ExitCode::from(u8::try_from(*code).unwrap_or(1)),
            None => {
                match limit_stop(&cli, &err) {
                    Some(why) => eprintln!("dfs-run: error: {why}"),
                    None => eprintln!("dfs-run: guest trapped: {err:?}"),
                }
                ExitCode::from(EXIT_TRAP)
            }
        },
    }
}
