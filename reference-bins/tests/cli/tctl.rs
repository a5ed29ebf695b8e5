//! `tctl` on the auth host and from elsewhere.

use super::support::*;

#[test]
fn tctl_on_the_auth_host_reports_status_manages_tokens_and_exports_cas() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("teleport.yaml");
    std::fs::write(
        &config,
        format!(
            "teleport:\n  data_dir: {}\nauth_service:\n  cluster_name: tctl.example.com\n  \
             listen_addr: 127.0.0.1:{}\n  tokens:\n  - \"proxy,node:static-secret-value\"\n{SSH_OFF}",
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
