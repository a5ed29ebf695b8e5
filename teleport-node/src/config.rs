//! What a node server needs to run: its identity in the cluster, whom it trusts, where
//! its roles, audit events and recordings come from and go, and how its SSH transport
//! is tuned.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use russh::keys::ssh_key::{Certificate, Fingerprint, HashAlg, PrivateKey, PublicKey};
use teleport_audit::recording::{FileRecorder, Format, SessionRecorder};
use teleport_audit::sink::AuditSink;
use teleport_auth::api::Identity;
use teleport_core::resource::Role;
use teleport_core::{SharedClock, SystemClock};

use crate::error::NodeError;
use crate::labels::NodeLabels;

/// Where a node gets the definitions of the roles named in a user's certificate. The
/// node asks at every login, so a role changed on the auth server applies to the next
/// connection.
#[async_trait]
pub trait RoleSource: Send + Sync {
    /// The roles called `names`, in that order. A name the source does not know is
    /// [`RoleSourceError::UnknownRole`].
    async fn roles(&self, names: &[String]) -> Result<Vec<Role>, RoleSourceError>;
}

/// Why a [`RoleSource`] could not give roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoleSourceError {
    /// No role has this name.
    #[error("role {name:?} does not exist")]
    UnknownRole {
        /// The name asked for.
        name: String,
    },
    /// The source could not be asked (the auth server is unreachable, say).
    #[error("the roles could not be fetched: {0}")]
    Unavailable(String),
}

/// A [`RoleSource`] holding a fixed list of roles: for tests and embedding.
#[derive(Debug, Clone, Default)]
pub struct StaticRoles {
    roles: Vec<Role>,
}

impl StaticRoles {
    /// A source that knows exactly `roles`.
    pub fn new(roles: Vec<Role>) -> Self {
        StaticRoles { roles }
    }
}

#[async_trait]
impl RoleSource for StaticRoles {
    async fn roles(&self, names: &[String]) -> Result<Vec<Role>, RoleSourceError> {
        names
            .iter()
            .map(|name| {
                self.roles
                    .iter()
                    .find(|role| role.name() == name)
                    .cloned()
                    .ok_or_else(|| RoleSourceError::UnknownRole { name: name.clone() })
            })
            .collect()
    }
}

/// The user CA public keys a node trusts. Clones share one list, which can be replaced
/// while the node runs (after a CA rotation, say); the next login sees the new list.
#[derive(Clone, Default)]
pub struct TrustedUserCas {
    keys: Arc<RwLock<Vec<PublicKey>>>,
}

impl fmt::Debug for TrustedUserCas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.fingerprints()).finish()
    }
}

impl TrustedUserCas {
    /// Trusts exactly `keys`.
    pub fn new(keys: Vec<PublicKey>) -> Self {
        TrustedUserCas {
            keys: Arc::new(RwLock::new(keys)),
        }
    }

    /// Reads CA keys, one a line, in any of the forms `tctl auth export` writes for
    /// the user CA: `<type> <base64>` (sshd's `TrustedUserCAKeys`, the form of
    /// [`Identity::ssh_user_ca`]) or `cert-authority <type> <base64> ...`
    /// (`authorized_keys`). Empty lines and `#` comments are skipped.
    pub fn from_openssh(text: &str) -> Result<Self, NodeError> {
        Ok(Self::new(parse_ca_lines(text)?))
    }

    /// Replaces the trusted keys.
    pub fn replace(&self, keys: Vec<PublicKey>) {
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys;
    }

    /// The trusted keys.
    pub fn keys(&self) -> Vec<PublicKey> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The SHA-256 fingerprints of the trusted keys.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|key| key.fingerprint(HashAlg::Sha256))
            .collect()
    }
}

fn parse_ca_lines(text: &str) -> Result<Vec<PublicKey>, NodeError> {
    let mut keys = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key_text = line.strip_prefix("cert-authority ").unwrap_or(line).trim();
        let key = PublicKey::from_openssh(key_text).map_err(|err| NodeError::BadCaKey {
            line: index + 1,
            reason: err.to_string(),
        })?;
        keys.push(key);
    }
    Ok(keys)
}

/// How the SSH transport is tuned. The defaults are the node's: AES-256-GCM first, a
/// 16 MiB channel window and 128 KiB packets (DESIGN.md measured ~2.2 GiB/s on loopback
/// against ~0.8 GiB/s with russh's defaults), no SHA-1 `ssh-rsa`, a keepalive every
/// five minutes with three unanswered ones closing the connection (Teleport's
/// `keep_alive_interval` and `keep_alive_count_max`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SshTuning {
    /// The window each channel starts with, in bytes.
    pub window_size: u32,
    /// The largest packet the node accepts, in bytes.
    pub max_packet_size: u32,
    /// How often to check that an idle client is still there.
    pub keepalive_interval: Duration,
    /// How many unanswered keepalives close the connection.
    pub keepalive_count_max: usize,
    /// How long a refused authentication attempt takes (against timing probes);
    /// 100 ms by default.
    pub auth_rejection_time: Duration,
}

impl Default for SshTuning {
    fn default() -> Self {
        SshTuning {
            window_size: 16 * 1024 * 1024,
            max_packet_size: 128 * 1024,
            keepalive_interval: Duration::from_secs(5 * 60),
            keepalive_count_max: 3,
            // Refusals here reveal no secret (the node takes no passwords), and OpenSSH
            // clients given `-i key` sign with the plain key before offering its
            // certificate: a second per refusal made every such login a second slower.
            auth_rejection_time: Duration::from_millis(100),
        }
    }
}

