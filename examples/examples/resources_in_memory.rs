//! Embedding the foundation crates: read resources from YAML, keep them in a
//! `MemoryBackend`, and watch the changes as an auth server's cache would.
//!
//! Run with `cargo run -p examples --example resources_in_memory`.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use teleport_backend::{Backend, Event, Item, KeyRange, MemoryBackend, NO_LIMIT};
use teleport_core::resource::{read_resources, write_resources, Resource};
use teleport_core::SystemClock;

const ROLES: &str = "\
kind: role
version: v4
metadata:
  name: access
spec:
  options:
    max_session_ttl: 8h
  allow:
    logins: ['{{internal.logins}}']
    node_labels:
      '*': '*'
---
kind: role
version: v4
metadata:
  name: prod-readonly
spec:
  allow:
    logins: [readonly]
    node_labels:
      env: prod
  deny:
    logins: [root]
";

#[tokio::main]
async fn main() -> Result<()> {
    let backend = MemoryBackend::new(Arc::new(SystemClock));
    let mut watcher = backend.watch(vec![b"/roles/".to_vec()]).await?;

    for resource in read_resources(ROLES, "roles.yaml")? {
        let key = format!("/roles/{}", resource.name());
        let value = write_resources(std::slice::from_ref(&resource))?;
        let revision = backend.create(Item::new(key.clone(), value)).await?;
        println!("stored {key} at revision {revision}");
    }

    // The watcher saw the same writes, in order, after its Init marker.
    for _ in 0..3 {
        match watcher.recv().await.context("watcher ended")?? {
            Event::Init { .. } => println!("watch: init"),
            Event::Put(item) => println!(
                "watch: put {} (revision {})",
                String::from_utf8_lossy(&item.key),
                item.revision
            ),
            other => bail!("unexpected event {other:?}"),
        }
    }

    for item in backend
        .get_range(KeyRange::prefix("/roles/"), NO_LIMIT)
        .await?
    {
        let text = String::from_utf8(item.value)?;
        for resource in read_resources(&text, "backend")? {
            if let Resource::Role(role) = resource {
                println!(
                    "{}: logins {:?}, max_session_ttl {}",
                    role.name(),
                    role.spec.allow.logins,
                    role.spec.options.max_session_ttl
                );
            }
        }
    }
    backend.close().await?;
    Ok(())
}
