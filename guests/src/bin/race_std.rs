//! The race guest over `wasi:filesystem`: reads /s/a/b/c/file N times with
//! `std::fs` (every 10th through `File::open` and a metadata check, every
//! 10th only a `symlink_metadata`) while the host keeps swapping `a/b` with
//! a symlink out of the preopen. Every read either gets the inside file or
//! fails; every 100th also creates and removes a file in `a/b/c`. Prints
//! the counts.

use std::fs;
use std::io::{ErrorKind, Read};

fn main() {
    let n: u32 = std::env::args().nth(1).unwrap().parse().unwrap();
    let (mut reached, mut refused) = (0u32, 0u32);
    for i in 0..n {
        let read = match i % 10 {
            0 => fs::File::open("/s/a/b/c/file").and_then(|mut f| {
                assert!(f.metadata()?.is_file());
                let mut data = Vec::new();
                f.read_to_end(&mut data)?;
                Ok(data)
            }),
            // A cached stat (the read-locked fast path): the inside file
            // has 6 bytes, the outside one 7.
            5 => fs::symlink_metadata("/s/a/b/c/file").map(|m| {
                assert_eq!(m.len(), 6, "stat a file outside the preopen!");
                b"inside".to_vec()
            }),
            _ => fs::read("/s/a/b/c/file"),
        };
        match read {
            Ok(data) => {
                assert_eq!(data, b"inside", "read a file outside the preopen!");
                reached += 1;
            }
            Err(e) => {
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::NotFound
                            | ErrorKind::NotADirectory
                            | ErrorKind::PermissionDenied
                    ),
                    "read {i}: {e:?}"
                );
                refused += 1;
            }
        }
        if i % 100 == 0 {
            let name = format!("/s/a/b/c/tmp-{i}");
            if fs::write(&name, b"x").is_ok() {
                let _ = fs::remove_file(&name);
            }
        }
    }
    println!("reached={reached} refused={refused}");
}
