//! Benchmark guest: walk-path + stat + drop of one path, ROUNDS x ITERS
//! times (or, with a fourth argument `stat-path`, the one call that does
//! the three); prints the nanoseconds per operation of each round.

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, rounds, iters): (&str, u32, u32) =
        (&args[0], args[1].parse().unwrap(), args[2].parse().unwrap());
    let one_call = args.get(3).is_some_and(|a| a == "stat-path");
    let root = guest::root();
    let expected = root
        .walk_path(path, false)
        .expect("the path exists")
        .stat()
        .unwrap()
        .ino;
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..iters {
            let st = if one_call {
                root.stat_path(path, false).unwrap()
            } else {
                root.walk_path(path, false).unwrap().stat().unwrap()
            };
            assert_eq!(st.ino, expected);
        }
        println!("{}", start.elapsed().as_nanos() as f64 / f64::from(iters));
    }
}
