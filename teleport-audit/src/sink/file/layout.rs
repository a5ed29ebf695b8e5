//! The audit directory on disk: day files named `YYYY-MM-DD.00:00:00.log` (UTC), created
//! 0640 in a 0750 directory, and the lock that keeps a second writer out.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use time::{Date, Month};

use crate::sink::AuditError;

/// Mode of the audit directory.
pub(crate) const DIR_MODE: u32 = 0o750;
/// Mode of every file in it.
pub(crate) const FILE_MODE: u32 = 0o640;
/// The lock file, which holds the writer's pid.
pub(crate) const LOCK_FILE: &str = "teleport.lock";
/// What follows the date in a day file's name.
const DAY_SUFFIX: &str = ".00:00:00.log";

/// The name of the file holding the events of UTC day `day`: `2026-11-21.00:00:00.log`.
pub(crate) fn day_file_name(day: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}{DAY_SUFFIX}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// The day a file name written by [`day_file_name`] stands for, or `None` for any other
/// name (torn-line side files, the lock, stray files).
pub(crate) fn parse_day_file_name(name: &str) -> Option<Date> {
    parse_date(name.strip_suffix(DAY_SUFFIX)?)
}

/// A `YYYY-MM-DD` date.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// `YYYY-MM-DD`, as in cursors.
pub(crate) fn format_date(day: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// The day files in `dir`, oldest first.
pub(crate) fn list_day_files(dir: &Path) -> Result<Vec<Date>, AuditError> {
    let entries = std::fs::read_dir(dir).map_err(|e| AuditError::io("list", dir, e))?;
    let mut days = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| AuditError::io("list", dir, e))?;
        if let Some(day) = entry.file_name().to_str().and_then(parse_day_file_name) {
            days.push(day);
        }
    }
    days.sort_unstable();
    Ok(days)
}

/// Creates `dir` (and missing parents) with mode 0750 unless it exists; a directory we
/// create is made durable in its parent.
pub(crate) fn create_dir(dir: &Path) -> Result<(), AuditError> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|e| AuditError::io("create directory", dir, e))?;
    // The umask may have narrowed the mode.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
        .map_err(|e| AuditError::io("set permissions of", dir, e))?;
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Makes the entries of `dir` (files created or renamed in it) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), AuditError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AuditError::io("fsync directory", dir, e))
}

/// Opens `path` for appending, creating it with mode 0640 if needed. Returns the file and
/// whether it was created (its directory then needs a sync).
pub(crate) fn open_append(path: &Path) -> io::Result<(File, bool)> {
    match OpenOptions::new()
        .append(true)
        .read(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
    {
        Ok(file) => {
            file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
            Ok((file, true))
        }
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            let file = OpenOptions::new().append(true).read(true).open(path)?;
            Ok((file, false))
        }
        Err(err) => Err(err),
    }
}

/// Creates a new file with mode 0640, failing if it exists.
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// Holds the lock on an audit directory until dropped: an advisory whole-file lock on
/// `teleport.lock`, which the operating system releases when the holder exits, even when
/// it is killed.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock on `dir`, or says who holds it.
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock, AuditError> {
        let path = dir.join(LOCK_FILE);
        let fail = |e| AuditError::io("lock", path.clone(), e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .open(&path)
            .map_err(fail)?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0)
                    .and_then(|()| file.seek(SeekFrom::Start(0)))
                    .and_then(|_| writeln!(file, "{}", std::process::id()))
                    .map_err(fail)?;
                Ok(DirLock { _file: file })
            }
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let pid = file
                    .read_to_string(&mut text)
                    .ok()
                    .and_then(|_| text.trim().parse().ok());
                Err(AuditError::DirInUse {
                    dir: dir.to_path_buf(),
                    pid,
                })
            }
            Err(TryLockError::Error(e)) => Err(fail(e)),
        }
    }
}

/// The path of day `day`'s file in `dir`.
pub(crate) fn day_path(dir: &Path, day: Date) -> PathBuf {
    dir.join(day_file_name(day))
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn day_file_names_round_trip() {
        let day = date!(2026 - 11 - 21);
        assert_eq!(day_file_name(day), "2026-11-21.00:00:00.log");
        assert_eq!(parse_day_file_name("2026-11-21.00:00:00.log"), Some(day));
        assert_eq!(
            parse_day_file_name("0001-01-01.00:00:00.log"),
            Some(date!(0001 - 01 - 01))
        );
        for bad in [
            "2026-11-21.00:00:00.log.torn-1",
            "2026-13-01.00:00:00.log",
            "2026-02-30.00:00:00.log",
            "+026-11-21.00:00:00.log",
            "2026-1-021.00:00:00.log",
            "teleport.lock",
            "2026-11-21.log",
        ] {
            assert_eq!(parse_day_file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn second_lock_is_refused_with_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        let held = DirLock::acquire(dir.path()).unwrap();
        let err = DirLock::acquire(dir.path()).unwrap_err();
        match err {
            AuditError::DirInUse { pid, .. } => assert_eq!(pid, Some(std::process::id())),
            other => panic!("{other:?}"),
        }
        drop(held);
        DirLock::acquire(dir.path()).unwrap();
    }
}
