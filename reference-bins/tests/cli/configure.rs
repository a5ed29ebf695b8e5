//! `teleport version`, `configure`, `configure --test` and `--help`.

use std::io::Write;
use std::process::{Command, Stdio};

use super::support::*;

#[test]
fn every_binary_prints_its_version_and_help() {
    for bin in [TELEPORT, TCTL, TSH] {
        let out = run(bin, &["version"]);
        assert!(out.status.success(), "{bin} version: {}", stderr(&out));
        assert!(stdout(&out).starts_with("Teleport v"), "{}", stdout(&out));
        let help = run(bin, &["--help"]);
        assert!(help.status.success());
        assert!(stdout(&help).contains("version"), "{}", stdout(&help));
    }
}

#[test]
fn configure_output_passes_configure_test_through_stdin() {
    let sample = run(TELEPORT, &["configure"]);
    assert!(sample.status.success());
    assert!(stdout(&sample).contains("# "), "the sample is commented");
    let mut child = Command::new(TELEPORT)
        .args(["configure", "--test", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&sample.stdout)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "OK");
}

#[test]
fn configure_output_flag_writes_a_file_that_tests_ok() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("teleport.yaml");
    let out = run(TELEPORT, &["configure", "-o", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(TELEPORT, &["configure", "--test", path.to_str().unwrap()]);
    assert_eq!(stdout(&out).trim(), "OK", "{}", stderr(&out));
}

#[test]
fn configure_test_names_file_line_and_key_of_a_bad_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "ssh_service:\n  enabled: yes\n  commands:\n  - name: hostname\n    command: [hostname]\n    period: 1m0s\n  - name: arch\n    command: [uname, -p]\n    period: 30s\n",
    )
    .unwrap();
    let out = run(TELEPORT, &["configure", "--test", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let want = format!("{}:9:", path.display());
    assert!(err.contains(&want), "{err}");
    assert!(err.contains("ssh_service.commands[1].period"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn configure_test_refuses_an_unknown_key_and_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.yaml");
    std::fs::write(&path, "teleport:\n  nodename: a\n  data_dri: /tmp\n").unwrap();
    let out = run(TELEPORT, &["configure", "--test", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:3:", path.display())), "{err}");
    assert!(err.contains("data_dri"), "{err}");

    let missing = dir.path().join("nope.yaml");
    let out = run(
        TELEPORT,
        &["configure", "--test", missing.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope.yaml"), "{}", stderr(&out));
}
