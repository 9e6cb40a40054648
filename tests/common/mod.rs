//! The harness of the integration tests: builds the guest programs once per
//! test binary (`scripts/build-guests.sh`, which sets up the wasm32-wasip2
//! toolchain if needed), runs them with the real `dfs-run`, and gives tests
//! sandboxes with a watched "outside" next to them.

#![allow(dead_code, reason = "each test binary uses part of the harness")]

pub mod cpython;
pub mod host_changes;
pub mod locks;
pub mod p1;
pub mod wasi;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Runs `scripts/NAME` (a script that builds or fetches what tests run,
/// installing what it needs) and returns the directory it prints last.
pub fn script_dir(name: &str) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name);
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .unwrap_or_else(|err| panic!("run {name}: {err}"));
    assert!(
        out.status.success(),
        "{name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 path");
    PathBuf::from(
        stdout
            .lines()
            .last()
            .unwrap_or_else(|| panic!("{name} prints the output dir")),
    )
}

/// The directory holding the built guest components.
pub fn guests_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| script_dir("build-guests.sh"))
}

/// The component of guest program `name`.
pub fn guest(name: &str) -> PathBuf {
    let path = guests_dir().join(format!("{name}.wasm"));
    assert!(path.exists(), "no guest {name} at {}", path.display());
    path
}

/// What one `dfs-run` printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Fails the test, showing the guest's output, unless it exited 0.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "guest failed:\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// The value of `key=` in `dfs-run --stats`'s line.
    #[track_caller]
    pub fn stat(&self, key: &str) -> u64 {
        let line = self
            .stderr
            .lines()
            .find(|l| l.starts_with("dfs-run: stats:"))
            .unwrap_or_else(|| panic!("no stats line:\n{}", self.stderr));
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in {line}"))
            .parse()
            .unwrap()
    }
}

/// Runs `dfs-run ARGS...`.
pub fn dfs_run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .args(args)
        .output()
        .expect("spawn dfs-run");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs guest `name` with `sandbox` preopened as `/sandbox` (plus `options`
/// after a comma, e.g. `readonly`).
pub fn run_in(name: &str, sandbox: &Path, options: &str) -> Run {
    let mut dir = format!("{}::/sandbox", sandbox.display());
    if !options.is_empty() {
        dir = format!("{dir},{options}");
    }
    dfs_run(["--dir".into(), dir.into(), guest(name).into_os_string()])
}

/// Runs `test` once per way dfs-run can host a guest's directfs calls,
/// with the `--dir` option that selects it: `""` (a sync host, every call
/// inline), then `"pool"` (an async host, the calls on tokio's blocking
/// pool).
pub fn each_host(mut test: impl FnMut(&str)) {
    for host in ["", "pool"] {
        eprintln!(
            "--- host: {:?}",
            if host.is_empty() { "inline" } else { host }
        );
        test(host);
    }
}

/// `,options` (nothing for none): to append to a `--dir` spec.
pub fn comma(options: &str) -> String {
    match options {
        "" => String::new(),
        options => format!(",{options}"),
    }
}

/// A temp dir holding `sandbox/` (the preopen) and `outside/` (with a canary
/// file), whose state [`Fixture::assert_outside_untouched`] checks.
pub struct Fixture {
    _tmp: tempfile::TempDir,
    pub sandbox: PathBuf,
    pub outside: PathBuf,
    before: Vec<Snapshot>,
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    path: PathBuf,
    content: Option<Vec<u8>>,
    mode: u32,
    nlink: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Fixture {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let sandbox = tmp.path().join("sandbox");
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&sandbox).unwrap();
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("canary"), b"do not touch").unwrap();
        std::fs::create_dir(outside.join("canary-dir")).unwrap();
        let mut fixture = Self {
            _tmp: tmp,
            sandbox,
            outside,
            before: Vec::new(),
        };
        fixture.before = fixture.snapshot();
        fixture
    }

    /// A path in the sandbox.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.sandbox.join(rel)
    }

    /// The hostile guests' tree: files `a`, `b`, directories `d/e`,
    /// symlinks `l` → `a`, `ld` → `d`, `loop` → itself.
    pub fn hostile_tree(&self) {
        std::fs::create_dir_all(self.path("d/e")).unwrap();
        std::fs::write(self.path("a"), b"a").unwrap();
        std::fs::write(self.path("b"), b"b").unwrap();
        for (target, link) in [("a", "l"), ("d", "ld"), ("loop", "loop")] {
            std::os::unix::fs::symlink(target, self.path(link)).unwrap();
        }
    }

    /// The ways out a guest may try: symlinks `up` → `../outside` and
    /// `out` → the outside directory.
    pub fn escapes(&self) {
        std::os::unix::fs::symlink("../outside", self.path("up")).unwrap();
        std::os::unix::fs::symlink(&self.outside, self.path("out")).unwrap();
    }

    fn snapshot(&self) -> Vec<Snapshot> {
        let parent = self.sandbox.parent().unwrap();
        let mut paths = vec![parent.to_path_buf(), self.outside.clone()];
        for dir in [parent, &self.outside] {
            let mut names: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            names.sort();
            paths.extend(names.into_iter().filter(|p| p != &self.sandbox));
        }
        paths
            .into_iter()
            .map(|path| {
                let m = std::fs::symlink_metadata(&path).unwrap();
                Snapshot {
                    content: m.is_file().then(|| std::fs::read(&path).unwrap()),
                    mode: m.mode(),
                    nlink: m.nlink(),
                    mtime: (m.mtime(), m.mtime_nsec()),
                    ctime: (m.ctime(), m.ctime_nsec()),
                    path,
                }
            })
            .collect()
    }

    /// Nothing next to the sandbox was created, removed or changed: names,
    /// content, mode, nlink, mtime, ctime.
    #[track_caller]
    pub fn assert_outside_untouched(&self) {
        assert_eq!(
            self.snapshot(),
            self.before,
            "something outside the sandbox changed"
        );
    }
}

