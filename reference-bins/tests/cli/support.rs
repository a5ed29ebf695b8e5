//! What every CLI scenario needs: the binaries, running them, a daemon that is killed
//! when the test ends, free ports, and a few real-tool helpers.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
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

/// An `auth_service` section listening on a free loopback port, and the SSH service
/// off (tests of the node give it a port of its own).
pub fn auth_listen() -> String {
    format!(
        "auth_service:\n  listen_addr: 127.0.0.1:{}\n{SSH_OFF}",
        free_port()
    )
}

/// A `ssh_service` section turning the node off.
pub const SSH_OFF: &str = "ssh_service:\n  enabled: no\n";

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

/// Runs `tctl -c config ARGS`, asserting success; its standard output.
pub fn tctl_ok(config: &Path, args: &[&str]) -> String {
    let out = tctl_out(config, args);
    assert!(
        out.status.success(),
        "tctl {args:?} failed: {}{}",
        stderr(&out),
        stdout(&out)
    );
    stdout(&out)
}

/// Runs `tctl -c config ARGS`, whatever the outcome.
pub fn tctl_out(config: &Path, args: &[&str]) -> Output {
    let mut all = vec!["-c", config.to_str().unwrap()];
    all.extend_from_slice(args);
    run(TCTL, &all)
}

/// An auth server's configuration: `data_dir`, `cluster_name`, a free loopback port
/// and TOTP as the second factor. Returns the file and the auth address.
pub fn auth_config(dir: &Path, file: &str, data_dir: &Path, cluster: &str) -> (PathBuf, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let config = dir.join(file);
    std::fs::write(
        &config,
        format!(
            "teleport:\n  nodename: auth1\n  data_dir: {}\nauth_service:\n  cluster_name: {cluster}\n  \
             listen_addr: {addr}\n  authentication:\n    second_factor: otp\n{SSH_OFF}",
            data_dir.display()
        ),
    )
    .unwrap();
    (config, addr)
}

