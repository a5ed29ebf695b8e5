//! [`ApiError`]: why a call to the auth API failed, on either side.

use teleport_core::config::CaPin;

/// Why an auth API call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The TCP connection to the auth server could not be made.
    #[error("cannot connect to the auth server at {addr}: {source}")]
    Connect {
        /// The address dialed.
        addr: String,
        /// What the operating system reported.
        source: std::io::Error,
    },

    /// The TLS handshake or the TLS session failed: the server's certificate is not
    /// trusted, or the server refused this client's certificate (one from another
    /// cluster's CA, or expired).
    #[error("TLS with the auth server at {addr} failed: {message}")]
    Tls {
        /// The address dialed.
        addr: String,
        /// What rustls or the connection reported.
        message: String,
    },

    /// The auth server's TLS CA matches none of the expected CA pins: the server may
    /// be an impostor, so nothing (no join token) was sent to it.
    #[error(
        "the auth server's CA pin is {got} but {} was expected: refusing to trust it \
         (no join token was sent); check --ca-pin against `tctl status` on the auth server",
        pins_text(expected)
    )]
    PinMismatch {
        /// The pins the caller trusts.
        expected: Vec<CaPin>,
        /// The pin of the CA the server presented.
        got: CaPin,
    },

    /// The route needs a client certificate and none was presented (HTTP 401).
    #[error("the auth server requires a client certificate for this call: {message}")]
    Unauthorized {
        /// The server's explanation.
        message: String,
    },

    /// The caller's role may not use the route (HTTP 403).
    #[error("access denied: role {role} may not use {route}")]
    Forbidden {
        /// The caller's role.
        role: String,
        /// The route, such as `GET /v1/tokens`.
        route: String,
    },

    /// The server refused the request on its merits (HTTP 403 without a role), such as
    /// a join with an unknown, expired or wrong-role token.
    #[error("access denied: {message}")]
    AccessDenied {
        /// The server's explanation.
        message: String,
    },

    /// The request was malformed or refused as invalid (HTTP 400 or 413).
    #[error("bad request: {message}")]
    BadRequest {
        /// The server's explanation.
        message: String,
    },

    /// The route or the named object does not exist (HTTP 404).
    #[error("not found: {message}")]
    NotFound {
        /// The server's explanation.
        message: String,
    },

    /// The request conflicts with the current state (HTTP 409), such as adding a user
    /// that exists or completing a signup another request is completing.
    #[error("conflict: {message}")]
    Conflict {
        /// The server's explanation.
        message: String,
    },

    /// The server answered with another error status.
    #[error("the auth server answered {status}: {message}")]
    Server {
        /// The HTTP status code.
        status: u16,
        /// The server's explanation.
        message: String,
    },

    /// An answer could not be decoded.
    #[error("cannot decode the auth server's answer: {0}")]
    Decode(String),

    /// A request could not be built (bad keys, unreadable certificates...).
    #[error("invalid auth API request: {0}")]
    Invalid(String),

    /// Reading or writing a stored identity failed.
    #[error("identity storage {path}: {source}")]
    Storage {
        /// The file or directory.
        path: String,
        /// What the operating system reported.
        source: std::io::Error,
    },

    /// A stored identity could not be read back.
    #[error("stored identity {path} is corrupt: {message}")]
    CorruptIdentity {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

fn pins_text(pins: &[CaPin]) -> String {
    let all: Vec<&str> = pins.iter().map(CaPin::as_str).collect();
    all.join(" or ")
}

/// A `Result` with [`ApiError`].
pub type Result<T, E = ApiError> = std::result::Result<T, E>;
