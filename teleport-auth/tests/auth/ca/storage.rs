//! CAs are created once, kept across restarts, and tied to the cluster's name.

use teleport_auth::ca::{authority_key, CaError, CertAuthority, CLUSTER_NAME_KEY};
use teleport_backend::SledBackend;
use teleport_core::resource::CertAuthType;

use super::*;

#[tokio::test]
async fn a_second_start_loads_the_same_cas() {
    let (_fake, clock) = fake_clock();
    let backend = memory_backend(&clock);
    let first = LocalCertAuthority::load_or_create(
        backend.clone(),
        Some(CLUSTER),
        CaSignatureAlgo::Ed25519,
        clock.clone(),
    )
    .await
    .unwrap();
    // A later start with another algorithm keeps the existing keys.
    let second = LocalCertAuthority::load_or_create(
        backend.clone(),
        Some(CLUSTER),
        CaSignatureAlgo::RsaSha2_512,
        clock.clone(),
    )
    .await
    .unwrap();
    let third =
        LocalCertAuthority::load_or_create(backend.clone(), None, CaSignatureAlgo::Ed25519, clock)
            .await
            .unwrap();
    for again in [&second, &third] {
        assert_eq!(again.cluster_name(), CLUSTER);
        assert_eq!(again.ca_pin(), first.ca_pin());
        assert_eq!(again.user_ca().public_key(), first.user_ca().public_key());
        assert_eq!(again.host_ca().public_key(), first.host_ca().public_key());
        assert_eq!(again.tls_ca_pem(), first.tls_ca_pem());
    }
    assert_ne!(first.user_ca().public_key(), first.host_ca().public_key());
    for key in [
        CLUSTER_NAME_KEY.to_string(),
        authority_key(CertAuthType::User, CLUSTER),
        authority_key(CertAuthType::Host, CLUSTER),
    ] {
        backend.get(key.as_bytes()).await.unwrap();
    }
    let stored = backend
        .get(authority_key(CertAuthType::Host, CLUSTER).as_bytes())
        .await
        .unwrap();
    let text = String::from_utf8(stored.value).unwrap();
    assert!(text.contains("\"kind\":\"cert_authority\""), "{text}");
    assert!(text.contains("\"type\":\"host\""), "{text}");
    assert!(text.contains("\"tls\""), "{text}");
}

#[tokio::test]
async fn cas_survive_a_restart_on_sled() {
    let dir = tempfile::tempdir().unwrap();
    let (_fake, clock) = fake_clock();
    let (pin, user_key) = {
        let backend =
            Arc::new(SledBackend::open(dir.path().join("backend"), clock.clone()).unwrap());
        let ca = LocalCertAuthority::load_or_create(
            backend.clone(),
            None,
            CaSignatureAlgo::Ed25519,
            clock.clone(),
        )
        .await
        .unwrap();
        // No name configured: a UUID.
        uuid::Uuid::parse_str(ca.cluster_name()).unwrap();
        backend.close().await.unwrap();
        (ca.ca_pin(), ca.user_ca().public_key().clone())
    };
    let backend = Arc::new(SledBackend::open(dir.path().join("backend"), clock.clone()).unwrap());
    let ca = LocalCertAuthority::load_or_create(backend, None, CaSignatureAlgo::Ed25519, clock)
        .await
        .unwrap();
    assert_eq!(ca.ca_pin(), pin);
    assert_eq!(ca.user_ca().public_key(), &user_key);
}

#[tokio::test]
async fn renaming_the_cluster_is_refused() {
    let (_fake, clock) = fake_clock();
    let backend = memory_backend(&clock);
    LocalCertAuthority::load_or_create(
        backend.clone(),
        Some(CLUSTER),
        CaSignatureAlgo::Ed25519,
        clock.clone(),
    )
    .await
    .unwrap();
    let err = LocalCertAuthority::load_or_create(
        backend,
        Some("other.org"),
        CaSignatureAlgo::Ed25519,
        clock,
    )
    .await
    .unwrap_err();
    let CaError::ClusterRenamed { stored, configured } = &err else {
        panic!("not ClusterRenamed: {err}");
    };
    assert_eq!(
        (stored.as_str(), configured.as_str()),
        (CLUSTER, "other.org")
    );
    let message = err.to_string();
    for wanted in ["example.com", "other.org", "invalidate", "data_dir"] {
        assert!(message.contains(wanted), "{message}");
    }
}

#[tokio::test]
async fn racing_auth_servers_agree_on_one_set_of_cas() {
    let (_fake, clock) = fake_clock();
    let backend = memory_backend(&clock);
    let starts = (0..4).map(|_| {
        let backend = backend.clone();
        let clock = clock.clone();
        tokio::spawn(async move {
            LocalCertAuthority::load_or_create(backend, None, CaSignatureAlgo::Ed25519, clock)
                .await
                .unwrap()
        })
    });
    let mut cas = Vec::new();
    for start in starts {
        cas.push(start.await.unwrap());
    }
    for ca in &cas[1..] {
        assert_eq!(ca.cluster_name(), cas[0].cluster_name());
        assert_eq!(ca.ca_pin(), cas[0].ca_pin());
        assert_eq!(ca.host_ca().public_key(), cas[0].host_ca().public_key());
    }
}

#[tokio::test]
async fn a_corrupt_ca_is_reported_with_its_key() {
    let (_fake, clock) = fake_clock();
    let backend = memory_backend(&clock);
    let key = authority_key(CertAuthType::User, CLUSTER);
    backend
        .put(teleport_backend::Item::new(key.as_str(), "{not json"))
        .await
        .unwrap();
    let err =
        LocalCertAuthority::load_or_create(backend, Some(CLUSTER), CaSignatureAlgo::Ed25519, clock)
            .await
            .unwrap_err();
    assert!(
        matches!(&err, CaError::Corrupt { key: k, .. } if *k == key),
        "{err}"
    );
}

#[tokio::test]
async fn debug_output_hides_private_keys() {
    let (ca, _clock) = new_ca(CaSignatureAlgo::Ed25519).await;
    let shown = format!("{ca:?}");
    assert!(shown.contains("***"), "{shown}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
}
