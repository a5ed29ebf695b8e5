//! Joining: dynamic tokens, CA pins, stored identities.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use russh::keys::ssh_key::certificate::CertType;
use russh::keys::ssh_key::Certificate;
use teleport_auth::api::{join, ApiError, AuthClient, Identity, JoinParams, Trust};
use teleport_auth::ca::{CertAuthority, LocalCertAuthority};
use teleport_backend::MemoryBackend;
use teleport_core::config::{CaPin, CaSignatureAlgo};
use teleport_core::resource::{Server, ServerSpec, SystemRole};

use super::fixture::{mode, system_clock, Captured, Cluster, CLUSTER};

const NODE_UUID: &str = "5b0f2b0c-6f55-4c4e-9d3c-2a7e8f1e6b11";

fn params<'a>(
    addr: &'a str,
    token: &'a str,
    role: SystemRole,
    pins: &'a [CaPin],
    data_dir: &'a Path,
) -> JoinParams<'a> {
    JoinParams {
        auth_addr: addr,
        token,
        role,
        ca_pins: pins,
        data_dir,
        nodename: "turing",
        host_uuid: NODE_UUID,
        additional_principals: &[],
    }
}

fn server(name: &str) -> Server {
    let spec = ServerSpec {
        hostname: "turing".into(),
        addr: "127.0.0.1:3022".into(),
        ..ServerSpec::default()
    };
    Server::named(name, spec).unwrap()
}

async fn other_cluster_pin() -> CaPin {
    let backend = Arc::new(MemoryBackend::new(system_clock()));
    let other = LocalCertAuthority::load_or_create(
        backend,
        Some("evil.example.com"),
        CaSignatureAlgo::Ed25519,
        system_clock(),
    )
    .await
    .unwrap();
    other.ca_pin()
}

#[tokio::test]
async fn node_joins_with_pin_then_restarts_without_token() {
    let mut cluster = Cluster::start().await;
    let anonymous = AuthClient::connect(&cluster.addr, None, cluster.ca_trust())
        .await
        .unwrap();
    let ping = anonymous.ping().await.unwrap();
    assert_eq!(ping.cluster_name, CLUSTER);
    assert_eq!(ping.ca_pin, cluster.ca.ca_pin());

    let admin = cluster.admin_client().await;
    let token = admin
        .add_token(vec![SystemRole::Node], Some(Duration::from_secs(300)), None)
        .await
        .unwrap();
    assert_eq!(token.roles, [SystemRole::Node]);
    assert!(!format!("{token:?}").contains(&token.token));

    let node_dir = tempfile::tempdir().unwrap();
    let pins = [ping.ca_pin.clone()];
    let identity = join(&params(
        &cluster.addr,
        &token.token,
        SystemRole::Node,
        &pins,
        node_dir.path(),
    ))
    .await
    .unwrap();
    assert_eq!(identity.cluster_name, CLUSTER);
    assert_eq!(identity.role, SystemRole::Node);

    // Stored, private.
    let dir = Identity::dir(node_dir.path(), SystemRole::Node);
    assert_eq!(mode(&dir.join("identity.json")), 0o600);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&node_dir.path().join("identity")), 0o700);

    // The host certificate says who the node is.
    let cert = Certificate::from_openssh(identity.ssh_cert.as_deref().unwrap()).unwrap();
    assert_eq!(cert.cert_type(), CertType::Host);
    let principals = cert.valid_principals();
    assert!(
        principals.contains(&format!("{NODE_UUID}.{CLUSTER}")),
        "{principals:?}"
    );
    assert!(principals.contains(&"turing".to_string()), "{principals:?}");
    let tls = identity.tls_identity().unwrap();
    assert_eq!(tls.username, format!("{NODE_UUID}.{CLUSTER}"));
    assert_eq!(tls.system_role.as_deref(), Some("Node"));
    assert!(identity.ssh_host_ca.starts_with("@cert-authority"));

    // The join was audited, token masked.
    let joins = cluster.audit.joins();
    assert_eq!(joins.len(), 1);
    assert!(joins[0].status.success);
    assert_eq!(joins[0].host_id, NODE_UUID);
    assert!(!joins[0].token_name.contains(&token.token));

    // The node heartbeats as itself, but not as another node.
    let node = cluster.client_as(&identity).await;
    let stored = node.heartbeat_node(server(NODE_UUID), None).await.unwrap();
    assert!(stored.metadata.expires.is_some());
    let err = node
        .heartbeat_node(server("someone-else"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ApiError::Forbidden { role, .. } if role == "Node"),
        "{err}"
    );
    // ... and that refusal is audited, naming the node, the route and the reason.
    let refusal = cluster
        .audit
        .wait_for_refusal(&[
            "POST /v1/presence/nodes",
            "403 Forbidden",
            "may only announce itself",
        ])
        .await;
    assert_eq!(refusal.user.user, format!("{NODE_UUID}.{CLUSTER}"));
    assert!(refusal.connection.remote_addr.starts_with("127.0.0.1:"));
    let nodes = admin.list_nodes().await.unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].name(), NODE_UUID);

    // Restart: the stored identity is used, no token, no network (the old port is
    // closed).
    let old_addr = cluster.addr.clone();
    cluster.restart().await;
    assert_eq!(cluster.ca.ca_pin(), ping.ca_pin);
    let again = join(&params(
        &old_addr,
        "no-token-needed",
        SystemRole::Node,
        &pins,
        node_dir.path(),
    ))
    .await
    .unwrap();
    assert_eq!(again, identity);
    assert_eq!(cluster.audit.joins().len(), 1);
    let node = AuthClient::connect(&cluster.addr, Some(&again), again.trust())
        .await
        .unwrap();
    node.heartbeat_node(server(NODE_UUID), Some(Duration::from_secs(60)))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_wrong_pin_refuses_the_server_before_the_token_is_sent() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;
    let token = admin
        .add_token(vec![SystemRole::Node], None, None)
        .await
        .unwrap();
    let node_dir = tempfile::tempdir().unwrap();
    let wrong = [other_cluster_pin().await];
    let err = join(&params(
        &cluster.addr,
        &token.token,
        SystemRole::Node,
        &wrong,
        node_dir.path(),
    ))
    .await
    .unwrap_err();
    match &err {
        ApiError::PinMismatch { expected, got } => {
            assert_eq!(expected, &wrong);
            assert_eq!(got, &cluster.ca.ca_pin());
        }
        other => panic!("expected a pin mismatch, got {other}"),
    }
    assert!(err.to_string().contains("no join token was sent"), "{err}");
    // The auth server never saw a join attempt, and nothing was stored.
    assert!(cluster.audit.joins().is_empty());
    assert!(Identity::load(node_dir.path(), SystemRole::Node)
        .unwrap()
        .is_none());
    // A direct connect with the wrong pin fails the same way.
    let err = AuthClient::connect(&cluster.addr, None, Trust::Pin(wrong.to_vec()))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::PinMismatch { .. }), "{err}");
}

