//! Every name-taking function rejects what is not one path component, with
//! the exact code, before touching the host.

use guest::{ErrorCode, expect_err, root, rw};

fn main() {
    let root = root();
    let long = "x".repeat(256);
    let max = "y".repeat(255);
    let cases: [(&str, ErrorCode); 9] = [
        ("", ErrorCode::Invalid),
        (".", ErrorCode::Invalid),
        ("..", ErrorCode::Invalid),
        ("a/b", ErrorCode::Invalid),
        ("/etc", ErrorCode::Invalid),
        ("../escape", ErrorCode::Invalid),
        ("nul\0byte", ErrorCode::Invalid),
        ("trailing/", ErrorCode::Invalid),
        (&long, ErrorCode::NameTooLong),
    ];
    for (name, code) in cases {
        expect_err(root.walk(name), code, &format!("walk {name:?}"));
        expect_err(
            root.mkdir(name, 0o755, None),
            code,
            &format!("mkdir {name:?}"),
        );
        expect_err(
            root.create(name, rw(), 0o644, None),
            code,
            &format!("create {name:?}"),
        );
        expect_err(root.unlink(name), code, &format!("unlink {name:?}"));
        expect_err(root.rmdir(name), code, &format!("rmdir {name:?}"));
    }
    // 255 bytes is allowed.
    root.create(&max, rw(), 0o644, None)
        .expect("create a 255-byte name");
}
