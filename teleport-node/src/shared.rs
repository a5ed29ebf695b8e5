//! What every connection of a node shares: the node's identity, trust, labels, role
//! source, audit sink and recorder, and the audit helpers built on them.

use std::sync::Arc;

use teleport_audit::event::{ServerMetadata, UserMetadata};
use teleport_audit::recording::SessionRecorder;
use teleport_audit::sink::AuditSink;
use teleport_audit::{AuditEvent, EventPayload};
use teleport_core::SharedClock;
use tracing::warn;

use crate::config::{NodeConfig, RoleSource, SshTuning, TrustedUserCas};
use crate::labels::NodeLabels;

/// The namespace of every event and session in this release.
pub(crate) const NAMESPACE: &str = "default";

/// A node's shared state.
pub(crate) struct NodeShared {
    pub(crate) cluster_name: String,
    pub(crate) server_id: String,
    pub(crate) nodename: String,
    pub(crate) advertise_addr: String,
    pub(crate) user_cas: TrustedUserCas,
    pub(crate) labels: NodeLabels,
    pub(crate) roles: Arc<dyn RoleSource>,
    pub(crate) audit: Arc<dyn AuditSink>,
    pub(crate) recorder: Arc<dyn SessionRecorder>,
    pub(crate) clock: SharedClock,
    pub(crate) tuning: SshTuning,
    /// The OS user the node runs as: root may serve every login, anyone else only
    /// their own.
    pub(crate) own_uid: u32,
    /// The interactive sessions running on this node, which others may join.
    pub(crate) sessions: crate::session::Registry,
}

impl std::fmt::Debug for NodeShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeShared")
            .field("cluster_name", &self.cluster_name)
            .field("server_id", &self.server_id)
            .field("nodename", &self.nodename)
            .finish_non_exhaustive()
    }
}

impl NodeShared {
    pub(crate) fn new(config: NodeConfig) -> Self {
        NodeShared {
            cluster_name: config.cluster_name,
            server_id: config.server_id,
            nodename: config.nodename,
            advertise_addr: config.advertise_addr,
            user_cas: config.user_cas,
            labels: config.labels,
            roles: config.roles,
            audit: config.audit,
            recorder: config.recorder,
            clock: config.clock,
            tuning: config.tuning,
            own_uid: crate::os::current_uid(),
            sessions: Default::default(),
        }
    }

    /// The `server_*` fields of this node's events.
    pub(crate) fn server_meta(&self, local_addr: &str) -> ServerMetadata {
        ServerMetadata {
            namespace: NAMESPACE.to_string(),
            server_id: self.server_id.clone(),
            server_hostname: self.nodename.clone(),
            server_addr: if self.advertise_addr.is_empty() {
                local_addr.to_string()
            } else {
                self.advertise_addr.clone()
            },
            server_labels: self.labels.all(),
        }
    }

    /// Stamps and emits `payload`; a sink failure is logged (the action it records has
    /// already happened or been refused).
    pub(crate) async fn emit(&self, payload: EventPayload) {
        let event = AuditEvent::new(payload, &self.cluster_name, self.clock.as_ref());
        self.emit_event(event).await;
    }

    /// Emits an already stamped `event`.
    pub(crate) async fn emit_event(&self, event: AuditEvent) {
        let kind = event.event_type();
        if let Err(err) = self.audit.emit(event).await {
            warn!(event = kind, error = %err, "could not emit an audit event");
        }
    }

    /// `user`/`login` metadata.
    pub(crate) fn user_meta(user: &str, login: &str) -> UserMetadata {
        UserMetadata {
            user: user.to_string(),
            login: login.to_string(),
        }
    }
}
