//! Who may call what: anonymous callers, wrong roles, foreign and expired client
//! certificates, no common protocol, malformed requests; and that every refusal but
//! the malformed requests' is in the audit log as an `auth` (T3007W) event.

use std::sync::Arc;

use teleport_auth::api::{issue_admin_identity, ApiError, AuthClient, Identity, Trust, ADMIN_USER};
use teleport_auth::ca::{
    CertAuthority, ExportKind, LocalCertAuthority, TlsCertRequest, TlsIdentity, TlsPublicKey,
    TlsUsage,
};
use teleport_backend::MemoryBackend;
use teleport_core::config::CaSignatureAlgo;
use teleport_core::resource::SystemRole;
use teleport_core::{Clock, FakeClock, SystemClock};

use super::fixture::{mode, system_clock, Captured, Cluster, CLUSTER};

/// A node identity issued directly by the CA (as a join would).
pub(super) async fn node_identity(ca: &LocalCertAuthority, uuid: &str) -> Identity {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = ca
        .sign_tls(TlsCertRequest {
            public_key: TlsPublicKey::SpkiPem(key.public_key_pem()),
            identity: TlsIdentity {
                username: format!("{uuid}.{CLUSTER}"),
                roles: Vec::new(),
                system_role: Some("Node".into()),
                cluster_name: CLUSTER.into(),
                logins: Vec::new(),
                expires: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
            },
            usage: TlsUsage::Client,
            dns_names: Vec::new(),
            ip_addrs: Vec::new(),
        })
        .await
        .unwrap();
    identity_of(ca, SystemRole::Node, uuid, key, cert)
}

fn identity_of(
    ca: &LocalCertAuthority,
    role: SystemRole,
    uuid: &str,
    key: rcgen::KeyPair,
    cert: String,
) -> Identity {
    Identity {
        host_uuid: uuid.into(),
        nodename: String::new(),
        role,
        cluster_name: ca.cluster_name().into(),
        ssh_private_key: None,
        ssh_cert: None,
        tls_private_key: key.serialize_pem(),
        tls_cert: cert,
        tls_ca: ca.tls_ca_pem().into(),
        ssh_host_ca: String::new(),
        ssh_user_ca: String::new(),
    }
}

/// The call fails at the TLS level: at connect, or at the first request.
async fn assert_refused(cluster: &Cluster, identity: &Identity) {
    match AuthClient::connect(&cluster.addr, Some(identity), cluster.ca_trust()).await {
        Err(err) => assert!(matches!(err, ApiError::Tls { .. }), "{err}"),
        Ok(client) => {
            let err = client.status().await.unwrap_err();
            assert!(matches!(err, ApiError::Tls { .. }), "{err}");
        }
    }
    // The server keeps serving others.
    cluster.admin_client().await.status().await.unwrap();
}

#[tokio::test]
async fn admin_routes_need_the_admin_role() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;
    let status = admin.status().await.unwrap();
    assert_eq!(status.cluster_name, CLUSTER);
    assert_eq!(status.ca_pin, cluster.ca.ca_pin());
    assert_eq!(status.user_ca_rotation, "never updated");
    assert_eq!(status.host_ca_rotation, "never updated");

    // Anonymous: 401.
    let anonymous = AuthClient::connect(&cluster.addr, None, cluster.ca_trust())
        .await
        .unwrap();
    for err in [
        anonymous.status().await.unwrap_err(),
        anonymous.list_tokens().await.unwrap_err(),
        anonymous.list_nodes().await.unwrap_err(),
    ] {
        assert!(matches!(err, ApiError::Unauthorized { .. }), "{err}");
    }
    // Each 401 is audited with the route and the reason; no user is known.
    for route in ["GET /v1/status", "GET /v1/tokens", "GET /v1/presence/nodes"] {
        let refusal = cluster
            .audit
            .wait_for_refusal(&[route, "401 Unauthorized", "needs a client certificate"])
            .await;
        assert_eq!(refusal.user.user, "");
        assert!(refusal.connection.remote_addr.starts_with("127.0.0.1:"));
        assert_eq!(refusal.connection.local_addr, cluster.addr);
    }
    assert_eq!(cluster.audit.refusals().len(), 3);

    // A node: 403 naming the role and the route.
    let node = cluster
        .client_as(&node_identity(&cluster.ca, "node-1").await)
        .await;
    match node.status().await.unwrap_err() {
        ApiError::Forbidden { role, route } => {
            assert_eq!(role, "Node");
            assert_eq!(route, "GET /v1/status");
        }
        other => panic!("expected 403, got {other}"),
    }
    for err in [
        node.list_tokens().await.unwrap_err(),
        node.add_token(vec![SystemRole::Node], None, None)
            .await
            .unwrap_err(),
        node.delete_token("whatever").await.unwrap_err(),
        node.list_nodes().await.unwrap_err(),
        node.export(ExportKind::Tls).await.unwrap_err(),
    ] {
        assert!(matches!(err, ApiError::Forbidden { .. }), "{err}");
    }
    // Each 403 is audited with the node's user, the route and the reason.
    for route in [
        "GET /v1/status",
        "GET /v1/tokens",
        "POST /v1/tokens",
        "GET /v1/presence/nodes",
        "GET /v1/authorities/tls/export",
    ] {
        let refusal = cluster
            .audit
            .wait_for_refusal(&[route, "403 Forbidden", "role Node may not use"])
            .await;
        assert_eq!(refusal.user.user, format!("node-1.{CLUSTER}"));
        assert!(refusal.connection.remote_addr.starts_with("127.0.0.1:"));
    }
    // The token in a refused path is not written to the audit log.
    let refusal = cluster
        .audit
        .wait_for_refusal(&["DELETE /v1/tokens/{token}", "403 Forbidden"])
        .await;
    assert!(!refusal.status.error.contains("whatever"), "{refusal:?}");
    assert_eq!(cluster.audit.refusals().len(), 3 + 6);
    // The admin's successful calls are not audited as refusals.
    assert!(cluster
        .audit
        .refusals()
        .iter()
        .all(|event| !format!("{event:?}").contains(ADMIN_USER)));
}

