//! SSH user and host certificates, with the key id, principals, validity and
//! extensions Teleport puts in them (DESIGN.md, "Compatibility targets").

use std::collections::BTreeMap;
use std::time::Duration;

use rand::RngCore as _;
use russh::keys::ssh_key::certificate::{Builder, CertType};
use russh::keys::ssh_key::{Certificate, PublicKey};
use serde::Serialize;
use teleport_core::resource::SystemRole;
use time::OffsetDateTime;

use super::error::{CaError, Result};
use super::keys::SshCaKey;

/// How far before "now" certificates start to be valid, for clocks that lag.
pub const CLOCK_SKEW_ALLOWANCE: Duration = Duration::from_secs(60);

/// Extension: a terminal may be requested (always present in user certificates).
pub const EXT_PERMIT_PTY: &str = "permit-pty";
/// Extension: port forwarding is allowed.
pub const EXT_PERMIT_PORT_FORWARDING: &str = "permit-port-forwarding";
/// Extension: agent forwarding is allowed.
pub const EXT_PERMIT_AGENT_FORWARDING: &str = "permit-agent-forwarding";
/// Extension: the user's roles, JSON `{"version":"v1","roles":[...]}`.
pub const EXT_TELEPORT_ROLES: &str = "teleport-roles";
/// Extension: the user's traits, a JSON map of lists.
pub const EXT_TELEPORT_TRAITS: &str = "teleport-traits";
/// Host extension: the host's system role (`Node`, `Proxy`, `Auth`).
pub const EXT_TELEPORT_ROLE: &str = "x-teleport-role";
/// Host extension: the cluster whose host CA signed the certificate.
pub const EXT_TELEPORT_AUTHORITY: &str = "x-teleport-authority";
/// Critical option: the source addresses (CIDR list) the certificate may be used from.
pub const OPT_SOURCE_ADDRESS: &str = "source-address";

/// What a user certificate is to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCertRequest {
    /// The user's public key, to be certified.
    pub public_key: PublicKey,
    /// The Teleport user name: the certificate's key id.
    pub username: String,
    /// The logins the user may use: the certificate's principals (at least one).
    pub logins: Vec<String>,
    /// How long the certificate is valid from now.
    pub ttl: Duration,
    /// The user's roles (`teleport-roles`).
    pub roles: Vec<String>,
    /// The user's traits (`teleport-traits`).
    pub traits: BTreeMap<String, Vec<String>>,
    /// Whether to add `permit-port-forwarding`.
    pub permit_port_forwarding: bool,
    /// Whether to add `permit-agent-forwarding`.
    pub permit_agent_forwarding: bool,
    /// When set, the `source-address` critical option (comma-separated CIDRs).
    pub source_ip: Option<String>,
}

impl UserCertRequest {
    /// A request for `username` with `logins`, valid for `ttl`, no roles, traits or
    /// forwarding.
    pub fn new(
        public_key: PublicKey,
        username: impl Into<String>,
        logins: Vec<String>,
        ttl: Duration,
    ) -> Self {
        UserCertRequest {
            public_key,
            username: username.into(),
            logins,
            ttl,
            roles: Vec::new(),
            traits: BTreeMap::new(),
            permit_port_forwarding: false,
            permit_agent_forwarding: false,
            source_ip: None,
        }
    }
}

/// What a host certificate is to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCertRequest {
    /// The host's public key, to be certified.
    pub public_key: PublicKey,
    /// The host's id (`data_dir/host_uuid`).
    pub host_uuid: String,
    /// The host's node name (may be empty).
    pub nodename: String,
    /// The host's role: [`SystemRole::Node`], [`SystemRole::Proxy`] or
    /// [`SystemRole::Auth`].
    pub role: SystemRole,
    /// More principals: the host's public addresses and names.
    pub additional_principals: Vec<String>,
    /// How long the certificate is valid; `None` for ever (as Teleport's host
    /// certificates are).
    pub ttl: Option<Duration>,
}

/// `teleport-roles` as Teleport writes it.
#[derive(Serialize)]
struct RolesExtension<'a> {
    version: &'static str,
    roles: &'a [String],
}

fn random_nonce_and_serial() -> ([u8; 32], u64) {
    let mut nonce = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    (nonce, rand::rngs::OsRng.next_u64())
}

fn unix(t: OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp()).unwrap_or(0)
}

fn invalid(what: &str) -> CaError {
    CaError::InvalidRequest(what.to_string())
}

fn builder_error(err: impl std::fmt::Display) -> CaError {
    CaError::InvalidRequest(err.to_string())
}

