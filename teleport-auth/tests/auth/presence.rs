//! Heartbeat scenarios on a sled backend (declared from `tokens.rs`).

use std::sync::Arc;
use std::time::Duration;

use teleport_auth::presence::{format_nodes_table, Presence, DEFAULT_SERVER_TTL};
use teleport_backend::{Backend, SledBackend};
use teleport_core::resource::{Server, ServerSpec};
use teleport_core::{FakeClock, SharedClock};

fn node(id: &str, hostname: &str, addr: &str) -> Server {
    let spec = ServerSpec {
        hostname: hostname.into(),
        addr: addr.into(),
        ..ServerSpec::default()
    };
    let mut node = Server::named(id, spec).unwrap();
    node.metadata
        .labels
        .insert("distro".into(), "ubuntu".into());
    node
}

#[tokio::test]
async fn heartbeats_survive_a_restart_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::default();
    let shared: SharedClock = Arc::new(clock.clone());
    let open = || SledBackend::open(dir.path().join("backend"), shared.clone()).unwrap();

    let backend = Arc::new(open());
    let presence = Presence::new(backend.clone(), shared.clone());
    presence
        .upsert_node(
            node("d52527f9", "turing", "10.0.0.5:3022"),
            DEFAULT_SERVER_TTL,
        )
        .await
        .unwrap();
    presence
        .upsert_proxy(node("p-1", "proxy", "10.0.0.9:3023"), DEFAULT_SERVER_TTL)
        .await
        .unwrap();
    backend.close().await.unwrap();
    drop(presence);

    let backend = Arc::new(open());
    let presence = Presence::new(backend.clone(), shared.clone());
    assert_eq!(
        format_nodes_table(&presence.list_nodes().await.unwrap()),
        "Node Name Node ID  Address       Labels\n\
         --------- -------  -------       ------\n\
         turing    d52527f9 10.0.0.5:3022 distro=ubuntu\n"
    );
    assert_eq!(presence.list_proxies().await.unwrap().len(), 1);
    clock.advance(DEFAULT_SERVER_TTL + Duration::from_secs(1));
    assert!(presence.list_nodes().await.unwrap().is_empty());
    assert!(presence.list_proxies().await.unwrap().is_empty());
    backend.close().await.unwrap();
}
