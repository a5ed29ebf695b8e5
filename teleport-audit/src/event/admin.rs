//! Events of administrators changing the cluster: users, passwords and their reset
//! tokens, roles, join tokens, trusted clusters and GitHub connectors.

use serde::{Deserialize, Serialize};

use super::fields::{ConnectionMetadata, ResourceMetadata, UserMetadata};

/// A named resource was created, changed or deleted: the shape shared by `role.created`,
/// `role.deleted`, `user.delete`, `reset_password_token.create`, `trusted_cluster.*`,
/// `trusted_cluster_token.create`, `github.*` and `join_token.delete`. The event's type
/// says what happened to which kind of resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// Who made the change.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Which resource.
    #[serde(flatten)]
    pub resource: ResourceMetadata,
}

/// `user.create` (T1002I) and `user.update` (T1003I): a Teleport user was created or
/// changed, with `tctl users add`, `tctl create` or an SSO login.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserChange {
    /// Who made the change.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// Which user (`name`), and when it expires.
    #[serde(flatten)]
    pub resource: ResourceMetadata,
    /// The user's roles after the change (`roles`, always written).
    #[serde(default, deserialize_with = "crate::event::wire::null_as_default")]
    pub roles: Vec<String>,
    /// The SSO connector that created the user, empty for local users (`connector`,
    /// always written).
    #[serde(default)]
    pub connector: String,
}

/// `user.password_change` (T1005I): a user changed their own password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPasswordChange {
    /// Who changed it.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// From where.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
}

/// `join_token.create` (TJT00I): an administrator created a join token, with
/// `tctl tokens add` or `tctl create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinTokenCreate {
    /// Who created it.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// The token: its name masked with [`mask_token`], and when it expires.
    #[serde(flatten)]
    pub resource: ResourceMetadata,
    /// The roles a host may join as with it, such as `Node` (`roles`).
    #[serde(default, deserialize_with = "crate::event::wire::null_as_default")]
    pub roles: Vec<String>,
    /// How a host proves it holds the token, `token` in this release (`join_method`).
    #[serde(default)]
    pub join_method: String,
}

/// A join or reset token's name fit for the audit log: the name is the secret, so its
/// first three quarters become `*`, as Teleport does (`abcdefgh` becomes `******gh`).
pub fn mask_token(token: &str) -> String {
    let hidden = token.chars().count() * 3 / 4;
    token
        .chars()
        .enumerate()
        .map(|(i, c)| if i < hidden { '*' } else { c })
        .collect()
}
