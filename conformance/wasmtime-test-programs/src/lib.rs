//! wasmtime's `crates/test-programs` library, reduced to what its preview 1
//! programs use: the `preview1` module (unchanged). See ../README.md.
pub mod preview1;
