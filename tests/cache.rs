//! The dentry cache: the host-FD budget under a huge walk, max-open, and
//! host-side changes seen (shared) or not (exclusive) as documented. One test
//! per guest program in `guests/src/bin/cache_*.rs`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};

use common::{Fixture, dfs_run, guest, host_names, run_in};

/// The tree the `cache_budget` guest walks: `dNNN/fNN`, `dirs` × `files`,
/// each file `(NNN + NN) % 10` bytes long.
fn walk_fixture(dirs: u32, files: u32) -> Fixture {
    let fx = Fixture::new();
    for d in 0..dirs {
        let dir = fx.path(&format!("d{d:03}"));
        std::fs::create_dir(&dir).unwrap();
        for f in 0..files {
            std::fs::write(
                dir.join(format!("f{f:02}")),
                "x".repeat(((d + f) % 10) as usize),
            )
            .unwrap();
        }
    }
    fx
}

#[test]
fn cache_budget() {
    const DIRS: u32 = 1000;
    const FILES: u32 = 100;
    const LIMIT: usize = 256;
    let fx = walk_fixture(DIRS, FILES);

    let run = dfs_run([
        "--stats".as_ref(),
        "--max-cached-dentries".as_ref(),
        LIMIT.to_string().as_ref(),
        "--dir".as_ref(),
        format!("{}::/sandbox", fx.sandbox.display()).as_ref(),
        guest("cache_budget").as_os_str(),
        DIRS.to_string().as_ref(),
        FILES.to_string().as_ref(),
    ]);
    run.assert_success();
    assert_eq!(
        run.stdout.trim(),
        (DIRS * FILES).to_string(),
        "every file walked and stat-ed"
    );
    // The tree's own count of the host FDs it held (every open and close
    // counted, no sampling): the cache limit, plus the root and the guest's
    // few held dentries; and at least the limit, so the walk of 1,000
    // directories filled the cache and it evicted.
    let peak = run.stat("peak_host_fds") as usize;
    eprintln!("peak host FDs {peak} (cache limit {LIMIT})");
    assert!(peak <= LIMIT + 8, "peak {peak} FDs with a cache of {LIMIT}");
    assert!(peak >= LIMIT, "the cache never filled: peak {peak}");
}

/// The process runs out of FDs (`ulimit -n 256`) long before the default
/// budget (1000 cached dentries + 4096 held) does: the walk of 2,000 files
/// goes on, each `EMFILE` answered by freeing the cached dentries (it failed
/// with `too-many-open` before), and the cache still bounds nothing the guest
/// holds.
#[test]
fn cache_budget_past_the_process_fd_limit() {
    const DIRS: u32 = 20;
    const FILES: u32 = 100;
    let fx = walk_fixture(DIRS, FILES);
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_dfs-run"))
        .arg("--stats")
        .arg("--dir")
        .arg(format!("{}::/sandbox", fx.sandbox.display()))
        .arg(guest("cache_budget"))
        .args([DIRS.to_string(), FILES.to_string()])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(
        stdout.lines().next(),
        Some("2000"),
        "every file walked: {stdout}"
    );
    let peak: usize = stderr
        .split_whitespace()
        .find_map(|w| w.strip_prefix("peak_host_fds=")?.parse().ok())
        .unwrap_or_else(|| panic!("no peak_host_fds in {stderr}"));
    assert!(peak < 256, "the tree held {peak} FDs under a limit of 256");
    assert!(
        peak > 150,
        "the cache filled what the process allowed: {peak}"
    );
}

#[test]
fn cache_max_open() {
    let fx = Fixture::new();
    for i in 0..8 {
        std::fs::write(fx.path(&format!("f{i}")), b"").unwrap();
    }
    let run = dfs_run([
        "--max-open".into(),
        "8".into(),
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()).into(),
        guest("cache_max_open").into_os_string(),
    ]);
    run.assert_success();
    assert_eq!(run.stdout, "ok\n");
    let mut expected: Vec<String> = (0..8).map(|i| format!("f{i}")).collect();
    expected.push("new-file".into());
    expected.sort();
    assert_eq!(
        host_names(&fx.sandbox),
        expected,
        "refused calls made nothing on the host"
    );
    // Without the flag the default (4096) applies and the same guest fails
    // its first expectation: the limit is real, not the guest's doing.
    assert_ne!(run_in("cache_max_open", &fx.sandbox, "").code, Some(0));
}

