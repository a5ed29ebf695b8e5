//! The one error type of every backend operation.

use std::path::PathBuf;

/// A specialised `Result` for backend operations.
pub type Result<T, E = BackendError> = std::result::Result<T, E>;

/// Why a backend operation failed.
///
/// Keys are shown with [`<[u8]>::escape_ascii`], so `/web/users/alice` reads as itself and
/// binary bytes appear as `\xNN`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// `get`, `update`, `delete` or `compare_and_swap` found no live item at the key
    /// (absent, or present but expired).
    #[error("key \"{}\" is not found", .key.escape_ascii())]
    NotFound {
        /// The key that was looked up.
        key: Vec<u8>,
    },

    /// `create` found a live item at the key already.
    #[error("key \"{}\" already exists", .key.escape_ascii())]
    AlreadyExists {
        /// The key that was to be created.
        key: Vec<u8>,
    },

    /// `compare_and_swap` found a live item whose value differs from the expected one;
    /// nothing was written.
    #[error("compare failed: the value at key \"{}\" is not the expected one", .key.escape_ascii())]
    CompareFailed {
        /// The key whose value was compared.
        key: Vec<u8>,
    },

    /// A write or watch was given an empty key; every key must hold at least one byte.
    #[error("a backend key must not be empty")]
    EmptyKey,

    /// The backend was closed with `close()`; it accepts no further calls.
    #[error("the backend is closed")]
    Closed,

    /// Another process (or another open backend in this process) holds the storage
    /// directory's lock.
    #[error("{}", in_use_message(path, *pid))]
    InUse {
        /// The storage directory, for example `/var/lib/teleport/backend`.
        path: PathBuf,
        /// The id of the process holding the lock, when its lock file names one.
        pid: Option<u32>,
    },

    /// The storage directory or its lock file could not be created, opened or locked for a
    /// reason other than another holder (permissions, missing parent, full disk, ...).
    #[error("cannot use lock file {}: {source}", .path.display())]
    Lock {
        /// The lock file that could not be used.
        path: PathBuf,
        /// What the operating system reported.
        source: std::io::Error,
    },

    /// The storage engine failed to read, write or flush.
    #[error("backend storage failed to {operation}: {source}")]
    Storage {
        /// What was being done, for example `flush to disk` or `open /var/lib/teleport/backend`.
        operation: String,
        /// The engine's own error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A stored record could not be decoded: the data on disk is damaged or was written by
    /// an incompatible version.
    #[error("stored item at key \"{}\" is corrupt: {reason}", .key.escape_ascii())]
    Corrupt {
        /// The key whose record is damaged.
        key: Vec<u8>,
        /// What is wrong with it.
        reason: String,
    },

    /// A watcher did not read its events fast enough and its bounded buffer of `capacity`
    /// events filled up; it was closed so writers never wait for it. Read the state again
    /// and start a new watcher.
    #[error("watcher fell behind: its buffer of {capacity} events is full; start a new watcher")]
    WatcherFellBehind {
        /// How many undelivered events the watcher could hold.
        capacity: usize,
    },
}

impl BackendError {
    /// True for [`BackendError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, BackendError::NotFound { .. })
    }

    /// True for [`BackendError::AlreadyExists`].
    pub fn is_already_exists(&self) -> bool {
        matches!(self, BackendError::AlreadyExists { .. })
    }

    /// True for [`BackendError::CompareFailed`].
    pub fn is_compare_failed(&self) -> bool {
        matches!(self, BackendError::CompareFailed { .. })
    }

    /// Wraps an engine error with what was being done.
    pub(crate) fn storage(
        operation: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        BackendError::Storage {
            operation: operation.into(),
            source: source.into(),
        }
    }
}

fn in_use_message(path: &std::path::Path, pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!(
            "storage directory {} is in use by pid {pid}",
            path.display()
        ),
        None => format!(
            "storage directory {} is in use by another process",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_show_keys_readably() {
        let err = BackendError::NotFound {
            key: b"/web/users/alice".to_vec(),
        };
        assert_eq!(err.to_string(), "key \"/web/users/alice\" is not found");
        let err = BackendError::AlreadyExists {
            key: vec![b'/', 0xff, b'a'],
        };
        assert_eq!(err.to_string(), "key \"/\\xffa\" already exists");
    }

    #[test]
    fn in_use_names_directory_and_pid() {
        let err = BackendError::InUse {
            path: PathBuf::from("/var/lib/teleport/backend"),
            pid: Some(1234),
        };
        assert_eq!(
            err.to_string(),
            "storage directory /var/lib/teleport/backend is in use by pid 1234"
        );
        let err = BackendError::InUse {
            path: PathBuf::from("/d"),
            pid: None,
        };
        assert_eq!(
            err.to_string(),
            "storage directory /d is in use by another process"
        );
    }
}
