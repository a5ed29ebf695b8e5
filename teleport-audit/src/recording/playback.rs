//! Playback: a recording as [`Frame`]s to show after a delay, at a chosen speed and with
//! long pauses cut short; and the JSON and text dumps of `tsh play --format json|text`.
//!
//! [`Player`] never sleeps: it says how long to wait before each frame and the caller
//! waits (so tests check the delays exactly, without waiting). [`play_to`] is the
//! ready-made loop for Tokio programs.

use std::io::Write;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::reader::{RecordedItem, RecordingReader};
use super::RecordingError;

/// The slowest playback speed: a quarter of real time.
pub const MIN_SPEED: f64 = 0.25;
/// The fastest playback speed: sixteen times real time.
pub const MAX_SPEED: f64 = 16.0;

/// How to play a recording back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaybackOptions {
    /// How many times faster than real time, from [`MIN_SPEED`] to [`MAX_SPEED`]: every
    /// pause is divided by it.
    pub speed: f64,
    /// The longest pause to keep, after scaling by `speed`: a longer one (the session sat
    /// idle) is cut to this. `None` keeps every pause.
    pub idle_cap: Option<Duration>,
}

impl Default for PlaybackOptions {
    /// Real time, every pause kept.
    fn default() -> Self {
        PlaybackOptions {
            speed: 1.0,
            idle_cap: None,
        }
    }
}

impl PlaybackOptions {
    /// Fails with [`RecordingError::BadSpeed`] unless `speed` is within
    /// [`MIN_SPEED`]..=[`MAX_SPEED`].
    pub fn validate(&self) -> Result<(), RecordingError> {
        if (MIN_SPEED..=MAX_SPEED).contains(&self.speed) {
            Ok(())
        } else {
            Err(RecordingError::BadSpeed { speed: self.speed })
        }
    }

    /// The wait for a pause of `gap` in the session: `gap / speed`, to the nearest
    /// nanosecond (exact when `speed` is a power of two and the result a whole number of
    /// nanoseconds), then capped at `idle_cap`.
    pub fn delay(&self, gap: Duration) -> Duration {
        let scaled = if self.speed == 1.0 {
            gap
        } else {
            // `as` saturates: a pause too long for u64 nanoseconds (584 years) is capped.
            Duration::from_nanos((gap.as_nanos() as f64 / self.speed).round() as u64)
        };
        match self.idle_cap {
            Some(cap) => scaled.min(cap),
            None => scaled,
        }
    }
}

/// One step of playback: wait `delay`, then do `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// How long to wait after the previous frame (after the start, for the first).
    pub delay: Duration,
    /// When this happened in the session, since it started (not scaled).
    pub at: Duration,
    /// What to do.
    pub kind: FrameKind,
}

/// What a [`Frame`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameKind {
    /// Write these bytes to the terminal.
    Output(Vec<u8>),
    /// The terminal became `cols` x `rows`.
    Resize {
        /// The new width in columns.
        cols: u16,
        /// The new height in rows.
        rows: u16,
    },
}

/// Turns a recording's items into [`Frame`]s; iterate it. Events (`session.join`, ...)
/// are not frames and are skipped.
#[derive(Debug)]
pub struct Player<R = RecordingReader> {
    items: R,
    options: PlaybackOptions,
    /// The session time of the previous frame.
    last: Duration,
}

impl<R> Player<R>
where
    R: Iterator<Item = Result<RecordedItem, RecordingError>>,
{
    /// A player of `items` (normally a [`RecordingReader`]); fails with
    /// [`RecordingError::BadSpeed`] if the speed is out of range.
    pub fn new(items: R, options: PlaybackOptions) -> Result<Self, RecordingError> {
        options.validate()?;
        Ok(Player {
            items,
            options,
            last: Duration::ZERO,
        })
    }

    /// The options playback runs with.
    pub fn options(&self) -> &PlaybackOptions {
        &self.options
    }

    /// The next frame, or `None` at the end of the recording.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, RecordingError> {
        for item in self.items.by_ref() {
            let (at, kind) = match item? {
                RecordedItem::Output { at, bytes } => (at, FrameKind::Output(bytes)),
                RecordedItem::Resize { at, cols, rows } => (at, FrameKind::Resize { cols, rows }),
                RecordedItem::Event { .. } => continue,
            };
            // A recording from elsewhere might go back in time: no wait then.
            let delay = self.options.delay(at.saturating_sub(self.last));
            self.last = self.last.max(at);
            return Ok(Some(Frame { delay, at, kind }));
        }
        Ok(None)
    }
}

impl<R> Iterator for Player<R>
where
    R: Iterator<Item = Result<RecordedItem, RecordingError>>,
{
    type Item = Result<Frame, RecordingError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame().transpose()
    }
}

