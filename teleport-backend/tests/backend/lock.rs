//! Two processes on one storage directory: the second is refused with the holder's pid,
//! and the directory is usable again once the holder exits or is killed.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use teleport_backend::{Backend, BackendError, Item, SledBackend};
use teleport_core::SystemClock;

use teleport_testkit::child;

const HOLDER_DIR: &str = "TELEPORT_BACKEND_TEST_HOLDER_DIR";

fn open(path: &Path) -> Result<SledBackend, BackendError> {
    SledBackend::open(path, Arc::new(SystemClock))
}

fn assert_in_use_by(err: BackendError, path: &Path, holder: u32) {
    match &err {
        BackendError::InUse { path: p, pid } => {
            assert_eq!(p, path);
            assert_eq!(*pid, Some(holder));
        }
        other => panic!("expected InUse, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "storage directory {} is in use by pid {holder}",
            path.display()
        )
    );
}

#[test]
fn second_process_is_refused_until_the_holder_exits() {
    const TEST: &str = "lock::second_process_is_refused_until_the_holder_exits";
    if let Some(dir) = std::env::var_os(HOLDER_DIR) {
        hold_until_stdin_closes(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backend");
    let (mut holder, lines) = child::spawn(TEST, HOLDER_DIR, &path);
    lines.wait_for("@holding");

    assert_in_use_by(open(&path).unwrap_err(), &path, holder.id());

    drop(holder.stdin.take()); // the holder closes its backend and exits
    assert!(holder.wait().unwrap().success());
    let backend = open(&path).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let item = runtime.block_on(backend.get(b"/holder")).unwrap();
    assert_eq!(item.value, b"was here");
}

#[test]
fn killed_holder_leaves_no_stale_lock() {
    const TEST: &str = "lock::killed_holder_leaves_no_stale_lock";
    if let Some(dir) = std::env::var_os(HOLDER_DIR) {
        hold_until_stdin_closes(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backend");
    let (mut holder, lines) = child::spawn(TEST, HOLDER_DIR, &path);
    lines.wait_for("@holding");
    assert_in_use_by(open(&path).unwrap_err(), &path, holder.id());

    holder.kill().unwrap();
    holder.wait().unwrap();
    // The lock file still names the dead holder; the lock itself died with it.
    let backend = open(&path).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(
        runtime.block_on(backend.get(b"/holder")).unwrap().value,
        b"was here"
    );
}

/// The child: opens the backend, writes a key, says `@holding`, and keeps the directory
/// until its stdin closes.
fn hold_until_stdin_closes(dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let backend = open(dir).unwrap();
    runtime
        .block_on(backend.put(Item::new("/holder", "was here")))
        .unwrap();
    println!("@holding");
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    runtime.block_on(backend.close()).unwrap();
}
