//! [`RecordingReader`]: a recording read back, plain or gzip, one item at a time.
//!
//! Reading is lazy and its memory bounded: one line of the events file (at most 1 MiB) and
//! one piece of output (at most [`MAX_CHUNK`]) at a time, whatever the session's size. A
//! print line covering more than [`MAX_CHUNK`] bytes comes out as several
//! [`RecordedItem::Output`]s with the same offset.
//!
//! Reads are plain blocking `std::io` reads of local files; from async code, call them on
//! a blocking thread where a slow disk could stall other tasks.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use flate2::bufread::MultiGzDecoder;
use time::OffsetDateTime;

use super::format::SESSION_START_EVENT;
use super::format::{parse_size, Format, LineHead, StartLine, PRINT_EVENT, RESIZE_EVENT};
use super::{validate_sid, RecordingError, RecordingMetadata};

/// The most output bytes one [`RecordedItem::Output`] holds: 256 KiB.
pub const MAX_CHUNK: usize = 256 * 1024;
/// The longest line of an events file accepted.
const MAX_LINE: usize = 1024 * 1024;
/// Buffer size of the file readers.
const READ_BUFFER: usize = 64 * 1024;

/// One thing a recording holds, in the order it was recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordedItem {
    /// The session printed `bytes` at `at` since it started.
    Output {
        /// The time since the session started (`ms`).
        at: Duration,
        /// The bytes printed.
        bytes: Vec<u8>,
    },
    /// The terminal was resized.
    Resize {
        /// The time since the session started (`ms`).
        at: Duration,
        /// The new width in columns.
        cols: u16,
        /// The new height in rows.
        rows: u16,
    },
    /// A session event (`session.start`, `session.join`, `session.end`, ...), as the
    /// JSON object the events file holds.
    Event {
        /// The event's `ms`; an event without one takes the offset of the output before.
        at: Duration,
        /// The whole line.
        event: serde_json::Value,
    },
}

impl RecordedItem {
    /// The item's time since the session started.
    pub fn at(&self) -> Duration {
        match self {
            RecordedItem::Output { at, .. }
            | RecordedItem::Resize { at, .. }
            | RecordedItem::Event { at, .. } => *at,
        }
    }
}

/// A recording opened for reading; iterate it for its [`RecordedItem`]s.
///
/// A torn last line of the events file (a recorder killed mid-line, or a gzip stream cut
/// short) ends the recording with a warning, and so does a print line whose bytes never
/// reached the bytes file; anything else malformed is [`RecordingError::Corrupt`].
pub struct RecordingReader {
    sid: String,
    format: Format,
    bytes_path: PathBuf,
    lines: LineSource,
    /// The bytes file, opened at the first print line.
    bytes: Option<BytesSource>,
    metadata: Option<RecordingMetadata>,
    /// Output of the current print line not yet returned: its offset and length.
    rest: Option<(Duration, u64)>,
    /// The offset of the latest output or resize.
    at: Duration,
    done: bool,
}

impl fmt::Debug for RecordingReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingReader")
            .field("sid", &self.sid)
            .field("format", &self.format)
            .field("events_path", &self.lines.path)
            .field("line", &self.lines.line_no)
            .finish_non_exhaustive()
    }
}

impl RecordingReader {
    /// Opens the recording of session `sid` in `dir` (normally
    /// `data_dir/log/sessions/default`), plain or gzip; if both exist, the plain one.
    pub fn open(dir: impl AsRef<Path>, sid: &str) -> Result<Self, RecordingError> {
        validate_sid(sid)?;
        let dir = dir.as_ref();
        for format in Format::ALL {
            if let Some(reader) = Self::open_form(dir, sid, format)? {
                return Ok(reader);
            }
        }
        Err(RecordingError::NotFound {
            sid: sid.to_string(),
            dir: dir.to_path_buf(),
        })
    }

