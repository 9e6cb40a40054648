//! `dfs-run`: runs a WASI 0.2 command component (`wasi:cli/run`) with host
//! directories preopened through directfs.
//!
//! wasmtime-wasi serves the guest's cli, clocks, random, stdio and `wasi:io`;
//! directfs serves every `--dir` through both `directfs:fs` and the standard
//! `wasi:filesystem` (what `std::fs` uses). `--wasi-fs wasmtime` leaves
//! `wasi:filesystem` to wasmtime-wasi instead (the same directories, for
//! comparison).
//!
//! Exit status: the guest's (0, or 1 for a failure: WASI 0.2 carries no other
//! code); 134 when the guest traps (the trap on stderr), as the wasmtime CLI;
//! 2 when dfs-run cannot start the guest (a one-line error on stderr).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Parser;
use directfs::{
    DirPerms, DirectfsCtx, DirectfsCtxView, DirectfsView, Limits, PreopenOptions, Revalidation,
};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxView, WasiView};

/// The exit status of a guest trap, as the wasmtime CLI (128 + SIGABRT).
const EXIT_TRAP: u8 = 134;
/// The exit status when dfs-run cannot start the guest.
const EXIT_SETUP: u8 = 2;

/// Run a WASI 0.2 component with host directories preopened through directfs.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    after_help = "Example: dfs-run guest.wasm --dir ./sandbox::/data -- arg1 arg2"
)]
struct Cli {
    /// Preopen host directory HOST as GUEST (default: HOST as written), for
    /// both `directfs:fs` and `wasi:filesystem`. Options after commas:
    /// `readonly` (every change fails: `read-only` in `directfs:fs`,
    /// `not-permitted` in `wasi:filesystem`), `shared` (other host processes
    /// change the directory too: cached entries are re-checked before use).
    /// Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST[,readonly][,shared]]", value_parser = parse_dir)]
    dirs: Vec<DirArg>,

    /// The most dentries per preopen kept cached (with their host FDs) that
    /// the guest does not hold. 0 caches nothing.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_cached_dentries)]
    max_cached_dentries: usize,

    /// The most dentry and handle resources the guest may hold at once;
    /// past it, calls fail with `too-many-open`.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_open)]
    max_open: usize,

    /// Who serves the standard `wasi:filesystem` for the `--dir`s:
    /// `directfs` (the same dentry tree as `directfs:fs`), or `wasmtime`
    /// (wasmtime-wasi's own, what the wasmtime CLI's `--dir` does), for
    /// comparison.
    #[arg(long, value_name = "IMPL", value_enum, default_value_t = WasiFs::Directfs)]
    wasi_fs: WasiFs,

    /// At exit, print to stderr how many host syscalls directfs issued and
    /// what its context held (`dfs-run: stats: …`).
    #[arg(long)]
    stats: bool,

    /// Set NAME=VAL in the guest's environment, or pass the host's NAME.
    /// Repeatable.
    #[arg(long = "env", value_name = "NAME[=VAL]", value_parser = parse_env)]
    envs: Vec<EnvArg>,

    /// The component to run (a `wasm32-wasip2` program).
    component: PathBuf,

    /// Arguments for the guest (its argv[0] is COMPONENT). dfs-run's own
    /// options may come before or right after COMPONENT; from the first
    /// guest argument (or `--`) on, everything is the guest's.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// Who serves `wasi:filesystem` (`--wasi-fs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum WasiFs {
    /// directfs, from its dentry tree.
    Directfs,
    /// wasmtime-wasi's own implementation.
    Wasmtime,
}

/// One `--dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DirArg {
    host: PathBuf,
    guest: String,
    options: PreopenOptions,
}

/// One `--env`: a value, or `None` to pass the host's.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EnvArg {
    name: String,
    value: Option<String>,
}

