//! Behaviour particular to the sled backend: persistence across reopen, the directory
//! lock within one process, and damaged records.

use std::sync::Arc;

use teleport_core::{Clock, FakeClock};

use super::*;
use crate::watch::Event;

fn clock() -> FakeClock {
    FakeClock::default()
}

#[tokio::test]
async fn reopen_keeps_items_and_revisions_keep_growing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backend");
    let clock = clock();
    let expires = clock.now() + time::Duration::hours(1);
    let mut last = 0;
    {
        let backend = SledBackend::open(&path, Arc::new(clock.clone())).unwrap();
        let mut watcher = backend.watch(Vec::new()).await.unwrap();
        backend.put(Item::new("/a", "1")).await.unwrap();
        backend
            .put(Item::new("/b", "2").with_expiry(expires))
            .await
            .unwrap();
        backend.put(Item::new("/c", "3")).await.unwrap();
        backend.delete(b"/c").await.unwrap();
        for _ in 0..5 {
            last = watcher.recv().await.unwrap().unwrap().revision();
        }
        backend.close().await.unwrap();
    }
    let backend = SledBackend::open(&path, Arc::new(clock.clone())).unwrap();
    assert_eq!(backend.get(b"/a").await.unwrap().value, b"1");
    let b = backend.get(b"/b").await.unwrap();
    assert_eq!(
        (b.value.as_slice(), b.expires),
        (b"2".as_slice(), Some(expires))
    );
    assert!(backend.get(b"/c").await.unwrap_err().is_not_found());
    let mut watcher = backend.watch(Vec::new()).await.unwrap();
    let init = watcher.recv().await.unwrap().unwrap();
    assert!(
        matches!(init, Event::Init { revision } if revision >= last),
        "Init {init:?} must not be below the delete revision {last}"
    );
    let next = backend.put(Item::new("/d", "4")).await.unwrap();
    assert!(
        next > last,
        "revision {next} reused after restart (last was {last})"
    );
}

#[tokio::test]
async fn expiring_keys_are_found_again_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let backend = SledBackend::open(dir.path(), Arc::new(clock.clone())).unwrap();
    let expires = clock.now() + time::Duration::seconds(30);
    backend
        .put(Item::new("/hb/n1", "x").with_expiry(expires))
        .await
        .unwrap();
    backend.close().await.unwrap();
    drop(backend);
    let backend = SledBackend::open(dir.path(), Arc::new(clock.clone())).unwrap();
    clock.advance(std::time::Duration::from_secs(30));
    assert_eq!(backend.remove_expired().await.unwrap(), 1);
}

#[tokio::test]
async fn second_open_is_refused_until_close() {
    let dir = tempfile::tempdir().unwrap();
    let first = SledBackend::open(dir.path(), Arc::new(clock())).unwrap();
    let err = SledBackend::open(dir.path(), Arc::new(clock())).unwrap_err();
    assert!(
        matches!(&err, BackendError::InUse { pid: Some(pid), .. } if *pid == std::process::id()),
        "{err:?}"
    );
    first.put(Item::new("/k", "v")).await.unwrap();
    // close() releases the directory even while the closed backend value lives on.
    first.close().await.unwrap();
    let second = SledBackend::open(dir.path(), Arc::new(clock())).unwrap();
    assert_eq!(second.get(b"/k").await.unwrap().value, b"v");
}

#[tokio::test]
async fn damaged_record_is_reported_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let backend = SledBackend::open(dir.path(), Arc::new(clock())).unwrap();
    backend.close().await.unwrap();
    drop(backend);
    {
        let db = open_sled(&::sled::Config::new().path(dir.path())).unwrap();
        let items = db.open_tree(ITEMS_TREE).unwrap();
        items.insert(b"/broken", b"\x07garbage".as_slice()).unwrap();
        db.flush().unwrap();
    }
    let err = SledBackend::open(dir.path(), Arc::new(clock())).unwrap_err();
    assert!(matches!(err, BackendError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("/broken"), "{err}");
}

#[tokio::test]
async fn path_is_the_storage_directory() {
    let dir = tempfile::tempdir().unwrap();
    let backend = SledBackend::open(dir.path().join("backend"), Arc::new(clock())).unwrap();
    assert_eq!(backend.path(), dir.path().join("backend"));
    assert!(dir
        .path()
        .join("backend")
        .join(crate::lock::LOCK_FILE)
        .exists());
}

#[tokio::test]
async fn large_values_survive_reopen() {
    // Large enough that sled writes the page as a separate blob file.
    let dir = tempfile::tempdir().unwrap();
    let value: Vec<u8> = (0..600 * 1024).map(|n| (n % 251) as u8).collect();
    let backend = SledBackend::open(dir.path(), Arc::new(clock())).unwrap();
    backend.put(Item::new("/big", value.clone())).await.unwrap();
    backend.close().await.unwrap();
    drop(backend);
    let backend = SledBackend::open(dir.path(), Arc::new(clock())).unwrap();
    assert_eq!(backend.get(b"/big").await.unwrap().value, value);
}

/// `close` releases the directory at once, even right after concurrent durable writes
/// whose last flush may still hold the store for a moment: reopening without dropping
/// the closed backend never meets our own lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_releases_the_directory_for_an_immediate_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backend");
    for round in 0..20 {
        let backend = Arc::new(SledBackend::open(&path, Arc::new(clock())).unwrap());
        let writers: Vec<_> = (0..8)
            .map(|task| {
                let backend = Arc::clone(&backend);
                tokio::spawn(async move {
                    // A writer that loses the race to `close` gets `Closed`.
                    let _ = backend
                        .put(Item::new(format!("/r{round}/t{task}"), "v"))
                        .await;
                })
            })
            .collect();
        backend
            .put(Item::new(format!("/r{round}"), "v"))
            .await
            .unwrap();
        backend.close().await.unwrap();
        for writer in writers {
            writer.await.unwrap();
        }
        // `backend` is still alive here: only `close` may have released the directory.
        let reopened = SledBackend::open(&path, Arc::new(clock()))
            .unwrap_or_else(|err| panic!("round {round}: {err}"));
        assert!(reopened.get(format!("/r{round}").as_bytes()).await.is_ok());
        reopened.close().await.unwrap();
        drop(backend);
    }
}
