//! `tsh play --local`.

use std::time::{Duration, Instant};

use super::support::*;

#[test]
fn tsh_play_local_replays_a_recording_by_session_id_and_by_path() {
    use teleport_audit::recording::Format;
    let dir = tempfile::tempdir().unwrap();
    for format in [Format::Plain, Format::Gzip] {
        let sid = record_session(dir.path(), format);
        let data_dir = dir.path().to_str().unwrap();

        // Real-time pauses are 1.6 s each; at 16x the replay takes about 0.2 s.
        let started = Instant::now();
        let out = run(
            TSH,
            &[
                "play",
                "--local",
                &sid,
                "--data-dir",
                data_dir,
                "--speed",
                "16",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), "$ uname\r\nLinux\r\n$ exit\r\n");
        assert!(started.elapsed() >= Duration::from_millis(200));

        let out = run(
            TSH,
            &[
                "play",
                "--local",
                &sid,
                "--data-dir",
                data_dir,
                "--format",
                "text",
            ],
        );
        assert_eq!(stdout(&out), "$ uname\r\nLinux\r\n$ exit\r\n");

        let events_file = dir
            .path()
            .join("log/sessions/default")
            .join(format!("{sid}{}", format.events_suffix()));
        let out = run(
            TSH,
            &[
                "play",
                "--local",
                events_file.to_str().unwrap(),
                "--format",
                "json",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let events: Vec<serde_json::Value> = stdout(&out)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let kinds: Vec<&str> = events
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["session.start", "print", "print", "resize", "print"]
        );
        assert_eq!(events[0]["sid"], sid.as_str());
        assert_eq!(events[3]["size"], "120:40");
    }
}

#[test]
fn tsh_play_refuses_bad_speed_unknown_session_and_path_like_ids() {
    let dir = tempfile::tempdir().unwrap();
    let sid = record_session(dir.path(), teleport_audit::recording::Format::Plain);
    let data_dir = dir.path().to_str().unwrap();
    let out = run(
        TSH,
        &[
            "play",
            "--local",
            &sid,
            "--data-dir",
            data_dir,
            "--speed",
            "32",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("32"), "{}", stderr(&out));

    let missing = uuid::Uuid::new_v4().to_string();
    let out = run(TSH, &["play", "--local", &missing, "--data-dir", data_dir]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&missing), "{}", stderr(&out));

    let out = run(
        TSH,
        &[
            "play",
            "--local",
            "../no-such-teleport-dir/../x",
            "--data-dir",
            data_dir,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("neither a recording file nor a session id"));
}
