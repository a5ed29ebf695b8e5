//! [`FileRecorder`]: recordings as files in `data_dir/log/sessions/default/`.
//!
//! Memory per recording is bounded by its buffers, whatever the session's length: output
//! is copied into a bytes buffer and print lines into a log buffer; when either fills (or
//! a second of session time has passed since the last flush) the two are handed, as one
//! batch, to a blocking task that writes them (compressing them first in the gzip form),
//! and the recording carries on into a second pair of buffers. At most one batch per
//! recording is in flight, so a recording holds at most two pairs of buffers
//! (2 x ([`DEFAULT_BUFFER_SIZE`] + a quarter of it), 640 KiB, by default) plus, in the
//! gzip form, two deflate states of a few hundred KiB. Buffers grow as output arrives and
//! only a full batch's are kept for reuse, so a quiet interactive session holds a few KiB.
//!
//! Every batch writes the bytes before the lines that refer to them, so if the process
//! dies the events file never points past the end of the bytes file. In the gzip form
//! each batch ends with a sync flush, so what reached the files decompresses without the
//! gzip trailer that [`Recording::close`] writes; [`RecordingReader`](super::RecordingReader)
//! reads such a cut recording up to its last whole line. Nothing is `fsync`ed before
//! `close`: a batch is in the page cache, safe from a killed process but not from a
//! power cut.
//!
//! Consecutive outputs recorded within the same millisecond share one print line (the
//! events file's resolution is a millisecond, so nothing is lost); a resize or an event in
//! between ends the line.

use std::mem;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio::task::JoinHandle;

use super::files::Files;
use super::format::{format_size, EventLine, Format};
use super::{
    validate_sid, Recording, RecordingError, RecordingMetadata, RecordingSummary, SessionRecorder,
};
use crate::event::{Print, Resize, ServerMetadata, SessionMetadata, SessionStart, UserMetadata};
use crate::{AuditEvent, CommonFields, EventPayload};

/// The default size of a recording's bytes buffer: 256 KiB.
pub const DEFAULT_BUFFER_SIZE: usize = 256 * 1024;
/// The smallest bytes buffer [`FileRecorder::with_buffer_size`] accepts.
const MIN_BUFFER_SIZE: usize = 4 * 1024;
/// Buffered lines are written at least this often, in session time, while output flows.
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Records sessions as files in one directory, normally
/// `data_dir/log/sessions/default/`; see the [module docs](super) for the layout.
///
/// The directory is created on first use with mode 0750, and each file with mode 0640
/// (both less the process's umask).
#[derive(Debug, Clone)]
pub struct FileRecorder {
    dir: PathBuf,
    format: Format,
    buffer_size: usize,
    sync_on_close: bool,
}

impl FileRecorder {
    /// A recorder writing `format` files into `dir`, with [`DEFAULT_BUFFER_SIZE`] buffers,
    /// syncing each recording to disk when it is closed.
    pub fn new(dir: impl Into<PathBuf>, format: Format) -> Self {
        FileRecorder {
            dir: dir.into(),
            format,
            buffer_size: DEFAULT_BUFFER_SIZE,
            sync_on_close: true,
        }
    }

    /// Sets the bytes buffer's size (at least 4 KiB); the log buffer is a quarter of it.
    pub fn with_buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = bytes.max(MIN_BUFFER_SIZE);
        self
    }

    /// Whether [`Recording::close`] waits until the files are on disk (`fdatasync` of both
    /// files and of the directory). On by default: a closed recording is evidence.
    pub fn with_sync_on_close(mut self, sync: bool) -> Self {
        self.sync_on_close = sync;
        self
    }

    /// The directory recordings go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The form recordings are written in.
    pub fn format(&self) -> Format {
        self.format
    }
}