    /// Opens the recording one of whose files `path` names (`<sid>.session.log`,
    /// `<sid>.session.bytes`, `<sid>.events.gz` or `<sid>.chunks.gz`), or which `path`
    /// names as `<dir>/<sid>`.
    pub fn open_path(path: impl AsRef<Path>) -> Result<Self, RecordingError> {
        let path = path.as_ref();
        let not_a_recording = || RecordingError::NotARecording {
            path: path.to_path_buf(),
        };
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(not_a_recording)?;
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        match Format::split_file_name(name) {
            Some((format, sid)) => {
                validate_sid(sid).map_err(|_| not_a_recording())?;
                Self::open_form(dir, sid, format)?.ok_or_else(|| RecordingError::NotFound {
                    sid: sid.to_string(),
                    dir: dir.to_path_buf(),
                })
            }
            None if validate_sid(name).is_ok() => Self::open(dir, name),
            None => Err(not_a_recording()),
        }
    }

    /// The recording of `sid` in `format`, or `None` if its events file does not exist.
    fn open_form(dir: &Path, sid: &str, format: Format) -> Result<Option<Self>, RecordingError> {
        let events_path = format.events_path(dir, sid);
        let lines = match LineSource::open(&events_path, format)? {
            Some(lines) => lines,
            None => return Ok(None),
        };
        let mut reader = RecordingReader {
            sid: sid.to_string(),
            format,
            bytes_path: format.bytes_path(dir, sid),
            lines,
            bytes: None,
            metadata: None,
            rest: None,
            at: Duration::ZERO,
            done: false,
        };
        reader.metadata = reader.peek_metadata()?;
        Ok(Some(reader))
    }

    /// Reads the first line and, if it is `session.start`, the metadata in it; the line
    /// stays to be read again as the first item.
    fn peek_metadata(&mut self) -> Result<Option<RecordingMetadata>, RecordingError> {
        if self.lines.read()?.is_none() {
            return Ok(None);
        }
        self.lines.replay = true;
        let Ok(head) = serde_json::from_slice::<LineHead>(&self.lines.buf) else {
            return Ok(None); // reported when the line is read as an item
        };
        if head.event != SESSION_START_EVENT {
            return Ok(None);
        }
        let Ok(start) = serde_json::from_slice::<StartLine>(&self.lines.buf) else {
            return Ok(None);
        };
        let (cols, rows) = parse_size(&start.size).unwrap_or((0, 0));
        Ok(Some(RecordingMetadata {
            sid: start.sid,
            user: start.user,
            login: start.login,
            server_id: start.server_id,
            server_hostname: start.server_hostname,
            server_addr: start.server_addr,
            cluster_name: start.cluster_name,
            cols,
            rows,
            started: start.time.unwrap_or(OffsetDateTime::UNIX_EPOCH),
        }))
    }

    /// The session id the files are named after.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The form of the files.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The events file.
    pub fn events_path(&self) -> &Path {
        &self.lines.path
    }

    /// The bytes file.
    pub fn bytes_path(&self) -> &Path {
        &self.bytes_path
    }

    /// The session's metadata, from the recording's first line if that is
    /// `session.start` (a missing `size` reads as 0:0, a missing `time` as the epoch).
    pub fn metadata(&self) -> Option<&RecordingMetadata> {
        self.metadata.as_ref()
    }

    /// Every line of the events file as a JSON object, without the bytes: the recording's
    /// events for `tsh play --format json`.
    pub fn events(self) -> Events {
        Events {
            lines: self.lines,
            done: false,
        }
    }

    /// The next item, or `None` at the end of the recording.
    pub fn next_item(&mut self) -> Result<Option<RecordedItem>, RecordingError> {
        if self.done {
            return Ok(None);
        }
        let item = self.read_item();
        if !matches!(item, Ok(Some(_))) {
            self.done = true;
        }
        item
    }

