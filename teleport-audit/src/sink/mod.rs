//! Audit sinks: where audit events go, and how they are searched.
//!
//! An [`AuditSink`] takes events ([`AuditSink::emit`]) and answers searches by time range
//! and event type, one page at a time ([`AuditSink::search`]). The sinks built in are:
//!
//! | sink | `audit_events_uri` | keeps |
//! |---|---|---|
//! | [`FileSink`] | none (the default), `file:///path` or `/path` | one JSON line per event, one file per UTC day: `YYYY-MM-DD.00:00:00.log` |
//! | [`StdoutSink`] | `stdout://` | nothing: prints each event as one JSON line; cannot search |
//! | [`MultiSink`] | a list of URIs | emits to every sink; the first answers searches |
//!
//! [`sink_from_uris`] builds the sink that `teleport.storage.audit_events_uri` asks for.
//!
//! Searching pages through matching events in the order the sink made them durable
//! ([`Order::OldestFirst`]) or the reverse ([`Order::NewestFirst`]). Each page ends with a
//! [`Cursor`] naming the position of its last event; passing it back as
//! [`SearchQuery::start_after`] continues strictly after that position, so paging never
//! skips or repeats an event, even while new events arrive.
//!
//! ```no_run
//! # async fn demo() -> Result<(), teleport_audit::sink::AuditError> {
//! use std::sync::Arc;
//! use teleport_audit::sink::{AuditSink, FileSink, Order, SearchQuery};
//! use teleport_core::SystemClock;
//! use time::{Duration, OffsetDateTime};
//!
//! let sink = FileSink::open("/var/lib/teleport/log", Arc::new(SystemClock))?;
//! let now = OffsetDateTime::now_utc();
//! let mut query = SearchQuery::new(now - Duration::days(1), now)
//!     .event_types(["session.start"])
//!     .order(Order::NewestFirst)
//!     .limit(100);
//! loop {
//!     let page = sink.search(query.clone()).await?;
//!     for event in &page.events {
//!         println!("{} {}", event.time(), event.event_type());
//!     }
//!     match page.next {
//!         Some(cursor) => query = query.start_after(cursor),
//!         None => break,
//!     }
//! }
//! sink.close().await?;
//! # Ok(())
//! # }
//! ```

mod error;
mod file;
mod memory;
mod multi;
mod stdout;
mod uri;

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::AuditEvent;

pub use error::AuditError;
pub use file::FileSink;
pub use memory::MemorySink;
pub use multi::MultiSink;
pub use stdout::StdoutSink;
pub use uri::{sink_from_uris, DEFAULT_LOG_DIR};

/// The page size of a [`SearchQuery`] made with [`SearchQuery::new`].
pub const DEFAULT_SEARCH_LIMIT: usize = 100;

/// The largest page a search returns; a larger [`SearchQuery::limit`] is reduced to it
/// (the page's [`SearchPage::next`] then continues where it stopped).
pub const MAX_SEARCH_LIMIT: usize = 10_000;

/// Somewhere audit events go.
///
/// Implementations are shared between tasks (`Arc<dyn AuditSink>`), so every method takes
/// `&self`.
#[async_trait]
pub trait AuditSink: Send + Sync {
    /// Keeps `event`. Returns once the sink holds it for good (for [`FileSink`]: written
    /// and `fsync`ed), or with the reason it could not.
    async fn emit(&self, event: AuditEvent) -> Result<(), AuditError>;

    /// One page of the events that match `query`, in `query.order`.
    ///
    /// The contract every implementation keeps: a page's [`SearchPage::next`] is `Some`
    /// exactly when the page holds `limit` events, and names its last event; a search
    /// from it continues strictly after that event, so that the pages of one query,
    /// concatenated, hold every matching event once, in order, including while events
    /// are being added. A cursor the sink cannot read is [`AuditError::BadCursor`].
    ///
    /// Sinks that keep nothing (such as [`StdoutSink`]) answer
    /// [`AuditError::SearchUnsupported`].
    async fn search(&self, query: SearchQuery) -> Result<SearchPage, AuditError>;

    /// Finishes the events already emitted and refuses new ones with
    /// [`AuditError::Closed`]. Closing twice is not an error.
    async fn close(&self) -> Result<(), AuditError>;
}

/// Which end of the audit log a search starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Order {
    /// In the order the sink made the events durable (Teleport's default, ascending).
    #[default]
    OldestFirst,
    /// The reverse: the most recently stored event first.
    NewestFirst,
}

/// What to search for: events whose `time` is in `[from, to)`, of some types, one page
/// at a time.
///
/// Build one with [`SearchQuery::new`] and the setters:
///
/// ```
/// use teleport_audit::sink::{Order, SearchQuery};
/// use time::macros::datetime;
///
/// let query = SearchQuery::new(datetime!(2026-11-21 00:00 UTC), datetime!(2026-11-22 00:00 UTC))
///     .event_types(["session.start", "session.end"])
///     .order(Order::NewestFirst)
///     .limit(50);
/// assert_eq!(query.limit, 50);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchQuery {
    /// The earliest event time wanted, inclusive.
    pub from: OffsetDateTime,
    /// The end of the time range, exclusive: an event at exactly `to` is not included.
    pub to: OffsetDateTime,
    /// The event types wanted (`session.start`, ...); empty means every type.
    pub event_types: Vec<String>,
    /// The most events one page holds: at least 1; above [`MAX_SEARCH_LIMIT`] it is
    /// reduced to that.
    pub limit: usize,
    /// Oldest or newest first.
    pub order: Order,
    /// Continue strictly after this position: the [`SearchPage::next`] of the previous
    /// page. `None` starts at the beginning (in `order`).
    pub start_after: Option<Cursor>,
}

