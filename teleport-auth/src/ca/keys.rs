//! SSH CA keys: generation, storage as OpenSSH PEM, and signing with the configured
//! hash (RSA CAs sign with `rsa-sha2-512` or `rsa-sha2-256`, never SHA-1 `ssh-rsa`).

use std::convert::Infallible;
use std::fmt;

use rand::RngCore as _;
use russh::keys::signature::{self, Signer};
use russh::keys::ssh_key::certificate::Builder;
use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData, RsaKeypair};
use russh::keys::ssh_key::public::KeyData;
use russh::keys::ssh_key::rand_core::{TryCryptoRng, TryRng};
use russh::keys::ssh_key::{Certificate, HashAlg, LineEnding, PrivateKey, PublicKey, Signature};
use teleport_core::config::CaSignatureAlgo;
use teleport_core::resource::SigningAlg;

use super::error::{CaError, Result};

/// The size of the RSA keys generated for RSA CAs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RsaKeySize {
    /// 2048 bits (Teleport's default).
    #[default]
    Rsa2048,
    /// 4096 bits.
    Rsa4096,
}

impl RsaKeySize {
    /// The modulus size in bits.
    pub const fn bits(self) -> usize {
        match self {
            RsaKeySize::Rsa2048 => 2048,
            RsaKeySize::Rsa4096 => 4096,
        }
    }
}

/// The operating system's RNG (through `rand` 0.8) as the `rand_core` 0.10 RNG that
/// `ssh-key` 0.7 asks for.
pub(crate) struct OsRng10;

impl TryRng for OsRng10 {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(rand::rngs::OsRng.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(rand::rngs::OsRng.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        rand::rngs::OsRng.fill_bytes(dst);
        Ok(())
    }
}

impl TryCryptoRng for OsRng10 {}

/// The signing key of an SSH CA. Its `Debug` shows the public key only.
#[derive(Clone)]
pub struct SshCaKey {
    key: PrivateKey,
    /// The hash RSA signatures use; `None` for non-RSA keys.
    rsa_hash: Option<HashAlg>,
}

impl fmt::Debug for SshCaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SshCaKey")
            .field("algorithm", &self.key.algorithm().as_str())
            .field(
                "fingerprint",
                &self.key.fingerprint(HashAlg::Sha256).to_string(),
            )
            .field("private_key", &"***")
            .finish()
    }
}

/// The RSA hash for `algo`, `None` for Ed25519.
fn rsa_hash(algo: CaSignatureAlgo) -> Option<HashAlg> {
    match algo {
        CaSignatureAlgo::RsaSha2_512 => Some(HashAlg::Sha512),
        CaSignatureAlgo::RsaSha2_256 => Some(HashAlg::Sha256),
        CaSignatureAlgo::Ed25519 => None,
    }
}

impl SshCaKey {
    /// Generates a new CA key for `algo` (RSA keys of `rsa_size`).
    pub(crate) fn generate(algo: CaSignatureAlgo, rsa_size: RsaKeySize) -> Result<Self> {
        let key_data = match rsa_hash(algo) {
            None => {
                let mut seed = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut seed);
                KeypairData::from(Ed25519Keypair::from_seed(&seed))
            }
            Some(_) => {
                let pair = RsaKeypair::random(&mut OsRng10, rsa_size.bits())
                    .map_err(|err| CaError::keygen(format!("RSA-{}", rsa_size.bits()), err))?;
                KeypairData::from(pair)
            }
        };
        let key =
            PrivateKey::new(key_data, "").map_err(|err| CaError::keygen(algo.as_str(), err))?;
        Ok(SshCaKey {
            key,
            rsa_hash: rsa_hash(algo),
        })
    }

    /// Reads a stored key (OpenSSH PEM); RSA keys sign with `signing_alg`
    /// (SHA-512 when absent; a stored SHA-1 setting is upgraded to SHA-512).
    pub(crate) fn from_openssh(
        pem: &[u8],
        signing_alg: Option<SigningAlg>,
    ) -> Result<Self, String> {
        let key = PrivateKey::from_openssh(pem).map_err(|err| err.to_string())?;
        let rsa_hash = match key.key_data() {
            KeypairData::Rsa(_) => Some(match signing_alg {
                Some(SigningAlg::RsaSha2_256) => HashAlg::Sha256,
                _ => HashAlg::Sha512,
            }),
            KeypairData::Ed25519(_) => None,
            other => {
                return Err(format!(
                    "unsupported CA key algorithm {}",
                    other.algorithm().map(|a| a.to_string()).unwrap_or_default()
                ))
            }
        };
        Ok(SshCaKey { key, rsa_hash })
    }

    /// The private key as OpenSSH PEM, for storage.
    pub(crate) fn to_openssh(&self) -> Result<Vec<u8>> {
        self.key
            .to_openssh(LineEnding::LF)
            .map(|pem| pem.as_bytes().to_vec())
            .map_err(|err| CaError::keygen("OpenSSH encoding of the CA", err))
    }

    /// The `signing_alg` to record in the CA resource (RSA only).
    pub(crate) fn signing_alg(&self) -> Option<SigningAlg> {
        self.rsa_hash.map(|hash| match hash {
            HashAlg::Sha256 => SigningAlg::RsaSha2_256,
            _ => SigningAlg::RsaSha2_512,
        })
    }

    /// The CA's public key.
    pub fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    /// The public key in authorized_keys format (`<type> <base64>`), no comment.
    pub fn public_key_openssh(&self) -> String {
        let mut key = self.key.public_key().clone();
        key.set_comment("");
        key.to_openssh().unwrap_or_default()
    }

    /// Signs the certificate `builder` describes.
    pub(crate) fn sign(&self, builder: Builder, what: &'static str) -> Result<Certificate> {
        let signed = match (self.key.key_data(), self.rsa_hash) {
            (KeypairData::Rsa(pair), Some(hash)) => builder.sign(&RsaSigner {
                pair,
                hash,
                public: self.key.public_key().key_data().clone(),
            }),
            _ => builder.sign(&self.key),
        };
        signed.map_err(|err| CaError::sign(what, err))
    }
}

/// An RSA key signing with a chosen SHA-2 hash.
struct RsaSigner<'a> {
    pair: &'a RsaKeypair,
    hash: HashAlg,
    public: KeyData,
}

impl Signer<Signature> for RsaSigner<'_> {
    fn try_sign(&self, message: &[u8]) -> signature::Result<Signature> {
        (self.pair, Some(self.hash)).try_sign(message)
    }
}

impl From<&RsaSigner<'_>> for KeyData {
    fn from(signer: &RsaSigner<'_>) -> KeyData {
        signer.public.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_private_key() {
        let key = SshCaKey::generate(CaSignatureAlgo::Ed25519, RsaKeySize::Rsa2048).unwrap();
        let shown = format!("{key:?}");
        assert!(
            shown.contains("***") && shown.contains("SHA256:"),
            "{shown}"
        );
        let pem = key.to_openssh().unwrap();
        let again = SshCaKey::from_openssh(&pem, None).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert!(!shown.contains(&String::from_utf8_lossy(&pem)[40..80]));
    }
}