    fn read_item(&mut self) -> Result<Option<RecordedItem>, RecordingError> {
        loop {
            if let Some((at, len)) = self.rest.take() {
                if let Some(output) = self.read_output(at, len)? {
                    return Ok(Some(output));
                }
                return Ok(None);
            }
            let Some(complete) = self.lines.read()? else {
                return Ok(None);
            };
            let head = match serde_json::from_slice::<LineHead>(&self.lines.buf) {
                Ok(head) => head,
                Err(_) if !complete => {
                    self.lines.warn_torn();
                    return Ok(None);
                }
                Err(err) => return Err(self.lines.corrupt(err.to_string())),
            };
            let at = head.ms.map_or(self.at, Duration::from_millis);
            match head.event.as_ref() {
                PRINT_EVENT => {
                    let (Some(offset), Some(len)) = (head.offset, head.bytes) else {
                        return Err(self.lines.corrupt("print event without offset or bytes"));
                    };
                    self.at = at;
                    if !self.seek_bytes(offset)? {
                        return Ok(None);
                    }
                    if len > 0 {
                        self.rest = Some((at, len));
                    }
                }
                RESIZE_EVENT => {
                    let size = head.size.as_deref().unwrap_or_default();
                    let Some((cols, rows)) = parse_size(size) else {
                        return Err(self
                            .lines
                            .corrupt(format!("resize size {size:?} is not cols:rows")));
                    };
                    self.at = at;
                    return Ok(Some(RecordedItem::Resize { at, cols, rows }));
                }
                _ => {
                    let event = serde_json::from_slice(&self.lines.buf)
                        .map_err(|err| self.lines.corrupt(err.to_string()))?;
                    return Ok(Some(RecordedItem::Event { at, event }));
                }
            }
        }
    }

    /// The bytes file, opened on first use.
    fn bytes(&mut self) -> Result<&mut BytesSource, RecordingError> {
        match &mut self.bytes {
            Some(bytes) => Ok(bytes),
            bytes @ None => {
                let file = File::open(&self.bytes_path)
                    .map_err(|err| RecordingError::io(&self.bytes_path, err))?;
                let buffered = BufReader::with_capacity(READ_BUFFER, file);
                let reader: Box<dyn Read + Send + Sync> = match self.format {
                    Format::Plain => Box::new(buffered),
                    Format::Gzip => Box::new(MultiGzDecoder::new(buffered)),
                };
                Ok(bytes.insert(BytesSource {
                    reader,
                    pos: 0,
                    path: self.bytes_path.clone(),
                }))
            }
        }
    }

    /// Moves to `offset` in the bytes file, skipping a gap; false if the file ends first.
    fn seek_bytes(&mut self, offset: u64) -> Result<bool, RecordingError> {
        let bytes = self.bytes()?;
        if offset < bytes.pos {
            let pos = bytes.pos;
            return Err(self.lines.corrupt(format!(
                "print at offset {offset} overlaps output already read (up to {pos})"
            )));
        }
        let gap = offset - bytes.pos;
        if gap == 0 {
            return Ok(true);
        }
        tracing::warn!(path = %bytes.path.display(), gap, offset, "skipping bytes no print event covers");
        if bytes.skip(gap)? < gap {
            tracing::warn!(path = %bytes.path.display(), offset, "bytes file ends early; playback stops here");
            return Ok(false);
        }
        Ok(true)
    }

    /// Up to [`MAX_CHUNK`] of the `len` bytes of the current print line.
    fn read_output(
        &mut self,
        at: Duration,
        len: u64,
    ) -> Result<Option<RecordedItem>, RecordingError> {
        let want = len.min(MAX_CHUNK as u64);
        let mut chunk = Vec::with_capacity(usize::try_from(want).unwrap_or(MAX_CHUNK));
        let got = self.bytes()?.read_chunk(want, &mut chunk)?;
        if got < want {
            tracing::warn!(
                path = %self.bytes_path.display(),
                missing = len - got,
                "bytes file ends before the output its events file lists (recorder stopped?)"
            );
            self.done = true;
        } else if len > want {
            self.rest = Some((at, len - want));
        }
        if chunk.is_empty() {
            return Ok(None);
        }
        Ok(Some(RecordedItem::Output { at, bytes: chunk }))
    }
}

impl Iterator for RecordingReader {
    type Item = Result<RecordedItem, RecordingError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item().transpose()
    }
}

/// Every line of a recording's events file as a JSON value; see
/// [`RecordingReader::events`].
pub struct Events {
    lines: LineSource,
    done: bool,
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("events_path", &self.lines.path)
            .field("line", &self.lines.line_no)
            .finish_non_exhaustive()
    }
}

impl Iterator for Events {
    type Item = Result<serde_json::Value, RecordingError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let complete = match self.lines.read() {
            Ok(Some(complete)) => complete,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(err) => {
                self.done = true;
                return Some(Err(err));
            }
        };
        match serde_json::from_slice(&self.lines.buf) {
            Ok(value) => Some(Ok(value)),
            Err(_) if !complete => {
                self.lines.warn_torn();
                self.done = true;
                None
            }
            Err(err) => {
                self.done = true;
                Some(Err(self.lines.corrupt(err.to_string())))
            }
        }
    }
}

