//! The benchmark guests, run at tiny sizes so they cannot rot: `bench_dfs`
//! over `directfs:fs` (with `--stats`), `bench_std` (plain `std::fs`) over
//! both `wasi:filesystem` implementations, `bench_p3` (WASI 0.3) over both
//! too, `bench_walk`. One test per guest.

mod common;

use std::path::Path;

use common::{Fixture, dfs_run, guest};

fn fixture() -> Fixture {
    let fx = Fixture::new();
    std::fs::create_dir_all(fx.path("deep/a/b/c/d/e/f/g")).unwrap();
    std::fs::write(fx.path("deep/a/b/c/d/e/f/g/file"), b"x").unwrap();
    std::fs::create_dir_all(fx.path("tree/d00")).unwrap();
    std::fs::create_dir_all(fx.path("tree/d01")).unwrap();
    for f in 0..3 {
        std::fs::write(fx.path(&format!("tree/d00/f{f:03}")), b"x").unwrap();
        std::fs::write(fx.path(&format!("tree/d01/f{f:03}")), b"x").unwrap();
    }
    std::fs::create_dir(fx.path("flat")).unwrap();
    for i in 0..5 {
        std::fs::write(fx.path(&format!("flat/file-{i:05}")), b"x").unwrap();
    }
    std::fs::write(fx.path("big"), vec![3u8; 64 * 1024]).unwrap();
    std::fs::create_dir(fx.path("w")).unwrap();
    fx
}

/// Runs every workload of `guest` with `flags` before the `--dir` of
/// `sandbox`; returns the stderr of each.
fn every_workload(guest_name: &str, flags: &[&str], sandbox: &Path) -> Vec<String> {
    let workloads: [&[&str]; 12] = [
        &["noop"],
        &["stat8", "10"],
        &["tree", "2", "3"],
        &["tree2", "2", "3"],
        &["readdir"],
        &["create", "5"],
        &["mkdir", "5"],
        &["rename", "5"],
        &["link", "5"],
        &["seqwrite", "65536", "4096"],
        &["seqread", "65536", "4096"],
        &["seqread", "65536", "65536"],
    ];
    let mut stderrs = Vec::new();
    for args in workloads {
        let mut cmd = vec!["--stats".into()];
        cmd.extend(flags.iter().map(Into::into));
        cmd.push("--dir".into());
        cmd.push(format!("{}::/b", sandbox.display()).into());
        cmd.push(guest(guest_name).into_os_string());
        cmd.extend(args.iter().map(Into::into));
        let run = dfs_run(cmd);
        run.assert_success();
        assert!(
            run.stdout.starts_with("ns=") && run.stdout.contains(" ops="),
            "{args:?}: {}",
            run.stdout
        );
        stderrs.push(run.stderr);
    }
    assert_eq!(
        std::fs::metadata(sandbox.join("w/big")).unwrap().len(),
        65536,
        "seqwrite wrote"
    );
    stderrs
}

#[test]
fn bench_dfs() {
    let fx = fixture();
    let stderrs = every_workload("bench_dfs", &[], &fx.sandbox);
    for stderr in stderrs {
        assert!(
            stderr.starts_with("dfs-run: stats: host_syscalls="),
            "{stderr}"
        );
        assert!(
            !stderr.contains("host_syscalls=0 "),
            "directfs counted its syscalls: {stderr}"
        );
    }
}

/// The most syscalls of `dfs-run --stats` where the guest never calls
/// directfs (see `bench_std`), for a preopen at `dir`: the mount's
/// `openat` + `fstat`, its look at its ancestors for overlapping mounts
/// (an `fstat`, then an `openat` of `..` and an `fstat` per level up to
/// `/` and one more), `fstatfs` + `inotify_init1` + `inotify_add_watch`
/// and the drain's epoll instance (`open` of `/proc/self/mountinfo`,
/// `epoll_create1`, two `epoll_ctl`: coherent mode), up to four looks
/// at the kernel's notifications (of wasmtime-wasi's changes) as `--stats`
/// looks at the tree, and the look's ring, made by the first drain that
/// settles (`io_uring_setup`, its `open` of `/proc/self/mountinfo`, an
/// `io_uring_enter` per poll armed).
fn mount_only(dir: &std::path::Path) -> u64 {
    let levels = dir
        .canonicalize()
        .unwrap()
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .count() as u64;
    2 + 1 + 2 * (levels + 1) + 3 + 4 + 4 + 4
}

#[test]
fn bench_std() {
    let fx = fixture();
    let syscalls = |stderr: &str| -> u64 {
        let field = stderr
            .split_whitespace()
            .find_map(|w| w.strip_prefix("host_syscalls="));
        field
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{stderr}"))
    };
    let wasmtime = ["--wasi-fs", "wasmtime"];
    for stderr in every_workload("bench_std", &wasmtime, &fx.sandbox) {
        // Over wasmtime-wasi's filesystem directfs only mounted the
        // preopen: openat + fstat, fstatfs + inotify_init1 +
        // inotify_add_watch and the drain's epoll instance (coherent mode),
        // and the looks at the kernel's notifications (of wasmtime-wasi's
        // changes) as --stats looks at the tree; it holds nothing but its
        // root.
        assert!(syscalls(&stderr) <= mount_only(&fx.sandbox), "{stderr}");
        assert!(stderr.contains("dentries=1 "), "{stderr}");
        assert!(stderr.contains("peak_rss_kib="), "{stderr}");
    }
    // By default the same std::fs program is served by directfs: the
    // workloads that touch files are directfs syscalls.
    let served = every_workload("bench_std", &[], &fx.sandbox);
    let busy = served.iter().filter(|stderr| syscalls(stderr) > 10).count();
    assert!(busy >= 9, "{served:#?}");
}

#[test]
fn bench_p3() {
    let fx = fixture();
    let syscalls = |stderr: &str| -> u64 {
        stderr
            .split_whitespace()
            .find_map(|w| w.strip_prefix("host_syscalls=")?.parse().ok())
            .unwrap_or_else(|| panic!("{stderr}"))
    };
    // Over wasmtime-wasi's 0.3 filesystem directfs only mounted the preopen.
    for stderr in every_workload("bench_p3", &["--wasi-fs", "wasmtime"], &fx.sandbox) {
        assert!(syscalls(&stderr) <= mount_only(&fx.sandbox), "{stderr}");
    }
    // By default directfs serves wasi:filesystem@0.3.0 too.
    let served = every_workload("bench_p3", &[], &fx.sandbox);
    let busy = served.iter().filter(|stderr| syscalls(stderr) > 10).count();
    assert!(busy >= 9, "{served:#?}");
}

#[test]
fn bench_walk() {
    let fx = fixture();
    let run = dfs_run([
        "--dir".into(),
        format!("{}::/bench", fx.sandbox.display()).into(),
        guest("bench_walk").into_os_string(),
        "deep/a/b/c/d/e/f/g/file".into(),
        "2".into(),
        "10".into(),
    ]);
    run.assert_success();
    let rounds: Vec<f64> = run.stdout.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(rounds.len(), 2);
    assert!(rounds.iter().all(|&ns| ns > 0.0));
}
