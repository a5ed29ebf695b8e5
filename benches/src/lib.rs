//! Shared helpers for the teleport-rs benchmarks in `benches/`.
