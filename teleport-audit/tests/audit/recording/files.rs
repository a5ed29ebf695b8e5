//! The files a recording leaves: the manual's names and modes, Teleport's line format,
//! and the session ids and paths that are refused.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;

use teleport_audit::recording::{
    FileRecorder, Format, RecordedItem, RecordingError, RecordingReader, SessionRecorder,
};

use super::support::{all_output, meta, record, script, SID};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn files_are_named_after_the_session_with_the_manuals_modes() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("log/sessions/default");
    for (format, events, bytes) in [
        (Format::Plain, "session.log", "session.bytes"),
        (Format::Gzip, "events.gz", "chunks.gz"),
    ] {
        let sid = format!("{SID}-{format:?}");
        let summary = record(&dir, format, &sid, &script()).await;
        assert_eq!(summary.events_path, dir.join(format!("{sid}.{events}")));
        assert_eq!(summary.bytes_path, dir.join(format!("{sid}.{bytes}")));
        // 0640 and 0750, less a umask that may take more.
        assert_eq!(mode(&summary.events_path) & !0o640, 0);
        assert_eq!(mode(&summary.bytes_path) & !0o640, 0);
    }
    assert_eq!(mode(&dir) & !0o750, 0);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 4);
}

#[tokio::test]
async fn print_lines_point_into_the_bytes_file() {
    let dir = tempfile::tempdir().unwrap();
    let steps = script();
    record(dir.path(), Format::Plain, SID, &steps).await;
    let bytes = std::fs::read(dir.path().join(format!("{SID}.session.bytes"))).unwrap();
    assert_eq!(bytes, all_output(&steps));
    let log = std::fs::read_to_string(dir.path().join(format!("{SID}.session.log"))).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();

    let start = &lines[0];
    for (field, want) in [
        ("event", "session.start"),
        ("code", "T2000I"),
        ("sid", SID),
        ("user", "joe"),
        ("login", "root"),
        ("server_hostname", "node-1"),
        ("server_addr", "10.5.1.15:3022"),
        ("cluster_name", "example.com"),
        ("size", "80:25"),
        ("time", "2021-01-01T00:00:00Z"),
    ] {
        assert_eq!(start[field], want, "{field} in {start}");
    }

    // Teleport's print line, field for field.
    assert_eq!(
        log.lines().nth(2).unwrap(),
        r#"{"ei":2,"uid":"","time":"2021-01-01T00:00:00.016Z","event":"print","ci":1,"bytes":1,"ms":16,"offset":15}"#
    );

    let mut offset = 0;
    let mut outputs = steps.iter().filter_map(|step| match step {
        super::support::Step::Output(ms, bytes) => Some((*ms, bytes)),
        _ => None,
    });
    let prints: Vec<&serde_json::Value> = lines.iter().filter(|l| l["event"] == "print").collect();
    for (ci, print) in prints.iter().enumerate() {
        let (ms, want) = outputs.next().unwrap();
        assert_eq!(print["ms"], ms, "{print}");
        assert_eq!(print["offset"], offset, "{print}");
        assert_eq!(print["bytes"], want.len(), "{print}");
        assert_eq!(print["ci"], ci, "{print}");
        let at =
            time::macros::datetime!(2021-01-01 00:00 UTC) + std::time::Duration::from_millis(ms);
        let time = print["time"].as_str().unwrap();
        assert_eq!(
            time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339)
                .unwrap(),
            at
        );
        let start = offset as usize;
        assert_eq!(&bytes[start..start + want.len()], &want[..]);
        offset += want.len() as u64;
    }
    assert!(outputs.next().is_none());
}

#[tokio::test]
async fn the_compressed_form_is_gzip_of_the_plain_form() {
    let dir = tempfile::tempdir().unwrap();
    let steps = script();
    record(dir.path(), Format::Gzip, SID, &steps).await;
    let gunzip = |name: String| {
        let file = std::fs::File::open(dir.path().join(name)).unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut out)
            .unwrap();
        out
    };
    assert_eq!(gunzip(format!("{SID}.chunks.gz")), all_output(&steps));
    let log = String::from_utf8(gunzip(format!("{SID}.events.gz"))).unwrap();
    assert_eq!(log.lines().count(), 1 + steps.len());
    assert!(log.starts_with("{\""), "{log}");
}

