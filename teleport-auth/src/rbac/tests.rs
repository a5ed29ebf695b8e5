//! Table tests of trait substitution and node access; resource rules, built-in roles,
//! TTLs and session options are in [`policy`].

use std::collections::BTreeMap;

use teleport_core::resource::{Role, RoleConditions, RoleOptions, RoleSpec, Rule, Strings};
use teleport_core::Duration;

use super::*;

mod policy;

fn traits(pairs: &[(&str, &[&str])]) -> Traits {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn node_labels(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Strings> {
    pairs
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                Strings(v.iter().map(|s| s.to_string()).collect()),
            )
        })
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A role allowing `logins` on `labels` and denying `deny_logins` on `deny_labels`.
fn role(
    name: &str,
    logins: &[&str],
    labels: &[(&str, &[&str])],
    deny_logins: &[&str],
    deny_labels: &[(&str, &[&str])],
) -> Role {
    let spec = RoleSpec {
        allow: RoleConditions {
            logins: strings(logins),
            node_labels: node_labels(labels),
            ..RoleConditions::default()
        },
        deny: RoleConditions {
            logins: strings(deny_logins),
            node_labels: node_labels(deny_labels),
            ..RoleConditions::default()
        },
        ..RoleSpec::default()
    };
    Role::named(name, spec).unwrap()
}

fn rule(resources: &[&str], verbs: &[&str], where_: &str) -> Rule {
    Rule {
        resources: strings(resources),
        verbs: strings(verbs),
        where_: where_.to_string(),
        ..Rule::default()
    }
}

fn rules_role(name: &str, allow: Vec<Rule>, deny: Vec<Rule>) -> Role {
    let mut spec = RoleSpec::default();
    spec.allow.rules = allow;
    spec.deny.rules = deny;
    Role::named(name, spec).unwrap()
}

fn ttl_role(name: &str, max: Duration) -> Role {
    let spec = RoleSpec {
        options: RoleOptions {
            max_session_ttl: max,
            ..RoleOptions::default()
        },
        ..RoleSpec::default()
    };
    Role::named(name, spec).unwrap()
}

const ALL: &[(&str, &[&str])] = &[("*", &["*"])];
const NONE: &[(&str, &[&str])] = &[];

