//! dfs-run's command line: wasmtime run's spellings (`--dir`, `--env`,
//! `-W`, `-S`, `-C`), parsed and checked.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use directfs::{Limits, Perms, PreopenOptions, Revalidation};

/// Run a WASI 0.2 or 0.3 component, or a `wasm32-wasip1` core module, with
/// host directories preopened through directfs.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    after_help = "Example: dfs-run --dir ./sandbox::/data guest.wasm arg1 arg2"
)]
pub(crate) struct Cli {
    /// Preopen host directory HOST as GUEST (default: HOST as written), for
    /// both `directfs:fs` and `wasi:filesystem`. Options after commas:
    /// `readonly` (every change fails: `read-only` in `directfs:fs`,
    /// `not-permitted` in `wasi:filesystem`); how far the cache is trusted:
    /// by default every answer is what a native program would get at that
    /// moment, whoever changes the directory (the kernel tells of changes
    /// on local filesystems; on network, FUSE and overlay filesystems
    /// cached entries are re-checked), `exclusive` (a promise that nothing
    /// but this guest changes the directory: the cache is trusted as it is,
    /// the fastest), `shared` (cached entries are always re-checked before
    /// use: a syscall per path component); `pool` (`directfs:fs`,
    /// `wasi:filesystem` and preview 1 calls make their syscalls on a
    /// blocking thread pool: the guest then runs on an async host, as a
    /// server embedding directfs under tokio would). Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST[,readonly][,exclusive|,shared][,pool]]", value_parser = parse_dir)]
    pub(crate) dirs: Vec<DirArg>,

    /// The most dentries per preopen kept cached (with their host FDs) that
    /// the guest does not hold. 0 caches nothing.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_cached_dentries)]
    pub(crate) max_cached_dentries: usize,

    /// The most dentry and handle resources the guest may hold at once;
    /// past it, calls fail with `too-many-open`.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_open)]
    pub(crate) max_open: usize,

    /// The most advisory lock records (one per range of one kind a handle
    /// holds) the guest may hold at once; past it, `handle.lock` fails with
    /// `no-lock`.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_locks)]
    pub(crate) max_locks: usize,

    /// Who serves the standard `wasi:filesystem` for the `--dir`s:
    /// `directfs` (the same dentry tree as `directfs:fs`), or `wasmtime`
    /// (wasmtime-wasi's own, what the wasmtime CLI's `--dir` does), for
    /// comparison.
    #[arg(long, value_name = "IMPL", value_enum, default_value_t = WasiFs::Directfs)]
    pub(crate) wasi_fs: WasiFs,

    /// At exit, print to stderr how many host syscalls directfs issued and
    /// what its context held (`dfs-run: stats: …`).
    #[arg(long)]
    pub(crate) stats: bool,

    /// Set NAME=VAL in the guest's environment, or pass the host's NAME.
    /// Repeatable.
    #[arg(long = "env", value_name = "NAME[=VAL]", value_parser = parse_env)]
    pub(crate) envs: Vec<EnvArg>,

    /// As `wasmtime run --invoke`: for a core module, call this export
    /// (taking no arguments) instead of `_start`, after `_initialize` if it
    /// exports one (a reactor), and print its results, one per line.
    #[arg(long, value_name = "FUNCTION")]
    pub(crate) invoke: Option<String>,

    /// The guest's first argument, argv0 (default: COMPONENT's file name,
    /// as wasmtime).
    #[arg(long, value_name = "ARG")]
    pub(crate) argv0: Option<String>,

    /// Limits, as `wasmtime run -W`: `timeout=DURATION` (a wall-clock limit:
    /// `500ms`, `2s`, `1m`, or seconds), `max-memory-size=BYTES` (each linear
    /// memory; `K`, `M`, `G` suffixes, powers of 1024),
    /// `max-wasm-stack=BYTES`, `unknown-imports-trap[=y|n]` (a core module's
    /// or component's imports that nothing provides are functions that
    /// trap when called, instead of an error before the start).
    /// Comma-separated or repeated. The component model's features as wasmtime spells them
    /// (`component-model`, `component-model-async` and its `-builtins`,
    /// `-stackful`, `component-model-error-context`) are accepted: dfs-run
    /// turns them on for every component that needs them.
    #[arg(short = 'W', value_name = "KEY=VAL[,KEY=VAL...]", value_parser = parse_wasm_opts)]
    pub(crate) wasm: Vec<Vec<WasmOpt>>,

