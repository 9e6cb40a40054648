//! `wasi:filesystem` 0.3 served by directfs, differentially: each `p3_*`
//! guest (WASI 0.3 bindings) runs under directfs's `wasi:filesystem@0.3.0`
//! and under wasmtime-wasi's on identical fixtures, in `shared` and `pool`
//! mounts too ([`common::wasi::differential_p3`]); the printed steps and the
//! host trees left behind must be identical, and nothing outside the sandbox
//! may change. Then each test checks the host filesystem for the effects
//! its guest asked for. One test per guest.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::wasi::{
    differential_p3, dir_streams_stay_small, hostile, run_side, traced_as_wasmtime,
};
use common::{dfs_run, guest};

#[test]
fn p3_files() {
    let side = differential_p3("p3_files");
    let (fx, out) = (&side.fx, &side.run.stdout);
    assert!(out.contains("read a.txt: ok \"hello, world\""), "{out}");
    assert!(
        out.contains("read a.txt again: ok \"heLLo, world\""),
        "{out}"
    );
    assert!(out.contains("read big: ok (3145728, "), "{out}");
    assert!(out.contains(", true)"), "{out}");
    assert!(
        out.contains("create exclusive existing: err ErrorCode::Exist"),
        "{out}"
    );
    assert!(
        out.contains("ro open for write: err ErrorCode::NotPermitted"),
        "{out}"
    );
    // The effects, on the host.
    assert_eq!(std::fs::read(fx.path("a.txt")).unwrap(), b"");
    assert!(!fx.path("big").exists());
    // (Not the mtime `set-times` set: the truncate after it moved it.)
    assert!(
        out.contains("mtime: ok Some(Instant { seconds: 1000000000, nanoseconds: 500 })"),
        "{out}"
    );
}

#[test]
fn p3_dirs() {
    let side = differential_p3("p3_dirs");
    let out = &side.run.stdout;
    assert!(out.contains("read-directory d: 1501 entries"), "{out}");
    assert!(out.contains("names as made: true"), "{out}");
    assert!(
        out.contains("rmdir d (not empty): err ErrorCode::NotEmpty"),
        "{out}"
    );
    assert!(out.contains("list a removed d: ok []"), "{out}");
    assert!(
        out.contains("ro mkdir: err ErrorCode::NotPermitted"),
        "{out}"
    );
    // Everything it made, it removed again.
    assert_eq!(common::host_names(&side.fx.sandbox), ["out", "up"]);
}

/// 0.3 times before the epoch, as the WIT's `instant` counts them
/// (`{ -1 s, 999999999 ns }` is one nanosecond before the epoch): set on
/// the host file, and the same instants back from `stat`. Not compared with
/// wasmtime-wasi, which counts the nanoseconds of a negative instant
/// backwards (`docs/wasi.md`).
#[test]
fn p3_times_before_epoch() {
    for options in ["", ",shared", ",pool"] {
        let side = run_side("p3_times_before_epoch", "directfs", options, |_| {});
        side.run.assert_success();
        let out = &side.run.stdout;
        common::assert_lines(
            out,
            &[
                "stat-at f: ok (Some((-2, 500000000)), Some((-1, 999999999)))",
                "stat: ok (Some((-2, 500000000)), Some((-3, 1)))",
            ],
        );
        let m = std::fs::metadata(side.fx.path("f")).unwrap();
        // -1.5 s, and -2.999999999 s.
        assert_eq!((m.atime(), m.atime_nsec()), (-2, 500_000_000));
        assert_eq!((m.mtime(), m.mtime_nsec()), (-3, 1));
    }
}

#[test]
fn p3_links() {
    let side = differential_p3("p3_links");
    let (fx, out) = (&side.fx, &side.run.stdout);
    assert!(
        out.contains("hash a == b: true, == s followed: true, == s itself: false"),
        "{out}"
    );
    assert!(out.contains("is-same-object a b: true"), "{out}");
    assert!(out.contains("renamed still open: ok [97, 97, 97]"), "{out}");
    assert_eq!(std::fs::read_link(fx.path("s2")).unwrap(), Path::new("a"));
    assert_eq!(std::fs::read(fx.path("d1/d2/moved")).unwrap(), b"aaa");
    assert_eq!(std::fs::read(fx.path("b")).unwrap(), b"aaa");
    let m = std::fs::metadata(fx.path("b")).unwrap();
    assert_eq!(m.nlink(), 2);
    assert_eq!(
        m.ino(),
        std::fs::metadata(fx.path("d1/d2/moved")).unwrap().ino()
    );
    assert_eq!(
        common::host_names(&fx.sandbox),
        ["b", "d1", "out", "s2", "up"]
    );
}

/// [`wasi_across_perms`] through WASI 0.3 (wasmtime's
/// `p3_file_*_across_perms`, `p3_file_truncation_readonly`).
#[test]
fn p3_across_perms() {
    let side = differential_p3("p3_across_perms");
    let out = &side.run.stdout;
    for step in [
        "link ro/f -> sandbox/alias: err ErrorCode::NotPermitted",
        "rename sandbox/w -> ro/w: err ErrorCode::NotPermitted",
        "open ro/f truncate: err ErrorCode::NotPermitted",
        "ro/f append: err ErrorCode::NotPermitted",
        "ro/f: ok Ok(\"ro\\n\")",
    ] {
        assert!(out.lines().any(|line| line == step), "{step}:\n{out}");
    }
    assert_eq!(std::fs::read(side.fx.path("w")).unwrap(), b"w");
}

