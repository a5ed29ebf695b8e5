//! Role-based access control: the built-in roles, trait substitution in role values
//! and the pure decisions made from a user's roles.
//!
//! - [`builtin_roles`]: Teleport's preset `access`, `editor` and `auditor` roles.
//! - [`traits`]: `{{internal.logins}}` / `{{external.<trait>}}` substitution.
//! - [`RoleSet`]: a user's roles prepared once (traits substituted, label selectors
//!   compiled), deciding node access ([`RoleSet::check_node_access`]), resource verbs
//!   ([`RoleSet::check_resource_access`]), certificate principals
//!   ([`RoleSet::allowed_logins`]), TTLs ([`RoleSet::adjust_ttl`]) and session options.
//!
//! Custom roles are ordinary `role` resources read from YAML with
//! [`teleport_core::resource::read_resources`].

mod access;
mod builtin;
mod error;
pub mod traits;

#[cfg(test)]
mod tests;

pub use access::{RoleSet, DEFAULT_CERT_TTL};
pub use builtin::{
    builtin_role, builtin_roles, ACCESS_ROLE, AUDITOR_ROLE, EDITOR_RESOURCES, EDITOR_ROLE,
};
pub use error::{AccessDenied, RbacError, TemplateError};
pub use traits::Traits;

/// Verb: list resources.
pub const VERB_LIST: &str = "list";
/// Verb: create a resource.
pub const VERB_CREATE: &str = "create";
/// Verb: read a resource.
pub const VERB_READ: &str = "read";
/// Verb: update a resource.
pub const VERB_UPDATE: &str = "update";
/// Verb: delete a resource.
pub const VERB_DELETE: &str = "delete";
/// Every verb known to rules, without the `*` wildcard.
pub const VERBS: &[&str] = &[VERB_LIST, VERB_CREATE, VERB_READ, VERB_UPDATE, VERB_DELETE];

/// Resource kind of audit log events in rules.
pub const KIND_EVENT: &str = "event";
/// Resource kind of sessions and their recordings in rules.
pub const KIND_SESSION: &str = "session";
