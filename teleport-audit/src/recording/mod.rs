//! Session recordings: the bytes a session printed, with their timing, and the session's
//! events, kept in Teleport's on-disk layout and read back for playback.
//!
//! A [`SessionRecorder`] opens one [`Recording`] per session. The recording takes the
//! session's output with the time offset at which it was printed
//! ([`Recording::write_output`]), terminal resizes and session events (join, leave, end),
//! and [`Recording::close`] finishes it. [`FileRecorder`] keeps each recording as two
//! files in `data_dir/log/sessions/default/`, as the admin manual lays them out:
//!
//! | file | holds |
//! |---|---|
//! | `<sid>.session.bytes` (or `<sid>.chunks.gz`) | the raw bytes the session printed |
//! | `<sid>.session.log` (or `<sid>.events.gz`) | one JSON event per line |
//!
//! The events file starts with a `session.start` line built from the
//! [`RecordingMetadata`], and each output becomes a `print` line such as
//! `{"ei":3,"uid":"","time":"2021-01-01T00:00:01.5Z","event":"print","ci":2,"bytes":120,"ms":1500,"offset":4096}`:
//! `ms` is the time since the session started, `offset` and `bytes` locate the output in
//! the bytes file. A resize is a `resize` line with `size` `"cols:rows"`. See
//! [`format`](mod@format) for every line.
//!
//! [`RecordingReader`] reads either form back lazily (memory stays bounded whatever the
//! session's size), [`Player`] turns it into [`Frame`]s with delays scaled by a playback
//! speed and capped by an idle limit, and [`write_json`] / [`write_text`] dump a recording
//! as JSON lines or as its raw bytes (`tsh play --format json|text`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), teleport_audit::recording::RecordingError> {
//! use std::time::Duration;
//! use teleport_audit::recording::*;
//!
//! let dir = "/var/lib/teleport/log/sessions/default";
//! let recorder = FileRecorder::new(dir, Format::Plain);
//! let meta = RecordingMetadata {
//!     sid: "4c146ec8-eab6-11e6-b1b3-40167e68e931".into(),
//!     user: "joe".into(),
//!     login: "root".into(),
//!     ..RecordingMetadata::default()
//! };
//! let mut recording = recorder.open(meta).await?;
//! recording.write_output(Duration::from_millis(0), b"$ ").await?;
//! recording.write_output(Duration::from_millis(1500), b"ls\r\n").await?;
//! recording.close().await?;
//!
//! let reader = RecordingReader::open(dir, "4c146ec8-eab6-11e6-b1b3-40167e68e931")?;
//! let options = PlaybackOptions { speed: 16.0, idle_cap: Some(Duration::from_secs(2)) };
//! for frame in Player::new(reader, options)? {
//!     let frame = frame?;
//!     // sleep frame.delay, then show frame.kind
//! }
//! # Ok(())
//! # }
//! ```

mod error;
mod file_recorder;
mod files;
pub mod format;
mod playback;
mod reader;

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::AuditEvent;

pub use error::RecordingError;
pub use file_recorder::{FileRecorder, DEFAULT_BUFFER_SIZE};
pub use format::Format;
pub use playback::{
    play_to, write_json, write_text, Frame, FrameKind, PlaybackOptions, Player, MAX_SPEED,
    MIN_SPEED,
};
pub use reader::{Events, RecordedItem, RecordingReader, MAX_CHUNK};

/// Opens recordings, one per session.
#[async_trait]
pub trait SessionRecorder: Send + Sync {
    /// Starts recording the session that `meta` describes.
    ///
    /// Fails with [`RecordingError::BadSid`] when `meta.sid` is not a valid session id
    /// (see [`validate_sid`]) and with [`RecordingError::AlreadyExists`] when the session
    /// already has a recording: a recording is never overwritten.
    async fn open(&self, meta: RecordingMetadata) -> Result<Box<dyn Recording>, RecordingError>;
}

/// One session's recording, open for writing.
///
/// Time offsets are durations since the session started (`RecordingMetadata::started`).
/// Offsets of output and resizes never go backwards in the recording: an offset earlier
/// than the previous one is recorded at the previous one (clamped), so playback never
/// sees a negative delay.
///
/// After a failed write (a full disk, say) the recording refuses further calls with
/// [`RecordingError::Failed`]: what reached the files before the failure stays readable.
/// Cancelling a call (dropping its future) also leaves the recording failed. Always
/// [`close`](Recording::close) a recording: dropping it instead may lose buffered output
/// (a [`FileRecorder`] recording writes it in the background, without `fsync`).
#[async_trait]
pub trait Recording: Send + Sync {
    /// Records `bytes` printed `at` the given time since the session started.
    async fn write_output(&mut self, at: Duration, bytes: &[u8]) -> Result<(), RecordingError>;

