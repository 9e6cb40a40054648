//! Nesting directories as deep as the host allows (the host runs this with
//! `--max-open 64 --max-cached-dentries 256` under `ulimit -n 1024`): each
//! level is made by `mkdir` on the last one, which the guest holds, dropping
//! the level before. The ancestors of a held dentry keep host FDs too, and
//! they count against the same bound, so the nest stops with
//! `too-many-open` long before the host runs out of FDs; once the guest
//! lets go, it can go on.
//!
//! Arguments: how deep to try (default 25000).

use guest::{ErrorCode, root};

fn main() {
    let want: u32 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("depth"))
        .unwrap_or(25_000);
    let root = root();
    let mut cur = root.mkdir("nest", 0o755, None).expect("first level");
    let mut depth = 1;
    let stopped = loop {
        if depth == want {
            break None;
        }
        match cur.mkdir("d", 0o755, None) {
            Ok(next) => {
                cur = next;
                depth += 1;
            }
            Err(code) => break Some(code),
        }
    };
    println!("depth {depth}");
    assert_eq!(
        stopped,
        Some(ErrorCode::TooManyOpen),
        "how the nest stopped"
    );
    // The refused level was not made on the host.
    assert_eq!(cur.walk("d").err(), Some(ErrorCode::TooManyOpen));
    drop(cur);
    // Let go of everything: the guest goes on.
    let made = root
        .mkdir("after", 0o755, None)
        .expect("mkdir after dropping");
    let walked = root
        .walk_path("nest/d/d/d", false)
        .expect("walk into the nest after dropping");
    drop((made, walked));
    println!("ok");
}
