//! Expiry, judged by the injected clock.

use super::Env;
use crate::{Item, KeyRange, NO_LIMIT};

/// Once its expiry passes, an item is gone from `get` and `get_range`; before, it is there.
pub async fn expired_item_is_invisible(env: Env) {
    let expires = env.in_seconds(60);
    env.backend
        .put(Item::new("/hb/node1", "alive").with_expiry(expires))
        .await
        .expect("put");
    env.backend
        .put(Item::new("/hb/node2", "forever"))
        .await
        .expect("put");
    env.advance(59);
    assert_eq!(
        env.backend.get(b"/hb/node1").await.expect("get").value,
        b"alive"
    );
    env.advance(1);
    assert!(env
        .backend
        .get(b"/hb/node1")
        .await
        .unwrap_err()
        .is_not_found());
    let live = env
        .backend
        .get_range(KeyRange::prefix("/hb/"), NO_LIMIT)
        .await
        .expect("range");
    let keys: Vec<&[u8]> = live.iter().map(|item| item.key.as_slice()).collect();
    assert_eq!(keys, vec![b"/hb/node2".as_slice()]);
}

/// `get` returns the expiry that was written (whole seconds, which every backend keeps).
pub async fn expiry_round_trips(env: Env) {
    let expires = env.in_seconds(3600);
    env.backend
        .put(Item::new("/k", "v").with_expiry(expires))
        .await
        .expect("put");
    assert_eq!(
        env.backend.get(b"/k").await.expect("get").expires,
        Some(expires)
    );
    let items = env
        .backend
        .get_range(KeyRange::all(), NO_LIMIT)
        .await
        .expect("range");
    assert_eq!(items[0].expires, Some(expires));
}

/// `create` succeeds over an expired item, and the new item does not inherit its expiry.
pub async fn create_replaces_expired_item(env: Env) {
    env.backend
        .create(Item::new("/lease", "old").with_expiry(env.in_seconds(10)))
        .await
        .expect("create");
    env.advance(10);
    env.backend
        .create(Item::new("/lease", "new"))
        .await
        .expect("create over expired");
    env.advance(3600);
    let item = env.backend.get(b"/lease").await.expect("get");
    assert_eq!(item.value, b"new");
    assert_eq!(item.expires, None);
}

/// `update` and `delete` see an expired item as absent.
pub async fn update_and_delete_treat_expired_as_absent(env: Env) {
    for key in ["/u", "/d"] {
        env.backend
            .put(Item::new(key, "v").with_expiry(env.in_seconds(5)))
            .await
            .expect("put");
    }
    env.advance(5);
    let err = env.backend.update(Item::new("/u", "w")).await.unwrap_err();
    assert!(err.is_not_found(), "update: {err:?}");
    assert!(env.backend.get(b"/u").await.unwrap_err().is_not_found());
    let err = env.backend.delete(b"/d").await.unwrap_err();
    assert!(err.is_not_found(), "delete: {err:?}");
}

/// `compare_and_swap` against the value of an expired item fails with `NotFound`.
pub async fn compare_and_swap_fails_if_expired(env: Env) {
    env.backend
        .put(Item::new("/lock", "free").with_expiry(env.in_seconds(30)))
        .await
        .expect("put");
    env.advance(31);
    let err = env
        .backend
        .compare_and_swap(b"free", Item::new("/lock", "held"))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(env.backend.get(b"/lock").await.unwrap_err().is_not_found());
}

/// A `put` without expiry over an expiring item makes it permanent.
pub async fn put_without_expiry_clears_it(env: Env) {
    env.backend
        .put(Item::new("/k", "v1").with_expiry(env.in_seconds(10)))
        .await
        .expect("put");
    env.backend
        .put(Item::new("/k", "v2"))
        .await
        .expect("put again");
    env.advance(20);
    assert_eq!(
        env.backend.remove_expired().await.expect("remove_expired"),
        0
    );
    let item = env.backend.get(b"/k").await.expect("get");
    assert_eq!(
        (item.value.as_slice(), item.expires),
        (b"v2".as_slice(), None)
    );
}

/// `remove_expired` removes exactly the expired items and counts them; live items, later
/// expiries and refreshed items stay.
pub async fn remove_expired_removes_only_expired(env: Env) {
    let b = &env.backend;
    b.put(Item::new("/e1", "v").with_expiry(env.in_seconds(10)))
        .await
        .expect("put");
    b.put(Item::new("/e2", "v").with_expiry(env.in_seconds(20)))
        .await
        .expect("put");
    b.put(Item::new("/later", "v").with_expiry(env.in_seconds(100)))
        .await
        .expect("put");
    b.put(Item::new("/refreshed", "v").with_expiry(env.in_seconds(10)))
        .await
        .expect("put");
    b.put(Item::new("/refreshed", "v").with_expiry(env.in_seconds(100)))
        .await
        .expect("put");
    b.put(Item::new("/forever", "v")).await.expect("put");
    assert_eq!(b.remove_expired().await.expect("remove_expired"), 0);
    env.advance(30);
    assert_eq!(b.remove_expired().await.expect("remove_expired"), 2);
    assert_eq!(b.remove_expired().await.expect("remove_expired again"), 0);
    let keys: Vec<Vec<u8>> = b
        .get_range(KeyRange::all(), NO_LIMIT)
        .await
        .expect("range")
        .into_iter()
        .map(|item| item.key)
        .collect();
    assert_eq!(
        keys,
        vec![
            b"/forever".to_vec(),
            b"/later".to_vec(),
            b"/refreshed".to_vec()
        ]
    );
}

/// `limit` counts live items only: expired ones never take a slot, and `delete_range`
/// counts only the live items it deleted.
pub async fn limit_counts_only_live_items(env: Env) {
    let b = &env.backend;
    for key in ["/k/1", "/k/2", "/k/3"] {
        b.put(Item::new(key, "v").with_expiry(env.in_seconds(5)))
            .await
            .expect("put");
    }
    b.put(Item::new("/k/4", "v")).await.expect("put");
    b.put(Item::new("/k/5", "v")).await.expect("put");
    env.advance(5);
    let items = b
        .get_range(KeyRange::prefix("/k/"), 1)
        .await
        .expect("range");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].key, b"/k/4");
    assert_eq!(
        b.delete_range(KeyRange::prefix("/k/"))
            .await
            .expect("delete_range"),
        2
    );
}
