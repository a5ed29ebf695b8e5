//! The auth service: certificate authorities, the auth API and its typed client,
//! join tokens and role-based access control.
//!
//! The crate is part of the workspace from the start so the dependency graph of
//! DESIGN.md holds; its services are built by the auth issues.
