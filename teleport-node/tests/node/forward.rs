//! Port forwarding (`ssh -L`, `ssh -W`) and agent forwarding (`ssh -A`): working where
//! the roles allow them, refused and audited where they do not.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::harness::{default_roles, require, run, text, TestNode, UserKey};

/// An echo server on a loopback port.
async fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (mut r, mut w) = stream.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    port
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_port_forwarding_works_when_allowed() {
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let alice = node.alice();
    let echo = echo_server().await;
    let local = free_port();
    let mut cmd = node.ssh_command(
        &alice,
        "root",
        &[
            "-N",
            "-o",
            "ExitOnForwardFailure=yes",
            "-L",
            &format!("127.0.0.1:{local}:127.0.0.1:{echo}"),
        ],
    );
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut ssh = cmd.spawn().unwrap();
    let mut stream = None;
    for _ in 0..200 {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", local)).await {
            stream = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut stream = stream.expect("ssh -L never listened");
    stream.write_all(b"through the tunnel").await.unwrap();
    let mut buf = [0u8; 18];
    tokio::time::timeout(Duration::from_secs(20), stream.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"through the tunnel");
    drop(stream);
    let port = node
        .wait_for_event("port", |e| e["event"] == "port" && e["success"] == true)
        .await;
    assert_eq!(port["code"], "T3003I");
    assert_eq!(port["addr"], format!("127.0.0.1:{echo}"));
    ssh.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forwarding_is_refused_and_audited_when_a_role_forbids_it() {
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let bob = node.user("bob", "bob", &["root"], &["no-forwarding"], |_| {});
    let echo = echo_server().await;
    let cmd = node.ssh_command(&bob, "root", &["-W", &format!("127.0.0.1:{echo}")]);
    let out = run(cmd, b"hello").await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("administratively prohibited"),
        "{}",
        text(&out.stderr)
    );
    let port = node
        .wait_for_event("port", |e| e["event"] == "port" && e["success"] == false)
        .await;
    assert_eq!(port["code"], "T3003E");
    assert_eq!(port["user"], "bob");
    assert!(port["error"].as_str().unwrap().contains("not allowed"));
}

/// An ssh-agent holding a fresh key; returns the agent's socket and its pid.
async fn agent_with_key(node: &TestNode) -> (String, String) {
    require("ssh-agent", "openssh-client");
    let socket = node.dir.path().join("agent.sock");
    let out = std::process::Command::new("ssh-agent")
        .arg("-a")
        .arg(&socket)
        .arg("-s")
        .output()
        .unwrap();
    assert!(out.status.success());
    let script = text(&out.stdout);
    let pid = script
        .split(';')
        .find_map(|part| part.trim().strip_prefix("SSH_AGENT_PID="))
        .unwrap()
        .to_string();
    let key = node.dir.path().join("agent_key");
    assert!(std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "forwarded-key", "-f"])
        .arg(&key)
        .status()
        .unwrap()
        .success());
    let added = std::process::Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", text(&added.stderr));
    (socket.display().to_string(), pid)
}

/// `ssh -A root@node` using the agent at `socket` (OpenSSH keeps the first value of an
/// option, so this one goes before the harness's `IdentityAgent=none`).
fn with_agent(node: &TestNode, key: &UserKey, socket: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new("ssh");
    cmd.arg("-o")
        .arg(format!("IdentityAgent={socket}"))
        .args(node.ssh_options(key))
        .args(["-A", "-p", &node.addr.port().to_string(), "root@127.0.0.1"]);
    cmd.kill_on_drop(true);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_forwarding_follows_the_roles() {
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let (socket, agent_pid) = agent_with_key(&node).await;

    // Allowed: the session sees the key through SSH_AUTH_SOCK, a socket in a private
    // directory.
    let alice = node.alice();
    let mut cmd = with_agent(&node, &alice, &socket);
    cmd.arg("ssh-add -l; stat -c %a $(dirname $SSH_AUTH_SOCK)");
    let out = run(cmd, b"").await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("forwarded-key"), "{stdout}");
    assert!(stdout.contains("\n700"), "{stdout}");

    // Refused: no SSH_AUTH_SOCK, and an audit event.
    let bob = node.user("bob", "bob", &["root"], &["no-forwarding"], |_| {});
    let mut cmd = with_agent(&node, &bob, &socket);
    cmd.arg("echo sock=$SSH_AUTH_SOCK");
    let out = run(cmd, b"").await;
    assert_eq!(text(&out.stdout), "sock=\n", "{}", text(&out.stderr));
    let rejected = node
        .wait_for_event("session.rejected", |e| {
            e["event"] == "session.rejected" && e["user"] == "bob"
        })
        .await;
    assert!(rejected["reason"]
        .as_str()
        .unwrap()
        .contains("agent forwarding"));

    let _ = std::process::Command::new("kill").arg(agent_pid).status();
}
