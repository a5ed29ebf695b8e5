//! Replaying a recording: the same bytes in order, every pause divided by the speed and
//! capped by the idle limit.

use std::time::Duration;

use teleport_audit::recording::{
    play_to, Format, Frame, FrameKind, PlaybackOptions, Player, RecordingError, RecordingReader,
};

use super::support::{all_output, record, script, Step, SID};

/// The frames the script should replay as: each output and resize with the pause before
/// it, in session time (unscaled).
fn expected_frames() -> Vec<(Duration, FrameKind)> {
    let mut last = 0;
    script()
        .into_iter()
        .filter_map(|step| {
            let (ms, kind) = match step {
                Step::Output(ms, bytes) => (ms, FrameKind::Output(bytes)),
                Step::Resize(ms, cols, rows) => (ms, FrameKind::Resize { cols, rows }),
                Step::Join(..) | Step::Leave(..) => return None,
            };
            let gap = Duration::from_millis(ms - last);
            last = ms;
            Some((gap, kind))
        })
        .collect()
}

fn frames(dir: &std::path::Path, options: PlaybackOptions) -> Vec<Frame> {
    let reader = RecordingReader::open(dir, SID).unwrap();
    Player::new(reader, options)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn replay_at_16x_yields_the_same_bytes_with_pauses_divided_by_16() {
    for format in Format::ALL {
        let dir = tempfile::tempdir().unwrap();
        record(dir.path(), format, SID, &script()).await;
        let options = PlaybackOptions {
            speed: 16.0,
            idle_cap: None,
        };
        let frames = frames(dir.path(), options);
        let expected = expected_frames();
        assert_eq!(frames.len(), expected.len(), "{format:?}");
        for (frame, (gap, kind)) in frames.iter().zip(expected) {
            // Every gap is a whole number of ms, so gap / 16 is exact in nanoseconds.
            assert_eq!(frame.delay, gap / 16, "{format:?}: {frame:?}");
            assert_eq!(frame.kind, kind, "{format:?}");
        }
        // The idle minute (2 s to 62 s) plays in 3.75 s.
        assert_eq!(frames[6].delay, Duration::from_millis(3_750));
        let bytes: Vec<u8> = frames
            .into_iter()
            .flat_map(|frame| match frame.kind {
                FrameKind::Output(bytes) => bytes,
                FrameKind::Resize { .. } => Vec::new(),
            })
            .collect();
        assert_eq!(bytes, all_output(&script()), "{format:?}");
    }
}

#[tokio::test]
async fn the_idle_cap_shortens_long_pauses_only() {
    let dir = tempfile::tempdir().unwrap();
    record(dir.path(), Format::Plain, SID, &script()).await;
    let options = PlaybackOptions {
        speed: 2.0,
        idle_cap: Some(Duration::from_millis(300)),
    };
    let delays: Vec<Duration> = frames(dir.path(), options)
        .iter()
        .map(|frame| frame.delay)
        .collect();
    let want: Vec<Duration> = expected_frames()
        .into_iter()
        .map(|(gap, _)| (gap / 2).min(Duration::from_millis(300)))
        .collect();
    assert_eq!(delays, want);
    assert_eq!(delays[3], Duration::from_millis(300), "900 ms / 2 capped");
    assert_eq!(delays[2], Duration::from_millis(42), "84 ms / 2 kept");
}

#[tokio::test]
async fn speeds_outside_a_quarter_to_sixteen_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    record(dir.path(), Format::Plain, SID, &script()).await;
    for speed in [0.0, 0.2, 17.0, -2.0, f64::NAN] {
        let reader = RecordingReader::open(dir.path(), SID).unwrap();
        let err = Player::new(
            reader,
            PlaybackOptions {
                speed,
                idle_cap: None,
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, RecordingError::BadSpeed { .. }),
            "{speed}: {err}"
        );
        assert!(err.to_string().contains("0.25 to 16"), "{err}");
    }
    let slow = frames(
        dir.path(),
        PlaybackOptions {
            speed: 0.25,
            idle_cap: None,
        },
    );
    assert_eq!(
        slow[1].delay,
        Duration::from_millis(64),
        "16 ms at a quarter speed"
    );
}

#[tokio::test(start_paused = true)]
async fn play_to_sleeps_the_scaled_pauses_and_writes_every_byte() {
    let dir = tempfile::tempdir().unwrap();
    record(dir.path(), Format::Gzip, SID, &script()).await;
    let options = PlaybackOptions {
        speed: 4.0,
        idle_cap: Some(Duration::from_secs(2)),
    };
    let want_elapsed: Duration = expected_frames()
        .into_iter()
        .map(|(gap, _)| (gap / 4).min(Duration::from_secs(2)))
        .sum();
    let player = Player::new(RecordingReader::open(dir.path(), SID).unwrap(), options).unwrap();
    let mut out = Vec::new();
    let started = tokio::time::Instant::now();
    let written = play_to(player, &mut out).await.unwrap();
    // Paused time only moves by the sleeps, so the elapsed time is exactly their sum.
    assert_eq!(started.elapsed(), want_elapsed);
    assert_eq!(want_elapsed, Duration::from_millis(2_529));
    assert_eq!(out, all_output(&script()));
    assert_eq!(written, out.len() as u64);
}
