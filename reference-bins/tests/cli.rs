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

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An `auth_service` section listening on a free loopback port.
fn auth_listen() -> String {
    format!("auth_service:\n  listen_addr: 127.0.0.1:{}\n", free_port())
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
    start_daemon_with(config, &[])
}

fn start_daemon_with(
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
            "teleport:\n  data_dir: {}\n  log:\n    output: stderr\n    severity: INFO\n{}",
            data_dir.display(),
            auth_listen()
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

/// Records a small session under `data_dir` the way a node will, and returns its id.
fn record_session(data_dir: &Path, format: teleport_audit::recording::Format) -> String {
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

#[test]
fn start_refuses_an_audit_backend_this_build_lacks_and_names_the_uri() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("teleport.yaml");
    std::fs::write(
        &config,
        format!(
            "teleport:\n  data_dir: {}\n  storage:\n    type: dir\n    audit_events_uri: ['dynamodb://events_table', 'stdout://']\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let out = run(TELEPORT, &["start", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("dynamodb://events_table"), "{err}");
    assert!(!err.contains("Teleport process started"), "{err}");
}

#[test]
fn start_keeps_the_audit_log_under_data_dir_log() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("teleport.yaml");
    std::fs::write(
        &config,
        format!(
            "teleport:\n  data_dir: {}\n{}",
            data_dir.display(),
            auth_listen()
        ),
    )
    .unwrap();
    let (_daemon, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");
    let mode = std::fs::metadata(data_dir.join("log"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o750);
}

#[test]
fn start_creates_the_cas_once_and_refuses_a_renamed_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("teleport.yaml");
    let listen = format!("127.0.0.1:{}", free_port());
    let write_config = |cluster: &str| {
        std::fs::write(
            &config,
            format!(
                "teleport:\n  data_dir: {}\nauth_service:\n  cluster_name: {cluster}\n  listen_addr: {}\n",
                data_dir.display(),
                listen
            ),
        )
        .unwrap();
    };
    write_config("alpha.example.com");
    let pin = {
        let (_daemon, mut log) = start_daemon(&config);
        let seen = wait_for_line(&mut log, "Teleport process started");
        assert!(seen.contains("alpha.example.com"), "{seen}");
        let at = seen.find("sha256:").expect("the CA pin is logged");
        seen[at..at + 71].to_string()
    };
    // The same cluster again: the same CAs, so the same pin.
    {
        let (_daemon, mut log) = start_daemon(&config);
        let seen = wait_for_line(&mut log, "Teleport process started");
        assert!(seen.contains(&pin), "{seen}");
    }
    write_config("beta.example.com");
    let out = run(TELEPORT, &["start", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("alpha.example.com") && err.contains("beta.example.com"),
        "{err}"
    );
}

/// Recomputes a CA pin the way the manual's readers would: with openssl.
fn openssl_pin(ca_pem: &str) -> String {
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

#[test]
fn tctl_on_the_auth_host_reports_status_manages_tokens_and_exports_cas() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("teleport.yaml");
    std::fs::write(
        &config,
        format!(
            "teleport:\n  data_dir: {}\nauth_service:\n  cluster_name: tctl.example.com\n  \
             listen_addr: 127.0.0.1:{}\n  tokens:\n  - \"proxy,node:static-secret-value\"\n",
            data_dir.display(),
            free_port()
        ),
    )
    .unwrap();
    let (_daemon, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");
    let cfg = config.to_str().unwrap();
    let tctl = |args: &[&str]| {
        let mut all = vec!["-c", cfg];
        all.extend_from_slice(args);
        let out = run(TCTL, &all);
        assert!(out.status.success(), "tctl {args:?}: {}", stderr(&out));
        stdout(&out)
    };

    // tctl status: the manual's rows, and a pin openssl agrees with.
    let status = tctl(&["status"]);
    assert!(status.contains("Cluster  tctl.example.com"), "{status}");
    assert!(status.contains("User CA  never updated"), "{status}");
    assert!(status.contains("Host CA  never updated"), "{status}");
    let tls_ca = tctl(&["auth", "export", "--type=tls"]);
    assert!(
        tls_ca.starts_with("-----BEGIN CERTIFICATE-----"),
        "{tls_ca}"
    );
    let pin = openssl_pin(&tls_ca);
    assert!(
        status.contains(&format!("CA pin   {pin}")),
        "{status}\n{pin}"
    );

    // Tokens: add with a chosen value, list (the static one says never), delete.
    let added = tctl(&[
        "nodes",
        "add",
        "--ttl=5m",
        "--roles=node,proxy",
        "--token=secret-value",
    ]);
    assert!(added.contains("The invite token: secret-value"), "{added}");
    assert!(added.contains(&format!("--ca-pin={pin}")), "{added}");
    let generated = tctl(&["tokens", "add", "--type=node"]);
    let token = generated
        .lines()
        .next()
        .unwrap()
        .strip_prefix("The invite token: ")
        .unwrap()
        .to_string();
    assert_eq!(token.len(), 32, "{generated}");
    let listed = tctl(&["tokens", "ls"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert!(lines[0].starts_with("Token"), "{listed}");
    assert!(lines
        .iter()
        .any(|l| l.starts_with("static-secret-value") && l.ends_with("never")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("secret-value") && l.contains("Node,Proxy")));
    assert!(lines.iter().any(|l| l.starts_with(&token)), "{listed}");
    assert_eq!(
        tctl(&["tokens", "rm", "secret-value"]),
        "Token secret-value has been deleted\n"
    );
    tctl(&["tokens", "del", &token]);
    assert!(!tctl(&["tokens", "ls"]).contains("secret-value\n"));
    let out = run(TCTL, &["-c", cfg, "tokens", "rm", "static-secret-value"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a static token lives in the config"
    );

    // From elsewhere: --auth-server and an identity file, no config.
    let identity_file = dir.path().join("admin-identity.json");
    std::fs::copy(
        data_dir.join("identity/admin/identity.json"),
        &identity_file,
    )
    .unwrap();
    let listen = std::fs::read_to_string(&config).unwrap();
    let addr = listen
        .lines()
        .find_map(|line| line.trim().strip_prefix("listen_addr: "))
        .unwrap()
        .to_string();
    let out = run(
        TCTL,
        &[
            "--auth-server",
            &addr,
            "-i",
            identity_file.to_str().unwrap(),
            "-c",
            "/nonexistent/teleport.yaml",
            "status",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "a named config must exist");
    let out = run(
        TCTL,
        &[
            "--auth-server",
            &addr,
            "-i",
            identity_file.to_str().unwrap(),
            "status",
        ],
    );
    assert!(
        stdout(&out).contains("Cluster  tctl.example.com"),
        "{}",
        stderr(&out)
    );

    // Exports OpenSSH reads; no nodes yet.
    let host = tctl(&["auth", "export", "--type=host"]);
    assert!(
        host.starts_with("@cert-authority *.tctl.example.com "),
        "{host}"
    );
    let user = tctl(&["auth", "export", "--type=user"]);
    assert!(user.starts_with("cert-authority "), "{user}");
    assert!(tctl(&["nodes", "ls"]).starts_with("Node Name"));
}

#[test]
fn tctl_without_an_admin_identity_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("teleport.yaml");
    std::fs::write(
        &config,
        format!("teleport:\n  data_dir: {}\n", dir.path().display()),
    )
    .unwrap();
    let out = run(TCTL, &["-c", config.to_str().unwrap(), "status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("identity/admin"), "{}", stderr(&out));
}

#[test]
fn a_node_joins_with_a_token_and_the_pin_and_later_starts_need_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let auth_port = free_port();
    let auth_config = dir.path().join("auth.yaml");
    std::fs::write(
        &auth_config,
        format!(
            "teleport:\n  data_dir: {}\nauth_service:\n  cluster_name: join.example.com\n  \
             listen_addr: 127.0.0.1:{auth_port}\n",
            dir.path().join("auth").display()
        ),
    )
    .unwrap();
    let (_auth, mut auth_log) = start_daemon_with(&auth_config, &["--roles=auth"]);
    wait_for_line(&mut auth_log, "Teleport process started");
    let cfg = auth_config.to_str().unwrap();
    let pin = stdout(&run(TCTL, &["-c", cfg, "status"]))
        .lines()
        .find_map(|line| line.strip_prefix("CA pin   ").map(str::to_string))
        .unwrap();
    let added = run(
        TCTL,
        &["-c", cfg, "nodes", "add", "--ttl=5m", "--token=join-secret"],
    );
    assert!(added.status.success(), "{}", stderr(&added));

    let node_dir = dir.path().join("node");
    let node_config = dir.path().join("node.yaml");
    std::fs::write(
        &node_config,
        format!(
            "teleport:\n  nodename: worker1\n  data_dir: {}\nssh_service:\n  labels:\n    env: test\n",
            node_dir.display()
        ),
    )
    .unwrap();
    let auth_server = format!("127.0.0.1:{auth_port}");
    let join_flags = |pin: &str| {
        vec![
            "--roles=node".to_string(),
            "--token=join-secret".to_string(),
            format!("--auth-server={auth_server}"),
            format!("--ca-pin={pin}"),
        ]
    };

    // A wrong pin: refused before the token is sent, nothing stored.
    let wrong = format!("sha256:{}", "0".repeat(64));
    let mut args = vec!["start", "--config", node_config.to_str().unwrap()];
    let flags = join_flags(&wrong);
    args.extend(flags.iter().map(String::as_str));
    let out = run(TELEPORT, &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).to_lowercase().contains("pin"),
        "{}",
        stderr(&out)
    );
    assert!(!node_dir.join("identity/node").exists());

    // The right pin: the node joins, stores its identity (0600) and shows up.
    {
        let flags = join_flags(&pin);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let (_node, mut node_log) = start_daemon_with(&node_config, &flags);
        wait_for_line(&mut node_log, "joined the cluster as a Node");
        wait_for_node(cfg, "worker1");
        let listed = stdout(&run(TCTL, &["-c", cfg, "nodes", "ls"]));
        assert!(listed.contains("env=test"), "{listed}");
    }
    let identity_dir = node_dir.join("identity/node");
    for entry in std::fs::read_dir(&identity_dir).unwrap() {
        use std::os::unix::fs::PermissionsExt;
        let mode = entry.unwrap().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "identity files are private");
    }

    // Restarting without a token reuses the stored identity.
    let (_node, mut node_log) = start_daemon_with(
        &node_config,
        &["--roles=node", &format!("--auth-server={auth_server}")],
    );
    wait_for_line(&mut node_log, "joined the cluster as a Node");
}

/// Polls `tctl nodes ls` until `name` is listed (the first heartbeat is immediate).
fn wait_for_node(config: &str, name: &str) {
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
