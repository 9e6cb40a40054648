//! The host-changes runs (`tests/coherent.rs`, `tests/volume.rs`): the
//! host changes a preopen between a guest's looks, the guest prints what it
//! sees after each change, and the output and the tree afterwards are
//! compared with wasmtime-wasi's.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use super::{guest, host_tree};

/// The host's change before the guest's look number `step` (1-based).
pub fn host_change(step: usize, dir: &Path) {
    let p = |rel: &str| dir.join(rel);
    match step {
        1 => {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(p("f"))
                .unwrap();
            f.write_all(b"++appended").unwrap();
        }
        2 => std::fs::OpenOptions::new()
            .write(true)
            .open(p("f"))
            .unwrap()
            .set_len(2)
            .unwrap(),
        3 => std::fs::File::options()
            .write(true)
            .open(p("f"))
            .unwrap()
            .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000))
            .unwrap(),
        4 => {
            std::fs::write(p("f.tmp"), b"replaced by rename").unwrap();
            std::fs::rename(p("f.tmp"), p("f")).unwrap();
        }
        5 => std::fs::write(p("g"), b"created by the host").unwrap(),
        6 => std::fs::remove_file(p("h")).unwrap(),
        7 => {
            std::fs::rename(p("d"), p("e")).unwrap();
            std::fs::create_dir(p("d")).unwrap();
            std::fs::write(p("d/x"), b"in the new d").unwrap();
        }
        8 => {
            std::fs::remove_dir_all(p("d")).unwrap();
            std::os::unix::fs::symlink("e", p("d")).unwrap();
        }
        9 => {
            std::fs::remove_file(p("e/x")).unwrap();
            std::fs::write(p("e/x"), b"re-created").unwrap();
        }
        _ => unreachable!(),
    }
}

pub const STEPS: usize = 9;

/// The host-changes guests' fixture, made in `tmp`: `s/f`, `s/h`, `s/d/x`.
pub fn host_changes_fixture(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("s");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("f"), b"old").unwrap();
    std::fs::write(dir.join("h"), b"doomed").unwrap();
    std::fs::create_dir(dir.join("d")).unwrap();
    std::fs::write(dir.join("d/x"), b"in d").unwrap();
    dir
}

/// How a host-changes guest learns that the host's change is made.
#[derive(Clone, Copy)]
pub enum Told {
    /// A line on stdin (`coherent_host_changes`, WASI 0.2: it asks for one
    /// more after the last change, and gets end of file).
    Stdin,
    /// A marker file `go-N` the host makes after change `N`
    /// (`coherent_p3_host_changes`, WASI 0.3, told the number of steps).
    Marker,
}

/// Runs the host-changes guest `name` (told as `told` says: the WASI 0.2
/// `coherent_host_changes` by stdin, the WASI 0.3 `coherent_p3_host_changes`
/// by markers) with `args` before it, making the
/// host's changes between its looks: its output (without the `ready`
/// lines) and the host's tree afterwards (markers removed).
pub fn around_host_changes_told(
    told: Told,
    name: &str,
    args: &[&str],
    options: &str,
) -> (Vec<String>, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    around_host_changes_in(told, name, args, options, &Views::one(tmp.path()))
}

/// Where a host-changes run makes its fixture: the guest's view of it
/// and the host's, which differ on a distributed volume (two mounts of it:
/// two hosts).
pub struct Views {
    /// The directory the guest preopens (on host A).
    pub guest: PathBuf,
    /// The same directory where the host's changes are made (on host B).
    pub host: PathBuf,
    /// How long a change takes to show on the guest's side (the volume's
    /// cache timeouts); zero on one host.
    pub settle: Duration,
}

impl Views {
    /// One host: the guest's view and the host's are one directory.
    pub fn one(dir: &Path) -> Self {
        Views {
            guest: dir.to_path_buf(),
            host: dir.to_path_buf(),
            settle: Duration::ZERO,
        }
    }
}

