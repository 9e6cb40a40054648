//! The differential harness of the `wasi:filesystem` tests (`tests/wasi_fs.rs`
//! for 0.2, `tests/wasi_p3.rs` for 0.3): a guest run under directfs and
//! under wasmtime-wasi on identical fixtures, every line printed and the host
//! trees left compared; the directory-stream memory bound; the hostile
//! guests, run in every mode and traced call by call against wasmtime-wasi.

pub use super::Side;
use super::{Fixture, Program, Run, dfs_run, guest, host_tree};

/// Runs `name` with `/sandbox` (read-write) and `/ro` (read-only, holding
/// `f`), under `wasi_fs`; with `options` (`,pool`) on both.
pub fn run_side(name: &str, wasi_fs: &str, options: &str, setup: fn(&Fixture)) -> Side {
    let program = Program {
        path: guest(name),
        flags: &[],
        args: &[],
    };
    super::run_program(&program, wasi_fs, options, options, setup)
}

/// Runs `name` under both implementations, and under directfs on an async
/// host with its calls on the blocking pool (`,pool`), and checks that all
/// three agree; returns directfs's side for the test's own host checks.
pub fn differential(name: &str) -> Side {
    differential_in(name, |_| {})
}

/// [`differential`], in a sandbox `setup` adds to first.
pub fn differential_in(name: &str, setup: fn(&Fixture)) -> Side {
    compare(
        name,
        &[("directfs", ""), ("wasmtime", ""), ("directfs", ",pool")],
        setup,
    )
}

/// Runs `name` once per `(wasi-fs, options)` of `sides` (directfs's own
/// first, wasmtime-wasi's second) and checks that all agree: exit status,
/// every line printed, the host trees left behind, and nothing outside the
/// sandbox or in the read-only preopen changed. Returns the first side.
pub fn compare(name: &str, sides: &[(&str, &str)], setup: fn(&Fixture)) -> Side {
    let mut runs: Vec<Side> = sides
        .iter()
        .map(|(wasi_fs, options)| run_side(name, wasi_fs, options, setup))
        .collect();
    for side in &runs {
        side.run.assert_success();
        side.fx.assert_outside_untouched();
        assert_eq!(std::fs::read(side.ro.join("f")).unwrap(), b"ro\n");
        assert_eq!(super::host_names(&side.ro), ["f"]);
    }
    let lines = |run: &Run| run.stdout.lines().map(str::to_owned).collect::<Vec<_>>();
    let ours = lines(&runs[0].run);
    let our_tree = host_tree(&runs[0].fx.sandbox);
    for (side, (wasi_fs, options)) in runs.iter().zip(sides).skip(1) {
        let who = format!("--wasi-fs {wasi_fs} (options {options:?})");
        let theirs = lines(&side.run);
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(
                a,
                b,
                "{name}: line {} differs (directfs, then {who})",
                i + 1
            );
        }
        assert_eq!(
            ours.len(),
            theirs.len(),
            "{name}: output lengths differ ({who})"
        );
        assert_eq!(
            our_tree,
            host_tree(&side.fx.sandbox),
            "{name}: the host trees differ (directfs, then {who})"
        );
    }
    assert!(
        ours.len() > 10,
        "{name} printed its steps:\n{}",
        runs[0].run.stdout
    );
    runs.swap_remove(0)
}

/// A WASI 0.3 guest under directfs's `wasi:filesystem@0.3.0` and under
/// wasmtime-wasi's, under directfs with `shared` preopens (every cached
/// name revalidated) and with `pool` ones, compared as [`differential`]
/// does.
pub fn differential_p3(name: &str) -> Side {
    compare(
        name,
        &[
            ("directfs", ""),
            ("wasmtime", ""),
            ("directfs", ",shared"),
            // Each cache miss looked up on the blocking pool, the call run
            // again with the answer.
            ("directfs", ",pool"),
        ],
        |_| {},
    )
}

/// Runs `name` (1,000 directory streams mid-listing on 2,000 entries with
/// 200-byte names) with `--stats`: dfs-run's peak memory stays that of a
/// small run, because a stream reads at most 128 entries ahead (a stream
/// that read a page of `max_dir_entries` took 500 MB here, as
/// wasmtime-wasi's streams take 490 MB).
pub fn dir_streams_stay_small(name: &str) {
    let fx = super::Fixture::new();
    let run = dfs_run([
        "--stats".into(),
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()).into(),
        guest(name).into_os_string(),
    ]);
    run.assert_success();
    assert_eq!(
        run.stdout,
        "1000 streams mid-listing; listed 2000 entries\n"
    );
    let peak = run.stat("peak_rss_kib");
    assert!(peak < 150_000, "{name}: peak_rss_kib {peak}");
    assert_eq!(super::host_names(&fx.path("wide")).len(), 2000);
    fx.assert_outside_untouched();
}

/// Runs hostile guest `name` traced, once per seed of `seeds`, under
/// directfs and wasmtime-wasi on identical fixtures: every trace line and
/// the host trees left equal.
pub fn traced_as_wasmtime(name: &str, seeds: &[&str]) {
    for &seed in seeds {
        let runs = ["directfs", "wasmtime"].map(|wasi_fs| {
            let fx = Fixture::new();
            fx.hostile_tree();
            fx.escapes();
            let ro = tempfile::tempdir().unwrap();
            std::fs::write(ro.path().join("f"), b"ro\n").unwrap();
            let run = dfs_run([
                "--wasi-fs".as_ref(),
                wasi_fs.as_ref(),
                "--env".as_ref(),
                "TRACE=1".as_ref(),
                "--dir".as_ref(),
                format!("{}::/sandbox", fx.sandbox.display()).as_ref(),
                "--dir".as_ref(),
                format!("{}::/ro,readonly", ro.path().display()).as_ref(),
                guest(name).as_os_str(),
                seed.as_ref(),
                "20000".as_ref(),
            ]);
            run.assert_success();
            fx.assert_outside_untouched();
            assert_eq!(super::host_names(ro.path()), ["f"]);
            (host_tree(&fx.sandbox), run.stdout)
        });
        let [(our_tree, ours), (their_tree, theirs)] = runs;
        assert_eq!(ours.lines().count(), 20001, "{name} seed {seed}");
        for (a, b) in ours.lines().zip(theirs.lines()) {
            assert_eq!(a, b, "{name} seed {seed}: directfs, then wasmtime-wasi");
        }
        assert_eq!(ours, theirs, "{name} seed {seed}");
        assert_eq!(our_tree, their_tree, "{name} seed {seed}: the host trees");
    }
}

/// Runs hostile guest `name` in each revalidation mode, on an async host
/// with a pool mount, with a cache of 8 dentries, and under wasmtime-wasi.
/// Every call returns: the guest runs to its end; nothing outside the
/// sandbox or in the read-only preopen changes; the host FDs stay within
/// `--max-open`.
pub fn hostile(name: &str) {
    for (seed, wasi_fs, options, cached) in [
        ("1", "directfs", "", None),
        ("2", "directfs", ",shared", None),
        ("3", "directfs", ",exclusive", None),
        ("4", "directfs", ",pool", None),
        ("5", "directfs", "", Some("8")),
        ("1", "wasmtime", "", None),
    ] {
        super::run_hostile(name, seed, Some(wasi_fs), options, cached);
    }
}
