//! Events of an interactive session's life: start, join, resize, leave, end, the data it
//! moved, its upload, the sessions refused, and the `print` lines of its recording.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::fields::{ConnectionMetadata, ServerMetadata, SessionMetadata, UserMetadata};

/// `session.start` (T2000I): an interactive session began.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStart {
    /// Who started it.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// Which session.
    #[serde(flatten)]
    pub session: SessionMetadata,
    /// The terminal size as `cols:rows` (`size`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub size: String,
}

/// `session.join` (T2001I): another user joined a running session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionJoin {
    /// Who joined.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Which session.
    #[serde(flatten)]
    pub session: SessionMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
}

/// `resize` (T2002I): a participant's terminal changed size.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resize {
    /// Whose terminal.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Which session.
    #[serde(flatten)]
    pub session: SessionMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// The new size as `cols:rows` (`size`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub size: String,
}

/// `session.leave` (T2003I): a participant left a session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionLeave {
    /// Who left.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Which session.
    #[serde(flatten)]
    pub session: SessionMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
}

/// `session.end` (T2004I): a session ended, for interactive and exec sessions alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEnd {
    /// Who started the session.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Which session.
    #[serde(flatten)]
    pub session: SessionMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// Whether the recording was an enhanced (BPF) recording (`enhanced_recording`).
    #[serde(default)]
    pub enhanced_recording: bool,
    /// Whether the session had a terminal, as opposed to an exec (`interactive`).
    #[serde(default)]
    pub interactive: bool,
    /// The Teleport users who took part, the starter first (`participants`).
    #[serde(default, deserialize_with = "crate::event::wire::null_as_default")]
    pub participants: Vec<String>,
    /// When the session began, RFC 3339 in UTC (`session_start`).
    #[serde(with = "crate::event::wire::utc")]
    pub session_start: OffsetDateTime,
    /// When the session ended, RFC 3339 in UTC (`session_stop`).
    #[serde(with = "crate::event::wire::utc")]
    pub session_stop: OffsetDateTime,
}

/// `session.data` (T2006I): how many bytes a session moved, reported when it ends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionData {
    /// Whose session.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Which session.
    #[serde(flatten)]
    pub session: SessionMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// Bytes sent to the client (`tx`).
    #[serde(rename = "tx", default)]
    pub bytes_transmitted: u64,
    /// Bytes received from the client (`rx`).
    #[serde(rename = "rx", default)]
    pub bytes_received: u64,
}

/// `session.upload` (T2005I): a session's recording was completed and stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUpload {
    /// Which session.
    #[serde(flatten)]
    pub session: SessionMetadata,
    /// Where the recording is stored (`url`).
    #[serde(default)]
    pub url: String,
}

/// `session.rejected` (T1006W): a session or connection was refused because a limit
/// such as a role's `max_connections` or `max_sessions` was reached.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionReject {
    /// Who was refused.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// Why, such as `max_connections limit reached` (`reason`).
    #[serde(default)]
    pub reason: String,
    /// The limit that was reached (`max`).
    #[serde(rename = "max", default)]
    pub maximum: u64,
}

/// `print` (no code): one write to a session's terminal, as a line of the session's
/// recording. The bytes themselves live in the recording's data file, not in the event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Print {
    /// The index of this print among the session's prints (`ci`).
    #[serde(rename = "ci", default)]
    pub chunk_index: u64,
    /// How many bytes were written (`bytes`).
    #[serde(default)]
    pub bytes: u64,
    /// Milliseconds since the session began (`ms`).
    #[serde(rename = "ms", default)]
    pub delay_ms: u64,
    /// Where the bytes start in the session's data file (`offset`).
    #[serde(default)]
    pub offset: u64,
}
