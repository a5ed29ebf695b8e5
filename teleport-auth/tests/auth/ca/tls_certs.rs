//! TLS certificates and the CA pin, checked with `openssl`.

use std::net::{IpAddr, Ipv4Addr};

use teleport_auth::ca::{
    ca_pin_of, pin_matches, CaError, CaPin, CertAuthority, TlsCertRequest, TlsIdentity,
    TlsPublicKey, TlsUsage,
};
use time::macros::datetime;

use super::*;

fn joe_identity() -> TlsIdentity {
    TlsIdentity {
        username: "joe".into(),
        roles: vec!["access".into(), "editor".into()],
        system_role: None,
        cluster_name: CLUSTER.into(),
        logins: vec!["root".into(), "joe".into()],
        expires: datetime!(2021-01-01 12:00 UTC),
    }
}

fn subject_key() -> (rcgen::KeyPair, Vec<u8>) {
    use rcgen::PublicKeyData as _;
    let key = rcgen::KeyPair::generate().unwrap();
    let spki = key.subject_public_key_info();
    (key, spki)
}

#[tokio::test]
async fn the_ca_pin_is_what_openssl_computes() {
    let (ca, _clock) = new_ca(CaSignatureAlgo::Ed25519).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), ca.tls_ca_pem()).unwrap();
    let sum = shell(
        "openssl x509 -in ca.pem -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum",
        dir.path(),
    );
    let hex = sum.split_whitespace().next().unwrap();
    assert_eq!(ca.ca_pin().as_str(), format!("sha256:{hex}"));
    let text = run(
        "openssl",
        &["x509", "-in", "ca.pem", "-noout", "-text"],
        dir.path(),
    );
    assert!(text.contains("CA:TRUE"), "{text}");
    assert!(text.contains("Subject: CN = example.com"), "{text}");

    let der = rustls_pem_der(ca.tls_ca_pem());
    assert_eq!(ca_pin_of(&der).unwrap(), ca.ca_pin());
    assert!(pin_matches(&[ca.ca_pin()], &der).unwrap());
    let other: CaPin = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
    assert!(!pin_matches(&[other], &der).unwrap());
}

/// The DER inside the first PEM block.
fn rustls_pem_der(pem: &str) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .unwrap()
        .1
        .contents
}

#[tokio::test]
async fn client_certs_verify_and_carry_the_identity() {
    let (ca, _clock) = new_ca(CaSignatureAlgo::Ed25519).await;
    let (_key, spki) = subject_key();
    let pem = ca
        .sign_tls(TlsCertRequest {
            public_key: TlsPublicKey::SpkiDer(spki),
            identity: joe_identity(),
            usage: TlsUsage::Client,
            dns_names: vec![],
            ip_addrs: vec![],
        })
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ca.pem"), ca.tls_ca_pem()).unwrap();
    std::fs::write(d.join("cert.pem"), &pem).unwrap();
    // The fake clock is in 2021: check at that time.
    let verified = run(
        "openssl",
        &[
            "verify",
            "-attime",
            "1609480800",
            "-purpose",
            "sslclient",
            "-CAfile",
            "ca.pem",
            "cert.pem",
        ],
        d,
    );
    assert!(verified.contains("cert.pem: OK"), "{verified}");
    let text = run(
        "openssl",
        &["x509", "-in", "cert.pem", "-noout", "-text"],
        d,
    );
    for wanted in [
        "CN = joe",
        "access",
        "editor",
        "TLS Web Client Authentication",
        "1.3.9999.1.1",
    ] {
        assert!(text.contains(wanted), "missing {wanted}: {text}");
    }

    let identity = TlsIdentity::from_certificate(&rustls_pem_der(&pem)).unwrap();
    assert_eq!(identity, joe_identity());
}

#[tokio::test]
async fn server_certs_have_names_and_a_pem_key_is_accepted() {
    let (ca, _clock) = new_ca(CaSignatureAlgo::RsaSha2_512).await;
    let (key, _spki) = subject_key();
    let identity = TlsIdentity {
        username: "5a1b.example.com".into(),
        roles: vec![],
        system_role: Some("Proxy".into()),
        cluster_name: CLUSTER.into(),
        logins: vec![],
        expires: datetime!(2022-01-01 00:00 UTC),
    };
    let request = TlsCertRequest {
        public_key: TlsPublicKey::SpkiPem(key.public_key_pem()),
        identity: identity.clone(),
        usage: TlsUsage::ClientAndServer,
        dns_names: vec!["proxy.example.com".into()],
        ip_addrs: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
    };
    let pem = ca.sign_tls(request.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ca.pem"), ca.tls_ca_pem()).unwrap();
    std::fs::write(d.join("cert.pem"), &pem).unwrap();
    let verified = run(
        "openssl",
        &[
            "verify",
            "-attime",
            "1609480800",
            "-purpose",
            "sslserver",
            "-CAfile",
            "ca.pem",
            "cert.pem",
        ],
        d,
    );
    assert!(verified.contains("OK"), "{verified}");
    let text = run(
        "openssl",
        &["x509", "-in", "cert.pem", "-noout", "-text"],
        d,
    );
    for wanted in [
        "DNS:proxy.example.com",
        "IP Address:127.0.0.1",
        "OU = Proxy",
    ] {
        assert!(text.contains(wanted), "missing {wanted}: {text}");
    }
    assert_eq!(
        TlsIdentity::from_certificate(&rustls_pem_der(&pem)).unwrap(),
        identity
    );

    // A server certificate without names, an expired identity and a bad key are refused.
    let mut nameless = request.clone();
    nameless.usage = TlsUsage::Server;
    nameless.dns_names.clear();
    nameless.ip_addrs.clear();
    assert!(matches!(
        ca.sign_tls(nameless).await,
        Err(CaError::InvalidRequest(_))
    ));
    let mut expired = request.clone();
    expired.identity.expires = datetime!(2020-01-01 00:00 UTC);
    assert!(matches!(
        ca.sign_tls(expired).await,
        Err(CaError::InvalidRequest(_))
    ));
    let mut bad = request;
    bad.public_key = TlsPublicKey::SpkiDer(b"junk".to_vec());
    assert!(matches!(
        ca.sign_tls(bad).await,
        Err(CaError::BadPublicKey(_))
    ));
}

#[test]
fn foreign_certificates_have_no_identity() {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["x".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    assert!(matches!(
        TlsIdentity::from_certificate(cert.der()),
        Err(CaError::BadCertificate(_))
    ));
    assert!(matches!(
        TlsIdentity::from_certificate(b"junk"),
        Err(CaError::BadCertificate(_))
    ));
}
