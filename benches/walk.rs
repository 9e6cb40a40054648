//! `cargo bench --bench walk`: what a walk costs a guest, cached and not,
//! against a native `stat` of the same path, measured in the same run (these
//! machines are noisy: compare the ratios, not the absolute times).
//!
//! The guest (`guests/src/bin/bench_walk.rs`) does `walk-path` + `stat` +
//! drop of a depth-8 path; the host runs it under `dfs-run` with the default
//! cache and with `--max-cached-dentries 0`, as the one call `stat-path`
//! that does the three, and the same three calls on
//! `.` (the preopen itself: no name to look up), the floor that wasmtime's
//! host calls set. Native is `std::fs::metadata` of the same path from this
//! process. Each figure is the median of the
//! rounds. `DFS_BENCH_ITERS` (default 100000) sets the operations per round.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::Instant;

const ROUNDS: u32 = 5;
const PATH: &str = "a/b/c/d/e/f/g/file";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// ns/op of each round of the guest walking `path`, under `dfs-run EXTRA...`.
fn guest_rounds(sandbox: &std::path::Path, args: &[&str], iters: u32, extra: &[&str]) -> Vec<f64> {
    let (path, mode) = (args[0], &args[1..]);
    let out = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .args(extra)
        .arg("--dir")
        .arg(format!("{}::/bench", sandbox.display()))
        .arg(common::guest("bench_walk"))
        .args([path.to_string(), ROUNDS.to_string(), iters.to_string()])
        .args(mode)
        .output()
        .expect("run dfs-run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.parse().expect("ns per op"))
        .collect()
}

fn main() {
    let iters: u32 = std::env::var("DFS_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(PATH);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"bench").unwrap();

    let native = median(
        (0..ROUNDS)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(std::fs::metadata(&file).unwrap());
                }
                start.elapsed().as_nanos() as f64 / f64::from(iters)
            })
            .collect(),
    );
    let cached = median(guest_rounds(dir.path(), &[PATH], iters, &[]));
    let uncached = median(guest_rounds(
        dir.path(),
        &[PATH],
        iters,
        &["--max-cached-dentries", "0"],
    ));
    let one_call = median(guest_rounds(dir.path(), &[PATH, "stat-path"], iters, &[]));
    let floor = median(guest_rounds(dir.path(), &["."], iters, &[]));

    println!("walk + stat of a depth-8 path, {iters} ops x {ROUNDS} rounds, median ns/op");
    println!("{:<34} {:>10} {:>12}", "", "ns/op", "vs native");
    for (name, ns) in [
        ("native stat(path)", native),
        ("directfs walk-path, cached", cached),
        ("directfs walk-path, uncached", uncached),
        ("directfs stat-path (1 call), cached", one_call),
        ("directfs walk-path \".\" (3 calls)", floor),
    ] {
        println!("{name:<34} {ns:>10.0} {:>11.2}x", ns / native);
    }
    println!("uncached / cached: {:.2}x", uncached / cached);
}
