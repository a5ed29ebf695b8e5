//! [`LocalCertAuthority`]: CAs whose keys live in the cluster's backend, created on the
//! auth server's first start and loaded on every later one.
//!
//! Backend layout (JSON resources, as `tctl get` shows them):
//!
//! - `/cluster_configuration/name`: the `cluster_name` resource, written with `create`
//!   so two auth servers starting at once cannot both name the cluster;
//! - `/authorities/user/<cluster>`: the user CA (`cert_authority`, `type: user`);
//! - `/authorities/host/<cluster>`: the host CA, which also holds the TLS CA in
//!   `active_keys.tls`, as Teleport keeps it.

use std::sync::Arc;

use async_trait::async_trait;
use russh::keys::ssh_key::Certificate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use teleport_backend::{Backend, BackendError, Item};
use teleport_core::config::CaSignatureAlgo;
use teleport_core::resource::{
    Bytes, CertAuthType, CertAuthority as CaResource, CertAuthoritySpec, ClusterName,
    ClusterNameSpec, Secret, SshKeyPair, TlsKeyPair, CLUSTER_NAME_RESOURCE,
};
use teleport_core::SharedClock;

use super::error::{CaError, Result};
use super::export::{self, ExportKind};
use super::keys::{RsaKeySize, SshCaKey};
use super::pin::{ca_pin_of, CaPin};
use super::ssh::{self, HostCertRequest, UserCertRequest};
use super::tls::{TlsCa, TlsCertRequest};
use super::CertAuthority;

/// The backend key of the `cluster_name` resource.
pub const CLUSTER_NAME_KEY: &str = "/cluster_configuration/name";

/// The backend key of a cluster's CA of type `ca_type` (`user` or `host`).
pub fn authority_key(ca_type: CertAuthType, cluster: &str) -> String {
    format!("/authorities/{}/{cluster}", ca_type.as_str())
}

/// The cluster's user, host and TLS CAs, with their private keys.
#[derive(Debug)]
pub struct LocalCertAuthority {
    cluster: String,
    user: SshCaKey,
    host: SshCaKey,
    tls: TlsCa,
    pin: CaPin,
    clock: SharedClock,
}

