//! `cargo bench --bench fs`: every workload six ways in the same run —
//! native Rust on the host, a guest on the directfs API (`bench_dfs`), the
//! same `std::fs` guest (`bench_std`) on directfs's `wasi:filesystem` 0.2
//! (`dfs-run --dir`) and on wasmtime-wasi's own (`dfs-run --wasi-fs
//! wasmtime`, what `wasmtime run --dir` does), and a WASI 0.3 guest
//! (`bench_p3`, the same calls through `wasi:filesystem@0.3.0`) on
//! directfs's and on wasmtime-wasi's 0.3 — printing medians of ns/op and
//! the ratios directfs/native, directfs/wasmtime-wasi, (for the unmodified
//! std guest) directfs-wasi/wasmtime-wasi, and for WASI 0.3 directfs/native
//! and directfs/wasmtime-wasi, plus directfs's host syscalls per op and
//! each runtime's peak RSS.
//!
//! Guests time the workload alone (startup excluded); the `startup` row is
//! the wall time of a whole `dfs-run` (compile + instantiate + first walk).
//! `DFS_BENCH_SCALE` (default 1.0) scales every size; `DFS_BENCH_ROUNDS`
//! (default 3) the rounds per figure; `DFS_BENCH_ONLY=stat8,link` runs only
//! those workloads; `DFS_BENCH_DIR=PATH` puts the fixture under `PATH` (a
//! GlusterFS mount from `scripts/volume.sh up`, say) instead of `TMPDIR`.
//! There every way starts from the same client cache: before each timed run
//! the bench waits `DFS_BENCH_SETTLE_MS` (default 1,100 ms under
//! `DFS_BENCH_DIR`, past the GlusterFS FUSE client's 1 s entry and
//! attribute timeouts; 0 otherwise), so no way walks names the way before
//! it just looked up.
//!
//! `DFS_BENCH_MODES=1` prints another table instead: the directfs ways in
//! each revalidation mode (coherent, the default; exclusive; shared), with
//! what coherent and shared cost over exclusive, beside native and
//! wasmtime-wasi.
//!
//! `DFS_BENCH_P1=1` prints the preview 1 table instead: `bench_std` built
//! for `wasm32-wasip1` (a core module) on directfs's native preview 1, on
//! wasmtime-wasi's preview 1 (`--wasi-fs wasmtime`, what `wasmtime run`
//! serves), and made a component by the official preview1 adapter (the
//! route dfs-run took before it served preview 1 natively) on directfs's
//! `wasi:filesystem`; with startup rows.

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `dfs-run`'s flags for wasmtime-wasi's own `wasi:filesystem`.
const WASMTIME_FS: &[&str] = &["--wasi-fs", "wasmtime"];

struct Run {
    ns_per_op: f64,
    syscalls_per_op: Option<f64>,
    rss_mib: Option<f64>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn field(text: &str, key: &str) -> Option<f64> {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.parse().ok())
}

/// One guest run under `dfs-run`: its own timing, and the stats line.
/// `flags` come before the `--dir` of `base`.
fn guest_run(guest: &str, flags: &[&str], base: &Path, args: &[String]) -> Run {
    guest_run_in(guest, flags, base, "", args)
}

/// [`guest_run`] with `options` (`,exclusive`) after the `--dir`.
fn guest_run_in(guest: &str, flags: &[&str], base: &Path, options: &str, args: &[String]) -> Run {
    wasm_run(&common::guest(guest), flags, base, options, args)
}

/// [`guest_run_in`] of the wasm file at `wasm`.
fn wasm_run(wasm: &Path, flags: &[&str], base: &Path, options: &str, args: &[String]) -> Run {
    let guest = wasm.display();
    let out = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .arg("--stats")
        .args(flags)
        .arg("--dir")
        .arg(format!("{}::/b{options}", base.display()))
        .arg(wasm)
        .args(args)
        .output()
        .expect("run dfs-run");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{guest} {args:?}: {stderr}");
    let ops = field(&stdout, "ops=").expect("ops").max(1.0);
    Run {
        ns_per_op: field(&stdout, "ns=").expect("ns") / ops,
        syscalls_per_op: Some(field(&stderr, "host_syscalls=").unwrap_or(0.0) / ops),
        rss_mib: field(&stderr, "peak_rss_kib=").map(|k| k / 1024.0),
    }
}

