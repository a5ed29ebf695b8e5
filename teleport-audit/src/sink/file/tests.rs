//! Unit tests of the file sink's moving parts; the scenarios are in
//! `tests/audit/sink/`.

use std::io::Write;
use std::sync::Arc;

use teleport_core::FakeClock;
use time::macros::datetime;

use super::*;
use crate::event::SessionStart;
use crate::EventPayload;

fn event(clock: &FakeClock) -> AuditEvent {
    AuditEvent::new(
        EventPayload::SessionStart(SessionStart::default()),
        "example.com",
        clock,
    )
}

fn whole_day() -> SearchQuery {
    SearchQuery::new(
        datetime!(2021-01-01 00:00 UTC),
        datetime!(2021-01-02 00:00 UTC),
    )
}

#[tokio::test]
async fn searches_read_only_durable_lines() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::default();
    let sink = FileSink::open(dir.path(), Arc::new(clock.clone())).unwrap();
    let first = event(&clock);
    sink.emit(first.clone()).await.unwrap();
    // A line appended behind the writer's back (as if being written right now) is not
    // durable as far as the sink knows, so searches do not return it yet.
    let path = dir.path().join("2021-01-01.00:00:00.log");
    let mut raw = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    let sneaky = event(&clock);
    raw.write_all(&serde_json::to_vec(&sneaky).unwrap())
        .unwrap();
    raw.write_all(b"\n").unwrap();
    let page = sink.search(whole_day()).await.unwrap();
    assert_eq!(page.events, vec![first.clone()]);
    // The next durable write covers it.
    let second = event(&clock);
    sink.emit(second.clone()).await.unwrap();
    let page = sink.search(whole_day()).await.unwrap();
    assert_eq!(page.events, vec![first, sneaky, second]);
}

#[tokio::test]
async fn close_and_drop_free_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let clock: SharedClock = Arc::new(FakeClock::default());
    let sink = FileSink::open(dir.path(), Arc::clone(&clock)).unwrap();
    let err = FileSink::open(dir.path(), Arc::clone(&clock)).unwrap_err();
    assert!(matches!(err, AuditError::DirInUse { .. }), "{err:?}");
    sink.close().await.unwrap();
    sink.close().await.unwrap();
    let again = FileSink::open(dir.path(), Arc::clone(&clock)).unwrap();
    drop(again);
    FileSink::open(dir.path(), clock).unwrap();
}

#[tokio::test]
async fn closed_sinks_refuse_work() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::default();
    let sink = FileSink::open(dir.path(), Arc::new(clock.clone())).unwrap();
    sink.close().await.unwrap();
    assert!(matches!(
        sink.emit(event(&clock)).await,
        Err(AuditError::Closed)
    ));
    assert!(matches!(
        sink.search(whole_day()).await,
        Err(AuditError::Closed)
    ));
}

#[tokio::test]
async fn events_outside_rfc3339_years_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::default();
    let sink = FileSink::open(dir.path(), Arc::new(clock.clone())).unwrap();
    for time in [
        datetime!(-0001-01-01 00:00 UTC),
        // Year 10000 in UTC: must be refused, not panic while converting.
        datetime!(9999-12-31 23:00 -02:00),
    ] {
        let mut event = event(&clock);
        event.common.time = time;
        let err = sink.emit(event).await.unwrap_err();
        assert!(matches!(err, AuditError::Encode { .. }), "{err:?}");
        assert!(err.to_string().contains("0000-9999"), "{err}");
    }
}

mod indexed_search {
    //! Searches for part of a day through a time index with tiny blocks, over events whose
    //! times are out of order (as late events make them): never a miss, never a repeat.

    use proptest::prelude::*;
    use time::Duration;

    use super::*;
    use crate::sink::{Order, MAX_SEARCH_LIMIT};

    const START: time::OffsetDateTime = datetime!(2026-11-21 00:00 UTC);

    async fn search_all(sink: &FileSink, mut query: SearchQuery) -> Vec<AuditEvent> {
        let mut all = Vec::new();
        loop {
            let page = sink.search(query.clone()).await.unwrap();
            all.extend(page.events);
            match page.next {
                Some(cursor) => query = query.start_after(cursor),
                None => return all,
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn pages_match_the_model_whatever_the_disorder(
            offsets in proptest::collection::vec(-1800i64..1800, 1..60),
            from in 0i64..2 * 86_400,
            len in 0i64..86_400,
            limit in 1usize..8,
            newest_first in any::<bool>(),
            block_bytes in prop_oneof![Just(1u64), 300u64..2000],
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let dir = tempfile::tempdir().unwrap();
                let mut sink = FileSink::open(dir.path(), Arc::new(FakeClock::default())).unwrap();
                sink.indexes = Arc::new(Indexes::with_block_bytes(block_bytes));
                // Roughly one event every 40 minutes over two days, each up to half an
                // hour early or late.
                let mut emitted = Vec::new();
                for (n, jitter) in offsets.iter().enumerate() {
                    let clock = FakeClock::new(START + Duration::seconds(n as i64 * 2400 + jitter + 1800));
                    let event = event(&clock);
                    sink.emit(event.clone()).await.unwrap();
                    emitted.push(event);
                }
                let from = START + Duration::seconds(from);
                let to = from + Duration::seconds(len);
                let order = if newest_first { Order::NewestFirst } else { Order::OldestFirst };
                let query = SearchQuery::new(from, to).limit(limit).order(order);
                // Twice: building the index, then using it.
                for _ in 0..2 {
                    let mut expected: Vec<(time::Date, usize, AuditEvent)> = emitted
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| from <= e.time() && e.time() < to)
                        .map(|(n, e)| (e.time().date(), n, e.clone()))
                        .collect();
                    expected.sort_by_key(|(day, n, _)| (*day, *n));
                    let mut expected: Vec<AuditEvent> = expected.into_iter().map(|(_, _, e)| e).collect();
                    if newest_first {
                        expected.reverse();
                    }
                    prop_assert_eq!(&search_all(&sink, query.clone()).await, &expected);
                    let whole = sink.search(query.clone().limit(MAX_SEARCH_LIMIT)).await.unwrap();
                    prop_assert_eq!(&whole.events, &expected);
                    // More events (the index extends to them), then search again.
                    let late = event(&FakeClock::new(from));
                    sink.emit(late.clone()).await.unwrap();
                    emitted.push(late);
                }
                Ok(())
            })?;
        }
    }
}
