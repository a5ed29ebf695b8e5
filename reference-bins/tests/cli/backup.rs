//! The manual's "Backup and Restore" / "Migrating backends": `tctl get all
//! --with-secrets > state.yaml` on the old auth server, `teleport start --bootstrap
//! state.yaml` on a fresh one, and everything (CAs, users with their passwords and
//! TOTP devices, roles) carries over.

use russh::keys::ssh_key::{Certificate, HashAlg, PublicKey};
use teleport_auth::api::LoginRequest;
use teleport_core::resource::{read_resources, CertAuthType, Kind, Resource};

use super::support::*;

const CLUSTER: &str = "backup.example.com";
const PASSWORD: &str = "restore me please";

const ROLE: &str = "\
kind: role
version: v4
metadata:
  name: deployer
spec:
  options:
    max_session_ttl: 8h
  allow:
    logins: ['{{internal.logins}}', deploy]
    node_labels:
      env: prod
";

/// The user CA's SSH key, from `tctl auth export --type=user`
/// (`cert-authority <type> <base64> clustername=...`).
fn exported_user_ca(config: &std::path::Path) -> PublicKey {
    let text = tctl_ok(config, &["auth", "export", "--type=user"]);
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(fields[0], "cert-authority", "{text}");
    PublicKey::from_openssh(&format!("{} {}", fields[1], fields[2])).unwrap()
}

