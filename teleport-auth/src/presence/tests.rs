//! Tests of [`Presence`] and the nodes table on a memory backend and a fake clock.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use teleport_backend::{Backend, MemoryBackend};
use teleport_core::resource::{CommandLabel, Server, ServerSpec};
use teleport_core::{Clock, FakeClock};

use super::*;

fn fixture() -> (FakeClock, Arc<MemoryBackend>, Presence) {
    let clock = FakeClock::default();
    let backend = Arc::new(MemoryBackend::new(Arc::new(clock.clone())));
    let presence = Presence::new(backend.clone(), Arc::new(clock.clone()));
    (clock, backend, presence)
}

fn server(id: &str, hostname: &str, addr: &str, labels: &[(&str, &str)]) -> Server {
    let spec = ServerSpec {
        hostname: hostname.into(),
        addr: addr.into(),
        ..ServerSpec::default()
    };
    let mut server = Server::named(id, spec).unwrap();
    server.metadata.labels = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    server
}

#[tokio::test]
async fn heartbeats_live_for_their_ttl() {
    let (clock, backend, presence) = fixture();
    let node = server("uuid-1", "turing", "10.0.0.5:3022", &[("distro", "ubuntu")]);
    let stored = presence
        .upsert_node(node.clone(), DEFAULT_SERVER_TTL)
        .await
        .unwrap();
    assert_eq!(
        stored.metadata.expires,
        Some(clock.now() + DEFAULT_SERVER_TTL)
    );
    assert_eq!(stored.metadata.namespace.as_deref(), Some("default"));
    let item = backend.get(b"/nodes/default/uuid-1").await.unwrap();
    assert_eq!(item.expires, stored.metadata.expires);

    assert_eq!(
        presence.list_nodes().await.unwrap(),
        std::slice::from_ref(&stored)
    );
    assert_eq!(presence.get_node("uuid-1").await.unwrap(), stored);

    clock.advance(DEFAULT_SERVER_TTL - Duration::from_secs(1));
    assert_eq!(presence.list_nodes().await.unwrap().len(), 1);
    clock.advance(Duration::from_secs(1));
    assert!(presence.list_nodes().await.unwrap().is_empty());
    let err = presence.get_node("uuid-1").await.unwrap_err();
    assert!(
        matches!(
            err,
            PresenceError::NotFound {
                kind: ServerKind::Node,
                ..
            }
        ),
        "{err}"
    );

    // The next heartbeat brings it back.
    presence
        .upsert_node(node, DEFAULT_SERVER_TTL)
        .await
        .unwrap();
    assert_eq!(presence.list_nodes().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_later_heartbeat_replaces_and_extends_the_earlier_one() {
    let (clock, _backend, presence) = fixture();
    let ttl = Duration::from_secs(60);
    presence
        .upsert_node(server("uuid-1", "a", "10.0.0.1:3022", &[]), ttl)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(50));
    presence
        .upsert_node(server("uuid-1", "a", "10.0.0.9:3022", &[]), ttl)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(50));
    let nodes = presence.list_nodes().await.unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].spec.addr, "10.0.0.9:3022");
}

#[tokio::test]
async fn proxies_auth_servers_and_nodes_are_kept_apart() {
    let (clock, backend, presence) = fixture();
    presence
        .upsert_node(
            server("n1", "node", "10.0.0.1:3022", &[]),
            DEFAULT_SERVER_TTL,
        )
        .await
        .unwrap();
    presence
        .upsert_proxy(
            server("p1", "proxy", "10.0.0.2:3023", &[]),
            DEFAULT_SERVER_TTL,
        )
        .await
        .unwrap();
    presence
        .upsert_auth_server(
            server("a1", "auth", "10.0.0.3:3025", &[]),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert!(backend.get(b"/proxies/p1").await.is_ok());
    assert!(backend.get(b"/authservers/a1").await.is_ok());
    let names = |servers: Vec<Server>| {
        servers
            .iter()
            .map(|s| s.name().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(presence.list_nodes().await.unwrap()), ["n1"]);
    assert_eq!(names(presence.list_proxies().await.unwrap()), ["p1"]);
    assert_eq!(names(presence.list_auth_servers().await.unwrap()), ["a1"]);

    clock.advance(Duration::from_secs(30));
    assert!(presence.list_auth_servers().await.unwrap().is_empty());
    presence.delete_proxy("p1").await.unwrap();
    assert!(presence.list_proxies().await.unwrap().is_empty());
    presence.delete_node("n1").await.unwrap();
    let err = presence.delete_node("n1").await.unwrap_err();
    assert!(err.to_string().contains("\"n1\" is not found"), "{err}");
}

#[tokio::test]
async fn bad_names_and_ttls_are_refused() {
    let (_clock, _backend, presence) = fixture();
    let err = presence
        .upsert_node(server("a/b", "x", "", &[]), DEFAULT_SERVER_TTL)
        .await
        .unwrap_err();
    assert!(matches!(err, PresenceError::BadName { .. }), "{err}");
    assert!(matches!(
        presence.get_node("").await,
        Err(PresenceError::BadName { .. })
    ));
    for ttl in [Duration::ZERO, Duration::from_secs(2 * 24 * 3600)] {
        let err = presence
            .upsert_node(server("ok", "x", "", &[]), ttl)
            .await
            .unwrap_err();
        assert!(matches!(err, PresenceError::BadTtl { .. }), "{err}");
    }
}

#[tokio::test]
async fn corrupt_heartbeats_are_reported() {
    let (_clock, backend, presence) = fixture();
    backend
        .put(teleport_backend::Item::new("/nodes/default/bad", "nope"))
        .await
        .unwrap();
    let err = presence.list_nodes().await.unwrap_err();
    assert!(err.to_string().contains("node \"bad\" is corrupt"), "{err}");
}

#[test]
fn the_nodes_table_looks_like_the_manual() {
    let mut turing = server(
        "d52527f9-b260-41d0-bb5a-e23b0cfe0f8f",
        "turing",
        "10.0.0.5:3022",
        &[("distro", "ubuntu"), ("env", "prod")],
    );
    turing.spec.cmd_labels = BTreeMap::from([(
        "arch".to_string(),
        CommandLabel {
            period: teleport_core::Duration::from_mins(1),
            command: vec!["uname".into(), "-m".into()],
            result: "x86_64".into(),
        },
    )]);
    let dijkstra = server(
        "c9s93fd9-3333-91d3-9999-c9s93fd98f43",
        "dijkstra",
        "10.0.0.6:3022",
        &[("distro", "debian")],
    );
    let mut tunnel = server("0000-tunnel", "behind-nat", "", &[]);
    tunnel.spec.use_tunnel = true;
    assert_eq!(
        format_nodes_table(&[turing, dijkstra, tunnel]),
        "\
Node Name  Node ID                              Address       Labels
---------  -------                              -------       ------
behind-nat 0000-tunnel                          ⟵ Tunnel
dijkstra   c9s93fd9-3333-91d3-9999-c9s93fd98f43 10.0.0.6:3022 distro=debian
turing     d52527f9-b260-41d0-bb5a-e23b0cfe0f8f 10.0.0.5:3022 arch=x86_64,distro=ubuntu,env=prod
"
    );
    assert_eq!(
        format_nodes_table(&[]),
        "Node Name Node ID Address Labels\n--------- ------- ------- ------\n"
    );
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Presence>();
    assert_send_sync::<PresenceError>();
    assert_send_sync::<ServerKind>();
}