/// A fresh, empty work dir, with dirty pages written back (`sync`), so no
/// way pays for the previous one's writes; then, on a volume, a wait for
/// its client's caches to expire ([`settle_time`]), so no way's walk finds
/// names the way before it looked up (a FUSE client trusts a looked-up name
/// for its entry timeout: the way run next would walk warm names and the
/// others cold ones).
fn reset_work_dir(base: &Path) {
    let _ = fs::remove_dir_all(base.join("w"));
    fs::create_dir(base.join("w")).unwrap();
    nix::unistd::sync();
    std::thread::sleep(settle_time());
}

/// `DFS_BENCH_SETTLE_MS`; by default 1,100 ms where the fixture is under
/// `DFS_BENCH_DIR` (past the GlusterFS FUSE client's default 1 s entry and
/// attribute timeouts), none in a temp dir (a local kernel cache does not
/// expire).
fn settle_time() -> Duration {
    static SETTLE: OnceLock<Duration> = OnceLock::new();
    *SETTLE.get_or_init(|| {
        let default = if std::env::var_os("DFS_BENCH_DIR").is_some() {
            1100
        } else {
            0
        };
        let ms = std::env::var("DFS_BENCH_SETTLE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default);
        Duration::from_millis(ms)
    })
}

/// Native versions of the workloads, on the same fixture.
fn native(base: &Path, workload: &str, a: &[u64]) -> u64 {
    let p = |rel: &str| base.join(rel);
    match workload {
        "stat8" => {
            for _ in 0..a[0] {
                std::hint::black_box(fs::symlink_metadata(p("deep/a/b/c/d/e/f/g/file")).unwrap());
            }
            a[0]
        }
        "tree" | "tree2" => {
            for d in 0..a[0] {
                for f in 0..a[1] {
                    std::hint::black_box(
                        fs::symlink_metadata(p(&format!("tree/d{d:02}/f{f:03}"))).unwrap(),
                    );
                }
            }
            a[0] * a[1]
        }
        "readdir" => {
            let mut n = 0;
            for entry in fs::read_dir(p("flat")).unwrap() {
                std::hint::black_box(entry.unwrap().metadata().unwrap());
                n += 1;
            }
            n
        }
        "create" => {
            let data = vec![7u8; 4096];
            for i in 0..a[0] {
                let name = p(&format!("w/f{i}"));
                fs::File::create(&name).unwrap().write_all(&data).unwrap();
                fs::remove_file(&name).unwrap();
            }
            a[0]
        }
        "mkdir" => {
            for i in 0..a[0] {
                fs::create_dir(p(&format!("w/d{i}"))).unwrap();
                fs::remove_dir(p(&format!("w/d{i}"))).unwrap();
            }
            a[0]
        }
        "rename" => {
            fs::File::create(p("w/a")).unwrap();
            for i in 0..a[0] {
                let (from, to) = if i % 2 == 0 {
                    ("w/a", "w/b")
                } else {
                    ("w/b", "w/a")
                };
                fs::rename(p(from), p(to)).unwrap();
            }
            a[0]
        }
        "link" => {
            fs::File::create(p("w/target")).unwrap();
            for _ in 0..a[0] {
                fs::hard_link(p("w/target"), p("w/l")).unwrap();
                fs::remove_file(p("w/l")).unwrap();
            }
            a[0]
        }
        "seqwrite" => {
            let mut f = fs::File::create(p("w/big")).unwrap();
            let data = vec![1u8; a[1] as usize];
            for _ in 0..a[0] / a[1] {
                f.write_all(&data).unwrap();
            }
            a[0] / a[1]
        }
        "seqread" => {
            let mut f = fs::File::open(p("big")).unwrap();
            let mut buf = vec![0u8; a[1] as usize];
            let mut total = 0;
            while total < a[0] {
                total += f.read(&mut buf).unwrap() as u64;
            }
            a[0] / a[1]
        }
        other => panic!("no native {other}"),
    }
}

/// The machine the figures are from, as one Markdown line.
fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "Machine: {cpu}, {cores} cores, Linux {}; a release build; the sandbox in a temp dir (`TMPDIR`).",
        kernel.trim()
    )
}

