//! The node's SSH server against the real OpenSSH client (`ssh`, `scp`, `sftp`), with a
//! fresh cluster CA per test: sessions, file copies, forwarding, and every refusal
//! audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "node/harness.rs"]
mod harness;

#[path = "node/exec.rs"]
mod exec;
#[path = "node/files.rs"]
mod files;
#[path = "node/forward.rs"]
mod forward;
#[path = "node/labels.rs"]
mod labels;
#[path = "node/pty.rs"]
mod pty;
#[path = "node/refusals.rs"]
mod refusals;
