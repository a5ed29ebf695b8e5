//! The cluster's TLS CA (X.509, ECDSA P-256 with SHA-256, made with rcgen) and the
//! identity its certificates carry.
//!
//! A certificate's identity is in its subject, readable by any tool (CN = user name or
//! `<host uuid>.<cluster>`, O = roles joined with `,`, OU = system role, STREET =
//! cluster) and, complete and authoritative, in a non-critical extension
//! [`IDENTITY_OID`] holding the JSON of [`TlsIdentity`] as a DER UTF8String.
//!
//! The CA key is ECDSA P-256: rustls, OpenSSL and Go all accept it, and it is rcgen's
//! default with ring.

use std::net::IpAddr;

use rand::RngCore as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber, SubjectPublicKeyInfo,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::error::{CaError, Result};
use super::ssh::CLOCK_SKEW_ALLOWANCE;

/// The OID of our identity extension (under Teleport's private arc 1.3.9999).
pub const IDENTITY_OID: &[u64] = &[1, 3, 9999, 1, 1];
/// The same OID, dotted.
pub const IDENTITY_OID_STR: &str = "1.3.9999.1.1";

/// How long a new TLS CA certificate is valid.
const CA_VALIDITY: time::Duration = time::Duration::days(10 * 365);

/// Who a TLS certificate speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsIdentity {
    /// The user name, or `<host uuid>.<cluster>` for a host.
    pub username: String,
    /// The user's roles (for a host: empty, see `system_role`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// The host's system role (`Node`, `Proxy`, `Auth`, `Admin`...), for hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_role: Option<String>,
    /// The cluster that issued the certificate.
    pub cluster_name: String,
    /// The user's allowed logins.
    #[serde(default)]
    pub logins: Vec<String>,
    /// When the certificate expires (its `notAfter`; not part of the extension).
    #[serde(skip, default = "epoch")]
    pub expires: OffsetDateTime,
}

fn epoch() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
}

impl TlsIdentity {
    /// Reads the identity of a certificate we issued (DER). It does not check the
    /// signature or validity: the TLS handshake did that.
    pub fn from_certificate(der: &[u8]) -> Result<TlsIdentity> {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|err| CaError::BadCertificate(err.to_string()))?;
        let expires = cert.validity().not_after.to_datetime();
        for ext in cert.extensions() {
            if ext.oid.to_id_string() == IDENTITY_OID_STR {
                let json = der_utf8_decode(ext.value).ok_or_else(|| {
                    CaError::BadCertificate("identity extension is no UTF8String".into())
                })?;
                let mut identity: TlsIdentity = serde_json::from_str(json)
                    .map_err(|err| CaError::BadCertificate(format!("identity extension: {err}")))?;
                identity.expires = expires;
                return Ok(identity);
            }
        }
        Err(CaError::BadCertificate(format!(
            "no teleport identity extension ({IDENTITY_OID_STR})"
        )))
    }
}

/// What a TLS certificate will be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsUsage {
    /// A client certificate (ExtendedKeyUsage clientAuth).
    Client,
    /// A server certificate (serverAuth): needs DNS names or IP addresses.
    Server,
    /// Both (a host that serves and dials the auth API).
    ClientAndServer,
}

/// The public key to certify.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsPublicKey {
    /// A DER SubjectPublicKeyInfo.
    SpkiDer(Vec<u8>),
    /// A PEM `PUBLIC KEY`.
    SpkiPem(String),
}

/// What a TLS certificate is to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsCertRequest {
    /// The subject's public key.
    pub public_key: TlsPublicKey,
    /// The identity (its `expires` is the certificate's `notAfter`).
    pub identity: TlsIdentity,
    /// Client, server, or both.
    pub usage: TlsUsage,
    /// DNS names (subjectAltName), for server certificates.
    pub dns_names: Vec<String>,
    /// IP addresses (subjectAltName), for server certificates.
    pub ip_addrs: Vec<IpAddr>,
}

/// Decodes a DER UTF8String (tag 12, short or long length).
fn der_utf8_decode(bytes: &[u8]) -> Option<&str> {
    let (&tag, rest) = bytes.split_first()?;
    if tag != 0x0c {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, body) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if body.len() != len {
        return None;
    }
    std::str::from_utf8(body).ok()
}

/// Encodes `text` as a DER UTF8String.
fn der_utf8_encode(text: &str) -> Vec<u8> {
    let body = text.as_bytes();
    let mut out = vec![0x0c];
    if body.len() < 0x80 {
        out.push(body.len() as u8);
    } else {
        let len = body.len().to_be_bytes();
        let skip = len.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (len.len() - skip) as u8);
        out.extend_from_slice(&len[skip..]);
    }
    out.extend_from_slice(body);
    out
}

fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x01; // no leading zero byte to strip
    SerialNumber::from_slice(&bytes)
}

