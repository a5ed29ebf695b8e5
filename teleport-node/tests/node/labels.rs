//! Dynamic labels take part in the roles' `node_labels` decision.

use std::collections::BTreeMap;
use std::time::Duration;

use teleport_node::{LabelCommand, NodeLabels};

use crate::harness::{default_roles, text, TestNode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_label_can_admit_a_user() {
    // Statically env=dev, but the command says prod (a command label wins).
    let labels = NodeLabels::start(
        BTreeMap::from([("env".to_string(), "dev".to_string())]),
        vec![LabelCommand {
            name: "env".into(),
            command: vec!["echo".into(), "  prod ".into()],
            period: Duration::from_secs(60),
        }],
    )
    .unwrap();
    let mut changes = labels.changes();
    tokio::time::timeout(Duration::from_secs(20), changes.changed())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(labels.all()["env"], "prod");
    let node = TestNode::start_with(default_roles(), labels).await;
    let carol = node.user("carol", "carol", &["root"], &["prod-only"], |_| {});
    let out = node.ssh(&carol, "root", "echo in", b"").await;
    assert_eq!(text(&out.stdout), "in\n", "{}", text(&out.stderr));
    let exec = node
        .wait_for_event("exec", |e| e["event"] == "exec" && e["user"] == "carol")
        .await;
    assert_eq!(exec["server_labels"]["env"], "prod");
}
