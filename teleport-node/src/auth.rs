//! Which user certificates the node accepts: signed by a trusted user CA, of type user,
//! naming the requested login, valid now, and with only critical options the node
//! understands and satisfies (DESIGN.md: russh checks only the self-signature and the
//! validity window; everything else is ours).

use std::collections::BTreeMap;
use std::net::IpAddr;

use russh::keys::ssh_key::certificate::CertType;
use russh::keys::ssh_key::{Certificate, Fingerprint, HashAlg};
use serde::Deserialize;
use teleport_auth::ca::{
    EXT_PERMIT_PTY, EXT_TELEPORT_ROLES, EXT_TELEPORT_TRAITS, OPT_SOURCE_ADDRESS,
};
use teleport_auth::rbac::Traits;

/// Why a client was not let in. The message is what the `auth` audit event's `error`
/// says, so it names the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthRefusal {
    /// A plain public key (no certificate) was offered.
    #[error("public key {fingerprint} is not a certificate: this node accepts only user certificates from the cluster's user CA")]
    NotACertificate {
        /// The key's SHA-256 fingerprint.
        fingerprint: String,
    },
    /// Password or keyboard-interactive authentication was tried.
    #[error("{method} authentication is not accepted: this node accepts only user certificates")]
    MethodNotAccepted {
        /// The method's SSH name.
        method: &'static str,
    },
    /// The certificate's signature does not verify.
    #[error("the certificate's signature is invalid")]
    BadSignature,
    /// The certificate was signed by a CA the node does not trust.
    #[error("the certificate was signed by an untrusted authority {fingerprint}")]
    UntrustedAuthority {
        /// The signing key's SHA-256 fingerprint.
        fingerprint: String,
    },
    /// The certificate is a host certificate (or of an unknown type).
    #[error("the certificate is a {cert_type} certificate, not a user certificate")]
    NotAUserCertificate {
        /// `host`.
        cert_type: &'static str,
    },
    /// The requested login is not among the certificate's principals.
    #[error("login {login:?} is not a principal of the certificate (principals: {principals:?})")]
    PrincipalNotAllowed {
        /// The login asked for.
        login: String,
        /// The certificate's principals.
        principals: Vec<String>,
    },
    /// The certificate is not valid yet.
    #[error("the certificate is not valid before {valid_after} (unix time)")]
    NotYetValid {
        /// Its `valid_after`.
        valid_after: u64,
    },
    /// The certificate has expired.
    #[error("the certificate expired at {valid_before} (unix time)")]
    Expired {
        /// Its `valid_before`.
        valid_before: u64,
    },
    /// A critical option the node does not know: refused, as OpenSSH does.
    #[error("unknown critical option {name:?} in the certificate")]
    UnknownCriticalOption {
        /// The option's name.
        name: String,
    },
    /// The client's address is not in the certificate's `source-address` list.
    #[error(
        "source address {addr} is not allowed by the certificate (source-address {allowed:?})"
    )]
    SourceAddressMismatch {
        /// The client's address.
        addr: String,
        /// The option's value.
        allowed: String,
    },
    /// An extension the node reads could not be read.
    #[error("the certificate's {name} extension is invalid: {reason}")]
    BadExtension {
        /// The extension's name.
        name: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The user's roles could not be fetched or prepared.
    #[error("the user's roles could not be loaded: {0}")]
    Roles(String),
    /// The roles deny this login on this node.
    #[error("{0}")]
    AccessDenied(#[from] teleport_auth::rbac::AccessDenied),
}

/// What an accepted certificate says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertIdentity {
    /// The Teleport user (the key id).
    pub(crate) user: String,
    /// The user's roles (`teleport-roles`).
    pub(crate) roles: Vec<String>,
    /// The user's traits (`teleport-traits`).
    pub(crate) traits: Traits,
    /// `permit-pty`: whether a terminal may be requested. (Port and agent forwarding
    /// are decided by the roles, as Teleport's nodes do, not by the certificate's
    /// `permit-*-forwarding`, which are there for OpenSSH servers.)
    pub(crate) permit_pty: bool,
}

#[derive(Deserialize)]
struct RolesExtension {
    #[serde(default)]
    roles: Vec<String>,
}

