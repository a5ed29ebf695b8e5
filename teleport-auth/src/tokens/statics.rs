//! Static tokens from `auth_service.tokens`: read once at start-up (file tokens
//! included) and compared in constant time.

use std::fmt;

use sha2::{Digest, Sha256};
use teleport_core::config::{StaticToken, TokenRole, TokenValue};
use teleport_core::resource::SystemRole;

use super::TokenError;

/// One static token, its value read.
#[derive(Clone)]
pub(crate) struct StaticEntry {
    /// The token itself.
    pub(crate) token: String,
    /// SHA-256 of the token, compared in constant time.
    digest: [u8; 32],
    /// The roles it allows, in the configuration's order.
    pub(crate) roles: Vec<SystemRole>,
}

impl fmt::Debug for StaticEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticEntry")
            .field("token", &"***")
            .field("roles", &self.roles)
            .finish()
    }
}

impl StaticEntry {
    /// Reads `config`'s value (from its file when it names one, trimmed).
    pub(crate) fn load(config: &StaticToken) -> Result<Self, TokenError> {
        let token = match &config.value {
            TokenValue::Value(secret) => secret.expose().trim().to_string(),
            TokenValue::File(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| TokenError::TokenFile {
                        path: path.clone(),
                        source,
                    })?;
                let token = text.trim().to_string();
                if token.is_empty() {
                    return Err(TokenError::EmptyTokenFile { path: path.clone() });
                }
                token
            }
        };
        let roles = config.roles.iter().copied().map(system_role).collect();
        Ok(StaticEntry {
            digest: digest(&token),
            token,
            roles,
        })
    }
}

/// The system role a static token's role grants.
pub(crate) fn system_role(role: TokenRole) -> SystemRole {
    match role {
        TokenRole::Auth => SystemRole::Auth,
        TokenRole::Node => SystemRole::Node,
        TokenRole::Proxy => SystemRole::Proxy,
        TokenRole::App => SystemRole::App,
        TokenRole::Kube => SystemRole::Kube,
        TokenRole::Db => SystemRole::Db,
        TokenRole::TrustedCluster => SystemRole::TrustedCluster,
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The roles of every static token equal to `token` (empty when none is).
///
/// Every entry is compared, and each comparison looks at all 32 bytes of the SHA-256
/// digests, so the time taken says nothing about how much of the token was right.
pub(crate) fn match_static(entries: &[StaticEntry], token: &str) -> Vec<SystemRole> {
    let presented = digest(token);
    let mut roles = Vec::new();
    for entry in entries {
        if constant_time_eq(&entry.digest, &presented) {
            for role in &entry.roles {
                if !roles.contains(role) {
                    roles.push(*role);
                }
            }
        }
    }
    roles
}

/// Whether `a == b`, looking at every byte whatever the first difference.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_whole_digests() {
        let a = digest("secret");
        assert!(constant_time_eq(&a, &digest("secret")));
        assert!(!constant_time_eq(&a, &digest("secreT")));
        assert!(!constant_time_eq(&a, &digest("")));
    }

    #[test]
    fn matching_merges_the_roles_of_equal_tokens() {
        let entries: Vec<StaticEntry> = ["proxy,node:same", "auth,node:same", "db:other"]
            .iter()
            .map(|line| StaticEntry::load(&line.parse().unwrap()).unwrap())
            .collect();
        assert_eq!(
            match_static(&entries, "same"),
            [SystemRole::Proxy, SystemRole::Node, SystemRole::Auth]
        );
        assert!(match_static(&entries, "sam").is_empty());
    }

    #[test]
    fn debug_hides_the_token() {
        let entry = StaticEntry::load(&"node:hunter2hunter2".parse().unwrap()).unwrap();
        assert!(!format!("{entry:?}").contains("hunter2"));
    }
}
