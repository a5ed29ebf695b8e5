//! Host certificates: what a join hands a node or proxy, and
//! [`issue_host_identity`], which gives a service running in the auth server's own
//! process the same identity without a token.

use std::net::IpAddr;

use russh::keys::ssh_key::PublicKey;
use teleport_core::resource::SystemRole;
use teleport_core::Clock;

use super::error::{ApiError, Result};
use super::identity::Identity;
use super::join::ssh_keypair;
use super::server::add_name;
use crate::ca::{
    CertAuthority, ExportKind, HostCertRequest, TlsCertRequest, TlsIdentity, TlsPublicKey, TlsUsage,
};

/// How long a joined host's TLS certificate is valid.
pub const HOST_TLS_TTL: time::Duration = time::Duration::days(5 * 365);

/// Who a host is, for its certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostRequest<'a> {
    pub(crate) host_uuid: &'a str,
    pub(crate) nodename: &'a str,
    pub(crate) role: SystemRole,
    pub(crate) additional_principals: &'a [String],
    /// The SSH public key to certify, OpenSSH format.
    pub(crate) ssh_public_key: &'a str,
    /// The TLS public key to certify, SubjectPublicKeyInfo PEM.
    pub(crate) tls_public_key: &'a str,
}

/// Signs a host's SSH certificate (OpenSSH text) and TLS certificate (PEM, valid as
/// client and server for [`HOST_TLS_TTL`], for `<uuid>.<cluster>`, the node name,
/// `localhost`, the loopback addresses and the additional principals).
pub(crate) async fn sign_host(
    ca: &dyn CertAuthority,
    clock: &dyn Clock,
    req: &HostRequest<'_>,
) -> Result<(String, String)> {
    let cluster = ca.cluster_name().to_string();
    let ssh_key = PublicKey::from_openssh(req.ssh_public_key.trim())
        .map_err(|err| ApiError::Invalid(format!("invalid SSH public key: {err}")))?;
    let ssh_cert = ca
        .sign_host_ssh(HostCertRequest {
            public_key: ssh_key,
            host_uuid: req.host_uuid.to_string(),
            nodename: req.nodename.to_string(),
            role: req.role,
            additional_principals: req.additional_principals.to_vec(),
            ttl: None,
        })
        .await
        .map_err(|err| ApiError::Invalid(format!("cannot issue the host SSH certificate: {err}")))?
        .to_openssh()
        .map_err(|err| {
            ApiError::Invalid(format!("cannot encode the host SSH certificate: {err}"))
        })?;
    let host = format!("{}.{cluster}", req.host_uuid);
    let mut dns_names = Vec::new();
    let mut ip_addrs: Vec<IpAddr> = Vec::new();
    for name in [host.as_str(), req.nodename, "localhost"]
        .into_iter()
        .chain(req.additional_principals.iter().map(String::as_str))
        .chain(["127.0.0.1", "::1"])
    {
        add_name(name, &mut dns_names, &mut ip_addrs);
    }
    let tls_cert = ca
        .sign_tls(TlsCertRequest {
            public_key: TlsPublicKey::SpkiPem(req.tls_public_key.to_string()),
            identity: TlsIdentity {
                username: host,
                roles: Vec::new(),
                system_role: Some(req.role.as_str().to_string()),
                cluster_name: cluster,
                logins: Vec::new(),
                expires: clock.now() + HOST_TLS_TTL,
            },
            usage: TlsUsage::ClientAndServer,
            dns_names,
            ip_addrs,
        })
        .await
        .map_err(|err| {
            ApiError::Invalid(format!("cannot issue the host TLS certificate: {err}"))
        })?;
    Ok((ssh_cert, tls_cert))
}

/// The identity of a `role` service (a node) running in the auth server's process:
/// the stored one in `data_dir/identity/<role>/` when it is of this cluster, else new
/// keys and certificates signed directly by `ca` (no token: the process is the auth
/// server), stored 0600.
pub async fn issue_host_identity(
    ca: &dyn CertAuthority,
    data_dir: &std::path::Path,
    host_uuid: &str,
    nodename: &str,
    role: SystemRole,
    additional_principals: &[String],
    clock: &dyn Clock,
) -> Result<Identity> {
    if let Some(identity) = Identity::load(data_dir, role)? {
        if identity.cluster_name == ca.cluster_name() && identity.host_uuid == host_uuid {
            return Ok(identity);
        }
    }
    let (ssh_private, ssh_public) = ssh_keypair()?;
    let tls_key =
        rcgen::KeyPair::generate().map_err(|err| ApiError::Invalid(format!("TLS key: {err}")))?;
    let tls_public = tls_key.public_key_pem();
    let request = HostRequest {
        host_uuid,
        nodename,
        role,
        additional_principals,
        ssh_public_key: &ssh_public,
        tls_public_key: &tls_public,
    };
    let (ssh_cert, tls_cert) = sign_host(ca, clock, &request).await?;
    let identity = Identity {
        host_uuid: host_uuid.to_string(),
        nodename: nodename.to_string(),
        role,
        cluster_name: ca.cluster_name().to_string(),
        ssh_private_key: Some(ssh_private),
        ssh_cert: Some(ssh_cert),
        tls_private_key: tls_key.serialize_pem(),
        tls_cert,
        tls_ca: ca.tls_ca_pem().to_string(),
        ssh_host_ca: ca.export(ExportKind::Host),
        ssh_user_ca: ca.export(ExportKind::UserTrustedCaKeys),
    };
    identity.save(data_dir)?;
    Ok(identity)
}
