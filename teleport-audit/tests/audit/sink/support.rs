//! Helpers shared by the sink scenarios.

use std::path::Path;
use std::sync::Arc;

use teleport_audit::event::{SessionStart, UserMetadata};
use teleport_audit::sink::{AuditSink, FileSink, SearchQuery, MAX_SEARCH_LIMIT};
use teleport_audit::{AuditEvent, EventPayload};
use teleport_core::FakeClock;
use time::OffsetDateTime;

/// A `session.start` event of `user` at `time`.
pub fn event_at(time: OffsetDateTime, user: &str) -> AuditEvent {
    AuditEvent::new(
        EventPayload::SessionStart(SessionStart {
            user: UserMetadata {
                user: user.into(),
                login: "root".into(),
            },
            size: "80:25".into(),
            ..SessionStart::default()
        }),
        "example.com",
        &FakeClock::new(time),
    )
}

/// A file sink in `dir` on a fake clock.
pub fn open_file_sink(dir: &Path) -> FileSink {
    FileSink::open(dir, Arc::new(FakeClock::default())).unwrap()
}

/// Every page of `query`, concatenated, checking that only the last page is short.
pub async fn search_all(sink: &dyn AuditSink, query: SearchQuery) -> Vec<AuditEvent> {
    let mut query = query;
    let mut all = Vec::new();
    loop {
        let page = sink.search(query.clone()).await.unwrap();
        let full = page.events.len() == query.limit.min(MAX_SEARCH_LIMIT);
        all.extend(page.events);
        match page.next {
            Some(cursor) => {
                assert!(full, "a short page must be the last");
                query = query.start_after(cursor);
            }
            None => return all,
        }
    }
}

/// The uids of `events`, in order.
pub fn uids(events: &[AuditEvent]) -> Vec<String> {
    events.iter().map(|e| e.uid().to_string()).collect()
}

/// The lines of a file.
pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}
