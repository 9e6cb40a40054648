//! `dfs-run`: runs a WASI program with host directories preopened through
//! directfs, the way `wasmtime run` runs it: a WASI 0.2 command component
//! (`wasi:cli/run`), a WASI 0.3 one (`wasi:cli/run@0.3.0`, run on an async
//! host, its `wasi:filesystem@0.3.0` from the dentry tree too), or a
//! `wasm32-wasip1` core module, which is adapted into a 0.2 component with
//! the official preview1 adapter first.
//!
//! wasmtime-wasi serves the guest's cli, clocks, random, stdio and `wasi:io`;
//! directfs serves every `--dir` through both `directfs:fs` and the standard
//! `wasi:filesystem` (what `std::fs` uses). `--wasi-fs wasmtime` leaves
//! `wasi:filesystem` to wasmtime-wasi instead (the same directories, for
//! comparison).
//!
//! Compiled code is cached on disk by wasmtime's own cache (as the wasmtime
//! CLI does; `-C cache=n` turns it off), and adapted wasip1 modules next
//! to it, so a cached start skips the adaptation too.
//!
//! Exit status: the guest's (`wasi:cli/exit`'s `exit-with-code` and wasip1's
//! `proc_exit(N)` give N; a plain failure gives 1); 134 when the guest traps
//! or is stopped by a `-W` limit (a one-line error on stderr), as the
//! wasmtime CLI; 2 when dfs-run cannot start the guest (a one-line error).

mod wasip1;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser;
use directfs::{
    DirectfsCtx, DirectfsCtxView, DirectfsView, FsPerms, Limits, PreopenOptions, Revalidation,
};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder, Trap};
use wasmtime_wasi::p2::bindings::{Command as AsyncCommand, sync::Command};
use wasmtime_wasi::p3::bindings::Command as P3Command;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxView, WasiView};

/// The exit status of a guest trap, as the wasmtime CLI (128 + SIGABRT).
const EXIT_TRAP: u8 = 134;
/// The exit status when dfs-run cannot start the guest.
const EXIT_SETUP: u8 = 2;

/// How long after `-W timeout` a guest waiting in a host call (where the
/// epoch interrupt cannot reach it) gets before the process ends anyway.
const TIMEOUT_GRACE: Duration = Duration::from_secs(1);

/// Run a WASI 0.2 or 0.3 component with host directories preopened through directfs.
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
    /// change the directory too: cached entries are re-checked before use),
    /// `pool` (`directfs:fs` and `wasi:filesystem` calls make their
    /// syscalls on a blocking thread pool: the guest then runs on an async
    /// host, as a server embedding directfs under tokio would). Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST[,readonly][,shared][,pool]]", value_parser = parse_dir)]
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

    /// The guest's first argument, argv0 (default: COMPONENT's file name,
    /// as wasmtime).
    #[arg(long, value_name = "ARG")]
    argv0: Option<String>,

    /// Limits, as `wasmtime run -W`: `timeout=DURATION` (a wall-clock limit:
    /// `500ms`, `2s`, `1m`, or seconds), `max-memory-size=BYTES` (each linear
    /// memory; `K`, `M`, `G` suffixes, powers of 1024). Comma-separated or
    /// repeated. The component model's features as wasmtime spells them
    /// (`component-model`, `component-model-async` and its `-builtins`,
    /// `-stackful`, `component-model-error-context`) are accepted: dfs-run
    /// turns them on for every component that needs them.
    #[arg(short = 'W', value_name = "KEY=VAL[,KEY=VAL...]", value_parser = parse_wasm_opts)]
    wasm: Vec<Vec<WasmOpt>>,

    /// WASI, as `wasmtime run -S`: `inherit-env` (the guest sees the host's
    /// environment; `--env` still adds and overrides), `inherit-network`
    /// (the guest may use the host's network), `allow-ip-name-lookup`,
    /// `tcp=y|n`, `udp=y|n`. `cli`, `p3` and `preview2` are accepted: dfs-run
    /// always provides them. Comma-separated or repeated; a bare KEY is
    /// KEY=y.
    #[arg(short = 'S', value_name = "KEY[=VAL][,KEY[=VAL]...]", value_parser = parse_wasi_opts)]
    wasi: Vec<Vec<WasiOpt>>,

    /// Code generation, as `wasmtime run -C`: `cache=y|n` (default `y`:
    /// compiled code is kept in wasmtime's on-disk cache, as the wasmtime
    /// CLI does), `cache-config=PATH` (a wasmtime cache configuration file).
    #[arg(short = 'C', value_name = "KEY=VAL[,KEY=VAL...]", value_parser = parse_codegen_opts)]
    codegen: Vec<Vec<CodegenOpt>>,

    /// The program to run (a WASI 0.2 or 0.3 component, or a `wasm32-wasip1`
    /// core module), then its arguments: as with `wasmtime run`, everything
    /// after COMPONENT is the guest's, options too. dfs-run's own options
    /// come before it.
    #[arg(
        value_name = "COMPONENT",
        trailing_var_arg = true,
        required = true,
        num_args = 1..
    )]
    component_and_args: Vec<OsString>,
}