/// Plays `player` to `out` in real time (scaled): sleeps each frame's delay with
/// `tokio::time::sleep`, then writes and flushes its output. Resize frames are skipped:
/// a byte stream has no place for them (a terminal client that wants them iterates the
/// [`Player`] itself). Returns how many bytes were written.
///
/// The recording's files are read with blocking reads between sleeps; that is fine for
/// `tsh play`, while a server playing many recordings should run this on a blocking
/// thread or read ahead.
pub async fn play_to<R, W>(player: Player<R>, out: &mut W) -> Result<u64, RecordingError>
where
    R: Iterator<Item = Result<RecordedItem, RecordingError>>,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut written = 0;
    for frame in player {
        let frame = frame?;
        if !frame.delay.is_zero() {
            tokio::time::sleep(frame.delay).await;
        }
        if let FrameKind::Output(bytes) = frame.kind {
            out.write_all(&bytes)
                .await
                .map_err(|source| RecordingError::Output { source })?;
            out.flush()
                .await
                .map_err(|source| RecordingError::Output { source })?;
            written += bytes.len() as u64;
        }
    }
    Ok(written)
}

/// Writes every line of the recording's events file to `out` as one compact JSON object
/// per line (`tsh play --format json`). Returns how many lines were written.
pub fn write_json<W: Write + ?Sized>(
    reader: RecordingReader,
    out: &mut W,
) -> Result<u64, RecordingError> {
    let mut lines = 0;
    for event in reader.events() {
        let event = event?;
        serde_json::to_writer(&mut *out, &event)
            .map_err(|err| RecordingError::Output { source: err.into() })?;
        out.write_all(b"\n")
            .map_err(|source| RecordingError::Output { source })?;
        lines += 1;
    }
    out.flush()
        .map_err(|source| RecordingError::Output { source })?;
    Ok(lines)
}

/// Writes the recording's output bytes to `out` in order, without pauses
/// (`tsh play --format text`). Returns how many bytes were written.
pub fn write_text<W: Write + ?Sized>(
    reader: RecordingReader,
    out: &mut W,
) -> Result<u64, RecordingError> {
    let mut written = 0;
    for item in reader {
        if let RecordedItem::Output { bytes, .. } = item? {
            out.write_all(&bytes)
                .map_err(|source| RecordingError::Output { source })?;
            written += bytes.len() as u64;
        }
    }
    out.flush()
        .map_err(|source| RecordingError::Output { source })?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(
        list: Vec<RecordedItem>,
    ) -> impl Iterator<Item = Result<RecordedItem, RecordingError>> {
        list.into_iter().map(Ok)
    }

    fn output(ms: u64, bytes: &[u8]) -> RecordedItem {
        RecordedItem::Output {
            at: Duration::from_millis(ms),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn speeds_outside_a_quarter_to_sixteen_are_refused() {
        for speed in [0.0, 0.24, 16.01, -1.0, f64::NAN, f64::INFINITY] {
            let options = PlaybackOptions {
                speed,
                idle_cap: None,
            };
            assert!(
                matches!(
                    Player::new(items(vec![]), options),
                    Err(RecordingError::BadSpeed { .. })
                ),
                "{speed} accepted"
            );
        }
        for speed in [MIN_SPEED, 1.0, 3.0, MAX_SPEED] {
            Player::new(
                items(vec![]),
                PlaybackOptions {
                    speed,
                    idle_cap: None,
                },
            )
            .unwrap();
        }
    }

    #[test]
    fn delays_are_gaps_over_speed_capped_at_the_idle_limit() {
        let options = PlaybackOptions {
            speed: 4.0,
            idle_cap: Some(Duration::from_secs(1)),
        };
        let list = vec![
            output(100, b"a"),
            RecordedItem::Event {
                at: Duration::from_millis(150),
                event: serde_json::json!({"event": "session.join"}),
            },
            RecordedItem::Resize {
                at: Duration::from_millis(300),
                cols: 100,
                rows: 40,
            },
            output(60_300, b"b"),
            output(60_300, b"c"),
            output(60_000, b"d"), // back in time: no wait
        ];
        let frames: Vec<Frame> = Player::new(items(list), options)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let delays: Vec<Duration> = frames.iter().map(|frame| frame.delay).collect();
        assert_eq!(
            delays,
            [
                Duration::from_millis(25),
                Duration::from_millis(50),
                Duration::from_secs(1),
                Duration::ZERO,
                Duration::ZERO,
            ]
        );
        assert_eq!(
            frames[1].kind,
            FrameKind::Resize {
                cols: 100,
                rows: 40
            }
        );
        assert_eq!(frames[4].kind, FrameKind::Output(b"d".to_vec()));
    }

    #[test]
    fn slow_playback_stretches_pauses() {
        let options = PlaybackOptions {
            speed: 0.25,
            idle_cap: None,
        };
        assert_eq!(
            options.delay(Duration::from_millis(3)),
            Duration::from_millis(12)
        );
        let third = PlaybackOptions {
            speed: 3.0,
            idle_cap: None,
        };
        assert_eq!(
            third.delay(Duration::from_millis(1)),
            Duration::from_nanos(333_333)
        );
    }
}