/// The cluster's TLS CA: its certificate and signing key.
pub struct TlsCa {
    cert_pem: String,
    cert_der: Vec<u8>,
    key_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for TlsCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsCa")
            .field("cert_pem", &self.cert_pem)
            .field("key", &"***")
            .finish()
    }
}

impl TlsCa {
    /// Creates a new self-signed CA for `cluster`, valid from `now` for ten years.
    pub(crate) fn generate(cluster: &str, now: OffsetDateTime) -> Result<Self> {
        let key = KeyPair::generate().map_err(|err| CaError::keygen("ECDSA P-256 TLS CA", err))?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, cluster);
        dn.push(DnType::OrganizationName, cluster);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = now - CLOCK_SKEW_ALLOWANCE;
        params.not_after = now + CA_VALIDITY;
        params.serial_number = Some(random_serial());
        let cert = params
            .self_signed(&key)
            .map_err(|err| CaError::keygen("TLS CA certificate", err))?;
        let key_pem = key.serialize_pem();
        Ok(TlsCa {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            key_pem,
            issuer: Issuer::new(params, key),
        })
    }

    /// Loads a stored CA (certificate and PKCS#8 key, both PEM).
    pub(crate) fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, String> {
        let key = KeyPair::from_pem(key_pem).map_err(|err| format!("TLS CA key: {err}"))?;
        let block = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes())
            .map_err(|err| format!("TLS CA certificate PEM: {err}"))?
            .1;
        let cert_der = block.contents;
        let issuer = Issuer::from_ca_cert_der(&cert_der.clone().into(), key)
            .map_err(|err| format!("TLS CA certificate: {err}"))?;
        Ok(TlsCa {
            cert_pem: cert_pem.to_string(),
            cert_der,
            key_pem: key_pem.to_string(),
            issuer,
        })
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The CA key (PKCS#8 PEM), for storage only.
    pub(crate) fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// Issues a certificate for `req`, valid from `now` (less the clock skew
    /// allowance) to `req.identity.expires`; returns it as PEM.
    pub(crate) fn sign(&self, req: &TlsCertRequest, now: OffsetDateTime) -> Result<String> {
        let id = &req.identity;
        if id.username.is_empty() {
            return Err(CaError::InvalidRequest(
                "the TLS identity has no user name".into(),
            ));
        }
        if id.expires <= now {
            return Err(CaError::InvalidRequest(format!(
                "the TLS certificate would expire at {}, not after now",
                id.expires
            )));
        }
        let public_key = match &req.public_key {
            TlsPublicKey::SpkiDer(der) => SubjectPublicKeyInfo::from_der(der),
            TlsPublicKey::SpkiPem(pem) => SubjectPublicKeyInfo::from_pem(pem),
        }
        .map_err(|err| CaError::BadPublicKey(err.to_string()))?;

        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, id.username.as_str());
        if !id.roles.is_empty() {
            dn.push(DnType::OrganizationName, id.roles.join(","));
        }
        if let Some(role) = &id.system_role {
            dn.push(DnType::OrganizationalUnitName, role.as_str());
        }
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 9]),
            id.cluster_name.as_str(),
        );
        params.distinguished_name = dn;
        params.not_before = now - CLOCK_SKEW_ALLOWANCE;
        params.not_after = id.expires;
        params.serial_number = Some(random_serial());
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = match req.usage {
            TlsUsage::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
            TlsUsage::Server => vec![ExtendedKeyUsagePurpose::ServerAuth],
            TlsUsage::ClientAndServer => vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
        };
        if req.usage != TlsUsage::Client && req.dns_names.is_empty() && req.ip_addrs.is_empty() {
            return Err(CaError::InvalidRequest(
                "a server certificate needs at least one DNS name or IP address".into(),
            ));
        }
        for name in &req.dns_names {
            let ia5 = name
                .clone()
                .try_into()
                .map_err(|_| CaError::InvalidRequest(format!("bad DNS name {name:?}")))?;
            params.subject_alt_names.push(SanType::DnsName(ia5));
        }
        for ip in &req.ip_addrs {
            params.subject_alt_names.push(SanType::IpAddress(*ip));
        }
        let json =
            serde_json::to_string(id).map_err(|err| CaError::sign("TLS certificate", err))?;
        params
            .custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                IDENTITY_OID,
                der_utf8_encode(&json),
            ));
        let cert = params
            .signed_by(&public_key, &self.issuer)
            .map_err(|err| CaError::sign("TLS certificate", err))?;
        Ok(cert.pem())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_utf8_round_trips() {
        for len in [0, 1, 127, 128, 255, 256, 70_000] {
            let text = "x".repeat(len);
            assert_eq!(
                der_utf8_decode(&der_utf8_encode(&text)),
                Some(text.as_str())
            );
        }
        assert_eq!(der_utf8_decode(&[0x0c, 0x05, b'a']), None);
        assert_eq!(der_utf8_decode(&[0x04, 0x00]), None);
        assert_eq!(der_utf8_decode(&[]), None);
    }
}
