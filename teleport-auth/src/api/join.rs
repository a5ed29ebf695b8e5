//! [`join`]: how a node or proxy joins the cluster, as the manual's "Adding Nodes to
//! the cluster" describes: check the auth server's CA against the CA pin, then trade
//! the join token for certificates, and keep them so later starts need no token.

use std::fmt;
use std::path::Path;

use rand::RngCore as _;
use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::keys::ssh_key::{LineEnding, PrivateKey};
use teleport_core::config::CaPin;
use teleport_core::resource::SystemRole;

use super::client::AuthClient;
use super::error::{ApiError, Result};
use super::identity::Identity;
use super::tls::Trust;
use super::types::JoinRequest;
use crate::ca::ca_pin_of;

/// The warning printed when a host joins without a CA pin.
pub const NO_PIN_WARNING: &str = "WARN: joining the cluster without a CA pin: the auth \
server's identity is not verified, and anyone who can intercept the connection can \
impersonate it and take the join token; use --ca-pin (shown by `tctl status` on the auth \
server) to pin its CA";

/// What a host needs to join.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinParams<'a> {
    /// The auth server's address (`auth.example.com:3025`).
    pub auth_addr: &'a str,
    /// The join token (masked in `Debug`).
    pub token: &'a str,
    /// The role to join as (Node, Proxy or Auth).
    pub role: SystemRole,
    /// The CA pins the auth server's TLS CA must match; empty: no check (a warning).
    pub ca_pins: &'a [CaPin],
    /// The host's data_dir; the identity goes to `data_dir/identity/<role>/`.
    pub data_dir: &'a Path,
    /// The host's node name.
    pub nodename: &'a str,
    /// The host's id (`data_dir/host_uuid`).
    pub host_uuid: &'a str,
    /// More principals and names for the host's certificates (public addresses).
    pub additional_principals: &'a [String],
}

impl fmt::Debug for JoinParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinParams")
            .field("auth_addr", &self.auth_addr)
            .field("token", &crate::tokens::masked(self.token))
            .field("role", &self.role)
            .field("ca_pins", &self.ca_pins)
            .field("data_dir", &self.data_dir)
            .field("nodename", &self.nodename)
            .field("host_uuid", &self.host_uuid)
            .finish_non_exhaustive()
    }
}

/// A new Ed25519 SSH key: (private key as OpenSSH PEM, public key line).
pub(crate) fn ssh_keypair() -> Result<(String, String)> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let key = PrivateKey::new(KeypairData::from(Ed25519Keypair::from_seed(&seed)), "")
        .map_err(|err| ApiError::Invalid(format!("SSH key: {err}")))?;
    let private = key
        .to_openssh(LineEnding::LF)
        .map_err(|err| ApiError::Invalid(format!("SSH key: {err}")))?;
    let public = key
        .public_key()
        .to_openssh()
        .map_err(|err| ApiError::Invalid(format!("SSH key: {err}")))?;
    Ok((private.to_string(), public))
}

/// Joins the cluster, or reuses the identity a previous join stored.
///
/// When `data_dir` holds an identity for `role`, it is returned and the auth server
/// is not contacted (later starts need no token). Otherwise new keys are made, the
/// auth server's TLS CA is checked against `ca_pins` before anything is sent (a
/// mismatch is [`ApiError::PinMismatch`] and the token never leaves this host), the
/// token is traded for a host SSH certificate and a TLS certificate, and the identity
/// is stored (0600). Without pins the server is trusted blindly, with a warning on
/// stderr, as the manual says.
pub async fn join(params: &JoinParams<'_>) -> Result<Identity> {
    if let Some(identity) = Identity::load(params.data_dir, params.role)? {
        tracing::info!(role = %params.role, host_uuid = %identity.host_uuid, "using the stored identity");
        return Ok(identity);
    }
    let trust = if params.ca_pins.is_empty() {
        tracing::warn!("{NO_PIN_WARNING}");
        eprintln!("{NO_PIN_WARNING}");
        Trust::InsecureNoPin
    } else {
        Trust::Pin(params.ca_pins.to_vec())
    };
    let client = AuthClient::connect(params.auth_addr, None, trust).await?;
    let ping = client.ping().await?;

    let (ssh_private, ssh_public) = ssh_keypair()?;
    let tls_key =
        rcgen::KeyPair::generate().map_err(|err| ApiError::Invalid(format!("TLS key: {err}")))?;
    let request = JoinRequest {
        token: params.token.to_string(),
        role: params.role,
        host_uuid: params.host_uuid.to_string(),
        nodename: params.nodename.to_string(),
        ssh_public_key: ssh_public,
        tls_public_key: tls_key.public_key_pem(),
        additional_principals: params.additional_principals.to_vec(),
    };
    let answer = client.join(&request).await?;

    // The CA the server hands over must be the one its TLS presented (and pinned).
    let ca_der = super::tls::certs_from_pem(&answer.tls_ca)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Decode("the join answer holds no TLS CA".into()))?;
    let answer_pin = ca_pin_of(&ca_der).map_err(|err| ApiError::Decode(err.to_string()))?;
    if client.server_ca_pin().as_ref() != Some(&answer_pin) || ping.ca_pin != answer_pin {
        return Err(ApiError::Decode(
            "the join answer's TLS CA is not the CA the auth server presented".into(),
        ));
    }
    let identity = Identity {
        host_uuid: params.host_uuid.to_string(),
        nodename: params.nodename.to_string(),
        role: params.role,
        cluster_name: answer.cluster_name,
        ssh_private_key: Some(ssh_private),
        ssh_cert: Some(answer.ssh_cert),
        tls_private_key: tls_key.serialize_pem(),
        tls_cert: answer.tls_cert,
        tls_ca: answer.tls_ca,
        ssh_host_ca: answer.ssh_host_ca,
        ssh_user_ca: answer.ssh_user_ca,
    };
    let path = identity.save(params.data_dir)?;
    tracing::info!(role = %params.role, cluster = %identity.cluster_name, path = %path.display(), "joined the cluster");
    Ok(identity)
}
