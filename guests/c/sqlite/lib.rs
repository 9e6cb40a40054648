//! Empty: see Cargo.toml (this package only pins the SQLite source).
