//! Setting aside a torn last line.
//!
//! A process killed in the middle of a write (or a machine that lost power) can leave a
//! day file ending in part of a line. That line was never acknowledged: its `emit` had not
//! returned. Before a file is appended to again, [`recover_tail`] moves such a tail, and a
//! last line that is not JSON, to a side file `<day file>.torn-<time>` next to it, with a
//! warning, and cuts it off the day file, so that the next event starts on a line of its
//! own and searches never meet the fragment.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use teleport_core::Clock;
use time::OffsetDateTime;

use super::layout::{create_new, sync_dir};
use super::lines::{last_newline_before, read_full};
use crate::sink::AuditError;

/// How much of a torn tail is copied at a time.
const COPY_CHUNK: usize = 256 * 1024;
/// How many side files one day file may get within one second before recovery gives up.
const MAX_SIDE_FILES: u32 = 10_000;

/// Checks the end of the day file `file` (open for reading and writing) at `path`, sets a
/// torn tail aside, makes the file durable and returns its clean length.
pub(crate) fn recover_tail(file: &File, path: &Path, clock: &dyn Clock) -> Result<u64, AuditError> {
    let read_err = |e| AuditError::io("read", path, e);
    let len = file.metadata().map_err(read_err)?.len();
    let mut cut = match last_newline_before(file, len).map_err(read_err)? {
        Some(newline) => newline + 1,
        None => 0,
    };
    if cut == len && len > 0 {
        // Complete lines; the last one must still be JSON (a crash of the machine can
        // leave zeros or old bytes where the last write was going).
        let start = last_newline_before(file, len - 1)
            .map_err(read_err)?
            .map_or(0, |newline| newline + 1);
        let mut line = vec![0; usize::try_from(len - 1 - start).unwrap_or(usize::MAX)];
        read_full(file, &mut line, start).map_err(read_err)?;
        if serde_json::from_slice::<serde::de::IgnoredAny>(&line).is_err() {
            cut = start;
        }
    }
    if cut < len {
        let side = set_aside(file, path, cut, len, clock)?;
        tracing::warn!(
            file = %path.display(),
            offset = cut,
            bytes = len - cut,
            moved_to = %side.display(),
            "audit log ended in a torn line (an event being written when the process stopped, never acknowledged); moved it aside"
        );
        file.set_len(cut)
            .map_err(|e| AuditError::io("truncate torn line off", path, e))?;
    }
    // What a killed process left written but unsynced becomes durable before anyone
    // reads it.
    file.sync_all()
        .map_err(|e| AuditError::io("fsync", path, e))?;
    Ok(cut)
}

/// Copies `[from, to)` of `file` to a new side file and makes it durable; returns its path.
fn set_aside(
    file: &File,
    path: &Path,
    from: u64,
    to: u64,
    clock: &dyn Clock,
) -> Result<PathBuf, AuditError> {
    let (side_path, mut side) = create_side_file(path, clock.now())?;
    let write_err = |e| AuditError::io("write", side_path.clone(), e);
    let mut buf = vec![0; COPY_CHUNK];
    let mut at = from;
    while at < to {
        let want = usize::try_from(to - at)
            .unwrap_or(usize::MAX)
            .min(COPY_CHUNK);
        let read =
            read_full(file, &mut buf[..want], at).map_err(|e| AuditError::io("read", path, e))?;
        if read == 0 {
            break;
        }
        side.write_all(&buf[..read]).map_err(write_err)?;
        at += read as u64;
    }
    side.sync_all().map_err(write_err)?;
    if let Some(dir) = side_path.parent() {
        sync_dir(dir)?;
    }
    Ok(side_path)
}

/// `<path>.torn-<YYYYMMDDTHHMMSSZ>`, with `-2`, `-3`, ... when that exists.
fn create_side_file(path: &Path, now: OffsetDateTime) -> Result<(PathBuf, File), AuditError> {
    let now = now.to_offset(time::UtcOffset::UTC);
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let base = format!("{}.torn-{stamp}", path.display());
    for n in 1u32..=MAX_SIDE_FILES {
        let candidate = if n == 1 {
            PathBuf::from(&base)
        } else {
            PathBuf::from(format!("{base}-{n}"))
        };
        match create_new(&candidate) {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(AuditError::io("create", candidate, e)),
        }
    }
    Err(AuditError::io(
        "create",
        base,
        std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{MAX_SIDE_FILES} torn-line side files with this time stamp exist already"),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use std::fs::OpenOptions;

    use teleport_core::FakeClock;

    use super::*;

    fn recover(bytes: &[u8]) -> (tempfile::TempDir, PathBuf, u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2021-01-01.00:00:00.log");
        std::fs::write(&path, bytes).unwrap();
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .unwrap();
        let len = recover_tail(&file, &path, &FakeClock::default()).unwrap();
        (dir, path, len)
    }

    fn side_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name().to_string_lossy().contains(".torn-"))
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn clean_files_are_left_alone() {
        for bytes in [&b""[..], b"{\"a\":1}\n", b"{\"a\":1}\n{\"b\":2}\n"] {
            let (dir, path, len) = recover(bytes);
            assert_eq!(len, bytes.len() as u64);
            assert_eq!(std::fs::read(&path).unwrap(), bytes);
            assert!(side_files(dir.path()).is_empty());
        }
    }

    #[test]
    fn a_torn_tail_is_moved_aside() {
        let (dir, path, len) = recover(b"{\"a\":1}\n{\"b\":");
        assert_eq!(len, 8);
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"a\":1}\n");
        assert_eq!(
            side_files(dir.path()),
            vec![(
                "2021-01-01.00:00:00.log.torn-20210101T000000Z".to_string(),
                b"{\"b\":".to_vec()
            )]
        );
    }

    #[test]
    fn a_last_line_that_is_not_json_is_moved_aside() {
        let (dir, path, len) = recover(b"{\"a\":1}\n\0\0\0\n");
        assert_eq!(len, 8);
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"a\":1}\n");
        assert_eq!(side_files(dir.path())[0].1, b"\0\0\0\n");
        // A file holding only a torn line ends up empty.
        let (_dir, path, len) = recover(b"{\"a\"");
        assert_eq!(len, 0);
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }

    #[test]
    fn side_file_names_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2021-01-01.00:00:00.log");
        for torn in [&b"{\"x"[..], b"{\"y"] {
            std::fs::write(&path, torn).unwrap();
            let file = OpenOptions::new()
                .read(true)
                .append(true)
                .open(&path)
                .unwrap();
            recover_tail(&file, &path, &FakeClock::default()).unwrap();
        }
        let sides = side_files(dir.path());
        assert_eq!(sides.len(), 2);
        assert_eq!(sides[0].1, b"{\"x");
        assert!(sides[1].0.ends_with("Z-2"), "{:?}", sides[1].0);
        assert_eq!(sides[1].1, b"{\"y");
    }
}
