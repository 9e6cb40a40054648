//! Plain `std::fs`: opening with `create` through a symlink whose target
//! does not exist yet creates the target, resolved from the symlink's own
//! directory, through chains of symlinks, and only a real escape is
//! refused. Runs under both `wasi:filesystem` implementations; the output
//! must be identical.

#[path = "../std_common.rs"]
mod common;

use std::fs;
use std::io::Write;
use std::path::Path;

use common::{show, tree};

#[allow(
    deprecated,
    reason = "soft_link is std's only stable symlink maker on WASI"
)]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    fs::soft_link(target, link)
}

fn create(path: &Path, data: &[u8]) -> std::io::Result<()> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?
        .write_all(data)
}

fn create_new(path: &Path) -> std::io::Result<()> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(|_| ())
}

fn main() {
    let d = Path::new("/sandbox");
    show("mkdir", fs::create_dir_all(d.join("sub/deeper")));
    // Relative targets resolve from the link's own directory.
    show("link up", symlink("../target_new", &d.join("sub/l")));
    show("create via up", create(&d.join("sub/l"), b"up"));
    show("read target", fs::read_to_string(d.join("target_new")));
    show("link down", symlink("deeper/t2", &d.join("sub/down")));
    show("create via down", create(&d.join("sub/down"), b"down"));
    show("read down", fs::read_to_string(d.join("sub/deeper/t2")));
    show("link same", symlink("t3", &d.join("sub/same")));
    show("create via same", create(&d.join("sub/same"), b"same"));
    // A chain: a -> b -> ../c (all dangling until created).
    show("chain a", symlink("b", &d.join("sub/a")));
    show("chain b", symlink("../c", &d.join("sub/b")));
    show("create via chain", create(&d.join("sub/a"), b"chain"));
    show("read chain end", fs::read_to_string(d.join("c")));
    // Through a symlinked directory in the middle of the path.
    show("dir link", symlink("sub", &d.join("sublink")));
    show("link in linked dir", symlink("../mid", &d.join("sub/m")));
    show("create via dir link", create(&d.join("sublink/m"), b"mid"));
    show("read mid", fs::read_to_string(d.join("mid")));
    // An existing target is opened (and written), not replaced.
    show("create via existing", create(&d.join("sub/l"), b"UP"));
    show("read existing", fs::read_to_string(d.join("target_new")));
    // create_new through a symlink: the symlink itself exists.
    show("link fresh", symlink("fresh", &d.join("sub/fresh_l")));
    show("create_new via link", create_new(&d.join("sub/fresh_l")));
    show("fresh made", fs::exists(d.join("sub/fresh")));
    // Targets in missing directories, or ending in `/`.
    show("link missing dir", symlink("nodir/x", &d.join("sub/md")));
    show("create via missing dir", create(&d.join("sub/md"), b"x"));
    show("link slash", symlink("slashy/", &d.join("sub/sl")));
    show("create via slash", create(&d.join("sub/sl"), b"x"));
    // A target ending in `/` is a directory to make, whatever is there:
    // `is-directory` for a file, a directory, a missing name in a missing
    // directory is `no-entry` (Linux's `O_CREAT`).
    show("file for slash", create(&d.join("sub/plain"), b"plain"));
    show("link file slash", symlink("plain/", &d.join("sub/fsl")));
    show("create via file slash", create(&d.join("sub/fsl"), b"x"));
    show("link dir slash", symlink("deeper/", &d.join("sub/dsl")));
    show("create via dir slash", create(&d.join("sub/dsl"), b"x"));
    show("link deep slash", symlink("nodir/x/", &d.join("sub/nsl")));
    show("create via deep slash", create(&d.join("sub/nsl"), b"x"));
    // Real escapes are refused and make nothing.
    show(
        "link escape",
        symlink("../../outside/new", &d.join("sub/esc")),
    );
    show("create via escape", create(&d.join("sub/esc"), b"x"));
    show(
        "link escape deep",
        symlink("../../../x", &d.join("sub/esc2")),
    );
    show("create via escape deep", create(&d.join("sub/esc2"), b"x"));
    show("link abs", symlink("/abs_new", &d.join("sub/abs")));
    show("create via abs", create(&d.join("sub/abs"), b"x"));
    // A chain whose later link's target ends in `/`: `is-directory` there,
    // whatever that name is — a link to itself (`self -> self/`) included,
    // not `loop` (each link followed as Linux's `O_CREAT` follows it).
    show("self slash", symlink("self/", &d.join("sub/self")));
    show("to self slash", symlink("self", &d.join("sub/toself")));
    show("create via self slash", create(&d.join("sub/toself"), b"x"));
    show("to dir slash", symlink("dsl", &d.join("sub/todsl")));
    show(
        "create via chain dir slash",
        create(&d.join("sub/todsl"), b"x"),
    );
    show("to missing slash", symlink("nsl", &d.join("sub/tonsl")));
    show(
        "create via chain missing slash",
        create(&d.join("sub/tonsl"), b"x"),
    );
    show("to file", symlink("plain", &d.join("sub/toplain")));
    show(
        "create via chain to file",
        create(&d.join("sub/toplain"), b"P"),
    );
    show("read plain", fs::read_to_string(d.join("sub/plain")));
    // A loop.
    show("loop a", symlink("loop_b", &d.join("loop_a")));
    show("loop b", symlink("loop_a", &d.join("loop_b")));
    show("create via loop", create(&d.join("loop_a"), b"x"));
    println!("tree:");
    tree(d);
}
