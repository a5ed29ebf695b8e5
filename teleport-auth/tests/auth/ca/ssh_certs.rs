//! SSH certificates as `ssh-keygen -L` shows them.

use russh::keys::ssh_key::certificate::CertType;
use russh::keys::ssh_key::known_hosts::Marker;
use russh::keys::ssh_key::Certificate;
use russh::keys::ssh_key::{AuthorizedKeys, KnownHosts};
use teleport_auth::ca::{CaError, CertAuthority, ExportKind, HostCertRequest};
use teleport_core::resource::SystemRole;

use super::*;

/// Writes `cert` and runs `ssh-keygen -L -f` on it.
fn keygen_list(cert: &Certificate) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("id-cert.pub");
    std::fs::write(&path, cert.to_openssh().unwrap()).unwrap();
    run(
        "ssh-keygen",
        &["-L", "-f", path.to_str().unwrap()],
        dir.path(),
    )
}

/// How `ssh-keygen -L` shows an extension it does not know: the hex of the SSH string
/// holding `value` (OpenSSH wraps every non-empty extension value in a string).
fn unknown_option(name: &str, value: &str) -> String {
    let mut wrapped = (value.len() as u32).to_be_bytes().to_vec();
    wrapped.extend_from_slice(value.as_bytes());
    format!(
        "{name} UNKNOWN OPTION: {} (len {})",
        hex::encode(&wrapped),
        wrapped.len()
    )
}

fn assert_has(text: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(text.contains(w), "missing {w:?} in:\n{text}");
    }
}

async fn user_cert_as_ssh_keygen_reads_it(algo: CaSignatureAlgo, key_type: &str, signing: &str) {
    let (ca, _clock) = new_ca(algo).await;
    let client = client_key();
    let cert = ca
        .sign_user_ssh(joe_request(client.public_key()))
        .await
        .unwrap();
    let listed = keygen_list(&cert);
    assert_has(
        &listed,
        &[
            "Type: ssh-ed25519-cert-v01@openssh.com user certificate",
            "Key ID: \"joe\"",
            "Valid: from 2020-12-31T23:59:00 to 2021-01-01T12:00:00",
            "Principals: \n                root\n                joe",
            "Critical Options: (none)",
            "permit-port-forwarding",
            "permit-pty",
            &unknown_option(
                "teleport-roles",
                r#"{"version":"v1","roles":["access","editor"]}"#,
            ),
            &unknown_option("teleport-traits", r#"{"logins":["root","joe"]}"#),
            &format!(
                "Signing CA: {key_type} {}",
                fingerprint(ca.user_ca().public_key())
            ),
            signing,
        ],
    );
    assert!(!listed.contains("permit-agent-forwarding"), "{listed}");
    assert!(!listed.contains("permit-X11-forwarding"), "{listed}");

    // ssh-key checks the signature and the issuing CA too.
    let now = 1_609_459_200; // 2021-01-01T00:00:00Z
    cert.validate_at(
        now,
        &[ca.user_ca().public_key().fingerprint(HashAlg::Sha256)],
    )
    .unwrap();
    assert_eq!(cert.cert_type(), CertType::User);
    let other = client_key();
    assert!(cert
        .validate_at(now, &[other.public_key().fingerprint(HashAlg::Sha256)])
        .is_err());
}

#[tokio::test]
async fn ed25519_user_cert_reads_back_in_ssh_keygen() {
    user_cert_as_ssh_keygen_reads_it(CaSignatureAlgo::Ed25519, "ED25519", "(using ssh-ed25519)")
        .await;
}

#[tokio::test]
async fn rsa_user_cert_is_signed_with_rsa_sha2_512() {
    user_cert_as_ssh_keygen_reads_it(CaSignatureAlgo::RsaSha2_512, "RSA", "(using rsa-sha2-512)")
        .await;
}

#[tokio::test]
async fn rsa_sha2_256_is_honoured() {
    user_cert_as_ssh_keygen_reads_it(CaSignatureAlgo::RsaSha2_256, "RSA", "(using rsa-sha2-256)")
        .await;
}

#[tokio::test]
async fn host_certs_carry_teleport_principals_and_extensions() {
    for (algo, signing) in [
        (CaSignatureAlgo::Ed25519, "(using ssh-ed25519)"),
        (CaSignatureAlgo::RsaSha2_512, "(using rsa-sha2-512)"),
    ] {
        let (ca, _clock) = new_ca(algo).await;
        let host = client_key();
        let cert = ca
            .sign_host_ssh(HostCertRequest {
                public_key: host.public_key().clone(),
                host_uuid: "5a1b".into(),
                nodename: "web".into(),
                role: SystemRole::Node,
                additional_principals: vec!["10.1.2.3".into()],
                ttl: None,
            })
            .await
            .unwrap();
        let listed = keygen_list(&cert);
        assert_has(
            &listed,
            &[
                "Type: ssh-ed25519-cert-v01@openssh.com host certificate",
                "Key ID: \"5a1b.example.com\"",
                "Valid: after 2020-12-31T23:59:00",
                "5a1b.example.com\n                5a1b\n                web.example.com\n                web\n                10.1.2.3\n                localhost\n                127.0.0.1\n                ::1\n",
                &unknown_option("x-teleport-authority", "example.com"),
                &unknown_option("x-teleport-role", "Node"),
                &fingerprint(ca.host_ca().public_key()),
                signing,
            ],
        );
        assert_eq!(cert.cert_type(), CertType::Host);
        cert.validate_at(
            1_609_459_200,
            &[ca.host_ca().public_key().fingerprint(HashAlg::Sha256)],
        )
        .unwrap();
    }
}

#[tokio::test]
async fn source_address_and_agent_forwarding() {
    let (ca, _clock) = new_ca(CaSignatureAlgo::Ed25519).await;
    let mut req = joe_request(client_key().public_key());
    req.permit_agent_forwarding = true;
    req.source_ip = Some("10.0.0.0/8".into());
    let listed = keygen_list(&ca.sign_user_ssh(req).await.unwrap());
    assert_has(
        &listed,
        &["source-address 10.0.0.0/8", "permit-agent-forwarding"],
    );
}

#[tokio::test]
async fn a_user_without_logins_gets_no_certificate() {
    let (ca, _clock) = new_ca(CaSignatureAlgo::Ed25519).await;
    let mut req = joe_request(client_key().public_key());
    req.logins.clear();
    let err = ca.sign_user_ssh(req.clone()).await.unwrap_err();
    assert!(
        matches!(err, CaError::NoPrincipals { ref user } if user == "joe"),
        "{err}"
    );
    assert!(err.to_string().contains("no allowed logins"), "{err}");
    req.logins = vec![String::new()];
    assert!(matches!(
        ca.sign_user_ssh(req).await,
        Err(CaError::NoPrincipals { .. })
    ));
}

#[tokio::test]
async fn serials_are_random_and_time_comes_from_the_clock() {
    let (ca, clock) = new_ca(CaSignatureAlgo::Ed25519).await;
    let key = client_key();
    let a = ca
        .sign_user_ssh(joe_request(key.public_key()))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(3600));
    let b = ca
        .sign_user_ssh(joe_request(key.public_key()))
        .await
        .unwrap();
    assert_ne!(a.serial(), b.serial());
    assert_eq!(b.valid_after() - a.valid_after(), 3600);
    assert_eq!(a.valid_before() - a.valid_after(), 12 * 3600 + 60);
}