#[async_trait]
impl SessionRecorder for FileRecorder {
    async fn open(&self, meta: RecordingMetadata) -> Result<Box<dyn Recording>, RecordingError> {
        validate_sid(&meta.sid)?;
        let (dir, sid, format) = (self.dir.clone(), meta.sid.clone(), self.format);
        let files = blocking(&meta.sid, move || Files::create(&dir, &sid, format)).await??;
        let mut recording = FileRecording {
            events_path: format.events_path(&self.dir, &meta.sid),
            bytes_path: format.bytes_path(&self.dir, &meta.sid),
            sid: meta.sid.clone(),
            format,
            capacity: self.buffer_size,
            log_capacity: self.buffer_size / 4,
            bytes_buf: Vec::new(),
            log_buf: Vec::new(),
            spare: None,
            writer: Writer::Idle(Box::new(files)),
            sync_on_close: self.sync_on_close,
            next_ei: 0,
            prints: 0,
            last_at: Duration::ZERO,
            last_flush: Duration::ZERO,
            offset: 0,
            pending: None,
            meta,
        };
        recording.start_line()?;
        Ok(Box::new(recording))
    }
}

/// One recording being written by a [`FileRecorder`].
struct FileRecording {
    sid: String,
    format: Format,
    events_path: PathBuf,
    bytes_path: PathBuf,
    /// The session's metadata: names for the lines, and the start the offsets count from.
    meta: RecordingMetadata,
    /// Size of the bytes buffer, and of the log buffer.
    capacity: usize,
    log_capacity: usize,
    /// Output not yet handed to the writer task.
    bytes_buf: Vec<u8>,
    /// Complete lines not yet handed to the writer task.
    log_buf: Vec<u8>,
    /// The buffers of the last finished batch, to swap in at the next flush.
    spare: Option<(Vec<u8>, Vec<u8>)>,
    writer: Writer,
    sync_on_close: bool,
    next_ei: u64,
    /// Print lines written so far (`ci` of the next one).
    prints: u64,
    /// The offset of the latest output or resize: later ones are clamped to it.
    last_at: Duration,
    /// The offset at which buffers were last handed to the writer.
    last_flush: Duration,
    /// Output bytes recorded so far: the offset of the next output in the bytes file.
    offset: u64,
    /// The print line of the latest output, still growing while outputs arrive in the
    /// same millisecond.
    pending: Option<PendingPrint>,
}

/// A print line not written yet.
struct PendingPrint {
    ei: u64,
    at: Duration,
    ms: u64,
    offset: u64,
    bytes: u64,
}

/// Who holds the files: the recording, or the blocking task writing a batch to them.
enum Writer {
    Idle(Box<Files>),
    Busy(JoinHandle<Batch>),
    Failed,
}

/// A batch written by the blocking task, handed back with its buffers for reuse.
struct Batch {
    files: Box<Files>,
    bytes: Vec<u8>,
    log: Vec<u8>,
    result: Result<(), RecordingError>,
}