fn main() {
    let scale: f64 = std::env::var("DFS_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    let rounds: usize = std::env::var("DFS_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let n = |x: f64| ((x * scale) as u64).max(1);
    let big = n(256.0) << 20;

    // The fixture, shared by all three ways: in a temp dir, or under
    // `DFS_BENCH_DIR` (a distributed volume's mount, say).
    let dir = match std::env::var_os("DFS_BENCH_DIR") {
        Some(parent) => tempfile::tempdir_in(parent).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let base = dir.path();
    fs::create_dir_all(base.join("deep/a/b/c/d/e/f/g")).unwrap();
    fs::write(base.join("deep/a/b/c/d/e/f/g/file"), b"x").unwrap();
    let (tree_dirs, tree_files) = (n(100.0).min(100), n(100.0).min(1000));
    for d in 0..tree_dirs {
        fs::create_dir_all(base.join(format!("tree/d{d:02}"))).unwrap();
        for f in 0..tree_files {
            fs::write(base.join(format!("tree/d{d:02}/f{f:03}")), b"x").unwrap();
        }
    }
    fs::create_dir(base.join("flat")).unwrap();
    for i in 0..n(10_000.0) {
        fs::write(base.join(format!("flat/file-{i:05}")), b"x").unwrap();
    }
    fs::write(base.join("big"), vec![3u8; big as usize]).unwrap();

    let workloads: Vec<(&str, &str, Vec<u64>)> = vec![
        ("stat depth-8 path (warm)", "stat8", vec![n(100_000.0)]),
        (
            "walk+stat tree (100 dirs)",
            "tree",
            vec![tree_dirs, tree_files],
        ),
        (
            "walk+stat tree, second time",
            "tree2",
            vec![tree_dirs, tree_files],
        ),
        ("read-dir + stat, 1 dir", "readdir", vec![]),
        ("create+write 4K+close+unlink", "create", vec![n(10_000.0)]),
        ("mkdir + rmdir", "mkdir", vec![n(10_000.0)]),
        ("rename", "rename", vec![n(10_000.0)]),
        ("hard link + unlink", "link", vec![n(10_000.0)]),
        ("seq write 1 MiB chunks", "seqwrite", vec![big, 1 << 20]),
        ("seq write 64 KiB chunks", "seqwrite", vec![big, 64 << 10]),
        ("seq write 4 KiB chunks", "seqwrite", vec![big, 4096]),
        ("seq read 1 MiB chunks", "seqread", vec![big, 1 << 20]),
        ("seq read 64 KiB chunks", "seqread", vec![big, 64 << 10]),
        ("seq read 4 KiB chunks", "seqread", vec![big, 4096]),
    ];

    let only = std::env::var("DFS_BENCH_ONLY").unwrap_or_default();
    let chosen = || {
        workloads
            .iter()
            .filter(|(_, w, _)| only.is_empty() || only.split(',').any(|o| o == *w))
    };
    if std::env::var_os("DFS_BENCH_MODES").is_some() {
        modes_table(base, rounds, chosen());
        return;
    }
    if std::env::var_os("DFS_BENCH_P1").is_some() {
        p1_table(base, rounds, chosen());
        return;
    }

    // The table is Markdown: BENCHMARKS.md's is this output, pasted.
    println!("{}", machine());
    println!();
    println!("Median of {rounds} rounds; ns per operation (guests time the workload alone).");
    println!();
    println!(
        "| workload | native | directfs:fs | std on directfs | std on wasmtime-wasi | directfs:fs / native | directfs:fs / wasmtime-wasi | std: directfs / wasmtime-wasi | syscalls/op | RSS directfs | RSS wasmtime-wasi | 0.3 on directfs | 0.3 on wasmtime-wasi | 0.3: directfs / native | 0.3: directfs / wasmtime-wasi |"
    );
    println!("| :-- |{}", " --: |".repeat(14));
    for (label, w, args) in chosen() {
        let sargs: Vec<String> = std::iter::once(w.to_string())
            .chain(args.iter().map(u64::to_string))
            .collect();
        let (mut nat, mut dfs, mut std_dfs, mut wasi) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut p3_dfs, mut p3_wasi) = (Vec::new(), Vec::new());
        let (mut sys, mut rss_dfs, mut rss_wasi) = (0.0, 0.0, 0.0);
        for _ in 0..rounds {
            reset_work_dir(base);
            if *w == "tree2" {
                // Only the second walk is timed, as in the guests.
                native(base, w, args);
            }
            let start = Instant::now();
            let ops = native(base, w, args);
            nat.push(start.elapsed().as_nanos() as f64 / ops as f64);
            reset_work_dir(base);
            let r = guest_run("bench_dfs", &[], base, &sargs);
            dfs.push(r.ns_per_op);
            sys = r.syscalls_per_op.unwrap_or(0.0);
            rss_dfs = r.rss_mib.unwrap_or(0.0);
            reset_work_dir(base);
            std_dfs.push(guest_run("bench_std", &[], base, &sargs).ns_per_op);
            reset_work_dir(base);
            let r = guest_run("bench_std", WASMTIME_FS, base, &sargs);
            wasi.push(r.ns_per_op);
            rss_wasi = r.rss_mib.unwrap_or(0.0);
            reset_work_dir(base);
            p3_dfs.push(guest_run("bench_p3", &[], base, &sargs).ns_per_op);
            reset_work_dir(base);
            p3_wasi.push(guest_run("bench_p3", WASMTIME_FS, base, &sargs).ns_per_op);
        }
        let (nat, dfs, std_dfs, wasi) = (median(nat), median(dfs), median(std_dfs), median(wasi));
        let (p3_dfs, p3_wasi) = (median(p3_dfs), median(p3_wasi));
        println!(
            "| {label} | {nat:.0} | {dfs:.0} | {std_dfs:.0} | {wasi:.0} | {:.2}× | {:.2}× | {:.2}× | {sys:.1} | {rss_dfs:.0} MiB | {rss_wasi:.0} MiB | {p3_dfs:.0} | {p3_wasi:.0} | {:.2}× | {:.2}× |",
            dfs / nat,
            dfs / wasi,
            std_dfs / wasi,
            p3_dfs / nat,
            p3_dfs / p3_wasi
        );
    }
    // Startup: a whole process, compile (or the compilation cache, warmed by
    // the first round) + instantiate + first walk.
    let wall = |guest: &str, flags: &[&str]| {
        median(
            (0..rounds)
                .map(|_| {
                    let start = Instant::now();
                    guest_run(guest, flags, base, &["noop".to_string()]);
                    start.elapsed().as_nanos() as f64
                })
                .collect(),
        )
    };
    for (label, codegen) in [
        ("startup, compile cache", &[][..]),
        ("startup, -C cache=n", &["-C", "cache=n"][..]),
    ] {
        let wasi_flags: Vec<&str> = codegen.iter().chain(WASMTIME_FS).copied().collect();
        let (dfs, std_dfs, wasi) = (
            wall("bench_dfs", codegen),
            wall("bench_std", codegen),
            wall("bench_std", &wasi_flags),
        );
        println!(
            "| {label} (wall ns) | – | {dfs:.0} | {std_dfs:.0} | {wasi:.0} | – | {:.2}× | {:.2}× | | | | | | | |",
            dfs / wasi,
            std_dfs / wasi
        );
    }
}

/// The order in which `ways` compared in one table run in round `round`:
/// `0..ways` rotated left by `round`, so that each in turn runs first. A
/// way that always ran first after native's run, or right after one
/// other way, would always meet what that run left behind (dirty pages
/// being written back, a cold CPU cache, the kernel's freed dentries) and
/// carry it in its median alone.
fn rotated(ways: usize, round: usize) -> impl Iterator<Item = usize> {
    (0..ways).map(move |i| (i + round) % ways)
}

/// The revalidation modes' table (`DFS_BENCH_MODES=1`): for each
/// workload, native, then each directfs way (`directfs:fs`, `std::fs` on
/// 0.2, 0.3) in coherent, exclusive and shared mode with the ratios
/// coherent / exclusive and shared / exclusive, and `std::fs` on
/// wasmtime-wasi; one run, every figure the median of `rounds`.
fn modes_table<'a>(
    base: &Path,
    rounds: usize,
    workloads: impl Iterator<Item = &'a (&'a str, &'a str, Vec<u64>)>,
) {
    const MODES: [&str; 3] = ["", ",exclusive", ",shared"];
    const WAYS: [(&str, &str); 3] = [
        ("directfs:fs", "bench_dfs"),
        ("std", "bench_std"),
        ("0.3", "bench_p3"),
    ];
    println!("{}", machine());
    println!();
    println!(
        "Median of {rounds} rounds; ns per operation; coherent (the default) and shared over exclusive."
    );
    println!();
    let mut header = "| workload | native | std on wasmtime-wasi |".to_owned();
    for (way, _) in WAYS {
        header.push_str(&format!(
            " {way}: coherent | {way}: exclusive | {way}: shared | {way}: coherent / exclusive | {way}: shared / exclusive | {way}: syscalls/op coherent, exclusive |"
        ));
    }
    println!("{header}");
    println!("| :-- |{}", " --: |".repeat(2 + WAYS.len() * 6));
    for (label, w, args) in workloads {
        let sargs: Vec<String> = std::iter::once(w.to_string())
            .chain(args.iter().map(u64::to_string))
            .collect();
        let mut nat = Vec::new();
        let mut wasi = Vec::new();
        let mut ns = vec![vec![Vec::new(); MODES.len()]; WAYS.len()];
        let mut sys = vec![vec![0.0; MODES.len()]; WAYS.len()];
        for round in 0..rounds {
            reset_work_dir(base);
            if *w == "tree2" {
                native(base, w, args);
            }
            let start = Instant::now();
            let ops = native(base, w, args);
            nat.push(start.elapsed().as_nanos() as f64 / ops as f64);
            reset_work_dir(base);
            wasi.push(guest_run("bench_std", WASMTIME_FS, base, &sargs).ns_per_op);
            for (i, (_, guest)) in WAYS.iter().enumerate() {
                // The modes of a way take turns at going first (see `rotated`).
                for m in rotated(MODES.len(), round) {
                    reset_work_dir(base);
                    let r = guest_run_in(guest, &[], base, MODES[m], &sargs);
                    ns[i][m].push(r.ns_per_op);
                    sys[i][m] = r.syscalls_per_op.unwrap_or(0.0);
                }
            }
        }
        let mut row = format!("| {label} | {:.0} | {:.0} |", median(nat), median(wasi));
        for (i, _) in WAYS.iter().enumerate() {
            let [coherent, exclusive, shared] =
                [0, 1, 2].map(|m| median(std::mem::take(&mut ns[i][m])));
            row.push_str(&format!(
                " {coherent:.0} | {exclusive:.0} | {shared:.0} | {:.2}× | {:.2}× | {:.1}, {:.1} |",
                coherent / exclusive,
                shared / exclusive,
                sys[i][0],
                sys[i][1]
            ));
        }
        println!("{row}");
    }
}

