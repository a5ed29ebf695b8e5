//! [`RoleSet`]: a user's roles with traits substituted and label selectors compiled,
//! and the pure decisions made from them.
//!
//! The rules are documented on [`RoleSet`].

use std::collections::BTreeMap;

use teleport_core::labels::{LabelSelector, WILDCARD};
use teleport_core::resource::{Role, RoleConditions, Rule, User, DEFAULT_MAX_SESSION_TTL};
use teleport_core::Duration;

use super::error::{AccessDenied, RbacError};
use super::traits::{self, Traits};

/// The certificate TTL used when the client does not ask for one: 12 hours.
pub const DEFAULT_CERT_TTL: Duration = Duration::from_hours(12);

/// One side (`allow` or `deny`) of a role, ready for checks.
#[derive(Debug, Clone)]
struct Conditions {
    logins: Vec<String>,
    labels: LabelSelector,
    rules: Vec<Rule>,
}

/// How an unresolvable label key template is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Allow,
    Deny,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Allow => "allow",
            Side::Deny => "deny",
        }
    }
}

/// One role, ready for checks.
#[derive(Debug, Clone)]
struct CompiledRole {
    name: String,
    forward_agent: bool,
    port_forwarding: bool,
    ssh_file_copy: bool,
    max_session_ttl: Duration,
    allow: Conditions,
    deny: Conditions,
}

/// A user's roles, with traits substituted and label selectors compiled once; every
/// check is a pure function of it.
///
/// # Node access (Teleport's `CheckAccessToServer`)
///
/// Deny is checked first, role by role. A role's `deny` section refuses the request
/// when **either** its `logins` contain the login (or `*`) **or** its `node_labels`
/// select the node: `deny: {logins: [root]}` forbids `root` everywhere, and
/// `deny: {node_labels: {env: prod}}` forbids every login on `env=prod` nodes. An empty
/// deny `node_labels` selects no node, so it denies nothing by itself.
///
/// Then allow: access is granted when **one** role's `allow.logins` contain the login
/// **and** its `allow.node_labels` select the node. An empty allow `node_labels` selects
/// no node; `'*': '*'` selects every node, even one without labels. A `*` in allow
/// logins is not a wildcard.
///
/// # Resource rules (Teleport's `CheckAccessToRule`)
///
/// Deny rules first, then allow; `*` in `resources` or `verbs` matches anything.
/// `where` expressions are not evaluated: a rule with `where` never grants (allow) and
/// always refuses (deny) — the safe side.
///
/// # Trait substitution
///
/// Done once in [`RoleSet::new`] for logins and node label keys and values, see
/// [`traits`](crate::rbac::traits). Logins that come from a template and are not plausible
/// Unix user names are dropped. A label value whose trait is missing leaves its key
/// with no values, which selects no node (fail closed). A label key template that does
/// not give exactly one key makes an allow selector select nothing and a deny selector
/// select every node.
#[derive(Debug, Clone)]
pub struct RoleSet {
    roles: Vec<CompiledRole>,
}

impl RoleSet {
    /// Prepares `roles` for a user with `traits`: substitutes `{{...}}` templates and
    /// compiles the label selectors.
    pub fn new(roles: Vec<Role>, traits: &Traits) -> Result<RoleSet, RbacError> {
        let roles = roles
            .iter()
            .map(|role| compile_role(role, traits))
            .collect::<Result<_, _>>()?;
        Ok(RoleSet { roles })
    }

    /// Prepares the roles `user` has, looked up by name in `all_roles`, with the
    /// user's traits; a role name that is not in `all_roles` is an error.
    pub fn for_user(user: &User, all_roles: &[Role]) -> Result<RoleSet, RbacError> {
        let mut chosen = Vec::with_capacity(user.spec.roles.len());
        for name in &user.spec.roles {
            let role = all_roles
                .iter()
                .find(|role| role.name() == name)
                .ok_or_else(|| RbacError::UnknownRole {
                    user: user.name().to_string(),
                    role: name.clone(),
                })?;
            chosen.push(role.clone());
        }
        RoleSet::new(chosen, &user.spec.traits)
    }

    /// The names of the roles, in the order given.
    pub fn role_names(&self) -> Vec<&str> {
        self.roles.iter().map(|role| role.name.as_str()).collect()
    }

    /// Whether `login` may be used on a node with `node_labels`; see [`RoleSet`] for
    /// the rules.
    pub fn check_node_access(
        &self,
        login: &str,
        node_labels: &BTreeMap<String, String>,
    ) -> Result<(), AccessDenied> {
        for role in &self.roles {
            let denied_login = role
                .deny
                .logins
                .iter()
                .any(|denied| denied == login || denied == WILDCARD);
            if denied_login || role.deny.labels.matches(node_labels) {
                return Err(AccessDenied::DeniedByRole {
                    login: login.to_string(),
                    role: role.name.clone(),
                });
            }
        }
        let mut login_allowed = false;
        for role in &self.roles {
            if role.allow.logins.iter().any(|allowed| allowed == login) {
                if role.allow.labels.matches(node_labels) {
                    return Ok(());
                }
                login_allowed = true;
            }
        }
        Err(if login_allowed {
            AccessDenied::LabelsDoNotMatch {
                login: login.to_string(),
            }
        } else {
            AccessDenied::LoginNotAllowed {
                login: login.to_string(),
            }
        })
    }

