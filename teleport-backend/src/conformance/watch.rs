//! Watchers: the `Init` marker, event order, prefixes, expiry and `close`.
//!
//! "No event" is checked without waiting: a case writes a sentinel key afterwards and
//! expects the sentinel's event next.

use super::{next_event, Env, EVENT_TIMEOUT};
use crate::{BackendError, Event, Item, KeyRange, Watcher};

async fn started(env: &Env, prefixes: &[&str]) -> (Watcher, u64) {
    let mut watcher = env
        .backend
        .watch(prefixes.iter().map(|p| p.as_bytes().to_vec()).collect())
        .await
        .expect("watch");
    match next_event(&mut watcher).await {
        Event::Init { revision } => (watcher, revision),
        other => panic!("the first event must be Init, got {other:?}"),
    }
}

fn expect_put(event: Event, key: &str, value: &str, revision: u64) {
    match event {
        Event::Put(item) => {
            assert_eq!(item.key, key.as_bytes(), "{item:?}");
            assert_eq!(item.value, value.as_bytes(), "{item:?}");
            assert_eq!(item.revision, revision, "{item:?}");
        }
        other => panic!("expected a put of {key}, got {other:?}"),
    }
}

fn expect_delete(event: Event, key: &str) -> u64 {
    match event {
        Event::Delete { key: got, revision } => {
            assert_eq!(got, key.as_bytes(), "deleted key");
            revision
        }
        other => panic!("expected a delete of {key}, got {other:?}"),
    }
}

/// The first event is `Init`, at or after the revisions already written.
pub async fn watch_starts_with_init(env: Env) {
    let written = env.backend.put(Item::new("/k", "v")).await.expect("put");
    let (_watcher, revision) = started(&env, &[]).await;
    assert!(
        revision >= written,
        "Init {revision} is before write {written}"
    );
}

/// Puts and deletes arrive once each, in write order, with the revisions the writes
/// returned; every revision is above `Init`'s and above the previous event's.
pub async fn watch_reports_puts_and_deletes_in_order(env: Env) {
    let (mut watcher, init) = started(&env, &[]).await;
    let b = &env.backend;
    let r1 = b.put(Item::new("/a", "1")).await.expect("put");
    let r2 = b.create(Item::new("/b", "1")).await.expect("create");
    let r3 = b.update(Item::new("/a", "2")).await.expect("update");
    let r4 = b
        .compare_and_swap(b"1", Item::new("/b", "2"))
        .await
        .expect("cas");
    b.delete(b"/a").await.expect("delete");
    assert!(init < r1);
    expect_put(next_event(&mut watcher).await, "/a", "1", r1);
    expect_put(next_event(&mut watcher).await, "/b", "1", r2);
    expect_put(next_event(&mut watcher).await, "/a", "2", r3);
    expect_put(next_event(&mut watcher).await, "/b", "2", r4);
    let deleted = expect_delete(next_event(&mut watcher).await, "/a");
    assert!(deleted > r4);
    let r6 = b.put(Item::new("/c", "1")).await.expect("put after delete");
    assert!(r6 > deleted);
    expect_put(next_event(&mut watcher).await, "/c", "1", r6);
}

/// A watcher sees only keys under its prefixes (bytewise), from several prefixes.
pub async fn watch_filters_by_prefix(env: Env) {
    let (mut watcher, _) = started(&env, &["/nodes/", "/proxies/"]).await;
    let b = &env.backend;
    b.put(Item::new("/users/alice", "x")).await.expect("put");
    b.put(Item::new("/nodesX", "x")).await.expect("put");
    let r1 = b.put(Item::new("/nodes/n1", "x")).await.expect("put");
    b.put(Item::new("/roles/admin", "x")).await.expect("put");
    let r2 = b.put(Item::new("/proxies/p1", "x")).await.expect("put");
    b.delete(b"/users/alice").await.expect("delete");
    let r3 = b.put(Item::new("/nodes/n2", "x")).await.expect("put");
    expect_put(next_event(&mut watcher).await, "/nodes/n1", "x", r1);
    expect_put(next_event(&mut watcher).await, "/proxies/p1", "x", r2);
    expect_put(next_event(&mut watcher).await, "/nodes/n2", "x", r3);
}

