//! `dfs-run` as a user runs it: the README's demo, arguments and environment,
//! exit statuses, and a one-line error for every way it cannot start.

mod common;

use common::{Fixture, dfs_run, guest, host_names};

#[test]
fn demo() {
    let fx = Fixture::new();
    let run = dfs_run([
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()).into(),
        guest("demo").into_os_string(),
    ]);
    run.assert_success();
    common::assert_lines(
        &run.stdout,
        &[
            "preopen \"/sandbox\"",
            "mkdir   notes/",
            "create  notes/hello.txt (25 bytes)",
            "read    notes/hello.txt: Hello from a wasm guest!",
        ],
    );
    assert!(
        run.stdout.contains("list    file hello.txt   25 bytes"),
        "{}",
        run.stdout
    );
    assert_eq!(host_names(&fx.path("notes")), ["hello.txt", "todo.txt"]);
    assert_eq!(
        std::fs::read_to_string(fx.path("notes/hello.txt")).unwrap(),
        "Hello from a wasm guest!\n"
    );
    // Running it again is fine: it replaces its files.
    dfs_run([
        "--dir".into(),
        fx.sandbox.clone().into_os_string(),
        guest("demo").into_os_string(),
    ])
    .assert_success();
    fx.assert_outside_untouched();
}

/// The example `dfs-run --help` ends with runs as printed, with a real
/// sandbox and guest put in for its `./sandbox` and `guest.wasm`: its
/// `--dir` is dfs-run's (the guest sees the preopen), the words after the
/// guest are the guest's.
#[test]
fn cli_help_example_runs() {
    let help = dfs_run(["--help"]);
    help.assert_success();
    let example = help
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Example: dfs-run "))
        .unwrap_or_else(|| panic!("no example in:\n{}", help.stdout));
    let fx = Fixture::new();
    let words: Vec<std::ffi::OsString> = example
        .split_whitespace()
        .map(|w| match w {
            "guest.wasm" => guest("demo").into_os_string(),
            _ => w
                .replace("./sandbox", &fx.sandbox.display().to_string())
                .into(),
        })
        .collect();
    dfs_run(words).assert_success();
    assert_eq!(host_names(&fx.path("notes")), ["hello.txt", "todo.txt"]);
    fx.assert_outside_untouched();
}

