//! CA pins: `sha256:` + hex(SHA-256 of the DER SubjectPublicKeyInfo of the TLS CA
//! certificate), as `tctl status` prints and `teleport start --ca-pin` checks.

use sha2::{Digest, Sha256};
pub use teleport_core::config::CaPin;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::error::{CaError, Result};

/// The pin of the CA certificate `cert_der`.
pub fn ca_pin_of(cert_der: &[u8]) -> Result<CaPin> {
    let (_, cert) = X509Certificate::from_der(cert_der)
        .map_err(|err| CaError::BadCertificate(err.to_string()))?;
    let spki = cert.tbs_certificate.subject_pki.raw;
    let text = format!("sha256:{}", hex::encode(Sha256::digest(spki)));
    text.parse()
        .map_err(|err| CaError::BadCertificate(format!("pin {text}: {err}")))
}

/// Whether the CA certificate `cert_der` matches any of `pins` (a joining node checks
/// the auth server's CA this way before trusting it).
pub fn pin_matches(pins: &[CaPin], cert_der: &[u8]) -> Result<bool> {
    let pin = ca_pin_of(cert_der)?;
    Ok(pins.contains(&pin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_bad_certificate() {
        assert!(matches!(
            ca_pin_of(b"nope"),
            Err(CaError::BadCertificate(_))
        ));
    }
}
