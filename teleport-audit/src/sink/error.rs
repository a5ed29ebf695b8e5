//! What can go wrong in an audit sink.

use std::io;
use std::path::PathBuf;

/// Why an audit sink could not be built, keep an event or answer a search.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// Reading, writing or syncing an audit file (or its directory) failed; `path` names
    /// it and `action` says what was being done.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, such as `append to` or `fsync`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Writing to a stream sink (such as standard output) failed.
    #[error("write audit event to {sink}: {source}")]
    Output {
        /// The sink, such as `stdout://`.
        sink: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The event could not be encoded as JSON (for example a time outside years
    /// 0000-9999, which RFC 3339 cannot write).
    #[error("encode audit event {uid} ({event_type}) as JSON: {source}")]
    Encode {
        /// The event's `uid`.
        uid: String,
        /// The event's type.
        event_type: &'static str,
        /// The encoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// An `audit_events_uri` entry names a backend this release does not include
    /// (`dynamodb://`, `firestore://`).
    #[error(
        "audit_events_uri entry {uri}: the {scheme} audit backend is not built into this release"
    )]
    UnsupportedUri {
        /// The entry as written.
        uri: String,
        /// Its scheme, such as `dynamodb`.
        scheme: String,
    },
    /// An `audit_events_uri` entry is malformed, of an unknown kind, or repeats another.
    #[error("audit_events_uri entry {uri:?}: {reason}")]
    BadUri {
        /// The entry as written.
        uri: String,
        /// What is wrong with it and what is accepted.
        reason: String,
    },
    /// Another sink (in this process or another) already writes to this audit directory.
    #[error("audit log directory {} is in use{}", dir.display(), pid.map(|p| format!(" by pid {p}")).unwrap_or_default())]
    DirInUse {
        /// The directory.
        dir: PathBuf,
        /// The process holding it, when it could be read.
        pid: Option<u32>,
    },
    /// A search's cursor was not made by this sink, or names a position that does not
    /// exist.
    #[error("search cursor {cursor:?} is not valid here: {reason}")]
    BadCursor {
        /// The cursor as given.
        cursor: String,
        /// Why it was refused.
        reason: String,
    },
    /// A search query cannot be answered as written (a zero limit, a range that ends
    /// before it starts).
    #[error("bad audit search: {reason}")]
    BadQuery {
        /// What is wrong.
        reason: String,
    },
    /// The sink keeps no events to search (for example `stdout://`).
    #[error("the {sink} audit sink cannot search events; list a searchable sink (such as file:///path) first in audit_events_uri")]
    SearchUnsupported {
        /// The sink, such as `stdout://`.
        sink: String,
    },
    /// The sink was closed, or its writer stopped, before the event was written.
    #[error("the audit sink is closed")]
    Closed,
    /// A background task of the sink ended before finishing its work (it panicked or the
    /// runtime is shutting down).
    #[error("audit sink task {task} did not finish: {reason}")]
    Interrupted {
        /// Which task.
        task: &'static str,
        /// Why, as far as it is known.
        reason: String,
    },
}

impl AuditError {
    /// An [`AuditError::Io`] error.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        AuditError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_to_fix() {
        let err = AuditError::UnsupportedUri {
            uri: "dynamodb://events".into(),
            scheme: "dynamodb".into(),
        };
        assert_eq!(
            err.to_string(),
            "audit_events_uri entry dynamodb://events: the dynamodb audit backend is not built into this release"
        );
        let err = AuditError::io(
            "append to",
            "/var/lib/teleport/log/2026-11-21.00:00:00.log",
            io::Error::from(io::ErrorKind::StorageFull),
        );
        assert!(
            err.to_string()
                .starts_with("append to /var/lib/teleport/log/2026-11-21.00:00:00.log: "),
            "{err}"
        );
        let err = AuditError::DirInUse {
            dir: "/x".into(),
            pid: Some(7),
        };
        assert_eq!(err.to_string(), "audit log directory /x is in use by pid 7");
    }
}