    /// WASI, as `wasmtime run -S`: `inherit-env` (the guest sees the host's
    /// environment; `--env` still adds and overrides), `inherit-network`
    /// (the guest may use the host's network), `allow-ip-name-lookup`,
    /// `tcp=y|n`, `udp=y|n`, `cwd=PATH` (the guest's initial working
    /// directory, `wasi:cli/environment`'s `initial-cwd`; a guest path, none
    /// by default). `cli`, `p3` and `preview2` are accepted: dfs-run
    /// always provides them. Comma-separated or repeated; a bare KEY is
    /// KEY=y.
    #[arg(short = 'S', value_name = "KEY[=VAL][,KEY[=VAL]...]", value_parser = parse_wasi_opts)]
    pub(crate) wasi: Vec<Vec<WasiOpt>>,

    /// Code generation, as `wasmtime run -C`: `cache=y|n` (default `y`:
    /// compiled code is kept in wasmtime's on-disk cache, as the wasmtime
    /// CLI does), `cache-config=PATH` (a wasmtime cache configuration file).
    #[arg(short = 'C', value_name = "KEY=VAL[,KEY=VAL...]", value_parser = parse_codegen_opts)]
    pub(crate) codegen: Vec<Vec<CodegenOpt>>,

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
    pub(crate) component_and_args: Vec<OsString>,
}

impl Cli {
    /// The program to run.
    pub(crate) fn component(&self) -> &Path {
        self.component_and_args
            .first()
            .map_or(Path::new(""), Path::new)
    }

    /// The guest's arguments after `argv[0]`.
    pub(crate) fn guest_args(&self) -> impl Iterator<Item = String> + '_ {
        self.component_and_args
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
    }

    /// The guest's `argv[0]`: `--argv0`, else the program's file name.
    pub(crate) fn argv0(&self) -> String {
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
    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.wasm.iter().flatten().rev().find_map(|o| match o {
            WasmOpt::Timeout(t) => Some(*t),
            WasmOpt::MaxMemorySize(_)
            | WasmOpt::MaxWasmStack(_)
            | WasmOpt::ComponentModel
            | WasmOpt::UnknownImportsTrap(_) => None,
        })
    }

    /// `-W max-memory-size=`, the last one given.
    pub(crate) fn max_memory_size(&self) -> Option<usize> {
        self.wasm.iter().flatten().rev().find_map(|o| match o {
            WasmOpt::MaxMemorySize(n) => Some(*n),
            WasmOpt::Timeout(_)
            | WasmOpt::MaxWasmStack(_)
            | WasmOpt::ComponentModel
            | WasmOpt::UnknownImportsTrap(_) => None,
        })
    }

    /// `-W max-wasm-stack=`, the last one given (Go's `wasip1` runner
    /// passes it).
    pub(crate) fn max_wasm_stack(&self) -> Option<usize> {
        self.wasm.iter().flatten().rev().find_map(|o| match o {
            WasmOpt::MaxWasmStack(n) => Some(*n),
            WasmOpt::Timeout(_)
            | WasmOpt::MaxMemorySize(_)
            | WasmOpt::ComponentModel
            | WasmOpt::UnknownImportsTrap(_) => None,
        })
    }

    /// `-W unknown-imports-trap`, the last one given (off by default).
    pub(crate) fn unknown_imports_trap(&self) -> bool {
        self.wasm
            .iter()
            .flatten()
            .rev()
            .find_map(|o| match o {
                WasmOpt::UnknownImportsTrap(on) => Some(*on),
                WasmOpt::Timeout(_)
                | WasmOpt::MaxMemorySize(_)
                | WasmOpt::MaxWasmStack(_)
                | WasmOpt::ComponentModel => None,
            })
            .unwrap_or(false)
    }

    /// `-S`: what the guest's WASI context inherits and allows, the last
    /// value of each key winning.
    pub(crate) fn wasi_options(&self) -> WasiOptions {
        let mut options = WasiOptions::default();
        for opt in self.wasi.iter().flatten() {
            match opt.clone() {
                WasiOpt::Provided => {}
                WasiOpt::InheritEnv(on) => options.inherit_env = on,
                WasiOpt::InheritNetwork(on) => options.inherit_network = on,
                WasiOpt::IpNameLookup(on) => options.ip_name_lookup = on,
                WasiOpt::Tcp(on) => options.tcp = on,
                WasiOpt::Udp(on) => options.udp = on,
                WasiOpt::Cwd(cwd) => options.cwd = Some(cwd),
            }
        }
        options
    }

    /// Whether the compilation cache is on (`-C cache=`, default yes), and
    /// its configuration file.
    pub(crate) fn cache(&self) -> (bool, Option<&Path>) {
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
pub(crate) enum WasmOpt {
    Timeout(Duration),
    MaxMemorySize(usize),
    /// The most stack wasm code may use, in bytes.
    MaxWasmStack(usize),
    /// A component-model feature asked for: on wherever a component needs
    /// it already.
    ComponentModel,
    /// `unknown-imports-trap`: imports nothing provides trap when called.
    UnknownImportsTrap(bool),
}

/// One `-S` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WasiOpt {
    /// `cli`, `p3`, `preview2`, `common` (or an interface dfs-run does not
    /// provide, turned off): what dfs-run does anyway.
    Provided,
    InheritEnv(bool),
    InheritNetwork(bool),
    IpNameLookup(bool),
    Tcp(bool),
    Udp(bool),
    /// `cwd=PATH`: the guest's initial working directory.
    Cwd(String),
}

