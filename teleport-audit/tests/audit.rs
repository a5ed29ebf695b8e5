//! Integration tests of teleport-audit: real files, real processes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit {
    mod recording;
    mod sink;
}
