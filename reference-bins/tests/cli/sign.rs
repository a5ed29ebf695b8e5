//! `tctl auth sign`: certificates for a user without their password, checked with
//! OpenSSH's `ssh-keygen`, capped by the role, audited, and refused to non-admins.

use std::os::unix::fs::PermissionsExt;

use teleport_core::config::CaPin;
use teleport_core::resource::SystemRole;

use super::support::*;

const ROLE: &str = "\
kind: role
version: v4
metadata:
  name: dev
spec:
  options:
    max_session_ttl: 2h
  allow:
    logins: ['{{internal.logins}}']
    node_labels:
      '*': '*'
";

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn auth_sign_writes_an_openssh_key_and_certificate_for_the_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let (config, addr) = auth_config(dir.path(), "teleport.yaml", &data_dir, "sign.example.com");
    let (_daemon, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");
    let role = dir.path().join("role.yaml");
    std::fs::write(&role, ROLE).unwrap();
    tctl_ok(&config, &["create", role.to_str().unwrap()]);
    tctl_ok(
        &config,
        &["users", "add", "joe", "--roles=dev", "--logins=joe,ops"],
    );
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();

    // --ttl=1h: the files, 0600, and what OpenSSH reads from them.
    let key = out_dir.join("joe");
    let cert = out_dir.join("joe-cert.pub");
    let written = tctl_ok(
        &config,
        &[
            "auth",
            "sign",
            "--user=joe",
            &format!("--out={}", key.display()),
            "--ttl=1h",
        ],
    );
    assert_eq!(
        written,
        format!(
            "The credentials have been written to {}, {}\n",
            key.display(),
            cert.display()
        )
    );
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&cert), 0o600);
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(
        pem.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"),
        "{pem}"
    );
    let listing = ssh_keygen_list(&cert);
    assert_eq!(listing.key_id, "joe");
    assert_eq!(listing.principals, ["joe", "ops"]);
    // valid_after is one minute in the past, as Teleport does.
    assert!(
        (3600..=3600 + 120).contains(&listing.valid_secs),
        "{listing:?}"
    );
    // The certificate is for the key beside it.
    let derived = std::process::Command::new("ssh-keygen")
        .args(["-y", "-f", key.to_str().unwrap()])
        .output()
        .expect("ssh-keygen (apt-get install openssh-client)");
    assert!(derived.status.success(), "{}", stderr(&derived));
    let public = stdout(&derived);
    let cert_line = std::fs::read_to_string(&cert).unwrap();
    let parsed = russh::keys::ssh_key::Certificate::from_openssh(cert_line.trim()).unwrap();
    let public = russh::keys::ssh_key::PublicKey::from_openssh(public.trim()).unwrap();
    assert_eq!(parsed.public_key(), public.key_data());

    // Existing files are kept unless --overwrite.
    let out = tctl_out(
        &config,
        &["auth", "sign", "--user=joe", "-o", key.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("exists already"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&cert).unwrap(), cert_line);

    // More than the role's max_session_ttl (2h) is capped.
    let capped = out_dir.join("capped");
    tctl_ok(
        &config,
        &[
            "auth",
            "sign",
            "--user=joe",
            &format!("--out={}", capped.display()),
            "--ttl=100h",
        ],
    );
    let listing = ssh_keygen_list(&out_dir.join("capped-cert.pub"));
    assert!(
        (7200..=7200 + 120).contains(&listing.valid_secs),
        "{listing:?}"
    );

    // --format=file: one identity file in the documented order.
    let identity = out_dir.join("joe.identity");
    tctl_ok(
        &config,
        &[
            "auth",
            "sign",
            "--user=joe",
            "--format=file",
            &format!("--out={}", identity.display()),
        ],
    );
    assert_eq!(mode(&identity), 0o600);
    let text = std::fs::read_to_string(&identity).unwrap();
    let markers = [
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "ssh-ed25519-cert-v01@openssh.com ",
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN CERTIFICATE-----",
        "@cert-authority *.sign.example.com ",
    ];
    let mut at = 0;
    for marker in markers {
        let found = text[at..]
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} missing after byte {at}:\n{text}"));
        at += found + marker.len();
    }
    assert_eq!(
        text.matches("-----BEGIN CERTIFICATE-----").count(),
        2,
        "the client certificate, then the TLS CA"
    );
    let tls_ca = tctl_ok(&config, &["auth", "export", "--type=tls"]);
    assert!(text.contains(tls_ca.trim()), "{text}");

    // Every signing is a cert.create event for joe.
    let events = cert_create_events(&data_dir, "joe");
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(
        events.iter().all(|e| e["cert_type"] == "user"),
        "{events:?}"
    );

    // An unknown user; a node's identity may not sign.
    let out = tctl_out(
        &config,
        &[
            "auth",
            "sign",
            "--user=nobody",
            "-o",
            out_dir.join("x").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nobody"), "{}", stderr(&out));
    tctl_ok(&config, &["nodes", "add", "--token=node-secret-1"]);
    let pin: CaPin = tctl_ok(&config, &["status"])
        .lines()
        .find_map(|line| line.strip_prefix("CA pin   "))
        .unwrap()
        .parse()
        .unwrap();
    let node_dir = dir.path().join("node");
    block_on(teleport_auth::api::join(&teleport_auth::api::JoinParams {
        auth_addr: &addr,
        token: "node-secret-1",
        role: SystemRole::Node,
        ca_pins: &[pin],
        data_dir: &node_dir,
        nodename: "worker1",
        host_uuid: "8c9b0c43-bc0d-4bd3-b7a5-b22a1e5e3c0a",
        additional_principals: &[],
    }))
    .unwrap();
    let node_identity = node_dir.join("identity/node/identity.json");
    let denied = out_dir.join("denied");
    let out = run(
        TCTL,
        &[
            "--auth-server",
            &addr,
            "-i",
            node_identity.to_str().unwrap(),
            "auth",
            "sign",
            "--user=joe",
            "-o",
            denied.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("access denied"), "{err}");
    assert!(err.contains("Node"), "{err}");
    assert!(!denied.exists());
    assert_eq!(cert_create_events(&data_dir, "joe").len(), 3);
}
