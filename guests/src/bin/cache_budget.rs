//! Walks and stats every file of a large tree (dNNN/fNN, sizes (NNN + NN) %
//! 10), one walk-path each, dropping each dentry after use. Run under a small
//! cache limit, the host must stay within its FD budget. Prints the count.

fn main() {
    let root = guest::root();
    let (dirs, files): (u32, u32) = {
        let a: Vec<u32> = std::env::args()
            .skip(1)
            .map(|a| a.parse().unwrap())
            .collect();
        (a[0], a[1])
    };
    let mut seen = 0u32;
    for d in 0..dirs {
        for f in 0..files {
            let path = format!("d{d:03}/f{f:02}");
            let st = root
                .walk_path(&path, false)
                .unwrap_or_else(|e| panic!("{path}: {e:?}"))
                .stat()
                .unwrap();
            assert_eq!(st.size, u64::from((d + f) % 10), "{path}");
            seen += 1;
        }
    }
    // And once more, in another order: the cache gives the same answers.
    for f in (0..files).rev().step_by(7) {
        let st = root
            .walk_path(&format!("d000/f{f:02}"), false)
            .unwrap()
            .stat()
            .unwrap();
        assert_eq!(st.size, u64::from(f % 10));
    }
    println!("{seen}");
}
