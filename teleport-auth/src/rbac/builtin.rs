//! The roles every cluster starts with, as Teleport's preset roles: `access`, `editor`
//! and `auditor`.

use std::collections::BTreeMap;

use teleport_core::resource::{
    Metadata, Role, RoleConditions, RoleOptions, RoleSpec, Rule, Strings,
};

use super::{
    KIND_EVENT, KIND_SESSION, VERB_CREATE, VERB_DELETE, VERB_LIST, VERB_READ, VERB_UPDATE,
};

/// Name of the built-in role granting SSH access to every node with the user's logins.
pub const ACCESS_ROLE: &str = "access";
/// Name of the built-in role allowed to edit cluster configuration.
pub const EDITOR_ROLE: &str = "editor";
/// Name of the built-in role allowed to read the audit log and session recordings.
pub const AUDITOR_ROLE: &str = "auditor";

/// The resource kinds the `editor` role may list, create, read, update and delete.
pub const EDITOR_RESOURCES: &[&str] = &[
    "user",
    "role",
    "token",
    "github",
    "oidc",
    "saml",
    "trusted_cluster",
    "node",
];

fn read_write() -> Vec<String> {
    [VERB_LIST, VERB_CREATE, VERB_READ, VERB_UPDATE, VERB_DELETE]
        .iter()
        .map(|verb| verb.to_string())
        .collect()
}

fn read_only() -> Vec<String> {
    vec![VERB_LIST.to_string(), VERB_READ.to_string()]
}

fn rule(resource: &str, verbs: Vec<String>) -> Rule {
    Rule {
        resources: vec![resource.to_string()],
        verbs,
        ..Rule::default()
    }
}

fn role(name: &str, description: &str, spec: RoleSpec) -> Option<Role> {
    // Only fails for an empty name, which the constants above are not.
    let mut metadata = Metadata::new(name).ok()?;
    metadata.description = description.to_string();
    Some(Role::new(metadata, spec))
}

/// `access`: logins `{{internal.logins}}` on every node (`'*': '*'`), agent and port
/// forwarding; the only rule lets users list and read sessions they took part in
/// (a `where` clause, which this implementation does not evaluate, so it grants
/// nothing yet).
fn access_role() -> Option<Role> {
    let spec = RoleSpec {
        options: RoleOptions {
            forward_agent: true,
            port_forwarding: true,
            ..RoleOptions::default()
        },
        allow: RoleConditions {
            logins: vec!["{{internal.logins}}".to_string()],
            node_labels: BTreeMap::from([("*".to_string(), Strings::from("*"))]),
            rules: vec![Rule {
                where_: "contains(session.participants, user.metadata.name)".to_string(),
                ..rule(KIND_SESSION, read_only())
            }],
        },
        deny: RoleConditions::default(),
    };
    role(ACCESS_ROLE, "Access cluster resources", spec)
}

/// `editor`: every verb on [`EDITOR_RESOURCES`]; no logins, no audit log.
fn editor_role() -> Option<Role> {
    let spec = RoleSpec {
        options: RoleOptions {
            forward_agent: true,
            port_forwarding: true,
            ..RoleOptions::default()
        },
        allow: RoleConditions {
            rules: EDITOR_RESOURCES
                .iter()
                .map(|resource| rule(resource, read_write()))
                .collect(),
            ..RoleConditions::default()
        },
        deny: RoleConditions::default(),
    };
    role(EDITOR_ROLE, "Edit cluster configuration", spec)
}

/// `auditor`: list and read `event` and `session`; no logins, no forwarding.
fn auditor_role() -> Option<Role> {
    let spec = RoleSpec {
        options: RoleOptions {
            forward_agent: false,
            port_forwarding: false,
            ..RoleOptions::default()
        },
        allow: RoleConditions {
            rules: vec![
                rule(KIND_SESSION, read_only()),
                rule(KIND_EVENT, read_only()),
            ],
            ..RoleConditions::default()
        },
        deny: RoleConditions::default(),
    };
    role(
        AUDITOR_ROLE,
        "Review cluster events and replay sessions",
        spec,
    )
}

/// The built-in roles, in the order `access`, `editor`, `auditor`.
pub fn builtin_roles() -> Vec<Role> {
    [access_role(), editor_role(), auditor_role()]
        .into_iter()
        .flatten()
        .collect()
}

/// The built-in role called `name`, if there is one.
pub fn builtin_role(name: &str) -> Option<Role> {
    match name {
        ACCESS_ROLE => access_role(),
        EDITOR_ROLE => editor_role(),
        AUDITOR_ROLE => auditor_role(),
        _ => None,
    }
}