/// A WASI 0.3 write stream fed chunks doubling from 16 bytes takes a short
/// write long before one chunk would be 128 MiB (directfs writes what it
/// was given, then asks for more; the guest asserts it), in every mode, and
/// the host file holds every byte acknowledged; then a thousand names made,
/// listed and removed (wasmtime's `p3_file_write_chunked` and
/// `p3_readdir`; wasmtime-wasi 48 takes every chunk whole and fails the
/// first).
#[test]
fn p3_write_chunked() {
    for options in ["", ",exclusive", ",shared", ",pool"] {
        let side = run_side("p3_write_chunked", "directfs", options, |_| {});
        side.run.assert_success();
        let out = &side.run.stdout;
        for step in [
            "a short write came before 128 MiB: true",
            "read back as written: true",
            "listed a thousand names: true",
            "listed after removing them: ok 0",
        ] {
            assert!(
                out.lines().any(|line| line == step),
                "{options}: {step}:\n{out}"
            );
        }
        let written: usize = out
            .lines()
            .find_map(|line| line.strip_prefix("written: "))
            .expect("the count written")
            .parse()
            .unwrap();
        let file = std::fs::read(side.fx.path("chunked")).unwrap();
        assert_eq!(file.len(), written, "{options}");
        assert!(file.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        assert_eq!(
            common::host_names(&side.fx.path("lots")),
            Vec::<String>::new()
        );
    }
}

#[test]
fn p3_escape() {
    let side = differential_p3("p3_escape");
    let out = &side.run.stdout;
    // Every way out is refused (and `compare` checked the outside).
    for path in ["..", "/etc/passwd", "out", "up", "up/x", "d/../up"] {
        assert!(
            out.contains(&format!(
                "open-at {path:?} following: err ErrorCode::NotPermitted"
            )),
            "{path}: {out}"
        );
    }
    assert!(
        out.contains("create through \"rel-out/secret\": err"),
        "{out}"
    );
    assert!(!out.contains("through \"deep-out\": ok"), "{out}");
}

#[test]
fn p3_concurrent() {
    let side = differential_p3("p3_concurrent");
    let (fx, out) = (&side.fx, &side.run.stdout);
    assert!(out.contains("writes: 64 ok"), "{out}");
    for i in [0, 17, 63] {
        let size = format!("file {i}\n").len() * (i + 1);
        assert!(out.contains(&format!("stat c{i:02}: Ok({size})")), "{out}");
        assert!(out.contains(&format!("read c{i:02}: Ok(true)")), "{out}");
    }
    assert!(
        out.contains("read 400000 bytes: 200000 a, 200000 b"),
        "{out}"
    );
    assert!(out.contains("removes: 64 ok"), "{out}");
    let shared = std::fs::read(fx.path("shared")).unwrap();
    assert_eq!(shared.len(), 400_000);
    assert!(shared[..200_000].iter().all(|&b| b == b'a'));
    assert!(shared[200_000..].iter().all(|&b| b == b'b'));
}

/// A WASI 0.3 guest reads and writes one FIFO at once (directfs only:
/// wasmtime-wasi's `open-at` of a FIFO blocks its thread until a writer
/// opens it, which here never comes).
#[test]
fn p3_fifo() {
    let fx = common::Fixture::new();
    nix::unistd::mkfifo(
        &fx.path("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let run = dfs_run([
        "-W".into(),
        "timeout=60s".into(),
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()).into(),
        guest("p3_fifo").into_os_string(),
    ]);
    run.assert_success();
    let out = &run.stdout;
    assert!(out.contains("type: ok DescriptorType::Fifo"), "{out}");
    assert!(
        out.contains("read 1048576 bytes, in order: true, result Ok(())"),
        "{out}"
    );
    assert!(out.contains("wrote: Ok(())"), "{out}");
    fx.assert_outside_untouched();
}

/// [`dir_streams_stay_small`] through WASI 0.3 (`read-directory`).
#[test]
fn p3_dir_streams() {
    dir_streams_stay_small("p3_dir_streams");
}

/// WASI 0.3 descriptors and `read-directory` streams count towards
/// `--max-open` (a stream holds a host FD of its own): past it both fail
/// with `insufficient-memory`, dropping them makes room again, and the
/// host FDs stay bounded.
#[test]
fn p3_limits() {
    let fx = common::Fixture::new();
    let run = dfs_run([
        "--stats".into(),
        "--max-open".into(),
        "8".into(),
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()).into(),
        guest("p3_limits").into_os_string(),
    ]);
    run.assert_success();
    let out = &run.stdout;
    assert!(out.contains("streams listed: 7, refused: 13"), "{out}");
    assert!(
        out.contains("open 7: err ErrorCode::InsufficientMemory"),
        "{out}"
    );
    assert!(
        out.contains("read-directory at the limit: err ErrorCode::InsufficientMemory"),
        "{out}"
    );
    assert!(out.contains("entries: 7"), "{out}");
    assert_eq!(run.stat("open_resources"), 0);
    assert!(run.stat("peak_host_fds") <= 16, "{run:?}");
    assert_eq!(common::host_names(&fx.sandbox).len(), 7);
}

/// A hostile `wasi:filesystem` 0.3 guest (`p3_hostile`): as `wasi_hostile`,
/// with 0.3's streams and futures read part-way, kept unread, given part of
/// their data and dropped, their results awaited late or never.
#[test]
fn p3_hostile() {
    hostile("p3_hostile");
}

/// The hostile `wasi:filesystem` 0.3 guest's calls, traced (`TRACE`): as
/// [`wasi_hostile_errno_for_errno`], each stream read or written and its
/// result awaited at once (wasmtime-wasi's 0.3 streams run in tasks of
/// their own, so when one fails is timing), three seeds of 20,000 calls.
#[test]
fn p3_hostile_errno_for_errno() {
    traced_as_wasmtime("p3_hostile", &["5", "17", "60"]);
}
