//! Confinement: `..` and symlinks pointing out of the preopen never lead out.
//! The host planted `out` (absolute symlink to a directory outside) and
//! `up` (relative symlink `../outside`).

use guest::{ErrorCode, OpenFlags, expect_err, root, rw};

fn main() {
    let root = root();
    expect_err(root.walk(".."), ErrorCode::Invalid, "walk ..");
    let sub = root.walk("sub").unwrap();
    expect_err(
        sub.walk(".."),
        ErrorCode::Invalid,
        "walk .. from a subdirectory",
    );
    for link in ["out", "up"] {
        let l = root.walk(link).expect("walk gives the symlink itself");
        expect_err(
            l.walk("canary"),
            ErrorCode::NotDirectory,
            "walk through a symlink",
        );
        expect_err(l.open(OpenFlags::READ), ErrorCode::Loop, "open a symlink");
        expect_err(
            l.mkdir("x", 0o755, None),
            ErrorCode::NotDirectory,
            "mkdir through a symlink",
        );
        expect_err(
            l.create("x", rw(), 0o644, None),
            ErrorCode::NotDirectory,
            "create through a symlink",
        );
        expect_err(
            l.unlink("canary"),
            ErrorCode::NotDirectory,
            "unlink through a symlink",
        );
        expect_err(
            l.read_dir(0, 10),
            ErrorCode::NotDirectory,
            "list through a symlink",
        );
    }
    // A dangling symlink is not followed by create either.
    expect_err(
        root.create("dangling", rw(), 0o644, None),
        ErrorCode::AlreadyExists,
        "create over a dangling symlink",
    );
}
