//! The files of one recording, as the blocking tasks of a
//! [`FileRecorder`](super::FileRecorder) write them: created together (never over an
//! existing recording) with the manual's modes, written in batches, bytes before lines,
//! and finished (gzip trailer, optional `fsync`) together.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

use super::{Format, RecordingError};

/// A recording's two open files.
pub(super) struct Files {
    dir: PathBuf,
    bytes: Sink,
    log: Sink,
}

/// One file, plain or through a gzip encoder.
enum Sink {
    Plain(File, PathBuf),
    Gzip(GzEncoder<File>, PathBuf),
}

impl Files {
    /// Creates both files of session `sid`, refusing to overwrite any recording of it.
    pub(super) fn create(dir: &Path, sid: &str, format: Format) -> Result<Files, RecordingError> {
        create_dir(dir)?;
        for existing in Format::ALL {
            for path in [
                existing.events_path(dir, sid),
                existing.bytes_path(dir, sid),
            ] {
                if path.exists() {
                    return Err(RecordingError::AlreadyExists {
                        sid: sid.to_string(),
                        path,
                    });
                }
            }
        }
        let events_path = format.events_path(dir, sid);
        let log = create_file(&events_path, sid)?;
        let bytes_path = format.bytes_path(dir, sid);
        let bytes = match create_file(&bytes_path, sid) {
            Ok(file) => file,
            Err(err) => {
                // Leave no half recording behind.
                let _ = fs::remove_file(&events_path);
                return Err(err);
            }
        };
        let sink = |file, path| match format {
            Format::Plain => Sink::Plain(file, path),
            // Terminal output compresses well even at the fastest level.
            Format::Gzip => Sink::Gzip(GzEncoder::new(file, Compression::fast()), path),
        };
        Ok(Files {
            dir: dir.to_path_buf(),
            bytes: sink(bytes, bytes_path),
            log: sink(log, events_path),
        })
    }

    /// Writes a batch: the bytes first, then the lines that refer to them.
    pub(super) fn write(&mut self, bytes: &[u8], log: &[u8]) -> Result<(), RecordingError> {
        self.bytes.write_all(bytes)?;
        self.log.write_all(log)
    }

    /// Writes the last batch, ends the gzip streams and, if `sync`, waits for the disk.
    pub(super) fn finish(
        mut self,
        bytes: &[u8],
        log: &[u8],
        sync: bool,
    ) -> Result<(), RecordingError> {
        self.write(bytes, log)?;
        self.bytes.finish(sync)?;
        self.log.finish(sync)?;
        if sync {
            File::open(&self.dir)
                .and_then(|dir| dir.sync_all())
                .map_err(|err| RecordingError::io(&self.dir, err))?;
        }
        Ok(())
    }
}

impl Sink {
    fn write_all(&mut self, buf: &[u8]) -> Result<(), RecordingError> {
        if buf.is_empty() {
            return Ok(());
        }
        match self {
            Sink::Plain(file, path) => file
                .write_all(buf)
                .map_err(|err| RecordingError::io(&*path, err)),
            // A sync flush ends each batch on a byte boundary, so that what was handed
            // to the file decompresses even if the recorder dies before `finish`.
            Sink::Gzip(encoder, path) => encoder
                .write_all(buf)
                .and_then(|()| encoder.flush())
                .map_err(|err| RecordingError::io(&*path, err)),
        }
    }

    fn finish(self, sync: bool) -> Result<(), RecordingError> {
        let (file, path) = match self {
            Sink::Plain(file, path) => (file, path),
            Sink::Gzip(encoder, path) => match encoder.finish() {
                Ok(file) => (file, path),
                Err(err) => return Err(RecordingError::io(path, err)),
            },
        };
        if sync {
            file.sync_data()
                .map_err(|err| RecordingError::io(&path, err))?;
        }
        Ok(())
    }
}

/// Creates `dir` and its missing parents with mode 0750.
fn create_dir(dir: &Path) -> Result<(), RecordingError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o750);
    builder
        .create(dir)
        .map_err(|err| RecordingError::io(dir, err))
}

/// Creates a new file with mode 0640; an existing one is an error.
fn create_file(path: &Path, sid: &str) -> Result<File, RecordingError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
    options.open(path).map_err(|err| {
        if err.kind() == std::io::ErrorKind::AlreadyExists {
            RecordingError::AlreadyExists {
                sid: sid.to_string(),
                path: path.to_path_buf(),
            }
        } else {
            RecordingError::io(path, err)
        }
    })
}