/// [`around_host_changes_told`] with the fixture made in `views.host`,
/// the guest's `--dir` its `views.guest`, and `views.settle` waited after
/// each change before the guest is told; the tree is read on the host's
/// side.
pub fn around_host_changes_in(
    told: Told,
    name: &str,
    args: &[&str],
    options: &str,
    views: &Views,
) -> (Vec<String>, Vec<String>) {
    around_host_changes_with_env(told, name, args, options, views, &[])
}

/// [`around_host_changes_in`] with `env` set for `dfs-run`.
pub fn around_host_changes_with_env(
    told: Told,
    name: &str,
    args: &[&str],
    options: &str,
    views: &Views,
    env: &[(&str, &str)],
) -> (Vec<String>, Vec<String>) {
    let dir = host_changes_fixture(&views.host);
    let guest_dir = views.guest.join("s");
    let mut command = Command::new(env!("CARGO_BIN_EXE_dfs-run"));
    command
        .envs(env.iter().copied())
        .args(args)
        .arg("--dir")
        .arg(format!("{}::/s{options}", guest_dir.display()))
        .stdout(Stdio::piped());
    match told {
        Told::Stdin => command.arg(guest(name)).stdin(Stdio::piped()),
        Told::Marker => command.arg(guest(name)).arg(STEPS.to_string()),
    };
    let mut child = command.spawn().unwrap();
    let stdin = child.stdin.take();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let out = drive(told, lines, stdin, &dir, views.settle);
    assert!(
        child.wait().unwrap().success(),
        "{args:?} {options}: {out:#?}"
    );
    (out, host_tree(&dir))
}

/// Runs `coherent_host_changes` as an embedder does: in a store made in
/// this process (on a thread of its own), its `/s` a mount of a
/// [`directfs::Filesystem`] with `revalidation`, its stdin and stdout OS
/// pipes; and makes the host's changes in `views.host` between its looks.
/// Returns what [`around_host_changes_in`] does.
///
/// The `Filesystem` is shared: a first store on it walks to `d/x` and
/// stats it (so the tree has cached them) before the host-changes guest
/// starts in a second one.
pub fn around_host_changes_embedded(
    revalidation: directfs::Revalidation,
    views: &Views,
) -> (Vec<String>, Vec<String>) {
    use std::os::fd::OwnedFd;
    use wasmtime::component::{Component, ResourceTable};
    use wasmtime::{Config, Engine, Store};
    use wasmtime_wasi::cli::{InputFile, OutputFile};
    use wasmtime_wasi::p2::bindings::sync::Command;

    let dir = host_changes_fixture(&views.host);
    let fs = directfs::Filesystem::new();
    let mount = fs.mount(views.guest.join("s"), revalidation).unwrap();
    let engine = Engine::new(&Config::new()).unwrap();
    let linker = super::sync_linker(&engine);
    // Runs `name` with stdio `stdin`/`stdout` in a new store on the mount.
    let run = move |name: &str, args: &[&str], stdin: InputFile, stdout: OutputFile| {
        let component = Component::from_file(&engine, guest(name)).unwrap();
        let host = super::Host {
            wasi: wasmtime_wasi::WasiCtx::builder()
                .arg(name)
                .args(args)
                .stdin(stdin)
                .stdout(stdout)
                .build(),
            directfs: directfs::DirectfsCtx::builder()
                .mount(&mount, "/s", directfs::Perms::ReadWrite)
                .unwrap()
                .build(),
            table: ResourceTable::new(),
        };
        let mut store = Store::new(&engine, host);
        let command = Command::instantiate(&mut store, &component, &linker).unwrap();
        let result = command.wasi_cli_run().call_run(&mut store);
        // Dropping the store closes its end of the pipes.
        drop(store);
        result
    };
    let pipes = || {
        let (reader, writer) = std::io::pipe().unwrap();
        (
            std::fs::File::from(OwnedFd::from(reader)),
            std::fs::File::from(OwnedFd::from(writer)),
        )
    };
    let (stdout_r, stdout_w) = pipes();
    let (stdin_r, stdin_w) = pipes();
    let guest = std::thread::spawn(move || {
        // The first store walks to `d/x` and stats it: the tree has cached
        // `d` and `x` before the host-changes guest starts.
        let null = || std::fs::File::options().write(true).open("/dev/null");
        let warmed = run(
            "bench_walk",
            &["d/x", "1", "10"],
            InputFile::new(null().unwrap()),
            OutputFile::new(null().unwrap()),
        );
        assert!(matches!(warmed, Ok(Ok(()))), "{warmed:?}");
        run(
            "coherent_host_changes",
            &[],
            InputFile::new(stdin_r),
            OutputFile::new(stdout_w),
        )
    });
    let lines = BufReader::new(stdout_r).lines();
    let out = drive(Told::Stdin, lines, Some(stdin_w), &dir, views.settle);
    let result = guest.join().unwrap();
    assert!(
        matches!(result, Ok(Ok(()))),
        "{revalidation:?}: {result:?} {out:#?}"
    );
    (out, host_tree(&dir))
}

