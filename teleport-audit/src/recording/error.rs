//! What can go wrong while recording, reading or playing a session.

use std::io;
use std::path::PathBuf;

/// An error from a session recorder, a recording reader or a player.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordingError {
    /// The session id cannot name a recording: it is empty, too long, or holds a
    /// character other than ASCII letters, digits, `-` and `_` (so no `/` or `..`).
    #[error("invalid session id {sid:?}: expected 1 to 128 ASCII letters, digits, '-' or '_'")]
    BadSid {
        /// The refused id (cut after 129 characters).
        sid: String,
    },

    /// No recording of the session exists in the directory (neither the plain
    /// `<sid>.session.log` nor the compressed `<sid>.events.gz`).
    #[error("no recording of session {sid} in {}", dir.display())]
    NotFound {
        /// The session id looked for.
        sid: String,
        /// The directory looked in.
        dir: PathBuf,
    },

    /// The path given to open a recording names no recording file: its name does not end
    /// in `.session.log`, `.session.bytes`, `.events.gz` or `.chunks.gz`, and it is not a
    /// `<dir>/<sid>` whose files exist.
    #[error("{} is not a session recording (expected <sid>.session.log, <sid>.session.bytes, <sid>.events.gz or <sid>.chunks.gz)", path.display())]
    NotARecording {
        /// The path given.
        path: PathBuf,
    },

    /// The session already has a recording file; recordings are never overwritten.
    #[error("session {sid} already has a recording: {}", path.display())]
    AlreadyExists {
        /// The session id.
        sid: String,
        /// The file that exists.
        path: PathBuf,
    },

    /// A playback speed outside 0.25 to 16 (or not a number) was asked for.
    #[error("playback speed {speed} is out of range: use 0.25 to 16")]
    BadSpeed {
        /// The speed asked for.
        speed: f64,
    },

    /// A line of a recording's events file is not a valid event, or refers to bytes
    /// that cannot be where it says. (A torn last line, left by a recorder that was
    /// killed, is not an error: the reader stops before it with a warning.)
    #[error("{}:{line}: {reason}", file.display())]
    Corrupt {
        /// The events file.
        file: PathBuf,
        /// The line number, from 1.
        line: u64,
        /// What is wrong with the line.
        reason: String,
    },

    /// Reading or writing a recording's file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// Writing played-back output failed (the terminal or pipe went away).
    #[error("writing playback output: {source}")]
    Output {
        /// The writer's error.
        #[source]
        source: io::Error,
    },

    /// An earlier write to this recording failed or was cancelled, so the recording
    /// takes no more: its files hold what was written before the failure.
    #[error("recording of session {sid} stopped after an earlier failure")]
    Failed {
        /// The session id.
        sid: String,
    },

    /// The background task writing the recording's files panicked or was cancelled
    /// (the runtime is shutting down).
    #[error("the writer of session {sid}'s recording stopped: {reason}")]
    WriterLost {
        /// The session id.
        sid: String,
        /// Why the task ended.
        reason: String,
    },
}

impl RecordingError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        RecordingError::Io {
            path: path.into(),
            source,
        }
    }
}
