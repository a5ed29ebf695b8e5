//! `kill -9` in the middle of writing: every acknowledged event survives, and a torn last
//! line is set aside on the next open instead of breaking the log.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use teleport_audit::event::{ServerMetadata, SessionStart};
use teleport_audit::sink::{AuditSink, FileSink, SearchQuery};
use teleport_audit::{AuditEvent, EventPayload};
use teleport_core::SystemClock;
use teleport_testkit::child;
use time::macros::datetime;
use time::OffsetDateTime;

use super::support::{event_at, lines, open_file_sink, search_all, uids};

const EMITTER_DIR: &str = "TELEPORT_AUDIT_TEST_EMITTER_DIR";
const TEST: &str =
    "audit::sink::crash::acknowledged_events_survive_sigkill_and_no_torn_line_remains";
/// Acknowledgements the parent waits for before killing the emitter.
const ACKS: usize = 600;
/// Concurrent emitting tasks in the child, so that batches hold several events.
const EMITTERS: usize = 8;

#[test]
fn acknowledged_events_survive_sigkill_and_no_torn_line_remains() {
    if let Some(dir) = std::env::var_os(EMITTER_DIR) {
        emit_until_killed(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut child, out) = child::spawn(TEST, EMITTER_DIR, dir.path());
    let acked: Vec<String> = (0..ACKS).map(|_| out.wait_for("@ack ")).collect();
    child.kill().unwrap(); // SIGKILL: no destructor, no final write or sync.
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the emitter must have been killed, not finished"
    );

    // Before reopening: what the kill left (maybe a torn line).
    let torn_before: BTreeMap<String, bool> = day_files(dir.path())
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.path().join(&name)).unwrap();
            let torn = bytes.last().is_some_and(|b| *b != b'\n');
            (name, torn)
        })
        .collect();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sink = FileSink::open(dir.path(), Arc::new(SystemClock)).unwrap();
        let now = OffsetDateTime::now_utc();
        let all = SearchQuery::new(now - time::Duration::days(2), now + time::Duration::days(2))
            .limit(1000);
        let found = uids(&search_all(&sink, all).await);
        let found_set: std::collections::HashSet<&String> = found.iter().collect();
        assert_eq!(found_set.len(), found.len(), "an event was stored twice");
        for uid in &acked {
            assert!(found_set.contains(uid), "acknowledged event {uid} lost");
        }
        sink.close().await.unwrap();
    });
    // No torn line remains: every day file ends with a newline and every line is an
    // event; anything torn went to a side file.
    for (name, torn) in &torn_before {
        let path = dir.path().join(name);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            bytes.last(),
            Some(&b'\n'),
            "{name} still ends in a torn line"
        );
        for line in lines(&path) {
            serde_json::from_str::<AuditEvent>(&line).unwrap_or_else(|e| {
                panic!("{name} holds a line that is not an event ({e}): {line:.80}")
            });
        }
        let sides = side_files(dir.path(), name);
        assert_eq!(
            !sides.is_empty(),
            *torn,
            "{name}: torn before reopening: {torn}, side files: {sides:?}"
        );
        if *torn {
            eprintln!("the kill tore the last line of {name}; it was set aside in {sides:?}");
        }
    }
}

