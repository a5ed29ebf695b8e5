//! Commands: output, exit status, stdin, stderr, the login's OS user, and the audit
//! events of a command.

use std::collections::BTreeMap;

use crate::harness::{default_roles, ensure_test_user, text, TestNode, TEST_USER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_returns_output_and_exit_status() {
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let alice = node.alice();

    let out = node
        .ssh(&alice, "root", "echo hello; echo oops >&2; exit 3", b"")
        .await;
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello\n");
    assert!(text(&out.stderr).contains("oops"));

    // stdin reaches the command and its EOF ends it.
    let out = node.ssh(&alice, "root", "wc -c", b"twelve bytes").await;
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "12");

    // A command killed by a signal reports it (ssh exits 255 then).
    let out = node.ssh(&alice, "root", "kill -TERM $$", b"").await;
    assert_eq!(
        out.status.code(),
        Some(255),
        "stderr: {}",
        text(&out.stderr)
    );

    let exec = node
        .wait_for_event("exec", |e| {
            e["event"] == "exec" && e["command"] == "echo hello; echo oops >&2; exit 3"
        })
        .await;
    assert_eq!(exec["code"], "T3002E");
    assert_eq!(exec["exitCode"], "3");
    assert_eq!(exec["user"], "alice");
    assert_eq!(exec["login"], "root");
    assert_eq!(exec["server_id"], node.host_uuid.as_str());
    assert!(exec["addr.remote"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    let sid = exec["sid"].as_str().unwrap().to_string();
    let end = node
        .wait_for_event("session.end", |e| {
            e["event"] == "session.end" && e["sid"] == sid.as_str()
        })
        .await;
    assert_eq!(end["interactive"], false);
    assert_eq!(end["participants"], serde_json::json!(["alice"]));
    assert!(node
        .json_of("session.start")
        .iter()
        .any(|e| e["sid"] == sid.as_str()));
    assert!(node
        .json_of("session.leave")
        .iter()
        .any(|e| e["sid"] == sid.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_run_as_the_logins_os_user_with_a_login_environment() {
    ensure_test_user();
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let alice = node.alice();
    let out = node
        .ssh(&alice, TEST_USER, "id -un; id -gn; pwd; echo $HOME $USER $LOGNAME $SHELL; echo $PATH; echo $SSH_TELEPORT_USER", b"")
        .await;
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let home = format!("/home/{TEST_USER}");
    assert_eq!(lines[0], TEST_USER);
    assert_eq!(lines[1], TEST_USER);
    assert_eq!(lines[2], home);
    assert_eq!(lines[3], format!("{home} {TEST_USER} {TEST_USER} /bin/sh"));
    assert!(!lines[4].contains("sbin"), "{}", lines[4]);
    assert_eq!(lines[5], "alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_without_an_os_user_gets_a_clear_message() {
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let alice = node.alice();
    let out = node.ssh(&alice, "nosuchuser-tp", "true", b"").await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("user \"nosuchuser-tp\" does not exist"),
        "{stderr}"
    );
    let exec = node
        .wait_for_event("exec", |e| {
            e["event"] == "exec" && e["login"] == "nosuchuser-tp"
        })
        .await;
    assert_eq!(exec["code"], "T3002E");
    assert!(exec["exitError"]
        .as_str()
        .unwrap()
        .contains("does not exist"));
}
