//! [`ResourceError`]: why a `tctl get`, `tctl create` or `tctl rm` failed.

use teleport_audit::sink::AuditError;
use teleport_backend::BackendError;
use teleport_core::resource::Kind;

use crate::presence::PresenceError;

/// Why reading, writing or deleting a resource failed. Messages name the kind and the
/// resource; none holds a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceError {
    /// No resource of that kind has that name.
    #[error("{kind} {name:?} not found")]
    NotFound {
        /// The kind asked for.
        kind: Kind,
        /// The name asked for.
        name: String,
    },
    /// `tctl create` without `-f` named a resource that exists.
    #[error("{kind} {name:?} already exists: use tctl create -f to replace it")]
    AlreadyExists {
        /// The resource's kind.
        kind: Kind,
        /// The resource's name.
        name: String,
    },
    /// The resource is not acceptable (bad name, unknown role, bad template, ...).
    #[error("invalid {kind} {name:?}: {reason}")]
    Invalid {
        /// The resource's kind.
        kind: Kind,
        /// The resource's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Resources of this kind cannot be created or deleted through the resource API.
    #[error("{kind} resources cannot be {action} with tctl: {why}")]
    ReadOnly {
        /// The kind.
        kind: Kind,
        /// `created` or `deleted`.
        action: &'static str,
        /// What to do instead.
        why: &'static str,
    },
    /// A role cannot be deleted while users have it.
    #[error("role {role:?} is still used by user(s) {users}: change their roles first")]
    RoleInUse {
        /// The role.
        role: String,
        /// The users that have it, comma-separated.
        users: String,
    },
    /// A stored record could not be read.
    #[error("the stored record {key} is unreadable: {reason}")]
    Corrupt {
        /// The record's backend key.
        key: String,
        /// Where the JSON is broken (never the value: it may hold secrets).
        reason: String,
    },
    /// Other writers kept changing the record.
    #[error("{key} kept changing while being updated; retry")]
    Contended {
        /// The record's backend key.
        key: String,
    },
    /// The bootstrap state cannot be imported.
    #[error("cannot bootstrap from {source_name}: {reason}")]
    Bootstrap {
        /// The state file.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// The storage failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// Node heartbeats could not be read or written.
    #[error(transparent)]
    Presence(#[from] PresenceError),
    /// The change was made but could not be written to the audit log.
    #[error("{action}, but the audit log could not record it: {source}")]
    Audit {
        /// What was done.
        action: String,
        /// Why the audit log failed.
        source: AuditError,
    },
}
