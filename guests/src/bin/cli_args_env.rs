//! Prints its arguments and one environment variable, for the dfs-run tests.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("args={args:?}");
    println!("GREETING={:?}", std::env::var("GREETING").ok());
    println!("FROM_HOST={:?}", std::env::var("FROM_HOST").ok());
}
