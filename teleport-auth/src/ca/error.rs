//! [`CaError`]: what can go wrong creating, loading or using a certificate authority.

use teleport_backend::BackendError;

/// An error of the certificate authorities.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaError {
    /// The configuration names another cluster than the one this auth server's data
    /// was created for.
    #[error(
        "this auth server's data belongs to cluster \"{stored}\" but the configuration names \
         \"{configured}\": a cluster cannot be renamed, because its name is in every \
         certificate its CAs have issued and renaming would invalidate all of them; either \
         set auth_service.cluster_name back to \"{stored}\", or start a new cluster by \
         removing the data_dir (all users, nodes and certificates are then lost)"
    )]
    ClusterRenamed {
        /// The name stored when the cluster was first started.
        stored: String,
        /// The name the configuration asks for.
        configured: String,
    },

    /// A user certificate was asked for with no login: it would be valid for every
    /// principal, so it is refused.
    #[error(
        "user \"{user}\" has no allowed logins: refusing to issue a certificate without principals"
    )]
    NoPrincipals {
        /// The user the certificate was for.
        user: String,
    },

    /// A certificate request is malformed (an empty user name, a TTL too long...).
    #[error("invalid certificate request: {0}")]
    InvalidRequest(String),

    /// The backend failed to read or write a CA.
    #[error("certificate authority storage: {0}")]
    Backend(#[from] BackendError),

    /// Generating a CA key failed.
    #[error("generating a {what} key: {message}")]
    KeyGen {
        /// Which key (for example "ed25519 SSH CA").
        what: String,
        /// The underlying error.
        message: String,
    },

    /// Signing a certificate failed.
    #[error("signing a {what}: {message}")]
    Sign {
        /// Which certificate (for example "user SSH certificate").
        what: &'static str,
        /// The underlying error.
        message: String,
    },

    /// A public key to certify could not be read.
    #[error("bad public key: {0}")]
    BadPublicKey(String),

    /// A certificate given to us (a client certificate, a pinned CA) could not be read.
    #[error("bad certificate: {0}")]
    BadCertificate(String),

    /// A stored CA could not be read: the backend holds something we did not write.
    #[error("stored certificate authority at \"{key}\" is corrupt: {message}")]
    Corrupt {
        /// The backend key of the CA.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

/// A result whose error is a [`CaError`].
pub type Result<T, E = CaError> = std::result::Result<T, E>;

impl CaError {
    pub(crate) fn sign(what: &'static str, err: impl std::fmt::Display) -> Self {
        CaError::Sign {
            what,
            message: err.to_string(),
        }
    }

    pub(crate) fn keygen(what: impl Into<String>, err: impl std::fmt::Display) -> Self {
        CaError::KeyGen {
            what: what.into(),
            message: err.to_string(),
        }
    }

    pub(crate) fn corrupt(key: impl Into<String>, err: impl std::fmt::Display) -> Self {
        CaError::Corrupt {
            key: key.into(),
            message: err.to_string(),
        }
    }
}
