//! SQLite, a real third-party program, through preview 1: SQLite 3.46.0
//! built with wasi-libc (`c_sqlite.wasm`, from `guests/c/sqlite/c_sqlite.c`
//! by `scripts/build-wasip1-guests.sh`) keeps a database in the sandbox —
//! `pread`/`pwrite` at page offsets, `ftruncate`, `fsync`, `fstat` for the
//! file's size, a rollback journal created, synced and unlinked at every
//! commit, a lock directory (its `unix-dotfile` VFS) made and removed — while
//! others write to the same file:
//!
//! - the host's own SQLite (Python's `sqlite3`, with its POSIX locks) adds
//!   rows while the guest holds the database open: the guest's output and
//!   the file it leaves must equal wasmtime-wasi's byte for byte, in every
//!   mode that promises freshness;
//! - three `dfs-run` processes (two directfs, one wasmtime-wasi) commit
//!   into one database at once, taking turns through the lock directory:
//!   no transaction lost, the file intact.
//!
//! Each test then reads the database with the host's SQLite.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::host_tree;

/// `c_sqlite.wasm`, built by `scripts/build-wasip1-guests.sh`.
fn sqlite_module() -> &'static Path {
    static MODULE: OnceLock<PathBuf> = OnceLock::new();
    MODULE.get_or_init(|| {
        let path = common::script_dir("build-wasip1-guests.sh").join("c_sqlite.wasm");
        assert!(path.exists(), "no c_sqlite.wasm at {}", path.display());
        path
    })
}