#[test]
fn cli_args_env() {
    let run = {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dfs-run"))
            .args([
                "--env",
                "GREETING=hi=there",
                "--env",
                "FROM_HOST",
                "--env",
                "UNSET_ON_HOST",
            ])
            .arg(guest("cli_args_env"))
            // After COMPONENT everything is the guest's, as `wasmtime run`.
            .args(["one", "--two", "--env", "X=1", "--help"])
            .env("FROM_HOST", "inherited")
            .env_remove("UNSET_ON_HOST")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // argv[0] is the component's file name, as wasmtime gives it.
    assert_eq!(
        run,
        "args=[\"cli_args_env.wasm\", \"one\", \"--two\", \"--env\", \"X=1\", \"--help\"]\n\
         GREETING=Some(\"hi=there\")\nFROM_HOST=Some(\"inherited\")\n"
    );
}

/// wasmtime's `-S` and `-W` spellings: `-S inherit-env` passes the host's
/// environment (`--env` still overrides it), and what the WASI test
/// suite's wasmtime adapter passes for WASI 0.3 (`-W
/// component-model-async=y -S p3`) is accepted; `-S http` is refused.
#[test]
fn cli_wasmtime_wasi_flags() {
    let run = |flags: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dfs-run"))
            .args(flags)
            .arg(guest("cli_args_env"))
            .env("FROM_HOST", "inherited")
            .env("GREETING", "from the host")
            .output()
            .unwrap()
    };
    let out = run(&[
        "-W",
        "component-model-async=y",
        "-S",
        "p3,cli=y",
        "-S",
        "inherit-env",
        "--env",
        "GREETING=hi",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("FROM_HOST=Some(\"inherited\")"), "{stdout}");
    assert!(stdout.contains("GREETING=Some(\"hi\")"), "{stdout}");
    // Without `-S inherit-env`: nothing of the host's.
    let out = run(&[]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("FROM_HOST=None") && stdout.contains("GREETING=None"),
        "{stdout}"
    );
    let out = run(&["-S", "http"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("dfs-run does not provide wasi-http"),
        "{stderr}"
    );
}

/// `-S cwd=PATH` sets the guest's `get-initial-cwd`, as `wasmtime run
/// -S cwd=PATH` (wasmtime's `p2_cli_initial_cwd`); none without it. The
/// same under `--wasi-fs wasmtime`.
#[test]
fn cli_initial_cwd() {
    let fx = Fixture::new();
    let dir = format!("{}::/sandbox", fx.sandbox.display());
    for wasi_fs in ["directfs", "wasmtime"] {
        let with = dfs_run([
            "--wasi-fs".into(),
            wasi_fs.into(),
            "-S".into(),
            "cwd=/sandbox".into(),
            "--dir".into(),
            dir.clone().into(),
            guest("cli_initial_cwd").into_os_string(),
        ]);
        with.assert_success();
        assert_eq!(with.stdout, "initial-cwd=Some(\"/sandbox\")\n", "{wasi_fs}");
        let without = dfs_run([
            "--wasi-fs".into(),
            wasi_fs.into(),
            guest("cli_initial_cwd").into_os_string(),
        ]);
        without.assert_success();
        assert_eq!(without.stdout, "initial-cwd=None\n", "{wasi_fs}");
    }
    let bad = dfs_run(["-S", "cwd", "g.wasm"]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(
        bad.stderr.contains("-S cwd=PATH: a path is needed"),
        "{}",
        bad.stderr
    );
}

#[test]
fn cli_exit() {
    let wasm = guest("cli_exit");
    assert_eq!(dfs_run([wasm.as_os_str()]).code, Some(0));
    // WASI 0.2 carries only success or failure: exit(7) arrives as 1.
    let fail = dfs_run([wasm.as_os_str(), "fail".as_ref()]);
    assert_eq!(fail.code, Some(1), "{fail:?}");
    let trap = dfs_run([wasm.as_os_str(), "trap".as_ref()]);
    assert_eq!(trap.code, Some(134), "{trap:?}");
    assert!(
        trap.stderr.contains("guest asked to trap"),
        "{}",
        trap.stderr
    );
    assert!(
        trap.stderr.contains("dfs-run: guest trapped"),
        "{}",
        trap.stderr
    );
}

/// Exactly one line on stderr, starting `dfs-run: error:`, exit status 2.
#[track_caller]
fn assert_one_line_error(run: &common::Run, needle: &str) {
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "one line: {:?}", run.stderr);
    assert!(
        run.stderr.starts_with("dfs-run: error: "),
        "{:?}",
        run.stderr
    );
    assert!(
        run.stderr.contains(needle),
        "{:?} should name {needle:?}",
        run.stderr
    );
}

#[test]
fn missing_component() {
    let run = dfs_run(["--dir", "/tmp", "missing.wasm"]);
    assert_one_line_error(&run, "missing.wasm");
    assert!(run.stderr.contains("No such file"), "{}", run.stderr);
}

#[test]
fn missing_dir() {
    let run = dfs_run(["--dir", "/nonexistent", "guest.wasm"]);
    assert_one_line_error(&run, "/nonexistent");
    assert!(
        run.stderr.contains("No such file or directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn dir_is_a_file() {
    let fx = Fixture::new();
    std::fs::write(fx.path("file"), b"").unwrap();
    let run = dfs_run([
        "--dir".as_ref(),
        fx.path("file").as_os_str(),
        "guest.wasm".as_ref(),
    ]);
    assert_one_line_error(&run, "not a directory");
}

#[test]
fn not_a_component() {
    let fx = Fixture::new();
    // A core module that is no wasip1 command (no `_start`, no memory).
    std::fs::write(fx.path("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(fx.path("text.wasm"), b"hello").unwrap();
    assert_one_line_error(
        &dfs_run([fx.path("core.wasm")]),
        "as a wasm32-wasip1 command (a core module importing wasi_snapshot_preview1 and \
         exporting _start, or the export --invoke names): failed to find function export \
         `_start`",
    );
    assert_one_line_error(
        &dfs_run([fx.path("text.wasm")]),
        "is not a wasm component or module",
    );
}

#[test]
fn bad_dir_option() {
    let run = dfs_run(["--dir", "/tmp::/data,bogus", "guest.wasm"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains("unknown --dir option \"bogus\""),
        "{}",
        run.stderr
    );
}

/// The second start of a component is served from wasmtime's compilation
/// cache (a hit it reports), and is faster; `-C cache=n` compiles every
/// time.
#[test]
fn cli_cache() {
    let fx = Fixture::new();
    let config = fx.path("cache.toml");
    std::fs::write(
        &config,
        format!(
            "[cache]\ndirectory = {:?}\n",
            fx.path("cache").display().to_string()
        ),
    )
    .unwrap();
    let cached = format!("cache-config={}", config.display());
    let run = |codegen: &str| {
        let start = std::time::Instant::now();
        let run = dfs_run([
            "--stats".as_ref(),
            "-C".as_ref(),
            codegen.as_ref(),
            guest("std_files").as_os_str(),
        ]);
        (run, start.elapsed())
    };
    let (first, cold) = run(&cached);
    let (second, warm) = run(&cached);
    let (off, uncached) = run("cache=n");
    for r in [&first, &second, &off] {
        // No preopen: std_files's first step fails, and it says so.
        assert!(r.stdout.contains("err"), "{r:?}");
    }
    assert_eq!(
        (first.stat("cache_hits"), first.stat("cache_misses")),
        (0, 1)
    );
    assert_eq!(
        (second.stat("cache_hits"), second.stat("cache_misses")),
        (1, 0),
        "the second start comes from the cache"
    );
    assert_eq!((off.stat("cache_hits"), off.stat("cache_misses")), (0, 0));
    assert!(
        std::fs::read_dir(fx.path("cache")).unwrap().count() > 0,
        "the cache is in the configured directory"
    );
    eprintln!(
        "start: cold {cold:?}, cached {warm:?}, cache off {uncached:?} (cached/off {:.2})",
        warm.as_secs_f64() / uncached.as_secs_f64()
    );
}

/// A `wasm32-wasip1` core module (written here in the text format): its
/// `path_open` and `fd_write` are served natively from the dentry tree
/// (host syscalls in `--stats`, none under `--wasi-fs wasmtime`, which runs
/// wasmtime-wasi's own preview 1), `proc_exit(3)` gives exit status 3, and
/// the compiled module comes from the cache the second time.
#[test]
fn cli_wasip1_module() {
    const WAT: &str = r#"
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "from-wasip1.txt")
  (data (i32.const 64) "written by a wasip1 core module\n")
  (func (export "_start")
    ;; path_open(fd 3 = the first preopen, no follow, "from-wasip1.txt",
    ;; O_CREAT, every right preview 1 defines, as wasi-libc asks, no fd
    ;; flags) -> fd at 8
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 15)
          (i32.const 1) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0)
          (i32.const 8))
      (then (call $proc_exit (i32.const 10))))
    (i32.store (i32.const 32) (i32.const 64))
    (i32.store (i32.const 36) (i32.const 32))
    (if (call $fd_write (i32.load (i32.const 8)) (i32.const 32) (i32.const 1) (i32.const 40))
      (then (call $proc_exit (i32.const 11))))
    (call $proc_exit (i32.const 3))))
"#;
    let fx = Fixture::new();
    let module = fx.path("prog.wasm");
    std::fs::write(&module, wat::parse_str(WAT).unwrap()).unwrap();
    // Outside the sandbox: the module is not the guest's to see.
    let module_out = fx.outside.parent().unwrap().join("prog.wasm");
    std::fs::rename(&module, &module_out).unwrap();
    // A cache of the test's own, outside the sandbox.
    let cache = fx.outside.parent().unwrap().join("cache");
    let config = fx.outside.parent().unwrap().join("cache.toml");
    std::fs::write(
        &config,
        format!("[cache]\ndirectory = {:?}\n", cache.display().to_string()),
    )
    .unwrap();
    let codegen = format!("cache-config={}", config.display());
    let run = |wasi_fs: &str| {
        dfs_run([
            "--stats".as_ref(),
            "-C".as_ref(),
            codegen.as_ref(),
            "--wasi-fs".as_ref(),
            wasi_fs.as_ref(),
            "--dir".as_ref(),
            fx.sandbox.as_os_str(),
            module_out.as_os_str(),
        ])
    };
    let ours = run("directfs");
    assert_eq!(ours.code, Some(3), "proc_exit(3): {ours:?}");
    assert_eq!((ours.stat("cache_hits"), ours.stat("cache_misses")), (0, 1));
    assert_eq!(
        std::fs::read_to_string(fx.path("from-wasip1.txt")).unwrap(),
        "written by a wasip1 core module\n"
    );
    std::fs::remove_file(fx.path("from-wasip1.txt")).unwrap();
    let theirs = run("wasmtime");
    assert_eq!(theirs.code, Some(3), "{theirs:?}");
    assert!(fx.path("from-wasip1.txt").exists());
    // The second start takes the compiled code from the cache.
    assert_eq!(
        (theirs.stat("cache_hits"), theirs.stat("cache_misses")),
        (1, 0)
    );
    // Opening the preopen costs directfs the same syscalls either way; only
    // under directfs do the guest's `path_open` and `fd_write` add theirs.
    let (ours, theirs) = (ours.stat("host_syscalls"), theirs.stat("host_syscalls"));
    assert!(
        ours >= theirs + 3,
        "directfs {ours}, wasmtime-wasi {theirs}"
    );
    // A module that imports nothing runs and returns from `_start`:
    // status 0.
    let quiet = fx.outside.parent().unwrap().join("quiet.wasm");
    std::fs::write(
        &quiet,
        wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)
            .unwrap(),
    )
    .unwrap();
    dfs_run(["-C".as_ref(), codegen.as_ref(), quiet.as_os_str()]).assert_success();
}