/// The preview 1 table (`DFS_BENCH_P1=1`): `bench_std` as a `wasm32-wasip1`
/// core module on directfs's native preview 1 (coherent, the default, and
/// exclusive) and on wasmtime-wasi's, and
/// adapted into a component (the official preview1 adapter) on directfs's
/// `wasi:filesystem`; one run, every figure the median of `rounds`.
fn p1_table<'a>(
    base: &Path,
    rounds: usize,
    workloads: impl Iterator<Item = &'a (&'a str, &'a str, Vec<u64>)>,
) {
    let built = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/build-wasip1-guests.sh"))
        .output()
        .expect("run build-wasip1-guests.sh");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let dir = String::from_utf8(built.stdout).unwrap();
    let module = Path::new(dir.trim()).join("rust_bench_std.wasm");
    let adapted = base.parent().unwrap().join("bench_std_adapted.wasm");
    let component = wit_component::ComponentEncoder::default()
        .module(&fs::read(&module).unwrap())
        .unwrap()
        .adapter(
            "wasi_snapshot_preview1",
            wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
        )
        .unwrap()
        .validate(true)
        .encode()
        .unwrap();
    fs::write(&adapted, component).unwrap();
    println!("{}", machine());
    println!();
    println!("Median of {rounds} rounds; ns per operation (the guest times the workload alone).");
    println!();
    println!(
        "| workload | native | p1 on directfs | p1 on directfs, exclusive | p1 on wasmtime-wasi | adapted on directfs | directfs / native | directfs / wasmtime-wasi | exclusive / wasmtime-wasi | directfs / adapted | syscalls/op |"
    );
    println!("| :-- |{}", " --: |".repeat(10));
    for (label, w, args) in workloads {
        let sargs: Vec<String> = std::iter::once(w.to_string())
            .chain(args.iter().map(u64::to_string))
            .collect();
        let (mut nat, mut ours, mut theirs, mut adapter) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut exclusive = Vec::new();
        let mut sys = 0.0;
        for round in 0..rounds {
            reset_work_dir(base);
            if *w == "tree2" {
                native(base, w, args);
            }
            let start = Instant::now();
            let ops = native(base, w, args);
            nat.push(start.elapsed().as_nanos() as f64 / ops as f64);
            // Each round starts with the next way (see `rotated`).
            for way in rotated(4, round) {
                reset_work_dir(base);
                match way {
                    0 => {
                        let r = wasm_run(&module, &[], base, "", &sargs);
                        ours.push(r.ns_per_op);
                        sys = r.syscalls_per_op.unwrap_or(0.0);
                    }
                    1 => {
                        exclusive.push(wasm_run(&module, &[], base, ",exclusive", &sargs).ns_per_op)
                    }
                    2 => theirs.push(wasm_run(&module, WASMTIME_FS, base, "", &sargs).ns_per_op),
                    _ => adapter.push(wasm_run(&adapted, &[], base, "", &sargs).ns_per_op),
                }
            }
        }
        let (nat, ours, theirs, adapter) =
            (median(nat), median(ours), median(theirs), median(adapter));
        let exclusive = median(exclusive);
        println!(
            "| {label} | {nat:.0} | {ours:.0} | {exclusive:.0} | {theirs:.0} | {adapter:.0} | {:.2}× | {:.2}× | {:.2}× | {:.2}× | {sys:.1} |",
            ours / nat,
            ours / theirs,
            exclusive / theirs,
            ours / adapter
        );
    }
    let wall = |wasm: &Path, flags: &[&str]| {
        median(
            (0..rounds)
                .map(|_| {
                    let start = Instant::now();
                    wasm_run(wasm, flags, base, "", &["noop".to_string()]);
                    start.elapsed().as_nanos() as f64
                })
                .collect(),
        )
    };
    let (ours, theirs, adapter) = (
        wall(&module, &[]),
        wall(&module, WASMTIME_FS),
        wall(&adapted, &[]),
    );
    println!(
        "| startup, compile cache (wall ns) | – | {ours:.0} | – | {theirs:.0} | {adapter:.0} | – | {:.2}× | – | {:.2}× | |",
        ours / theirs,
        ours / adapter
    );
}
