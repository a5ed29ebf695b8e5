//! Events of proving who one is: SSH authentication attempts, user logins, the
//! certificates issued to users, and hosts joining the cluster.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::fields::{ConnectionMetadata, Status, UserMetadata};

/// `auth` (T3007W): an SSH authentication attempt on a node or proxy failed, for
/// example with a certificate from an unknown authority or for a login the user may
/// not use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthAttempt {
    /// Who tried, as which login.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// From where.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// The outcome: `success` is false and `error` says why.
    #[serde(flatten)]
    pub status: Status,
}

/// `user.login` (T1000I, or T1000W when it failed; T1001I/T1001W for the SSO methods
/// `github`, `oidc` and `saml`): a user logged in to the web UI or with `tsh login`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserLogin {
    /// Who logged in (or tried to).
    #[serde(flatten)]
    pub user: UserMetadata,
    /// From where.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// The outcome.
    #[serde(flatten)]
    pub status: Status,
    /// How: one of the `METHOD_*` constants, such as `local` (`method`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub method: String,
    /// What the identity provider said about the user, for SSO logins (`attributes`).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

impl UserLogin {
    /// A login with a password and second factor (`local`).
    pub const METHOD_LOCAL: &'static str = "local";
    /// A login through a GitHub connector (`github`).
    pub const METHOD_GITHUB: &'static str = "github";
    /// A login through an OIDC connector (`oidc`).
    pub const METHOD_OIDC: &'static str = "oidc";
    /// A login through a SAML connector (`saml`).
    pub const METHOD_SAML: &'static str = "saml";

    /// Whether the login went through a single sign-on connector, which Teleport gives
    /// codes of its own.
    pub fn is_sso(&self) -> bool {
        matches!(
            self.method.as_str(),
            Self::METHOD_GITHUB | Self::METHOD_OIDC | Self::METHOD_SAML
        )
    }
}

/// `cert.create` (TC000I): the auth server issued a certificate, at login or with
/// `tctl auth sign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateCreate {
    /// What the certificate is for: `user` for user certificates (`cert_type`).
    #[serde(default)]
    pub cert_type: String,
    /// Whom the certificate names and what it allows (`identity`).
    pub identity: CertificateIdentity,
}

impl CertificateCreate {
    /// The `cert_type` of user certificates.
    pub const TYPE_USER: &'static str = "user";
}

/// The identity a certificate carries, in `cert.create` (`identity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateIdentity {
    /// The Teleport user it names (`user`).
    #[serde(default)]
    pub user: String,
    /// The user's roles (`roles`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::event::wire::null_as_default"
    )]
    pub roles: Vec<String>,
    /// The OS logins it allows, its SSH principals (`logins`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::event::wire::null_as_default"
    )]
    pub logins: Vec<String>,
    /// When it expires, RFC 3339 in UTC (`expires`).
    #[serde(with = "crate::event::wire::utc")]
    pub expires: OffsetDateTime,
    /// The cluster the certificate routes to, when not the issuing one
    /// (`route_to_cluster`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub route_to_cluster: String,
    /// The cluster that issued it (`teleport_cluster`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub teleport_cluster: String,
    /// The user's traits, as written into the certificate (`traits`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub traits: BTreeMap<String, Vec<String>>,
    /// The address of the client the certificate was issued to (`client_ip`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_ip: String,
}

/// `instance.join` (TJ002I, or TJ002E when refused): a node, proxy or auth server
/// presented a join token to get its first certificates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceJoin {
    /// Whether the join was accepted.
    #[serde(flatten)]
    pub status: Status,
    /// From where.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// The joining host's UUID (`host_id`).
    #[serde(default)]
    pub host_id: String,
    /// The joining host's node name (`node_name`).
    #[serde(default)]
    pub node_name: String,
    /// The role it asked for, such as `Node` or `Proxy` (`role`).
    #[serde(default)]
    pub role: String,
    /// The join method, `token` in this release (`method`).
    #[serde(default)]
    pub method: String,
    /// The token's name, masked with [`mask_token`](crate::event::mask_token) because
    /// the name is the secret (`token_name`).
    #[serde(default)]
    pub token_name: String,
}