/// What `-S` asks of the guest's WASI context (wasmtime's defaults: no
/// inherited environment or network, TCP and UDP sockets allowed, no
/// initial working directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WasiOptions {
    pub(crate) inherit_env: bool,
    pub(crate) inherit_network: bool,
    pub(crate) ip_name_lookup: bool,
    pub(crate) tcp: bool,
    pub(crate) udp: bool,
    pub(crate) cwd: Option<String>,
}

impl Default for WasiOptions {
    fn default() -> Self {
        Self {
            inherit_env: false,
            inherit_network: false,
            ip_name_lookup: false,
            tcp: true,
            udp: true,
            cwd: None,
        }
    }
}

/// One `-C` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CodegenOpt {
    Cache(bool),
    CacheConfig(PathBuf),
}

/// Parses `KEY=VAL[,KEY=VAL...]` with `one` for each pair.
pub(crate) fn parse_pairs<T>(
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
pub(crate) fn parse_yes_no(flag: char, key: &str, value: &str) -> Result<bool, String> {
    match value {
        "" | "y" | "yes" | "true" => Ok(true),
        "n" | "no" | "false" => Ok(false),
        other => Err(format!("-{flag} {key}={other}: expected y or n")),
    }
}

/// Parses `-W`'s `timeout=DURATION` and `max-memory-size=BYTES`, and the
/// component-model features wasmtime names.
pub(crate) fn parse_wasm_opts(arg: &str) -> Result<Vec<WasmOpt>, String> {
    parse_pairs(arg, |key, value| match key {
        "timeout" => parse_duration(value).map(WasmOpt::Timeout),
        "max-memory-size" => parse_size(value).map(WasmOpt::MaxMemorySize),
        "max-wasm-stack" => parse_size(value).map(WasmOpt::MaxWasmStack),
        "unknown-imports-trap" => parse_yes_no('W', key, value).map(WasmOpt::UnknownImportsTrap),
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
            "unknown -W option {other:?} (known: timeout, max-memory-size, max-wasm-stack, \
             unknown-imports-trap, component-model, component-model-async)"
        )),
    })
}

/// Parses `-S`: what the guest's WASI context inherits and allows, and the
/// interfaces dfs-run always provides (`cli`, `p3`, `preview2`, `common`).
pub(crate) fn parse_wasi_opts(arg: &str) -> Result<Vec<WasiOpt>, String> {
    parse_pairs(arg, |key, value| {
        if key == "cwd" {
            return match value {
                "" => Err("-S cwd=PATH: a path is needed".to_owned()),
                path => Ok(WasiOpt::Cwd(path.to_owned())),
            };
        }
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
                 allow-ip-name-lookup, tcp, udp, cwd, cli, p3, preview2)"
            )),
        }
    })
}

/// Parses `-C`'s `cache=y|n` and `cache-config=PATH`.
pub(crate) fn parse_codegen_opts(arg: &str) -> Result<Vec<CodegenOpt>, String> {
    parse_pairs(arg, |key, value| match key {
        "cache" => parse_yes_no('C', key, value).map(CodegenOpt::Cache),
        "cache-config" if !value.is_empty() => Ok(CodegenOpt::CacheConfig(value.into())),
        other => Err(format!(
            "unknown -C option {other:?} (known: cache=y|n, cache-config=PATH)"
        )),
    })
}

