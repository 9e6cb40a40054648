//! Plain `std::fs`: `soft_link` with an absolute target is refused
//! (`not-permitted`, as the `wasi:filesystem` WIT says), wherever the link
//! would go, and nothing is made; relative targets, even ones that point
//! out of the sandbox, are made (following them is what is refused). Runs
//! under both `wasi:filesystem` implementations; the output must be
//! identical.

#[path = "../std_common.rs"]
mod common;

use std::fs;
use std::path::Path;

use common::{show, tree};

#[allow(
    deprecated,
    reason = "soft_link is std's only stable symlink maker on WASI"
)]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    fs::soft_link(target, link)
}

fn main() {
    let d = Path::new("/sandbox");
    show("mkdir", fs::create_dir(d.join("dir")));
    show("absolute", symlink("/etc/passwd", &d.join("abs")));
    show("absolute root", symlink("/", &d.join("abs_root")));
    show(
        "absolute inside",
        symlink("/sandbox/dir", &d.join("abs_in")),
    );
    show(
        "absolute in a subdir",
        symlink("/dir", &d.join("dir/abs_sub")),
    );
    show("absolute onto existing", symlink("/x", &d.join("dir")));
    show("absolute after read", fs::exists(d.join("abs")));
    show(
        "absolute dangling metadata",
        fs::symlink_metadata(d.join("abs")).map(|_| ()),
    );
    show("relative", symlink("dir", &d.join("rel")));
    show(
        "relative out",
        symlink("../outside/canary", &d.join("relout")),
    );
    show("relative out read", fs::read(d.join("relout")));
    show("read_link relative", fs::read_link(d.join("rel")));
    show("empty target", symlink("", &d.join("empty")));
    println!("tree:");
    tree(d);
}
