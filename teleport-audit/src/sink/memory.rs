//! [`MemorySink`]: an audit log kept in memory, for tests and for programs that embed the
//! crates and read their events back directly (as `MemoryBackend` is for storage).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;

use super::{AuditError, AuditSink, Cursor, Order, SearchPage, SearchQuery};
use crate::AuditEvent;

/// The prefix of this sink's cursors: `m1:<index of the last event returned>`.
const CURSOR_PREFIX: &str = "m1:";

/// Keeps every emitted event in memory, in emission order, and searches them like the
/// file sink does. [`MemorySink::set_failing`] makes `emit` fail, to test what callers do
/// when the audit log cannot be written.
#[derive(Debug, Default)]
pub struct MemorySink {
    events: Mutex<Vec<AuditEvent>>,
    failing: AtomicBool,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        MemorySink::default()
    }

    /// Every event emitted so far, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.lock().clone()
    }

    /// Every event emitted so far as JSON objects, oldest first.
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.lock()
            .iter()
            .filter_map(|event| serde_json::to_value(event).ok())
            .collect()
    }

    /// While `failing`, `emit` refuses every event with an I/O error.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<AuditEvent>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn parse_cursor(cursor: &Cursor) -> Result<usize, AuditError> {
    cursor
        .as_str()
        .strip_prefix(CURSOR_PREFIX)
        .and_then(|index| index.parse().ok())
        .ok_or_else(|| AuditError::BadCursor {
            cursor: cursor.as_str().to_string(),
            reason: "not a cursor of the in-memory audit sink".into(),
        })
}

#[async_trait]
impl AuditSink for MemorySink {
    async fn emit(&self, event: AuditEvent) -> Result<(), AuditError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(AuditError::Io {
                action: "write",
                path: "memory".into(),
                source: std::io::Error::other("the in-memory audit sink is set to fail"),
            });
        }
        self.lock().push(event);
        Ok(())
    }

    async fn search(&self, query: SearchQuery) -> Result<SearchPage, AuditError> {
        let limit = query.checked_limit()?;
        let after = query.start_after.as_ref().map(parse_cursor).transpose()?;
        let events = self.lock();
        let indexes: Box<dyn Iterator<Item = usize>> = match (query.order, after) {
            (Order::OldestFirst, None) => Box::new(0..events.len()),
            (Order::OldestFirst, Some(last)) => Box::new(last + 1..events.len()),
            (Order::NewestFirst, None) => Box::new((0..events.len()).rev()),
            (Order::NewestFirst, Some(last)) => Box::new((0..last.min(events.len())).rev()),
        };
        let mut page = Vec::new();
        let mut last = None;
        for index in indexes {
            let event = &events[index];
            if query.wants_time(event.time()) && query.wants_type(event.event_name()) {
                page.push(event.clone());
                last = Some(index);
                if page.len() == limit {
                    break;
                }
            }
        }
        let next = (page.len() == limit)
            .then(|| last.map(|index| Cursor::new(format!("{CURSOR_PREFIX}{index}"))))
            .flatten();
        Ok(SearchPage { events: page, next })
    }

    async fn close(&self) -> Result<(), AuditError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SessionStart;
    use crate::EventPayload;
    use teleport_core::{Clock, FakeClock};

    fn sink_with(count: usize) -> (MemorySink, Vec<String>) {
        let clock = FakeClock::default();
        let sink = MemorySink::new();
        let mut uids = Vec::new();
        for _ in 0..count {
            let event = AuditEvent::new(
                EventPayload::SessionStart(SessionStart::default()),
                "example.com",
                &clock,
            );
            uids.push(event.uid().to_string());
            sink.lock().push(event);
            clock.advance(std::time::Duration::from_secs(1));
        }
        (sink, uids)
    }

    async fn all_pages(sink: &MemorySink, order: Order, limit: usize) -> Vec<String> {
        let clock = FakeClock::default();
        let from = clock.now() - time::Duration::days(1);
        let to = clock.now() + time::Duration::days(1);
        let mut query = SearchQuery::new(from, to).limit(limit).order(order);
        let mut seen = Vec::new();
        loop {
            let page = sink.search(query.clone()).await.unwrap();
            seen.extend(page.events.iter().map(|e| e.uid().to_string()));
            match page.next {
                Some(cursor) => query = query.start_after(cursor),
                None => return seen,
            }
        }
    }

    #[tokio::test]
    async fn pages_concatenate_to_the_whole_log_in_both_orders() {
        let (sink, uids) = sink_with(23);
        for limit in [1, 5, 23, 100] {
            assert_eq!(all_pages(&sink, Order::OldestFirst, limit).await, uids);
            let mut reversed = uids.clone();
            reversed.reverse();
            assert_eq!(all_pages(&sink, Order::NewestFirst, limit).await, reversed);
        }
    }

    #[tokio::test]
    async fn filters_refuses_foreign_cursors_and_can_be_made_to_fail() {
        let (sink, _) = sink_with(3);
        let now = FakeClock::default().now();
        let none = SearchQuery::new(now, now + time::Duration::days(1)).event_types(["exec"]);
        assert!(sink.search(none).await.unwrap().events.is_empty());
        let bad = SearchQuery::new(now, now).start_after(Cursor::new("f1:2021-01-01:0"));
        assert!(matches!(
            sink.search(bad).await,
            Err(AuditError::BadCursor { .. })
        ));
        sink.set_failing(true);
        let event = sink.events().remove(0);
        assert!(sink.emit(event.clone()).await.is_err());
        sink.set_failing(false);
        sink.emit(event).await.unwrap();
        assert_eq!(sink.events().len(), 4);
    }
}
