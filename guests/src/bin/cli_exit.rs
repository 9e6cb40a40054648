//! Exits when asked (`fail`: `exit(7)`, which WASI 0.2 std carries as a
//! failure), traps (`trap`), runs forever (`spin`, for `-W timeout`), or
//! grows its memory without end (`grow`, for `-W max-memory-size`).

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("fail") => std::process::exit(7),
        Some("trap") => panic!("guest asked to trap"),
        Some("spin") => {
            let mut n = 0u64;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        Some("grow") => {
            let mut hoard = Vec::new();
            loop {
                hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
            }
        }
        _ => println!("ok"),
    }
}
