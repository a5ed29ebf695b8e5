//! Errors of setting up and running a node server.

/// Why a node server could not be set up or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A part of the node's identity is missing or unreadable.
    #[error("the node identity's {what} is unusable: {reason}")]
    BadIdentity {
        /// Which part (`ssh_private_key`, `ssh_cert`).
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The host certificate is not for the host key, or not a host certificate.
    #[error("the host certificate does not fit: {0}")]
    BadHostCertificate(String),
    /// A trusted user CA line could not be read.
    #[error("trusted user CA, line {line}: {reason}")]
    BadCaKey {
        /// The 1-based line number.
        line: usize,
        /// What the parser objected to.
        reason: String,
    },
}
