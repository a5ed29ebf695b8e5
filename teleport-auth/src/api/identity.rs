//! [`Identity`]: a process's keys and certificates, stored in
//! `data_dir/identity/<role>/identity.json` (directory 0700, file 0600), written
//! atomically so that a crash leaves the old identity or the new one, never a mix.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use teleport_core::resource::SystemRole;
use teleport_core::Clock;

use super::error::{ApiError, Result};
use super::tls::Trust;
use crate::ca::{CertAuthority, TlsCertRequest, TlsIdentity, TlsPublicKey, TlsUsage};

/// The file an identity is kept in, inside its role's directory.
const IDENTITY_FILE: &str = "identity.json";

/// How long the local administrator's certificate is valid (re-issued at each start
/// of the auth service).
pub const ADMIN_IDENTITY_TTL: time::Duration = time::Duration::days(365);

/// The user name of the local administrator's certificate.
pub const ADMIN_USER: &str = "admin";

/// A process's credentials in the cluster: what joining gives a host, or what the auth
/// service writes for `tctl`. `Debug` hides the private keys.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The host's id (for the admin identity: `admin`).
    pub host_uuid: String,
    /// The host's node name.
    #[serde(default)]
    pub nodename: String,
    /// The system role the certificates carry.
    pub role: SystemRole,
    /// The cluster that issued them.
    pub cluster_name: String,
    /// The SSH private key, OpenSSH PEM (hosts only).
    #[serde(default)]
    pub ssh_private_key: Option<String>,
    /// The host SSH certificate, OpenSSH format (hosts only).
    #[serde(default)]
    pub ssh_cert: Option<String>,
    /// The TLS private key, PKCS#8 PEM.
    pub tls_private_key: String,
    /// The TLS certificate, PEM.
    pub tls_cert: String,
    /// The cluster's TLS CA certificate, PEM: what this process trusts the auth
    /// server by from now on.
    pub tls_ca: String,
    /// The host CA, as a `known_hosts` `@cert-authority` line.
    #[serde(default)]
    pub ssh_host_ca: String,
    /// The user CA's public key, OpenSSH format (sshd's `TrustedUserCAKeys`).
    #[serde(default)]
    pub ssh_user_ca: String,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("host_uuid", &self.host_uuid)
            .field("nodename", &self.nodename)
            .field("role", &self.role)
            .field("cluster_name", &self.cluster_name)
            .field(
                "ssh_private_key",
                &self.ssh_private_key.as_ref().map(|_| "***"),
            )
            .field("tls_private_key", &"***")
            .finish_non_exhaustive()
    }
}

fn storage(path: &Path, source: std::io::Error) -> ApiError {
    ApiError::Storage {
        path: path.display().to_string(),
        source,
    }
}

/// Creates `dir` (and its parents) and makes it 0700.
fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|err| storage(dir, err))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|err| storage(dir, err))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically, mode 0600: a temporary file, fsync, rename.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{IDENTITY_FILE}.{}.tmp", uuid::Uuid::new_v4()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|err| storage(path, err))
}

impl Identity {
    /// The directory of `role`'s identity: `data_dir/identity/<role, lower case>`.
    pub fn dir(data_dir: &Path, role: SystemRole) -> PathBuf {
        data_dir
            .join("identity")
            .join(role.as_str().to_ascii_lowercase())
    }

    /// Stores this identity under `data_dir` (see [`Identity::dir`]); returns the file.
    pub fn save(&self, data_dir: &Path) -> Result<PathBuf> {
        private_dir(&data_dir.join("identity"))?;
        let dir = Self::dir(data_dir, self.role);
        private_dir(&dir)?;
        let path = dir.join(IDENTITY_FILE);
        let json = serde_json::to_vec_pretty(self).map_err(|err| ApiError::CorruptIdentity {
            path: path.display().to_string(),
            message: err.to_string(),
        })?;
        write_private(&path, &json)?;
        Ok(path)
    }

    /// The identity of `role` stored under `data_dir`, `None` when there is none.
    pub fn load(data_dir: &Path, role: SystemRole) -> Result<Option<Identity>> {
        let path = Self::dir(data_dir, role).join(IDENTITY_FILE);
        let identity = match Self::load_file(&path) {
            Ok(identity) => identity,
            Err(ApiError::Storage { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                return Ok(None)
            }
            Err(err) => return Err(err),
        };
        if identity.role != role {
            return Err(ApiError::CorruptIdentity {
                path: path.display().to_string(),
                message: format!("it holds a {} identity, not {role}", identity.role),
            });
        }
        Ok(Some(identity))
    }

    /// Reads an identity file (an `identity.json` copied from a data directory, as
    /// `tctl -i FILE` takes it), whatever its role.
    pub fn load_file(path: &Path) -> Result<Identity> {
        let bytes = std::fs::read(path).map_err(|err| storage(path, err))?;
        serde_json::from_slice(&bytes).map_err(|err| ApiError::CorruptIdentity {
            path: path.display().to_string(),
            message: err.to_string(),
        })
    }

    /// How to trust the auth server with this identity: its stored TLS CA.
    pub fn trust(&self) -> Trust {
        Trust::CaPem(self.tls_ca.clone())
    }

    /// The identity the TLS certificate carries.
    pub fn tls_identity(&self) -> Result<TlsIdentity> {
        let der = super::tls::certs_from_pem(&self.tls_cert)?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::Invalid("no TLS certificate".into()))?;
        TlsIdentity::from_certificate(&der).map_err(|err| ApiError::Invalid(err.to_string()))
    }
}

/// Issues the local administrator's identity (user `admin`, system role Admin, a TLS
/// client certificate valid for [`ADMIN_IDENTITY_TTL`]) and stores it in
/// `data_dir/identity/admin/`, so that `tctl` on the auth host can call the auth API.
/// The auth service calls this at each start.
pub async fn issue_admin_identity(
    ca: &dyn CertAuthority,
    data_dir: &Path,
    clock: &dyn Clock,
) -> Result<Identity> {
    let key = rcgen::KeyPair::generate()
        .map_err(|err| ApiError::Invalid(format!("admin TLS key: {err}")))?;
    let identity = TlsIdentity {
        username: ADMIN_USER.to_string(),
        roles: Vec::new(),
        system_role: Some(SystemRole::Admin.as_str().to_string()),
        cluster_name: ca.cluster_name().to_string(),
        logins: Vec::new(),
        expires: clock.now() + ADMIN_IDENTITY_TTL,
    };
    let cert = ca
        .sign_tls(TlsCertRequest {
            public_key: TlsPublicKey::SpkiPem(key.public_key_pem()),
            identity,
            usage: TlsUsage::Client,
            dns_names: Vec::new(),
            ip_addrs: Vec::new(),
        })
        .await
        .map_err(|err| ApiError::Invalid(format!("admin TLS certificate: {err}")))?;
    let identity = Identity {
        host_uuid: ADMIN_USER.to_string(),
        nodename: String::new(),
        role: SystemRole::Admin,
        cluster_name: ca.cluster_name().to_string(),
        ssh_private_key: None,
        ssh_cert: None,
        tls_private_key: key.serialize_pem(),
        tls_cert: cert,
        tls_ca: ca.tls_ca_pem().to_string(),
        ssh_host_ca: ca.export(crate::ca::ExportKind::Host),
        ssh_user_ca: ca.export(crate::ca::ExportKind::UserTrustedCaKeys),
    };
    identity.save(data_dir)?;
    Ok(identity)
}