    /// Records that the terminal became `cols` x `rows` `at` the given time.
    async fn resize(&mut self, at: Duration, cols: u16, rows: u16) -> Result<(), RecordingError>;

    /// Records a copy of a session event (`session.join`, `session.leave`,
    /// `session.end`, ...). Its `ei` is replaced by the recording's own event index.
    async fn event(&mut self, event: AuditEvent) -> Result<(), RecordingError>;

    /// Writes what is still buffered, finishes the files and says what was recorded.
    async fn close(self: Box<Self>) -> Result<RecordingSummary, RecordingError>;
}

/// Who recorded what, where and when: the session a recording belongs to.
///
/// [`FileRecorder`] writes it as the recording's first line, a `session.start` event, and
/// [`RecordingReader::metadata`] reads it back from there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingMetadata {
    /// The session id (`sid`), normally a UUID; it names the recording's files.
    pub sid: String,
    /// The Teleport user who started the session (`user`).
    pub user: String,
    /// The OS login on the node (`login`).
    pub login: String,
    /// The node's host UUID (`server_id`).
    pub server_id: String,
    /// The node's name (`server_hostname`).
    pub server_hostname: String,
    /// The node's address (`server_addr`).
    pub server_addr: String,
    /// The cluster's name (`cluster_name`).
    pub cluster_name: String,
    /// The terminal's width in columns when the session started.
    pub cols: u16,
    /// The terminal's height in rows when the session started.
    pub rows: u16,
    /// When the session started: every time offset counts from here.
    pub started: OffsetDateTime,
}

impl Default for RecordingMetadata {
    /// Empty names (the sid must still be set), an 80x25 terminal, started at the Unix
    /// epoch.
    fn default() -> Self {
        RecordingMetadata {
            sid: String::new(),
            user: String::new(),
            login: String::new(),
            server_id: String::new(),
            server_hostname: String::new(),
            server_addr: String::new(),
            cluster_name: String::new(),
            cols: 80,
            rows: 25,
            started: OffsetDateTime::UNIX_EPOCH,
        }
    }
}

/// What a closed recording holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingSummary {
    /// The session id.
    pub sid: String,
    /// The form the files were written in.
    pub format: Format,
    /// The events file (`<sid>.session.log` or `<sid>.events.gz`).
    pub events_path: PathBuf,
    /// The bytes file (`<sid>.session.bytes` or `<sid>.chunks.gz`).
    pub bytes_path: PathBuf,
    /// How many output bytes were recorded (before compression).
    pub bytes: u64,
    /// How many lines the events file holds, the `session.start` line included.
    pub events: u64,
    /// The time offset of the last output or resize.
    pub duration: Duration,
}

/// The longest session id accepted, in bytes.
pub const MAX_SID_LEN: usize = 128;

/// Checks that `sid` can name a recording's files without leaving their directory: 1 to
/// [`MAX_SID_LEN`] ASCII letters, digits, `-` or `_` (a UUID passes). Dots and path
/// separators are refused, so `..` and `a/b` cannot escape.
pub fn validate_sid(sid: &str) -> Result<(), RecordingError> {
    let valid = !sid.is_empty()
        && sid.len() <= MAX_SID_LEN
        && sid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(RecordingError::BadSid {
            sid: sid.chars().take(MAX_SID_LEN + 1).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_that_could_escape_the_directory_are_refused() {
        validate_sid("4c146ec8-eab6-11e6-b1b3-40167e68e931").unwrap();
        validate_sid("session_1").unwrap();
        for bad in ["", "..", "../x", "a/b", "a\\b", "a.b", "x\0", "é", " a"] {
            assert!(
                matches!(validate_sid(bad), Err(RecordingError::BadSid { .. })),
                "{bad:?} accepted"
            );
        }
        assert!(validate_sid(&"a".repeat(MAX_SID_LEN)).is_ok());
        assert!(validate_sid(&"a".repeat(MAX_SID_LEN + 1)).is_err());
    }

    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<FileRecorder>();
        assert_send_sync::<Box<dyn Recording>>();
        assert_send_sync::<Box<dyn SessionRecorder>>();
        assert_send_sync::<RecordingMetadata>();
        assert_send_sync::<RecordingSummary>();
        assert_send_sync::<RecordingError>();
        assert_send_sync::<RecordingReader>();
        assert_send_sync::<Events>();
        assert_send_sync::<RecordedItem>();
        assert_send_sync::<Player>();
        assert_send_sync::<Frame>();
        assert_send_sync::<PlaybackOptions>();
    }
}
