//! Session recorder throughput: recording output to files (plain and gzip), from one
//! session and from 16 at once, and reading a recording back through the player.
//!
//! Run with `cargo bench -p benches --bench recorder`. Every figure is output bytes per
//! second (criterion's `MiB/s`, counted before compression). Before the criterion cases,
//! the run records and replays a 1 GiB session in each form and prints the time and the
//! process's peak resident set (the bound: < 32 MiB for 1 GiB).
//!
//! Recordings live under Cargo's target tmp dir (a real disk, not tmpfs) and are deleted
//! after each iteration, outside the timed part. "no fsync" cases leave the data in the
//! page cache, which is what the recorder itself costs; the "fsync on close" case adds
//! `fdatasync` of both files when the recording closes, as `FileRecorder` does by default.

// A benchmark stops on the first recorder error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use teleport_audit::recording::{
    FileRecorder, Format, FrameKind, PlaybackOptions, Player, RecordingMetadata, RecordingReader,
    SessionRecorder,
};
use tokio::runtime::Runtime;

const KIB: usize = 1024;
const MIB: u64 = 1024 * 1024;
/// Output bytes per recording in the criterion cases.
const RECORDING_BYTES: u64 = 64 * MIB;
/// Concurrent sessions in the "16 sessions" case (each records a 16th of the bytes).
const SESSIONS: usize = 16;
/// The size of the recording whose memory is reported.
const BIG_BYTES: u64 = 1024 * MIB;

/// A fresh session id for every recording (recordings are never overwritten).
fn next_sid() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("bench-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn meta(sid: &str) -> RecordingMetadata {
    RecordingMetadata {
        sid: sid.to_string(),
        user: "bench".into(),
        login: "root".into(),
        ..RecordingMetadata::default()
    }
}

/// `len` bytes of terminal-like text (an `ls -l` listing), compressible like real output.
fn terminal_output(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 128);
    let mut n = 0u64;
    while out.len() < len {
        let line = format!(
            "-rw-r----- 1 root adm {:>9} Feb  4 00:{:02} session-{:08x}-{:04}.log\r\n",
            n.wrapping_mul(7919) % 1_000_000_000,
            n % 60,
            n.wrapping_mul(2_654_435_761) as u32,
            n % 10_000
        );
        out.extend_from_slice(line.as_bytes());
        n += 1;
    }
    out.truncate(len);
    out
}

/// Records `total` bytes in `write`-byte outputs one millisecond apart as session `sid`,
/// and returns the time from open to closed.
async fn record(
    recorder: &FileRecorder,
    sid: &str,
    data: &[u8],
    write: usize,
    total: u64,
) -> Duration {
    let start = Instant::now();
    let mut recording = recorder.open(meta(sid)).await.unwrap();
    let mut written = 0u64;
    let mut n = 0u64;
    while written < total {
        let at = (n as usize * write) % (data.len() - write + 1);
        recording
            .write_output(Duration::from_millis(n), &data[at..at + write])
            .await
            .unwrap();
        written += write as u64;
        n += 1;
    }
    recording.close().await.unwrap();
    start.elapsed()
}

/// Reads the recording of `sid` through a 16x player; returns the bytes seen.
fn replay(dir: &Path, sid: &str) -> u64 {
    let reader = RecordingReader::open(dir, sid).unwrap();
    let options = PlaybackOptions {
        speed: 16.0,
        idle_cap: Some(Duration::from_secs(2)),
    };
    let mut bytes = 0;
    for frame in Player::new(reader, options).unwrap() {
        if let FrameKind::Output(output) = frame.unwrap().kind {
            bytes += output.len() as u64;
        }
    }
    bytes
}

fn remove(dir: &Path, sid: &str) {
    for suffix in [".session.log", ".session.bytes", ".events.gz", ".chunks.gz"] {
        let _ = std::fs::remove_file(dir.join(format!("{sid}{suffix}")));
    }
}

