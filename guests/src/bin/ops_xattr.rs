//! Extended attributes: user.* only, create/replace flags, size cap,
//! no-data, O_PATH dentries.

use guest::{ErrorCode, XattrFlags, expect_err, root};

fn main() {
    let root = root();
    let f = root.walk("f").unwrap();
    f.set_xattr("user.color", b"blue", XattrFlags::empty())
        .expect("set");
    f.set_xattr("user.empty", b"", XattrFlags::CREATE)
        .expect("set empty value");
    assert_eq!(f.get_xattr("user.color").unwrap(), b"blue");
    assert_eq!(f.get_xattr("user.empty").unwrap(), b"");
    let mut names = f.list_xattr().unwrap();
    names.sort();
    assert_eq!(names, ["user.color", "user.empty", "user.host-set"]);
    assert_eq!(f.get_xattr("user.host-set").unwrap(), b"from the host");

    expect_err(
        f.set_xattr("user.color", b"red", XattrFlags::CREATE),
        ErrorCode::AlreadyExists,
        "create existing",
    );
    expect_err(
        f.set_xattr("user.new", b"x", XattrFlags::REPLACE),
        ErrorCode::NoData,
        "replace missing",
    );
    f.set_xattr("user.color", b"red", XattrFlags::REPLACE)
        .expect("replace");
    f.remove_xattr("user.empty").expect("remove");
    expect_err(f.get_xattr("user.empty"), ErrorCode::NoData, "removed");
    expect_err(
        f.remove_xattr("user.empty"),
        ErrorCode::NoData,
        "remove missing",
    );

    expect_err(
        f.get_xattr("trusted.x"),
        ErrorCode::NotPermitted,
        "trusted.",
    );
    expect_err(
        f.set_xattr("security.x", b"x", XattrFlags::empty()),
        ErrorCode::NotPermitted,
        "security.",
    );
    expect_err(f.get_xattr(""), ErrorCode::Invalid, "empty name");
    expect_err(
        f.get_xattr(&format!("user.{}", "n".repeat(251))),
        ErrorCode::NameTooLong,
        "long name",
    );
    expect_err(
        f.set_xattr("user.big", &vec![7; 64 * 1024 + 1], XattrFlags::empty()),
        ErrorCode::TooBig,
        "value over 64 KiB",
    );
    let big = vec![7; 4000];
    f.set_xattr("user.big", &big, XattrFlags::empty())
        .expect("a large value");
    assert_eq!(f.get_xattr("user.big").unwrap(), big);

    let d = root.walk("d").unwrap();
    d.set_xattr("user.on-dir", b"1", XattrFlags::empty())
        .expect("on a directory");
    expect_err(
        root.walk("l").unwrap().get_xattr("user.x"),
        ErrorCode::NotSupported,
        "on a symlink (O_PATH)",
    );
}
