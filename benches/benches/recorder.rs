//! recorder benchmarks (being written).
fn main() {}