fn bench_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("recorder-bench-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A recording case: `label`, form, write size, whether close syncs.
struct Case {
    label: &'static str,
    format: Format,
    write: usize,
    sync: bool,
}

const CASES: [Case; 5] = [
    Case {
        label: "plain, 64 KiB writes, no fsync",
        format: Format::Plain,
        write: 64 * KIB,
        sync: false,
    },
    Case {
        label: "plain, 64 KiB writes, fsync on close",
        format: Format::Plain,
        write: 64 * KIB,
        sync: true,
    },
    Case {
        label: "plain, 4 KiB writes, no fsync",
        format: Format::Plain,
        write: 4 * KIB,
        sync: false,
    },
    Case {
        label: "gzip, 64 KiB writes, no fsync",
        format: Format::Gzip,
        write: 64 * KIB,
        sync: false,
    },
    Case {
        label: "gzip, 4 KiB writes, no fsync",
        format: Format::Gzip,
        write: 4 * KIB,
        sync: false,
    },
];

fn recorder_benches(c: &mut Criterion) {
    let rt = runtime();
    let dir = bench_dir();
    let data = terminal_output(4 * MIB as usize);

    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Bytes(RECORDING_BYTES));
    for case in &CASES {
        let recorder = FileRecorder::new(dir.path(), case.format).with_sync_on_close(case.sync);
        group.bench_function(BenchmarkId::from_parameter(case.label), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (recorder, data, dir) = (recorder.clone(), &data, dir.path());
                async move {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let sid = next_sid();
                        timed += record(&recorder, &sid, data, case.write, RECORDING_BYTES).await;
                        remove(dir, &sid);
                    }
                    timed
                }
            })
        });
    }
    let label = format!("plain, {SESSIONS} sessions at once, 4 KiB writes, no fsync");
    let recorder = FileRecorder::new(dir.path(), Format::Plain).with_sync_on_close(false);
    group.bench_function(BenchmarkId::from_parameter(label), |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (recorder, data, dir) = (recorder.clone(), data.clone(), dir.path().to_path_buf());
            async move {
                let data = std::sync::Arc::new(data);
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    let sids: Vec<String> = (0..SESSIONS).map(|_| next_sid()).collect();
                    let start = Instant::now();
                    let tasks: Vec<_> = sids
                        .iter()
                        .map(|sid| {
                            let (recorder, data, sid) =
                                (recorder.clone(), data.clone(), sid.clone());
                            tokio::spawn(async move {
                                let share = RECORDING_BYTES / SESSIONS as u64;
                                record(&recorder, &sid, &data, 4 * KIB, share).await
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                    timed += start.elapsed();
                    for sid in &sids {
                        remove(&dir, sid);
                    }
                }
                timed
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Bytes(RECORDING_BYTES));
    for (format, write) in [
        (Format::Plain, 64 * KIB),
        (Format::Plain, 4 * KIB),
        (Format::Gzip, 64 * KIB),
    ] {
        let sid = next_sid();
        let recorder = FileRecorder::new(dir.path(), format).with_sync_on_close(false);
        rt.block_on(record(&recorder, &sid, &data, write, RECORDING_BYTES));
        let label = format!("{format:?}, recorded in {} KiB writes", write / KIB);
        group.bench_function(BenchmarkId::from_parameter(label), |b| {
            b.iter(|| assert_eq!(replay(dir.path(), &sid), RECORDING_BYTES));
        });
        remove(dir.path(), &sid);
    }
    group.finish();
}

/// Records and replays a 1 GiB session in each form, printing times and the peak RSS.
fn memory_report() {
    let rt = runtime();
    let dir = bench_dir();
    let data = terminal_output(4 * MIB as usize);
    println!(
        "recorder memory: peak RSS before recording {} KiB",
        status_kib("VmHWM")
    );
    for format in [Format::Plain, Format::Gzip] {
        let sid = next_sid();
        let recorder = FileRecorder::new(dir.path(), format).with_sync_on_close(false);
        let took = rt.block_on(record(&recorder, &sid, &data, 64 * KIB, BIG_BYTES));
        let start = Instant::now();
        assert_eq!(replay(dir.path(), &sid), BIG_BYTES);
        let replayed = start.elapsed();
        let size: u64 = [".session.bytes", ".chunks.gz"]
            .iter()
            .filter_map(|suffix| std::fs::metadata(dir.path().join(format!("{sid}{suffix}"))).ok())
            .map(|meta| meta.len())
            .sum();
        println!(
            "recorder memory: 1 GiB {format:?} in 64 KiB writes: recorded in {:.2} s ({:.0} MiB/s), \
             replayed in {:.2} s ({:.0} MiB/s), bytes file {:.1} MiB; peak RSS so far {} KiB",
            took.as_secs_f64(),
            BIG_BYTES as f64 / MIB as f64 / took.as_secs_f64(),
            replayed.as_secs_f64(),
            BIG_BYTES as f64 / MIB as f64 / replayed.as_secs_f64(),
            size as f64 / MIB as f64,
            status_kib("VmHWM"),
        );
        remove(dir.path(), &sid);
    }
}

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let value = line.strip_prefix(field)?.strip_prefix(':')?;
                Some(value.trim().trim_end_matches("kB").trim().to_string())
            })
        })
        .unwrap_or_else(|| "?".into())
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

/// The criterion group (in a private module: its generated function has no doc).
mod group {
    criterion::criterion_group! {
        name = benches;
        config = super::config();
        targets = super::recorder_benches
    }
}

fn main() {
    // Only under `cargo bench` (which passes --bench), not when `cargo test --benches`
    // runs each case once.
    if std::env::args().any(|arg| arg == "--bench") {
        memory_report();
    }
    group::benches();
    Criterion::default().configure_from_args().final_summary();
}