#[tokio::test]
async fn a_recording_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    record(dir.path(), Format::Plain, SID, &script()).await;
    for format in Format::ALL {
        let recorder = FileRecorder::new(dir.path(), format);
        let err = recorder.open(meta(SID)).await.err().unwrap();
        assert!(
            matches!(&err, RecordingError::AlreadyExists { sid, .. } if sid == SID),
            "{err}"
        );
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[tokio::test]
async fn session_ids_that_could_leave_the_directory_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("sessions");
    let recorder = FileRecorder::new(&dir, Format::Plain);
    for sid in ["", "..", "../escaped", "a/b", "/etc/passwd", "x.session"] {
        let err = recorder.open(meta(sid)).await.err().unwrap();
        assert!(
            matches!(err, RecordingError::BadSid { .. }),
            "{sid:?}: {err}"
        );
        let err = RecordingReader::open(&dir, sid).unwrap_err();
        assert!(
            matches!(err, RecordingError::BadSid { .. }),
            "{sid:?}: {err}"
        );
    }
    assert!(!dir.exists(), "nothing was created");
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn recordings_open_by_sid_or_by_any_of_their_files() {
    let dir = tempfile::tempdir().unwrap();
    record(dir.path(), Format::Plain, "plain", &script()).await;
    record(dir.path(), Format::Gzip, "gzip", &script()).await;
    for (name, format) in [
        ("plain", Format::Plain),
        ("plain.session.log", Format::Plain),
        ("plain.session.bytes", Format::Plain),
        ("gzip", Format::Gzip),
        ("gzip.events.gz", Format::Gzip),
        ("gzip.chunks.gz", Format::Gzip),
    ] {
        let reader = RecordingReader::open_path(dir.path().join(name)).unwrap();
        assert_eq!(reader.format(), format, "{name}");
        let output: Vec<u8> = reader
            .flat_map(|item| match item.unwrap() {
                RecordedItem::Output { bytes, .. } => bytes,
                _ => Vec::new(),
            })
            .collect();
        assert_eq!(output, all_output(&script()), "{name}");
    }

    let err = RecordingReader::open(dir.path(), "missing").unwrap_err();
    assert!(
        matches!(&err, RecordingError::NotFound { sid, dir: d } if sid == "missing" && d == dir.path()),
        "{err}"
    );
    assert!(err.to_string().contains("missing"), "{err}");
    let err = RecordingReader::open_path(dir.path().join("gzip.session.log")).unwrap_err();
    assert!(matches!(err, RecordingError::NotFound { .. }), "{err}");
    for bad in ["notes.txt", "..", "a.b.session.log"] {
        let err = RecordingReader::open_path(dir.path().join(bad)).unwrap_err();
        assert!(
            matches!(err, RecordingError::NotARecording { .. }),
            "{bad}: {err}"
        );
    }
}

#[test]
fn a_session_log_written_by_teleport_reads_back() {
    // Hand-written in the shape of Teleport's own session log: no `uid` on prints, a `ci`,
    // events without `ms`, and three bytes that no print line covers.
    let dir = tempfile::tempdir().unwrap();
    let sid = "8d3895b6-e9dd-11e6-94de-40167e68e931";
    let log = [
        r#"{"ei":0,"event":"session.start","uid":"59cf8d1b-7b36-4894-8e90-9d9713b6b9ef","code":"T2000I","time":"2017-02-03T06:54:05Z","user":"ekontsevoy","login":"root","namespace":"default","server_id":"f84f7386-5e22-45ff-8f7d-b8079742e63f","sid":"8d3895b6-e9dd-11e6-94de-40167e68e931","addr.local":"10.5.1.15:3022","addr.remote":"","size":"80:25"}"#,
        r#"{"ei":1,"event":"print","bytes":5,"ms":10,"offset":0,"ci":0,"time":"2017-02-03T06:54:05.01Z"}"#,
        "",
        r#"{"ei":2,"event":"resize","size":"100:30","ms":20,"time":"2017-02-03T06:54:05.02Z"}"#,
        r#"{"ei":3,"event":"print","bytes":3,"ms":30,"offset":8,"ci":1,"time":"2017-02-03T06:54:05.03Z"}"#,
        r#"{"ei":4,"event":"session.end","user":"ekontsevoy","time":"2017-02-03T06:54:06Z"}"#,
    ]
    .join("\n");
    std::fs::write(dir.path().join(format!("{sid}.session.log")), log + "\n").unwrap();
    std::fs::write(
        dir.path().join(format!("{sid}.session.bytes")),
        b"hello...abc",
    )
    .unwrap();

    let reader = RecordingReader::open(dir.path(), sid).unwrap();
    let meta = reader.metadata().unwrap();
    assert_eq!(
        (meta.user.as_str(), meta.login.as_str()),
        ("ekontsevoy", "root")
    );
    assert_eq!((meta.cols, meta.rows), (80, 25));
    assert_eq!(
        meta.started,
        time::macros::datetime!(2017-02-03 06:54:05 UTC)
    );
    let items: Vec<RecordedItem> = reader.collect::<Result<_, _>>().unwrap();
    let ms = std::time::Duration::from_millis;
    assert_eq!(
        items[1..4],
        [
            RecordedItem::Output {
                at: ms(10),
                bytes: b"hello".to_vec()
            },
            RecordedItem::Resize {
                at: ms(20),
                cols: 100,
                rows: 30
            },
            RecordedItem::Output {
                at: ms(30),
                bytes: b"abc".to_vec()
            },
        ]
    );
    let RecordedItem::Event { at, event } = &items[4] else {
        panic!("{:?}", items[4]);
    };
    assert_eq!(
        *at,
        ms(30),
        "an event without ms takes the time of the output before"
    );
    assert_eq!(event["event"], "session.end");
    assert_eq!(items.len(), 5);
}
