//! audit_sink benchmarks (being written).
fn main() {}
