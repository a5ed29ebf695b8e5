//! The JSON bodies of the auth API's routes.

use std::fmt;

use serde::{Deserialize, Serialize};
use teleport_core::config::CaPin;
use teleport_core::resource::{Server, SystemRole};
use time::OffsetDateTime;

/// `GET /v1/ping`: who the auth server is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingResponse {
    /// The cluster's name.
    pub cluster_name: String,
    /// The server's version.
    pub server_version: String,
    /// The pin of the cluster's TLS CA.
    pub ca_pin: CaPin,
}

/// `POST /v1/join`: a host asks to join with a token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// The join token (masked in `Debug`).
    pub token: String,
    /// The role the host asks to join as.
    pub role: SystemRole,
    /// The host's id.
    pub host_uuid: String,
    /// The host's node name.
    #[serde(default)]
    pub nodename: String,
    /// The host's SSH public key, OpenSSH format.
    pub ssh_public_key: String,
    /// The host's TLS public key, a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub tls_public_key: String,
    /// More principals and TLS names: the host's public addresses and names.
    #[serde(default)]
    pub additional_principals: Vec<String>,
}

impl fmt::Debug for JoinRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinRequest")
            .field("token", &crate::tokens::masked(&self.token))
            .field("role", &self.role)
            .field("host_uuid", &self.host_uuid)
            .field("nodename", &self.nodename)
            .field("additional_principals", &self.additional_principals)
            .finish_non_exhaustive()
    }
}

/// The answer to a join: the host's certificates and the cluster's CAs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinResponse {
    /// The cluster's name.
    pub cluster_name: String,
    /// The host's SSH certificate, OpenSSH format.
    pub ssh_cert: String,
    /// The host's TLS certificate (client and server), PEM.
    pub tls_cert: String,
    /// The cluster's TLS CA certificate, PEM.
    pub tls_ca: String,
    /// The host CA's public key, OpenSSH format.
    pub ssh_host_ca: String,
    /// The user CA's public key, OpenSSH format.
    pub ssh_user_ca: String,
}

/// `GET /v1/status`: what `tctl status` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// The cluster's name.
    pub cluster_name: String,
    /// The pin of the cluster's TLS CA.
    pub ca_pin: CaPin,
    /// The user CA's rotation state, such as `never updated`.
    pub user_ca_rotation: String,
    /// The host CA's rotation state, such as `never updated`.
    pub host_ca_rotation: String,
}

/// `POST /v1/tokens`: make a join token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddTokenRequest {
    /// The roles hosts may join as with it.
    pub roles: Vec<SystemRole>,
    /// Its TTL in seconds (`None`: the default, 30 minutes).
    #[serde(default)]
    pub ttl_secs: Option<u64>,
    /// The token value (`None`: a random one).
    #[serde(default)]
    pub token: Option<String>,
}

impl fmt::Debug for AddTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddTokenRequest")
            .field("roles", &self.roles)
            .field("ttl_secs", &self.ttl_secs)
            .field("token", &self.token.as_deref().map(crate::tokens::masked))
            .finish()
    }
}

/// A token as `GET /v1/tokens` and `POST /v1/tokens` return it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    /// The token (masked in `Debug`).
    pub token: String,
    /// The roles it allows.
    pub roles: Vec<SystemRole>,
    /// When it expires (`None`: a static token).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires: Option<OffsetDateTime>,
    /// Whether it comes from the configuration.
    #[serde(default)]
    pub is_static: bool,
}

impl fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEntry")
            .field("token", &crate::tokens::masked(&self.token))
            .field("roles", &self.roles)
            .field("expires", &self.expires)
            .field("is_static", &self.is_static)
            .finish()
    }
}

/// `POST /v1/presence/nodes` (and `/proxies`): a heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatRequest {
    /// The server announcing itself (its name is its host id).
    pub server: Server,
    /// How long the announcement lives, in seconds (`None`: 10 minutes).
    #[serde(default)]
    pub ttl_secs: Option<u64>,
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
    /// For 403: the caller's role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// For 403: the route refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
}

/// `GET /v1/authorities/{kind}/export`: the CA keys in text form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportResponse {
    /// The exported text (`known_hosts` lines, `authorized_keys` lines or PEM).
    pub text: String,
}
