//! rustls configuration of both ends: the server's mutual-TLS config (client
//! certificates optional, checked against the cluster's TLS CA) and the client's,
//! which trusts the server by CA certificate, by CA pin or (with a warning) not at all.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use teleport_core::config::CaPin;

use super::error::{ApiError, Result};
use crate::ca::ca_pin_of;

/// The crypto provider both ends use (ring).
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate in `pem`, DER.
pub(crate) fn certs_from_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>> {
    let mut out = Vec::new();
    for block in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|err| ApiError::Invalid(format!("certificate PEM: {err}")))?;
        if block.label == "CERTIFICATE" {
            out.push(CertificateDer::from(block.contents));
        }
    }
    if out.is_empty() {
        return Err(ApiError::Invalid("no certificate in the PEM text".into()));
    }
    Ok(out)
}

/// The PKCS#8 key in `pem`, for rustls.
pub(crate) fn key_from_pem(pem: &str) -> Result<PrivateKeyDer<'static>> {
    let key = rcgen::KeyPair::from_pem(pem)
        .map_err(|err| ApiError::Invalid(format!("TLS private key: {err}")))?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        key.serialize_der(),
    )))
}

fn roots_of(ca_pem: &str) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in certs_from_pem(ca_pem)? {
        roots
            .add(cert)
            .map_err(|err| ApiError::Invalid(format!("TLS CA certificate: {err}")))?;
    }
    Ok(roots)
}

/// The auth server's TLS config: it presents `[leaf, CA]` and accepts clients with a
/// certificate from `ca_pem` or with none (the routes decide who may do what).
pub(crate) fn server_config(cert_pem: &str, key_pem: &str, ca_pem: &str) -> Result<ServerConfig> {
    let provider = provider();
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots_of(ca_pem)?), provider.clone())
            .allow_unauthenticated()
            .build()
            .map_err(|err| ApiError::Invalid(format!("client certificate verifier: {err}")))?;
    let mut chain = certs_from_pem(cert_pem)?;
    chain.extend(certs_from_pem(ca_pem)?);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| ApiError::Invalid(err.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key_from_pem(key_pem)?)
        .map_err(|err| ApiError::Invalid(format!("server certificate: {err}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// How a client decides to trust the auth server.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trust {
    /// Trust servers whose certificate the CA in this PEM issued (a joined host's
    /// stored CA).
    CaPem(String),
    /// First contact: trust a server whose chain ends in a CA with one of these pins
    /// (and whose certificate that CA issued). A mismatch fails the handshake, so
    /// nothing is sent.
    Pin(Vec<CaPin>),
    /// Trust any server. Anyone who can intercept the connection can impersonate the
    /// auth server; only for joining without `--ca-pin`, with a warning.
    InsecureNoPin,
}

/// What the pinning verifier saw: the CA the server presented, and a mismatch.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// The CA certificate the server sent last, DER.
    pub(crate) ca_der: Option<Vec<u8>>,
    /// The pin that matched no expected pin.
    pub(crate) mismatch: Option<CaPin>,
}

/// Shared record of what the verifier saw.
pub(crate) type SeenSlot = Arc<Mutex<Seen>>;

/// Checks the server's chain against CA pins (or nothing, for `InsecureNoPin`).
struct PinVerifier {
    pins: Option<Vec<CaPin>>,
    provider: Arc<CryptoProvider>,
    seen: SeenSlot,
}

impl fmt::Debug for PinVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinVerifier")
            .field("pins", &self.pins)
            .finish_non_exhaustive()
    }
}

fn tls_err(message: impl Into<String>) -> rustls::Error {
    rustls::Error::General(message.into())
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let ca = intermediates
            .last()
            .ok_or_else(|| tls_err("the auth server sent no CA certificate with its own"))?;
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.ca_der = Some(ca.to_vec());
        let Some(pins) = &self.pins else {
            return Ok(ServerCertVerified::assertion());
        };
        let pin = ca_pin_of(ca).map_err(|err| tls_err(err.to_string()))?;
        if !pins.contains(&pin) {
            seen.mismatch = Some(pin);
            return Err(tls_err("the auth server's CA matches no CA pin"));
        }
        drop(seen);
        let mut roots = RootCertStore::empty();
        roots.add(ca.clone().into_owned())?;
        let inner =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map_err(|err| tls_err(err.to_string()))?;
        inner.verify_server_cert(end_entity, &[], server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client's TLS config for `trust`, presenting `client` (`(cert PEM, key PEM)`)
/// when given; `seen` records what a pinning verifier saw.
pub(crate) fn client_config(
    trust: &Trust,
    client: Option<(&str, &str)>,
    seen: SeenSlot,
) -> Result<ClientConfig> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|err| ApiError::Invalid(err.to_string()))?;
    let builder = match trust {
        Trust::CaPem(pem) => builder.with_root_certificates(roots_of(pem)?),
        Trust::Pin(pins) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinVerifier {
                pins: Some(pins.clone()),
                provider,
                seen,
            })),
        Trust::InsecureNoPin => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinVerifier {
                pins: None,
                provider,
                seen,
            })),
    };
    let mut config = match client {
        Some((cert, key)) => builder
            .with_client_auth_cert(certs_from_pem(cert)?, key_from_pem(key)?)
            .map_err(|err| ApiError::Invalid(format!("client certificate: {err}")))?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
