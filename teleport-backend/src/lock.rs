//! The exclusive lock that keeps a second process away from a storage directory.
//!
//! The lock is an advisory whole-file lock (`flock` on Unix, via `File::try_lock`) on
//! `<dir>/teleport.lock`, which also holds the holder's pid so that the refused process can
//! say who holds it. The operating system releases the lock when the holder exits, even
//! when it is killed, so a stale file never blocks a restart.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use crate::error::{BackendError, Result};

/// The lock file's name inside the storage directory.
pub(crate) const LOCK_FILE: &str = "teleport.lock";

/// How long a refused process waits for the holder to write its pid, which it does right
/// after taking the lock.
const PID_WAIT: Duration = Duration::from_millis(500);

/// Holds the lock on a storage directory until dropped.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Creates `dir` if needed and takes its lock, or reports [`BackendError::InUse`] with
    /// the holder's pid.
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join(LOCK_FILE);
        let lock_error = |source| BackendError::Lock {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(lock_error)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_error)?;
        match file.try_lock() {
            Ok(()) => {
                write_pid(&mut file).map_err(lock_error)?;
                Ok(DirLock { _file: file })
            }
            Err(TryLockError::WouldBlock) => Err(BackendError::InUse {
                path: dir.to_path_buf(),
                pid: read_pid(&mut file),
            }),
            Err(TryLockError::Error(source)) => Err(lock_error(source)),
        }
    }
}

fn write_pid(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{}", std::process::id())?;
    file.sync_all()
}

/// The pid the holder wrote, waiting briefly if it has only just taken the lock.
fn read_pid(file: &mut File) -> Option<u32> {
    let deadline = std::time::Instant::now() + PID_WAIT;
    loop {
        let mut text = String::new();
        let pid = file
            .seek(SeekFrom::Start(0))
            .and_then(|_| file.read_to_string(&mut text))
            .ok()
            .and_then(|_| text.trim().parse().ok());
        if pid.is_some() || std::time::Instant::now() >= deadline {
            return pid;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backend");
        let held = DirLock::acquire(&path).unwrap();
        let err = DirLock::acquire(&path).unwrap_err();
        match &err {
            BackendError::InUse { path: p, pid } => {
                assert_eq!(p, &path);
                assert_eq!(*pid, Some(std::process::id()));
            }
            other => panic!("expected InUse, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!(
                "storage directory {} is in use by pid {}",
                path.display(),
                std::process::id()
            )
        );
        drop(held);
        let _again = DirLock::acquire(&path).unwrap();
        let text = std::fs::read_to_string(path.join(LOCK_FILE)).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
    }

    #[test]
    fn unusable_directory_is_a_lock_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = DirLock::acquire(&file.join("backend")).unwrap_err();
        assert!(matches!(err, BackendError::Lock { .. }), "{err:?}");
    }
}
