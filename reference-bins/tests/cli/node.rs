//! The README's tour: `teleport start` runs auth and node in one process (the node
//! needs no token), `tctl users add` and `tctl auth sign` give a user an OpenSSH key
//! and certificate, and the real `ssh` logs in with `StrictHostKeyChecking=yes`
//! against the `@cert-authority` line of `tctl auth export --type=host`.

use std::time::{Duration, Instant};

use super::support::*;

const CLUSTER: &str = "tour.example.com";

#[test]
fn auth_and_node_in_one_process_let_openssh_in_with_a_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let ssh_port = free_port();
    let config = dir.path().join("teleport.yaml");
    std::fs::write(
        &config,
        format!(
            "teleport:\n  nodename: luna\n  data_dir: {}\nauth_service:\n  cluster_name: {CLUSTER}\n  \
             listen_addr: 127.0.0.1:{}\nssh_service:\n  listen_addr: 127.0.0.1:{ssh_port}\n  \
             labels:\n    env: test\n  commands:\n  - name: arch\n    command: [uname, -m]\n    \
             period: 1m0s\nproxy_service:\n  enabled: no\n",
            data_dir.display(),
            free_port()
        ),
    )
    .unwrap();
    let (mut daemon, mut log) = start_daemon_with(&config, &["--labels=team=ops"]);
    wait_for_line(&mut log, "Teleport process started");

    // The node announced itself with its static, flag and command labels.
    let arch = String::from_utf8(
        std::process::Command::new("uname")
            .arg("-m")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let nodes = tctl_ok(&config, &["nodes", "ls"]);
        if nodes.contains(&format!("arch={arch}")) {
            assert!(nodes.contains("env=test"), "{nodes}");
            assert!(nodes.contains("team=ops"), "{nodes}");
            assert!(nodes.lines().any(|l| l.starts_with("luna")), "{nodes}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "labels never announced:\n{nodes}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let login = current_user();
    let key = joe_with_certificate(&config, dir.path(), &login);
    let host_ca = tctl_ok(&config, &["auth", "export", "--type=host"]);
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(&known_hosts, host_ca).unwrap();
    // The host certificate names <nodename>.<cluster>, which the exported
    // `@cert-authority *.<cluster>` line covers.
    let alias = format!("luna.{CLUSTER}");

    let out = ssh(
        &known_hosts,
        ssh_port,
        &key,
        &alias,
        &login,
        "echo hello from $(id -un)",
    );
    assert!(out.status.success(), "ssh failed: {}", stderr(&out));
    assert_eq!(stdout(&out).trim(), format!("hello from {login}"));

    // An exit status comes back as it is.
    let out = ssh(&known_hosts, ssh_port, &key, &alias, &login, "exit 7");
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));

    // A login the certificate does not name is refused, and audited.
    let out = ssh(&known_hosts, ssh_port, &key, &alias, "nobody-here", "true");
    assert!(!out.status.success());

    // Without the host CA line, StrictHostKeyChecking refuses the node.
    std::fs::write(dir.path().join("known_hosts"), "").unwrap();
    let out = ssh(&known_hosts, ssh_port, &key, &alias, &login, "true");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Host key verification failed"),
        "{}",
        stderr(&out)
    );

    stop_daemon(&mut daemon);
    let events = audit_events(&data_dir);
    let exec = events
        .iter()
        .find(|e| e["event"] == "exec" && e["user"] == "joe")
        .unwrap_or_else(|| panic!("no exec event for joe in {events:#?}"));
    assert_eq!(exec["login"], login.as_str());
    assert!(events.iter().any(|e| e["event"] == "auth"
        && e["user"] == "joe"
        && e["error"]
            .as_str()
            .unwrap_or_default()
            .contains("nobody-here")));
}
