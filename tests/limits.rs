//! Host bounds a guest cannot break, whatever shape it gives the tree: the
//! host-FD budget (`max-open + max-cached-dentries + preopens`) holds for
//! deep nests, and FD exhaustion of the whole process is an error code for
//! the guest and a clean exit for `dfs-run`, never a panic.

mod common;

use std::process::{Command, Stdio};

use common::{Fixture, Run, dfs_run, guest};

/// Runs `dfs-run ARGS...` under `ulimit -n NOFILE`; returns what it printed.
fn run_with_nofile(nofile: u32, args: &[String]) -> Run {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -n {nofile} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_dfs-run"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run dfs-run");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A guest nesting 25,000 directories: stopped with `too-many-open` by the
/// budget, well inside `ulimit -n 1024`; the host FDs peak within the
/// documented bound; the refused level was not made; the guest goes on
/// after letting go.
#[test]
fn limits_deep_nesting() {
    for (max_cached, expect_bound) in [("256", Some(64 + 256 + 1)), ("1000", None)] {
        let fx = Fixture::new();
        let args: Vec<String> = vec![
            "--stats".into(),
            "--max-open".into(),
            "64".into(),
            "--max-cached-dentries".into(),
            max_cached.into(),
            "--dir".into(),
            format!("{}::/sandbox", fx.sandbox.display()),
            guest("limits_deep_nesting").display().to_string(),
        ];
        let run = run_with_nofile(1024, &args);
        run.assert_success();
        let depth: usize = run
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("depth "))
            .expect("depth line")
            .parse()
            .unwrap();
        let (peak, bound) = (
            run.stat("peak_host_fds") as usize,
            run.stat("max_host_fds") as usize,
        );
        eprintln!(
            "max-cached {max_cached}: nest stopped at depth {depth}; tree FDs peak {peak} \
             (bound {bound}; ulimit 1024)"
        );
        match expect_bound {
            Some(expected) => {
                assert_eq!(bound, expected, "max-open + max-cached + roots");
                // The budget stopped it, well inside the kernel's 1,024:
                // the tree's exact peak (every open counted) is the bound,
                // and every FD but the root and the held level's ancestors
                // went to the nest.
                assert!(peak <= bound, "tree FDs {peak} over the bound {bound}");
                assert!(depth + 1 >= bound - 1, "stopped early at {depth}");
            }
            None => {
                // The bound (1,065) is past the process's 1,024: the
                // kernel's EMFILE stopped the nest first (the guest got
                // `too-many-open`, the host went on, below).
                assert!(bound > 1024, "bound {bound}");
                assert!(depth < 1024, "the kernel stopped it at {depth}");
            }
        }
        // The host has exactly `depth` levels: the refused one was not made.
        let mut levels = 0;
        let mut p = fx.path("nest");
        while p.is_dir() {
            levels += 1;
            p = p.join("d");
        }
        assert_eq!(levels, depth, "levels on the host");
        assert!(fx.path("after").is_dir());
        fx.assert_outside_untouched();
    }
}

/// `Filesystem::new()`'s FD budget fits the process's `RLIMIT_NOFILE`: under
/// `ulimit -n 1024` it is three quarters of it (before, 5,097: more than the
/// process could open, so guests met `EMFILE` instead of the budget), and
/// with room to spare it is the documented default.
#[test]
fn default_budget_fits_the_process_fd_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let budget = || {
        let fs = directfs::Filesystem::new();
        let dir = tempfile::tempdir().unwrap();
        let _mount = fs
            .mount(dir.path(), directfs::Revalidation::Exclusive)
            .unwrap();
        fs.stats().max_host_fds
    };
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, 1024.min(hard), hard).unwrap();
    let small = budget();
    setrlimit(Resource::RLIMIT_NOFILE, 8192.min(hard), hard).unwrap();
    let roomy = budget();
    setrlimit(Resource::RLIMIT_NOFILE, soft, hard).unwrap();
    assert_eq!(
        small, 768,
        "614 held + 153 cached + 1 root under ulimit -n 1024"
    );
    if hard >= 8192 {
        assert_eq!(roomy, 4096 + 1000 + 1, "the defaults where they fit");
    }
}

/// A stream keeps its file open after its descriptor goes: a guest that
/// opens a file, takes a read or write stream of it and drops the
/// descriptor, again and again (`limits_stream_budget`), is stopped by
/// `max-open` (each stream counts, as a descriptor does) with
/// `insufficient-memory`, in every host way; the tree's FDs peak at
/// `max-open` + the root; every stream still reads or writes its file; and
/// once they are dropped there is room again. (Before, streams counted for
/// nothing: the guest held 1,000 more, to the tree's FD budget;
/// wasmtime-wasi opens until the process's `EMFILE`.)
#[test]
fn limits_streams_count_towards_max_open() {
    // The preopen's descriptor is one of the 50: 48 streams, and the
    // 49th's descriptor.
    assert_stream_budget(
        "limits_stream_budget",
        "held 48 streams (32 reading, 16 writing), then stream insufficient-memory\n\
         again: \"data!\"\n",
    );
}

/// As [`limits_streams_count_towards_max_open`], through WASI 0.3's
/// `read-via-stream` and `write-via-stream` (`limits_p3_stream_budget`),
/// whose refusal is the stream ended at once and its future's
/// `insufficient-memory`: 48 streams held under `--max-open 50` of 60
/// taken, the tree's FDs at most 51, every held stream reading or writing
/// its file (the write on the host), and room again once they are gone.
#[test]
fn limits_p3_streams_count_towards_max_open() {
    assert_stream_budget(
        "limits_p3_stream_budget",
        "held 48 streams (32 reading, 16 writing), refused 12, \
         all insufficient-memory: true\n\
         again: \"data!\"\n",
    );
}

/// Runs stream-budget guest `name` on `/s` holding `f` (`data`) under
/// `--max-open 50`, in every host way: it prints `expected`, leaves `f`
/// as `data!`, and the tree's FDs peak at 51 at most.
fn assert_stream_budget(name: &str, expected: &str) {
    common::each_host(|options| {
        let fx = Fixture::new();
        std::fs::write(fx.path("f"), b"data").unwrap();
        let run = dfs_run([
            "--stats".to_string(),
            "--max-open".to_string(),
            "50".to_string(),
            "--dir".to_string(),
            format!("{}::/s{}", fx.sandbox.display(), common::comma(options)),
            guest(name).display().to_string(),
        ]);
        run.assert_success();
        assert_eq!(run.stdout, expected, "{name}, {options:?}");
        assert_eq!(std::fs::read(fx.path("f")).unwrap(), b"data!");
        let peak = run.stat("peak_host_fds");
        assert!(
            peak <= 51,
            "{name}, {options:?}: the tree's FDs peaked at {peak}"
        );
        fx.assert_outside_untouched();
    });
}
