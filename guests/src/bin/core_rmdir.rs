//! rmdir: removes an empty directory; errors.

use guest::{ErrorCode, expect_err, root};

fn main() {
    let root = root();
    let held = root.walk("empty").unwrap();
    root.rmdir("empty").expect("rmdir empty");
    expect_err(root.walk("empty"), ErrorCode::NoEntry, "walk after rmdir");
    expect_err(
        held.mkdir("x", 0o755, None),
        ErrorCode::NoEntry,
        "mkdir in a removed directory",
    );

    expect_err(root.rmdir("full"), ErrorCode::NotEmpty, "rmdir non-empty");
    expect_err(root.rmdir("file"), ErrorCode::NotDirectory, "rmdir a file");
    expect_err(root.rmdir("missing"), ErrorCode::NoEntry, "rmdir missing");
    // Emptied through directfs, then removable.
    let full = root.walk("full").unwrap();
    full.unlink("x").unwrap();
    root.rmdir("full").expect("rmdir after emptying");
}
