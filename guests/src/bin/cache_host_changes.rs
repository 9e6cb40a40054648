//! Host changes between two walks. Walks f, g, h, d/x; prints "ready"; waits
//! for a line on stdin (the host replaced f, created g, deleted h, renamed d
//! to e); walks again and prints what it sees, one line each. The host runs
//! it in each revalidation mode (coherent, the default; `,shared`;
//! `,exclusive`) and checks the documented behaviours.

use std::io::BufRead;

fn describe(root: &guest::Dentry, path: &str) -> String {
    match root.walk_path(path, false) {
        Ok(d) => {
            let st = d.stat().unwrap();
            format!("{path}: size {} nlink {}", st.size, st.nlink)
        }
        Err(e) => format!("{path}: {}", e.name()),
    }
}

fn main() {
    let root = guest::root();
    let paths = ["f", "g", "h", "d/x", "e/x"];
    for p in paths {
        println!("before {}", describe(&root, p));
    }
    println!("ready");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    for p in paths {
        println!("after {}", describe(&root, p));
    }
}
