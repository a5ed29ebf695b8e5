//! `tctl get`, `tctl create [-f]` and `tctl rm` against a running auth daemon, as the
//! manual's "Resources" and "Editing users" sections use them.

use teleport_auth::resources::BACKUP_KINDS;
use teleport_core::resource::{read_resources, read_resources_json, Kind, Resource};

use super::support::*;

const DEV_ROLE: &str = "\
kind: role
version: v4
metadata:
  name: dev
spec:
  options:
    max_session_ttl: 2h
  allow:
    logins: [dev]
    node_labels:
      env: staging
    rules:
    - resources: [session]
      verbs: [list, read]
";

fn the_role(yaml: &str) -> teleport_core::resource::Role {
    let mut resources = read_resources(yaml, "tctl get").unwrap();
    assert_eq!(resources.len(), 1, "{yaml}");
    match resources.pop().unwrap() {
        Resource::Role(role) => role,
        other => panic!("not a role: {other:?}"),
    }
}

#[test]
fn roles_are_created_replaced_printed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _addr) = auth_config(
        dir.path(),
        "teleport.yaml",
        &dir.path().join("data"),
        "resources.example.com",
    );
    let (_daemon, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");
    let file = dir.path().join("dev.yaml");
    let path = file.to_str().unwrap();

    // Create, then the same again: refused, naming the role and -f.
    std::fs::write(&file, DEV_ROLE).unwrap();
    assert_eq!(
        tctl_ok(&config, &["create", path]),
        "role \"dev\" has been created\n"
    );
    let again = tctl_out(&config, &["create", path]);
    assert_eq!(again.status.code(), Some(1));
    let err = stderr(&again);
    assert!(err.contains("role \"dev\" already exists"), "{err}");
    assert!(err.contains("tctl create -f"), "{err}");
    assert!(stdout(&again).is_empty(), "{}", stdout(&again));

    // -f replaces it.
    std::fs::write(
        &file,
        DEV_ROLE.replace("logins: [dev]", "logins: [dev, ops]"),
    )
    .unwrap();
    assert_eq!(
        tctl_ok(&config, &["create", "--force", path]),
        "role \"dev\" has been updated\n"
    );
    let yaml = tctl_ok(&config, &["get", "role/dev"]);
    let role = the_role(&yaml);
    assert_eq!(role.spec.allow.logins, ["dev", "ops"]);
    assert_eq!(role.spec.options.max_session_ttl.to_string(), "2h0m0s");

    // What get prints, create -f takes back unchanged.
    let got = dir.path().join("got.yaml");
    std::fs::write(&got, &yaml).unwrap();
    assert_eq!(
        tctl_ok(&config, &["create", "-f", got.to_str().unwrap()]),
        "role \"dev\" has been updated\n"
    );
    assert_eq!(tctl_ok(&config, &["get", "role/dev"]), yaml);

    // JSON: an array of the same resource; create -f takes it too (from stdin).
    let json = tctl_ok(&config, &["get", "role/dev", "--format=json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value.as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(value[0]["kind"], "role");
    assert_eq!(value[0]["metadata"]["name"], "dev");
    assert_eq!(
        read_resources_json(&json, "json").unwrap(),
        read_resources(&yaml, "yaml").unwrap()
    );
    let piped = {
        use std::io::Write;
        let mut child = std::process::Command::new(TCTL)
            .args(["-c", config.to_str().unwrap(), "create", "-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(json.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(stdout(&piped), "role \"dev\" has been updated\n");

    // Text: Teleport's role table, built-in roles included.
    let text = tctl_ok(&config, &["get", "role/dev", "--format", "text"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Role Allowed to login as Node Labels Access to resources"
    );
    assert_eq!(
        lines[2],
        "dev  dev,ops             env=staging session:list,read"
    );
    let all_roles = tctl_ok(&config, &["get", "roles", "--format=text"]);
    for name in ["access", "auditor", "dev", "editor"] {
        assert!(
            all_roles
                .lines()
                .any(|line| line.starts_with(&format!("{name} "))),
            "{all_roles}"
        );
    }

    // A role in use cannot go; `users/joe` is the manual's alias.
    tctl_ok(&config, &["users", "add", "joe", "--roles=dev"]);
    let refused = tctl_out(&config, &["rm", "role/dev"]);
    assert_eq!(refused.status.code(), Some(1));
    let err = stderr(&refused);
    assert!(
        err.contains("role \"dev\" is still used by user(s) joe"),
        "{err}"
    );
    assert_eq!(
        tctl_ok(&config, &["rm", "users/joe"]),
        "user \"joe\" has been deleted\n"
    );
    assert_eq!(
        tctl_ok(&config, &["rm", "role/dev"]),
        "role \"dev\" has been deleted\n"
    );
    let gone = tctl_out(&config, &["get", "role/dev"]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        stderr(&gone).contains("role \"dev\" not found"),
        "{}",
        stderr(&gone)
    );
    let gone = tctl_out(&config, &["rm", "role/dev"]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(stderr(&gone).contains("not found"), "{}", stderr(&gone));

    // A CA cannot be deleted; a bare kind is not a resource to delete.
    let out = tctl_out(&config, &["rm", "cert_authority/resources.example.com"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot be deleted"),
        "{}",
        stderr(&out)
    );
    let out = tctl_out(&config, &["rm", "roles"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("kind/name"), "{}", stderr(&out));

    // An unknown kind lists the known ones.
    let out = tctl_out(&config, &["get", "widgets"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("unknown resource kind \"widgets\""), "{err}");
    assert!(
        err.contains("cert_authority") && err.contains("connectors, all"),
        "{err}"
    );
}

#[test]
fn a_broken_document_creates_nothing_and_names_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _addr) = auth_config(
        dir.path(),
        "teleport.yaml",
        &dir.path().join("data"),
        "broken.example.com",
    );
    let (_daemon, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");

    // The second document has an unknown key on line 12.
    let file = dir.path().join("two.yaml");
    std::fs::write(
        &file,
        "kind: role\nversion: v4\nmetadata:\n  name: first\nspec:\n  allow:\n    logins: [a]\n\
         ---\nkind: role\nversion: v4\nmetadata:\n  nmae: second\n",
    )
    .unwrap();
    let out = tctl_out(&config, &["create", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("two.yaml: document 2, line 12"), "{err}");
    assert!(err.contains("nmae"), "{err}");
    assert!(err.contains("nothing was created"), "{err}");
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let first = tctl_out(&config, &["get", "role/first"]);
    assert_eq!(
        first.status.code(),
        Some(1),
        "the first role was not created"
    );

    // Broken YAML syntax: the same, with the line.
    std::fs::write(
        &file,
        "kind: role\nversion: v4\nmetadata:\n  name: first\nspec: {}\n---\nkind: role\n\
         version: v4\nmetadata:\n  name: [second\n",
    )
    .unwrap();
    let out = tctl_out(&config, &["create", "-f", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("two.yaml: document 2, line "), "{err}");
    assert_eq!(
        tctl_out(&config, &["get", "role/first"]).status.code(),
        Some(1)
    );

    // A server-side refusal half-way: what was written is reported, the rest not sent.
    std::fs::write(
        &file,
        "kind: role\nversion: v4\nmetadata:\n  name: first\nspec: {}\n---\nkind: user\n\
         version: v2\nmetadata:\n  name: ann\nspec:\n  roles: [nosuch]\n---\nkind: role\n\
         version: v4\nmetadata:\n  name: third\nspec: {}\n",
    )
    .unwrap();
    let out = tctl_out(&config, &["create", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "role \"first\" has been created\n");
    let err = stderr(&out);
    assert!(
        err.contains("resource 2 (user \"ann\") was not written"),
        "{err}"
    );
    assert!(err.contains("role \"nosuch\" is not found"), "{err}");
    assert!(err.contains("the resource after it was not sent"), "{err}");
    assert_eq!(
        tctl_out(&config, &["get", "role/third"]).status.code(),
        Some(1)
    );

    // A missing file and an empty one.
    let out = tctl_out(&config, &["create", "/nonexistent/x.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/x.yaml"),
        "{}",
        stderr(&out)
    );
    std::fs::write(&file, "# nothing\n").unwrap();
    let out = tctl_out(&config, &["create", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("holds no resources"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn get_users_hides_password_hashes_unless_asked_with_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let (config, addr) = auth_config(
        dir.path(),
        "teleport.yaml",
        &dir.path().join("data"),
        "secrets.example.com",
    );
    let (_daemon, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");
    let joe = add_user_with_password(
        &config,
        &addr,
        "joe",
        &["--roles=access", "--logins=joe,root"],
        "correct horse battery",
    );

    let plain = tctl_ok(&config, &["get", "users"]);
    assert!(plain.contains("name: joe"), "{plain}");
    for secret in ["local_auth", "password_hash", "mfa", &joe.totp_secret] {
        assert!(!plain.contains(secret), "{secret} shown:\n{plain}");
    }
    let secret = tctl_ok(&config, &["get", "users", "--with-secrets"]);
    assert!(secret.contains("password_hash: "), "{secret}");
    assert!(secret.contains(&joe.totp_secret), "{secret}");
    let users = read_resources(&secret, "users").unwrap();
    let Resource::User(user) = &users[0] else {
        panic!("{users:?}")
    };
    let hash = &user.spec.local_auth.as_ref().unwrap().password_hash;
    assert!(!hash.is_empty());

    // The manual's edit loop: get user/joe, edit, create -f. The stored password is kept.
    let joe_yaml = tctl_ok(&config, &["get", "user/joe"]);
    let file = dir.path().join("joe.yaml");
    std::fs::write(&file, joe_yaml.replace("- root\n", "- admin\n")).unwrap();
    assert_eq!(
        tctl_ok(&config, &["create", "-f", file.to_str().unwrap()]),
        "user \"joe\" has been updated\n"
    );
    let after = tctl_ok(&config, &["get", "user/joe", "--with-secrets"]);
    let Resource::User(user) = &read_resources(&after, "after").unwrap()[0] else {
        panic!("{after}")
    };
    assert_eq!(user.spec.logins(), ["joe", "admin"]);
    assert_eq!(
        &user.spec.local_auth.as_ref().unwrap().password_hash,
        hash,
        "the password survives an edit without secrets"
    );

    // The users table; the whole backup goes back in as no-ops and updates.
    let table = tctl_ok(&config, &["get", "users", "--format=text"]);
    assert!(table.starts_with("User "), "{table}");
    assert!(
        table.lines().any(|l| l == "joe            joe,admin"),
        "{table}"
    );
    let all = tctl_ok(&config, &["get", "all", "--with-secrets"]);
    let state = dir.path().join("state.yaml");
    std::fs::write(&state, &all).unwrap();
    let created = tctl_ok(&config, &["create", "-f", state.to_str().unwrap()]);
    let lines: Vec<&str> = created.lines().collect();
    assert_eq!(
        &lines[..2],
        [
            "cert_authority \"secrets.example.com\" (host CA) is unchanged",
            "cert_authority \"secrets.example.com\" (user CA) is unchanged"
        ],
        "{created}"
    );
    assert!(
        lines.contains(&"user \"joe\" has been updated"),
        "{created}"
    );
    assert!(
        lines.contains(&"role \"access\" has been updated"),
        "{created}"
    );
    let resources = read_resources(&all, "all").unwrap();
    let kinds: Vec<Kind> = resources.iter().map(Resource::kind).collect();
    assert_eq!(kinds.len(), lines.len());
    // The order of `tctl get all` (CAs first, roles before the users that have them).
    let rank = |kind: &Kind| BACKUP_KINDS.iter().position(|k| k == kind).unwrap();
    assert!(
        kinds.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "{kinds:?}"
    );
    assert!(
        kinds[..2].iter().all(|k| *k == Kind::CertAuthority),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&Kind::User) && kinds.contains(&Kind::Role),
        "{kinds:?}"
    );
    // The CA table: one row per CA, fingerprints as ssh-keygen prints them.
    let cas = tctl_ok(&config, &["get", "cas", "--format=text"]);
    let lines: Vec<&str> = cas.lines().collect();
    assert_eq!(
        lines[0],
        "Cluster Name        CA Type Fingerprint                                        Role Map"
    );
    assert!(
        lines[2].starts_with("secrets.example.com host    SHA256:"),
        "{cas}"
    );
    assert!(lines[2].ends_with(" N/A"), "{cas}");
    assert!(
        lines[3].starts_with("secrets.example.com user    SHA256:"),
        "{cas}"
    );
    let user_ca = tctl_ok(&config, &["auth", "export", "--type=user"]);
    let key = user_ca
        .split_whitespace()
        .skip(1)
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let key_file = dir.path().join("user_ca.pub");
    std::fs::write(&key_file, format!("{key}\n")).unwrap();
    let printed = std::process::Command::new("ssh-keygen")
        .args(["-l", "-f", key_file.to_str().unwrap()])
        .output()
        .expect("ssh-keygen (apt-get install openssh-client)");
    let fingerprint = stdout(&printed)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    assert!(lines[3].contains(&fingerprint), "{cas}\n{fingerprint}");
}
