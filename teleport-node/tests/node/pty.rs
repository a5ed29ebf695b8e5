//! Interactive sessions: a real terminal driven through tmux, its resizes, its audit
//! events, and its recording played back.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use teleport_audit::recording::{RecordedItem, RecordingReader};

use crate::harness::{default_roles, require, text, TestNode};

/// tmux on a private socket.
fn tmux(socket: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("tmux")
        .arg("-S")
        .arg(socket)
        .args(args)
        .output()
        .unwrap();
    text(&out.stdout)
}

/// Waits until the pane shows `needle`.
async fn wait_for_screen(socket: &Path, needle: &str) -> String {
    let mut screen = String::new();
    for _ in 0..200 {
        screen = tmux(socket, &["capture-pane", "-p", "-t", "node"]);
        if screen.contains(needle) {
            return screen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the terminal never showed {needle:?}; it shows:\n{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_session_sees_resizes_and_is_recorded() {
    require("tmux", "tmux");
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let alice = node.alice();
    let socket = node.dir.path().join("tmux.sock");
    let ssh = ssh_line(&node, &alice, &[]);
    tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-s",
            "node",
            "-x",
            "80",
            "-y",
            "24",
            &ssh,
        ],
    );

    tmux(
        &socket,
        &["send-keys", "-t", "node", "stty size; echo $TERM", "Enter"],
    );
    wait_for_screen(&socket, "24 80").await;
    tmux(
        &socket,
        &["resize-window", "-t", "node", "-x", "120", "-y", "40"],
    );
    // The shell sees the new size (the node forwarded window-change to the terminal).
    tmux(
        &socket,
        &["send-keys", "-t", "node", "clear; stty size", "Enter"],
    );
    wait_for_screen(&socket, "40 120").await;
    tmux(&socket, &["send-keys", "-t", "node", "exit", "Enter"]);

    let start = node
        .wait_for_event("session.start", |e| {
            e["event"] == "session.start" && e["size"] == "80:24"
        })
        .await;
    let sid = start["sid"].as_str().unwrap().to_string();
    let resize = node
        .wait_for_event("resize", |e| {
            e["event"] == "resize" && e["sid"] == sid.as_str()
        })
        .await;
    assert_eq!(resize["size"], "120:40");
    assert_eq!(resize["code"], "T2002I");
    let end = node
        .wait_for_event("session.end", |e| {
            e["event"] == "session.end" && e["sid"] == sid.as_str()
        })
        .await;
    assert_eq!(end["interactive"], true);
    assert_eq!(end["user"], "alice");
    tmux(&socket, &["kill-server"]);

    // The recording plays back: the output, the resize and the session's end.
    let reader = RecordingReader::open(node.recordings(), &sid).unwrap();
    assert_eq!(reader.metadata().unwrap().user, "alice");
    assert_eq!(reader.metadata().unwrap().login, "root");
    let items: Vec<RecordedItem> = reader.map(Result::unwrap).collect();
    let output: Vec<u8> = items
        .iter()
        .filter_map(|item| match item {
            RecordedItem::Output { bytes, .. } => Some(bytes.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let output = text(&output);
    assert!(output.contains("24 80"), "{output}");
    assert!(output.contains("40 120"), "{output}");
    assert!(
        output.contains("xterm") || output.contains("screen") || output.contains("tmux"),
        "{output}"
    );
    assert!(items.iter().any(|item| matches!(
        item,
        RecordedItem::Resize {
            cols: 120,
            rows: 40,
            ..
        }
    )));
    assert!(items.iter().any(|item| matches!(
        item,
        RecordedItem::Event { event, .. } if event["event"] == "session.end"
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_cannot_be_recorded_does_not_run() {
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let alice = node.alice();
    // The recordings directory cannot be created: its parent is a file.
    std::fs::create_dir_all(node.dir.path().join("log")).unwrap();
    std::fs::write(
        node.dir.path().join("log").join("sessions"),
        b"not a directory",
    )
    .unwrap();
    let mut cmd = node.ssh_command(&alice, "root", &["-tt"]);
    cmd.arg("touch /tmp/tpnode-unrecorded-ran");
    let _ = std::fs::remove_file("/tmp/tpnode-unrecorded-ran");
    let out = crate::harness::run(cmd, b"").await;
    assert_ne!(out.status.code(), Some(0));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("cannot be recorded"), "{all}");
    assert!(!Path::new("/tmp/tpnode-unrecorded-ran").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_accepting() {
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let addr = node.addr;
    let TestNode { running, .. } = node;
    running.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// The ssh command line that opens a terminal on the node as `login`, with `extra`
/// options first.
fn ssh_line(node: &TestNode, key: &crate::harness::UserKey, extra: &[&str]) -> String {
    let mut ssh = vec!["ssh".to_string()];
    ssh.extend(extra.iter().map(|s| s.to_string()));
    ssh.extend(node.ssh_options(key));
    ssh.extend([
        "-tt".to_string(),
        "-p".to_string(),
        node.addr.port().to_string(),
        "root@127.0.0.1".to_string(),
    ]);
    ssh.join(" ")
}

async fn wait_for_pane(socket: &Path, pane: &str, needle: &str) -> String {
    let mut screen = String::new();
    for _ in 0..200 {
        screen = tmux(socket, &["capture-pane", "-p", "-t", pane]);
        if screen.contains(needle) {
            return screen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("pane {pane} never showed {needle:?}; it shows:\n{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_user_can_join_a_running_session() {
    require("tmux", "tmux");
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let alice = node.alice();
    let bob = node.user("bob", "bob", &["root"], &["access"], |_| {});
    let socket = node.dir.path().join("tmux.sock");
    tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-s",
            "owner",
            "-x",
            "80",
            "-y",
            "24",
            &ssh_line(&node, &alice, &[]),
        ],
    );
    tmux(
        &socket,
        &["send-keys", "-t", "owner", "echo owner-$((20+1))", "Enter"],
    );
    wait_for_pane(&socket, "owner", "owner-21").await;
    let start = node
        .wait_for_event("session.start", |e| {
            e["event"] == "session.start" && e["user"] == "alice"
        })
        .await;
    let sid = start["sid"].as_str().unwrap().to_string();

    // bob joins with TELEPORT_SESSION, as tsh join does, and types into the terminal.
    let join_env = format!("SetEnv=TELEPORT_SESSION={sid}");
    tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-s",
            "joiner",
            "-x",
            "80",
            "-y",
            "24",
            &ssh_line(&node, &bob, &["-o", &join_env]),
        ],
    );
    let join = node
        .wait_for_event("session.join", |e| {
            e["event"] == "session.join" && e["sid"] == sid.as_str()
        })
        .await;
    assert_eq!(join["user"], "bob");
    assert_eq!(join["code"], "T2001I");
    tmux(
        &socket,
        &[
            "send-keys",
            "-t",
            "joiner",
            "echo joined-$((40+2))",
            "Enter",
        ],
    );
    wait_for_pane(&socket, "owner", "joined-42").await;
    wait_for_pane(&socket, "joiner", "joined-42").await;

    // Joining gives the session's OS user: another login may not.
    let mut other = node.ssh_command(&alice, crate::harness::TEST_USER, &["-T", "-o", &join_env]);
    other.stdin(std::process::Stdio::null());
    let out = crate::harness::run(other, b"").await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("join it with that login"),
        "{}",
        text(&out.stderr)
    );

    // bob leaves; alice ends the session.
    tmux(&socket, &["kill-session", "-t", "joiner"]);
    node.wait_for_event("session.leave", |e| {
        e["event"] == "session.leave" && e["sid"] == sid.as_str() && e["user"] == "bob"
    })
    .await;
    tmux(&socket, &["send-keys", "-t", "owner", "exit", "Enter"]);
    let end = node
        .wait_for_event("session.end", |e| {
            e["event"] == "session.end" && e["sid"] == sid.as_str()
        })
        .await;
    assert_eq!(end["participants"], serde_json::json!(["alice", "bob"]));
    tmux(&socket, &["kill-server"]);

    // The recording holds the join and both leaves.
    let reader = RecordingReader::open(node.recordings(), &sid).unwrap();
    let events: Vec<String> = reader
        .map(Result::unwrap)
        .filter_map(|item| match item {
            RecordedItem::Event { event, .. } => {
                Some(format!("{} {}", event["event"], event["user"]))
            }
            _ => None,
        })
        .collect();
    for want in [
        "\"session.join\" \"bob\"",
        "\"session.leave\" \"bob\"",
        "\"session.leave\" \"alice\"",
        "\"session.end\" \"alice\"",
    ] {
        assert!(events.iter().any(|e| e == want), "{want} not in {events:?}");
    }
}