/// Tells a host-changes guest, whose output is `lines`, each change made
/// in `dir` (after `settle`): returns its output without the `ready`
/// lines, and checks that it looked after every change.
fn drive(
    told: Told,
    lines: impl Iterator<Item = std::io::Result<String>>,
    stdin: Option<impl Write>,
    dir: &Path,
    settle: Duration,
) -> Vec<String> {
    drive_steps(told, lines, stdin, dir, STEPS, |step| {
        host_change(step, dir);
        std::thread::sleep(settle);
    })
}

/// [`drive`] with `steps` changes, each made by `change` (given its
/// number, from 1) before the guest is told of it.
pub fn drive_steps(
    told: Told,
    mut lines: impl Iterator<Item = std::io::Result<String>>,
    mut stdin: Option<impl Write>,
    dir: &Path,
    steps: usize,
    mut change: impl FnMut(usize),
) -> Vec<String> {
    let mut out = Vec::new();
    let mut readies = 0;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line != "ready" {
            out.push(line);
            continue;
        }
        readies += 1;
        if readies > steps {
            break;
        }
        change(readies);
        match (&mut stdin, told) {
            (Some(stdin), Told::Stdin) => stdin.write_all(b"go\n").unwrap(),
            _ => std::fs::write(dir.join(format!("go-{readies}")), b"").unwrap(),
        }
    }
    drop(stdin);
    out.extend(lines.map(Result::unwrap));
    let asked = match told {
        Told::Stdin => steps + 1,
        Told::Marker => steps,
    };
    assert_eq!(readies, asked, "the guest looked after every change");
    if let Told::Marker = told {
        for step in 1..=steps {
            std::fs::remove_file(dir.join(format!("go-{step}"))).unwrap();
        }
    }
    out
}

/// Checks a host-changes run (`got`, `tree`: its output and the host's
/// tree afterwards) against wasmtime-wasi's (`want`, `want_tree`): equal,
/// or a failure naming `label` and the first line that differs.
pub fn assert_same_run(
    label: &str,
    (want, want_tree): (&[String], &[String]),
    (got, tree): (&[String], &[String]),
) {
    assert!(got == want, "{label}: {}", first_difference(want, got));
    assert_eq!(tree, want_tree, "{label}: the host's tree afterwards");
}

/// The first line where `got` differs from `want`, for the failure message.
fn first_difference(want: &[String], got: &[String]) -> String {
    let at = want.iter().zip(got).position(|(w, g)| w != g);
    match at {
        Some(i) => format!(
            "line {i}: wasmtime-wasi {:?}, directfs {:?}; the lines before \
             (the calls, and the host's changes between them):\n{}",
            want[i],
            got[i],
            want[i.saturating_sub(12)..i].join("\n")
        ),
        None => format!("lengths {} and {}", want.len(), got.len()),
    }
}

