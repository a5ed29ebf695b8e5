//! Audit log sinks (`AuditSink`) and session recordings (`SessionRecorder`).
//!
//! The crate is part of the workspace from the start so the dependency graph of
//! DESIGN.md holds; its traits and file formats are built by the audit issue.
