//! Table tests of resource rules, built-in roles, TTLs, principals and session options.

use teleport_core::resource::{
    read_resources, Resource, Role, RoleOptions, RoleSpec, User, UserSpec,
};
use teleport_core::Duration;

use super::super::*;
use super::{labels, role, rule, rules_role, strings, traits, ttl_role, ALL, NONE};

#[test]
fn resource_access_table() {
    let editor_like = rules_role("ed", vec![rule(&["user", "role"], &["*"], "")], vec![]);
    let reader = rules_role("rd", vec![rule(&["*"], &["list", "read"], "")], vec![]);
    let deny_delete = rules_role("nodelete", vec![], vec![rule(&["*"], &["delete"], "")]);
    let deny_where = rules_role(
        "dw",
        vec![],
        vec![rule(&["token"], &["read"], "equals(1, 1)")],
    );
    let allow_where = rules_role("aw", vec![rule(&["token"], &["*"], "equals(1, 1)")], vec![]);
    #[allow(clippy::type_complexity)]
    let rows: Vec<(&str, Vec<Role>, &str, &str, Result<(), &str>)> = vec![
        (
            "allowed verb",
            vec![editor_like.clone()],
            "user",
            "create",
            Ok(()),
        ),
        (
            "verb wildcard",
            vec![editor_like.clone()],
            "role",
            "delete",
            Ok(()),
        ),
        (
            "other resource",
            vec![editor_like.clone()],
            "token",
            "read",
            Err(""),
        ),
        (
            "resource wildcard",
            vec![reader.clone()],
            "cert_authority",
            "read",
            Ok(()),
        ),
        (
            "verb not listed",
            vec![reader.clone()],
            "user",
            "create",
            Err(""),
        ),
        (
            "deny beats allow",
            vec![editor_like.clone(), deny_delete.clone()],
            "user",
            "delete",
            Err("nodelete"),
        ),
        (
            "deny spares other verbs",
            vec![editor_like.clone(), deny_delete.clone()],
            "user",
            "update",
            Ok(()),
        ),
        (
            "union of roles",
            vec![editor_like.clone(), reader.clone()],
            "event",
            "list",
            Ok(()),
        ),
        ("no roles", vec![], "user", "read", Err("")),
        (
            "deny with where always denies",
            vec![reader.clone(), deny_where],
            "token",
            "read",
            Err("dw"),
        ),
        (
            "allow with where never grants",
            vec![allow_where],
            "token",
            "read",
            Err(""),
        ),
        (
            "case sensitive",
            vec![editor_like],
            "User",
            "create",
            Err(""),
        ),
    ];
    for (name, roles, resource, verb, want) in rows {
        let set = RoleSet::new(roles, &Traits::new()).unwrap();
        let got = set.check_resource_access(resource, verb);
        match (got, want) {
            (Ok(()), Ok(())) => {}
            (Err(AccessDenied::VerbNotAllowed { .. }), Err("")) => {}
            (Err(AccessDenied::VerbDenied { role, .. }), Err(by)) if role == by => {}
            (got, want) => panic!("row {name:?}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn builtin_roles_behave_as_described() {
    let roles = builtin_roles();
    let names: Vec<&str> = roles.iter().map(|role| role.name()).collect();
    assert_eq!(names, [ACCESS_ROLE, EDITOR_ROLE, AUDITOR_ROLE]);
    for role in &roles {
        assert_eq!(role.version(), "v4");
        assert_eq!(builtin_role(role.name()).as_ref(), Some(role));
    }
    assert!(builtin_role("admin").is_none());
    let t = traits(&[("logins", &["joe", "root"])]);
    let set = |name: &str| RoleSet::new(vec![builtin_role(name).unwrap()], &t).unwrap();
    let (access, editor, auditor) = (set(ACCESS_ROLE), set(EDITOR_ROLE), set(AUDITOR_ROLE));

    let rows: &[(&str, &RoleSet, &str, &str, bool)] = &[
        ("editor creates users", &editor, "user", "create", true),
        ("editor deletes roles", &editor, "role", "delete", true),
        ("editor edits tokens", &editor, "token", "update", true),
        ("editor edits github", &editor, "github", "create", true),
        ("editor lists nodes", &editor, "node", "list", true),
        (
            "editor edits trusted clusters",
            &editor,
            "trusted_cluster",
            "update",
            true,
        ),
        ("editor cannot read events", &editor, "event", "read", false),
        (
            "editor cannot read sessions",
            &editor,
            "session",
            "read",
            false,
        ),
        ("auditor reads events", &auditor, "event", "read", true),
        ("auditor lists events", &auditor, "event", "list", true),
        ("auditor reads sessions", &auditor, "session", "read", true),
        (
            "auditor cannot create users",
            &auditor,
            "user",
            "create",
            false,
        ),
        (
            "auditor cannot delete events",
            &auditor,
            "event",
            "delete",
            false,
        ),
        ("access cannot read users", &access, "user", "read", false),
        ("access cannot read events", &access, "event", "list", false),
        (
            "access cannot read sessions",
            &access,
            "session",
            "read",
            false,
        ),
    ];
    for (name, set, resource, verb, allowed) in rows {
        assert_eq!(
            set.check_resource_access(resource, verb).is_ok(),
            *allowed,
            "row {name:?}"
        );
    }

    let node = labels(&[("env", "prod")]);
    assert_eq!(access.allowed_logins(), strings(&["joe", "root"]));
    assert!(access.check_node_access("joe", &node).is_ok());
    assert!(access.check_node_access("joe", &labels(&[])).is_ok());
    assert!(access.check_node_access("ubuntu", &node).is_err());
    assert!(editor.allowed_logins().is_empty() && auditor.allowed_logins().is_empty());
    assert!(editor.check_node_access("joe", &node).is_err());
    assert!(auditor.check_node_access("joe", &node).is_err());
    assert!(access.can_forward_agent() && access.can_port_forward());
    assert!(!auditor.can_forward_agent() && !auditor.can_port_forward());
}

#[test]
fn ttl_table() {
    let h = Duration::from_hours;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(&str, Vec<Role>, Option<Duration>, Duration)> = vec![
        ("default 12h", vec![ttl_role("r", h(30))], None, h(12)),
        ("no roles default", vec![], None, h(12)),
        (
            "zero request is default",
            vec![ttl_role("r", h(30))],
            Some(Duration::ZERO),
            h(12),
        ),
        (
            "smaller request honoured",
            vec![ttl_role("r", h(30))],
            Some(h(1)),
            h(1),
        ),
        (
            "larger request capped",
            vec![ttl_role("r", h(30))],
            Some(h(100)),
            h(30),
        ),
        ("default capped", vec![ttl_role("r", h(8))], None, h(8)),
        (
            "smallest role wins",
            vec![
                ttl_role("a", h(10)),
                ttl_role("b", h(2)),
                ttl_role("c", h(20)),
            ],
            Some(h(5)),
            h(2),
        ),
        (
            "zero max means default",
            vec![ttl_role("r", Duration::ZERO)],
            Some(h(29)),
            h(29),
        ),
        (
            "minutes",
            vec![ttl_role("r", Duration::from_mins(90))],
            None,
            Duration::from_mins(90),
        ),
    ];
    for (name, roles, requested, want) in rows {
        let set = RoleSet::new(roles, &Traits::new()).unwrap();
        let got = set.adjust_ttl(requested);
        assert_eq!(got, want, "row {name:?}");
        assert!(!got.is_zero(), "row {name:?}");
    }
    let set = RoleSet::new(
        vec![ttl_role("a", h(10)), ttl_role("b", h(3))],
        &Traits::new(),
    )
    .unwrap();
    assert_eq!(set.max_session_ttl(), h(3));
    assert_eq!(
        RoleSet::new(vec![], &Traits::new())
            .unwrap()
            .max_session_ttl(),
        h(30)
    );
}

#[test]
fn allowed_logins_dedupe_and_deny() {
    let t = traits(&[("logins", &["root", "alice", "bob"])]);
    let set = RoleSet::new(
        vec![
            role("a", &["{{internal.logins}}", "ubuntu"], ALL, &[], NONE),
            role(
                "b",
                &["ubuntu", "alice", "admin"],
                &[("env", &["prod"])],
                &[],
                NONE,
            ),
            role("c", &[], NONE, &["root", "nobody"], NONE),
        ],
        &t,
    )
    .unwrap();
    assert_eq!(
        set.allowed_logins(),
        strings(&["admin", "alice", "bob", "ubuntu"])
    );
    let all_denied = RoleSet::new(
        vec![role("a", &["ubuntu"], ALL, &["*"], NONE)],
        &Traits::new(),
    )
    .unwrap();
    assert!(all_denied.allowed_logins().is_empty());
}

#[test]
fn session_options() {
    let with = |forward_agent: bool, port_forwarding: bool, ssh_file_copy: bool| {
        let spec = RoleSpec {
            options: RoleOptions {
                forward_agent,
                port_forwarding,
                ssh_file_copy,
                ..RoleOptions::default()
            },
            ..RoleSpec::default()
        };
        Role::named("r", spec).unwrap()
    };
    let rows: &[(&str, Vec<Role>, bool, bool, bool)] = &[
        (
            "defaults",
            vec![Role::named("r", RoleSpec::default()).unwrap()],
            false,
            true,
            true,
        ),
        ("all on", vec![with(true, true, true)], true, true, true),
        (
            "any role forwards agent",
            vec![with(false, false, true), with(true, false, true)],
            true,
            false,
            true,
        ),
        (
            "any role port forwards",
            vec![with(false, false, true), with(false, true, true)],
            false,
            true,
            true,
        ),
        (
            "one role forbids copy",
            vec![with(true, true, true), with(true, true, false)],
            true,
            true,
            false,
        ),
        ("no roles", vec![], false, false, true),
    ];
    for (name, roles, agent, ports, copy) in rows {
        let set = RoleSet::new(roles.clone(), &Traits::new()).unwrap();
        assert_eq!(
            (
                set.can_forward_agent(),
                set.can_port_forward(),
                set.can_copy_files()
            ),
            (*agent, *ports, *copy),
            "row {name:?}"
        );
    }
}

#[test]
fn custom_role_from_yaml() {
    let yaml = "\
kind: role
version: v4
metadata:
  name: dba
spec:
  options:
    max_session_ttl: 4h0m0s
  allow:
    logins: ['{{external.db_logins}}', postgres]
    node_labels:
      role: '^db-[0-9]+$'
    rules:
    - resources: [session]
      verbs: [list]
  deny:
    logins: [root]
";
    let resources = read_resources(yaml, "dba.yaml").unwrap();
    let Resource::Role(dba) = &resources[0] else {
        panic!("not a role");
    };
    let set = RoleSet::new(
        vec![dba.clone()],
        &traits(&[("db_logins", &["dbadmin", "root"])]),
    )
    .unwrap();
    assert_eq!(set.allowed_logins(), strings(&["dbadmin", "postgres"]));
    assert!(set
        .check_node_access("dbadmin", &labels(&[("role", "db-1")]))
        .is_ok());
    assert!(set
        .check_node_access("root", &labels(&[("role", "db-1")]))
        .is_err());
    assert!(set.check_resource_access("session", "list").is_ok());
    assert_eq!(set.adjust_ttl(None), Duration::from_hours(4));
    assert_eq!(set.role_names(), ["dba"]);
}

#[test]
fn for_user_picks_roles_and_traits() {
    let mut all = builtin_roles();
    all.push(role("extra", &["deploy"], ALL, &[], NONE));
    let mut spec = UserSpec {
        roles: strings(&["access", "extra"]),
        ..UserSpec::default()
    };
    spec.traits.insert("logins".into(), strings(&["joe"]));
    let user = User::named("joe", spec.clone()).unwrap();
    let set = RoleSet::for_user(&user, &all).unwrap();
    assert_eq!(set.role_names(), ["access", "extra"]);
    assert_eq!(set.allowed_logins(), strings(&["deploy", "joe"]));

    spec.roles.push("ghost".into());
    let user = User::named("joe", spec).unwrap();
    let err = RoleSet::for_user(&user, &all).unwrap_err();
    assert_eq!(
        err,
        RbacError::UnknownRole {
            user: "joe".into(),
            role: "ghost".into()
        }
    );
}

#[test]
fn role_set_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<RoleSet>();
    assert_send_sync::<RbacError>();
    assert_send_sync::<AccessDenied>();
}