#[async_trait]
impl Recording for FileRecording {
    async fn write_output(&mut self, at: Duration, bytes: &[u8]) -> Result<(), RecordingError> {
        self.check_usable()?;
        if bytes.is_empty() {
            return Ok(());
        }
        let at = self.clamp(at);
        let ms = millis(at);
        let len = bytes.len() as u64;
        match &mut self.pending {
            Some(pending) if pending.ms == ms => pending.bytes += len,
            _ => {
                self.end_print()?;
                self.pending = Some(PendingPrint {
                    ei: self.take_ei(),
                    at,
                    ms,
                    offset: self.offset,
                    bytes: len,
                });
            }
        }
        self.offset += len;
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = self.capacity.saturating_sub(self.bytes_buf.len());
            let (now, later) = rest.split_at(room.min(rest.len()));
            grow(&mut self.bytes_buf, now.len(), self.capacity);
            self.bytes_buf.extend_from_slice(now);
            rest = later;
            if self.bytes_buf.len() >= self.capacity {
                self.flush(at).await?;
            }
        }
        self.flush_if_due(at).await
    }

    async fn resize(&mut self, at: Duration, cols: u16, rows: u16) -> Result<(), RecordingError> {
        self.check_usable()?;
        let at = self.clamp(at);
        self.end_print()?;
        let payload = EventPayload::Resize(Resize {
            user: self.user(),
            session: self.session(),
            server: self.server(),
            size: format_size(cols, rows),
            ..Resize::default()
        });
        let ei = self.take_ei();
        let event = self.line(ei, at, payload, true);
        self.push(&event, Some(millis(at)))?;
        self.flush_if_due(at).await
    }

    async fn event(&mut self, mut event: AuditEvent) -> Result<(), RecordingError> {
        self.check_usable()?;
        self.end_print()?;
        let since_start = event.time() - self.meta.started;
        let at = Duration::try_from(since_start).unwrap_or(Duration::ZERO);
        event.common.ei = self.take_ei();
        // A print line (or an unknown event) may carry its own `ms`: never write two.
        let has_ms = match &event.payload {
            EventPayload::Print(_) => true,
            EventPayload::Unknown(unknown) => unknown.fields.contains_key("ms"),
            _ => false,
        };
        self.push(&event, (!has_ms).then(|| millis(at)))?;
        let last = self.last_at;
        self.flush_if_due(last).await
    }

    async fn close(mut self: Box<Self>) -> Result<RecordingSummary, RecordingError> {
        self.check_usable()?;
        self.end_print()?;
        // From here the writer is `Failed`: dropping `self` leaves the files alone.
        let files = self.files().await?;
        let bytes = mem::take(&mut self.bytes_buf);
        let log = mem::take(&mut self.log_buf);
        let sync = self.sync_on_close;
        blocking(&self.sid, move || files.finish(&bytes, &log, sync)).await??;
        Ok(RecordingSummary {
            sid: mem::take(&mut self.sid),
            format: self.format,
            events_path: mem::take(&mut self.events_path),
            bytes_path: mem::take(&mut self.bytes_path),
            bytes: self.offset,
            events: self.next_ei,
            duration: self.last_at,
        })
    }
}

impl Drop for FileRecording {
    /// A recording dropped without [`Recording::close`] (its task was cancelled, say)
    /// hands what it buffered to a background task that writes it and ends the files,
    /// without `fsync`. Outside a Tokio runtime the buffered output is lost.
    fn drop(&mut self) {
        if matches!(self.writer, Writer::Failed) {
            return; // closed, or failed earlier
        }
        let _ = self.end_print();
        let writer = mem::replace(&mut self.writer, Writer::Failed);
        let bytes = mem::take(&mut self.bytes_buf);
        let log = mem::take(&mut self.log_buf);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(sid = %self.sid, lost = bytes.len(), "recording dropped outside a runtime without close; its buffered output is lost");
            return;
        };
        tracing::warn!(sid = %self.sid, "recording dropped without close; writing what it buffered");
        let handle = runtime.clone();
        runtime.spawn_blocking(move || {
            let files = match writer {
                Writer::Idle(files) => files,
                // Waits for the batch in flight on this blocking thread, not on a task, so
                // that a runtime shutting down still lets it finish.
                Writer::Busy(batch) => match handle.block_on(batch) {
                    Ok(Batch {
                        files,
                        result: Ok(()),
                        ..
                    }) => files,
                    _ => return,
                },
                Writer::Failed => return,
            };
            if let Err(err) = files.finish(&bytes, &log, false) {
                tracing::warn!(%err, "finishing a dropped recording failed");
            }
        });
    }
}

impl FileRecording {
    /// Writes the first line, `session.start` with the recording's metadata.
    fn start_line(&mut self) -> Result<(), RecordingError> {
        let payload = EventPayload::SessionStart(SessionStart {
            user: self.user(),
            server: self.server(),
            session: self.session(),
            size: format_size(self.meta.cols, self.meta.rows),
            ..SessionStart::default()
        });
        let ei = self.take_ei();
        let event = self.line(ei, Duration::ZERO, payload, true);
        self.push(&event, Some(0))
    }