#[test]
fn a_backup_restores_into_a_fresh_auth_server_with_bootstrap() {
    let dir = tempfile::tempdir().unwrap();

    // The old cluster: a custom role, a user with a password and TOTP, a certificate.
    let (config_a, addr_a) = auth_config(dir.path(), "a.yaml", &dir.path().join("a"), CLUSTER);
    let (mut daemon_a, mut log_a) = start_daemon(&config_a);
    wait_for_line(&mut log_a, "Teleport process started");
    let role = dir.path().join("role.yaml");
    std::fs::write(&role, ROLE).unwrap();
    tctl_ok(&config_a, &["create", role.to_str().unwrap()]);
    let joe = add_user_with_password(
        &config_a,
        &addr_a,
        "joe",
        &["--roles=deployer", "--logins=joe,web"],
        PASSWORD,
    );
    let old_key = dir.path().join("joe");
    tctl_ok(
        &config_a,
        &[
            "auth",
            "sign",
            "--user=joe",
            "-o",
            old_key.to_str().unwrap(),
            "--ttl=1h",
        ],
    );
    let old_cert_path = dir.path().join("joe-cert.pub");
    let old_cert_line = std::fs::read_to_string(&old_cert_path).unwrap();
    let old_user_ca = exported_user_ca(&config_a);

    // tctl get all --with-secrets > state.yaml; then the old server goes away.
    let state_text = tctl_ok(&config_a, &["get", "all", "--with-secrets"]);
    let state = dir.path().join("state.yaml");
    std::fs::write(&state, &state_text).unwrap();
    stop_daemon(&mut daemon_a);
    drop(log_a);

    // The fresh server, same cluster name, bootstrapped from the backup.
    let (config_b, addr_b) = auth_config(dir.path(), "b.yaml", &dir.path().join("b"), CLUSTER);
    let bootstrap_flag = format!("--bootstrap={}", state.display());
    let (mut daemon_b, mut log_b) = start_daemon_with(&config_b, &[&bootstrap_flag]);
    let seen = wait_for_line(&mut log_b, "Teleport process started");
    assert!(
        seen.contains("backend bootstrapped from the backup"),
        "{seen}"
    );

    // tctl get all on B: the user, the role and both CAs.
    let restored = read_resources(&tctl_ok(&config_b, &["get", "all"]), "get all").unwrap();
    let has = |kind: Kind, name: &str| {
        restored
            .iter()
            .any(|r| r.kind() == kind && r.name() == name)
    };
    assert!(has(Kind::User, "joe"), "{restored:?}");
    assert!(has(Kind::Role, "deployer"), "{restored:?}");
    let cas: Vec<CertAuthType> = restored
        .iter()
        .filter_map(|r| match r {
            Resource::CertAuthority(ca) if ca.spec.cluster_name == CLUSTER => Some(ca.spec.ca_type),
            _ => None,
        })
        .collect();
    assert_eq!(cas, [CertAuthType::Host, CertAuthType::User]);
    let Some(Resource::Role(deployer)) = restored
        .iter()
        .find(|r| r.kind() == Kind::Role && r.name() == "deployer")
    else {
        panic!("no deployer role")
    };
    assert_eq!(deployer.spec.options.max_session_ttl.to_string(), "8h0m0s");
    let status = tctl_ok(&config_b, &["status"]);
    assert!(status.contains(&format!("Cluster  {CLUSTER}")), "{status}");

    // The same user CA, so the old certificate validates against B's CA...
    let new_user_ca = exported_user_ca(&config_b);
    assert_eq!(new_user_ca.key_data(), old_user_ca.key_data());
    let fingerprint = new_user_ca.fingerprint(HashAlg::Sha256);
    let old_cert = Certificate::from_openssh(old_cert_line.trim()).unwrap();
    old_cert.validate([&fingerprint]).unwrap();
    assert_eq!(old_cert.key_id(), "joe");
    // ...and OpenSSH agrees on who signed it.
    assert_eq!(
        ssh_keygen_list(&old_cert_path).signing_ca,
        fingerprint.to_string()
    );

    // joe logs in to B with the old password and a fresh code of the old device.
    let tls_ca = tctl_ok(&config_b, &["auth", "export", "--type=tls"]);
    block_on(async {
        let client = anonymous_client(&addr_b, &tls_ca).await;
        let (code, _) = fresh_totp(&joe.totp_secret, joe.used_step);
        let request = |password: &str, otp: &str| LoginRequest {
            username: "joe".into(),
            password: password.into(),
            otp: Some(otp.into()),
            ssh_public_key: new_ssh_public_key(),
            tls_public_key: None,
            ttl_secs: None,
        };
        let wrong = client.login(&request("not the password", &code)).await;
        assert!(wrong.is_err(), "a wrong password is refused: {wrong:?}");
        let certs = client.login(&request(PASSWORD, &code)).await.unwrap();
        assert_eq!(certs.username, "joe");
        let mut logins = certs.logins.clone();
        logins.sort();
        assert_eq!(logins, ["deploy", "joe", "web"]);
        let cert = Certificate::from_openssh(certs.ssh_cert.trim()).unwrap();
        cert.validate([&fingerprint]).unwrap();
        // Capped by the restored role's max_session_ttl (8h), not the default 12h.
        let lifetime = cert.valid_before() - cert.valid_after();
        assert!(
            (8 * 3600..=8 * 3600 + 120).contains(&lifetime),
            "{lifetime}"
        );
    });

    // Another cluster name with the same backup: refused, naming both names.
    let (config_c, _) = auth_config(
        dir.path(),
        "c.yaml",
        &dir.path().join("c"),
        "other.example.com",
    );
    let out = run_with_timeout(
        TELEPORT,
        &[
            "start",
            "--config",
            config_c.to_str().unwrap(),
            &bootstrap_flag,
        ],
        std::time::Duration::from_secs(30),
    );
    assert!(!out.status.success(), "C must not start");
    let err = stderr(&out);
    assert!(
        err.contains(CLUSTER) && err.contains("other.example.com"),
        "{err}"
    );

    // Restarting B with the flag left in place: ignored, and the state is B's own.
    stop_daemon(&mut daemon_b);
    drop(log_b);
    let (_daemon_b, mut log_b) = start_daemon_with(&config_b, &[&bootstrap_flag]);
    let seen = wait_for_line(&mut log_b, "Teleport process started");
    assert!(seen.contains("--bootstrap ignored"), "{seen}");
    assert!(!seen.contains("backend bootstrapped"), "{seen}");
    tctl_ok(&config_b, &["get", "user/joe"]);
}