/// Every file under `dir` (not following symlinks), sorted: relative path,
/// type, permission bits, link count, owner, a modification time a guest
/// or test set (one before 2017: no run happens then, to the nanosecond),
/// and content (its length and a hash of every byte) or symlink target
/// (with `dir`'s parent, the fixture's own temp path, as `<tmp>`). What
/// every differential test compares.
pub fn host_tree(dir: &Path) -> Vec<String> {
    use std::hash::{Hash, Hasher};
    let tmp = dir.parent().unwrap().display().to_string();
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let m = std::fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            let what = if m.is_dir() {
                stack.push(path.clone());
                "dir".to_string()
            } else if m.is_symlink() {
                let target = std::fs::read_link(&path).unwrap().display().to_string();
                format!("-> {}", target.replace(&tmp, "<tmp>"))
            } else {
                let data = std::fs::read(&path).unwrap();
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                data.hash(&mut hasher);
                format!("{} bytes {:016x}", data.len(), hasher.finish())
            };
            let mtime = (m.mtime() < 1_500_000_000).then(|| (m.mtime(), m.mtime_nsec()));
            out.push(format!(
                "{rel} {:o} nlink={} owner={}:{} mtime={mtime:?} {what}",
                m.mode() & 0o7777,
                m.nlink(),
                m.uid(),
                m.gid()
            ));
        }
    }
    out.sort();
    out
}

/// Checks that each of `lines` is a whole line of `out` (a guest's output).
#[track_caller]
pub fn assert_lines(out: &str, lines: &[&str]) {
    for line in lines {
        assert!(out.lines().any(|l| l == *line), "no {line:?} in:\n{out}");
    }
}

/// Sorted names in a host directory.
pub fn host_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// The test process's umask (which `dfs-run` inherits), from /proc.
pub fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("Umask:"))
        .expect("Umask in /proc/self/status");
    u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
}