    /// Line `ei` of the recording: `payload` at `at` after the start, with the payload's
    /// code; a fresh `uid` and the cluster's name if `audit` (print lines have neither,
    /// as in Teleport).
    fn line(&self, ei: u64, at: Duration, payload: EventPayload, audit: bool) -> AuditEvent {
        AuditEvent {
            common: CommonFields {
                ei,
                uid: if audit {
                    uuid::Uuid::new_v4().to_string()
                } else {
                    String::new()
                },
                code: payload.code().to_string(),
                time: time_at(self.meta.started, at),
                cluster_name: if audit {
                    self.meta.cluster_name.clone()
                } else {
                    String::new()
                },
            },
            payload,
        }
    }

    /// Appends `event` to the log buffer, with `ms` added if given.
    fn push(&mut self, event: &AuditEvent, ms: Option<u64>) -> Result<(), RecordingError> {
        match ms {
            Some(ms) => push_line(
                &mut self.log_buf,
                &self.events_path,
                &EventLine { event, ms },
            ),
            None => push_line(&mut self.log_buf, &self.events_path, event),
        }
    }

    fn user(&self) -> UserMetadata {
        UserMetadata {
            user: self.meta.user.clone(),
            login: self.meta.login.clone(),
        }
    }

    fn server(&self) -> ServerMetadata {
        ServerMetadata {
            namespace: "default".into(),
            server_id: self.meta.server_id.clone(),
            server_hostname: self.meta.server_hostname.clone(),
            server_addr: self.meta.server_addr.clone(),
            ..ServerMetadata::default()
        }
    }

    fn session(&self) -> SessionMetadata {
        SessionMetadata {
            sid: self.meta.sid.clone(),
        }
    }

    fn check_usable(&self) -> Result<(), RecordingError> {
        match self.writer {
            Writer::Failed => Err(RecordingError::Failed {
                sid: self.sid.clone(),
            }),
            Writer::Idle(_) | Writer::Busy(_) => Ok(()),
        }
    }

    fn take_ei(&mut self) -> u64 {
        let ei = self.next_ei;
        self.next_ei += 1;
        ei
    }

    /// `at`, or the latest offset recorded if `at` is earlier (offsets never go back).
    fn clamp(&mut self, at: Duration) -> Duration {
        if at < self.last_at {
            tracing::debug!(
                sid = %self.sid,
                ?at,
                last = ?self.last_at,
                "recording offset went backwards; clamped"
            );
            self.last_at
        } else {
            self.last_at = at;
            at
        }
    }

    /// Writes the pending print line, if any, into the log buffer.
    fn end_print(&mut self) -> Result<(), RecordingError> {
        let Some(pending) = self.pending.take() else {
            return Ok(());
        };
        let payload = EventPayload::Print(Print {
            chunk_index: self.prints,
            bytes: pending.bytes,
            delay_ms: pending.ms,
            offset: pending.offset,
        });
        self.prints += 1;
        // The print's `ei` was taken when its first output arrived.
        let event = self.line(pending.ei, pending.at, payload, false);
        self.push(&event, None)
    }

    /// Hands the buffers to the writer if the log buffer is full or a second of session
    /// time passed since the last flush.
    async fn flush_if_due(&mut self, at: Duration) -> Result<(), RecordingError> {
        let due = at.saturating_sub(self.last_flush) >= FLUSH_INTERVAL
            && !(self.bytes_buf.is_empty() && self.log_buf.is_empty());
        if self.log_buf.len() >= self.log_capacity || due {
            self.flush(at).await?;
        }
        Ok(())
    }

