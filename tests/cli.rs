//! `dfs-run` as a user runs it: the README's demo, arguments and environment,
//! exit statuses, and a one-line error for every way it cannot start.

mod common;

use common::{Fixture, dfs_run, guest, host_names};

#[test]
fn demo() {
    let fx = Fixture::new();
    let run = dfs_run([
        guest("demo").into_os_string(),
        "--dir".into(),
        format!("{}::/sandbox", fx.sandbox.display()).into(),
    ]);
    run.assert_success();
    for line in [
        "preopen \"/sandbox\"",
        "mkdir   notes/",
        "create  notes/hello.txt (25 bytes)",
        "read    notes/hello.txt: Hello from a wasm guest!",
    ] {
        assert!(
            run.stdout.contains(line),
            "missing {line:?} in:\n{}",
            run.stdout
        );
    }
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
        guest("demo").into_os_string(),
        "--dir".into(),
        fx.sandbox.clone().into_os_string(),
    ])
    .assert_success();
    fx.assert_outside_untouched();
}

#[test]
fn cli_args_env() {
    let run = {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dfs-run"))
            .arg(guest("cli_args_env"))
            .args([
                "--env",
                "GREETING=hi=there",
                "--env",
                "FROM_HOST",
                "--env",
                "UNSET_ON_HOST",
            ])
            .args(["--", "one", "--two"])
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
    let wasm = guest("cli_args_env").display().to_string();
    assert_eq!(
        run,
        format!(
            "args=[{wasm:?}, \"one\", \"--two\"]\nGREETING=Some(\"hi=there\")\nFROM_HOST=Some(\"inherited\")\n"
        )
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
    let run = dfs_run(["missing.wasm", "--dir", "/tmp"]);
    assert_one_line_error(&run, "missing.wasm");
    assert!(run.stderr.contains("No such file"), "{}", run.stderr);
}

#[test]
fn missing_dir() {
    let run = dfs_run(["guest.wasm", "--dir", "/nonexistent"]);
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
        "guest.wasm".as_ref(),
        "--dir".as_ref(),
        fx.path("file").as_os_str(),
    ]);
    assert_one_line_error(&run, "not a directory");
}

#[test]
fn not_a_component() {
    let fx = Fixture::new();
    std::fs::write(fx.path("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(fx.path("text.wasm"), b"hello").unwrap();
    assert_one_line_error(
        &dfs_run([fx.path("core.wasm")]),
        "is a core wasm module, not a component",
    );
    assert_one_line_error(&dfs_run([fx.path("text.wasm")]), "is not a wasm component");
}

#[test]
fn bad_dir_option() {
    let run = dfs_run(["guest.wasm", "--dir", "/tmp::/data,bogus"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains("unknown --dir option \"bogus\""),
        "{}",
        run.stderr
    );
}
