//! The cluster's state as resources: what `tctl get`, `tctl create [-f]` and `tctl rm`
//! act on, and the `--bootstrap` import of a `tctl get all --with-secrets` backup.
//!
//! - [`ResourceService`] reads, writes and deletes every kind in one backend (keys in
//!   [`store`]); changes are audited (`user.create`, `role.created`, ...).
//! - [`bootstrap`] restores a backup into a backend that was never initialized.
//! - [`ensure_builtin_roles`] creates the built-in roles on every start.
//!
//! Results hold secrets (password hashes, TOTP keys, CA private keys, connector
//! secrets): the API strips them unless an administrator asked `--with-secrets`.

mod bootstrap;
mod error;
mod secrets;
mod service;
pub mod store;

#[cfg(test)]
mod tests;

pub use bootstrap::{bootstrap, BootstrapOutcome};
pub use error::ResourceError;
pub use service::{ensure_builtin_roles, role_exists, ResourceService};

use teleport_core::resource::Kind;

/// What `tctl create` does with a resource that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMode {
    /// `tctl create`: an existing resource is an error.
    Create,
    /// `tctl create -f`: an existing resource is replaced.
    Upsert,
}

/// The kinds `tctl get all` prints, as the manual lists them: certificate
/// authorities, users, roles, trusted clusters and connectors; roles before users, so
/// that `tctl create -f` of the output creates a role before a user that has it.
pub const BACKUP_KINDS: &[Kind] = &[
    Kind::CertAuthority,
    Kind::Role,
    Kind::User,
    Kind::TrustedCluster,
    Kind::Github,
    Kind::Oidc,
    Kind::Saml,
];

/// The kinds `tctl get connectors` prints.
pub const CONNECTOR_KINDS: &[Kind] = &[Kind::Github, Kind::Oidc, Kind::Saml];
