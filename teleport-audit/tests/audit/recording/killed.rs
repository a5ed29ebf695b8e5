//! A recorder killed with SIGKILL mid-session leaves recordings that read back without
//! error: a prefix of what was recorded, up to the last output that reached the files.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use teleport_audit::recording::{
    FileRecorder, Format, RecordedItem, RecordingReader, SessionRecorder,
};

use super::support::{meta, noise};
use teleport_testkit::child;

const CHILD_DIR: &str = "TELEPORT_AUDIT_TEST_RECORDING_KILLED_DIR";
const TEST: &str =
    "audit::recording::killed::a_recorder_killed_mid_session_leaves_a_readable_prefix";
const WRITE: usize = 4096;
/// Writes the parent waits for (in each recording) before killing the child.
const WRITES_BEFORE_KILL: u64 = 2048;

#[test]
fn a_recorder_killed_mid_session_leaves_a_readable_prefix() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        record_until_killed(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut recorder, lines) = child::spawn(TEST, CHILD_DIR, dir.path());
    // Wait until both recordings have taken this many writes.
    let mut counts = std::collections::HashMap::new();
    while counts.len() < 2 || counts.values().any(|&count| count < WRITES_BEFORE_KILL) {
        let wrote = lines.wait_for("@wrote ");
        let (format, count) = wrote.split_once(' ').unwrap();
        counts.insert(format.to_string(), count.parse::<u64>().unwrap());
    }
    recorder.kill().unwrap(); // SIGKILL: no destructor, no final flush.
    assert!(!recorder.wait().unwrap().success());

    for (seed, format) in [(1, Format::Plain), (2, Format::Gzip)] {
        let sid = format!("killed-{format:?}");
        let reader = RecordingReader::open(dir.path(), &sid).unwrap();
        assert_eq!(reader.metadata(), Some(&meta(&sid)));
        let mut writes = 0;
        let mut last_short = false;
        for item in reader {
            let item = item.unwrap_or_else(|err| panic!("{format:?}: {err}"));
            let RecordedItem::Output { at, bytes } = item else {
                continue;
            };
            assert!(!last_short, "{format:?}: output after a short one");
            assert_eq!(at, Duration::from_millis(writes), "{format:?}");
            let want = noise(seed, writes, WRITE);
            // Only the very last output may be cut short.
            assert!(
                want.starts_with(&bytes),
                "{format:?}: write {writes} differs"
            );
            last_short = bytes.len() < WRITE;
            writes += 1;
        }
        eprintln!("{format:?}: {writes} writes survived the kill");
        // The parent saw this many writes return; all but the last buffers' worth (256
        // KiB, 64 writes, and one more batch in flight) had been handed to the files.
        assert!(
            writes >= WRITES_BEFORE_KILL - 128,
            "{format:?}: {writes} writes survived"
        );
    }
}

/// The child: records a plain and a gzip session at once, 4 KiB every (session)
/// millisecond, printing `@wrote <format> <count>` every 256 writes. It stops when stdout
/// closes (the parent is gone) or after a minute, so a failed parent leaves no child.
fn record_until_killed(dir: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let tasks: Vec<_> = [(1, Format::Plain), (2, Format::Gzip)]
            .into_iter()
            .map(|(seed, format)| {
                let recorder = FileRecorder::new(dir, format);
                tokio::spawn(async move {
                    let sid = format!("killed-{format:?}");
                    let mut recording = recorder.open(meta(&sid)).await.unwrap();
                    for n in 0.. {
                        if tokio::time::Instant::now() > deadline {
                            return;
                        }
                        let chunk = noise(seed, n, WRITE);
                        recording
                            .write_output(Duration::from_millis(n), &chunk)
                            .await
                            .unwrap();
                        if (n + 1) % 256 == 0 {
                            let mut out = std::io::stdout().lock();
                            if writeln!(out, "@wrote {format:?} {}", n + 1)
                                .and_then(|_| out.flush())
                                .is_err()
                            {
                                return;
                            }
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
