//! The proxy service: the SSH proxy, the web front end and the reverse tunnel.
//!
//! The crate is part of the workspace from the start so the dependency graph of
//! DESIGN.md holds; the proxy is built by the proxy issue.