impl Cli {
    /// The program to run.
    fn component(&self) -> &Path {
        self.component_and_args
            .first()
            .map_or(Path::new(""), Path::new)
    }

    /// The guest's arguments after `argv[0]`.
    fn guest_args(&self) -> impl Iterator<Item = String> + '_ {
        self.component_and_args
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
    }

    /// The guest's `argv[0]`: `--argv0`, else the program's file name.
    fn argv0(&self) -> String {
        match &self.argv0 {
            Some(argv0) => argv0.clone(),
            None => {
                let path = self.component();
                path.file_name()
                    .unwrap_or(path.as_os_str())
                    .to_string_lossy()
                    .into_owned()
            }
        }
    }

    /// `-W timeout=`, the last one given.
    fn timeout(&self) -> Option<Duration> {
        self.wasm.iter().flatten().rev().find_map(|o| match o {
            WasmOpt::Timeout(t) => Some(*t),
            WasmOpt::MaxMemorySize(_) | WasmOpt::ComponentModel => None,
        })
    }

    /// `-W max-memory-size=`, the last one given.
    fn max_memory_size(&self) -> Option<usize> {
        self.wasm.iter().flatten().rev().find_map(|o| match o {
            WasmOpt::MaxMemorySize(n) => Some(*n),
            WasmOpt::Timeout(_) | WasmOpt::ComponentModel => None,
        })
    }

    /// `-S`: what the guest's WASI context inherits and allows, the last
    /// value of each key winning.
    fn wasi_options(&self) -> WasiOptions {
        let mut options = WasiOptions::default();
        for opt in self.wasi.iter().flatten() {
            match *opt {
                WasiOpt::Provided => {}
                WasiOpt::InheritEnv(on) => options.inherit_env = on,
                WasiOpt::InheritNetwork(on) => options.inherit_network = on,
                WasiOpt::IpNameLookup(on) => options.ip_name_lookup = on,
                WasiOpt::Tcp(on) => options.tcp = on,
                WasiOpt::Udp(on) => options.udp = on,
            }
        }
        options
    }

    /// Whether the compilation cache is on (`-C cache=`, default yes), and
    /// its configuration file.
    fn cache(&self) -> (bool, Option<&Path>) {
        let (mut on, mut config) = (true, None);
        for opt in self.codegen.iter().flatten() {
            match opt {
                CodegenOpt::Cache(yes) => on = *yes,
                CodegenOpt::CacheConfig(path) => config = Some(path.as_path()),
            }
        }
        (on, config)
    }
}

/// One `-W` option.
#[derive(Debug, Clone, PartialEq, Eq)]
enum WasmOpt {
    Timeout(Duration),
    MaxMemorySize(usize),
    /// A component-model feature asked for: on wherever a component needs
    /// it already.
    ComponentModel,
}

