//! The on-disk form of a recording: its file names and the JSON lines of its events file.
//!
//! The lines follow Teleport's own session log, and each is an [`AuditEvent`] as the audit
//! log writes it (see [`crate::event`]). Every line has `ei` (the event's index in the
//! session, increasing from 0), `event`, `time` (RFC 3339, UTC) and `ms` (milliseconds
//! since the session started):
//!
//! - the first line is `session.start` (code `T2000I`) with the session's `sid`, `user`,
//!   `login`, `namespace`, `server_id`, `server_hostname`, `server_addr`, `cluster_name`
//!   and `size`, and `ms` 0;
//! - `{"ei":N,"uid":"","time":"...","event":"print","ci":C,"bytes":B,"ms":M,"offset":O}`
//!   (an [`EventPayload::Print`](crate::EventPayload::Print)): the session printed the
//!   `B` bytes found at byte `O` of the bytes file `M` ms after it started; `ci` counts
//!   print lines from 0; print lines cover the bytes file in order without gaps;
//! - `resize` (code `T2002I`, an [`EventPayload::Resize`](crate::EventPayload::Resize))
//!   with the session's `sid`, `user`, `login` and node, `size` `"cols:rows"`, and `ms`;
//! - any other session event given to [`Recording::event`](super::Recording::event),
//!   plus `ms` (its `time` less the session's start).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::AuditEvent;

/// How a recording's two files are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// `<sid>.session.log` (JSON lines) and `<sid>.session.bytes` (raw bytes).
    #[default]
    Plain,
    /// The same content gzip-compressed: `<sid>.events.gz` and `<sid>.chunks.gz`.
    Gzip,
}

impl Format {
    /// Both forms, the plain one first (the order a reader looks for them in).
    pub const ALL: [Format; 2] = [Format::Plain, Format::Gzip];

    /// The ending of the events file's name: `.session.log` or `.events.gz`.
    pub fn events_suffix(self) -> &'static str {
        match self {
            Format::Plain => ".session.log",
            Format::Gzip => ".events.gz",
        }
    }

    /// The ending of the bytes file's name: `.session.bytes` or `.chunks.gz`.
    pub fn bytes_suffix(self) -> &'static str {
        match self {
            Format::Plain => ".session.bytes",
            Format::Gzip => ".chunks.gz",
        }
    }

    /// The events file of session `sid` in `dir` (the sid must be valid already).
    pub(crate) fn events_path(self, dir: &Path, sid: &str) -> PathBuf {
        dir.join(format!("{sid}{}", self.events_suffix()))
    }

    /// The bytes file of session `sid` in `dir` (the sid must be valid already).
    pub(crate) fn bytes_path(self, dir: &Path, sid: &str) -> PathBuf {
        dir.join(format!("{sid}{}", self.bytes_suffix()))
    }

    /// The form and session id a file name like `<sid>.chunks.gz` stands for.
    pub(crate) fn split_file_name(name: &str) -> Option<(Format, &str)> {
        Format::ALL.into_iter().find_map(|format| {
            let sid = name
                .strip_suffix(format.events_suffix())
                .or_else(|| name.strip_suffix(format.bytes_suffix()))?;
            Some((format, sid))
        })
    }
}

/// `event` of an output line.
pub const PRINT_EVENT: &str = "print";
/// `event` of a terminal resize.
pub const RESIZE_EVENT: &str = "resize";
/// `event` of the first line, which carries the recording's metadata.
pub const SESSION_START_EVENT: &str = "session.start";

/// A session event, as written: the audit event's own flat object plus `ms`.
#[derive(Debug, Serialize)]
pub(crate) struct EventLine<'a> {
    #[serde(flatten)]
    pub event: &'a AuditEvent,
    pub ms: u64,
}

/// The fields of any line that the reader needs to tell lines apart; others are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct LineHead<'a> {
    #[serde(default, borrow)]
    pub event: Cow<'a, str>,
    #[serde(default)]
    pub ms: Option<u64>,
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default)]
    pub bytes: Option<u64>,
    #[serde(default, borrow)]
    pub size: Option<Cow<'a, str>>,
}

/// The fields of a `session.start` line that make up a recording's metadata.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StartLine {
    pub sid: String,
    pub user: String,
    pub login: String,
    pub server_id: String,
    pub server_hostname: String,
    pub server_addr: String,
    pub cluster_name: String,
    pub size: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub time: Option<OffsetDateTime>,
}

/// `"cols:rows"` as written in `size`.
pub(crate) fn format_size(cols: u16, rows: u16) -> String {
    format!("{cols}:{rows}")
}

/// The columns and rows of a `size` such as `"80:25"`.
pub(crate) fn parse_size(size: &str) -> Option<(u16, u16)> {
    let (cols, rows) = size.split_once(':')?;
    Some((cols.trim().parse().ok()?, rows.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_split_into_form_and_sid() {
        assert_eq!(
            Format::split_file_name("abc.session.log"),
            Some((Format::Plain, "abc"))
        );
        assert_eq!(
            Format::split_file_name("abc.session.bytes"),
            Some((Format::Plain, "abc"))
        );
        assert_eq!(
            Format::split_file_name("abc.events.gz"),
            Some((Format::Gzip, "abc"))
        );
        assert_eq!(
            Format::split_file_name("abc.chunks.gz"),
            Some((Format::Gzip, "abc"))
        );
        assert_eq!(Format::split_file_name("abc.log"), None);
    }

    #[test]
    fn sizes_read_back() {
        assert_eq!(parse_size(&format_size(132, 43)), Some((132, 43)));
        for bad in ["", "80", "80:", ":25", "80x25", "-1:2", "70000:1"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }
}