#[tokio::test]
async fn tokens_and_exports_for_the_admin() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;
    let token = admin
        .add_token(vec![SystemRole::Node, SystemRole::Proxy], None, None)
        .await
        .unwrap();
    let listed = admin.list_tokens().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].token, token.token);
    admin.delete_token(&token.token).await.unwrap();
    assert!(admin.list_tokens().await.unwrap().is_empty());
    let err = admin.delete_token(&token.token).await.unwrap_err();
    assert!(matches!(err, ApiError::NotFound { .. }), "{err}");
    let err = admin
        .add_token(vec![SystemRole::Admin], None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::BadRequest { .. }), "{err}");

    assert_eq!(
        admin.export(ExportKind::Tls).await.unwrap(),
        cluster.ca.tls_ca_pem()
    );
    assert!(admin
        .export(ExportKind::Host)
        .await
        .unwrap()
        .starts_with("@cert-authority *.example.com"));
    assert_eq!(
        admin.export(ExportKind::User).await.unwrap(),
        cluster.ca.export(ExportKind::User)
    );
}

#[tokio::test]
async fn the_admin_identity_is_stored_privately() {
    let cluster = Cluster::start().await;
    let dir = Identity::dir(cluster.data_dir.path(), SystemRole::Admin);
    assert!(dir.ends_with("identity/admin"));
    assert_eq!(mode(&dir.join("identity.json")), 0o600);
    assert_eq!(mode(&dir), 0o700);
    let loaded = Identity::load(cluster.data_dir.path(), SystemRole::Admin)
        .unwrap()
        .unwrap();
    assert_eq!(loaded, cluster.admin);
    let tls = loaded.tls_identity().unwrap();
    assert_eq!(tls.username, ADMIN_USER);
    assert_eq!(tls.system_role.as_deref(), Some("Admin"));
    assert!(!format!("{loaded:?}").contains("PRIVATE KEY"));
}

