//! Backend benchmarks (filled in with the backend).
fn main() {}
