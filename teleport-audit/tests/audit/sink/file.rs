//! The file sink: where events land, with what modes, how searches filter them.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use teleport_audit::sink::{AuditError, AuditSink, Cursor, FileSink, Order, SearchQuery};
use teleport_audit::AuditEvent;
use teleport_core::FakeClock;
use time::macros::datetime;

use super::support::{event_at, lines, open_file_sink, search_all, uids};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn directory_is_0750_and_files_0640() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("teleport").join("log");
    let sink = open_file_sink(&dir);
    sink.emit(event_at(datetime!(2026-11-21 10:00 UTC), "joe"))
        .await
        .unwrap();
    sink.close().await.unwrap();
    assert_eq!(mode(&dir), 0o750);
    assert_eq!(mode(&dir.join("2026-11-21.00:00:00.log")), 0o640);
    assert_eq!(mode(&dir.join("teleport.lock")), 0o640);
}

#[tokio::test]
async fn events_are_durable_in_the_file_of_their_utc_day() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::new(datetime!(2026-11-21 23:59:59 UTC));
    let sink = FileSink::open(dir.path(), Arc::new(clock.clone())).unwrap();
    let before = AuditEvent::new(start_payload(), "example.com", &clock);
    sink.emit(before.clone()).await.unwrap();
    clock.advance(Duration::from_secs(2));
    let after = AuditEvent::new(start_payload(), "example.com", &clock);
    sink.emit(after.clone()).await.unwrap();
    // An event stamped in another offset goes by its UTC day: 01:00+02:00 is 23:00Z the
    // day before.
    let mut offset = event_at(datetime!(2026-11-21 23:00 UTC), "eve");
    offset.common.time = datetime!(2026-11-22 01:00 +02:00);
    sink.emit(offset.clone()).await.unwrap();

    // Each emit returned after its line was on disk: read the files directly.
    let first = lines(&dir.path().join("2026-11-21.00:00:00.log"));
    let second = lines(&dir.path().join("2026-11-22.00:00:00.log"));
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 1);
    let read = |line: &str| serde_json::from_str::<AuditEvent>(line).unwrap();
    assert_eq!(read(&first[0]), before);
    assert_eq!(read(&first[1]), offset);
    assert_eq!(read(&second[0]), after);

    // A search spans both files, in file order.
    let both_days = SearchQuery::new(
        datetime!(2026-11-21 00:00 UTC),
        datetime!(2026-11-23 00:00 UTC),
    );
    let oldest_first = vec![before.clone(), offset.clone(), after.clone()];
    assert_eq!(search_all(&sink, both_days.clone()).await, oldest_first);
    let mut newest_first = oldest_first.clone();
    newest_first.reverse();
    let newest = both_days.clone().order(Order::NewestFirst);
    assert_eq!(search_all(&sink, newest.clone()).await, newest_first);

    // And so does a new sink on the same directory.
    sink.close().await.unwrap();
    drop(sink);
    let reopened = open_file_sink(dir.path());
    assert_eq!(search_all(&reopened, both_days).await, oldest_first);
    assert_eq!(search_all(&reopened, newest).await, newest_first);
}

fn start_payload() -> teleport_audit::EventPayload {
    teleport_audit::EventPayload::SessionStart(Default::default())
}

