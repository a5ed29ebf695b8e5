//! Announcing a node to the auth server on a TTL, as Teleport does: the announcement
//! lives [`HEARTBEAT_TTL`] and is renewed every [`HEARTBEAT_PERIOD`], so a node that
//! stops announcing drops out of `tctl nodes ls` on its own.

use std::time::Duration;

use async_trait::async_trait;
use teleport_auth::api::AuthClient;
use teleport_auth::presence::Presence;
use teleport_core::resource::Server;

use crate::labels::NodeLabels;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

/// How long one announcement lives (Teleport: 10 minutes).
pub const HEARTBEAT_TTL: Duration = Duration::from_secs(10 * 60);
/// How often a node announces itself again (about half the TTL, like Teleport).
pub const HEARTBEAT_PERIOD: Duration = Duration::from_secs(5 * 60);
/// How soon a failed announcement is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(10);

/// Where a node's announcements go: the auth API for a node that joined over the
/// network, or the auth service's own [`Presence`] when both run in one process.
#[async_trait]
pub trait Announce: Send + Sync + 'static {
    /// Records `server` as alive for `ttl`; the error is a message for the log.
    async fn announce(&self, server: &Server, ttl: Duration) -> Result<(), String>;
}

#[async_trait]
impl Announce for AuthClient {
    async fn announce(&self, server: &Server, ttl: Duration) -> Result<(), String> {
        self.heartbeat_node(server.clone(), Some(ttl))
            .await
            .map(drop)
            .map_err(|err| err.to_string())
    }
}

#[async_trait]
impl Announce for std::sync::Arc<Presence> {
    async fn announce(&self, server: &Server, ttl: Duration) -> Result<(), String> {
        self.upsert_node(server.clone(), ttl)
            .await
            .map(drop)
            .map_err(|err| err.to_string())
    }
}

/// A running heartbeat; dropping it stops the announcements (the last one expires on
/// its TTL).
#[derive(Debug)]
pub struct Heartbeat {
    task: JoinHandle<()>,
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Announces `server` through `to` now, every `period`, and at once whenever a
/// command label of `labels` changes value; each announcement lives `ttl` and carries
/// the current labels (`metadata.labels` the static ones, `spec.cmd_labels` the
/// commands with their last values). A failed announcement is logged and retried after
/// ten seconds (or `period`, if shorter); it never stops the loop.
pub fn spawn_heartbeat(
    to: impl Announce,
    mut server: Server,
    labels: NodeLabels,
    period: Duration,
    ttl: Duration,
) -> Heartbeat {
    let mut changes = labels.changes();
    let task = tokio::spawn(async move {
        let mut changes_open = true;
        loop {
            server.metadata.labels = labels.static_labels().clone();
            server.spec.cmd_labels = labels.command_labels();
            changes.borrow_and_update();
            let wait = match to.announce(&server, ttl).await {
                Ok(_) => {
                    debug!(node = %server.name(), "announced the node to the auth server");
                    period
                }
                Err(err) => {
                    warn!(node = %server.name(), error = %err, "node heartbeat failed; retrying");
                    RETRY_AFTER.min(period)
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                changed = changes.changed(), if changes_open => {
                    // A closed channel means no command labels are running any more.
                    changes_open = changed.is_ok();
                    if changes_open {
                        debug!(node = %server.name(), "a command label changed: announcing now");
                    }
                }
            }
        }
    });
    Heartbeat { task }
}
