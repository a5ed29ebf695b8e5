//! An acknowledged sled write survives the writer being killed with SIGKILL right after.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use teleport_backend::{Backend, Item, KeyRange, SledBackend, NO_LIMIT};
use teleport_core::SystemClock;

use teleport_testkit::child;

const WRITER_DIR: &str = "TELEPORT_BACKEND_TEST_WRITER_DIR";
const TEST: &str = "durability::acknowledged_sled_writes_survive_sigkill";
/// How many acknowledged writes the parent waits for before killing the writer.
const ACKS: usize = 400;
/// Concurrent writers in the child, so acknowledgements come from shared flushes.
const WRITERS: usize = 8;

#[test]
fn acknowledged_sled_writes_survive_sigkill() {
    if let Some(dir) = std::env::var_os(WRITER_DIR) {
        write_until_killed(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backend");
    let (mut writer, lines) = child::spawn(TEST, WRITER_DIR, &path);
    let mut acked = Vec::with_capacity(ACKS);
    while acked.len() < ACKS {
        let ack = lines.wait_for("@ack ");
        let (key, revision) = ack.split_once(' ').unwrap();
        acked.push((key.to_string(), revision.parse::<u64>().unwrap()));
    }
    writer.kill().unwrap(); // SIGKILL: no destructor, no final flush.
    let status = writer.wait().unwrap();
    assert!(
        !status.success(),
        "the writer must have been killed, not finished"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let backend = SledBackend::open(&path, Arc::new(SystemClock)).unwrap();
        for (key, revision) in &acked {
            let item = backend
                .get(key.as_bytes())
                .await
                .unwrap_or_else(|err| panic!("acknowledged write {key} lost: {err}"));
            assert_eq!(item.value, key.as_bytes());
            assert_eq!(item.revision, *revision, "{key}");
        }
        let stored = backend
            .get_range(KeyRange::prefix("/acked/"), NO_LIMIT)
            .await
            .unwrap();
        assert!(
            stored.len() >= ACKS,
            "{} stored of {ACKS} acknowledged",
            stored.len()
        );
        let highest = stored.iter().map(|item| item.revision).max().unwrap();
        let next = backend.put(Item::new("/after-restart", "x")).await.unwrap();
        assert!(
            next > highest,
            "revision {next} reused after restart (had {highest})"
        );
    });
}

/// The child: `WRITERS` tasks put distinct keys forever, printing `@ack <key> <revision>`
/// after each put returns. It stops when stdout closes (the parent is gone) or after a
/// minute, so a failed parent leaves no writer behind.
fn write_until_killed(dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let backend = Arc::new(SledBackend::open(dir, Arc::new(SystemClock)).unwrap());
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let backend = Arc::clone(&backend);
                tokio::spawn(async move {
                    for n in 0.. {
                        if tokio::time::Instant::now() > deadline {
                            return;
                        }
                        let key = format!("/acked/{writer}/{n:08}");
                        let revision = backend
                            .put(Item::new(key.clone(), key.clone()))
                            .await
                            .unwrap();
                        let mut out = std::io::stdout().lock();
                        if writeln!(out, "@ack {key} {revision}")
                            .and_then(|_| out.flush())
                            .is_err()
                        {
                            return;
                        }
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
    });
}
