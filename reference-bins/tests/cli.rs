//! The reference binaries as an operator runs them: real processes, real files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const TELEPORT: &str = env!("CARGO_BIN_EXE_teleport");
const TCTL: &str = env!("CARGO_BIN_EXE_tctl");
const TSH: &str = env!("CARGO_BIN_EXE_tsh");

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

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

/// A started daemon, killed when the test ends.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_daemon(config: &Path) -> (Daemon, BufReader<std::process::ChildStderr>) {
    let mut child = Command::new(TELEPORT)
        .args(["start", "--config", config.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    (Daemon(child), stderr)
}

/// Reads the daemon's log until a line contains `needle`; panics on EOF.
fn wait_for_line(log: &mut BufReader<std::process::ChildStderr>, needle: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let n = log.read_line(&mut line).unwrap();
        assert!(
            n > 0,
            "daemon exited before logging {needle:?}; log:\n{seen}"
        );
        seen.push_str(&line);
        if line.contains(needle) {
            return seen;
        }
    }
}

#[test]
fn start_opens_dir_storage_and_a_second_daemon_is_told_the_pid() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("teleport.yaml");
    std::fs::write(
        &config,
        format!(
            "teleport:\n  data_dir: {}\n  log:\n    output: stderr\n    severity: INFO\n",
            data_dir.display()
        ),
    )
    .unwrap();
    let (mut first, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");
    assert!(data_dir.join("backend").is_dir());
    let host_uuid = std::fs::read_to_string(data_dir.join("host_uuid")).unwrap();
    assert!(
        uuid::Uuid::parse_str(host_uuid.trim()).is_ok(),
        "{host_uuid:?}"
    );

    let second = run(TELEPORT, &["start", "--config", config.to_str().unwrap()]);
    assert_eq!(second.status.code(), Some(1));
    let err = stderr(&second);
    assert!(
        err.contains(&format!("in use by pid {}", first.0.id())),
        "{err}"
    );

    // SIGTERM stops the daemon cleanly; the next start finds the same identity.
    Command::new("kill")
        .args(["-TERM", &first.0.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = first.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "daemon ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let (_again, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");
    assert_eq!(
        std::fs::read_to_string(data_dir.join("host_uuid")).unwrap(),
        host_uuid
    );
}

#[test]
fn start_refuses_a_bad_config_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("teleport.yaml");
    std::fs::write(&config, "auth_service:\n  enabled: maybe\n").unwrap();
    let out = run(TELEPORT, &["start", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:2:", config.display())), "{err}");
    assert!(err.contains("auth_service.enabled"), "{err}");
}