async fn read_json<T: DeserializeOwned>(backend: &dyn Backend, key: &str) -> Result<Option<T>> {
    match backend.get(key.as_bytes()).await {
        Ok(item) => serde_json::from_slice(&item.value)
            .map(Some)
            .map_err(|err| CaError::corrupt(key, err)),
        Err(BackendError::NotFound { .. }) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Creates `value` at `key`; `Ok(false)` when something was there already.
async fn create_json<T: Serialize>(backend: &dyn Backend, key: &str, value: &T) -> Result<bool> {
    let bytes = serde_json::to_vec(value).map_err(|err| CaError::corrupt(key, err))?;
    match backend.create(Item::new(key, bytes)).await {
        Ok(_) => Ok(true),
        Err(BackendError::AlreadyExists { .. }) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Fixes the cluster's name: the stored one, else `configured`, else a new UUID.
async fn settle_cluster_name(backend: &dyn Backend, configured: Option<&str>) -> Result<String> {
    for _ in 0..2 {
        if let Some(stored) = read_json::<ClusterName>(backend, CLUSTER_NAME_KEY).await? {
            let stored = stored.spec.cluster_name;
            return match configured {
                Some(configured) if configured != stored => Err(CaError::ClusterRenamed {
                    stored,
                    configured: configured.to_string(),
                }),
                _ => Ok(stored),
            };
        }
        let name = match configured {
            Some(name) if !name.trim().is_empty() => name.to_string(),
            Some(_) => return Err(CaError::InvalidRequest("the cluster name is empty".into())),
            None => uuid::Uuid::new_v4().to_string(),
        };
        let spec = ClusterNameSpec {
            cluster_name: name.clone(),
            cluster_id: uuid::Uuid::new_v4().to_string(),
        };
        let resource = ClusterName::named(CLUSTER_NAME_RESOURCE, spec)
            .map_err(|err| CaError::corrupt(CLUSTER_NAME_KEY, err))?;
        if create_json(backend, CLUSTER_NAME_KEY, &resource).await? {
            tracing::info!(cluster = %name, "initialized the cluster name");
            return Ok(name);
        }
        // Another auth server named the cluster first: read its choice.
    }
    Err(CaError::corrupt(
        CLUSTER_NAME_KEY,
        "the cluster name exists and vanished while it was read",
    ))
}

/// Builds the CA resource of `ca_type` holding `key` (and `tls` for the host CA).
fn ca_resource(
    cluster: &str,
    ca_type: CertAuthType,
    key: &SshCaKey,
    tls: Option<&TlsCa>,
) -> Result<CaResource> {
    let mut spec = CertAuthoritySpec::new(ca_type, cluster);
    spec.signing_alg = key.signing_alg();
    spec.active_keys.ssh.push(SshKeyPair {
        public_key: Bytes(key.public_key_openssh().into_bytes()),
        private_key: Secret::new(Bytes(key.to_openssh()?)),
        private_key_type: Default::default(),
    });
    if let Some(tls) = tls {
        spec.active_keys.tls.push(TlsKeyPair {
            cert: Bytes(tls.cert_pem().as_bytes().to_vec()),
            key: Secret::new(Bytes(tls.key_pem().as_bytes().to_vec())),
            key_type: Default::default(),
        });
    }
    CaResource::named(cluster, spec).map_err(|err| CaError::InvalidRequest(err.to_string()))
}

/// Reads the signing SSH key of a stored CA.
fn ssh_key_of(ca: &CaResource, key: &str) -> Result<SshCaKey> {
    let pair = ca
        .spec
        .active_keys
        .ssh
        .first()
        .ok_or_else(|| CaError::corrupt(key, "no active SSH key"))?;
    if pair.private_key.is_empty() {
        return Err(CaError::corrupt(
            key,
            "the active SSH key has no private key",
        ));
    }
    SshCaKey::from_openssh(pair.private_key.expose().as_slice(), ca.spec.signing_alg)
        .map_err(|err| CaError::corrupt(key, err))
}

/// Reads the TLS CA of a stored host CA.
fn tls_ca_of(ca: &CaResource, key: &str) -> Result<TlsCa> {
    let pair = ca
        .spec
        .active_keys
        .tls
        .first()
        .ok_or_else(|| CaError::corrupt(key, "no active TLS key pair"))?;
    let cert =
        std::str::from_utf8(pair.cert.as_slice()).map_err(|err| CaError::corrupt(key, err))?;
    let private = std::str::from_utf8(pair.key.expose().as_slice())
        .map_err(|err| CaError::corrupt(key, err))?;
    TlsCa::from_pem(cert, private).map_err(|err| CaError::corrupt(key, err))
}

/// Loads the CA of `ca_type`, creating it with `generate` if absent; when another auth
/// server creates it first, its CA is the one returned.
async fn load_or_create_ca(
    backend: &dyn Backend,
    cluster: &str,
    ca_type: CertAuthType,
    generate: impl FnOnce() -> Result<CaResource>,
) -> Result<CaResource> {
    let key = authority_key(ca_type, cluster);
    if let Some(ca) = read_json::<CaResource>(backend, &key).await? {
        return Ok(ca);
    }
    let ca = generate()?;
    if create_json(backend, &key, &ca).await? {
        tracing::info!(cluster, key = %key, "created a certificate authority");
        return Ok(ca);
    }
    read_json::<CaResource>(backend, &key)
        .await?
        .ok_or_else(|| CaError::corrupt(key, "the CA vanished while it was created"))
}

impl LocalCertAuthority {
    /// Loads the cluster's CAs from `backend`, creating them (and fixing the cluster
    /// name) on the first start. `cluster_name` is the configured name (`None`: the
    /// stored one, or a new UUID); a name other than the stored one is refused with
    /// [`CaError::ClusterRenamed`]. New SSH CAs use `algo` (RSA: 2048 bits); existing
    /// CAs keep their keys whatever `algo` says.
    pub async fn load_or_create(
        backend: Arc<dyn Backend>,
        cluster_name: Option<&str>,
        algo: CaSignatureAlgo,
        clock: SharedClock,
    ) -> Result<Self> {
        Self::load_or_create_sized(backend, cluster_name, algo, RsaKeySize::default(), clock).await
    }

    /// [`LocalCertAuthority::load_or_create`] with RSA CA keys of `rsa_size`.
    pub async fn load_or_create_sized(
        backend: Arc<dyn Backend>,
        cluster_name: Option<&str>,
        algo: CaSignatureAlgo,
        rsa_size: RsaKeySize,
        clock: SharedClock,
    ) -> Result<Self> {
        let backend = backend.as_ref();
        let cluster = settle_cluster_name(backend, cluster_name).await?;
        let now = clock.now();

        let user_ca = load_or_create_ca(backend, &cluster, CertAuthType::User, || {
            let key = SshCaKey::generate(algo, rsa_size)?;
            ca_resource(&cluster, CertAuthType::User, &key, None)
        })
        .await?;
        let host_ca = load_or_create_ca(backend, &cluster, CertAuthType::Host, || {
            let key = SshCaKey::generate(algo, rsa_size)?;
            let tls = TlsCa::generate(&cluster, now)?;
            ca_resource(&cluster, CertAuthType::Host, &key, Some(&tls))
        })
        .await?;

        let user_key = authority_key(CertAuthType::User, &cluster);
        let host_key = authority_key(CertAuthType::Host, &cluster);
        let user = ssh_key_of(&user_ca, &user_key)?;
        let host = ssh_key_of(&host_ca, &host_key)?;
        let tls = tls_ca_of(&host_ca, &host_key)?;
        let pin = ca_pin_of(tls.cert_der())?;
        let stored_rsa = user.signing_alg().is_some();
        if stored_rsa != (algo != CaSignatureAlgo::Ed25519) {
            tracing::warn!(
                cluster = %cluster,
                configured = %algo,
                "ca_signature_algo differs from the existing CAs' keys, which are kept \
                 (changing it needs a CA rotation)"
            );
        }
        Ok(LocalCertAuthority {
            cluster,
            user,
            host,
            tls,
            pin,
            clock,
        })
    }

    /// The user CA's signing key (public part and fingerprint).
    pub fn user_ca(&self) -> &SshCaKey {
        &self.user
    }

    /// The host CA's signing key (public part and fingerprint).
    pub fn host_ca(&self) -> &SshCaKey {
        &self.host
    }

    /// The TLS CA.
    pub fn tls_ca(&self) -> &TlsCa {
        &self.tls
    }

    /// Signs a user certificate now (the synchronous form of
    /// [`CertAuthority::sign_user_ssh`]).
    pub fn sign_user_ssh_sync(&self, req: &UserCertRequest) -> Result<Certificate> {
        ssh::sign_user(&self.user, req, self.clock.now())
    }

    /// Signs a host certificate now (the synchronous form of
    /// [`CertAuthority::sign_host_ssh`]).
    pub fn sign_host_ssh_sync(&self, req: &HostCertRequest) -> Result<Certificate> {
        ssh::sign_host(&self.host, req, &self.cluster, self.clock.now())
    }

    /// Issues a TLS certificate now (the synchronous form of
    /// [`CertAuthority::sign_tls`]).
    pub fn sign_tls_sync(&self, req: &TlsCertRequest) -> Result<String> {
        self.tls.sign(req, self.clock.now())
    }
}

#[async_trait]
impl CertAuthority for LocalCertAuthority {
    fn cluster_name(&self) -> &str {
        &self.cluster
    }

    async fn sign_user_ssh(&self, req: UserCertRequest) -> Result<Certificate> {
        self.sign_user_ssh_sync(&req)
    }

    async fn sign_host_ssh(&self, req: HostCertRequest) -> Result<Certificate> {
        self.sign_host_ssh_sync(&req)
    }

    async fn sign_tls(&self, req: TlsCertRequest) -> Result<String> {
        self.sign_tls_sync(&req)
    }

    fn tls_ca_pem(&self) -> &str {
        self.tls.cert_pem()
    }

    fn ca_pin(&self) -> CaPin {
        self.pin.clone()
    }

    fn export(&self, kind: ExportKind) -> String {
        match kind {
            ExportKind::Host => export::host_line(&self.cluster, &self.host),
            ExportKind::User => export::user_line(&self.cluster, &self.user),
            ExportKind::UserTrustedCaKeys => export::plain_line(&self.user),
            ExportKind::Tls => self.tls.cert_pem().to_string(),
        }
    }
}