#[tokio::test]
async fn an_expired_token_is_refused_and_audited() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;
    let token = admin
        .add_token(vec![SystemRole::Node], Some(Duration::from_secs(60)), None)
        .await
        .unwrap();
    cluster.token_clock.advance(Duration::from_secs(120));
    let node_dir = tempfile::tempdir().unwrap();
    let pins = [cluster.ca.ca_pin()];
    let err = join(&params(
        &cluster.addr,
        &token.token,
        SystemRole::Node,
        &pins,
        node_dir.path(),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(&err, ApiError::AccessDenied { message } if message.contains("expired")),
        "{err}"
    );
    assert!(!err.to_string().contains(&token.token));
    let joins = cluster.audit.joins();
    assert_eq!(joins.len(), 1);
    assert!(!joins[0].status.success);
    assert!(joins[0].status.error.contains("expired"));
    assert!(Identity::load(node_dir.path(), SystemRole::Node)
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_token_for_another_role_is_refused() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;
    let token = admin
        .add_token(vec![SystemRole::Proxy], None, None)
        .await
        .unwrap();
    let node_dir = tempfile::tempdir().unwrap();
    let pins = [cluster.ca.ca_pin()];
    let err = join(&params(
        &cluster.addr,
        &token.token,
        SystemRole::Node,
        &pins,
        node_dir.path(),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(&err, ApiError::AccessDenied { message } if message.contains("does not allow joining as Node")),
        "{err}"
    );
    assert!(!cluster.audit.joins()[0].status.success);

    // The same token lets a proxy join, and the proxy heartbeats as itself.
    let proxy = join(&params(
        &cluster.addr,
        &token.token,
        SystemRole::Proxy,
        &pins,
        node_dir.path(),
    ))
    .await
    .unwrap();
    assert_eq!(
        proxy.tls_identity().unwrap().system_role.as_deref(),
        Some("Proxy")
    );
    let client = cluster.client_as(&proxy).await;
    client
        .heartbeat_proxy(server(NODE_UUID), None)
        .await
        .unwrap();
    assert_eq!(client.list_proxies().await.unwrap().len(), 1);
    // A proxy may list nodes but not announce one.
    client.list_nodes().await.unwrap();
    let err = client
        .heartbeat_node(server(NODE_UUID), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Forbidden { .. }), "{err}");
}

#[tokio::test]
async fn joining_without_a_pin_works_with_a_warning() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;
    let token = admin
        .add_token(
            vec![SystemRole::Node],
            None,
            Some("my-own-token-value".into()),
        )
        .await
        .unwrap();
    assert_eq!(token.token, "my-own-token-value");
    let node_dir = tempfile::tempdir().unwrap();
    let identity = join(&params(
        &cluster.addr,
        &token.token,
        SystemRole::Node,
        &[],
        node_dir.path(),
    ))
    .await
    .unwrap();
    assert_eq!(identity.tls_ca, cluster.ca.tls_ca_pem());
    assert!(teleport_auth::api::NO_PIN_WARNING.contains("--ca-pin"));
}
