//! Integration tests of teleport-backend: the conformance suite against every backend,
//! durability of acknowledged sled writes across SIGKILL, and the storage directory lock
//! between processes.
//!
//! The process tests re-run this test binary as their child (`--exact <test>`), telling it
//! what to do through an environment variable.

// A test binary: a failed step is a failed test, helpers and children included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "backend/conformance.rs"]
mod conformance;
#[path = "backend/durability.rs"]
mod durability;
#[path = "backend/lock.rs"]
mod lock;