/// Runs `cache_host_changes` with `options`, making the host changes when it
/// says "ready"; returns its "after" lines.
fn around_host_changes(options: &str) -> Vec<String> {
    let fx = Fixture::new();
    std::fs::write(fx.path("f"), b"old").unwrap();
    std::fs::write(fx.path("h"), b"doomed").unwrap();
    std::fs::create_dir(fx.path("d")).unwrap();
    std::fs::write(fx.path("d/x"), b"in d").unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .arg("--dir")
        .arg(format!("{}::/sandbox{options}", fx.sandbox.display()))
        .arg(guest("cache_host_changes"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let before: Vec<String> = lines
        .by_ref()
        .map(Result::unwrap)
        .take_while(|l| l != "ready")
        .collect();
    assert_eq!(
        before,
        [
            "before f: size 3 nlink 1",
            "before g: no-entry",
            "before h: size 6 nlink 1",
            "before d/x: size 4 nlink 1",
            "before e/x: no-entry"
        ]
    );
    // Between the two walks, another host process changes the directory.
    std::fs::write(fx.path("f.tmp"), b"replaced").unwrap();
    std::fs::rename(fx.path("f.tmp"), fx.path("f")).unwrap();
    std::fs::write(fx.path("g"), b"created").unwrap();
    std::fs::remove_file(fx.path("h")).unwrap();
    std::fs::rename(fx.path("d"), fx.path("e")).unwrap();
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let after: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(child.wait().unwrap().success());
    after
}

#[test]
fn cache_host_changes() {
    // Shared, and coherent (the default): every change is seen on the next
    // walk.
    let seen = [
        "after f: size 8 nlink 1",
        "after g: size 7 nlink 1",
        "after h: no-entry",
        "after d/x: no-entry",
        "after e/x: size 4 nlink 1",
    ];
    assert_eq!(around_host_changes(",shared"), seen);
    assert_eq!(around_host_changes(""), seen);
    assert_eq!(around_host_changes(",pool"), seen);
    // Exclusive (a promise that no one else changes the directory): what
    // directfs cached is trusted. The replaced and deleted files are still
    // the old ones (their FDs: nlink 0); the names it saw missing (g, e)
    // stay missing; the renamed directory is still reached under its
    // cached name.
    assert_eq!(
        around_host_changes(",exclusive"),
        [
            "after f: size 3 nlink 0",
            "after g: no-entry",
            "after h: size 6 nlink 0",
            "after d/x: size 4 nlink 1",
            "after e/x: no-entry"
        ]
    );
}

/// A directory the guest made through `directfs:fs` (whose watch a
/// coherent mount puts off until it is first looked into) and holds, while
/// the host makes, replaces and removes files in it between the guest's
/// looks: every change is seen on the next look, in coherent mode (the
/// default, inline and on a pool mount) as in shared; its own stat too (the
/// host's `mkdir` in it is one more link). Exclusive trusts what it
/// remembered (the directory's stat, its own file): the fixture can tell.
#[test]
fn cache_made_dir_host_changes() {
    let run = |options: &str| {
        let fx = Fixture::new();
        let mut child = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
            .arg("--dir")
            .arg(format!("{}::/sandbox{options}", fx.sandbox.display()))
            .arg(guest("cache_made_dir_host_changes"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = Vec::new();
        let mut until_ready = |seen: &mut Vec<String>| {
            for line in lines.by_ref() {
                let line = line.unwrap();
                if line == "ready" {
                    return;
                }
                seen.push(line);
            }
        };
        until_ready(&mut seen);
        std::fs::write(fx.path("m/f"), b"by the host").unwrap();
        std::fs::create_dir(fx.path("m/sub")).unwrap();
        stdin.write_all(b"go\n").unwrap();
        until_ready(&mut seen);
        assert_eq!(std::fs::read(fx.path("m/own")).unwrap(), b"mine");
        std::fs::write(fx.path("m/own.tmp"), b"the host's own").unwrap();
        std::fs::rename(fx.path("m/own.tmp"), fx.path("m/own")).unwrap();
        std::fs::remove_file(fx.path("m/f")).unwrap();
        stdin.write_all(b"go\n").unwrap();
        drop(stdin);
        seen.extend(lines.map(Result::unwrap));
        assert!(child.wait().unwrap().success(), "{options}: {seen:#?}");
        fx.assert_outside_untouched();
        seen
    };
    let fresh = [
        "m nlink 2",
        "m nlink 3",
        "f: size 11 nlink 1",
        "sub: directory nlink 2",
        "m lists f sub",
        "own: size 4 nlink 1",
        "own: size 14 nlink 1",
        "f: no-entry",
        "m lists own sub",
    ];
    for options in ["", ",pool", ",shared"] {
        assert_eq!(run(options), fresh, "{options:?}");
    }
    assert_ne!(
        run(",exclusive"),
        fresh,
        "exclusive mode saw every change: the fixture tests nothing"
    );
}

/// `host_syscalls` (`dfs-run --stats`) of one `bench_std` run with `args`
/// on `sandbox` as `/b`, mounted with `options`.
fn syscalls_of(sandbox: &std::path::Path, options: &str, args: &[&str]) -> u64 {
    let mut argv = vec![
        "--stats".to_string(),
        "--dir".to_string(),
        format!("{}::/b{}", sandbox.display(), common::comma(options)),
        guest("bench_std").display().to_string(),
    ];
    argv.extend(args.iter().map(|a| a.to_string()));
    let run = dfs_run(argv);
    run.assert_success();
    run.stat("host_syscalls")
}

/// The cache's claims in docs/cache.md, counted (`--stats host_syscalls`,
/// the difference between a short and a long run of one workload, so that
/// start-up costs cancel): a repeated `stat` of an unchanged path makes no
/// syscall in an exclusive mount and one (the `read` of the kernel's
/// notifications) in a coherent one; a `read_dir` + `metadata` loop makes
/// one `fstatat` per entry (wasi-libc asks three questions of each).
#[test]
fn cache_claims_counted() {
    let fx = Fixture::new();
    std::fs::create_dir_all(fx.path("deep/a/b/c/d/e/f/g")).unwrap();
    std::fs::write(fx.path("deep/a/b/c/d/e/f/g/file"), b"x").unwrap();
    // Coherent: a `read` per libc `stat` (its two host calls read once,
    // unless the second comes over a millisecond late: a preempted guest
    // thread on a loaded machine, hence the slack; two per `stat` would be
    // 2,000).
    for (mode, most) in [("exclusive", 5), ("", 1000 + 50)] {
        let once = syscalls_of(&fx.sandbox, mode, &["stat8", "1"]);
        let again = syscalls_of(&fx.sandbox, mode, &["stat8", "1001"]);
        eprintln!("{mode:?}: 1 stat {once} syscalls, 1001 stats {again}");
        assert!(
            again - once <= most,
            "{mode:?}: 1,000 more stats of one path made {} syscalls",
            again - once
        );
    }
    let listing = |entries: usize| {
        let fx = Fixture::new();
        std::fs::create_dir(fx.path("flat")).unwrap();
        for i in 0..entries {
            std::fs::write(fx.path(&format!("flat/file-{i:05}")), b"x").unwrap();
        }
        syscalls_of(&fx.sandbox, "exclusive", &["readdir"])
    };
    let (few, many) = (listing(10), listing(410));
    let per_entry = (many - few) as f64 / 400.0;
    eprintln!("read_dir + metadata: {per_entry:.2} syscalls per entry");
    assert!(per_entry <= 1.05, "{per_entry:.2} syscalls per entry");
}

/// `host_syscalls` a turn of `bench_std` workload `workload` (1,001 turns
/// against one) in a fresh `w` mounted with `options`, each run's host
/// tree checked by `check` (given `w`).
fn syscalls_per_turn(options: &str, workload: &str, check: impl Fn(&std::path::Path)) -> f64 {
    let turns = |n: u32| {
        let fx = Fixture::new();
        std::fs::create_dir(fx.path("w")).unwrap();
        let syscalls = syscalls_of(&fx.sandbox, options, &[workload, &n.to_string()]);
        check(&fx.path("w"));
        syscalls
    };
    let per_turn = (turns(1001) - turns(1)) as f64 / 1000.0;
    eprintln!("{options:?}: {per_turn:.2} syscalls per {workload} turn");
    per_turn
}

/// A `wasi:filesystem` `link-at` from a name to a name is one `linkat` in
/// the two names' directories, in every mode: the kernel resolves the old
/// name, so no dentry of it is walked to, revalidated (`shared`, or a
/// coherent directory the guest churns) or duplicated. `std::fs::hard_link`
/// and `remove_file` a turn: two syscalls in exclusive and coherent mounts
/// (it was three and four: the target's `fstatat`, the new dentry's `dup`
/// and its `close`), four in a shared one (the directory of the names
/// revalidated by each call).
#[test]
fn link_by_name_counted() {
    for (mode, most) in [("exclusive", 2.0), ("", 2.05), ("shared", 4.0)] {
        let per_turn = syscalls_per_turn(mode, "link", |w| {
            // Linked and unlinked each turn: the target alone is left.
            assert_eq!(host_names(w), ["target"], "{mode:?}");
            assert_eq!(std::fs::metadata(w.join("target")).unwrap().nlink(), 1);
        });
        assert!(per_turn <= most, "{mode:?}: {per_turn:.2} syscalls a turn");
    }
}

/// A `wasi:filesystem` `symlink-at` is one `symlinkat`, as wasmtime-wasi's:
/// no dentry of the new symlink is opened, stat-ed and closed (it is made
/// when a walk first needs it). `soft_link` + `remove_file` a turn: two
/// syscalls in exclusive and coherent mounts (it was five), four in a
/// shared one (the directory revalidated by each call).
#[test]
fn symlink_at_counted() {
    for (mode, most) in [("exclusive", 2.0), ("", 2.05), ("shared", 4.0)] {
        let per_turn = syscalls_per_turn(mode, "symlink", |w| {
            assert_eq!(host_names(w), Vec::<String>::new(), "{mode:?}");
        });
        assert!(per_turn <= most, "{mode:?}: {per_turn:.2} syscalls a turn");
    }
}

/// A `wasi:filesystem` `readlink-at` of a name is one `readlinkat` in its
/// directory, as wasmtime-wasi's: no dentry of the symlink is opened
/// (`openat` refused with `ELOOP`, `openat(O_PATH)`, `fstat`), read
/// (`readlinkat(fd, "")`). `soft_link` of a new name and `read_link` of it
/// a turn: two syscalls in exclusive and coherent mounts (it was five), four in a shared one (the directory revalidated by each
/// call); the symlinks on the host, each with its own target.
#[test]
fn readlink_by_name_counted() {
    for (mode, most) in [("exclusive", 2.0), ("", 2.05), ("shared", 4.0)] {
        let per_turn = syscalls_per_turn(mode, "readlink", |w| {
            let names = host_names(w);
            for name in &names {
                let target = std::fs::read_link(w.join(name)).unwrap();
                assert_eq!(target, std::path::Path::new(&name.replacen('s', "t", 1)));
            }
            assert!(
                names.len() == 1 || names.len() == 1001,
                "{mode:?}: {names:?}"
            );
        });
        assert!(per_turn <= most, "{mode:?}: {per_turn:.2} syscalls a turn");
    }
}

/// A `wasi:filesystem` `stat-at` of a name that is not there, in a
/// directory the cache trusts, is one `fstatat`: the `no-entry` it finds
/// under the read lock is handed to the write-locked call that remembers
/// it (`ReadLocked::Looked`), which asked the host again before. A new
/// name stat-ed twice a turn (`bench_std missing`): one syscall in
/// exclusive and coherent mounts (it was two; the second stat is the
/// remembered `no-entry`), two in a shared one (each stat asks again, in
/// one walk by the kernel, and remembers nothing). Nothing is made.
#[test]
fn stat_of_a_missing_name_counted() {
    for (mode, most) in [("exclusive", 1.0), ("", 1.05), ("shared", 2.0)] {
        let per_turn = syscalls_per_turn(mode, "missing", |w| {
            assert_eq!(host_names(w), Vec::<String>::new(), "{mode:?}");
        });
        assert!(per_turn <= most, "{mode:?}: {per_turn:.2} syscalls a turn");
    }
}

/// A coherent mount's watch of a directory is made with what the watches
/// before it came to need, in one `inotify_add_watch`: a directory made,
/// looked into, stat-ed and probed twice for a missing name a turn
/// (`bench_std probe`, as a search probing each directory for its ignore
/// files) costs one syscall more than in an exclusive mount (9 a turn),
/// where a watch made narrow and widened need by need cost four (the
/// widenings to stats and to names made, and the second probe, as the
/// first `no-entry` was not remembered). Shared: 19. The directories are
/// the host's.
#[test]
fn a_watch_made_with_what_it_will_need_counted() {
    let count = |mode: &str| {
        syscalls_per_turn(mode, "probe", |w| {
            assert_eq!(host_names(w).len() % 1000, 1, "{mode:?}");
            assert!(w.join("d0").is_dir());
        })
    };
    let exclusive = count("exclusive");
    let coherent = count("");
    assert!(
        coherent <= exclusive + 1.05,
        "{coherent:.2} syscalls a turn, exclusive {exclusive:.2}"
    );
    assert!(count("shared") <= exclusive * 2.2);
}

/// A log written and stat-ed a line at a time (`bench_std logstat`: the
/// line's write, then `fs::metadata` of the log's name): no memo ever
/// answers, so a coherent mount's watches stop telling of the writes
/// (narrowed, and tried again only after 2, 4, … 256 stats), and the two
/// halves of the `stat` (the hash not following a symlink, the stat
/// following) are one `fstatat`, as the log is no symlink: host syscalls
/// a turn, 3 in an exclusive mount (two writes and an `fstatat`), at most
/// a quarter more in a coherent one (it was 5: an `epoll_wait` and a
/// `read` of the writes' events a turn), 4 in a shared one (it was 5).
/// The log holds every line.
#[test]
fn a_log_written_and_stated_in_turn_counted() {
    let count = |mode: &str| {
        syscalls_per_turn(mode, "logstat", |w| {
            let log = std::fs::read_to_string(w.join("log")).unwrap();
            let lines: Vec<_> = log.lines().collect();
            assert!(lines.len() == 1 || lines.len() == 1001, "{mode:?}");
            assert_eq!(lines.last().copied(), Some(&*(lines.len() - 1).to_string()));
        })
    };
    let exclusive = count("exclusive");
    assert!(
        exclusive <= 3.05,
        "exclusive: {exclusive:.2} syscalls a turn"
    );
    let coherent = count("");
    assert!(
        coherent <= exclusive + 0.25,
        "{coherent:.2} syscalls a turn, exclusive {exclusive:.2}"
    );
    let shared = count("shared");
    assert!(shared <= 4.05, "shared: {shared:.2} syscalls a turn");
}

/// A directory read and each entry stat-ed (`bench_std readdir`:
/// `read_dir`, then `DirEntry::metadata` of each entry: wasi-libc's
/// `metadata-hash-at` of the entry, then the program's stat of its path
/// from the preopen): host syscalls an entry, 1 in an exclusive mount
/// (`readdir`'s stat answers the program's), 1 in a coherent one too
/// (`readdir`'s hash answered from the listing's `d_ino`, the directory's
/// watch vouching that no name changed since: it was 2, `readdir`'s
/// `fstatat` and the program's; 7 before that, with an
/// `inotify_add_watch` and the `fstatat`s and look it made again on every
/// entry). The files are the host's.
#[test]
fn a_directory_read_and_each_entry_stated_counted() {
    let per_entry = |mode: &str| {
        let run = |n: usize| {
            let fx = Fixture::new();
            std::fs::create_dir(fx.path("flat")).unwrap();
            for i in 0..n {
                std::fs::write(fx.path(&format!("flat/f{i}")), b"x").unwrap();
            }
            let syscalls = syscalls_of(&fx.sandbox, mode, &["readdir"]);
            assert_eq!(std::fs::read_dir(fx.path("flat")).unwrap().count(), n);
            syscalls
        };
        let per_entry = (run(1001) - run(1)) as f64 / 1000.0;
        eprintln!("{mode:?}: {per_entry:.2} syscalls an entry");
        per_entry
    };
    let exclusive = per_entry("exclusive");
    assert!(exclusive <= 1.05, "exclusive: {exclusive:.2}");
    let coherent = per_entry("");
    assert!(
        coherent <= exclusive + 0.05,
        "{coherent:.2} syscalls an entry, exclusive {exclusive:.2}"
    );
}

/// A `wasi:filesystem` `open-at` with `create` of a name that is there is
/// its `O_EXCL` attempt and then the kernel's open of the name (`openat`,
/// `fstat`, with `O_TRUNC` for `truncate`), as an open without `create`
/// is: no dentry walked to and re-opened. `fs::write` over 1,000 files
/// made just before (`bench_std rewrite`), host syscalls a file made and
/// written over: 7 in exclusive and coherent mounts (it was 10), 9 in a
/// shared one (12). A file opened to append again and again
/// (`bench_std append`: `O_CREAT | O_APPEND`, a log) skips the `O_EXCL`
/// attempt after the first (the name noted as found): 4 syscalls a line
/// (`openat`, `fstat`, `pwritev2`, `close`), as before, when its dentry
/// stayed cached; 5 in shared (6). The host files hold what was written.
#[test]
fn create_open_of_an_existing_name_counted() {
    for (mode, most) in [("exclusive", 7.0), ("", 7.05), ("shared", 9.0)] {
        let per_turn = syscalls_per_turn(mode, "rewrite", |w| {
            let names = host_names(w);
            assert!(names.len() == 1 || names.len() == 1001, "{mode:?}");
            for i in 0..names.len() {
                let written = std::fs::read_to_string(w.join(format!("f{i}"))).unwrap();
                assert_eq!(written, i.to_string(), "{mode:?}");
            }
        });
        assert!(
            per_turn <= most,
            "{mode:?}: {per_turn:.2} syscalls a rewrite"
        );
    }
    // A thousandth over: the second line's `O_EXCL` attempt.
    for (mode, most) in [("exclusive", 4.001), ("", 4.05), ("shared", 5.001)] {
        let per_turn = syscalls_per_turn(mode, "append", |w| {
            let log = std::fs::read_to_string(w.join("log")).unwrap();
            let lines: Vec<_> = log.lines().collect();
            assert!(lines.len() == 1 || lines.len() == 1001, "{mode:?}");
            assert!(lines.iter().enumerate().all(|(i, l)| *l == i.to_string()));
        });
        assert!(
            per_turn <= most,
            "{mode:?}: {per_turn:.2} syscalls an append"
        );
    }
}

/// A `wasi:filesystem` `open-at` of a name the tree caches nothing of is
/// the kernel's open of the name in its directory (`openat` and `fstat`, as
/// wasmtime-wasi's), not a walk that opens a dentry and a re-open of it:
/// `fs::read` of 200 files once each (`bench_std read`), `--stats`
/// `host_syscalls` a file: 5 in exclusive and coherent mounts (`openat`,
/// `fstat`, two `read`s, `close`; it was 7, and an eighth, the dentry's
/// `close`, when the cache let it go), and no dentry cached for any of the
/// files (it was one each).
#[test]
fn open_by_name_counted() {
    let fx = Fixture::new();
    for d in ["d00", "d01"] {
        std::fs::create_dir_all(fx.path(&format!("tree/{d}"))).unwrap();
        for f in 0..100 {
            std::fs::write(fx.path(&format!("tree/{d}/f{f:03}")), b"four").unwrap();
        }
    }
    // A hundredth over: the walk to `d01`.
    for (mode, most) in [("exclusive", 5.05), ("", 5.1), ("shared", 7.05)] {
        let run = |dirs: &str, files: &str| {
            let mut argv = vec![
                "--stats".to_string(),
                "--dir".to_string(),
                format!("{}::/b{}", fx.sandbox.display(), common::comma(mode)),
                guest("bench_std").display().to_string(),
            ];
            argv.extend(["read", dirs, files, "0"].map(String::from));
            let run = dfs_run(argv);
            run.assert_success();
            (run.stat("host_syscalls"), run.stat("dentries"))
        };
        let (once, _) = run("1", "1");
        let (all, dentries) = run("2", "100");
        let per_file = (all - once) as f64 / 199.0;
        eprintln!("{mode:?}: {per_file:.2} syscalls a file read, {dentries} dentries after");
        assert!(per_file <= most, "{mode:?}: {per_file:.2} syscalls a file");
        // The root, `tree`, `d00`, `d01`: no file's.
        assert!(dentries <= 4, "{mode:?}: {dentries} dentries cached");
    }
}
