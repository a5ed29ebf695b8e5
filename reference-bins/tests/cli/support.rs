//! What every CLI scenario needs: the binaries, running them, a daemon that is killed
//! when the test ends, free ports, and a few real-tool helpers.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const TELEPORT: &str = env!("CARGO_BIN_EXE_teleport");
pub const TCTL: &str = env!("CARGO_BIN_EXE_tctl");
pub const TSH: &str = env!("CARGO_BIN_EXE_tsh");

pub fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().unwrap()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An `auth_service` section listening on a free loopback port.
pub fn auth_listen() -> String {
    format!("auth_service:\n  listen_addr: 127.0.0.1:{}\n", free_port())
}

/// A started daemon, killed when the test ends.
pub struct Daemon(pub std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn start_daemon(config: &Path) -> (Daemon, BufReader<std::process::ChildStderr>) {
    start_daemon_with(config, &[])
}

pub fn start_daemon_with(
    config: &Path,
    extra: &[&str],
) -> (Daemon, BufReader<std::process::ChildStderr>) {
    let mut child = Command::new(TELEPORT)
        .args(["start", "--config", config.to_str().unwrap()])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    (Daemon(child), stderr)
}

/// Reads the daemon's log until a line contains `needle`; panics on EOF.
pub fn wait_for_line(log: &mut BufReader<std::process::ChildStderr>, needle: &str) -> String {
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

/// Records a small session under `data_dir` the way a node will, and returns its id.
pub fn record_session(data_dir: &Path, format: teleport_audit::recording::Format) -> String {
    use teleport_audit::recording::{FileRecorder, RecordingMetadata, SessionRecorder};
    let sid = uuid::Uuid::new_v4().to_string();
    let dir = data_dir.join("log/sessions/default");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let recorder = FileRecorder::new(&dir, format);
        let mut recording = recorder
            .open(RecordingMetadata {
                sid: sid.clone(),
                user: "joe".into(),
                login: "root".into(),
                ..RecordingMetadata::default()
            })
            .await
            .unwrap();
        recording
            .write_output(Duration::from_millis(0), b"$ uname\r\n")
            .await
            .unwrap();
        recording
            .write_output(Duration::from_millis(1600), b"Linux\r\n")
            .await
            .unwrap();
        recording
            .resize(Duration::from_millis(1700), 120, 40)
            .await
            .unwrap();
        recording
            .write_output(Duration::from_millis(3200), b"$ exit\r\n")
            .await
            .unwrap();
        recording.close().await.unwrap();
    });
    sid
}

/// Recomputes a CA pin the way the manual's readers would: with openssl.
pub fn openssl_pin(ca_pem: &str) -> String {
    let script = "openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum";
    let mut child = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh and openssl (apt-get install openssl)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ca_pem.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let hex = String::from_utf8(out.stdout).unwrap();
    format!("sha256:{}", hex.split_whitespace().next().unwrap())
}

/// Polls `tctl nodes ls` until `name` is listed (the first heartbeat is immediate).
pub fn wait_for_node(config: &str, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let listed = stdout(&run(TCTL, &["-c", config, "nodes", "ls"]));
        if listed.lines().any(|line| line.starts_with(name)) {
            return;
        }
        assert!(Instant::now() < deadline, "{name} never listed:\n{listed}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