#[tokio::test]
async fn searches_filter_by_time_type_and_limit_in_both_orders() {
    let dir = tempfile::tempdir().unwrap();
    let sink = open_file_sink(dir.path());
    let times = [
        datetime!(2026-11-20 12:00 UTC),
        datetime!(2026-11-21 00:00 UTC),
        datetime!(2026-11-21 08:00 UTC),
        datetime!(2026-11-21 16:00 UTC),
        datetime!(2026-11-22 00:00 UTC),
        datetime!(2026-11-22 09:30 UTC),
    ];
    let mut events = Vec::new();
    for (n, time) in times.iter().enumerate() {
        let event = event_at(*time, &format!("user{n}"));
        sink.emit(event.clone()).await.unwrap();
        events.push(event);
    }
    // [from, to): the event at `from` is in, the one at `to` is out.
    let day = SearchQuery::new(
        datetime!(2026-11-21 00:00 UTC),
        datetime!(2026-11-22 00:00 UTC),
    );
    assert_eq!(search_all(&sink, day.clone()).await, events[1..4].to_vec());
    let mut reversed = events[1..4].to_vec();
    reversed.reverse();
    assert_eq!(
        search_all(&sink, day.clone().order(Order::NewestFirst)).await,
        reversed
    );
    // A range inside a day, and one across days.
    let inside = SearchQuery::new(
        datetime!(2026-11-21 00:00:01 UTC),
        datetime!(2026-11-21 16:00:00.000000001 UTC),
    );
    assert_eq!(search_all(&sink, inside).await, events[2..4].to_vec());
    let across = SearchQuery::new(
        datetime!(2026-11-20 12:00 UTC),
        datetime!(2026-11-22 09:30 UTC),
    );
    assert_eq!(
        search_all(&sink, across.clone()).await,
        events[..5].to_vec()
    );
    let empty = SearchQuery::new(
        datetime!(2026-11-21 08:00 UTC),
        datetime!(2026-11-21 08:00 UTC),
    );
    assert!(search_all(&sink, empty).await.is_empty());

    // Types: the wanted one, one that is absent, a list holding it.
    let typed = across.clone().event_types(["session.start"]);
    assert_eq!(search_all(&sink, typed).await, events[..5].to_vec());
    let absent = across.clone().event_types(["session.end"]);
    assert!(search_all(&sink, absent).await.is_empty());
    let listed = across.clone().event_types(["user.login", "session.start"]);
    assert_eq!(search_all(&sink, listed).await.len(), 5);

    // Limits: full pages carry a cursor, the last short page none.
    for order in [Order::OldestFirst, Order::NewestFirst] {
        let query = across.clone().order(order).limit(2);
        let page = sink.search(query.clone()).await.unwrap();
        assert_eq!(page.events.len(), 2);
        let expected_first = match order {
            Order::OldestFirst => &events[0],
            Order::NewestFirst => &events[4],
        };
        assert_eq!(&page.events[0], expected_first);
        let page2 = sink
            .search(query.clone().start_after(page.next.unwrap()))
            .await
            .unwrap();
        assert_eq!(page2.events.len(), 2);
        let page3 = sink
            .search(query.start_after(page2.next.unwrap()))
            .await
            .unwrap();
        assert_eq!(page3.events.len(), 1);
        assert_eq!(page3.next, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_emitters_each_land_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(open_file_sink(dir.path()));
    let tasks: Vec<_> = (0..64)
        .map(|task| {
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                let mut emitted = Vec::new();
                for n in 0..40 {
                    let event = event_at(datetime!(2026-11-21 12:00 UTC), &format!("{task}-{n}"));
                    emitted.push(event.uid().to_string());
                    sink.emit(event).await.unwrap();
                }
                emitted
            })
        })
        .collect();
    let mut emitted = Vec::new();
    for task in tasks {
        emitted.extend(task.await.unwrap());
    }
    let day = SearchQuery::new(
        datetime!(2026-11-21 00:00 UTC),
        datetime!(2026-11-22 00:00 UTC),
    )
    .limit(1000);
    let mut found = uids(&search_all(sink.as_ref(), day).await);
    assert_eq!(found.len(), 64 * 40);
    found.sort();
    emitted.sort();
    assert_eq!(found, emitted);
    assert_eq!(
        lines(&dir.path().join("2026-11-21.00:00:00.log")).len(),
        64 * 40
    );
}

#[tokio::test]
async fn a_late_event_goes_to_its_own_days_file() {
    let dir = tempfile::tempdir().unwrap();
    let sink = open_file_sink(dir.path());
    let today = event_at(datetime!(2026-11-22 00:00:01 UTC), "today");
    let late = event_at(datetime!(2026-11-21 23:59:59 UTC), "late");
    sink.emit(today.clone()).await.unwrap();
    sink.emit(late.clone()).await.unwrap();
    assert_eq!(lines(&dir.path().join("2026-11-21.00:00:00.log")).len(), 1);
    // Order is by day file, then by line.
    let both = SearchQuery::new(
        datetime!(2026-11-21 00:00 UTC),
        datetime!(2026-11-23 00:00 UTC),
    );
    assert_eq!(search_all(&sink, both).await, vec![late, today]);
}

#[tokio::test]
async fn lines_that_are_not_events_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("2026-11-21.00:00:00.log");
    let good: Vec<AuditEvent> = (0..3)
        .map(|n| event_at(datetime!(2026-11-21 10:00 UTC), &format!("u{n}")))
        .collect();
    let mut text = String::new();
    text += &serde_json::to_string(&good[0]).unwrap();
    text += "\nthis is not json\n{\"event\":\"session.start\"}\n";
    text += &serde_json::to_string(&good[1]).unwrap();
    text += "\n";
    text += &serde_json::to_string(&good[2]).unwrap();
    text += "\n";
    std::fs::write(&path, text).unwrap();
    let sink = open_file_sink(dir.path());
    let day = SearchQuery::new(
        datetime!(2026-11-21 00:00 UTC),
        datetime!(2026-11-22 00:00 UTC),
    );
    for limit in [1, 2, 100] {
        let query = day.clone().limit(limit);
        assert_eq!(search_all(&sink, query.clone()).await, good);
        let mut reversed = good.clone();
        reversed.reverse();
        assert_eq!(
            search_all(&sink, query.order(Order::NewestFirst)).await,
            reversed
        );
    }
}

#[tokio::test]
async fn cursors_from_elsewhere_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sink = open_file_sink(dir.path());
    for n in 0..3 {
        sink.emit(event_at(datetime!(2026-11-21 10:00 UTC), &format!("u{n}")))
            .await
            .unwrap();
    }
    let day = SearchQuery::new(
        datetime!(2026-11-21 00:00 UTC),
        datetime!(2026-11-22 00:00 UTC),
    );
    for bad in [
        "",
        "garbage",
        "f1:2026-11-21:5",
        "f1:2026-11-21:999999",
        "f1:2026-11-21",
    ] {
        let err = sink
            .search(day.clone().start_after(Cursor::new(bad)))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AuditError::BadCursor { .. }),
            "{bad}: {err:?}"
        );
        assert!(err.to_string().contains(bad), "{err}");
    }
    let err = sink.search(day.clone().limit(0)).await.unwrap_err();
    assert!(matches!(err, AuditError::BadQuery { .. }), "{err:?}");
    // A cursor from a day with no file is a position all the same.
    let page = sink
        .search(day.start_after(Cursor::new("f1:2026-11-20:0")))
        .await
        .unwrap();
    assert_eq!(page.events.len(), 3);
}
