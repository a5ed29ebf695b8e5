//! A node joining the cluster with `teleport start --roles=node --token --ca-pin`.

use super::support::*;

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
    let node_port = free_port();
    let node_config = dir.path().join("node.yaml");
    std::fs::write(
        &node_config,
        format!(
            "teleport:\n  nodename: worker1\n  data_dir: {}\nssh_service:\n  listen_addr: 127.0.0.1:{node_port}\n  labels:\n    env: test\n",
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
    wait_for_line(&mut node_log, "ssh service started");

    // OpenSSH reaches the joined node with a certificate from the auth server; the
    // node reads the user's roles and writes its audit events through the auth API.
    let login = current_user();
    let auth = auth_config.as_path();
    let key = joe_with_certificate(auth, dir.path(), &login);
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(
        &known_hosts,
        tctl_ok(auth, &["auth", "export", "--type=host"]),
    )
    .unwrap();
    let alias = "worker1.join.example.com";
    let out = ssh(&known_hosts, node_port, &key, alias, &login, "echo joined");
    assert!(out.status.success(), "ssh failed: {}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "joined");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !audit_events(&dir.path().join("auth"))
        .iter()
        .any(|e| e["event"] == "exec" && e["user"] == "joe" && e["server_hostname"] == "worker1")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the node's exec event never reached the auth server's audit log"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
