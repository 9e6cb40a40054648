//! Exits with failure (`1` is all WASI 0.2 carries) when asked, or traps.

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("fail") => std::process::exit(7),
        Some("trap") => panic!("guest asked to trap"),
        _ => println!("ok"),
    }
}
