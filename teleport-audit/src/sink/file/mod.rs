//! The file sink: the audit log as one JSON line per event, one file per UTC day.

mod index;
mod layout;
mod lines;
mod recovery;
mod search;
mod writer;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use async_trait::async_trait;
use teleport_core::SharedClock;

use self::index::Indexes;
use self::layout::{create_dir, day_path, list_day_files, DirLock};
use self::writer::{Durable, Queue};
use super::{AuditError, AuditSink, SearchPage, SearchQuery};
use crate::AuditEvent;

/// The audit log kept in files, as the admin manual lays it out: under `data_dir/log/` by
/// default, one file per UTC day named `YYYY-MM-DD.00:00:00.log`, one JSON object per
/// line.
///
/// - Files: the directory is created 0750 and every file 0640. An event goes to the file
///   of its own `time`'s UTC day (a late event goes to its day's file).
/// - Durability: [`emit`](AuditSink::emit) returns once the event's line is written and
///   `fdatasync`ed (a new file's directory entry too). Concurrent emits share each write
///   and sync (group commit, on one writer thread behind a bounded queue).
/// - Crashes: a process killed mid-write can leave a torn last line. [`FileSink::open`]
///   moves such a tail (and a last line that is not JSON) to
///   `<day file>.torn-<YYYYMMDDTHHMMSSZ>` beside it, with a warning, and cuts it off, so
///   every later event starts on a line of its own. Searches skip (and warn about) any line
///   they cannot read, so a damaged line never breaks them.
/// - Search: in the order events were made durable: day file by day file, line by line
///   (see [`AuditSink::search`]). Searches see only durable lines. A time range reads only
///   the day files it can touch; newest-first reads files backwards in chunks, so a first
///   page costs the same on a day of a million events as on a day of a hundred. A range
///   covering part of a day uses a time index of the file, built by the first such search
///   (one pass over the file) and kept up to date after.
/// - Exclusivity: the directory is locked (`teleport.lock`, holding the pid) until the
///   sink is closed or dropped; a second sink on it gets [`AuditError::DirInUse`].
/// - Closing: after [`close`](AuditSink::close), `emit` and `search` answer
///   [`AuditError::Closed`] and the directory is free for another sink.
#[derive(Debug)]
pub struct FileSink {
    dir: PathBuf,
    queue: Queue,
    durable: Arc<Durable>,
    indexes: Arc<Indexes>,
    closed: AtomicBool,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl FileSink {
    /// Opens the audit directory `dir` (`data_dir/log` by default), creating it 0750 if
    /// needed, locking it and setting aside any torn last line of its day files. `clock`
    /// stamps the names of those side files.
    ///
    /// This blocks on disk I/O (it checks the end of every day file): from async code,
    /// call it inside `spawn_blocking`. The sink's writer thread needs no runtime, but
    /// `emit` and `search` must run inside a Tokio runtime.
    pub fn open(dir: impl AsRef<Path>, clock: SharedClock) -> Result<FileSink, AuditError> {
        let dir = dir.as_ref().to_path_buf();
        create_dir(&dir)?;
        let lock = DirLock::acquire(&dir)?;
        let mut lengths = BTreeMap::new();
        for day in list_day_files(&dir)? {
            let path = day_path(&dir, day);
            let file = OpenOptions::new()
                .read(true)
                .append(true)
                .open(&path)
                .map_err(|e| AuditError::io("open", &path, e))?;
            let len = recovery::recover_tail(&file, &path, clock.as_ref())?;
            lengths.insert(day, len);
        }
        let durable = Arc::new(Durable::new(lengths));
        let (queue, handle) = Queue::start(dir.clone(), Arc::clone(&durable), clock, lock)
            .map_err(|e| AuditError::io("start the writer thread for", &dir, e))?;
        Ok(FileSink {
            dir,
            queue,
            durable,
            indexes: Arc::new(Indexes::default()),
            closed: AtomicBool::new(false),
            writer: Mutex::new(Some(handle)),
        })
    }

    /// The directory holding the day files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Waits for the writer thread to end (after a close, or once the queue is gone).
    fn join_writer(&self) {
        let handle = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            // A panic of the writer has already failed its emitters (their answers were
            // dropped); there is nothing more to report here.
            let _ = handle.join();
        }
    }
}

#[async_trait]
impl AuditSink for FileSink {
    async fn emit(&self, event: AuditEvent) -> Result<(), AuditError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(AuditError::Closed);
        }
        let (day, line) = super::encode_line(&event)?;
        self.queue.append(day, line).await
    }

    async fn search(&self, query: SearchQuery) -> Result<SearchPage, AuditError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(AuditError::Closed);
        }
        let dir = self.dir.clone();
        let durable = self.durable.snapshot();
        let indexes = Arc::clone(&self.indexes);
        tokio::task::spawn_blocking(move || search::search(&dir, &durable, &indexes, &query))
            .await
            .map_err(|e| AuditError::Interrupted {
                task: "file search",
                reason: e.to_string(),
            })?
    }

    async fn close(&self) -> Result<(), AuditError> {
        self.closed.store(true, Ordering::Release);
        self.queue.close().await;
        // The thread is ending: joining it releases the directory lock for good.
        let handle = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            tokio::task::spawn_blocking(move || {
                let _ = handle.join();
            })
            .await
            .map_err(|e| AuditError::Interrupted {
                task: "file writer",
                reason: e.to_string(),
            })?;
        }
        Ok(())
    }
}

impl Drop for FileSink {
    /// Without a [`close`](AuditSink::close), dropping the sink still writes what was
    /// queued and waits (briefly: at most one queue's worth) for the writer to finish, so
    /// the directory is free again when `drop` returns.
    fn drop(&mut self) {
        self.queue.disconnect();
        self.join_writer();
    }
}

#[cfg(test)]
mod tests;