/// Expected outcome of a node check.
#[derive(Debug, PartialEq)]
enum Want {
    Allow,
    NoLogin,
    NoLabels,
    DeniedBy(&'static str),
}

fn outcome(result: Result<(), AccessDenied>) -> Want {
    match result {
        Ok(()) => Want::Allow,
        Err(AccessDenied::LoginNotAllowed { .. }) => Want::NoLogin,
        Err(AccessDenied::LabelsDoNotMatch { .. }) => Want::NoLabels,
        Err(AccessDenied::DeniedByRole { role, .. }) => {
            Want::DeniedBy(Box::leak(role.into_boxed_str()))
        }
        Err(other) => panic!("unexpected {other:?}"),
    }
}

#[test]
#[rustfmt::skip]
fn node_access_table() {
    let prod = labels(&[("env", "prod")]);
    let staging = labels(&[("env", "staging")]);
    let unlabeled = labels(&[]);
    let web = labels(&[("env", "prod-web"), ("team", "web")]);
    let db7 = labels(&[("role", "db-7")]);
    let dbx = labels(&[("role", "db-x")]);
    let ops = labels(&[("team", "ops")]);
    let dev = traits(&[("logins", &["alice", "ubuntu"]), ("groups", &["devs", "ops"])]);
    // (name, roles, login, node, expected)
    #[allow(clippy::type_complexity)]
    let rows: Vec<(&str, Vec<Role>, &str, &BTreeMap<String, String>, Want)> = vec![
        ("allow by login", vec![role("r", &["ubuntu"], ALL, &[], NONE)], "ubuntu", &prod, Want::Allow),
        ("login missing", vec![role("r", &["ubuntu"], ALL, &[], NONE)], "root", &prod, Want::NoLogin),
        ("no roles", vec![], "ubuntu", &prod, Want::NoLogin),
        ("labels do not match", vec![role("r", &["ubuntu"], &[("env", &["staging"])], &[], NONE)], "ubuntu", &prod, Want::NoLabels),
        ("empty allow labels select nothing", vec![role("r", &["ubuntu"], NONE, &[], NONE)], "ubuntu", &prod, Want::NoLabels),
        ("deny login beats allow", vec![role("a", &["root"], ALL, &[], NONE), role("d", &[], NONE, &["root"], NONE)], "root", &prod, Want::DeniedBy("d")),
        ("deny login in same role", vec![role("r", &["root"], ALL, &["root"], NONE)], "root", &unlabeled, Want::DeniedBy("r")),
        ("deny login leaves others", vec![role("r", &["root", "ubuntu"], ALL, &["root"], NONE)], "ubuntu", &prod, Want::Allow),
        ("deny login wildcard", vec![role("r", &["ubuntu"], ALL, &["*"], NONE)], "ubuntu", &prod, Want::DeniedBy("r")),
        ("deny labels on matching node", vec![role("r", &["ubuntu"], ALL, &[], &[("env", &["prod"])])], "ubuntu", &prod, Want::DeniedBy("r")),
        ("deny labels spare other nodes", vec![role("r", &["ubuntu"], ALL, &[], &[("env", &["prod"])])], "ubuntu", &staging, Want::Allow),
        ("deny labels spare unlabeled", vec![role("r", &["ubuntu"], ALL, &[], &[("env", &["prod"])])], "ubuntu", &unlabeled, Want::Allow),
        ("deny login with labels denies everywhere", vec![role("r", &["root"], ALL, &["root"], &[("env", &["prod"])])], "root", &staging, Want::DeniedBy("r")),
        ("deny all labels", vec![role("r", &["ubuntu"], ALL, &[], ALL)], "ubuntu", &unlabeled, Want::DeniedBy("r")),
        ("wildcard value needs key", vec![role("r", &["ubuntu"], &[("env", &["*"])], &[], NONE)], "ubuntu", &prod, Want::Allow),
        ("wildcard value missing key", vec![role("r", &["ubuntu"], &[("env", &["*"])], &[], NONE)], "ubuntu", &db7, Want::NoLabels),
        ("star star on unlabeled node", vec![role("r", &["ubuntu"], ALL, &[], NONE)], "ubuntu", &unlabeled, Want::Allow),
        ("glob prod-*", vec![role("r", &["ubuntu"], &[("env", &["prod-*"])], &[], NONE)], "ubuntu", &web, Want::Allow),
        ("glob prod-* no match", vec![role("r", &["ubuntu"], &[("env", &["prod-*"])], &[], NONE)], "ubuntu", &prod, Want::NoLabels),
        ("regex match", vec![role("r", &["ubuntu"], &[("role", &["^db-[0-9]+$"])], &[], NONE)], "ubuntu", &db7, Want::Allow),
        ("regex no match", vec![role("r", &["ubuntu"], &[("role", &["^db-[0-9]+$"])], &[], NONE)], "ubuntu", &dbx, Want::NoLabels),
        ("all keys must match", vec![role("r", &["ubuntu"], &[("env", &["prod-web"]), ("team", &["db"])], &[], NONE)], "ubuntu", &web, Want::NoLabels),
        ("any value may match", vec![role("r", &["ubuntu"], &[("env", &["prod", "staging"])], &[], NONE)], "ubuntu", &staging, Want::Allow),
        ("multiple roles union logins", vec![role("a", &["ubuntu"], ALL, &[], NONE), role("b", &["admin"], ALL, &[], NONE)], "admin", &prod, Want::Allow),
        ("login and labels from same role", vec![role("a", &["ubuntu"], &[("env", &["staging"])], &[], NONE), role("b", &["admin"], &[("env", &["prod"])], &[], NONE)], "ubuntu", &prod, Want::NoLabels),
        ("second role grants", vec![role("a", &["ubuntu"], &[("env", &["staging"])], &[], NONE), role("b", &["ubuntu"], &[("env", &["prod"])], &[], NONE)], "ubuntu", &prod, Want::Allow),
        ("internal.logins", vec![role("r", &["{{internal.logins}}"], ALL, &[], NONE)], "alice", &prod, Want::Allow),
        ("internal.logins other", vec![role("r", &["{{internal.logins}}"], ALL, &[], NONE)], "root", &prod, Want::NoLogin),
        ("template is not literal", vec![role("r", &["{{internal.logins}}"], ALL, &[], NONE)], "{{internal.logins}}", &prod, Want::NoLogin),
        ("external.groups", vec![role("r", &["{{external.groups}}"], ALL, &[], NONE)], "ops", &prod, Want::Allow),
        ("missing trait dropped", vec![role("r", &["{{external.nothing}}", "ubuntu"], ALL, &[], NONE)], "ubuntu", &prod, Want::Allow),
        ("missing trait grants nothing", vec![role("r", &["{{external.nothing}}"], ALL, &[], NONE)], "", &prod, Want::NoLogin),
        ("prefix and suffix", vec![role("r", &["x-{{external.groups}}-y"], ALL, &[], NONE)], "x-devs-y", &prod, Want::Allow),
        ("label value from trait", vec![role("r", &["ubuntu"], &[("team", &["{{external.groups}}"])], &[], NONE)], "ubuntu", &ops, Want::Allow),
        ("label value missing trait fails closed", vec![role("r", &["ubuntu"], &[("team", &["{{external.nothing}}"])], &[], NONE)], "ubuntu", &ops, Want::NoLabels),
        ("deny login from trait", vec![role("r", &["ubuntu"], ALL, &["{{external.groups}}"], NONE), role("s", &["ops"], ALL, &[], NONE)], "ops", &prod, Want::DeniedBy("r")),
        ("deny label from missing trait", vec![role("r", &["ubuntu"], ALL, &[], &[("team", &["{{external.nothing}}"])])], "ubuntu", &ops, Want::Allow),
        ("allow key from missing trait", vec![role("r", &["ubuntu"], &[("{{external.nothing}}", &["*"])], &[], NONE)], "ubuntu", &prod, Want::NoLabels),
        ("deny key from missing trait", vec![role("r", &["ubuntu"], ALL, &[], &[("{{external.nothing}}", &["x"])])], "ubuntu", &prod, Want::DeniedBy("r")),
    ];
    assert!(rows.len() >= 35);
    for (name, roles, login, node, want) in rows {
        let set = RoleSet::new(roles, &dev).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(outcome(set.check_node_access(login, node)), want, "row {name:?}");
    }
}

#[test]
fn denial_messages_name_login_and_role_only() {
    let set = RoleSet::new(
        vec![
            role(
                "secret-allow",
                &["ubuntu"],
                &[("env", &["hidden-value"])],
                &[],
                NONE,
            ),
            role("blocker", &[], NONE, &["root"], NONE),
        ],
        &Traits::new(),
    )
    .unwrap();
    let denied = set
        .check_node_access("root", &labels(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        denied.contains("\"root\"") && denied.contains("\"blocker\""),
        "{denied}"
    );
    assert!(
        !denied.contains("secret-allow") && !denied.contains("hidden"),
        "{denied}"
    );
    let no_labels = set
        .check_node_access("ubuntu", &labels(&[]))
        .unwrap_err()
        .to_string();
    assert!(no_labels.contains("\"ubuntu\""), "{no_labels}");
    assert!(
        !no_labels.contains("secret") && !no_labels.contains("hidden"),
        "{no_labels}"
    );
    let no_login = set
        .check_node_access("bob", &labels(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        no_login.contains("\"bob\"") && !no_login.contains("root"),
        "{no_login}"
    );
}

#[test]
fn template_expansion_table() {
    let t = traits(&[
        ("logins", &["alice", "ubuntu"]),
        ("groups", &["devs", "ops", "devs"]),
        ("email", &["alice@example.com", "not-an-email"]),
        ("empty", &[]),
        ("first name", &["Al"]),
    ]);
    let rows: &[(&str, &str, &[&str])] = &[
        ("literal", "ubuntu", &["ubuntu"]),
        ("literal with single braces", "{ubuntu}", &["{ubuntu}"]),
        ("internal", "{{internal.logins}}", &["alice", "ubuntu"]),
        (
            "spaces inside",
            "{{ internal.logins }}",
            &["alice", "ubuntu"],
        ),
        ("external dedupes", "{{external.groups}}", &["devs", "ops"]),
        ("bracket syntax", "{{external[\"first name\"]}}", &["Al"]),
        (
            "prefix suffix",
            "team-{{external.groups}}.x",
            &["team-devs.x", "team-ops.x"],
        ),
        ("missing trait", "{{external.missing}}", &[]),
        ("empty trait", "{{internal.empty}}", &[]),
        ("missing trait with prefix", "p-{{external.missing}}", &[]),
        ("email.local", "{{email.local(external.email)}}", &["alice"]),
    ];
    for (name, value, want) in rows {
        assert_eq!(
            traits::expand(value, &t).unwrap(),
            strings(want),
            "row {name:?}"
        );
    }
}

#[test]
fn malformed_templates_table() {
    let rows: &[(&str, &str, TemplateError)] = &[
        ("open only", "{{internal.logins", TemplateError::Unbalanced),
        ("close only", "internal.logins}}", TemplateError::Unbalanced),
        ("close before open", "}}x{{", TemplateError::Unbalanced),
        (
            "nested",
            "{{ {{internal.logins}} }}",
            TemplateError::Unbalanced,
        ),
        (
            "two expressions",
            "{{internal.a}}{{internal.b}}",
            TemplateError::Multiple,
        ),
        (
            "unknown namespace",
            "{{secret.logins}}",
            TemplateError::UnknownNamespace {
                namespace: "secret".into(),
            },
        ),
        (
            "unknown function",
            "{{email.domain(external.email)}}",
            TemplateError::UnknownFunction {
                function: "email.domain".into(),
            },
        ),
        (
            "no namespace",
            "{{logins}}",
            TemplateError::Malformed {
                expression: "logins".into(),
            },
        ),
        (
            "empty",
            "{{}}",
            TemplateError::Malformed {
                expression: "".into(),
            },
        ),
        (
            "empty name",
            "{{internal.}}",
            TemplateError::Malformed {
                expression: "internal.".into(),
            },
        ),
        (
            "three parts",
            "{{internal.a.b}}",
            TemplateError::Malformed {
                expression: "internal.a.b".into(),
            },
        ),
    ];
    for (name, value, want) in rows {
        assert_eq!(
            traits::expand(value, &Traits::new()).unwrap_err(),
            *want,
            "row {name:?}"
        );
        assert!(traits::validate(value).is_err(), "row {name:?}");
    }
}

#[test]
fn malformed_template_in_role_names_role_and_value() {
    let err = RoleSet::new(
        vec![role("broken", &["{{internal.logins"], ALL, &[], NONE)],
        &Traits::new(),
    )
    .unwrap_err();
    assert!(matches!(err, RbacError::BadTemplate { ref role, .. } if role == "broken"));
    let text = err.to_string();
    assert!(
        text.contains("\"broken\"") && text.contains("{{internal.logins"),
        "{text}"
    );

    let err = RoleSet::new(
        vec![role(
            "labels",
            &["x"],
            &[("env", &["{{nope.env}}"])],
            &[],
            NONE,
        )],
        &Traits::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown namespace"), "{err}");

    let err = RoleSet::new(
        vec![role("regex", &["x"], &[("env", &["^(prod$"])], &[], NONE)],
        &Traits::new(),
    )
    .unwrap_err();
    assert!(
        matches!(err, RbacError::BadLabels { ref role, condition: "allow", .. } if role == "regex")
    );
}

#[test]
fn trait_logins_must_be_unix_names() {
    let t = traits(&[(
        "logins",
        &["alice", "bad login", "-rf", "ok.name_1-x", "x$"],
    )]);
    let set = RoleSet::new(
        vec![role(
            "r",
            &["{{internal.logins}}", "literal login"],
            ALL,
            &[],
            NONE,
        )],
        &t,
    )
    .unwrap();
    assert_eq!(
        set.allowed_logins(),
        strings(&["alice", "literal login", "ok.name_1-x", "x$"])
    );
}
