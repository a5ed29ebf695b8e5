//! `tctl auth sign --user=NAME --out=PATH [--format=openssh|file] [--ttl=DURATION]`:
//! certificates for a user without their password, as an administrator issues them for
//! a bot, a CI job or a user who cannot log in.
//!
//! The keys are made here (the private keys never leave this machine): an Ed25519 SSH
//! key and, for `--format=file`, an ECDSA P-256 TLS key. The auth server signs them
//! for the TTL asked for (12 hours by default), capped by the user's roles'
//! `max_session_ttl`, and records a `cert.create` audit event.
//!
//! What is written, every file mode 0600:
//!
//! - `--format=openssh` (the default): `PATH`, the SSH private key (OpenSSH PEM), and
//!   `PATH-cert.pub`, the SSH certificate, the pair `ssh -i PATH` uses.
//! - `--format=file`: one identity file `PATH` holding, in this order:
//!   1. the SSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`);
//!   2. the SSH certificate, one line (`ssh-ed25519-cert-v01@openssh.com ...`);
//!   3. the TLS private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`);
//!   4. the TLS client certificate (`-----BEGIN CERTIFICATE-----`);
//!   5. the cluster's TLS CA certificate(s) (`-----BEGIN CERTIFICATE-----`);
//!   6. the cluster's host CA as `known_hosts` lines (`@cert-authority ...`).
//!
//! Existing files are not replaced unless `--overwrite` is given.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use rand::RngCore as _;
use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::keys::ssh_key::{Certificate, LineEnding, PrivateKey};
use teleport_auth::api::{AuthClient, SignUserRequest, UserCertsResponse};

use crate::resources::api_error;

/// What `tctl auth sign` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignFormat {
    /// `PATH` (private key) and `PATH-cert.pub` (certificate), for OpenSSH.
    #[default]
    OpenSsh,
    /// One identity file with the SSH and TLS keys, certificates and CAs.
    File,
}

impl std::str::FromStr for SignFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "openssh" => Ok(SignFormat::OpenSsh),
            "file" => Ok(SignFormat::File),
            other => Err(format!(
                "unknown format {other:?}: expected openssh or file"
            )),
        }
    }
}

/// The flags of `tctl auth sign`.
#[derive(Debug, Clone)]
pub struct SignArgs {
    /// `--user`: whom the certificates are for.
    pub user: String,
    /// `-o/--out`: where to write them.
    pub out: PathBuf,
    /// `--format`.
    pub format: SignFormat,
    /// `--ttl`: how long they live; `None` for the server's default (12 hours).
    pub ttl: Option<teleport_core::Duration>,
    /// `--overwrite`: replace existing files.
    pub overwrite: bool,
}

/// The files `args` makes `tctl auth sign` write.
pub fn output_paths(args: &SignArgs) -> Vec<PathBuf> {
    match args.format {
        SignFormat::OpenSsh => vec![args.out.clone(), cert_path(&args.out)],
        SignFormat::File => vec![args.out.clone()],
    }
}

/// `PATH-cert.pub`, where OpenSSH looks for the certificate of the key `PATH`.
fn cert_path(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_os_string();
    name.push("-cert.pub");
    PathBuf::from(name)
}

/// A new Ed25519 key for the SSH certificate.
fn ssh_key() -> Result<PrivateKey> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    PrivateKey::new(KeypairData::from(Ed25519Keypair::from_seed(&seed)), "")
        .map_err(|err| anyhow!("cannot make an SSH key: {err}"))
}