    /// Waits for the batch in flight, if any, and takes the files back.
    async fn files(&mut self) -> Result<Box<Files>, RecordingError> {
        match mem::replace(&mut self.writer, Writer::Failed) {
            Writer::Idle(files) => Ok(files),
            Writer::Failed => Err(RecordingError::Failed {
                sid: self.sid.clone(),
            }),
            Writer::Busy(handle) => {
                let batch = handle.await.map_err(|err| RecordingError::WriterLost {
                    sid: self.sid.clone(),
                    reason: err.to_string(),
                })?;
                batch.result?;
                let (mut bytes, mut log) = (batch.bytes, batch.log);
                // Keep the buffers of a full batch for the next one; let a small batch's
                // go, so that a quiet session holds small buffers.
                if bytes.len() >= self.capacity / 2 {
                    bytes.clear();
                    log.clear();
                    self.spare = Some((bytes, log));
                }
                Ok(batch.files)
            }
        }
    }

    /// Hands the buffered output and lines to a blocking task as one batch, after the
    /// previous batch is written, and carries on into the spare buffers.
    async fn flush(&mut self, at: Duration) -> Result<(), RecordingError> {
        let mut files = self.files().await?;
        let (bytes_spare, log_spare) = self.spare.take().unwrap_or_default();
        let bytes = mem::replace(&mut self.bytes_buf, bytes_spare);
        let log = mem::replace(&mut self.log_buf, log_spare);
        self.last_flush = at;
        self.writer = Writer::Busy(tokio::task::spawn_blocking(move || {
            let result = files.write(&bytes, &log);
            Batch {
                files,
                bytes,
                log,
                result,
            }
        }));
        Ok(())
    }
}

/// Makes room for `more` bytes in `buf`, growing it by doubling but never past `limit`
/// (plain `Vec` growth could overshoot it to nearly twice).
fn grow(buf: &mut Vec<u8>, more: usize, limit: usize) {
    let needed = buf.len() + more;
    if needed > buf.capacity() {
        let target = (buf.capacity() * 2).clamp(needed, limit.max(needed));
        buf.reserve_exact(target - buf.len());
    }
}

/// Serializes `line` into `buf` followed by a newline; on failure `buf` is left as it was.
fn push_line<T: serde::Serialize>(
    buf: &mut Vec<u8>,
    events_path: &Path,
    line: &T,
) -> Result<(), RecordingError> {
    let len = buf.len();
    if let Err(err) = serde_json::to_writer(&mut *buf, line) {
        buf.truncate(len);
        return Err(RecordingError::io(events_path, err.into()));
    }
    buf.push(b'\n');
    Ok(())
}

/// Milliseconds in `at`, saturating.
fn millis(at: Duration) -> u64 {
    u64::try_from(at.as_millis()).unwrap_or(u64::MAX)
}

/// The wall-clock time `at` after `started`, in UTC (`started` if that overflows).
fn time_at(started: OffsetDateTime, at: Duration) -> OffsetDateTime {
    let started = started.to_offset(time::UtcOffset::UTC);
    time::Duration::try_from(at)
        .ok()
        .and_then(|at| started.checked_add(at))
        .unwrap_or(started)
}

/// Runs `f` on Tokio's blocking pool.
async fn blocking<T, F>(sid: &str, f: F) -> Result<T, RecordingError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|err| RecordingError::WriterLost {
            sid: sid.to_string(),
            reason: err.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_offsets_from_the_start_in_utc() {
        let started = time::macros::datetime!(2021-01-01 02:00 +02:00);
        assert_eq!(
            time_at(started, Duration::from_millis(1500)),
            time::macros::datetime!(2021-01-01 00:00:01.5 UTC)
        );
        assert_eq!(time_at(started, Duration::MAX), started);
        assert_eq!(millis(Duration::MAX), u64::MAX);
    }

    #[test]
    fn buffers_grow_by_doubling_up_to_their_limit() {
        let mut buf = Vec::new();
        let mut capacities = Vec::new();
        while buf.len() < 1000 {
            grow(&mut buf, 100, 1000);
            buf.extend_from_slice(&[0; 100]);
            capacities.push(buf.capacity());
        }
        capacities.dedup();
        assert_eq!(capacities, [100, 200, 400, 800, 1000]);
        grow(&mut buf, 50, 1000); // a write larger than the limit still fits
        assert!(buf.capacity() >= 1050);
    }
}
