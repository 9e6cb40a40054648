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
    let dir = host_changes_fixture(&views.host);
    let guest_dir = views.guest.join("s");
    let mut command = Command::new(env!("CARGO_BIN_EXE_dfs-run"));
    command
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
    assert!(
        got == want,
        "{label}: {}\n{got:#?}",
        first_difference(want, got)
    );
    assert_eq!(tree, want_tree, "{label}: the host's tree afterwards");
}

/// The first line where `got` differs from `want`, for the failure message.
fn first_difference(want: &[String], got: &[String]) -> String {
    let at = want.iter().zip(got).position(|(w, g)| w != g);
    match at {
        Some(i) => format!(
            "line {i}: wasmtime-wasi {:?}, directfs {:?}",
            want[i], got[i]
        ),
        None => format!("lengths {} and {}", want.len(), got.len()),
    }
}
