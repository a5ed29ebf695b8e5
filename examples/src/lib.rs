//! Programs that embed the teleport-rs crates; see the `examples/` directory.
