//! Single-key reads and writes, their errors, revisions and `close`.

use super::Env;
use crate::{BackendError, Item, KeyRange, NO_LIMIT};

/// `get` of a key never written fails with `NotFound` naming the key.
pub async fn get_missing_key_is_not_found(env: Env) {
    let err = env.backend.get(b"/missing").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("/missing"), "{err}");
}

/// `put` returns a revision, and `get` returns the value with that revision.
pub async fn put_then_get_returns_value_and_revision(env: Env) {
    let revision = env
        .backend
        .put(Item::new("/users/alice", "alice's record"))
        .await
        .expect("put");
    assert!(revision > 0, "revision 0 is reserved for 'nothing written'");
    let item = env.backend.get(b"/users/alice").await.expect("get");
    assert_eq!(item.key, b"/users/alice");
    assert_eq!(item.value, b"alice's record");
    assert_eq!(item.expires, None);
    assert_eq!(item.revision, revision);
}

/// A second `put` replaces the value and takes a greater revision.
pub async fn put_replaces_value(env: Env) {
    let first = env
        .backend
        .put(Item::new("/k", "one"))
        .await
        .expect("put one");
    let second = env
        .backend
        .put(Item::new("/k", "two"))
        .await
        .expect("put two");
    assert!(second > first);
    let item = env.backend.get(b"/k").await.expect("get");
    assert_eq!(item.value, b"two");
    assert_eq!(item.revision, second);
}

/// `create` writes an absent key and refuses a present one, leaving it unchanged.
pub async fn create_fails_if_present(env: Env) {
    let revision = env
        .backend
        .create(Item::new("/k", "first"))
        .await
        .expect("create");
    assert_eq!(
        env.backend.get(b"/k").await.expect("get").revision,
        revision
    );
    let err = env
        .backend
        .create(Item::new("/k", "second"))
        .await
        .unwrap_err();
    assert!(err.is_already_exists(), "{err:?}");
    assert!(err.to_string().contains("/k"), "{err}");
    assert_eq!(env.backend.get(b"/k").await.expect("get").value, b"first");
}

/// `update` refuses an absent key (writing nothing) and replaces a present one.
pub async fn update_fails_if_absent(env: Env) {
    let err = env.backend.update(Item::new("/k", "v")).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(env.backend.get(b"/k").await.unwrap_err().is_not_found());
    env.backend.put(Item::new("/k", "old")).await.expect("put");
    let revision = env
        .backend
        .update(Item::new("/k", "new"))
        .await
        .expect("update");
    let item = env.backend.get(b"/k").await.expect("get");
    assert_eq!(item.value, b"new");
    assert_eq!(item.revision, revision);
}

/// `delete` removes the key and only that key.
pub async fn delete_removes_item(env: Env) {
    env.backend.put(Item::new("/a", "1")).await.expect("put /a");
    env.backend.put(Item::new("/b", "2")).await.expect("put /b");
    env.backend.delete(b"/a").await.expect("delete");
    assert!(env.backend.get(b"/a").await.unwrap_err().is_not_found());
    assert_eq!(env.backend.get(b"/b").await.expect("get /b").value, b"2");
}

/// `delete` of an absent key fails with `NotFound`, also the second time.
pub async fn delete_missing_key_is_not_found(env: Env) {
    assert!(env
        .backend
        .delete(b"/nothing")
        .await
        .unwrap_err()
        .is_not_found());
    env.backend.put(Item::new("/k", "v")).await.expect("put");
    env.backend.delete(b"/k").await.expect("delete");
    assert!(env.backend.delete(b"/k").await.unwrap_err().is_not_found());
}

/// Writes with an empty key fail with `EmptyKey` and store nothing.
pub async fn empty_key_is_refused(env: Env) {
    for result in [
        env.backend.put(Item::new("", "v")).await,
        env.backend.create(Item::new("", "v")).await,
        env.backend.update(Item::new("", "v")).await,
        env.backend.compare_and_swap(b"v", Item::new("", "w")).await,
    ] {
        assert!(matches!(result, Err(BackendError::EmptyKey)), "{result:?}");
    }
    assert!(matches!(
        env.backend.delete(b"").await,
        Err(BackendError::EmptyKey)
    ));
    let all = env
        .backend
        .get_range(KeyRange::all(), NO_LIMIT)
        .await
        .expect("range");
    assert!(all.is_empty(), "{all:?}");
}

/// Keys and values are bytes: non-UTF-8 bytes and empty values come back unchanged.
pub async fn binary_keys_and_empty_values_round_trip(env: Env) {
    let key = vec![0x00, 0xff, b'/', 0x80, 0x7f];
    let value: Vec<u8> = (0..=255).collect();
    env.backend
        .put(Item::new(key.clone(), value.clone()))
        .await
        .expect("put binary");
    assert_eq!(
        env.backend.get(&key).await.expect("get binary").value,
        value
    );
    env.backend
        .put(Item::new("/empty", Vec::new()))
        .await
        .expect("put empty");
    assert!(env
        .backend
        .get(b"/empty")
        .await
        .expect("get empty")
        .value
        .is_empty());
}

/// `compare_and_swap` replaces a value equal to the expected one.
pub async fn compare_and_swap_replaces_matching_value(env: Env) {
    let first = env
        .backend
        .put(Item::new("/lock", "free"))
        .await
        .expect("put");
    let revision = env
        .backend
        .compare_and_swap(b"free", Item::new("/lock", "held by alice"))
        .await
        .expect("compare_and_swap");
    assert!(revision > first);
    let item = env.backend.get(b"/lock").await.expect("get");
    assert_eq!(item.value, b"held by alice");
    assert_eq!(item.revision, revision);
}

