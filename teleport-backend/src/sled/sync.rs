//! Making sled 0.34's flushed data durable.
//!
//! `Db::flush` writes sled's buffers to its log file, but on Linux it then calls
//! `sync_file_range`, which neither flushes the drive's write cache nor persists the file's
//! size, and it never syncs the blob files in which sled keeps pages too large for its log
//! (over ~128 KiB: a leaf of up to 17 items with large values). After each flush,
//! [`DurableFiles::sync`] therefore `fdatasync`s the log file and any blob file written
//! since the last sync, with the blob directory. `fsync` applies to a file, not a
//! descriptor, so our own read-only descriptors serve.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::lock_unpoisoned;

/// The file in which sled 0.34 keeps its log (its data).
const LOG_FILE: &str = "db";
/// The directory in which sled 0.34 keeps blob files, named by increasing log sequence
/// numbers.
const BLOB_DIR: &str = "blobs";

/// The files of one sled database that a flush must sync.
#[derive(Debug)]
pub(crate) struct DurableFiles {
    log: File,
    blobs: PathBuf,
    /// The highest blob number synced so far.
    blobs_synced: Mutex<u64>,
}

impl DurableFiles {
    /// Opens the files of the sled database in `dir` and syncs them, with `dir` itself so
    /// that the entries sled created on first open are durable.
    pub(crate) fn open(dir: &Path) -> io::Result<DurableFiles> {
        let log = File::open(dir.join(LOG_FILE))?;
        File::open(dir)?.sync_all()?;
        let files = DurableFiles {
            log,
            blobs: dir.join(BLOB_DIR),
            blobs_synced: Mutex::new(0),
        };
        // What a killed process left written but unsynced (never acknowledged, yet about
        // to be readable) becomes durable before anyone reads it.
        files.sync()?;
        Ok(files)
    }

    /// Syncs the log file and every blob file written since the last call.
    pub(crate) fn sync(&self) -> io::Result<()> {
        self.sync_blobs()?;
        self.log.sync_data()
    }

    fn sync_blobs(&self) -> io::Result<()> {
        let mut synced = lock_unpoisoned(&self.blobs_synced);
        let entries = match std::fs::read_dir(&self.blobs) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(err),
        };
        let mut highest = *synced;
        for entry in entries {
            let entry = entry?;
            let Some(number) = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<u64>().ok())
            else {
                continue;
            };
            if number > *synced {
                File::open(entry.path())?.sync_data()?;
                highest = highest.max(number);
            }
        }
        if highest > *synced {
            File::open(&self.blobs)?.sync_all()?;
            *synced = highest;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syncs_log_and_new_blobs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOG_FILE), b"log").unwrap();
        let files = DurableFiles::open(dir.path()).unwrap();
        files.sync().unwrap();
        std::fs::create_dir(dir.path().join(BLOB_DIR)).unwrap();
        std::fs::write(dir.path().join(BLOB_DIR).join("4096"), b"blob").unwrap();
        std::fs::write(dir.path().join(BLOB_DIR).join("not-a-blob"), b"x").unwrap();
        files.sync().unwrap();
        assert_eq!(*files.blobs_synced.lock().unwrap(), 4096);
    }

    #[test]
    fn missing_log_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(DurableFiles::open(dir.path()).is_err());
    }
}