/// Several watchers each receive every event; dropping one does not disturb the others.
pub async fn every_watcher_sees_every_event(env: Env) {
    let (mut first, _) = started(&env, &["/k"]).await;
    let (mut second, _) = started(&env, &[]).await;
    let (dropped, _) = started(&env, &[]).await;
    drop(dropped);
    let r1 = env.backend.put(Item::new("/k1", "v")).await.expect("put");
    let r2 = env.backend.put(Item::new("/k2", "v")).await.expect("put");
    for watcher in [&mut first, &mut second] {
        expect_put(next_event(watcher).await, "/k1", "v", r1);
        expect_put(next_event(watcher).await, "/k2", "v", r2);
    }
}

/// Removing an expired item sends one delete event with a fresh revision; nothing is sent
/// while it merely lies expired, and nothing twice.
pub async fn watch_reports_expiry_as_delete(env: Env) {
    let (mut watcher, _) = started(&env, &["/hb/"]).await;
    let b = &env.backend;
    let r1 = b
        .put(Item::new("/hb/node1", "alive").with_expiry(env.in_seconds(30)))
        .await
        .expect("put");
    expect_put(next_event(&mut watcher).await, "/hb/node1", "alive", r1);
    env.advance(31);
    let sentinel = b.put(Item::new("/hb/sentinel", "1")).await.expect("put");
    expect_put(
        next_event(&mut watcher).await,
        "/hb/sentinel",
        "1",
        sentinel,
    );
    assert_eq!(b.remove_expired().await.expect("remove_expired"), 1);
    let deleted = expect_delete(next_event(&mut watcher).await, "/hb/node1");
    assert!(deleted > sentinel);
    assert_eq!(b.remove_expired().await.expect("remove_expired again"), 0);
    let last = b.put(Item::new("/hb/sentinel", "2")).await.expect("put");
    expect_put(next_event(&mut watcher).await, "/hb/sentinel", "2", last);
}

/// `delete_range` sends one delete event per removed key, in key order.
pub async fn watch_reports_each_key_of_delete_range(env: Env) {
    let b = &env.backend;
    for key in ["/r/1", "/r/2", "/r/3", "/s"] {
        b.put(Item::new(key, "v")).await.expect("put");
    }
    let (mut watcher, init) = started(&env, &[]).await;
    assert_eq!(
        b.delete_range(KeyRange::prefix("/r/"))
            .await
            .expect("delete_range"),
        3
    );
    let mut last = init;
    for key in ["/r/1", "/r/2", "/r/3"] {
        let revision = expect_delete(next_event(&mut watcher).await, key);
        assert!(revision > last);
        last = revision;
    }
    let sentinel = b.put(Item::new("/s", "w")).await.expect("put");
    expect_put(next_event(&mut watcher).await, "/s", "w", sentinel);
}

/// Writes that fail (create over a live key, update or delete of an absent key, a failed
/// compare) send no event.
pub async fn failed_writes_send_no_events(env: Env) {
    let b = &env.backend;
    b.put(Item::new("/k", "v")).await.expect("put");
    let (mut watcher, _) = started(&env, &[]).await;
    assert!(b.create(Item::new("/k", "w")).await.is_err());
    assert!(b.update(Item::new("/absent", "w")).await.is_err());
    assert!(b.delete(b"/absent").await.is_err());
    assert!(b
        .compare_and_swap(b"other", Item::new("/k", "w"))
        .await
        .is_err());
    assert_eq!(
        b.delete_range(KeyRange::prefix("/absent"))
            .await
            .expect("delete_range"),
        0
    );
    let sentinel = b.put(Item::new("/sentinel", "1")).await.expect("put");
    expect_put(next_event(&mut watcher).await, "/sentinel", "1", sentinel);
}

/// `close` ends every watcher: it yields what it holds, then `Closed`, then nothing.
pub async fn close_ends_watchers(env: Env) {
    let (mut watcher, _) = started(&env, &[]).await;
    env.backend.close().await.expect("close");
    let end = tokio::time::timeout(EVENT_TIMEOUT, watcher.recv())
        .await
        .expect("the watcher must end when the backend closes");
    assert!(matches!(end, Some(Err(BackendError::Closed))), "{end:?}");
    let after = tokio::time::timeout(EVENT_TIMEOUT, watcher.recv())
        .await
        .expect("the watcher must stay ended");
    assert!(after.is_none(), "{after:?}");
}
