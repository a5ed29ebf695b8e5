//! Join tokens (provisioning tokens): the invitations a node, proxy or auth server
//! presents to join the cluster, as the manual's "Adding Nodes to the cluster" describes.
//!
//! - Static tokens come from `auth_service.tokens` (`"proxy,node:secret"`,
//!   `"auth:/path/to/tokenfile"`) and never expire; they are read once, when the
//!   [`TokenService`] is built.
//! - Dynamic tokens are made by `tctl nodes add` and `tctl tokens add`
//!   ([`TokenService::add`]), stored in the backend as `token` v2 resources under
//!   `/tokens/<token>`, and work any number of times until their TTL runs out.
//!
//! Every token change and every join attempt, accepted or refused, is written to the
//! audit log, with the token masked ([`mask_token`](teleport_audit::event::mask_token)).
//! No error message or log line holds a whole token.
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use teleport_audit::sink::StdoutSink;
//! use teleport_auth::tokens::{format_tokens_table, JoinAttempt, TokenService, DEFAULT_TOKEN_TTL};
//! use teleport_backend::MemoryBackend;
//! use teleport_core::resource::SystemRole;
//! use teleport_core::{FakeClock, SharedClock};
//!
//! let clock: SharedClock = Arc::new(FakeClock::default());
//! let backend = Arc::new(MemoryBackend::new(clock.clone()));
//! let statics = ["proxy,node:secret-token-value".parse()?];
//! let tokens = TokenService::new(backend, clock.clone(), Arc::new(StdoutSink::new()), "example.com", &statics)?;
//!
//! let token = tokens.add("admin", vec![SystemRole::Node], DEFAULT_TOKEN_TTL, None).await?;
//! assert_eq!(token.name().len(), 32);
//! let joined = tokens.validate(token.name(), &JoinAttempt::new(SystemRole::Node, "10.0.0.5:40022")).await?;
//! assert_eq!(joined.role, SystemRole::Node);
//! print!("{}", format_tokens_table(&tokens.list().await?, clock.now()));
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

mod error;
mod format;
mod service;
mod statics;

#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use teleport_core::resource::SystemRole;
use time::OffsetDateTime;

pub use error::TokenError;
pub use format::{format_expiry, format_tokens_table};
pub use service::TokenService;

/// The TTL of a dynamic token when none is given: 30 minutes, as `tctl tokens add` and
/// `tctl nodes add` use in Teleport.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(30 * 60);

/// How long the record of an expired dynamic token is kept after its expiry, so that a
/// host presenting it is told "expired" rather than "not found". An expired token is
/// never accepted, listed or counted as existing during this time.
pub const EXPIRED_TOKEN_GRACE: Duration = Duration::from_secs(60 * 60);

/// The longest token value [`TokenService::add`] accepts, in bytes.
pub const MAX_TOKEN_LEN: usize = 256;

/// The roles a join token may grant: the roles of hosts and services that join a
/// cluster (`auth`, `node`, `proxy`, `app`, `kube`, `db` in the manual), Windows
/// desktop agents and leaf clusters.
pub const JOIN_ROLES: &[SystemRole] = &[
    SystemRole::Auth,
    SystemRole::Node,
    SystemRole::Proxy,
    SystemRole::App,
    SystemRole::Kube,
    SystemRole::Db,
    SystemRole::WindowsDesktop,
    SystemRole::TrustedCluster,
];

/// Where dynamic tokens live in the backend: `/tokens/<token>`.
pub(crate) const TOKENS_PREFIX: &str = "/tokens/";

/// A token as `tctl tokens ls` shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The token itself (its `Debug` form is masked).
    pub token: String,
    /// The roles a host may join as with it.
    pub roles: Vec<SystemRole>,
    /// When it expires; `None` for static tokens, which never do.
    pub expires: Option<OffsetDateTime>,
    /// Whether it comes from `auth_service.tokens` rather than the backend.
    pub is_static: bool,
}

impl fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenInfo")
            .field("token", &masked(&self.token))
            .field("roles", &self.roles)
            .field("expires", &self.expires)
            .field("is_static", &self.is_static)
            .finish()
    }
}

/// A host's attempt to join: the role it asks for and where it comes from, as the audit
/// event records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinAttempt {
    /// The role the host asks to join as.
    pub role: SystemRole,
    /// The host's address as the auth server sees it (`10.0.0.5:40022`).
    pub remote_addr: String,
    /// The host's UUID, when it said.
    pub host_id: String,
    /// The host's node name, when it said.
    pub node_name: String,
}

impl JoinAttempt {
    /// An attempt to join as `role` from `remote_addr`, with no host id or name yet.
    pub fn new(role: SystemRole, remote_addr: impl Into<String>) -> Self {
        JoinAttempt {
            role,
            remote_addr: remote_addr.into(),
            host_id: String::new(),
            node_name: String::new(),
        }
    }

    /// The same attempt, naming the host's UUID and node name.
    pub fn with_host(mut self, host_id: impl Into<String>, node_name: impl Into<String>) -> Self {
        self.host_id = host_id.into();
        self.node_name = node_name.into();
        self
    }
}

/// What an accepted token allows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidatedToken {
    /// The role the host asked for, which the token allows.
    pub role: SystemRole,
    /// Every role the token allows.
    pub roles: Vec<SystemRole>,
    /// When the token expires; `None` for static tokens.
    pub expires: Option<OffsetDateTime>,
    /// Whether it is a static token.
    pub is_static: bool,
    /// The token, masked, fit for logs.
    pub masked: String,
}

/// `token` masked for errors and the audit log; a value too long to be a token is
/// replaced by its length, so a hostile caller cannot fill the log.
pub fn masked(token: &str) -> String {
    if token.is_empty() {
        "<empty>".to_string()
    } else if token.len() > MAX_TOKEN_LEN {
        format!("<{} bytes>", token.len())
    } else {
        teleport_audit::event::mask_token(token)
    }
}
