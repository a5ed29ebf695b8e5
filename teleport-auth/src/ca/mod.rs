//! The cluster's certificate authorities: a user SSH CA, a host SSH CA and a TLS CA,
//! kept in the backend as `cert_authority` resources and created once, when the auth
//! service first starts (see [`LocalCertAuthority::load_or_create`]).
//!
//! SSH CAs are Ed25519 by default; with `ca_signature_algo: rsa-sha2-512` (or
//! `rsa-sha2-256`) they are RSA-2048 keys signing with that hash, never SHA-1. The TLS
//! CA is ECDSA P-256. Certificates carry what Teleport's carry (DESIGN.md,
//! "Compatibility targets"); `ssh-keygen -L` and `openssl verify` check them in the
//! integration tests.

mod error;
mod export;
mod keys;
mod local;
mod pin;
mod ssh;
mod tls;

use async_trait::async_trait;
pub use russh::keys::ssh_key::Certificate;

pub use error::{CaError, Result};
pub use export::ExportKind;
pub use keys::{RsaKeySize, SshCaKey};
pub use local::{authority_key, LocalCertAuthority, CLUSTER_NAME_KEY};
pub use pin::{ca_pin_of, pin_matches, CaPin};
pub use ssh::{
    host_principals, HostCertRequest, UserCertRequest, CLOCK_SKEW_ALLOWANCE,
    EXT_PERMIT_AGENT_FORWARDING, EXT_PERMIT_PORT_FORWARDING, EXT_PERMIT_PTY,
    EXT_TELEPORT_AUTHORITY, EXT_TELEPORT_ROLE, EXT_TELEPORT_ROLES, EXT_TELEPORT_TRAITS,
    OPT_SOURCE_ADDRESS,
};
pub use tls::{
    TlsCa, TlsCertRequest, TlsIdentity, TlsPublicKey, TlsUsage, IDENTITY_OID, IDENTITY_OID_STR,
};

/// A cluster's certificate authorities: what the auth API signs with.
#[async_trait]
pub trait CertAuthority: Send + Sync {
    /// The cluster's name.
    fn cluster_name(&self) -> &str;

    /// Signs a user SSH certificate (key id = user name, principals = logins).
    async fn sign_user_ssh(&self, req: UserCertRequest) -> Result<Certificate>;

    /// Signs a host SSH certificate (principals from [`host_principals`]).
    async fn sign_host_ssh(&self, req: HostCertRequest) -> Result<Certificate>;

    /// Issues an X.509 certificate carrying `req.identity`; returns it as PEM.
    async fn sign_tls(&self, req: TlsCertRequest) -> Result<String>;

    /// The TLS CA certificate, PEM.
    fn tls_ca_pem(&self) -> &str;

    /// The CA pin (`sha256:<hex>`) of the TLS CA, as `tctl status` prints it.
    fn ca_pin(&self) -> CaPin;

    /// The CA public keys in the form `kind` names (`tctl auth export`).
    fn export(&self, kind: ExportKind) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<LocalCertAuthority>();
        assert_send_sync::<std::sync::Arc<dyn CertAuthority>>();
        assert_send_sync::<CaError>();
        assert_send_sync::<SshCaKey>();
        assert_send_sync::<TlsCa>();
        assert_send_sync::<UserCertRequest>();
        assert_send_sync::<HostCertRequest>();
        assert_send_sync::<TlsCertRequest>();
        assert_send_sync::<TlsIdentity>();
        assert_send_sync::<ExportKind>();
        assert_send_sync::<RsaKeySize>();
    }
}