/// The events file, read line by line.
struct LineSource {
    reader: Box<dyn BufRead + Send + Sync>,
    path: PathBuf,
    /// The number of the line in `buf`, from 1.
    line_no: u64,
    /// The current line, without its newline.
    buf: Vec<u8>,
    /// Whether the current line ended with a newline.
    complete: bool,
    /// Return the current line again at the next read (it was peeked at).
    replay: bool,
}

impl LineSource {
    /// Opens `path`, or `None` if it does not exist.
    fn open(path: &Path, format: Format) -> Result<Option<LineSource>, RecordingError> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(RecordingError::io(path, err)),
        };
        let buffered = BufReader::with_capacity(READ_BUFFER, file);
        let reader: Box<dyn BufRead + Send + Sync> = match format {
            Format::Plain => Box::new(buffered),
            Format::Gzip => Box::new(BufReader::with_capacity(
                READ_BUFFER,
                MultiGzDecoder::new(buffered),
            )),
        };
        Ok(Some(LineSource {
            reader,
            path: path.to_path_buf(),
            line_no: 0,
            buf: Vec::new(),
            complete: true,
            replay: false,
        }))
    }

    /// Reads the next line that is not blank into `buf`: `Some(true)` for a whole line,
    /// `Some(false)` for a last line without its newline, `None` at the end.
    fn read(&mut self) -> Result<Option<bool>, RecordingError> {
        if self.replay {
            self.replay = false;
            return Ok(Some(self.complete));
        }
        loop {
            self.buf.clear();
            self.line_no += 1;
            let limit = MAX_LINE as u64 + 1;
            match (&mut self.reader)
                .take(limit)
                .read_until(b'\n', &mut self.buf)
            {
                Ok(0) => return Ok(None),
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => {
                    // A gzip stream cut short: whatever came before is kept.
                    tracing::warn!(path = %self.path.display(), line = self.line_no, "compressed events file is cut short; reading stops here");
                    return Ok(None);
                }
                Err(err) => return Err(RecordingError::io(&self.path, err)),
            }
            self.complete = self.buf.last() == Some(&b'\n');
            if self.complete {
                self.buf.pop();
            } else if self.buf.len() > MAX_LINE {
                return Err(self.corrupt(format!("line longer than {MAX_LINE} bytes")));
            }
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(self.complete));
            }
        }
    }

    fn corrupt(&self, reason: impl Into<String>) -> RecordingError {
        RecordingError::Corrupt {
            file: self.path.clone(),
            line: self.line_no,
            reason: reason.into(),
        }
    }

    fn warn_torn(&self) {
        tracing::warn!(
            path = %self.path.display(),
            line = self.line_no,
            "last line is torn (recorder stopped mid-write?); reading stops before it"
        );
    }
}

/// The bytes file, read in order.
struct BytesSource {
    reader: Box<dyn Read + Send + Sync>,
    /// Bytes read so far: the offset of the next byte.
    pos: u64,
    path: PathBuf,
}

impl BytesSource {
    /// Appends up to `len` bytes to `out`; fewer only at the end of the file (or of a gzip
    /// stream cut short). Returns how many were appended.
    fn read_chunk(&mut self, len: u64, out: &mut Vec<u8>) -> Result<u64, RecordingError> {
        let before = out.len();
        // On an error, read_to_end keeps what it read before it.
        match (&mut self.reader).take(len).read_to_end(out) {
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => {
                tracing::warn!(path = %self.path.display(), "compressed bytes file is cut short");
            }
            Err(err) => return Err(RecordingError::io(&self.path, err)),
        }
        let got = (out.len() - before) as u64;
        self.pos += got;
        Ok(got)
    }

    /// Skips up to `len` bytes; returns how many were skipped (fewer only at the end).
    fn skip(&mut self, len: u64) -> Result<u64, RecordingError> {
        let skipped = match io::copy(&mut (&mut self.reader).take(len), &mut io::sink()) {
            Ok(skipped) => skipped,
            // io::copy does not say how much it copied before the error: the caller stops.
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(err) => return Err(RecordingError::io(&self.path, err)),
        };
        self.pos += skipped;
        Ok(skipped)
    }
}