/// One `-S` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WasiOpt {
    /// `cli`, `p3`, `preview2`, `common` (or an interface dfs-run does not
    /// provide, turned off): what dfs-run does anyway.
    Provided,
    InheritEnv(bool),
    InheritNetwork(bool),
    IpNameLookup(bool),
    Tcp(bool),
    Udp(bool),
}

/// What `-S` asks of the guest's WASI context (wasmtime's defaults: no
/// inherited environment or network, TCP and UDP sockets allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WasiOptions {
    inherit_env: bool,
    inherit_network: bool,
    ip_name_lookup: bool,
    tcp: bool,
    udp: bool,
}

impl Default for WasiOptions {
    fn default() -> Self {
        Self {
            inherit_env: false,
            inherit_network: false,
            ip_name_lookup: false,
            tcp: true,
            udp: true,
        }
    }
}

/// One `-C` option.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CodegenOpt {
    Cache(bool),
    CacheConfig(PathBuf),
}

/// Parses `KEY=VAL[,KEY=VAL...]` with `one` for each pair.
fn parse_pairs<T>(
    arg: &str,
    one: impl Fn(&str, &str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    arg.split(',')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => one(key, value),
            None => one(pair, ""),
        })
        .collect()
}

/// A `-W`, `-S` or `-C` yes/no value, as wasmtime spells it (a bare key is
/// yes).
fn parse_yes_no(flag: char, key: &str, value: &str) -> Result<bool, String> {
    match value {
        "" | "y" | "yes" | "true" => Ok(true),
        "n" | "no" | "false" => Ok(false),
        other => Err(format!("-{flag} {key}={other}: expected y or n")),
    }
}

/// Parses `-W`'s `timeout=DURATION` and `max-memory-size=BYTES`, and the
/// component-model features wasmtime names.
fn parse_wasm_opts(arg: &str) -> Result<Vec<WasmOpt>, String> {
    parse_pairs(arg, |key, value| match key {
        "timeout" => parse_duration(value).map(WasmOpt::Timeout),
        "max-memory-size" => parse_size(value).map(WasmOpt::MaxMemorySize),
        "component-model"
        | "component-model-async"
        | "component-model-async-builtins"
        | "component-model-async-stackful"
        | "component-model-error-context" => match parse_yes_no('W', key, value)? {
            true => Ok(WasmOpt::ComponentModel),
            false => Err(format!(
                "-W {key}=n: dfs-run turns the component model's features on for every \
                 component that needs them, and cannot run one without"
            )),
        },
        other => Err(format!(
            "unknown -W option {other:?} (known: timeout, max-memory-size, component-model, \
             component-model-async)"
        )),
    })
}

/// Parses `-S`: what the guest's WASI context inherits and allows, and the
/// interfaces dfs-run always provides (`cli`, `p3`, `preview2`, `common`).
fn parse_wasi_opts(arg: &str) -> Result<Vec<WasiOpt>, String> {
    parse_pairs(arg, |key, value| {
        let on = parse_yes_no('S', key, value)?;
        match key {
            "cli" | "p3" | "preview2" | "common" if on => Ok(WasiOpt::Provided),
            "cli" | "p3" | "preview2" | "common" => {
                Err(format!("-S {key}=n: dfs-run always provides {key}"))
            }
            "inherit-env" => Ok(WasiOpt::InheritEnv(on)),
            "inherit-network" => Ok(WasiOpt::InheritNetwork(on)),
            "allow-ip-name-lookup" => Ok(WasiOpt::IpNameLookup(on)),
            "tcp" => Ok(WasiOpt::Tcp(on)),
            "udp" => Ok(WasiOpt::Udp(on)),
            "http" | "nn" | "threads" | "config" | "keyvalue" | "tls" if !on => {
                Ok(WasiOpt::Provided)
            }
            "http" | "nn" | "threads" | "config" | "keyvalue" | "tls" => {
                Err(format!("-S {key}: dfs-run does not provide wasi-{key}"))
            }
            other => Err(format!(
                "unknown -S option {other:?} (known: inherit-env, inherit-network, \
                 allow-ip-name-lookup, tcp, udp, cli, p3, preview2)"
            )),
        }
    })
}