/// `500ms`, `2s`, `1m`, `1h`, `10us`, `10ns`, or a number of seconds.
pub(crate) fn parse_duration(value: &str) -> Result<Duration, String> {
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
pub(crate) fn parse_size(value: &str) -> Result<usize, String> {
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
pub(crate) enum WasiFs {
    /// directfs, from its dentry tree.
    Directfs,
    /// wasmtime-wasi's own implementation.
    Wasmtime,
}

/// One `--dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirArg {
    pub(crate) host: PathBuf,
    pub(crate) guest: String,
    pub(crate) options: PreopenOptions,
}

/// One `--env`: a value, or `None` to pass the host's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvArg {
    pub(crate) name: String,
    pub(crate) value: Option<String>,
}

/// Parses `HOST[::GUEST[,OPTION...]]`. Without `::` the whole text is HOST
/// (commas included) and the guest name is the same text.
pub(crate) fn parse_dir(arg: &str) -> Result<DirArg, String> {
    let mut options = PreopenOptions::from(Perms::ReadWrite);
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
            "readonly" => options.perms = Perms::ReadOnly,
            "shared" => options.revalidation = Revalidation::Shared,
            "exclusive" => options.revalidation = Revalidation::Exclusive,
            "coherent" => options.revalidation = Revalidation::Coherent,
            "pool" => options.blocking = directfs::Blocking::Pool,
            other => {
                return Err(format!(
                    "unknown --dir option {other:?} (known: readonly, exclusive, shared, coherent, pool)"
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
pub(crate) fn parse_env(arg: &str) -> Result<EnvArg, String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    pub(crate) fn dir_spellings() {
        let opts = |perms, revalidation| PreopenOptions {
            perms,
            revalidation,
            blocking: directfs::Blocking::Inline,
        };
        let rw = |h: &str, g: &str| DirArg {
            host: h.into(),
            guest: g.into(),
            options: opts(Perms::ReadWrite, Revalidation::Coherent),
        };
        assert_eq!(parse_dir("/tmp/x"), Ok(rw("/tmp/x", "/tmp/x")));
        assert_eq!(parse_dir("./sb::/data"), Ok(rw("./sb", "/data")));
        assert_eq!(parse_dir("a,b"), Ok(rw("a,b", "a,b")));
        assert_eq!(
            parse_dir("sb::/data,readonly"),
            Ok(DirArg {
                host: "sb".into(),
                guest: "/data".into(),
                options: opts(Perms::ReadOnly, Revalidation::Coherent)
            })
        );
        assert_eq!(
            parse_dir("sb::/data,shared,readonly").map(|d| d.options),
            Ok(opts(Perms::ReadOnly, Revalidation::Shared))
        );
        assert_eq!(
            parse_dir("sb::/data,exclusive").map(|d| d.options),
            Ok(opts(Perms::ReadWrite, Revalidation::Exclusive))
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
    pub(crate) fn env_spellings() {
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
    pub(crate) fn trailing_args_go_to_the_guest() {
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
    pub(crate) fn argv0_is_the_file_name_or_given() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["dfs-run"], args].concat()).unwrap();
        assert_eq!(parse(&["/some/where/rg.wasm"]).argv0(), "rg.wasm");
        assert_eq!(parse(&["--argv0", "rg", "/x/rg.wasm"]).argv0(), "rg");
    }

    #[test]
    pub(crate) fn limit_spellings() {
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
    pub(crate) fn wasi_and_component_model_spellings() {
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
            "-Scwd=/sandbox",
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
                cwd: Some("/sandbox".to_owned()),
            }
        );
        let cli = parse(&["-S", "inherit-env", "-S", "inherit-env=n", "g.wasm"]).unwrap();
        assert!(!cli.wasi_options().inherit_env, "the last wins");
        assert!(parse(&["-S", "http=n", "g.wasm"]).is_ok());
        for bad in [
            "http",
            "p3=n",
            "cli=n",
            "inherit-env=maybe",
            "sockets",
            "cwd",
        ] {
            let err = parse(&["-S", bad, "g.wasm"]).unwrap_err().to_string();
            assert!(
                err.contains("-S") || err.contains("unknown"),
                "{bad}: {err}"
            );
        }
        assert!(parse(&["-W", "component-model-async=n", "g.wasm"]).is_err());
    }

    #[test]
    pub(crate) fn cache_spellings() {
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
