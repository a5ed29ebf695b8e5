//! [`TokenError`]: why a join token could not be created, listed, deleted or used.
//!
//! No message holds a whole token: tokens appear masked with
//! [`mask_token`](teleport_audit::event::mask_token) (`******gh`), and backend messages,
//! which name keys such as `/tokens/<token>`, are masked the same way.

use std::path::PathBuf;

use teleport_audit::sink::AuditError;
use teleport_backend::BackendError;
use teleport_core::resource::SystemRole;
use time::OffsetDateTime;

use super::{JOIN_ROLES, TOKENS_PREFIX};

/// Why a join token operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// No static or live dynamic token has this value: it was never created, was
    /// revoked, or expired so long ago that its record is gone.
    #[error("join token {masked} is not found: it is unknown or was revoked")]
    NotFound {
        /// The token, masked.
        masked: String,
    },

    /// The dynamic token's TTL ran out: it expired at `at`.
    #[error("join token {masked} expired at {at}")]
    Expired {
        /// The token, masked.
        masked: String,
        /// When it expired.
        at: OffsetDateTime,
    },

    /// The token exists but does not let a host join in the role it asked for.
    #[error(
        "join token {masked} does not allow joining as {requested}: it allows {}",
        roles_text(allowed)
    )]
    WrongRole {
        /// The token, masked.
        masked: String,
        /// The roles the token allows.
        allowed: Vec<SystemRole>,
        /// The role the host asked for.
        requested: SystemRole,
    },

    /// `add` was given a token value that a static or live dynamic token already has.
    #[error("join token {masked} already exists")]
    AlreadyExists {
        /// The token, masked.
        masked: String,
    },

    /// `delete` was asked to remove a static token, which lives in the configuration.
    #[error(
        "join token {masked} is a static token: remove it from auth_service.tokens in \
         teleport.yaml and restart the auth service"
    )]
    StaticToken {
        /// The token, masked.
        masked: String,
    },

    /// `add` was asked for a role that no host may join as.
    #[error(
        "a join token cannot grant the role {role}: expected some of {}",
        roles_text(JOIN_ROLES)
    )]
    BadRole {
        /// The role that was asked for.
        role: SystemRole,
    },

    /// `add` was given no role at all.
    #[error("a join token needs at least one role, such as Node or Proxy")]
    NoRoles,

    /// `add` was given a token value it cannot store: empty, too long, or with
    /// whitespace, control characters or `/`.
    #[error("invalid join token value: {reason}")]
    BadToken {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// `add` was given a TTL of zero, or one so long that the expiry is out of range.
    #[error("invalid join token TTL {ttl:?}: it must be positive and under 100 years")]
    BadTtl {
        /// The TTL that was asked for.
        ttl: std::time::Duration,
    },

    /// A static token's file (`"auth:/path/to/tokenfile"`) could not be read.
    #[error("cannot read the static join token file {}: {source}", .path.display())]
    TokenFile {
        /// The file named in `auth_service.tokens`.
        path: PathBuf,
        /// What the operating system reported.
        source: std::io::Error,
    },

    /// A static token's file holds nothing but whitespace.
    #[error("the static join token file {} is empty", .path.display())]
    EmptyTokenFile {
        /// The file named in `auth_service.tokens`.
        path: PathBuf,
    },

    /// A stored token could not be read back: the record is damaged or was written by an
    /// incompatible version.
    #[error("stored join token {masked} is corrupt: {reason}")]
    Corrupt {
        /// The token, masked.
        masked: String,
        /// What the decoder reported, with the token masked.
        reason: String,
    },

    /// The backend failed. The backend's message is kept as text, with every token in it
    /// masked, so that no error chain can print a whole token.
    #[error("join token storage failed: {message}")]
    Backend {
        /// The backend's message, tokens masked.
        message: String,
    },

    /// The change was made (or the join decided) but its audit event could not be
    /// written.
    #[error("{action}, but its audit event could not be written: {source}")]
    Audit {
        /// What happened, such as `join token ******gh was created`.
        action: String,
        /// Why the sink refused the event.
        source: AuditError,
    },
}

fn roles_text(roles: &[SystemRole]) -> String {
    let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
    names.join(",")
}

impl From<BackendError> for TokenError {
    fn from(err: BackendError) -> Self {
        TokenError::Backend {
            message: mask_token_keys(&err.to_string()),
        }
    }
}

/// Masks the token in every `/tokens/<token>` key quoted in `text`.
pub(crate) fn mask_token_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(TOKENS_PREFIX) {
        let (before, after) = rest.split_at(at + TOKENS_PREFIX.len());
        out.push_str(before);
        let end = after.find(['"', ' ']).unwrap_or(after.len());
        out.push_str(&teleport_audit::event::mask_token(&after[..end]));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_messages_mask_tokens() {
        let err = BackendError::NotFound {
            key: b"/tokens/abcdefgh".to_vec(),
        };
        let text = TokenError::from(err).to_string();
        assert!(text.contains("/tokens/******gh\""), "{text}");
        assert!(!text.contains("abcdefgh"), "{text}");
        assert_eq!(
            mask_token_keys("a /tokens/abcd and /tokens/efgh"),
            "a /tokens/***d and /tokens/***h"
        );
    }

    #[test]
    fn wrong_role_lists_the_roles() {
        let err = TokenError::WrongRole {
            masked: "******gh".into(),
            allowed: vec![SystemRole::Node, SystemRole::Proxy],
            requested: SystemRole::Auth,
        };
        assert_eq!(
            err.to_string(),
            "join token ******gh does not allow joining as Auth: it allows Node,Proxy"
        );
    }
}