/// Parses `-C`'s `cache=y|n` and `cache-config=PATH`.
fn parse_codegen_opts(arg: &str) -> Result<Vec<CodegenOpt>, String> {
    parse_pairs(arg, |key, value| match key {
        "cache" => parse_yes_no('C', key, value).map(CodegenOpt::Cache),
        "cache-config" if !value.is_empty() => Ok(CodegenOpt::CacheConfig(value.into())),
        other => Err(format!(
            "unknown -C option {other:?} (known: cache=y|n, cache-config=PATH)"
        )),
    })
}

/// `500ms`, `2s`, `1m`, `1h`, `10us`, `10ns`, or a number of seconds.
fn parse_duration(value: &str) -> Result<Duration, String> {
    let split = value
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{value:?}: expected a duration such as 500ms, 2s or 1m"))?;
    let seconds = match unit {
        "" | "s" => number,
        "ms" => number / 1e3,
        "us" => number / 1e6,
        "ns" => number / 1e9,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        other => {
            return Err(format!(
                "{value:?}: unknown unit {other:?} (ns, us, ms, s, m, h)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|err| format!("{value:?}: {err}"))
}

/// `65536`, `64K`, `16M`, `1G` (powers of 1024; `Ki`/`KiB` spellings too).
fn parse_size(value: &str) -> Result<usize, String> {
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: usize = number
        .parse()
        .map_err(|_| format!("{value:?}: expected a size in bytes such as 65536 or 64M"))?;
    let shift = match unit
        .trim_end_matches("iB")
        .trim_end_matches('i')
        .trim_end_matches('B')
    {
        "" => 0,
        "K" | "k" => 10,
        "M" => 20,
        "G" => 30,
        other => return Err(format!("{value:?}: unknown unit {other:?} (K, M, G)")),
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{value:?}: too large"))
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
    let mut options = PreopenOptions::from(FsPerms::ReadWrite);
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
            "readonly" => options.perms = FsPerms::ReadOnly,
            "shared" => options.revalidation = Revalidation::Shared,
            "pool" => options.blocking = directfs::Blocking::Pool,
            other => {
                return Err(format!(
                    "unknown --dir option {other:?} (known: readonly, shared, pool)"
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
}

/// Which `wasi:cli/run` a component exports: WASI 0.3's (run as such even
/// if it also exports 0.2's, as a `wasm32-wasip2` binary with a 0.3 `run`
/// does, and as the wasmtime CLI prefers it) or else 0.2's.
fn is_wasip3(engine: &Engine, component: &Component) -> bool {
    component
        .component_type()
        .exports(engine)
        .any(|(name, _)| name.starts_with("wasi:cli/run@0.3"))
}

/// wasmtime's compilation cache, unless `-C cache=n`.
///
/// A cache that cannot be set up (an unwritable home, say) is a warning, not
/// a reason not to run; a `-C cache-config` file that cannot be used is an
/// error.
fn cache(cli: &Cli) -> anyhow::Result<Option<wasmtime::Cache>> {
    Ok(match cli.cache() {
        (false, _) => None,
        (true, file) => match wasmtime::Cache::from_file(file) {
            Ok(cache) => Some(cache),
            Err(err) if file.is_none() => {
                eprintln!("dfs-run: warning: compilation cache off: {err:#}");
                None
            }
            Err(err) => {
                return Err(anyhow::Error::from(err)).context("-C cache-config");
            }
        },
    })
}

/// The engine: `cache`, epoch interruption for `-W timeout`, and the
/// component model's async features (`stream`, `future`, async functions)
/// if `async_model`. Those cost every host call some time (about 20% of a
/// cached `stat`, measured), so they are on only for components that need
/// them.
fn engine(cli: &Cli, cache: Option<&wasmtime::Cache>, async_model: bool) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.cache(cache.cloned());
    config.epoch_interruption(cli.timeout().is_some());
    config.wasm_component_model_async(async_model);
    config.concurrency_support(async_model);
    Engine::new(&config).map_err(anyhow::Error::from)
}

/// Whether a component names a WASI 0.3 interface (`…@0.3…`) among its
/// imports or exports, its own or a nested component's: a WASI 0.3 program,
/// which needs the component model's async features.
fn names_wasip3(bytes: &[u8]) -> bool {
    let wasip3 = |name: &str| name.contains("@0.3");
    wasmparser::Parser::new(0)
        .parse_all(bytes)
        .any(|payload| match payload {
            Ok(wasmparser::Payload::ComponentImportSection(imports)) => imports
                .into_iter()
                .any(|import| import.is_ok_and(|import| wasip3(import.name.name))),
            Ok(wasmparser::Payload::ComponentExportSection(exports)) => exports
                .into_iter()
                .any(|export| export.is_ok_and(|export| wasip3(export.name.name))),
            _ => false,
        })
}

/// Compiles `bytes` with an engine that has the component model's async
/// features only if the component names WASI 0.3 ([`names_wasip3`]), or
/// if it cannot be compiled without them (it uses `stream`s or async
/// functions of its own). Returns the engine with the component, and
/// whether the engine has those features.
fn compile(
    cli: &Cli,
    cache: Option<&wasmtime::Cache>,
    path: &Path,
    bytes: &[u8],
) -> anyhow::Result<(Engine, Component, bool)> {
    let wasip3 = names_wasip3(bytes);
    let engine = engine(cli, cache, wasip3)?;
    let first = match Component::from_binary(&engine, bytes) {
        Ok(component) => return Ok((engine, component, wasip3)),
        Err(err) => err,
    };
    if !wasip3 {
        let engine = self::engine(cli, cache, true)?;
        if let Ok(component) = Component::from_binary(&engine, bytes) {
            return Ok((engine, component, true));
        }
    }
    Err(anyhow::Error::from(first)).with_context(|| format!("cannot compile {}", path.display()))
}

/// The component in `bytes`: as it is, or, for a `wasm32-wasip1` core
/// module, adapted with the official preview1 command adapter (see
/// [`wasip1`]), so that its `wasi_snapshot_preview1` calls land on the same
/// WASI 0.2 imports, `wasi:filesystem` included.
///
/// With the compilation cache on, adapted modules are kept beside the
/// compiled code: in `directfs-wasip1` next to the cache's directory
/// (`~/.cache/directfs-wasip1` by default; not inside it, where wasmtime's
/// cache cleanup removes files it does not know).
fn component_bytes(
    path: &Path,
    bytes: Vec<u8>,
    cache: Option<&wasmtime::Cache>,
) -> anyhow::Result<Vec<u8>> {
    match wasm_kind(&bytes) {
        WasmKind::Component => Ok(bytes),
        WasmKind::CoreModule => {
            let dir = cache
                .and_then(|cache| cache.directory().parent())
                .map(|parent| parent.join("directfs-wasip1"));
            wasip1::adapt_cached(&bytes, dir.as_deref()).with_context(|| {
                format!(
                    "{} is a core wasm module that the wasip1 adapter cannot turn into a \
                     component (only wasm32-wasip1 commands can be run)",
                    path.display()
                )
            })
        }
        WasmKind::NotWasm => bail!("{} is not a wasm component or module", path.display()),
    }
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
        .max_open(cli.max_open);
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
    let bytes = component_bytes(path, bytes, cache.as_ref())?;
    let (engine, component, async_model) = compile(cli, cache.as_ref(), path, &bytes)?;
    let mut linker = Linker::<Host>::new(&engine);
    // A `pool` dir: the guest runs on an async host (wasmtime-wasi's tokio
    // runtime), where such a mount's calls leave the executor.
    // A WASI 0.3 command (and any component that needs the component
    // model's async features: WASI 0.3 is linked for it) is run on an async
    // host.
    let wasip3 = is_wasip3(&engine, &component);
    let on_async_host = async_model
        || cli
            .dirs
            .iter()
            .any(|dir| dir.options.blocking == directfs::Blocking::Pool);
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
    wasi.allow_ip_name_lookup(options.ip_name_lookup)
        .allow_tcp(options.tcp)
        .allow_udp(options.udp);
    if cli.wasi_fs == WasiFs::Wasmtime {
        for dir in &cli.dirs {
            let perms = match dir.options.perms {
                FsPerms::ReadOnly => wasmtime_wasi::FsPerms::ReadOnly,
                FsPerms::ReadWrite => wasmtime_wasi::FsPerms::ReadWrite,
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
    let host = Host {
        wasi: wasi.build(),
        directfs: directfs.build(),
        table: ResourceTable::new(),
        limits: limits.build(),
    };
    let mut store = Store::new(&engine, host);
    store.limiter(|host| &mut host.limits);
    if cli.timeout().is_some() {
        // One tick: the timer thread of `main` increments the epoch once.
        store.set_epoch_deadline(1);
        store.epoch_deadline_trap();
    }
    let command = if wasip3 {
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
    };
    let command = command.map_err(anyhow::Error::from).with_context(|| {
        format!(
            "cannot instantiate {} as a wasi:cli command",
            path.display()
        )
    })?;
    Ok(Prepared {
        store,
        command,
        engine,
        cache,
    })
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
    };
    if cli.stats {
        let stats = store.data().directfs.stats();
        eprintln!(
            "dfs-run: stats: host_syscalls={} dentries={} unreferenced={} open_resources={} host_fds={} peak_host_fds={} max_host_fds={} lookup_hits={} lookup_misses={} cache_hits={} cache_misses={} peak_rss_kib={}",
            directfs::host_syscalls(),
            stats.dentries,
            stats.unreferenced,
            stats.open_resources,
            stats.host_fds,
            stats.peak_host_fds,
            stats.max_host_fds,
            stats.lookup_hits,
            stats.lookup_misses,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasip3_by_name() {
        let component = |wat: &str| wat::parse_str(wat).unwrap();
        assert!(names_wasip3(&component(
            r#"(component (import "wasi:cli/environment@0.3.0" (instance)))"#
        )));
        assert!(names_wasip3(&component(
            r#"(component (component (import "wasi:filesystem/types@0.3.0-rc" (instance))))"#
        )));
        assert!(!names_wasip3(&component(
            r#"(component (import "wasi:cli/environment@0.2.12" (instance)))"#
        )));
        assert!(!names_wasip3(b"not wasm"));
    }

    #[test]
    fn dir_spellings() {
        let opts = |perms, revalidation| PreopenOptions {
            perms,
            revalidation,
            blocking: directfs::Blocking::Inline,
        };
        let rw = |h: &str, g: &str| DirArg {
            host: h.into(),
            guest: g.into(),
            options: opts(FsPerms::ReadWrite, Revalidation::Exclusive),
        };
        assert_eq!(parse_dir("/tmp/x"), Ok(rw("/tmp/x", "/tmp/x")));
        assert_eq!(parse_dir("./sb::/data"), Ok(rw("./sb", "/data")));
        assert_eq!(parse_dir("a,b"), Ok(rw("a,b", "a,b")));
        assert_eq!(
            parse_dir("sb::/data,readonly"),
            Ok(DirArg {
                host: "sb".into(),
                guest: "/data".into(),
                options: opts(FsPerms::ReadOnly, Revalidation::Exclusive)
            })
        );
        assert_eq!(
            parse_dir("sb::/data,shared,readonly").map(|d| d.options),
            Ok(opts(FsPerms::ReadOnly, Revalidation::Shared))
        );
        assert_eq!(
            parse_dir("sb::/data,pool").map(|d| d.options.blocking),
            Ok(directfs::Blocking::Pool)
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
        let args = |cli: &Cli| cli.guest_args().collect::<Vec<_>>();
        // As `wasmtime run`: everything after COMPONENT is the guest's,
        // dfs-run's own flags and `--help`/`--version` included.
        let cli = parse(&["--dir", "d", "g.wasm", "--dir", "x", "--version", "-v"]);
        assert_eq!((cli.component(), cli.dirs.len()), (Path::new("g.wasm"), 1));
        assert_eq!(args(&cli), ["--dir", "x", "--version", "-v"]);
        let cli = parse(&["g.wasm", "--help"]);
        assert_eq!(args(&cli), ["--help"]);
        let cli = parse(&["--env", "A=1", "--", "g.wasm", "--", "x"]);
        assert_eq!(
            (cli.component(), args(&cli)),
            (Path::new("g.wasm"), vec!["--".to_owned(), "x".to_owned()])
        );
        assert!(
            Cli::try_parse_from(["dfs-run", "--dir", "d"]).is_err(),
            "COMPONENT is required"
        );
    }

    #[test]
    fn argv0_is_the_file_name_or_given() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["dfs-run"], args].concat()).unwrap();
        assert_eq!(parse(&["/some/where/rg.wasm"]).argv0(), "rg.wasm");
        assert_eq!(parse(&["--argv0", "rg", "/x/rg.wasm"]).argv0(), "rg");
    }

    #[test]
    fn limit_spellings() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["dfs-run"], args].concat());
        let cli = parse(&["-W", "timeout=1s,max-memory-size=64M", "g.wasm"]).unwrap();
        assert_eq!(cli.timeout(), Some(Duration::from_secs(1)));
        assert_eq!(cli.max_memory_size(), Some(64 << 20));
        let cli = parse(&["-W", "timeout=250ms", "-W", "timeout=2", "g.wasm"]).unwrap();
        assert_eq!(cli.timeout(), Some(Duration::from_secs(2)), "the last wins");
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err() && parse_duration("1y").is_err());
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("16Ki"), Ok(16 << 10));
        assert!(parse_size("99999999999999999999").is_err() && parse_size("1T").is_err());
        assert!(parse(&["-W", "fuel=1", "g.wasm"]).is_err());
        assert!(parse(&["-W", "timeout", "g.wasm"]).is_err());
    }

    #[test]
    fn wasi_and_component_model_spellings() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["dfs-run"], args].concat());
        // What the WASI test suite's wasmtime adapter passes for WASI 0.3.
        let cli = parse(&[
            "-W",
            "component-model-async=y",
            "-Sp3",
            "-S",
            "cli=y",
            "g.wasm",
        ])
        .unwrap();
        assert_eq!(cli.wasi_options(), WasiOptions::default());
        assert_eq!(cli.timeout(), None);
        let cli = parse(&[
            "-S",
            "inherit-env,inherit-network=y,allow-ip-name-lookup",
            "-S",
            "tcp=n,udp=no",
            "g.wasm",
        ])
        .unwrap();
        assert_eq!(
            cli.wasi_options(),
            WasiOptions {
                inherit_env: true,
                inherit_network: true,
                ip_name_lookup: true,
                tcp: false,
                udp: false,
            }
        );
        let cli = parse(&["-S", "inherit-env", "-S", "inherit-env=n", "g.wasm"]).unwrap();
        assert!(!cli.wasi_options().inherit_env, "the last wins");
        assert!(parse(&["-S", "http=n", "g.wasm"]).is_ok());
        for bad in ["http", "p3=n", "cli=n", "inherit-env=maybe", "sockets"] {
            let err = parse(&["-S", bad, "g.wasm"]).unwrap_err().to_string();
            assert!(
                err.contains("-S") || err.contains("unknown"),
                "{bad}: {err}"
            );
        }
        assert!(parse(&["-W", "component-model-async=n", "g.wasm"]).is_err());
    }

    #[test]
    fn cache_spellings() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["dfs-run"], args].concat()).unwrap();
        assert_eq!(parse(&["g.wasm"]).cache(), (true, None));
        assert_eq!(parse(&["-C", "cache=n", "g.wasm"]).cache(), (false, None));
        assert_eq!(
            parse(&["-C", "cache-config=/c.toml", "g.wasm"]).cache(),
            (true, Some(Path::new("/c.toml")))
        );
        assert!(Cli::try_parse_from(["dfs-run", "-C", "cache=maybe", "g.wasm"]).is_err());
    }
}
