//! A recording written and read back: the same bytes, resizes and events, in order.

use std::time::Duration;

use teleport_audit::recording::{
    write_json, write_text, FileRecorder, Format, RecordedItem, RecordingReader, SessionRecorder,
    MAX_CHUNK,
};

use super::support::{all_output, meta, noise, output_of, read_all, record, script, Step, SID};

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

#[tokio::test]
async fn a_recording_reads_back_in_order_in_both_forms() {
    for format in Format::ALL {
        let dir = tempfile::tempdir().unwrap();
        let steps = script();
        let summary = record(dir.path(), format, SID, &steps).await;
        assert_eq!(summary.format, format);
        assert_eq!(summary.bytes, all_output(&steps).len() as u64);
        assert_eq!(summary.duration, ms(62_116));
        // session.start, then one line per step.
        assert_eq!(summary.events, 1 + steps.len() as u64);

        let items = read_all(dir.path(), SID);
        assert_eq!(items.len(), 1 + steps.len(), "{format:?}: {items:#?}");
        let RecordedItem::Event { at, event } = &items[0] else {
            panic!(
                "{format:?}: first item is not session.start: {:?}",
                items[0]
            );
        };
        assert_eq!(*at, Duration::ZERO);
        assert_eq!(event["event"], "session.start");
        assert_eq!(event["sid"], SID);
        for (step, item) in steps.iter().zip(&items[1..]) {
            match (step, item) {
                (Step::Output(want_ms, want), RecordedItem::Output { at, bytes }) => {
                    assert_eq!((*at, bytes), (ms(*want_ms), want), "{format:?}");
                }
                (Step::Resize(want_ms, c, r), RecordedItem::Resize { at, cols, rows }) => {
                    assert_eq!((*at, *cols, *rows), (ms(*want_ms), *c, *r), "{format:?}");
                }
                (Step::Join(want_ms, user), RecordedItem::Event { at, event }) => {
                    assert_eq!(*at, ms(*want_ms));
                    assert_eq!(event["event"], "session.join");
                    assert_eq!(event["user"], *user);
                }
                (Step::Leave(want_ms, user), RecordedItem::Event { at, event }) => {
                    assert_eq!(*at, ms(*want_ms));
                    assert_eq!(event["event"], "session.leave");
                    assert_eq!(event["user"], *user);
                }
                (step, item) => panic!("{format:?}: {step:?} read back as {item:?}"),
            }
        }
        assert_eq!(output_of(&items), all_output(&steps), "{format:?}");
    }
}

#[tokio::test]
async fn the_reader_knows_who_recorded_what_from_the_first_line() {
    for format in Format::ALL {
        let dir = tempfile::tempdir().unwrap();
        record(dir.path(), format, SID, &script()).await;
        let reader = RecordingReader::open(dir.path(), SID).unwrap();
        assert_eq!(reader.format(), format);
        assert_eq!(reader.sid(), SID);
        assert_eq!(reader.metadata(), Some(&meta(SID)));
    }
}

#[tokio::test]
async fn offsets_that_go_backwards_are_clamped() {
    let dir = tempfile::tempdir().unwrap();
    let steps = [
        Step::Output(500, b"a".to_vec()),
        Step::Output(200, b"b".to_vec()), // a clock step back
        Step::Resize(100, 100, 30),
        Step::Output(700, b"c".to_vec()),
    ];
    let summary = record(dir.path(), Format::Plain, SID, &steps).await;
    assert_eq!(summary.duration, ms(700));
    let items = read_all(dir.path(), SID);
    // "b" lands in the same millisecond as "a", so the two share one print line.
    assert_eq!(
        items[1..],
        [
            RecordedItem::Output {
                at: ms(500),
                bytes: b"ab".to_vec()
            },
            RecordedItem::Resize {
                at: ms(500),
                cols: 100,
                rows: 30
            },
            RecordedItem::Output {
                at: ms(700),
                bytes: b"c".to_vec()
            },
        ]
    );
}

#[tokio::test]
async fn writes_within_one_millisecond_share_a_print_line() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = FileRecorder::new(dir.path(), Format::Plain);
    let mut recording = recorder.open(meta(SID)).await.unwrap();
    for (at, bytes) in [
        (Duration::from_micros(10_100), &b"h"[..]),
        (Duration::from_micros(10_400), b"e"),
        (Duration::from_micros(10_999), b"y"),
        (Duration::from_micros(11_000), b"!"),
    ] {
        recording.write_output(at, bytes).await.unwrap();
    }
    recording.write_output(ms(12), b"").await.unwrap(); // nothing to record
    let summary = recording.close().await.unwrap();
    assert_eq!(summary.events, 3, "session.start and two print lines");
    let items = read_all(dir.path(), SID);
    assert_eq!(
        items[1..],
        [
            RecordedItem::Output {
                at: ms(10),
                bytes: b"hey".to_vec()
            },
            RecordedItem::Output {
                at: ms(11),
                bytes: b"!".to_vec()
            },
        ]
    );
}

