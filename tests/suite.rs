//! Rules of the test suite itself, checked like any test:
//! - every guest program is run by the test file its name's prefix names
//!   (`core_escape` by `tests/core.rs`, `std_files` by `tests/wasi_fs.rs`);
//! - every test the docs name as proof of a claim (README's status table,
//!   SECURITY.md's "How this is tested") exists.
//!
//! Nothing is built or run: the files are read as text.

use std::fs;
use std::path::Path;

/// Which test file runs the guests whose names start with each prefix (the
/// name up to its first `_`).
const RUNNER_OF_PREFIX: &[(&str, &str)] = &[
    ("bench", "tests/bench_guests.rs"),
    ("cache", "tests/cache.rs"),
    ("cli", "tests/cli.rs"),
    ("coherent", "tests/coherent.rs"),
    ("core", "tests/core.rs"),
    ("demo", "tests/cli.rs"),
    ("fifo", "tests/fifo.rs"),
    ("limits", "tests/limits.rs"),
    ("lock", "tests/locks.rs"),
    ("ops", "tests/ops.rs"),
    ("p3", "tests/wasi_p3.rs"),
    ("race", "tests/race.rs"),
    ("shared", "tests/shared.rs"),
    ("std", "tests/wasi_fs.rs"),
    ("volume", "tests/volume.rs"),
    ("wasi", "tests/wasi_fs.rs"),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    fs::read_to_string(root().join(rel)).unwrap_or_else(|err| panic!("{rel}: {err}"))
}

/// The guest programs: the file names in `guests/src/bin`, without `.rs`.
fn guest_programs() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root().join("guests/src/bin"))
        .expect("guests/src/bin")
        .map(|entry| entry.expect("a directory entry").file_name())
        .filter_map(|name| name.to_str()?.strip_suffix(".rs").map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[test]
fn every_guest_program_is_run_by_its_test_file() {
    let programs = guest_programs();
    assert!(programs.len() > 50, "found only {programs:?}");
    let mut wrong = Vec::new();
    for name in &programs {
        let prefix = name.split('_').next().unwrap_or(name);
        let Some((_, runner)) = RUNNER_OF_PREFIX.iter().find(|(p, _)| *p == prefix) else {
            wrong.push(format!("{name}: no test file for prefix `{prefix}_`"));
            continue;
        };
        // The harness takes a guest by its name, as a string literal.
        if !read(runner).contains(&format!("\"{name}\"")) {
            wrong.push(format!("{name}: not run by {runner}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "guest programs without their test:\n{}",
        wrong.join("\n")
    );
}

/// The tests a table cell names: a `` `file.rs` `` sets the file, then each
/// `` `name` `` is a test (or test helper) in it; `` `file.rs::name` `` does
/// both at once. Anything else in backticks that is not a plain identifier
/// (a path pattern, code) is left alone.
fn named_tests(cell: &str) -> Vec<(String, String)> {
    let mut file: Option<String> = None;
    let mut named = Vec::new();
    for (i, token) in cell.split('`').enumerate() {
        if i % 2 == 0 {
            continue;
        }
        if let Some((path, name)) = token.split_once("::") {
            named.push((path.to_owned(), name.to_owned()));
        } else if token.ends_with(".rs") {
            file = Some(token.to_owned());
        } else if let Some(file) = &file
            && token
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            named.push((file.clone(), token.to_owned()));
        }
    }
    named
}

/// The first cells of the rows of the Markdown table under `heading` in
/// `doc`, or the cells of column `column`.
fn table_cells(doc: &str, heading: &str, column: usize) -> Vec<String> {
    let text = read(doc);
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("{doc} has no section {heading:?}"));
    let section = &text[start + heading.len()..];
    let end = section.find("\n#").unwrap_or(section.len());
    section[..end]
        .lines()
        .filter(|line| line.starts_with('|') && !line.starts_with("| ---"))
        .skip(1)
        .filter_map(|row| row.split(" | ").nth(column).map(str::to_owned))
        .collect()
}

fn check_named_tests(doc: &str, heading: &str, column: usize) -> usize {
    let mut missing = Vec::new();
    let mut checked = 0;
    for cell in table_cells(doc, heading, column) {
        for (file, name) in named_tests(&cell) {
            checked += 1;
            let Ok(text) = fs::read_to_string(root().join(&file)) else {
                missing.push(format!("{file} (for `{name}`): no such file"));
                continue;
            };
            if !text.contains(&format!("fn {name}(")) {
                missing.push(format!("{file}: no `fn {name}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{doc} names tests that do not exist:\n{}",
        missing.join("\n")
    );
    checked
}

#[test]
fn every_test_the_readme_status_names_exists() {
    let checked = check_named_tests("README.md", "## Status", 2);
    assert!(checked > 20, "only {checked} tests named");
}

#[test]
fn every_test_security_md_names_exists() {
    let checked = check_named_tests("SECURITY.md", "## How this is tested", 0);
    assert!(checked > 15, "only {checked} tests named");
}

#[test]
fn named_tests_are_read_from_cells() {
    assert_eq!(
        named_tests("`tests/race.rs` (`race_walk`), `tests/ops.rs::ops_handle`, `*_x`"),
        [
            ("tests/race.rs".to_owned(), "race_walk".to_owned()),
            ("tests/ops.rs".to_owned(), "ops_handle".to_owned()),
        ]
    );
    assert!(named_tests("`std_*` guests").is_empty());
}