/// Runs `statements` (`;`-separated) on the database `db` with the host's
/// SQLite (Python's `sqlite3` module), committing; returns every row
/// printed as `a|b|…`, one a line.
fn native_sqlite(db: &Path, statements: &str) -> String {
    const SCRIPT: &str = r#"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=60)
for statement in sys.argv[2].split(";"):
    if statement.strip():
        for row in db.execute(statement):
            print("|".join(str(v) for v in row))
db.commit()
db.close()
"#;
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(db)
        .arg(statements)
        .output()
        .expect("python3 (the host's SQLite) runs");
    assert!(
        out.status.success(),
        "the host's SQLite on {}: {}",
        db.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The host's SQLite dies (`os._exit`) in the middle of a transaction on
/// `db` that rewrites every row of the guest's, its page cache one page:
/// changed pages already written to the file, a hot journal beside it.
fn native_sqlite_dies_in_a_transaction(db: &Path) {
    const SCRIPT: &str = r#"
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA cache_size=1")
db.execute("BEGIN")
db.execute("UPDATE t SET body = zeroblob(100) WHERE name LIKE 'n%'")
os._exit(0)
"#;
    let status = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(db)
        .status()
        .expect("python3 (the host's SQLite) runs");
    assert!(status.success());
    let journal = db.with_file_name("work.db-journal");
    assert!(journal.exists(), "the host's SQLite left no journal");
}

/// `c_sqlite work /s/work.db JOURNAL` with `dir` as `/s` (`options` after
/// it), under `wasi_fs`. At its first `wait` (the database built, the
/// connection open) the host's SQLite adds 2,000 rows (the file grows by
/// megabytes); at its second (the database closed) the host's SQLite dies
/// in a transaction. Its output and exit status.
fn work_with_the_host_writing(dir: &Path, wasi_fs: &str, options: &str, journal: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .args(["--wasi-fs", wasi_fs, "--dir"])
        .arg(format!("{}::/s{options}", dir.display()))
        .arg(sqlite_module())
        .args(["work", "/s/work.db", journal])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = String::new();
    let mut waits = 0;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line == "wait" {
            waits += 1;
            let db = dir.join("work.db");
            match waits {
                1 => {
                    native_sqlite(
                        &db,
                        "WITH RECURSIVE s(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM s \
                         WHERE v < 1999) INSERT INTO t(name, body) \
                         SELECT printf('host_%04d', v), zeroblob(v * 3) FROM s",
                    );
                }
                _ => native_sqlite_dies_in_a_transaction(&db),
            }
            stdin.write_all(b"go\n").unwrap();
        }
        out.push_str(&line);
        out.push('\n');
    }
    let status = child.wait().unwrap();
    out.push_str(&format!("exit: {status}\n"));
    out
}

/// Checks that two runs printed the same lines, naming the first that
/// differs (directfs's, then wasmtime-wasi's).
fn assert_same_output(ours: &str, theirs: &str, mode: &str) {
    let (a, b): (Vec<_>, Vec<_>) = (ours.lines().collect(), theirs.lines().collect());
    if let Some(i) = (0..a.len().min(b.len())).find(|&i| a[i] != b[i]) {
        panic!(
            "{mode}: line {} differs (directfs, then wasmtime):\n  {}\n  {}\n\
             the lines before:\n{}",
            i + 1,
            a[i],
            b[i],
            a[i.saturating_sub(5)..i].join("\n")
        );
    }
    assert_eq!(
        a.len(),
        b.len(),
        "{mode}: the outputs' lengths differ:\n{ours}"
    );
}

#[test]
fn sqlite_with_the_host_writing_as_wasmtime() {
    for journal in ["delete", "truncate"] {
        let run = |wasi_fs: &str, options: &str| {
            let tmp = tempfile::tempdir().unwrap();
            let out = work_with_the_host_writing(tmp.path(), wasi_fs, options, journal);
            (tmp, out)
        };
        let (theirs_dir, theirs) = run("wasmtime", "");
        assert!(
            theirs.ends_with("close: 0\nexit: exit status: 0\n"),
            "{theirs}"
        );
        // The rows after the guest's last commit (the guest's 1,200 less
        // its deletes, the host's 2,000 added while the guest held the file
        // open, the guest's 100 after), seen again once the guest has
        // rolled back the dead transaction of the host's.
        let rows = "2900|7788745|n4_298";
        assert_eq!(theirs.lines().filter(|l| *l == rows).count(), 2, "{theirs}");
        for options in ["", ",pool", ",shared"] {
            let (ours_dir, ours) = run("directfs", options);
            let mode = format!("journal {journal}, directfs{options}");
            assert_same_output(&ours, &theirs, &mode);
            assert_eq!(
                host_tree(ours_dir.path()),
                host_tree(theirs_dir.path()),
                "{mode}: the databases left (directfs, then wasmtime)"
            );
            // The host's SQLite finds the same rows, intact, and no journal
            // or lock directory is left behind.
            assert_eq!(
                native_sqlite(
                    &ours_dir.path().join("work.db"),
                    "PRAGMA integrity_check; \
                     SELECT count(*), sum(length(body)), max(name) FROM t",
                ),
                format!("ok\n{rows}\n"),
                "{mode}"
            );
            assert_eq!(
                common::host_names(ours_dir.path()),
                ["work.db", "work.db-other"],
                "{mode}"
            );
        }
        // `exclusive` promises nothing when others write, and here it
        // goes wrong with `delete`: it misses the journal the host made (a
        // name it had seen absent), reads the torn file and leaves the
        // journal. (That the test sees this is what makes it a test of
        // every other mode's freshness.) With `truncate` it went wrong too
        // while it cached the dentry of its own journal, which the host's
        // SQLite removed; since a WASI open with `create` of a name that
        // is there opens it by name, caching nothing of it, it does not.
        if journal == "delete" {
            let (_, stale) = run("directfs", ",exclusive");
            assert_ne!(stale, theirs, "journal {journal}: exclusive");
        }
    }
}

#[test]
fn sqlite_writers_in_three_processes() {
    const EACH: usize = 200;
    let tmp = tempfile::tempdir().unwrap();
    let mut writers: Vec<_> = ["directfs", "directfs", "wasmtime"]
        .iter()
        .enumerate()
        .map(|(i, wasi_fs)| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_dfs-run"))
                .args(["--wasi-fs", wasi_fs, "--dir"])
                .arg(format!("{}::/s", tmp.path().display()))
                .arg(sqlite_module())
                .args(["writer", "/s/w.db", &format!("w{i}"), &EACH.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let stdout = BufReader::new(child.stdout.take().unwrap());
            (child, stdout)
        })
        .collect();
    // Each says `wait` with the database open (its module compiled, the
    // table made); then all are told to go at once.
    let mut outs = vec![String::new(); writers.len()];
    for ((_, stdout), out) in writers.iter_mut().zip(&mut outs) {
        while !out.ends_with("wait\n") {
            assert_ne!(stdout.read_line(out).unwrap(), 0, "no `wait`: {out}");
        }
    }
    for (child, _) in &mut writers {
        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    }
    for (i, ((mut child, mut stdout), mut out)) in writers.into_iter().zip(outs).enumerate() {
        stdout.read_to_string(&mut out).unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "writer {i}: {status}\n{out}");
        common::assert_lines(
            &out,
            &[
                &format!("writer w{i}: 0 failed"),
                "[0] PRAGMA integrity_check; -> ok",
                "close: 0",
            ],
        );
    }
    let db = tmp.path().join("w.db");
    assert_eq!(
        native_sqlite(
            &db,
            "PRAGMA integrity_check; SELECT substr(name, 1, 2), count(*), \
             count(DISTINCT name) FROM t GROUP BY 1 ORDER BY 1",
        ),
        format!("ok\nw0|{EACH}|{EACH}\nw1|{EACH}|{EACH}\nw2|{EACH}|{EACH}\n")
    );
    // They took turns: the rows' order changes writer many times (one
    // writer finishing before the next began would change it twice).
    let order = native_sqlite(&db, "SELECT substr(name, 1, 2) FROM t ORDER BY id");
    let order: Vec<&str> = order.lines().collect();
    let turns = order.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(turns > 20, "the writers hardly overlapped: {turns} turns");
    assert_eq!(common::host_names(tmp.path()), ["w.db"]);
}