#[tokio::test]
async fn large_outputs_read_back_in_bounded_pieces() {
    for format in Format::ALL {
        let dir = tempfile::tempdir().unwrap();
        let big = noise(7, 0, 3 * MAX_CHUNK + 1000);
        let steps = [
            Step::Output(5, big.clone()),
            Step::Output(9, b"tail".to_vec()),
        ];
        record(dir.path(), format, SID, &steps).await;
        let items = read_all(dir.path(), SID);
        let sizes: Vec<(Duration, usize)> = items[1..]
            .iter()
            .map(|item| match item {
                RecordedItem::Output { at, bytes } => (*at, bytes.len()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            sizes,
            [
                (ms(5), MAX_CHUNK),
                (ms(5), MAX_CHUNK),
                (ms(5), MAX_CHUNK),
                (ms(5), 1000),
                (ms(9), 4)
            ],
            "{format:?}"
        );
        assert_eq!(output_of(&items), [big, b"tail".to_vec()].concat());
    }
}

#[tokio::test]
async fn a_slow_session_reaches_the_files_before_it_closes() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = FileRecorder::new(dir.path(), Format::Plain);
    let mut recording = recorder.open(meta(SID)).await.unwrap();
    recording.write_output(ms(0), b"first").await.unwrap();
    // A second of session time later the buffers go to the writer; the write after that
    // waits for it, so the first output is in the files while the session goes on.
    recording.write_output(ms(1_000), b"second").await.unwrap();
    recording.write_output(ms(2_000), b"third").await.unwrap();
    let on_disk = std::fs::read(dir.path().join(format!("{SID}.session.bytes"))).unwrap();
    assert!(on_disk.starts_with(b"first"), "{on_disk:?}");
    let log = std::fs::read_to_string(dir.path().join(format!("{SID}.session.log"))).unwrap();
    assert!(log.lines().count() >= 2, "{log}");
    recording.close().await.unwrap();
}

#[tokio::test]
async fn json_dump_has_every_line_and_text_dump_every_byte() {
    for format in Format::ALL {
        let dir = tempfile::tempdir().unwrap();
        let steps = script();
        let summary = record(dir.path(), format, SID, &steps).await;

        let mut json = Vec::new();
        let lines = write_json(RecordingReader::open(dir.path(), SID).unwrap(), &mut json).unwrap();
        assert_eq!(lines, summary.events);
        let events: Vec<serde_json::Value> = String::from_utf8(json)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let types: Vec<&str> = events
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "session.start",
                "print",
                "print",
                "print",
                "print",
                "resize",
                "session.join",
                "print",
                "print",
                "session.leave",
                "print"
            ],
            "{format:?}"
        );
        let eis: Vec<u64> = events.iter().map(|e| e["ei"].as_u64().unwrap()).collect();
        assert_eq!(eis, (0..events.len() as u64).collect::<Vec<_>>());
        assert_eq!(events[5]["size"], "132:43");
        assert_eq!(events[5]["code"], "T2002I");
        assert_eq!(events[5]["ms"], 1_016);

        let mut text = Vec::new();
        let written =
            write_text(RecordingReader::open(dir.path(), SID).unwrap(), &mut text).unwrap();
        assert_eq!(text, all_output(&steps));
        assert_eq!(written, text.len() as u64);
    }
}

#[test]
fn a_recording_dropped_without_close_still_writes_what_it_buffered() {
    let dir = tempfile::tempdir().unwrap();
    let steps = super::support::script();
    for format in Format::ALL {
        let sid = format!("dropped-{format:?}");
        // One blocking thread runs blocking tasks in the order they were spawned, so the
        // no-op spawned last returns only after the dropped recording was written.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(1)
            .build()
            .unwrap();
        runtime.block_on(async {
            let recorder = FileRecorder::new(dir.path(), format);
            let mut recording = recorder.open(meta(&sid)).await.unwrap();
            for step in &steps {
                if let Step::Output(at, bytes) = step {
                    recording.write_output(ms(*at), bytes).await.unwrap();
                }
            }
            drop(recording); // as when the session's task is cancelled
            tokio::task::spawn_blocking(|| ()).await.unwrap();
        });
        let items = read_all(dir.path(), &sid);
        assert_eq!(output_of(&items), all_output(&steps), "{format:?}");
    }
}