/// The names a host change makes: the hostile guests' own (`a`, `d`, `l`,
/// `ld`, `loop`, `n0`…), so the guest's calls meet them.
const CHANGED_NAMES: &[&str] = &[
    "a", "b", "d", "e", "f", "l", "ld", "x", "loop", "n0", "n1", "canary",
];

/// xorshift64, for the host's changes: the same changes for the same seed
/// (and the same tree).
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, of: &'a [T]) -> Option<&'a T> {
        (!of.is_empty()).then(|| &of[self.below(of.len())])
    }
}

/// Every path under `dir` (not following symlinks), sorted.
fn paths_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                stack.push(path.clone());
            }
            out.push(path);
        }
    }
    out.sort();
    out
}

/// One random change of the tree under `dir`, as another process makes
/// it: a file appended to, truncated, or replaced by a rename over it; a
/// name created, unlinked, renamed (over another), hard-linked; a
/// directory made, removed with all it holds, renamed and replaced by a
/// new one, or replaced by a symlink; a symlink made (out of the tree too,
/// by a relative or an absolute target).
/// Returns what it did (or tried: a change the tree does not allow, such
/// as a rename over a non-empty directory, fails and changes nothing).
fn random_host_change(rng: &mut Xorshift, dir: &Path) -> String {
    let all = paths_under(dir);
    let is_dir = |p: &&PathBuf| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
    let files: Vec<_> = all
        .iter()
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
        .cloned()
        .collect();
    let dirs: Vec<_> = all.iter().filter(is_dir).cloned().collect();
    let not_dirs: Vec<_> = all.iter().filter(|p| !is_dir(p)).cloned().collect();
    let mut parents = vec![dir.to_path_buf()];
    parents.extend(dirs.iter().cloned());
    let kind = rng.below(12);
    let new = rng
        .pick(&parents)
        .unwrap()
        .join(rng.pick(CHANGED_NAMES).unwrap());
    let pool = match kind {
        0 | 1 | 9 => &files,
        6 | 7 | 11 => &dirs,
        3 | 10 => &not_dirs,
        _ => &all,
    };
    let Some(target) = rng.pick(pool).cloned() else {
        return format!("{kind}: nothing to change");
    };
    let result = match kind {
        0 => std::fs::OpenOptions::new()
            .append(true)
            .open(&target)
            .and_then(|mut f| f.write_all(&b"host".repeat(1 + rng.below(50)))),
        1 => std::fs::OpenOptions::new()
            .write(true)
            .open(&target)
            .and_then(|f| f.set_len(rng.below(10) as u64)),
        2 => std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&new)
            .and_then(|mut f| f.write_all(b"new")),
        3 => std::fs::remove_file(&target),
        4 => std::fs::rename(&target, &new),
        5 => std::fs::create_dir(&new),
        6 => std::fs::remove_dir_all(&target),
        7 => {
            let to = rng.pick(&["a", "d", "..", "../outside", "/", "loop", "d/"]);
            std::fs::rename(&target, target.with_extension("old"))
                .and_then(|()| std::os::unix::fs::symlink(to.unwrap(), &target))
        }
        8 => {
            let mut to: Vec<PathBuf> = ["a", "d", "../outside", "../../outside", "loop", "d/"]
                .map(PathBuf::from)
                .into();
            to.push(dir.parent().unwrap().join("outside"));
            std::os::unix::fs::symlink(rng.pick(&to).unwrap(), &new)
        }
        9 => std::fs::hard_link(&target, &new),
        10 => {
            let tmp = target.with_file_name(".tmp");
            std::fs::write(&tmp, b"replaced").and_then(|()| std::fs::rename(&tmp, &target))
        }
        _ => std::fs::rename(&target, target.with_extension("moved"))
            .and_then(|()| std::fs::create_dir(&target))
            .and_then(|()| std::fs::write(target.join("a"), b"fresh")),
    };
    let rel = |p: &Path| p.strip_prefix(dir).unwrap().display().to_string();
    format!("{kind} {} {}: {result:?}", rel(&target), rel(&new))
}

