//! Errors of the RBAC module: [`RbacError`] when roles cannot be prepared, and
//! [`AccessDenied`] when a check says no.

use teleport_core::labels::LabelError;

/// Why a set of roles could not be prepared for checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RbacError {
    /// A value of a role uses a `{{...}}` template that cannot be parsed.
    #[error("role {role:?}: invalid template {value:?}: {source}")]
    BadTemplate {
        /// The role holding the value.
        role: String,
        /// The value as written in the role.
        value: String,
        /// What is wrong with it.
        #[source]
        source: TemplateError,
    },
    /// A role's `node_labels` (after trait substitution) do not compile.
    #[error("role {role:?}: invalid {condition} node_labels: {source}")]
    BadLabels {
        /// The role holding the labels.
        role: String,
        /// `allow` or `deny`.
        condition: &'static str,
        /// What the label compiler objected to.
        #[source]
        source: LabelError,
    },
    /// A user refers to a role that does not exist.
    #[error("user {user:?} has role {role:?}, which does not exist")]
    UnknownRole {
        /// The user.
        user: String,
        /// The missing role.
        role: String,
    },
}

/// Why a `{{...}}` template is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// `{{` without `}}`, `}}` without `{{`, or nested braces.
    #[error("unbalanced braces")]
    Unbalanced,
    /// More than one `{{...}}` in a single value.
    #[error("only one {{{{...}}}} expression is allowed per value")]
    Multiple,
    /// A variable in a namespace other than `internal` or `external`.
    #[error("unknown namespace {namespace:?}: expected internal or external")]
    UnknownNamespace {
        /// The namespace as written.
        namespace: String,
    },
    /// An unknown function such as `{{email.domain(...)}}`.
    #[error("unknown function {function:?}: expected email.local")]
    UnknownFunction {
        /// The function as written.
        function: String,
    },
    /// Anything else that is not `namespace.name`, `namespace["name"]` or
    /// `email.local(namespace.name)`.
    #[error("expected namespace.name, namespace[\"name\"] or email.local(namespace.name), got {expression:?}")]
    Malformed {
        /// The expression between the braces.
        expression: String,
    },
}

/// Why an access check failed. The message names the login, resource or verb asked
/// for and, for denies, the role that denied; it never shows other roles' content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessDenied {
    /// No role allows this login at all.
    #[error("access denied: login {login:?} is not allowed by any role")]
    LoginNotAllowed {
        /// The OS login asked for.
        login: String,
    },
    /// Some role allows the login, but none whose `node_labels` select this node.
    #[error("access denied: login {login:?} is not allowed on this node (no role's node_labels match it)")]
    LabelsDoNotMatch {
        /// The OS login asked for.
        login: String,
    },
    /// A role's `deny` section matched the login or the node.
    #[error("access denied: login {login:?} on this node is denied by role {role:?}")]
    DeniedByRole {
        /// The OS login asked for.
        login: String,
        /// The role that denied it.
        role: String,
    },
    /// No role's allow rules grant this verb on this resource kind.
    #[error("access denied: {verb:?} on {resource:?} is not allowed by any role")]
    VerbNotAllowed {
        /// The resource kind.
        resource: String,
        /// The verb.
        verb: String,
    },
    /// A role's deny rules forbid this verb on this resource kind.
    #[error("access denied: {verb:?} on {resource:?} is denied by role {role:?}")]
    VerbDenied {
        /// The resource kind.
        resource: String,
        /// The verb.
        verb: String,
        /// The role that denied it.
        role: String,
    },
}
