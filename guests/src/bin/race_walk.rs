//! The race guest: walks a/b/c/file N times (walk-path, and one component
//! at a time on every 10th) while the host keeps swapping `a/b` with a
//! symlink to a directory outside the preopen. Every walk either reaches the
//! inside file or fails with an error code; every 100th also creates and
//! removes a file in the `c` it reached. Prints the counts.

use guest::{ErrorCode, OpenFlags, read_to_end, rw};

fn walk_steps(root: &guest::Dentry) -> Result<guest::Dentry, ErrorCode> {
    root.walk("a")?.walk("b")?.walk("c")?.walk("file")
}

fn main() {
    let n: u32 = std::env::args().nth(1).unwrap().parse().unwrap();
    let root = guest::root();
    let (mut reached, mut refused) = (0u32, 0u32);
    for i in 0..n {
        let file = match i % 10 {
            0 => walk_steps(&root),
            _ => root.walk_path("a/b/c/file", false),
        };
        match file {
            Ok(file) => {
                match file.open(OpenFlags::READ) {
                    Ok(h) => assert_eq!(
                        read_to_end(&h, 0),
                        b"inside",
                        "read a file outside the preopen!"
                    ),
                    Err(e) => assert!(matches!(e, ErrorCode::Stale | ErrorCode::NoEntry), "{e:?}"),
                }
                reached += 1;
            }
            Err(e) => {
                assert!(
                    matches!(e, ErrorCode::NoEntry | ErrorCode::NotDirectory),
                    "walk {i}: {e:?}"
                );
                refused += 1;
            }
        }
        if i % 100 == 0
            && let Ok(c) = root.walk_path("a/b/c", false)
        {
            let name = format!("tmp-{i}");
            if c.create(&name, rw(), 0o644, None).is_ok() {
                let _ = c.unlink(&name);
            }
        }
    }
    println!("walks={n} reached={reached} refused={refused}");
}