#[tokio::test]
async fn a_client_certificate_from_another_cluster_is_refused() {
    let cluster = Cluster::start().await;
    let backend = Arc::new(MemoryBackend::new(system_clock()));
    let other = LocalCertAuthority::load_or_create(
        backend,
        Some(CLUSTER),
        CaSignatureAlgo::Ed25519,
        system_clock(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let forged = issue_admin_identity(&other, dir.path(), &SystemClock)
        .await
        .unwrap();
    assert_refused(&cluster, &forged).await;
    let refusal = cluster
        .audit
        .wait_for_refusal(&["TLS handshake refused", "invalid peer certificate"])
        .await;
    // Same cluster name, so same issuer name: the signature is what gives it away.
    assert!(
        ["BadSignature", "UnknownIssuer"]
            .iter()
            .any(|why| refusal.status.error.contains(why)),
        "{refusal:?}"
    );
    assert!(refusal.connection.remote_addr.starts_with("127.0.0.1:"));
}

#[tokio::test]
async fn an_expired_client_certificate_is_refused() {
    let cluster = Cluster::start().await;
    // The same CA, with a clock ten days behind: its certificate expired nine days ago.
    let past = FakeClock::new(time::OffsetDateTime::now_utc() - time::Duration::days(10));
    let past_ca = LocalCertAuthority::load_or_create(
        cluster.backend.clone(),
        Some(CLUSTER),
        CaSignatureAlgo::Ed25519,
        Arc::new(past.clone()),
    )
    .await
    .unwrap();
    assert_eq!(past_ca.ca_pin(), cluster.ca.ca_pin());
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = past_ca
        .sign_tls_sync(&TlsCertRequest {
            public_key: TlsPublicKey::SpkiPem(key.public_key_pem()),
            identity: TlsIdentity {
                username: ADMIN_USER.into(),
                roles: Vec::new(),
                system_role: Some("Admin".into()),
                cluster_name: CLUSTER.into(),
                logins: Vec::new(),
                expires: past.now() + time::Duration::days(1),
            },
            usage: TlsUsage::Client,
            dns_names: Vec::new(),
            ip_addrs: Vec::new(),
        })
        .unwrap();
    let expired = identity_of(&past_ca, SystemRole::Admin, ADMIN_USER, key, cert);
    assert_refused(&cluster, &expired).await;
    let refusal = cluster
        .audit
        .wait_for_refusal(&["TLS handshake refused", "invalid peer certificate"])
        .await;
    assert!(
        refusal.status.error.to_lowercase().contains("expired"),
        "{refusal:?}"
    );
    assert!(refusal.connection.remote_addr.starts_with("127.0.0.1:"));
}

#[tokio::test]
async fn a_client_with_no_common_protocol_is_refused() {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, ServerName};

    let cluster = Cluster::start().await;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cluster.ca.tls_ca_pem().as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    // The server speaks only HTTP/1.1.
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(&cluster.addr).await.unwrap();
    let err = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NoApplicationProtocol"), "{err}");
    let refusal = cluster
        .audit
        .wait_for_refusal(&["TLS handshake refused"])
        .await;
    assert!(refusal.status.error.contains("protocol"), "{refusal:?}");
    cluster.admin_client().await.status().await.unwrap();
}

#[tokio::test]
async fn a_failing_audit_sink_costs_a_warning_not_the_server() {
    let cluster = Cluster::start().await;
    cluster.audit.set_failing(true);
    let anonymous = AuthClient::connect(&cluster.addr, None, cluster.ca_trust())
        .await
        .unwrap();
    let err = anonymous.status().await.unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized { .. }), "{err}");
    let node = cluster
        .client_as(&node_identity(&cluster.ca, "node-1").await)
        .await;
    let err = node.status().await.unwrap_err();
    assert!(matches!(err, ApiError::Forbidden { .. }), "{err}");
    // The refusals stand, and the server keeps serving.
    anonymous.ping().await.unwrap();
    cluster.admin_client().await.status().await.unwrap();
    cluster.audit.set_failing(false);
    anonymous.status().await.unwrap_err();
    cluster
        .audit
        .wait_for_refusal(&["GET /v1/status", "401 Unauthorized"])
        .await;
}

#[tokio::test]
async fn malformed_requests_are_400_and_the_server_keeps_serving() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;
    let err = admin
        .raw_post("/v1/tokens", b"{not json".to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::BadRequest { message } if message.contains("malformed token request")),
        "{err}"
    );
    let anonymous = AuthClient::connect(&cluster.addr, None, Trust::Pin(vec![cluster.ca.ca_pin()]))
        .await
        .unwrap();
    let err = anonymous
        .raw_post("/v1/join", br#"{"token": 5}"#.to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::BadRequest { message } if message.contains("malformed join request")),
        "{err}"
    );
    let err = anonymous
        .raw_post("/v1/join", vec![b' '; 2 * 1024 * 1024])
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::BadRequest { .. }), "{err}");
    let err = anonymous
        .raw_post("/v1/nope", b"{}".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::NotFound { .. }), "{err}");
    // Same clients, still served.
    anonymous.ping().await.unwrap();
    admin.status().await.unwrap();
    assert!(cluster.audit.joins().is_empty());
    // Ordinary 400s and 404s are not security refusals: nothing audited.
    assert!(
        cluster.audit.refusals().is_empty(),
        "{:?}",
        cluster.audit.refusals()
    );
}
