//! The JSON bodies of the auth API's routes.

use std::fmt;

use serde::{Deserialize, Serialize};
use teleport_core::config::CaPin;
use teleport_core::resource::{Server, SystemRole, User};
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

/// `POST /v1/users` (Admin): `tctl users add`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddUserRequest {
    /// The new user's name.
    pub name: String,
    /// The logins the user may use (`None`: the user name only).
    #[serde(default)]
    pub logins: Option<Vec<String>>,
    /// The user's roles (at least one).
    pub roles: Vec<String>,
}

/// The answer to `POST /v1/users`: the user and its signup token.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct AddUserResponse {
    /// The user as stored (no secrets).
    pub user: User,
    /// The signup token (masked in `Debug`): a secret for the invite URL.
    pub token: String,
    /// When the token stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
}

impl fmt::Debug for AddUserResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddUserResponse")
            .field("user", &self.user.name())
            .field("token", &crate::tokens::masked(&self.token))
            .field("expires", &self.expires)
            .finish()
    }
}

/// `PUT /v1/users/{name}` (Admin): `tctl users update`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateUserRequest {
    /// The new roles, replacing the old ones.
    #[serde(default)]
    pub set_roles: Option<Vec<String>>,
    /// The new logins, replacing the old ones (empty: none).
    #[serde(default)]
    pub set_logins: Option<Vec<String>>,
}

/// The answer to `POST /v1/users/{name}/reset`: a reset token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTokenResponse {
    /// The token (masked in `Debug`): a secret for the invite URL.
    pub token: String,
    /// When the token stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
}

impl fmt::Debug for UserTokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserTokenResponse")
            .field("token", &crate::tokens::masked(&self.token))
            .field("expires", &self.expires)
            .finish()
    }
}

/// `POST /v1/signup/begin` (anyone with a signup or reset token): opens the invite
/// page.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupBeginRequest {
    /// The signup or reset token (masked in `Debug`).
    pub token: String,
}

impl fmt::Debug for SignupBeginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupBeginRequest")
            .field("token", &crate::tokens::masked(&self.token))
            .finish()
    }
}

/// The answer to `POST /v1/signup/begin`: whose token it is and, when the cluster
/// requires a second factor, the new TOTP key to scan.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupBeginResponse {
    /// The user signing up or resetting.
    pub user: String,
    /// Whether `POST /v1/signup/complete` needs `otp_code`.
    pub needs_totp: bool,
    /// The new TOTP key's `otpauth://` URI (hidden in `Debug`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_uri: Option<String>,
    /// The new TOTP key, base32 (hidden in `Debug`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
}

impl fmt::Debug for SignupBeginResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupBeginResponse")
            .field("user", &self.user)
            .field("needs_totp", &self.needs_totp)
            .field("totp_uri", &self.totp_uri.as_ref().map(|_| "***"))
            .field("totp_secret", &self.totp_secret.as_ref().map(|_| "***"))
            .finish()
    }
}

/// `POST /v1/signup/complete` (anyone with a signup or reset token): sets the
/// password and, when required, confirms the TOTP device.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupCompleteRequest {
    /// The signup or reset token (masked in `Debug`).
    pub token: String,
    /// The new password (hidden in `Debug`).
    pub password: String,
    /// A code from the TOTP key `begin` returned, when it said `needs_totp`.
    #[serde(default)]
    pub otp_code: Option<String>,
}

impl fmt::Debug for SignupCompleteRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupCompleteRequest")
            .field("token", &crate::tokens::masked(&self.token))
            .field("password", &"***")
            .field("otp_code", &self.otp_code.as_ref().map(|_| "***"))
            .finish()
    }
}

/// The answer to `POST /v1/signup/complete`: the user, without secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignupCompleteResponse {
    /// The user as stored, secrets stripped.
    pub user: User,
}

/// `POST /v1/login` (no certificate needed): a user's password, one-time code and
/// public keys, for certificates. `Debug` hides the password and the code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The Teleport user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// The code from the authenticator app, when the user has a device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<String>,
    /// The SSH public key to certify (OpenSSH format).
    pub ssh_public_key: String,
    /// The TLS public key to certify (SubjectPublicKeyInfo PEM), if a TLS certificate
    /// is wanted too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_public_key: Option<String>,
    /// The TTL asked for, in seconds (default 12 hours, capped by the roles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"***")
            .field("otp", &self.otp.as_ref().map(|_| "***"))
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/certs/user` (Admin): `tctl auth sign --user`, certificates without a
/// password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUserRequest {
    /// The Teleport user name.
    pub username: String,
    /// The SSH public key to certify (OpenSSH format).
    pub ssh_public_key: String,
    /// The TLS public key to certify (SubjectPublicKeyInfo PEM), if wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_public_key: Option<String>,
    /// The TTL asked for, in seconds (default 12 hours, capped by the roles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
}

/// The answer to `POST /v1/login` and `POST /v1/certs/user`: the user's certificates
/// and what they need to trust the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCertsResponse {
    /// The user's name.
    pub username: String,
    /// The SSH user certificate, OpenSSH format (`...-cert-v01@openssh.com ...`).
    pub ssh_cert: String,
    /// The X.509 client certificate (PEM), when a TLS key was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<String>,
    /// The principals: the logins the user's roles allow.
    pub logins: Vec<String>,
    /// When the certificates expire.
    #[serde(with = "time::serde::rfc3339")]
    pub expires: OffsetDateTime,
    /// The cluster's TLS CA (PEM).
    pub tls_ca: String,
    /// The host CA as `known_hosts` lines (`@cert-authority ...`).
    pub ssh_host_ca: String,
}