/// `compare_and_swap` against another value fails with `CompareFailed` and writes nothing.
pub async fn compare_and_swap_fails_on_other_value(env: Env) {
    let revision = env
        .backend
        .put(Item::new("/lock", "held by bob"))
        .await
        .expect("put");
    let err = env
        .backend
        .compare_and_swap(b"free", Item::new("/lock", "held by alice"))
        .await
        .unwrap_err();
    assert!(err.is_compare_failed(), "{err:?}");
    assert!(err.to_string().contains("/lock"), "{err}");
    let item = env.backend.get(b"/lock").await.expect("get");
    assert_eq!(item.value, b"held by bob");
    assert_eq!(item.revision, revision);
}

/// `compare_and_swap` on an absent key fails with `NotFound` and creates nothing.
pub async fn compare_and_swap_fails_if_absent(env: Env) {
    let err = env
        .backend
        .compare_and_swap(b"", Item::new("/lock", "held"))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(env.backend.get(b"/lock").await.unwrap_err().is_not_found());
}

/// Of many concurrent swaps from the same value exactly one wins; the counter they
/// increment with read-compare-swap loops ends exact.
pub async fn compare_and_swap_is_atomic(env: Env) {
    env.backend
        .put(Item::new("/counter", "0"))
        .await
        .expect("put");
    let racers: Vec<_> = (0..16)
        .map(|n| {
            let backend = env.backend.clone();
            tokio::spawn(async move {
                backend
                    .compare_and_swap(b"0", Item::new("/counter", format!("won by {n}")))
                    .await
            })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        match racer.await.expect("racer panicked") {
            Ok(_) => winners += 1,
            Err(err) => assert!(err.is_compare_failed(), "{err:?}"),
        }
    }
    assert_eq!(winners, 1);

    env.backend
        .put(Item::new("/counter", "0"))
        .await
        .expect("reset");
    let incrementers: Vec<_> = (0..8)
        .map(|_| {
            let backend = env.backend.clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    loop {
                        let current = backend.get(b"/counter").await.expect("get");
                        let n: u64 = String::from_utf8_lossy(&current.value)
                            .parse()
                            .expect("number");
                        let next = Item::new("/counter", (n + 1).to_string());
                        match backend.compare_and_swap(&current.value, next).await {
                            Ok(_) => break,
                            Err(err) if err.is_compare_failed() => continue,
                            Err(err) => panic!("compare_and_swap: {err}"),
                        }
                    }
                }
            })
        })
        .collect();
    for incrementer in incrementers {
        incrementer.await.expect("incrementer panicked");
    }
    assert_eq!(
        env.backend.get(b"/counter").await.expect("get").value,
        b"80"
    );
}

/// Every successful write takes a revision greater than all before it, whatever the
/// operation and key.
pub async fn revisions_strictly_increase(env: Env) {
    let b = &env.backend;
    let mut revisions = vec![
        b.put(Item::new("/a", "1")).await.expect("put"),
        b.create(Item::new("/b", "1")).await.expect("create"),
        b.update(Item::new("/a", "2")).await.expect("update"),
        b.compare_and_swap(b"1", Item::new("/b", "2"))
            .await
            .expect("cas"),
    ];
    b.delete(b"/a").await.expect("delete");
    revisions.push(b.put(Item::new("/a", "3")).await.expect("put again"));
    revisions.push(b.put(Item::new("/0", "first key")).await.expect("put /0"));
    assert!(
        revisions.windows(2).all(|pair| pair[0] < pair[1]),
        "revisions must strictly increase: {revisions:?}"
    );
    let items = b.get_range(KeyRange::all(), NO_LIMIT).await.expect("range");
    let stored: Vec<u64> = items.iter().map(|item| item.revision).collect();
    assert_eq!(stored, vec![revisions[5], revisions[4], revisions[3]]);
}

/// After `close`, every call fails with `Closed`; closing again is fine.
pub async fn close_refuses_later_calls(env: Env) {
    let b = &env.backend;
    b.put(Item::new("/k", "v")).await.expect("put");
    b.close().await.expect("close");
    let closed = |result: Result<(), BackendError>, what: &str| {
        assert!(
            matches!(result, Err(BackendError::Closed)),
            "{what} after close: {result:?}"
        );
    };
    closed(b.get(b"/k").await.map(drop), "get");
    closed(
        b.get_range(KeyRange::all(), NO_LIMIT).await.map(drop),
        "get_range",
    );
    closed(b.put(Item::new("/k", "w")).await.map(drop), "put");
    closed(b.create(Item::new("/n", "w")).await.map(drop), "create");
    closed(b.update(Item::new("/k", "w")).await.map(drop), "update");
    closed(
        b.compare_and_swap(b"v", Item::new("/k", "w"))
            .await
            .map(drop),
        "compare_and_swap",
    );
    closed(b.delete(b"/k").await, "delete");
    closed(
        b.delete_range(KeyRange::all()).await.map(drop),
        "delete_range",
    );
    closed(b.watch(Vec::new()).await.map(drop), "watch");
    closed(b.remove_expired().await.map(drop), "remove_expired");
    b.close().await.expect("second close");
}