/// Parses `HOST[::GUEST[,OPTION...]]`. Without `::` the whole text is HOST
/// (commas included) and the guest name is the same text.
fn parse_dir(arg: &str) -> Result<DirArg, String> {
    let mut options = PreopenOptions::from(DirPerms::ReadWrite);
    let Some((host, rest)) = arg.split_once("::") else {
        return Ok(DirArg {
            host: arg.into(),
            guest: arg.into(),
            options,
        });
    };
    let mut parts = rest.split(',');
    let guest = parts.next().unwrap_or_default();
    for option in parts {
        match option {
            "readonly" => options.perms = DirPerms::ReadOnly,
            "shared" => options.revalidation = Revalidation::Shared,
            other => {
                return Err(format!(
                    "unknown --dir option {other:?} (known: readonly, shared)"
                ));
            }
        }
    }
    if host.is_empty() || guest.is_empty() {
        return Err("expected HOST[::GUEST], with neither empty".into());
    }
    Ok(DirArg {
        host: host.into(),
        guest: guest.into(),
        options,
    })
}

/// Parses `NAME[=VAL]`.
fn parse_env(arg: &str) -> Result<EnvArg, String> {
    let (name, value) = match arg.split_once('=') {
        Some((name, value)) => (name, Some(value.to_owned())),
        None => (arg, None),
    };
    if name.is_empty() {
        return Err("expected NAME[=VAL] with a non-empty NAME".into());
    }
    Ok(EnvArg {
        name: name.into(),
        value,
    })
}

/// What a wasm binary's header says it is.
#[derive(Debug, PartialEq, Eq)]
enum WasmKind {
    Component,
    CoreModule,
    NotWasm,
}

fn wasm_kind(bytes: &[u8]) -> WasmKind {
    match bytes.get(..8) {
        // Magic, then version 0x0d and layer 1 (the component model).
        Some([0, b'a', b's', b'm', _, _, 1, 0]) => WasmKind::Component,
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => WasmKind::CoreModule,
        _ => WasmKind::NotWasm,
    }
}