/// Permission bits of a host path (not following symlinks).
pub fn mode_of(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

/// A store's data for tests that embed directfs through the library:
/// wasmtime-wasi's context and directfs's, sharing one resource table (as
/// `examples/embed.rs`).
pub struct Host {
    pub wasi: wasmtime_wasi::WasiCtx,
    pub directfs: directfs::DirectfsCtx,
    pub table: wasmtime::component::ResourceTable,
}

/// A linker for [`Host`] stores on a sync host, in the documented order:
/// wasmtime-wasi, then directfs's `directfs:fs` and `wasi:filesystem`.
pub fn sync_linker(engine: &wasmtime::Engine) -> wasmtime::component::Linker<Host> {
    let mut linker = wasmtime::component::Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    directfs::add_to_linker(&mut linker).unwrap();
    directfs::wasi::add_to_linker(&mut linker).unwrap();
    linker
}

impl wasmtime_wasi::WasiView for Host {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl directfs::DirectfsView for Host {
    fn directfs(&mut self) -> directfs::DirectfsCtxView<'_> {
        directfs::DirectfsCtxView {
            ctx: &mut self.directfs,
            table: &mut self.table,
        }
    }
}

/// A task ticking every millisecond on the current tokio runtime, which
/// notes how long it waited for each tick: how often, and how late, the
/// executor gave it a turn. Missed ticks are `Delay`ed, not made up by a
/// burst, so each tick is a real turn.
pub struct Ticker {
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ticks: std::sync::Arc<std::sync::atomic::AtomicU32>,
    task: tokio::task::JoinHandle<Vec<std::time::Duration>>,
}

impl Ticker {
    /// Starts the task (it runs at the executor's next turn).
    pub fn start() -> Self {
        use std::sync::atomic::Ordering;
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let task = tokio::spawn({
            let (done, ticks) = (done.clone(), ticks.clone());
            async move {
                let mut interval = tokio::time::interval(std::time::Duration::from_millis(1));
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let (mut gaps, mut last) = (Vec::new(), std::time::Instant::now());
                while !done.load(Ordering::Relaxed) {
                    interval.tick().await;
                    gaps.push(last.elapsed());
                    last = std::time::Instant::now();
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
                gaps
            }
        });
        Ticker { done, ticks, task }
    }

    /// Ticks so far.
    pub fn ticks(&self) -> u32 {
        self.ticks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops the task: each wait between two ticks, in order.
    pub async fn stop(self) -> Vec<std::time::Duration> {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        self.task.await.unwrap()
    }
}

/// One run of hostile guest `name` with `seed`: 20,000 random calls, its
/// sandbox preopened as `/sandbox` with `options` (`""`, `",shared"`, …) and
/// a read-only `/ro` beside it, `--max-open 64`, a cache of `cached`
/// dentries where given, under `wasi_fs` (`--wasi-fs`) where given. Every
/// call returns: the guest runs to its end; nothing outside the sandbox or
/// in the read-only preopen changes; directfs's host FDs stay within
/// `--max-open` (and its own few).
pub fn run_hostile(
    name: &str,
    seed: &str,
    wasi_fs: Option<&str>,
    options: &str,
    cached: Option<&str>,
) {
    let fx = Fixture::new();
    fx.hostile_tree();
    fx.escapes();
    let ro = tempfile::tempdir().unwrap();
    std::fs::write(ro.path().join("f"), b"ro\n").unwrap();
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    if let Some(wasi_fs) = wasi_fs {
        args.extend(["--wasi-fs".into(), wasi_fs.into()]);
    }
    args.extend([
        "--stats".into(),
        "--max-open".into(),
        "64".into(),
        // A hang detector, with room for a loaded machine.
        "-W".into(),
        "timeout=300s".into(),
    ]);
    if let Some(cached) = cached {
        args.extend(["--max-cached-dentries".into(), cached.into()]);
    }
    args.extend([
        "--dir".into(),
        format!("{}::/sandbox{options}", fx.sandbox.display()).into(),
        "--dir".into(),
        format!("{}::/ro,readonly", ro.path().display()).into(),
        guest(name).into_os_string(),
        seed.into(),
        "20000".into(),
    ]);
    let run = dfs_run(args);
    let what = format!("{name}, seed {seed}, {wasi_fs:?}{options}, cache {cached:?}");
    assert_eq!(run.code, Some(0), "{what}: {run:?}");
    assert!(
        run.stdout.starts_with("calls 20000, succeeded "),
        "{what}: {run:?}"
    );
    if wasi_fs != Some("wasmtime") {
        assert!(
            run.stat("peak_host_fds") <= 66,
            "{what}: peak_host_fds {}",
            run.stat("peak_host_fds")
        );
    }
    fx.assert_outside_untouched();
    assert_eq!(host_names(ro.path()), ["f"]);
    assert_eq!(std::fs::read(ro.path().join("f")).unwrap(), b"ro\n");
}

/// A program to run with `dfs-run`: its path, the flags before it, the
/// arguments after it.
pub struct Program<'a> {
    pub path: PathBuf,
    pub flags: &'a [&'a str],
    pub args: &'a [&'a str],
}

/// One run of a program: its fixture (sandbox + watched outside), its
/// read-only preopen, what it printed.
pub struct Side {
    pub fx: Fixture,
    pub _ro_tmp: tempfile::TempDir,
    pub ro: PathBuf,
    pub run: Run,
}

/// Runs `program` with `/sandbox` (read-write, with `options`; holding what
/// `setup` puts there and the escape symlinks every guest meets, `out` →
/// the outside and `up` → `../outside`) and `/ro` (read-only, with
/// `ro_options`, holding `f`), under `wasi_fs` (`--wasi-fs`).
pub fn run_program(
    program: &Program<'_>,
    wasi_fs: &str,
    options: &str,
    ro_options: &str,
    setup: fn(&Fixture),
) -> Side {
    let fx = Fixture::new();
    setup(&fx);
    std::os::unix::fs::symlink(&fx.outside, fx.path("out")).unwrap();
    std::os::unix::fs::symlink("../outside", fx.path("up")).unwrap();
    let ro_tmp = tempfile::tempdir().unwrap();
    let ro = ro_tmp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("f"), b"ro\n").unwrap();
    let mut argv: Vec<std::ffi::OsString> = vec!["--wasi-fs".into(), wasi_fs.into()];
    argv.extend(program.flags.iter().map(Into::into));
    argv.extend([
        "--dir".into(),
        format!("{}::/sandbox{options}", fx.sandbox.display()).into(),
        "--dir".into(),
        format!("{}::/ro,readonly{ro_options}", ro.display()).into(),
        program.path.clone().into_os_string(),
    ]);
    argv.extend(program.args.iter().map(Into::into));
    let run = dfs_run(argv);
    Side {
        fx,
        _ro_tmp: ro_tmp,
        ro,
        run,
    }
}
