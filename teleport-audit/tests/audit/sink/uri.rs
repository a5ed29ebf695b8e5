//! The sinks `audit_events_uri` builds.

use std::sync::Arc;

use teleport_audit::sink::{sink_from_uris, AuditError, AuditSink, SearchQuery};
use teleport_core::config::FileConfig;
use teleport_core::{FakeClock, SharedClock};
use time::macros::datetime;

use super::support::{event_at, lines, open_file_sink, search_all, uids};

fn clock() -> SharedClock {
    Arc::new(FakeClock::default())
}

fn day() -> SearchQuery {
    SearchQuery::new(
        datetime!(2026-11-21 00:00 UTC),
        datetime!(2026-11-22 00:00 UTC),
    )
}

const DAY_FILE: &str = "2026-11-21.00:00:00.log";

#[tokio::test]
async fn no_uri_means_files_under_data_dir_log() {
    let data = tempfile::tempdir().unwrap();
    let sink = sink_from_uris(&[], data.path(), clock()).unwrap();
    let event = event_at(datetime!(2026-11-21 10:00 UTC), "joe");
    sink.emit(event.clone()).await.unwrap();
    assert_eq!(lines(&data.path().join("log").join(DAY_FILE)).len(), 1);
    assert_eq!(search_all(sink.as_ref(), day()).await, vec![event]);
    sink.close().await.unwrap();
}

#[tokio::test]
async fn file_uris_and_absolute_paths_are_honoured() {
    let data = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    for (uri, dir) in [
        (
            format!("file://{}/audit/events", elsewhere.path().display()),
            elsewhere.path().join("audit/events"),
        ),
        (
            format!("{}/plain", elsewhere.path().display()),
            elsewhere.path().join("plain"),
        ),
    ] {
        let sink = sink_from_uris(std::slice::from_ref(&uri), data.path(), clock()).unwrap();
        sink.emit(event_at(datetime!(2026-11-21 10:00 UTC), "joe"))
            .await
            .unwrap();
        sink.close().await.unwrap();
        assert_eq!(lines(&dir.join(DAY_FILE)).len(), 1, "{uri}");
    }
    assert!(!data.path().join("log").exists());
}

#[test]
fn backends_not_built_are_config_errors_naming_the_uri() {
    let data = tempfile::tempdir().unwrap();
    let file = format!("file://{}/events", data.path().display());
    for uri in [
        "dynamodb://events_table_name",
        "firestore://Example_TELEPORT_FIRESTORE_EVENTS_TABLE_NAME",
    ] {
        // Alone, or first in the manual's list: refused before any sink opens.
        for list in [
            vec![uri.to_string()],
            vec![uri.to_string(), file.clone(), "stdout://".into()],
        ] {
            let err = sink_from_uris(&list, data.path(), clock()).err().unwrap();
            assert!(matches!(err, AuditError::UnsupportedUri { .. }), "{err:?}");
            let scheme = uri.split("://").next().unwrap();
            assert_eq!(
                err.to_string(),
                format!("audit_events_uri entry {uri}: the {scheme} audit backend is not built into this release")
            );
        }
    }
    assert!(!data.path().join("events").exists());
    let err = sink_from_uris(&["mysql://x".into()], data.path(), clock())
        .err()
        .unwrap();
    assert!(matches!(err, AuditError::BadUri { .. }), "{err:?}");
    let twice = vec![file.clone(), format!("{file}/")];
    let err = sink_from_uris(&twice, data.path(), clock()).err().unwrap();
    assert!(
        err.to_string().contains("repeats an earlier entry"),
        "{err}"
    );
}

#[test]
fn the_manuals_list_from_teleport_yaml_names_the_first_entry_in_the_error() {
    let config = FileConfig::parse(
        "teleport:\n  storage:\n    audit_events_uri: ['dynamodb://events_table_name', 'file:///var/lib/teleport/audit/events', 'stdout://']\n",
        "teleport.yaml",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let err = sink_from_uris(config.audit_events_uri(), data.path(), clock())
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("dynamodb://events_table_name"),
        "{err}"
    );
}

#[tokio::test]
async fn a_list_fans_out_and_the_first_answers_searches() {
    let data = tempfile::tempdir().unwrap();
    let first = data.path().join("first");
    let second = data.path().join("second");
    // The second sink holds an event the first does not: searches must not show it.
    let only_second = event_at(datetime!(2026-11-21 09:00 UTC), "only-second");
    {
        let sink = open_file_sink(&second);
        sink.emit(only_second.clone()).await.unwrap();
        sink.close().await.unwrap();
    }
    let uris = vec![
        format!("file://{}", first.display()),
        format!("file://{}", second.display()),
    ];
    let sink = sink_from_uris(&uris, data.path(), clock()).unwrap();
    let events: Vec<_> = (0..3)
        .map(|n| event_at(datetime!(2026-11-21 10:00 UTC), &format!("u{n}")))
        .collect();
    for event in &events {
        sink.emit(event.clone()).await.unwrap();
    }
    assert_eq!(search_all(sink.as_ref(), day()).await, events);
    sink.close().await.unwrap();
    // Both got every event.
    assert_eq!(lines(&first.join(DAY_FILE)).len(), 3);
    let reopened = open_file_sink(&second);
    let mut in_second = vec![only_second];
    in_second.extend(events);
    assert_eq!(uids(&search_all(&reopened, day()).await), uids(&in_second));
}

#[tokio::test]
async fn stdout_cannot_answer_searches_but_can_follow_a_file() {
    let data = tempfile::tempdir().unwrap();
    let stdout = sink_from_uris(&["stdout://".into()], data.path(), clock()).unwrap();
    let err = stdout.search(day()).await.unwrap_err();
    assert!(
        matches!(err, AuditError::SearchUnsupported { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("stdout://"), "{err}");

    let file_then_stdout = vec![
        format!("file://{}/events", data.path().display()),
        "stdout://".to_string(),
    ];
    let sink = sink_from_uris(&file_then_stdout, data.path(), clock()).unwrap();
    assert!(search_all(sink.as_ref(), day()).await.is_empty());
    sink.close().await.unwrap();
}