/// `tctl auth sign`: makes keys, has the auth server sign them, writes the files and
/// says where.
pub async fn sign(client: &AuthClient, args: &SignArgs) -> Result<String> {
    if args.user.trim().is_empty() {
        bail!("--user: name the user to sign certificates for");
    }
    let ttl_secs = match args.ttl {
        Some(ttl) if ttl.is_zero() => bail!("--ttl must be longer than zero"),
        Some(ttl) => Some(ttl.as_std().as_secs().max(1)),
        None => None,
    };
    let paths = output_paths(args);
    if !args.overwrite {
        if let Some(existing) = paths.iter().find(|path| path.exists()) {
            bail!(
                "{} exists already: choose another --out or pass --overwrite",
                existing.display()
            );
        }
    }
    let key = ssh_key()?;
    let tls_key = match args.format {
        SignFormat::File => Some(
            rcgen::KeyPair::generate().map_err(|err| anyhow!("cannot make a TLS key: {err}"))?,
        ),
        SignFormat::OpenSsh => None,
    };
    let request = SignUserRequest {
        username: args.user.clone(),
        ssh_public_key: key
            .public_key()
            .to_openssh()
            .map_err(|err| anyhow!("cannot encode the SSH public key: {err}"))?,
        tls_public_key: tls_key.as_ref().map(rcgen::KeyPair::public_key_pem),
        ttl_secs,
    };
    let certs = client
        .sign_user(&request)
        .await
        .map_err(api_error)
        .with_context(|| format!("cannot sign certificates for user {:?}", args.user))?;
    check_answer(&key, &certs)?;

    let private_pem = key
        .to_openssh(LineEnding::LF)
        .map_err(|err| anyhow!("cannot encode the SSH private key: {err}"))?;
    let ssh_cert = line(&certs.ssh_cert);
    match (args.format, &tls_key) {
        (SignFormat::OpenSsh, _) => {
            write_private(&paths[0], private_pem.as_bytes())?;
            write_private(&paths[1], ssh_cert.as_bytes())?;
        }
        (SignFormat::File, Some(tls_key)) => {
            let tls_cert = certs.tls_cert.as_deref().ok_or_else(|| {
                anyhow!("the auth server returned no TLS certificate for the TLS key")
            })?;
            let identity = [
                private_pem.as_str(),
                &ssh_cert,
                &line(&tls_key.serialize_pem()),
                &line(tls_cert),
                &line(&certs.tls_ca),
                &line(&certs.ssh_host_ca),
            ]
            .concat();
            write_private(&paths[0], identity.as_bytes())?;
        }
        (SignFormat::File, None) => bail!("no TLS key was made for --format=file"),
    }
    let written: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    Ok(format!(
        "The credentials have been written to {}\n",
        written.join(", ")
    ))
}

/// Checks that the certificate the server returned is for our key.
fn check_answer(key: &PrivateKey, certs: &UserCertsResponse) -> Result<()> {
    let cert = Certificate::from_openssh(certs.ssh_cert.trim())
        .map_err(|err| anyhow!("the auth server returned an unreadable SSH certificate: {err}"))?;
    if cert.public_key() != key.public_key().key_data() {
        bail!("the auth server returned a certificate for another key");
    }
    Ok(())
}

/// `text` ending in exactly one newline.
fn line(text: &str) -> String {
    format!("{}\n", text.trim_end())
}

/// Writes `bytes` to `path` readable by its owner only (an existing file is truncated
/// and made 0600 too).
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot make {} private", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssh_writes_the_key_and_its_cert_beside_it() {
        let args = SignArgs {
            user: "joe".into(),
            out: PathBuf::from("/tmp/out/joe"),
            format: SignFormat::OpenSsh,
            ttl: None,
            overwrite: false,
        };
        assert_eq!(
            output_paths(&args),
            [
                PathBuf::from("/tmp/out/joe"),
                PathBuf::from("/tmp/out/joe-cert.pub")
            ]
        );
        let file = SignArgs {
            format: SignFormat::File,
            ..args
        };
        assert_eq!(output_paths(&file), [PathBuf::from("/tmp/out/joe")]);
    }

    #[test]
    fn formats_parse() {
        assert_eq!("openssh".parse::<SignFormat>(), Ok(SignFormat::OpenSsh));
        assert_eq!("FILE".parse::<SignFormat>(), Ok(SignFormat::File));
        assert!("tls".parse::<SignFormat>().is_err());
    }

    #[test]
    fn keys_are_ed25519_in_openssh_pem() {
        let key = ssh_key().ok();
        let pem = key.and_then(|k| k.to_openssh(LineEnding::LF).ok());
        assert!(pem.is_some_and(|p| p.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")));
    }
}
