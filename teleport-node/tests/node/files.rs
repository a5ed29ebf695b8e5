//! Copying files: legacy `scp -O`, `scp` in SFTP mode and `sftp`, both ways, byte
//! exact, audited as `scp` events; refused when a role forbids file copying.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::harness::{default_roles, require, run, text, TestNode, UserKey};

fn sha256_file(path: &Path) -> String {
    let mut hasher = Sha256::new();
    let mut file = std::fs::File::open(path).unwrap();
    std::io::copy(&mut file, &mut hasher).unwrap();
    hex::encode(hasher.finalize())
}

/// Writes `len` bytes of varied content to `path`.
fn make_file(path: &Path, len: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut block = [0u8; 4096];
    let mut written = 0;
    let mut counter: u32 = 0;
    while written < len {
        for chunk in block.chunks_mut(4) {
            counter = counter.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            chunk.copy_from_slice(&counter.to_le_bytes());
        }
        let n = (len - written).min(block.len());
        file.write_all(&block[..n]).unwrap();
        written += n;
    }
    file.flush().unwrap();
}

async fn scp(
    node: &TestNode,
    key: &UserKey,
    extra: &[&str],
    from: &str,
    to: &str,
) -> std::process::Output {
    let mut cmd = tokio::process::Command::new("scp");
    cmd.args(node.ssh_options(key))
        .arg("-P")
        .arg(node.addr.port().to_string())
        .args(extra)
        .arg(from)
        .arg(to);
    cmd.kill_on_drop(true);
    run(cmd, b"").await
}

fn scp_events(node: &TestNode, path: &str) -> Vec<serde_json::Value> {
    node.json_of("scp")
        .into_iter()
        .filter(|e| e["path"].as_str().unwrap_or_default().ends_with(path))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scp_legacy_and_sftp_mode_copy_both_ways() {
    require("scp", "openssh-client");
    require(teleport_node::SFTP_SERVER, "openssh-sftp-server");
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let alice = node.alice();
    let local = node.dir.path().join("local.bin");
    make_file(&local, 300_000);
    let want = sha256_file(&local);
    let remote_dir = node.dir.path().join("remote");
    std::fs::create_dir(&remote_dir).unwrap();

    for (mode, extra) in [("legacy", &["-O"][..]), ("sftp", &[][..])] {
        let up = remote_dir.join(format!("up-{mode}.bin"));
        let out = scp(
            &node,
            &alice,
            extra,
            local.to_str().unwrap(),
            &format!("root@127.0.0.1:{}", up.display()),
        )
        .await;
        assert!(out.status.success(), "{mode} upload: {}", text(&out.stderr));
        assert_eq!(sha256_file(&up), want, "{mode} upload");

        let down = node.dir.path().join(format!("down-{mode}.bin"));
        let out = scp(
            &node,
            &alice,
            extra,
            &format!("root@127.0.0.1:{}", up.display()),
            down.to_str().unwrap(),
        )
        .await;
        assert!(
            out.status.success(),
            "{mode} download: {}",
            text(&out.stderr)
        );
        assert_eq!(sha256_file(&down), want, "{mode} download");

        let name = format!("up-{mode}.bin");
        let upload = node
            .wait_for_event("scp upload", |e| {
                e["event"] == "scp"
                    && e["action"] == "upload"
                    && e["path"].as_str().unwrap_or_default().ends_with(&name)
            })
            .await;
        assert_eq!(upload["code"], "T3005I", "{mode}: {upload}");
        assert_eq!(upload["len"], 300_000, "{mode}: {upload}");
        assert_eq!(upload["user"], "alice");
        let download = node
            .wait_for_event("scp download", |e| {
                e["event"] == "scp"
                    && e["action"] == "download"
                    && e["path"].as_str().unwrap_or_default().ends_with(&name)
            })
            .await;
        assert_eq!(download["code"], "T3004I", "{mode}: {download}");
        assert_eq!(download["len"], 300_000, "{mode}: {download}");
    }
    assert!(!node.json_of("subsystem").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sftp_copies_100_mib_byte_exact() {
    require("sftp", "openssh-client");
    require(teleport_node::SFTP_SERVER, "openssh-sftp-server");
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let alice = node.alice();
    let local = node.dir.path().join("big.bin");
    make_file(&local, 100 * 1024 * 1024);
    let want = sha256_file(&local);
    let remote = node.dir.path().join("big-remote.bin");
    let back = node.dir.path().join("big-back.bin");
    let batch = format!(
        "put {} {}\nget {} {}\n",
        local.display(),
        remote.display(),
        remote.display(),
        back.display()
    );
    let mut cmd = tokio::process::Command::new("sftp");
    cmd.args(node.ssh_options(&alice))
        .arg("-P")
        .arg(node.addr.port().to_string())
        .arg("-b")
        .arg("-")
        .arg("root@127.0.0.1");
    cmd.kill_on_drop(true);
    let out = run(cmd, batch.as_bytes()).await;
    assert!(out.status.success(), "sftp: {}", text(&out.stderr));
    assert_eq!(sha256_file(&remote), want);
    assert_eq!(sha256_file(&back), want);
    let up = scp_events(&node, "big-remote.bin");
    assert!(
        up.iter()
            .any(|e| e["action"] == "upload" && e["len"] == 100 * 1024 * 1024),
        "{up:#?}"
    );
    assert!(
        up.iter()
            .any(|e| e["action"] == "download" && e["len"] == 100 * 1024 * 1024),
        "{up:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_copy_is_refused_when_a_role_forbids_it() {
    let node = TestNode::start(default_roles(), BTreeMap::new()).await;
    let bob = node.user("bob", "bob", &["root"], &["no-forwarding"], |_| {});
    let local = node.dir.path().join("small.txt");
    std::fs::write(&local, "hello").unwrap();
    let target = node.dir.path().join("never.txt");
    for extra in [&["-O"][..], &[][..]] {
        let out = scp(
            &node,
            &bob,
            extra,
            local.to_str().unwrap(),
            &format!("root@127.0.0.1:{}", target.display()),
        )
        .await;
        assert!(!out.status.success(), "scp {extra:?} was allowed");
        assert!(!target.exists());
    }
    let scp_refused = node
        .wait_for_event("refused scp", |e| {
            e["event"] == "scp" && e["success"].is_null() && e["code"] == "T3005E"
        })
        .await;
    assert!(scp_refused["exitError"]
        .as_str()
        .unwrap()
        .contains("not allowed"));
    let sftp_refused = node
        .wait_for_event("refused sftp", |e| {
            e["event"] == "subsystem" && e["code"] == "T3001E"
        })
        .await;
    assert!(sftp_refused["exitError"]
        .as_str()
        .unwrap()
        .contains("not allowed"));
    // Plain commands still work for that user.
    let out = node.ssh(&bob, "root", "echo fine", b"").await;
    assert_eq!(text(&out.stdout), "fine\n");
}
