//! Many sessions recorded at once: each recording holds exactly its own bytes.

use std::time::Duration;

use teleport_audit::recording::{FileRecorder, Format, RecordedItem, SessionRecorder};

use super::support::{meta, noise, read_all};

const SESSIONS: u64 = 50;
const WRITES: u64 = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_recordings_each_read_back_their_own_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let tasks: Vec<_> = (0..SESSIONS)
        .map(|session| {
            let format = if session % 2 == 0 {
                Format::Plain
            } else {
                Format::Gzip
            };
            // Small buffers, so that every session goes through many flushes.
            let recorder = FileRecorder::new(dir.path(), format).with_buffer_size(8 * 1024);
            tokio::spawn(async move {
                let sid = format!("session-{session:02}");
                let mut recording = recorder.open(meta(&sid)).await.unwrap();
                for n in 0..WRITES {
                    let chunk = noise(session, n, 1000 + (n as usize * 97) % 3000);
                    recording
                        .write_output(Duration::from_millis(n * 10), &chunk)
                        .await
                        .unwrap();
                    if n % 8 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                recording.close().await.unwrap()
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }

    for session in 0..SESSIONS {
        let sid = format!("session-{session:02}");
        let items = read_all(dir.path(), &sid);
        let outputs: Vec<(Duration, Vec<u8>)> = items
            .into_iter()
            .filter_map(|item| match item {
                RecordedItem::Output { at, bytes } => Some((at, bytes)),
                _ => None,
            })
            .collect();
        let want: Vec<(Duration, Vec<u8>)> = (0..WRITES)
            .map(|n| {
                let chunk = noise(session, n, 1000 + (n as usize * 97) % 3000);
                (Duration::from_millis(n * 10), chunk)
            })
            .collect();
        assert!(outputs == want, "session {session} read back other bytes");
    }
}