impl SearchQuery {
    /// Every event with `from <= time < to`, oldest first, [`DEFAULT_SEARCH_LIMIT`] per
    /// page.
    pub fn new(from: OffsetDateTime, to: OffsetDateTime) -> Self {
        SearchQuery {
            from,
            to,
            event_types: Vec::new(),
            limit: DEFAULT_SEARCH_LIMIT,
            order: Order::default(),
            start_after: None,
        }
    }

    /// Only events of these types.
    pub fn event_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.event_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// At most `limit` events per page.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Oldest or newest first.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// Continue after `cursor` (a previous page's [`SearchPage::next`]).
    pub fn start_after(mut self, cursor: Cursor) -> Self {
        self.start_after = Some(cursor);
        self
    }

    /// Checks the query, returning the page size to use (the limit, capped at
    /// [`MAX_SEARCH_LIMIT`]).
    pub(crate) fn checked_limit(&self) -> Result<usize, AuditError> {
        if self.limit == 0 {
            return Err(AuditError::BadQuery {
                reason: "the limit must be at least 1".into(),
            });
        }
        if self.from > self.to {
            return Err(AuditError::BadQuery {
                reason: format!(
                    "the time range ends ({}) before it starts ({})",
                    self.to, self.from
                ),
            });
        }
        Ok(self.limit.min(MAX_SEARCH_LIMIT))
    }

    /// Whether `event_type` is one of the wanted types.
    pub(crate) fn wants_type(&self, event_type: &str) -> bool {
        self.event_types.is_empty() || self.event_types.iter().any(|t| t == event_type)
    }

    /// Whether `time` is in `[from, to)`.
    pub(crate) fn wants_time(&self, time: OffsetDateTime) -> bool {
        self.from <= time && time < self.to
    }
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// The matching events, in the query's order.
    pub events: Vec<AuditEvent>,
    /// Where the next page starts: `Some` when this page is full (the next one may still
    /// turn out empty), `None` when the search reached the end of what is stored.
    pub next: Option<Cursor>,
}

/// A position in one sink's audit log, handed out as [`SearchPage::next`].
///
/// It is opaque text (safe to put in a URL query or a JSON field and hand back later)
/// whose meaning belongs to the sink that made it; it names the last event of a page, so
/// continuing from it works in either [`Order`] and with any filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// A cursor from its text, as [`Cursor::as_str`] gave it.
    pub fn new(text: impl Into<String>) -> Self {
        Cursor(text.into())
    }

    /// The cursor's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Cursor {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Cursor::new(s))
    }
}

/// `event` as the one JSON line (newline included) that sinks write, with the UTC day it
/// belongs to. Refuses a time outside years 0000-9999 (which RFC 3339 cannot write)
/// before encoding it.
pub(crate) fn encode_line(event: &AuditEvent) -> Result<(time::Date, Vec<u8>), AuditError> {
    let encode_error = |source| AuditError::Encode {
        uid: event.uid().to_string(),
        event_type: event.event_type(),
        source,
    };
    let day = event
        .time()
        .checked_to_offset(time::UtcOffset::UTC)
        .map(|t| t.date())
        .filter(|day| (0..=9999).contains(&day.year()))
        .ok_or_else(|| {
            encode_error(<serde_json::Error as serde::ser::Error>::custom(
                "its time has no UTC date in years 0000-9999",
            ))
        })?;
    // Most events fit: no regrowing while encoding.
    let mut line = Vec::with_capacity(1024);
    serde_json::to_writer(&mut line, event).map_err(encode_error)?;
    line.push(b'\n');
    Ok((day, line))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn query_checks_limit_and_range() {
        let from = datetime!(2026-11-21 00:00 UTC);
        let to = datetime!(2026-11-22 00:00 UTC);
        assert_eq!(SearchQuery::new(from, to).checked_limit().unwrap(), 100);
        assert_eq!(
            SearchQuery::new(from, to)
                .limit(usize::MAX)
                .checked_limit()
                .unwrap(),
            MAX_SEARCH_LIMIT
        );
        let zero = SearchQuery::new(from, to).limit(0).checked_limit();
        assert!(matches!(zero, Err(AuditError::BadQuery { .. })), "{zero:?}");
        let backwards = SearchQuery::new(to, from).checked_limit().unwrap_err();
        assert!(
            backwards.to_string().contains("before it starts"),
            "{backwards}"
        );
        // An empty range is a valid (empty) query.
        assert!(SearchQuery::new(from, from).checked_limit().is_ok());
    }

    #[test]
    fn time_range_is_inclusive_exclusive() {
        let from = datetime!(2026-11-21 00:00 UTC);
        let to = datetime!(2026-11-22 00:00 UTC);
        let query = SearchQuery::new(from, to);
        assert!(query.wants_time(from));
        assert!(!query.wants_time(to));
        assert!(query.wants_type("anything"));
        let query = query.event_types(["session.start"]);
        assert!(query.wants_type("session.start"));
        assert!(!query.wants_type("session.end"));
    }

    #[test]
    fn cursor_round_trips_as_text() {
        let cursor = Cursor::new("f1:2026-11-21:42");
        assert_eq!(cursor.to_string().parse::<Cursor>().unwrap(), cursor);
        assert_eq!(
            serde_json::to_string(&cursor).unwrap(),
            "\"f1:2026-11-21:42\""
        );
    }

    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SearchQuery>();
        assert_send_sync::<SearchPage>();
        assert_send_sync::<Cursor>();
        assert_send_sync::<Order>();
        assert_send_sync::<AuditError>();
        assert_send_sync::<FileSink>();
        assert_send_sync::<StdoutSink>();
        assert_send_sync::<MultiSink>();
        assert_send_sync::<std::sync::Arc<dyn AuditSink>>();
    }
}