/// A reactor (a core module with `_initialize` and other exports, no
/// `_start`), as `wasmtime run --invoke` runs it: `_initialize` first, then
/// the export, its result printed; an import nothing provides is an error
/// before the start, or with `-W unknown-imports-trap` a function that
/// traps when called (exit 134), as wasmtime's.
#[test]
fn cli_invoke_a_reactor() {
    const WAT: &str = r#"
(module
  (import "host" "call" (func $call (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $ready (i32.const 40)))
  (func (export "run") (result i32) (i32.add (global.get $ready) (i32.const 2)))
  (func (export "two") (result i32 i64) (i32.const 7) (i64.const -8))
  (func (export "calls_host") (result i32) (call $call (i32.const 1)))
  (func (export "takes") (param i32)))
"#;
    let fx = Fixture::new();
    let module = fx.outside.parent().unwrap().join("reactor.wasm");
    std::fs::write(&module, wat::parse_str(WAT).unwrap()).unwrap();
    let run = |args: &[&str]| {
        let mut argv: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        argv.push(module.clone().into_os_string());
        dfs_run(argv)
    };
    for wasi_fs in ["directfs", "wasmtime"] {
        let ok = run(&[
            "--wasi-fs",
            wasi_fs,
            "--invoke",
            "run",
            "-W",
            "unknown-imports-trap",
        ]);
        ok.assert_success();
        assert_eq!(ok.stdout, "42\n", "{wasi_fs}: _initialize ran first");
        let two = run(&[
            "--wasi-fs",
            wasi_fs,
            "--invoke",
            "two",
            "-W",
            "unknown-imports-trap=y",
        ]);
        assert_eq!(two.stdout, "7\n-8\n");
    }
    // Without the flag, the unknown import stops it before the start.
    let refused = run(&["--invoke", "run"]);
    assert_eq!(refused.code, Some(2), "{refused:?}");
    assert!(refused.stderr.contains("host::call"), "{}", refused.stderr);
    let off = run(&["--invoke", "run", "-W", "unknown-imports-trap=n"]);
    assert_eq!(off.code, Some(2), "{off:?}");
    // Calling it traps.
    let trapped = run(&["--invoke", "calls_host", "-W", "unknown-imports-trap"]);
    assert_eq!(trapped.code, Some(134), "{trapped:?}");
    // No `_start` without --invoke; an export that takes arguments; one
    // that does not exist: a one-line error, status 2.
    for args in [
        &["-W", "unknown-imports-trap"][..],
        &["--invoke", "takes", "-W", "unknown-imports-trap"],
        &["--invoke", "nope", "-W", "unknown-imports-trap"],
    ] {
        let bad = run(args);
        assert_eq!(bad.code, Some(2), "{args:?}: {bad:?}");
        assert!(bad.stderr.starts_with("dfs-run: error:"), "{}", bad.stderr);
    }
}

/// Options after COMPONENT are the guest's: `--help` and `--version` reach
/// it instead of printing dfs-run's.
#[test]
fn cli_guest_gets_help() {
    let run = dfs_run([
        guest("cli_args_env").as_os_str(),
        "--help".as_ref(),
        "--version".as_ref(),
    ]);
    run.assert_success();
    assert!(
        run.stdout
            .starts_with("args=[\"cli_args_env.wasm\", \"--help\", \"--version\"]"),
        "{}",
        run.stdout
    );
    let argv0 = dfs_run([
        "--argv0".as_ref(),
        "rg".as_ref(),
        guest("cli_args_env").as_os_str(),
    ]);
    assert!(
        argv0.stdout.starts_with("args=[\"rg\"]"),
        "{}",
        argv0.stdout
    );
}

/// `-W timeout=` stops an endless guest with a one-line error; `-W
/// max-memory-size=` stops one that grows its memory past the limit.
#[test]
fn cli_limits() {
    let wasm = guest("cli_exit");
    let start = std::time::Instant::now();
    let spin = dfs_run([
        "-W".as_ref(),
        "timeout=500ms".as_ref(),
        wasm.as_os_str(),
        "spin".as_ref(),
    ]);
    let took = start.elapsed();
    assert_eq!(spin.code, Some(134), "{spin:?}");
    assert_eq!(
        spin.stderr,
        "dfs-run: error: the guest ran longer than -W timeout=500ms and was stopped\n"
    );
    assert!(took < std::time::Duration::from_secs(30), "{took:?}");
    let grow = dfs_run([
        "-W".as_ref(),
        "max-memory-size=8M".as_ref(),
        wasm.as_os_str(),
        "grow".as_ref(),
    ]);
    assert_eq!(grow.code, Some(134), "{grow:?}");
    assert!(
        grow.stderr.ends_with(
            "dfs-run: error: the guest tried to grow a memory past -W \
             max-memory-size=8388608 bytes and was stopped\n"
        ),
        "{}",
        grow.stderr
    );
    // Within the limits, the same guest runs.
    let fine = dfs_run([
        "-W".as_ref(),
        "timeout=60s,max-memory-size=64M".as_ref(),
        wasm.as_os_str(),
    ]);
    fine.assert_success();
}

/// A WASI 0.3 command (`wasi:cli/run@0.3.0`) runs under dfs-run, chosen by
/// its export: its `wasi:filesystem@0.3.0` calls land on directfs's dentry
/// tree (dentries and host syscalls in `--stats`), or, with `--wasi-fs
/// wasmtime`, on wasmtime-wasi's own (no lookups, only the preopen's
/// syscalls); the files it leaves are the same.
#[test]
fn cli_wasip3_component() {
    let run = |wasi_fs: &str| {
        let fx = Fixture::new();
        let ro = fx.outside.parent().unwrap().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::write(ro.join("f"), b"ro\n").unwrap();
        let run = dfs_run([
            "--stats".into(),
            "--wasi-fs".into(),
            wasi_fs.into(),
            "--dir".into(),
            format!("{}::/sandbox", fx.sandbox.display()).into(),
            "--dir".into(),
            format!("{}::/ro,readonly", ro.display()).into(),
            guest("p3_files").into_os_string(),
        ]);
        run.assert_success();
        assert!(run.stdout.contains("read big: ok (3145728, "), "{run:?}");
        (host_names(&fx.sandbox), run)
    };
    let (our_files, ours) = run("directfs");
    let (their_files, theirs) = run("wasmtime");
    assert_eq!(our_files, ["a.txt"]);
    assert_eq!(our_files, their_files);
    assert!(ours.stat("lookup_misses") > 0, "{ours:?}");
    assert_eq!(theirs.stat("lookup_misses"), 0, "{theirs:?}");
    let (ours, theirs) = (ours.stat("host_syscalls"), theirs.stat("host_syscalls"));
    assert!(
        ours >= theirs + 30,
        "directfs {ours}, wasmtime-wasi {theirs}"
    );
}
