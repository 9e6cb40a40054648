//! Host changes in a directory the guest made through `directfs:fs` and
//! holds (whose watch, in a coherent mount, is put off until it is first
//! looked into). Makes `m`, prints its stat and "ready", waits for a line
//! on stdin (the host made `m/f` and `m/sub`); prints what it sees in `m`;
//! creates `m/own`, prints "ready" again, waits (the host replaced `m/own`
//! by a rename and removed `m/f`); prints what it sees again.

use std::io::BufRead;

fn describe(m: &guest::Dentry, name: &str) -> String {
    match m.walk(name) {
        Ok(d) => {
            let st = d.stat().unwrap();
            if st.file_type == guest::FileType::Directory {
                // A directory's size is the filesystem's own.
                format!("{name}: directory nlink {}", st.nlink)
            } else {
                format!("{name}: size {} nlink {}", st.size, st.nlink)
            }
        }
        Err(e) => format!("{name}: {}", e.name()),
    }
}

/// The names in `m`, sorted.
fn names(m: &guest::Dentry) -> String {
    let mut names: Vec<String> = guest::list(m, 10).into_iter().map(|e| e.name).collect();
    names.sort();
    names.join(" ")
}

fn wait() {
    println!("ready");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
}

fn main() {
    let root = guest::root();
    let m = root.mkdir("m", 0o755, None).unwrap();
    println!("m nlink {}", m.stat().unwrap().nlink);
    wait();
    println!("m nlink {}", m.stat().unwrap().nlink);
    println!("{}", describe(&m, "f"));
    println!("{}", describe(&m, "sub"));
    println!("m lists {}", names(&m));
    let (_, h) = m.create("own", guest::rw(), 0o644, None).unwrap();
    assert_eq!(h.write(0, b"mine").unwrap(), 4);
    drop(h);
    println!("{}", describe(&m, "own"));
    wait();
    println!("{}", describe(&m, "own"));
    println!("{}", describe(&m, "f"));
    println!("m lists {}", names(&m));
}
