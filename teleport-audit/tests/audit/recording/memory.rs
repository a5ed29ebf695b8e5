//! Recording and replaying a long session keeps memory bounded: measured in a child
//! process (a re-run of this test binary) that records, reads back and replays a large
//! session and reports its peak resident set (`VmHWM`).

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use teleport_audit::recording::{
    FileRecorder, Format, FrameKind, PlaybackOptions, Player, RecordingReader, SessionRecorder,
};

use super::support::meta;
use teleport_testkit::child;

const CHILD_DIR: &str = "TELEPORT_AUDIT_TEST_RECORDING_MEMORY_DIR";
const TEST: &str = "audit::recording::memory::recording_a_large_session_keeps_memory_bounded";
/// The plain recording's size: the 1 GiB (about 5 s in an unoptimized build,
/// most of it the kernel copying to the page cache).
const PLAIN_BYTES: u64 = 1 << 30;
/// The gzip recording's size, smaller because compression is slow in an unoptimized
/// build; the recorder benchmark records 1 GiB gzip and prints its peak RSS.
const GZIP_BYTES: u64 = 32 << 20;
const WRITE: usize = 64 << 10;
/// The bound.
const LIMIT_KIB: u64 = 32 << 10;

#[test]
fn recording_a_large_session_keeps_memory_bounded() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        record_and_replay(Path::new(&dir));
        return;
    }
    // Under target/ (a real disk), not /tmp, which may be a small tmpfs.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let (mut recorder, lines) = child::spawn(TEST, CHILD_DIR, dir.path());
    let before = lines.wait_for("@rss-before-kib ").parse::<u64>().unwrap();
    let peak = lines.wait_for("@peak-rss-kib ").parse::<u64>().unwrap();
    assert!(recorder.wait().unwrap().success());
    eprintln!("peak RSS {peak} KiB ({before} KiB before recording)");
    assert!(
        peak < LIMIT_KIB,
        "recording {PLAIN_BYTES} bytes peaked at {peak} KiB resident (limit {LIMIT_KIB} KiB)"
    );
}

/// The child: records a plain and a gzip session in 64 KiB writes one millisecond apart,
/// reads each back through a 16x player checking every byte, and prints its peak RSS.
fn record_and_replay(dir: &Path) {
    report("@rss-before-kib", "VmRSS");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    for (format, size) in [(Format::Plain, PLAIN_BYTES), (Format::Gzip, GZIP_BYTES)] {
        let sid = format!("big-{format:?}");
        let writes = size / WRITE as u64;
        let mut chunk = vec![b'x'; WRITE];
        runtime.block_on(async {
            // Memory, not durability, is measured: skip the final fsync to stay quick.
            let recorder = FileRecorder::new(dir, format).with_sync_on_close(false);
            let mut recording = recorder.open(meta(&sid)).await.unwrap();
            for n in 0..writes {
                stamp(&mut chunk, n);
                recording
                    .write_output(Duration::from_millis(n), &chunk)
                    .await
                    .unwrap();
            }
            let summary = recording.close().await.unwrap();
            assert_eq!(summary.bytes, size);
        });

        let reader = RecordingReader::open(dir, &sid).unwrap();
        let options = PlaybackOptions {
            speed: 16.0,
            idle_cap: None,
        };
        let mut n = 0;
        for frame in Player::new(reader, options).unwrap() {
            let frame = frame.unwrap();
            let FrameKind::Output(bytes) = frame.kind else {
                panic!("unexpected {frame:?}");
            };
            stamp(&mut chunk, n);
            assert!(bytes == chunk, "{format:?} write {n} read back wrong");
            let want_delay = if n == 0 {
                Duration::ZERO
            } else {
                Duration::from_nanos(62_500)
            };
            assert_eq!(frame.delay, want_delay);
            n += 1;
        }
        assert_eq!(n, writes, "{format:?}");
    }
    report("@peak-rss-kib", "VmHWM");
}

/// Marks `chunk` as write number `n`.
fn stamp(chunk: &mut [u8], n: u64) {
    chunk[..8].copy_from_slice(&n.to_le_bytes());
    chunk[WRITE - 8..].copy_from_slice(&n.to_be_bytes());
}

/// Prints `marker` and the `field` of /proc/self/status, in KiB.
fn report(marker: &str, field: &str) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .unwrap()
        .trim()
        .to_string();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{marker} {kib}").unwrap();
    out.flush().unwrap();
}