impl SshTuning {
    /// The defaults with refused logins answered after `time` instead of 100 ms (tests
    /// refuse many logins).
    pub fn with_auth_rejection_time(mut self, time: Duration) -> Self {
        self.auth_rejection_time = time;
        self
    }
}

/// Everything a [`NodeServer`](crate::NodeServer) needs.
///
/// A node that joined the cluster builds one with [`NodeConfig::from_identity`]; tests
/// and embedders may fill the fields themselves.
pub struct NodeConfig {
    /// The cluster's name (`cluster_name` of audit events).
    pub cluster_name: String,
    /// The host's UUID (`data_dir/host_uuid`): `server_id` of audit events.
    pub server_id: String,
    /// The node's name (`server_hostname` of audit events).
    pub nodename: String,
    /// The address users reach the node at, for audit events (`server_addr`); empty
    /// for the listener's own address.
    pub advertise_addr: String,
    /// The host's SSH private key.
    pub host_key: PrivateKey,
    /// The host certificate for `host_key`, signed by the cluster's host CA.
    pub host_cert: Certificate,
    /// The user CAs whose certificates are accepted.
    pub user_cas: TrustedUserCas,
    /// The node's labels, which roles' `node_labels` are matched against.
    pub labels: NodeLabels,
    /// Where role definitions come from.
    pub roles: Arc<dyn RoleSource>,
    /// Where audit events go.
    pub audit: Arc<dyn AuditSink>,
    /// Where interactive sessions are recorded.
    pub recorder: Arc<dyn SessionRecorder>,
    /// The clock certificate validity is checked with.
    pub clock: SharedClock,
    /// SSH transport tuning.
    pub tuning: SshTuning,
}

impl fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeConfig")
            .field("cluster_name", &self.cluster_name)
            .field("server_id", &self.server_id)
            .field("nodename", &self.nodename)
            .field("advertise_addr", &self.advertise_addr)
            .field("host_key", &"***")
            .field("host_cert", &self.host_cert.key_id())
            .field("user_cas", &self.user_cas)
            .field("labels", &self.labels.all())
            .field("tuning", &self.tuning)
            .finish_non_exhaustive()
    }
}

/// The directory recordings go to under `data_dir`: `log/sessions/default`.
pub fn recordings_dir(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("log").join("sessions").join("default")
}

impl NodeConfig {
    /// The configuration of a node that joined the cluster as `identity` (its host key,
    /// host certificate and the user CA it was given), recording sessions under
    /// `data_dir/log/sessions/default/` with a [`FileRecorder`], on the system clock,
    /// with static labels only and default tuning. Set [`NodeConfig::labels`] to the
    /// `ssh_service` labels afterwards.
    pub fn from_identity(
        identity: &Identity,
        data_dir: &Path,
        roles: Arc<dyn RoleSource>,
        audit: Arc<dyn AuditSink>,
    ) -> Result<Self, NodeError> {
        let key_pem = identity
            .ssh_private_key
            .as_deref()
            .ok_or(NodeError::BadIdentity {
                what: "ssh_private_key",
                reason: "the identity has no SSH private key".into(),
            })?;
        let host_key = PrivateKey::from_openssh(key_pem).map_err(|err| NodeError::BadIdentity {
            what: "ssh_private_key",
            reason: err.to_string(),
        })?;
        let cert_text = identity.ssh_cert.as_deref().ok_or(NodeError::BadIdentity {
            what: "ssh_cert",
            reason: "the identity has no host certificate".into(),
        })?;
        let host_cert =
            Certificate::from_openssh(cert_text.trim()).map_err(|err| NodeError::BadIdentity {
                what: "ssh_cert",
                reason: err.to_string(),
            })?;
        let user_cas = TrustedUserCas::from_openssh(&identity.ssh_user_ca)?;
        Ok(NodeConfig {
            cluster_name: identity.cluster_name.clone(),
            server_id: identity.host_uuid.clone(),
            nodename: identity.nodename.clone(),
            advertise_addr: String::new(),
            host_key,
            host_cert,
            user_cas,
            labels: NodeLabels::fixed(Default::default()),
            roles,
            audit,
            recorder: Arc::new(FileRecorder::new(recordings_dir(data_dir), Format::Plain)),
            clock: Arc::new(SystemClock),
            tuning: SshTuning::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGyWNIxyf0L3QXmlN5mVeNSlkz02upUPFi4PuFhT2IBs";

    #[test]
    fn ca_lines_in_every_exported_form() {
        let text =
            format!("# comment\n\n{KEY}\ncert-authority {KEY} clustername=example.com&type=user\n");
        let cas = TrustedUserCas::from_openssh(&text).unwrap();
        assert_eq!(cas.keys().len(), 2);
        assert_eq!(cas.fingerprints()[0], cas.fingerprints()[1]);
        let err = TrustedUserCas::from_openssh("ssh-ed25519 nope").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        cas.replace(Vec::new());
        assert!(cas.fingerprints().is_empty());
    }

    #[tokio::test]
    async fn static_roles_refuse_unknown_names() {
        let role = Role::named("dev", Default::default()).unwrap();
        let source = StaticRoles::new(vec![role]);
        assert_eq!(source.roles(&["dev".into()]).await.unwrap().len(), 1);
        assert_eq!(
            source.roles(&["ops".into()]).await.unwrap_err(),
            RoleSourceError::UnknownRole { name: "ops".into() }
        );
    }
}