/// The child: `EMITTERS` tasks emit events of 1-64 KiB forever (large events make a kill
/// in the middle of a write likely), printing `@ack <uid>` after each emit returns. It
/// stops when stdout closes (the parent is gone) or after a minute.
fn emit_until_killed(dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sink = Arc::new(FileSink::open(dir, Arc::new(SystemClock)).unwrap());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let tasks: Vec<_> = (0..EMITTERS)
            .map(|task| {
                let sink = Arc::clone(&sink);
                tokio::spawn(async move {
                    for n in 0usize.. {
                        if tokio::time::Instant::now() > deadline {
                            return;
                        }
                        let size = 1024 + (n * 7919 + task * 104_729) % (64 * 1024);
                        let event = AuditEvent::new(
                            EventPayload::SessionStart(SessionStart {
                                server: ServerMetadata {
                                    server_labels: [("padding".to_string(), "x".repeat(size))]
                                        .into_iter()
                                        .collect(),
                                    ..ServerMetadata::default()
                                },
                                ..SessionStart::default()
                            }),
                            "example.com",
                            &SystemClock,
                        );
                        let uid = event.uid().to_string();
                        sink.emit(event).await.unwrap();
                        let mut out = std::io::stdout().lock();
                        if writeln!(out, "@ack {uid}")
                            .and_then(|()| out.flush())
                            .is_err()
                        {
                            return;
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}

fn day_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".00:00:00.log"))
        .collect();
    names.sort();
    names
}

fn side_files(dir: &Path, day_file: &str) -> Vec<String> {
    let prefix = format!("{day_file}.torn-");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_torn_last_line_is_set_aside_and_search_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("2026-11-21.00:00:00.log");
    let day = SearchQuery::new(
        datetime!(2026-11-21 00:00 UTC),
        datetime!(2026-11-22 00:00 UTC),
    );
    let sink = open_file_sink(dir.path());
    let mut stored = Vec::new();
    for n in 0..3 {
        let event = event_at(datetime!(2026-11-21 10:00 UTC), &format!("u{n}"));
        sink.emit(event.clone()).await.unwrap();
        stored.push(event);
    }
    sink.close().await.unwrap();
    drop(sink);
    let clean = std::fs::read(&path).unwrap();

    // What a kill in the middle of a write leaves: the first half of a line.
    let unacked = serde_json::to_vec(&event_at(datetime!(2026-11-21 11:00 UTC), "torn")).unwrap();
    let half = &unacked[..unacked.len() / 2];
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(half)
        .unwrap();

    // A search of a sink that does not own the file yet already ignores the fragment...
    let sink = open_file_sink(dir.path());
    // ...because opening set it aside: the day file is as it was, the fragment kept
    // beside it (named after the fake clock's time).
    assert_eq!(std::fs::read(&path).unwrap(), clean);
    let side = dir
        .path()
        .join("2026-11-21.00:00:00.log.torn-20210101T000000Z");
    assert_eq!(std::fs::read(&side).unwrap(), half);
    assert_eq!(search_all(&sink, day.clone()).await, stored);

    // The next event starts on a line of its own.
    let next = event_at(datetime!(2026-11-21 12:00 UTC), "next");
    sink.emit(next.clone()).await.unwrap();
    stored.push(next);
    assert_eq!(search_all(&sink, day.clone()).await, stored);
    assert_eq!(lines(&path).len(), 4);
}

#[tokio::test]
async fn a_foreign_file_with_a_torn_tail_never_breaks_search() {
    let dir = tempfile::tempdir().unwrap();
    let sink = open_file_sink(dir.path());
    // A day file copied in while the sink runs (so the sink has not checked it), ending
    // in a torn line.
    let copied: Vec<AuditEvent> = (0..3)
        .map(|n| event_at(datetime!(2026-11-19 10:00 UTC), &format!("c{n}")))
        .collect();
    let mut bytes = Vec::new();
    for event in &copied {
        bytes.extend(serde_json::to_vec(event).unwrap());
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(b"{\"ei\":0,\"uid\":\"to");
    std::fs::write(dir.path().join("2026-11-19.00:00:00.log"), bytes).unwrap();
    let day = SearchQuery::new(
        datetime!(2026-11-19 00:00 UTC),
        datetime!(2026-11-20 00:00 UTC),
    );
    for limit in [1, 2, 10] {
        assert_eq!(search_all(&sink, day.clone().limit(limit)).await, copied);
        let mut reversed = copied.clone();
        reversed.reverse();
        let newest = day
            .clone()
            .limit(limit)
            .order(teleport_audit::sink::Order::NewestFirst);
        assert_eq!(search_all(&sink, newest).await, reversed);
    }
}