/// Checks `cert`, presented by a client at `peer` asking for `login`, against the
/// trusted CA fingerprints at unix time `now`.
pub(crate) fn check_user_certificate(
    cert: &Certificate,
    login: &str,
    peer: IpAddr,
    trusted: &[Fingerprint],
    now: u64,
) -> Result<CertIdentity, AuthRefusal> {
    if cert.verify_signature().is_err() {
        return Err(AuthRefusal::BadSignature);
    }
    let ca = cert.signature_key().fingerprint(HashAlg::Sha256);
    if !trusted.contains(&ca) {
        return Err(AuthRefusal::UntrustedAuthority {
            fingerprint: ca.to_string(),
        });
    }
    if cert.cert_type() != CertType::User {
        return Err(AuthRefusal::NotAUserCertificate {
            cert_type: if cert.cert_type().is_host() {
                "host"
            } else {
                "unknown"
            },
        });
    }
    if !cert.valid_principals().iter().any(|p| p == login) {
        return Err(AuthRefusal::PrincipalNotAllowed {
            login: login.to_string(),
            principals: cert.valid_principals().to_vec(),
        });
    }
    if now < cert.valid_after() {
        return Err(AuthRefusal::NotYetValid {
            valid_after: cert.valid_after(),
        });
    }
    if now >= cert.valid_before() {
        return Err(AuthRefusal::Expired {
            valid_before: cert.valid_before(),
        });
    }
    for (name, value) in cert.critical_options().iter() {
        match name.as_str() {
            OPT_SOURCE_ADDRESS => {
                if !source_address_allows(value, peer) {
                    return Err(AuthRefusal::SourceAddressMismatch {
                        addr: peer.to_string(),
                        allowed: value.clone(),
                    });
                }
            }
            _ => {
                return Err(AuthRefusal::UnknownCriticalOption { name: name.clone() });
            }
        }
    }
    // Belt and braces: the library's own check, with our clock.
    cert.validate_at(now, trusted)
        .map_err(|_| AuthRefusal::BadSignature)?;

    let extensions = cert.extensions();
    let roles = match extensions.get(EXT_TELEPORT_ROLES) {
        Some(json) if !json.is_empty() => {
            serde_json::from_str::<RolesExtension>(json)
                .map_err(|err| AuthRefusal::BadExtension {
                    name: EXT_TELEPORT_ROLES,
                    reason: err.to_string(),
                })?
                .roles
        }
        _ => Vec::new(),
    };
    let traits = match extensions.get(EXT_TELEPORT_TRAITS) {
        Some(json) if !json.is_empty() && json != "null" => serde_json::from_str::<
            BTreeMap<String, Vec<String>>,
        >(json)
        .map_err(|err| AuthRefusal::BadExtension {
            name: EXT_TELEPORT_TRAITS,
            reason: err.to_string(),
        })?,
        _ => Traits::new(),
    };
    Ok(CertIdentity {
        user: cert.key_id().to_string(),
        roles,
        traits,
        permit_pty: extensions.contains_key(EXT_PERMIT_PTY),
    })
}

/// Whether `peer` is in `list`, a comma-separated list of addresses and CIDR blocks
/// (`10.0.0.0/8,192.168.1.7`). An entry that does not parse matches nothing.
pub(crate) fn source_address_allows(list: &str, peer: IpAddr) -> bool {
    let peer = canonical(peer);
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .any(|entry| cidr_contains(entry, peer))
}

fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
        v4 => v4,
    }
}

fn cidr_contains(entry: &str, peer: IpAddr) -> bool {
    let (addr, prefix) = match entry.split_once('/') {
        Some((addr, prefix)) => match prefix.parse::<u32>() {
            Ok(prefix) => (addr, Some(prefix)),
            Err(_) => return false,
        },
        None => (entry, None),
    };
    let Ok(net) = addr.parse::<IpAddr>() else {
        return false;
    };
    match (canonical(net), peer) {
        (IpAddr::V4(net), IpAddr::V4(peer)) => {
            let bits = prefix.unwrap_or(32);
            bits <= 32
                && masked(u128::from(u32::from(net)), bits, 32)
                    == masked(u128::from(u32::from(peer)), bits, 32)
        }
        (IpAddr::V6(net), IpAddr::V6(peer)) => {
            let bits = prefix.unwrap_or(128);
            bits <= 128 && masked(u128::from(net), bits, 128) == masked(u128::from(peer), bits, 128)
        }
        _ => false,
    }
}

fn masked(value: u128, bits: u32, width: u32) -> u128 {
    if bits == 0 {
        0
    } else {
        value >> (width - bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn source_addresses() {
        assert!(source_address_allows("127.0.0.1", ip("127.0.0.1")));
        assert!(source_address_allows(
            "10.0.0.0/8, 127.0.0.0/8",
            ip("127.0.0.1")
        ));
        assert!(!source_address_allows("10.0.0.0/8", ip("127.0.0.1")));
        assert!(source_address_allows("0.0.0.0/0", ip("192.0.2.1")));
        assert!(source_address_allows(
            "127.0.0.1/32",
            ip("::ffff:127.0.0.1")
        ));
        assert!(source_address_allows("::1", ip("::1")));
        assert!(source_address_allows("2001:db8::/32", ip("2001:db8::5")));
        assert!(!source_address_allows("2001:db8::/32", ip("2001:db9::5")));
        assert!(!source_address_allows(
            "garbage, 10.0.0.0/99",
            ip("10.0.0.1")
        ));
        assert!(!source_address_allows("", ip("10.0.0.1")));
    }
}
