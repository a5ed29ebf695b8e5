//! The audit trail: typed audit events, the audit sinks that keep and search them, and
//! the session recordings that session recorders write and playback reads.

pub mod event;
pub mod recording;
pub mod sink;

pub use event::{AuditEvent, CommonFields, EventPayload};