/// Stops a daemon with SIGTERM (so its storage closes cleanly) and waits for it.
pub fn stop_daemon(daemon: &mut Daemon) {
    Command::new("kill")
        .args(["-TERM", &daemon.0.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = daemon.0.try_wait().unwrap() {
            assert!(status.success(), "daemon stopped with {status:?}");
            return;
        }
        assert!(Instant::now() < deadline, "daemon ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `future` on a new single-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// A client of the auth API without a client certificate (signup, login), trusting
/// the cluster's TLS CA as `tctl auth export --type=tls` prints it.
pub async fn anonymous_client(addr: &str, tls_ca: &str) -> teleport_auth::api::AuthClient {
    use teleport_auth::api::{AuthClient, Trust};
    AuthClient::connect(addr, None, Trust::CaPem(tls_ca.to_string()))
        .await
        .unwrap()
}

/// The 30-second TOTP step `at` falls in.
pub fn totp_step(at: time::OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp()).unwrap() / 30
}

/// A TOTP code of `secret` for a step after `used_step` that the server accepts now:
/// the current step's, or the next one's (one step of skew is allowed) when the current
/// step was used already. A code is never accepted twice.
pub fn fresh_totp(secret: &str, used_step: u64) -> (String, u64) {
    let now = time::OffsetDateTime::now_utc();
    let at = if totp_step(now) > used_step {
        now
    } else {
        now + time::Duration::seconds(30)
    };
    (
        teleport_auth::local::totp_code(secret, at).unwrap(),
        totp_step(at),
    )
}

/// A user who completed their signup: the TOTP secret and the step of the code used.
pub struct SignedUp {
    pub totp_secret: String,
    pub used_step: u64,
}

/// `tctl users add NAME ...` and then the user's side of the invite: the password and
/// a code of the TOTP key the server hands out, through the auth API.
pub fn add_user_with_password(
    config: &Path,
    addr: &str,
    name: &str,
    add_flags: &[&str],
    password: &str,
) -> SignedUp {
    let mut args = vec!["users", "add", name];
    args.extend_from_slice(add_flags);
    let invite = tctl_ok(config, &args);
    let token = invite
        .lines()
        .find_map(|line| line.split_once("/web/invite/").map(|(_, t)| t.to_string()))
        .unwrap_or_else(|| panic!("no invite URL in:\n{invite}"));
    let tls_ca = tctl_ok(config, &["auth", "export", "--type=tls"]);
    block_on(async {
        let client = anonymous_client(addr, &tls_ca).await;
        let begin = client.signup_begin(&token).await.unwrap();
        assert_eq!(begin.user, name);
        assert!(begin.needs_totp, "second_factor: otp asks for a device");
        let secret = begin.totp_secret.clone().unwrap();
        let (code, used_step) = fresh_totp(&secret, 0);
        let user = client
            .signup_complete(&token, password, Some(code))
            .await
            .unwrap();
        assert_eq!(user.name(), name);
        SignedUp {
            totp_secret: secret,
            used_step,
        }
    })
}

/// A new Ed25519 SSH public key, OpenSSH format.
pub fn new_ssh_public_key() -> String {
    use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
    let seed: [u8; 32] = rand::random();
    let key = russh::keys::ssh_key::PrivateKey::new(
        KeypairData::from(Ed25519Keypair::from_seed(&seed)),
        "",
    )
    .unwrap();
    key.public_key().to_openssh().unwrap()
}

/// What `ssh-keygen -L -f CERT` says about a certificate.
#[derive(Debug)]
pub struct CertListing {
    pub key_id: String,
    pub principals: Vec<String>,
    /// `Valid: from A to B`: B - A in seconds.
    pub valid_secs: i64,
    /// `Signing CA: ED25519 SHA256:...`: the CA's fingerprint.
    pub signing_ca: String,
}

/// Runs `ssh-keygen -L -f cert` (the OpenSSH oracle) and reads its answer.
pub fn ssh_keygen_list(cert: &Path) -> CertListing {
    let out = Command::new("ssh-keygen")
        .args(["-L", "-f", cert.to_str().unwrap()])
        .output()
        .expect("ssh-keygen (apt-get install openssh-client)");
    assert!(out.status.success(), "ssh-keygen -L: {}", stderr(&out));
    let text = stdout(&out);
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(name).map(str::trim))
            .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
            .to_string()
    };
    let key_id = field("Key ID:").trim_matches('"').to_string();
    let signing_ca = field("Signing CA:")
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let valid = field("Valid:");
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let parts: Vec<&str> = valid.split_whitespace().collect();
    assert_eq!(parts.len(), 4, "{valid}");
    let from = time::PrimitiveDateTime::parse(parts[1], format).unwrap();
    let to = time::PrimitiveDateTime::parse(parts[3], format).unwrap();
    let principals = text
        .lines()
        .skip_while(|line| !line.trim().starts_with("Principals:"))
        .skip(1)
        .take_while(|line| !line.trim().starts_with("Critical Options:"))
        .map(|line| line.trim().to_string())
        .filter(|line| !line.is_empty())
        .collect();
    CertListing {
        key_id,
        principals,
        valid_secs: (to - from).whole_seconds(),
        signing_ca,
    }
}

/// Every audit event under `data_dir/log/`, in file order.
pub fn audit_events(data_dir: &Path) -> Vec<serde_json::Value> {
    let mut events = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(data_dir.join("log"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().and_then(|e| e.to_str()) == Some("log"))
        .collect();
    files.sort();
    for path in files {
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            events.push(serde_json::from_str(line).unwrap());
        }
    }
    events
}

/// The `cert.create` audit events under `data_dir/log/` for `user`.
pub fn cert_create_events(data_dir: &Path, user: &str) -> Vec<serde_json::Value> {
    audit_events(data_dir)
        .into_iter()
        .filter(|event| event["event"] == "cert.create" && event["identity"]["user"] == user)
        .collect()
}

/// Runs `bin ARGS` to its end; a process still running after `limit` is killed and
/// the test fails.
pub fn run_with_timeout(bin: &str, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{bin} {args:?} still ran after {limit:?}; stderr:\n{}",
                stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// The name of the OS user running the tests: the login a node can serve.
pub fn current_user() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Runs the real OpenSSH client against the node at 127.0.0.1:`port` as `login`, with
/// only the files of the test (`-F /dev/null`, no agent, `key` with its `-cert.pub`,
/// `known_hosts`), checking the host as `alias` with `StrictHostKeyChecking=yes`.
pub fn ssh(
    known_hosts: &Path,
    port: u16,
    key: &Path,
    alias: &str,
    login: &str,
    command: &str,
) -> std::process::Output {
    std::process::Command::new("ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            &format!("UserKnownHostsFile={}", known_hosts.display()),
            "-o",
            &format!("HostKeyAlias={alias}"),
            "-o",
            "ConnectTimeout=10",
            "-i",
            key.to_str().unwrap(),
            "-p",
            &port.to_string(),
            &format!("{login}@127.0.0.1"),
            command,
        ])
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .expect("ssh (apt-get install openssh-client)")
}

/// Adds user `joe` with `login` and the `access` role, and signs an OpenSSH key and
/// certificate for him with `tctl auth sign` into `dir/joe` (`dir/joe-cert.pub`).
pub fn joe_with_certificate(config: &Path, dir: &Path, login: &str) -> PathBuf {
    tctl_ok(
        config,
        &[
            "users",
            "add",
            "joe",
            &format!("--logins={login}"),
            "--roles=access",
        ],
    );
    let key = dir.join("joe");
    tctl_ok(
        config,
        &[
            "auth",
            "sign",
            "--user=joe",
            &format!("--out={}", key.display()),
            "--ttl=1h",
        ],
    );
    key
}