/// Runs the hostile program `program` ([`hostile_around_host_changes`],
/// 3,000 calls) for each `(seed, every)` of `runs`: under wasmtime-wasi,
/// which caches nothing, then under directfs in the default mode, on a
/// pool mount, in `shared` and with a cache of 2 dentries, each of which
/// must answer every call as wasmtime-wasi did and leave the same tree; and
/// in `exclusive`, which must differ in one run at least (it trusts what
/// it cached: so the changes are shown to reach what the calls depend on).
pub fn assert_hostile_host_changes_as_wasmtime(program: &Path, runs: &[(u64, u64)]) {
    let name = program.file_stem().unwrap().to_string_lossy();
    let mut exclusive_missed = false;
    for &(seed, every) in runs {
        let run = |args: &[&str], options: &str| {
            hostile_around_host_changes(program, (seed, 3000, every), args, options)
        };
        let (want, want_tree) = run(&["--wasi-fs", "wasmtime"], "");
        let calls = want.iter().filter(|l| !l.starts_with("host: ")).count();
        assert_eq!(calls, 3001, "{name} seed {seed}");
        for (args, options) in [
            (&[][..], ""),
            (&[][..], ",pool"),
            (&[][..], ",shared"),
            (&["--max-cached-dentries", "2"][..], ""),
        ] {
            let (got, tree) = run(args, options);
            let label = format!("{name} seed {seed} {args:?}{options}");
            assert_same_run(&label, (&want, &want_tree), (&got, &tree));
        }
        exclusive_missed |= run(&[], ",exclusive") != (want, want_tree);
    }
    assert!(
        exclusive_missed,
        "{name}: exclusive mode saw every change: the fixture tests nothing"
    );
}

/// Runs a hostile program (`program`: `c_hostile`, `wasi_hostile`,
/// `p3_hostile`) traced, `calls` calls from `seed`, with `HOSTSYNC=every`:
/// before every `every`th call the host makes 1 to 3 random changes of the
/// sandbox ([`random_host_change`], from `seed`), the same at the same
/// calls under every runtime. `args` go before the preopens (`--wasi-fs
/// wasmtime`), `options` after the sandbox's. Returns the trace (each
/// call's result, and a line `host: …` for each change, where it was made)
/// and the host's tree afterwards.
pub fn hostile_around_host_changes(
    program: &Path,
    (seed, calls, every): (u64, u64, u64),
    args: &[&str],
    options: &str,
) -> (Vec<String>, Vec<String>) {
    let fx = super::Fixture::new();
    fx.hostile_tree();
    fx.escapes();
    let ro = tempfile::tempdir().unwrap();
    std::fs::write(ro.path().join("f"), b"ro\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .args(args)
        .args(["--env", "TRACE=1", "--env", &format!("HOSTSYNC={every}")])
        .arg("--dir")
        .arg(format!("{}::/sandbox{options}", fx.sandbox.display()))
        .arg("--dir")
        .arg(format!("{}::/ro,readonly", ro.path().display()))
        .arg(program)
        .args([seed.to_string(), calls.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut rng = Xorshift(seed.max(1));
    let mut out = Vec::new();
    let mut changes = 0;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.starts_with("sync ") {
            // What the host did, in the trace: a run that parts from
            // wasmtime-wasi's shows the changes before the call.
            for _ in 0..1 + rng.below(3) {
                out.push(format!(
                    "host: {}",
                    random_host_change(&mut rng, &fx.sandbox)
                ));
                changes += 1;
            }
            stdin.write_all(b"x").unwrap();
            stdin.flush().unwrap();
        } else {
            out.push(line);
        }
    }
    drop(stdin);
    assert!(child.wait().unwrap().success(), "{args:?} {options}");
    assert!(changes as u64 >= calls / every, "the host changed the tree");
    fx.assert_outside_untouched();
    assert_eq!(super::host_names(ro.path()), ["f"]);
    (out, host_tree(&fx.sandbox))
}
