//! `tctl users add|ls|update|reset|rm` against a running auth daemon, and a
//! `second_factor` that is not supported yet.

use super::support::*;

/// The invite token in a `tctl users add|reset` message, checked to be 32 hex digits
/// on `https://<proxy>/web/invite/`.
fn invite_token(message: &str, proxy: &str) -> String {
    let prefix = format!("https://{proxy}/web/invite/");
    let line = message
        .lines()
        .find(|line| line.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} URL in:\n{message}"));
    let token = line.strip_prefix(&prefix).unwrap().to_string();
    assert_eq!(token.len(), 32, "{message}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{message}");
    token
}

#[test]
fn tctl_manages_users_as_the_manual_shows() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("teleport.yaml");
    let base = format!(
        "teleport:\n  nodename: luna\n  data_dir: {}\nauth_service:\n  cluster_name: users.example.com\n  \
         listen_addr: 127.0.0.1:{}\n  authentication:\n    second_factor: off\n{SSH_OFF}",
        data_dir.display(),
        free_port()
    );
    std::fs::write(&config, &base).unwrap();
    // The same cluster seen through a config naming the proxy's public address.
    let with_proxy = dir.path().join("with-proxy.yaml");
    std::fs::write(
        &with_proxy,
        format!("{base}proxy_service:\n  enabled: false\n  public_addr: proxy.example.com\n"),
    )
    .unwrap();
    let (_daemon, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");
    let tctl_with = |cfg: &std::path::Path, args: &[&str]| {
        let mut all = vec!["-c", cfg.to_str().unwrap()];
        all.extend_from_slice(args);
        run(TCTL, &all)
    };
    let tctl = |args: &[&str]| {
        let out = tctl_with(&config, args);
        assert!(out.status.success(), "tctl {args:?}: {}", stderr(&out));
        stdout(&out)
    };

    // The manual's words, with <nodename>:3080 when no proxy public_addr is set.
    let added = tctl(&[
        "users",
        "add",
        "joe",
        "--logins=joe,root",
        "--roles=access,editor",
    ]);
    assert!(
        added.starts_with("Signup token has been created. Share this URL with the user:\n"),
        "{added}"
    );
    invite_token(&added, "luna:3080");
    assert!(
        added.ends_with("\n\nNOTE: make sure the luna host is accessible.\n"),
        "{added}"
    );

    let listed = tctl(&["users", "ls"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert!(lines[0].starts_with("User "), "{listed}");
    assert!(lines[0].contains("Allowed Logins"), "{listed}");
    assert!(lines.contains(&"joe            joe,root"), "{listed}");

    assert_eq!(
        tctl(&["users", "update", "joe", "--set-logins=joe,admin"]),
        "User joe has been updated\n"
    );
    assert!(tctl(&["users", "ls"])
        .lines()
        .any(|line| line == "joe            joe,admin"));

    // A reset prints a new URL, on the configured proxy public address.
    let out = tctl_with(&with_proxy, &["users", "reset", "joe"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let reset = stdout(&out);
    assert!(reset.starts_with("User \"joe\" has been reset."), "{reset}");
    invite_token(&reset, "proxy.example.com:3080");
    assert!(
        reset.contains("NOTE: make sure the proxy.example.com host is accessible."),
        "{reset}"
    );

    // An unknown role, a missing --roles and an existing user: clear refusals.
    let out = tctl_with(&config, &["users", "add", "ann", "--roles=nosuch"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("role \"nosuch\" is not found"), "{err}");
    let out = tctl_with(&config, &["users", "add", "ann"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--roles"), "{}", stderr(&out));
    let out = tctl_with(&config, &["users", "add", "joe", "--roles=access"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));

    assert_eq!(
        tctl(&["users", "rm", "joe"]),
        "User \"joe\" has been deleted\n"
    );
    assert!(!tctl(&["users", "ls"]).contains("joe"));
    let out = tctl_with(&config, &["users", "rm", "joe"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not found"), "{}", stderr(&out));
}

#[test]
fn a_u2f_second_factor_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("teleport.yaml");
    std::fs::write(
        &config,
        format!(
            "teleport:\n  data_dir: {}\nauth_service:\n  listen_addr: 127.0.0.1:{}\n  \
             authentication:\n    second_factor: u2f\n{SSH_OFF}",
            dir.path().join("data").display(),
            free_port()
        ),
    )
    .unwrap();
    let out = run(TELEPORT, &["start", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("not supported yet: use otp"), "{err}");
}