/// Signs a user certificate for `req` with `ca`, at time `now`.
pub(crate) fn sign_user(
    ca: &SshCaKey,
    req: &UserCertRequest,
    now: OffsetDateTime,
) -> Result<Certificate> {
    if req.username.is_empty() {
        return Err(invalid("the user name is empty"));
    }
    let logins: Vec<&String> = req.logins.iter().filter(|l| !l.is_empty()).collect();
    if logins.is_empty() {
        return Err(CaError::NoPrincipals {
            user: req.username.clone(),
        });
    }
    if req.ttl.is_zero() {
        return Err(invalid("the certificate TTL is zero"));
    }
    let valid_after = unix(now).saturating_sub(CLOCK_SKEW_ALLOWANCE.as_secs());
    let valid_before = unix(now).saturating_add(req.ttl.as_secs());
    let (nonce, serial) = random_nonce_and_serial();
    let mut b = Builder::new(
        nonce.to_vec(),
        req.public_key.key_data().clone(),
        valid_after,
        valid_before,
    )
    .map_err(builder_error)?;
    b.serial(serial).map_err(builder_error)?;
    b.cert_type(CertType::User).map_err(builder_error)?;
    b.key_id(req.username.as_str()).map_err(builder_error)?;
    for login in logins {
        b.valid_principal(login.as_str()).map_err(builder_error)?;
    }
    if let Some(source) = &req.source_ip {
        b.critical_option(OPT_SOURCE_ADDRESS, source.as_str())
            .map_err(builder_error)?;
    }
    b.extension(EXT_PERMIT_PTY, "").map_err(builder_error)?;
    if req.permit_port_forwarding {
        b.extension(EXT_PERMIT_PORT_FORWARDING, "")
            .map_err(builder_error)?;
    }
    if req.permit_agent_forwarding {
        b.extension(EXT_PERMIT_AGENT_FORWARDING, "")
            .map_err(builder_error)?;
    }
    let roles = serde_json::to_string(&RolesExtension {
        version: "v1",
        roles: &req.roles,
    })
    .map_err(builder_error)?;
    b.extension(EXT_TELEPORT_ROLES, roles)
        .map_err(builder_error)?;
    let traits = serde_json::to_string(&req.traits).map_err(builder_error)?;
    b.extension(EXT_TELEPORT_TRAITS, traits)
        .map_err(builder_error)?;
    ca.sign(b, "user SSH certificate")
}

/// The principals of a host certificate, in Teleport's order, without duplicates.
pub fn host_principals(req: &HostCertRequest, cluster: &str) -> Vec<String> {
    let mut all = vec![
        format!("{}.{cluster}", req.host_uuid),
        req.host_uuid.clone(),
    ];
    if !req.nodename.is_empty() {
        all.push(format!("{}.{cluster}", req.nodename));
        all.push(req.nodename.clone());
    }
    all.extend(req.additional_principals.iter().cloned());
    all.extend(["localhost", "127.0.0.1", "::1"].map(String::from));
    let mut seen = std::collections::HashSet::new();
    all.retain(|p| !p.is_empty() && seen.insert(p.clone()));
    all
}

/// Signs a host certificate for `req` with `ca`, at time `now`.
pub(crate) fn sign_host(
    ca: &SshCaKey,
    req: &HostCertRequest,
    cluster: &str,
    now: OffsetDateTime,
) -> Result<Certificate> {
    if req.host_uuid.is_empty() {
        return Err(invalid("the host id is empty"));
    }
    if !matches!(
        req.role,
        SystemRole::Node | SystemRole::Proxy | SystemRole::Auth
    ) {
        return Err(CaError::InvalidRequest(format!(
            "host certificates are for Node, Proxy or Auth, not {}",
            req.role.as_str()
        )));
    }
    let valid_after = unix(now).saturating_sub(CLOCK_SKEW_ALLOWANCE.as_secs());
    let valid_before = match req.ttl {
        Some(ttl) => unix(now).saturating_add(ttl.as_secs()),
        None => u64::MAX,
    };
    let (nonce, serial) = random_nonce_and_serial();
    let mut b = Builder::new(
        nonce.to_vec(),
        req.public_key.key_data().clone(),
        valid_after,
        valid_before,
    )
    .map_err(builder_error)?;
    b.serial(serial).map_err(builder_error)?;
    b.cert_type(CertType::Host).map_err(builder_error)?;
    b.key_id(format!("{}.{cluster}", req.host_uuid))
        .map_err(builder_error)?;
    for principal in host_principals(req, cluster) {
        b.valid_principal(principal).map_err(builder_error)?;
    }
    b.extension(EXT_TELEPORT_ROLE, req.role.as_str())
        .map_err(builder_error)?;
    b.extension(EXT_TELEPORT_AUTHORITY, cluster)
        .map_err(builder_error)?;
    ca.sign(b, "host SSH certificate")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(nodename: &str, extra: &[&str]) -> HostCertRequest {
        let key = SshCaKey::generate(
            teleport_core::config::CaSignatureAlgo::Ed25519,
            super::super::keys::RsaKeySize::Rsa2048,
        )
        .unwrap();
        HostCertRequest {
            public_key: key.public_key().clone(),
            host_uuid: "u1".into(),
            nodename: nodename.into(),
            role: SystemRole::Node,
            additional_principals: extra.iter().map(|s| s.to_string()).collect(),
            ttl: None,
        }
    }

    #[test]
    fn host_principals_follow_teleport() {
        assert_eq!(
            host_principals(&host("web", &["10.0.0.1", "web"]), "example.com"),
            [
                "u1.example.com",
                "u1",
                "web.example.com",
                "web",
                "10.0.0.1",
                "localhost",
                "127.0.0.1",
                "::1"
            ]
        );
        assert_eq!(host_principals(&host("", &[]), "c").len(), 5);
    }
}
