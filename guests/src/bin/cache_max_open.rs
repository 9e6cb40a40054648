//! max-open (the host runs this with --max-open 8): past the limit, calls
//! that would give the guest a resource fail with `too-many-open` (and take
//! no effect on the host); after dropping some, the guest goes on.

use guest::{ErrorCode, OpenFlags, expect_err, root, rw};

fn main() {
    let root = root(); // 1
    let mut held = Vec::new();
    for i in 0..7 {
        held.push(root.walk(&format!("f{i}")).expect("within the limit")); // 2..=8
    }
    expect_err(
        root.walk("f7"),
        ErrorCode::TooManyOpen,
        "walk past the limit",
    );
    expect_err(
        root.walk_path("f7", false),
        ErrorCode::TooManyOpen,
        "walk-path past the limit",
    );
    expect_err(
        held[0].open(OpenFlags::READ),
        ErrorCode::TooManyOpen,
        "open past the limit",
    );
    expect_err(
        root.mkdir("new-dir", 0o755, None),
        ErrorCode::TooManyOpen,
        "mkdir past the limit",
    );
    // Holding more is refused; the guest and host are fine.
    held.truncate(6); // 7 held: root + 6
    expect_err(
        root.create("new-file", rw(), 0o644, None),
        ErrorCode::TooManyOpen,
        "create needs 2 more",
    );
    held.truncate(5); // 6 held
    let (_f, handle) = root
        .create("new-file", rw(), 0o644, None)
        .expect("room for 2 again"); // 8
    expect_err(root.walk("f7"), ErrorCode::TooManyOpen, "full again");
    drop(handle); // 7
    assert!(root.walk("f7").is_ok(), "room for one more");
    println!("ok");
}