struct Host {
    wasi: WasiCtx,
    directfs: DirectfsCtx,
    table: ResourceTable,
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

/// Everything before the guest runs; every error names what is wrong.
fn prepare(cli: &Cli) -> anyhow::Result<(Store<Host>, Command)> {
    let mut directfs = DirectfsCtx::builder();
    directfs
        .max_cached_dentries(cli.max_cached_dentries)
        .max_open(cli.max_open);
    for dir in &cli.dirs {
        check_dir(&dir.host)?;
        directfs
            .preopen(&dir.host, &dir.guest, dir.options)
            .map_err(anyhow::Error::from)?;
    }

    let path = &cli.component;
    let bytes =
        std::fs::read(path).with_context(|| format!("component file {}", path.display()))?;
    match wasm_kind(&bytes) {
        WasmKind::Component => {}
        WasmKind::CoreModule => bail!(
            "{} is a core wasm module, not a component (build it for wasm32-wasip2)",
            path.display()
        ),
        WasmKind::NotWasm => bail!("{} is not a wasm component", path.display()),
    }

    let engine = Engine::default();
    let component = Component::from_binary(&engine, &bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot compile {}", path.display()))?;
    let mut linker = Linker::<Host>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(anyhow::Error::from)?;
    directfs::add_to_linker(&mut linker).map_err(anyhow::Error::from)?;
    if cli.wasi_fs == WasiFs::Directfs {
        directfs::wasi::add_to_linker(&mut linker).map_err(anyhow::Error::from)?;
    }

    let mut wasi = WasiCtx::builder();
    // As the wasmtime CLI: this host is synchronous, so wasmtime-wasi may
    // block this thread instead of bouncing through a thread pool.
    wasi.allow_blocking_current_thread(true)
        .inherit_stdio()
        .arg(path.to_string_lossy())
        .args(&cli.args);
    if cli.wasi_fs == WasiFs::Wasmtime {
        for dir in &cli.dirs {
            let perms = match dir.options.perms {
                DirPerms::ReadOnly => wasmtime_wasi::FsPerms::ReadOnly,
                DirPerms::ReadWrite => wasmtime_wasi::FsPerms::ReadWrite,
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
    let host = Host {
        wasi: wasi.build(),
        directfs: directfs.build(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(&engine, host);
    let command = Command::instantiate(&mut store, &component, &linker)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!(
                "cannot instantiate {} as a wasi:cli command",
                path.display()
            )
        })?;
    Ok((store, command))
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
    let (mut store, command) = match prepare(&cli) {
        Ok(ready) => ready,
        Err(err) => {
            eprintln!("dfs-run: error: {err:#}");
            return ExitCode::from(EXIT_SETUP);
        }
    };
    let result = command.wasi_cli_run().call_run(&mut store);
    if cli.stats {
        let stats = store.data().directfs.stats();
        eprintln!(
            "dfs-run: stats: host_syscalls={} dentries={} unreferenced={} open_resources={} peak_rss_kib={}",
            directfs::host_syscalls(),
            stats.dentries,
            stats.unreferenced,
            stats.open_resources,
            peak_rss_kib().unwrap_or(0)
        );
    }
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(())) => ExitCode::FAILURE,
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => ExitCode::from(u8::try_from(*code).unwrap_or(1)),
            None => {
                eprintln!("dfs-run: guest trapped: {err:?}");
                ExitCode::from(EXIT_TRAP)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_spellings() {
        let opts = |perms, revalidation| PreopenOptions {
            perms,
            revalidation,
        };
        let rw = |h: &str, g: &str| DirArg {
            host: h.into(),
            guest: g.into(),
            options: opts(DirPerms::ReadWrite, Revalidation::Exclusive),
        };
        assert_eq!(parse_dir("/tmp/x"), Ok(rw("/tmp/x", "/tmp/x")));
        assert_eq!(parse_dir("./sb::/data"), Ok(rw("./sb", "/data")));
        assert_eq!(parse_dir("a,b"), Ok(rw("a,b", "a,b")));
        assert_eq!(
            parse_dir("sb::/data,readonly"),
            Ok(DirArg {
                host: "sb".into(),
                guest: "/data".into(),
                options: opts(DirPerms::ReadOnly, Revalidation::Exclusive)
            })
        );
        assert_eq!(
            parse_dir("sb::/data,shared,readonly").map(|d| d.options),
            Ok(opts(DirPerms::ReadOnly, Revalidation::Shared))
        );
        assert!(parse_dir("sb::/data,bogus").unwrap_err().contains("bogus"));
        assert!(parse_dir("::/data").is_err());
        assert!(parse_dir("sb::").is_err());
    }

    #[test]
    fn env_spellings() {
        assert_eq!(
            parse_env("A=1"),
            Ok(EnvArg {
                name: "A".into(),
                value: Some("1".into())
            })
        );
        assert_eq!(
            parse_env("A=x=y"),
            Ok(EnvArg {
                name: "A".into(),
                value: Some("x=y".into())
            })
        );
        assert_eq!(
            parse_env("A="),
            Ok(EnvArg {
                name: "A".into(),
                value: Some(String::new())
            })
        );
        assert_eq!(
            parse_env("HOME"),
            Ok(EnvArg {
                name: "HOME".into(),
                value: None
            })
        );
        assert!(parse_env("=1").is_err());
    }

    #[test]
    fn wasm_kinds() {
        assert_eq!(wasm_kind(b"\0asm\x0d\0\x01\0rest"), WasmKind::Component);
        assert_eq!(wasm_kind(b"\0asm\x01\0\0\0"), WasmKind::CoreModule);
        assert_eq!(wasm_kind(b"(module)"), WasmKind::NotWasm);
        assert_eq!(wasm_kind(b""), WasmKind::NotWasm);
    }

    #[test]
    fn trailing_args_go_to_the_guest() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["dfs-run"], args].concat()).unwrap();
        // The spelling: options right after the component are dfs-run's.
        let cli = parse(&["g.wasm", "--dir", "d", "--env", "A=1"]);
        assert_eq!(
            (cli.component.as_path(), cli.dirs.len(), cli.envs.len()),
            (Path::new("g.wasm"), 1, 1)
        );
        assert!(cli.args.is_empty());
        // After `--` or the first guest argument, everything is the guest's.
        let cli = parse(&["--dir", "d", "g.wasm", "--", "--dir", "x", "-v"]);
        assert_eq!(cli.args, ["--dir", "x", "-v"]);
        let cli = parse(&["g.wasm", "one", "--dir", "x"]);
        assert_eq!(cli.args, ["one", "--dir", "x"]);
        assert!(cli.dirs.is_empty());
        assert!(
            Cli::try_parse_from(["dfs-run", "--dir", "d"]).is_err(),
            "COMPONENT is required"
        );
    }
}
