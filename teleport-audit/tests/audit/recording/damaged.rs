//! Damaged recordings: what a recorder killed mid-write leaves is read up to the damage;
//! anything else malformed is an error naming the file and line.

use std::io::Write;
use std::path::{Path, PathBuf};

use teleport_audit::recording::{Format, RecordedItem, RecordingError, RecordingReader};

use super::support::{all_output, output_of, record, script, SID};

fn file(dir: &Path, suffix: &str) -> PathBuf {
    dir.join(format!("{SID}{suffix}"))
}

fn try_read_all(dir: &Path) -> Result<Vec<RecordedItem>, RecordingError> {
    RecordingReader::open(dir, SID).unwrap().collect()
}

#[tokio::test]
async fn a_torn_last_line_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    record(dir.path(), Format::Plain, SID, &script()).await;
    let whole = try_read_all(dir.path()).unwrap();
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(file(dir.path(), ".session.log"))
        .unwrap();
    log.write_all(br#"{"ei":11,"event":"print","time":"2021-01-0"#)
        .unwrap();
    drop(log);
    assert_eq!(try_read_all(dir.path()).unwrap(), whole);
    let events = RecordingReader::open(dir.path(), SID).unwrap().events();
    assert_eq!(events.collect::<Result<Vec<_>, _>>().unwrap().len(), 11);
}

#[tokio::test]
async fn output_missing_from_the_bytes_file_ends_playback_there() {
    let dir = tempfile::tempdir().unwrap();
    record(dir.path(), Format::Plain, SID, &script()).await;
    let bytes_path = file(dir.path(), ".session.bytes");
    let full = std::fs::read(&bytes_path).unwrap();
    std::fs::write(&bytes_path, &full[..full.len() - 3]).unwrap();
    let items = try_read_all(dir.path()).unwrap();
    assert_eq!(output_of(&items), full[..full.len() - 3]);
}

#[tokio::test]
async fn a_malformed_line_is_an_error_naming_file_and_line() {
    for (bad, reason) in [
        ("{this is not json", "key must be a string"),
        (r#"{"ei":3,"event":"print","ms":5}"#, "without offset"),
        (r#"{"ei":3,"event":"resize","size":"wide"}"#, "\"wide\""),
        (
            r#"{"ei":3,"event":"print","ms":5,"offset":0,"bytes":1}"#,
            "overlaps",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        record(dir.path(), Format::Plain, SID, &script()).await;
        let log_path = file(dir.path(), ".session.log");
        let log = std::fs::read_to_string(&log_path).unwrap();
        let mut lines: Vec<&str> = log.lines().collect();
        lines.insert(4, bad);
        std::fs::write(&log_path, lines.join("\n") + "\n").unwrap();

        let err = try_read_all(dir.path()).unwrap_err();
        let RecordingError::Corrupt { file, line, .. } = &err else {
            panic!("{bad}: {err}");
        };
        assert_eq!((file, *line), (&log_path, 5), "{bad}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("{}:5: ", log_path.display())),
            "{message}"
        );
        assert!(message.contains(reason), "{bad}: {message}");
    }
}

#[tokio::test]
async fn cut_gzip_files_read_up_to_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let steps = script();
    record(dir.path(), Format::Gzip, SID, &steps).await;
    for suffix in [".events.gz", ".chunks.gz"] {
        let path = file(dir.path(), suffix);
        let full = std::fs::read(&path).unwrap();
        std::fs::write(&path, &full[..full.len() * 2 / 3]).unwrap();
    }
    let items = try_read_all(dir.path()).unwrap();
    let output = output_of(&items);
    assert!(all_output(&steps).starts_with(&output));
    let events = RecordingReader::open(dir.path(), SID).unwrap().events();
    assert!(events.collect::<Result<Vec<_>, _>>().is_ok());
}
