//! The node service: the certificate-only SSH server that nodes run.
//!
//! The crate is part of the workspace from the start so the dependency graph of
//! DESIGN.md holds; the server is built by the node issue.
