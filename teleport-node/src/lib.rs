//! The node service: what a host that joined the cluster as a Node runs.
//!
//! - [`NodeServer`]: the certificate-only SSH server. It presents the node's host
//!   certificate, accepts only user certificates signed by a trusted user CA (checking
//!   the CA, the certificate type, the principal, the validity and the critical
//!   options), decides with the user's roles whether the login may be used on this node
//!   (its labels included), and runs shells, commands, `scp` and `sftp` as the login's
//!   OS user, with port and agent forwarding where the roles allow them. Every refusal
//!   and every session is audited; every interactive session is recorded.
//! - [`NodeConfig`]: what the server needs, built from a joined node's identity with
//!   [`NodeConfig::from_identity`].
//! - [`RoleSource`]: where role definitions come from: [`LocalRoles`] in the auth
//!   server's process, an [`AuthClient`](teleport_auth::api::AuthClient) on a joined
//!   node, [`StaticRoles`] for tests.
//! - [`NodeLabels`]: static and command labels, refreshed on their period.
//! - [`heartbeat`]: announcing the node to the auth server.
//!
//! ```no_run
//! # async fn demo(
//! #     identity: teleport_auth::api::Identity,
//! #     roles: std::sync::Arc<dyn teleport_node::RoleSource>,
//! #     audit: std::sync::Arc<dyn teleport_audit::sink::AuditSink>,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use std::collections::BTreeMap;
//! use teleport_node::{NodeConfig, NodeLabels, NodeServer};
//!
//! let data_dir = std::path::Path::new("/var/lib/teleport");
//! let mut config = NodeConfig::from_identity(&identity, data_dir, roles, audit)?;
//! config.labels = NodeLabels::start(BTreeMap::from([("env".into(), "prod".into())]), vec![])?;
//! let running = NodeServer::new(config)?.bind("0.0.0.0:3022").await?;
//! # running.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod auth;
mod config;
mod conn;
mod error;
mod forward;
pub mod heartbeat;
pub mod labels;
#[allow(unsafe_code)]
mod os;
mod roles;
mod server;
mod session;
mod shared;

pub use auth::AuthRefusal;
pub use config::{
    recordings_dir, NodeConfig, RoleSource, RoleSourceError, SshTuning, StaticRoles, TrustedUserCas,
};
pub use error::NodeError;
pub use heartbeat::{spawn_heartbeat, Heartbeat, HEARTBEAT_PERIOD, HEARTBEAT_TTL};
pub use labels::{LabelCommand, LabelsError, NodeLabels};
pub use roles::LocalRoles;
pub use server::{NodeServer, RunningNode};

/// The program the `sftp` subsystem runs, as the user (Debian's `openssh-sftp-server`
/// package installs it).
pub const SFTP_SERVER: &str = session::SFTP_SERVER;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<NodeServer>();
        assert_send_sync::<RunningNode>();
        assert_send_sync::<NodeConfig>();
        assert_send_sync::<NodeLabels>();
        assert_send_sync::<TrustedUserCas>();
        assert_send_sync::<StaticRoles>();
        assert_send_sync::<NodeError>();
        assert_send_sync::<AuthRefusal>();
        assert_send_sync::<std::sync::Arc<dyn RoleSource>>();
    }
}
