//! `teleport start`: storage, the data-dir lock, the audit log and cluster init.

use std::process::Command;
use std::time::{Duration, Instant};

use super::support::*;

#[test]
fn start_opens_dir_storage_and_a_second_daemon_is_told_the_pid() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("teleport.yaml");
    std::fs::write(
        &config,
        format!(
            "teleport:\n  data_dir: {}\n  log:\n    output: stderr\n    severity: INFO\n{}",
            data_dir.display(),
            auth_listen()
        ),
    )
    .unwrap();
    let (mut first, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");
    assert!(data_dir.join("backend").is_dir());
    let host_uuid = std::fs::read_to_string(data_dir.join("host_uuid")).unwrap();
    assert!(
        uuid::Uuid::parse_str(host_uuid.trim()).is_ok(),
        "{host_uuid:?}"
    );

    let second = run(TELEPORT, &["start", "--config", config.to_str().unwrap()]);
    assert_eq!(second.status.code(), Some(1));
    let err = stderr(&second);
    assert!(
        err.contains(&format!("in use by pid {}", first.0.id())),
        "{err}"
    );

    // SIGTERM stops the daemon cleanly; the next start finds the same identity.
    Command::new("kill")
        .args(["-TERM", &first.0.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = first.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "daemon ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let (_again, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");
    assert_eq!(
        std::fs::read_to_string(data_dir.join("host_uuid")).unwrap(),
        host_uuid
    );
}

#[test]
fn start_refuses_a_bad_config_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("teleport.yaml");
    std::fs::write(&config, "auth_service:\n  enabled: maybe\n").unwrap();
    let out = run(TELEPORT, &["start", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:2:", config.display())), "{err}");
    assert!(err.contains("auth_service.enabled"), "{err}");
}

#[test]
fn start_refuses_an_audit_backend_this_build_lacks_and_names_the_uri() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("teleport.yaml");
    std::fs::write(
        &config,
        format!(
            "teleport:\n  data_dir: {}\n  storage:\n    type: dir\n    audit_events_uri: ['dynamodb://events_table', 'stdout://']\n{SSH_OFF}",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let out = run(TELEPORT, &["start", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("dynamodb://events_table"), "{err}");
    assert!(!err.contains("Teleport process started"), "{err}");
}

#[test]
fn start_keeps_the_audit_log_under_data_dir_log() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("teleport.yaml");
    std::fs::write(
        &config,
        format!(
            "teleport:\n  data_dir: {}\n{}",
            data_dir.display(),
            auth_listen()
        ),
    )
    .unwrap();
    let (_daemon, mut log) = start_daemon(&config);
    wait_for_line(&mut log, "Teleport process started");
    let mode = std::fs::metadata(data_dir.join("log"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o750);
}

#[test]
fn start_creates_the_cas_once_and_refuses_a_renamed_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("teleport.yaml");
    let listen = format!("127.0.0.1:{}", free_port());
    let write_config = |cluster: &str| {
        std::fs::write(
            &config,
            format!(
                "teleport:\n  data_dir: {}\nauth_service:\n  cluster_name: {cluster}\n  listen_addr: {}\n{SSH_OFF}",
                data_dir.display(),
                listen
            ),
        )
        .unwrap();
    };
    write_config("alpha.example.com");
    let pin = {
        let (_daemon, mut log) = start_daemon(&config);
        let seen = wait_for_line(&mut log, "Teleport process started");
        assert!(seen.contains("alpha.example.com"), "{seen}");
        let at = seen.find("sha256:").expect("the CA pin is logged");
        seen[at..at + 71].to_string()
    };
    // The same cluster again: the same CAs, so the same pin.
    {
        let (_daemon, mut log) = start_daemon(&config);
        let seen = wait_for_line(&mut log, "Teleport process started");
        assert!(seen.contains(&pin), "{seen}");
    }
    write_config("beta.example.com");
    let out = run(TELEPORT, &["start", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("alpha.example.com") && err.contains("beta.example.com"),
        "{err}"
    );
}