    /// Whether `verb` (`list`, `create`, `read`, `update`, `delete`) is allowed on
    /// resources of kind `resource` (`user`, `role`, `event`, ...).
    pub fn check_resource_access(&self, resource: &str, verb: &str) -> Result<(), AccessDenied> {
        for role in &self.roles {
            if role
                .deny
                .rules
                .iter()
                .any(|rule| rule_matches(rule, resource, verb))
            {
                return Err(AccessDenied::VerbDenied {
                    resource: resource.to_string(),
                    verb: verb.to_string(),
                    role: role.name.clone(),
                });
            }
        }
        let allowed = self.roles.iter().any(|role| {
            role.allow
                .rules
                .iter()
                .any(|rule| rule.where_.is_empty() && rule_matches(rule, resource, verb))
        });
        if allowed {
            Ok(())
        } else {
            Err(AccessDenied::VerbNotAllowed {
                resource: resource.to_string(),
                verb: verb.to_string(),
            })
        }
    }

    /// The logins the roles allow, after substitution, minus those a deny section
    /// forbids everywhere (every deny login does; a deny login `*` forbids all); sorted
    /// and without duplicates. These are the principals of the user's certificate.
    pub fn allowed_logins(&self) -> Vec<String> {
        let denied = |login: &str| {
            self.roles.iter().any(|role| {
                role.deny
                    .logins
                    .iter()
                    .any(|denied| denied == login || denied == WILDCARD)
            })
        };
        let mut logins: Vec<String> = self
            .roles
            .iter()
            .flat_map(|role| role.allow.logins.iter())
            .filter(|login| !denied(login))
            .cloned()
            .collect();
        logins.sort();
        logins.dedup();
        logins
    }

    /// The smallest `max_session_ttl` of the roles; a role with zero, or no roles at
    /// all, counts as the default 30h.
    pub fn max_session_ttl(&self) -> Duration {
        self.roles
            .iter()
            .map(|role| role.max_session_ttl)
            .min()
            .unwrap_or(DEFAULT_MAX_SESSION_TTL)
    }

    /// The TTL of a certificate the client asked `requested` for: 12h when not given
    /// (or zero), capped by [`max_session_ttl`](Self::max_session_ttl); never zero.
    pub fn adjust_ttl(&self, requested: Option<Duration>) -> Duration {
        let wanted = requested
            .filter(|ttl| !ttl.is_zero())
            .unwrap_or(DEFAULT_CERT_TTL);
        wanted.min(self.max_session_ttl())
    }

    /// Whether agent forwarding is allowed: any role allowing it is enough (OR), as
    /// in Teleport.
    pub fn can_forward_agent(&self) -> bool {
        self.roles.iter().any(|role| role.forward_agent)
    }

    /// Whether port forwarding is allowed: any role allowing it is enough (OR), as in
    /// Teleport (`port_forwarding` defaults to true).
    pub fn can_port_forward(&self) -> bool {
        self.roles.iter().any(|role| role.port_forwarding)
    }

    /// Whether scp/sftp is allowed: every role must allow it (AND), as in Teleport.
    pub fn can_copy_files(&self) -> bool {
        self.roles.iter().all(|role| role.ssh_file_copy)
    }
}

fn rule_matches(rule: &Rule, resource: &str, verb: &str) -> bool {
    let has =
        |list: &[String], wanted: &str| list.iter().any(|item| item == wanted || item == WILDCARD);
    has(&rule.resources, resource) && has(&rule.verbs, verb)
}

fn compile_role(role: &Role, traits: &Traits) -> Result<CompiledRole, RbacError> {
    let name = role.name().to_string();
    let options = &role.spec.options;
    let max_session_ttl = if options.max_session_ttl.is_zero() {
        DEFAULT_MAX_SESSION_TTL
    } else {
        options.max_session_ttl
    };
    Ok(CompiledRole {
        forward_agent: options.forward_agent,
        port_forwarding: options.port_forwarding,
        ssh_file_copy: options.ssh_file_copy,
        max_session_ttl,
        allow: compile_conditions(&name, &role.spec.allow, traits, Side::Allow)?,
        deny: compile_conditions(&name, &role.spec.deny, traits, Side::Deny)?,
        name,
    })
}

fn expand(role: &str, value: &str, traits: &Traits) -> Result<Vec<String>, RbacError> {
    traits::expand(value, traits).map_err(|source| RbacError::BadTemplate {
        role: role.to_string(),
        value: value.to_string(),
        source,
    })
}

fn compile_conditions(
    role: &str,
    conditions: &RoleConditions,
    traits: &Traits,
    side: Side,
) -> Result<Conditions, RbacError> {
    let mut logins: Vec<String> = Vec::new();
    for login in &conditions.logins {
        let templated = traits::is_template(login);
        for value in expand(role, login, traits)? {
            if templated && !traits::is_valid_unix_login(&value) {
                continue;
            }
            if !logins.contains(&value) {
                logins.push(value);
            }
        }
    }
    let mut labels: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unresolved_key = false;
    for (key, values) in &conditions.node_labels {
        let keys = expand(role, key, traits)?;
        let mut expanded = Vec::new();
        for value in values {
            for value in expand(role, value, traits)? {
                if !expanded.contains(&value) {
                    expanded.push(value);
                }
            }
        }
        match keys.as_slice() {
            [key] => labels.entry(key.clone()).or_default().extend(expanded),
            _ => unresolved_key = true,
        }
    }
    let labels = match (unresolved_key, side) {
        (true, Side::Allow) => LabelSelector::new(BTreeMap::<String, Vec<String>>::new()),
        (true, Side::Deny) => Ok(LabelSelector::everything()),
        (false, _) => LabelSelector::new(&labels),
    }
    .map_err(|source| RbacError::BadLabels {
        role: role.to_string(),
        condition: side.name(),
        source,
    })?;
    Ok(Conditions {
        logins,
        labels,
        rules: conditions.rules.clone(),
    })
}