#[tokio::test]
async fn exported_keys_are_what_openssh_reads() {
    for algo in [CaSignatureAlgo::Ed25519, CaSignatureAlgo::RsaSha2_512] {
        let (ca, _clock) = new_ca(algo).await;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();

        let host = ca.export(ExportKind::Host);
        assert!(host.starts_with("@cert-authority *.example.com "), "{host}");
        std::fs::write(d.join("known_hosts"), &host).unwrap();
        let found = run(
            "ssh-keygen",
            &["-F", "node1.example.com", "-f", "known_hosts"],
            d,
        );
        assert!(found.contains("@cert-authority *.example.com"), "{found}");
        let entry = KnownHosts::new(&host).next().unwrap().unwrap();
        assert_eq!(entry.marker(), Some(&Marker::CertAuthority));
        assert_eq!(
            entry.public_key().key_data(),
            ca.host_ca().public_key().key_data()
        );

        let user = ca.export(ExportKind::User);
        assert!(user.starts_with("cert-authority "), "{user}");
        std::fs::write(d.join("authorized_keys"), &user).unwrap();
        let listed = run("ssh-keygen", &["-l", "-f", "authorized_keys"], d);
        assert!(
            listed.contains(&fingerprint(ca.user_ca().public_key())),
            "{listed}"
        );
        let entry = AuthorizedKeys::new(&user).next().unwrap().unwrap();
        assert!(entry.config_opts().iter().any(|o| o == "cert-authority"));

        let plain = ca.export(ExportKind::UserTrustedCaKeys);
        std::fs::write(d.join("user_ca.pub"), &plain).unwrap();
        let listed = run("ssh-keygen", &["-l", "-f", "user_ca.pub"], d);
        assert!(
            listed.contains(&fingerprint(ca.user_ca().public_key())),
            "{listed}"
        );
        assert_eq!(
            PublicKey::from_openssh(plain.trim()).unwrap().key_data(),
            ca.user_ca().public_key().key_data()
        );

        let tls = ca.export(ExportKind::Tls);
        assert!(tls.starts_with("-----BEGIN CERTIFICATE-----"), "{tls}");
        assert_eq!(tls, ca.tls_ca_pem());
    }
}
