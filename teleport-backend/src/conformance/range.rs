//! Range reads and range deletes.

use super::Env;
use crate::{Item, KeyRange, NO_LIMIT};

async fn put_all(env: &Env, keys: &[&[u8]]) {
    for key in keys {
        env.backend
            .put(Item::new(key.to_vec(), key.to_vec()))
            .await
            .expect("put");
    }
}

async fn keys_in(env: &Env, range: KeyRange, limit: usize) -> Vec<Vec<u8>> {
    env.backend
        .get_range(range, limit)
        .await
        .expect("get_range")
        .into_iter()
        .map(|item| {
            assert_eq!(item.value, item.key, "each test value repeats its key");
            item.key
        })
        .collect()
}

fn owned(keys: &[&[u8]]) -> Vec<Vec<u8>> {
    keys.iter().map(|key| key.to_vec()).collect()
}

/// A prefix range returns exactly the keys under the prefix, in key order, whatever the
/// order they were written in.
pub async fn prefix_range_is_in_key_order(env: Env) {
    put_all(
        &env,
        &[
            b"/nodes/c",
            b"/users/a",
            b"/nodes/a",
            b"/nodes/b",
            b"/nodez",
        ],
    )
    .await;
    assert_eq!(
        keys_in(&env, KeyRange::prefix("/nodes/"), NO_LIMIT).await,
        owned(&[b"/nodes/a", b"/nodes/b", b"/nodes/c"])
    );
    assert_eq!(
        keys_in(&env, KeyRange::all(), NO_LIMIT).await,
        owned(&[
            b"/nodes/a",
            b"/nodes/b",
            b"/nodes/c",
            b"/nodez",
            b"/users/a"
        ])
    );
    assert!(keys_in(&env, KeyRange::prefix("/roles/"), NO_LIMIT)
        .await
        .is_empty());
}

/// Prefixes match bytes, not path segments: `/a` covers `/ab`, `/a/` does not.
pub async fn prefix_match_is_bytewise(env: Env) {
    put_all(&env, &[b"/a", b"/a/x", b"/ab", b"/b"]).await;
    assert_eq!(
        keys_in(&env, KeyRange::prefix("/a/"), NO_LIMIT).await,
        owned(&[b"/a/x"])
    );
    assert_eq!(
        keys_in(&env, KeyRange::prefix("/a"), NO_LIMIT).await,
        owned(&[b"/a", b"/a/x", b"/ab"])
    );
}

/// Prefixes ending in `0xff` bytes, and keys just past them, are handled exactly.
pub async fn prefix_with_high_bytes(env: Env) {
    put_all(
        &env,
        &[
            b"a\xff",
            b"a\xff\x00",
            b"a\xff\xff\xff",
            b"b",
            b"b\x00",
            b"\xff\xff",
        ],
    )
    .await;
    assert_eq!(
        keys_in(&env, KeyRange::prefix(b"a\xff".to_vec()), NO_LIMIT).await,
        owned(&[b"a\xff", b"a\xff\x00", b"a\xff\xff\xff"])
    );
    assert_eq!(
        keys_in(&env, KeyRange::prefix(b"\xff".to_vec()), NO_LIMIT).await,
        owned(&[b"\xff\xff"])
    );
}

/// `between(start, end)` includes `start` and excludes `end`.
pub async fn between_range_is_half_open(env: Env) {
    put_all(&env, &[b"/a", b"/b", b"/b/1", b"/c", b"/d"]).await;
    assert_eq!(
        keys_in(&env, KeyRange::between("/b", "/d"), NO_LIMIT).await,
        owned(&[b"/b", b"/b/1", b"/c"])
    );
    assert_eq!(
        keys_in(&env, KeyRange::between("/a0", "/c0"), NO_LIMIT).await,
        owned(&[b"/b", b"/b/1", b"/c"])
    );
}

/// A range whose start is not below its end is empty, for reads and deletes alike.
pub async fn reversed_range_is_empty(env: Env) {
    put_all(&env, &[b"/a", b"/b", b"/c"]).await;
    assert!(keys_in(&env, KeyRange::between("/c", "/a"), NO_LIMIT)
        .await
        .is_empty());
    assert!(keys_in(&env, KeyRange::between("/b", "/b"), NO_LIMIT)
        .await
        .is_empty());
    let deleted = env
        .backend
        .delete_range(KeyRange::between("/c", "/a"))
        .await
        .expect("delete_range");
    assert_eq!(deleted, 0);
    assert_eq!(keys_in(&env, KeyRange::all(), NO_LIMIT).await.len(), 3);
}

/// `limit` returns the first `limit` keys in order; `NO_LIMIT` (0) returns all.
pub async fn limit_caps_the_result(env: Env) {
    put_all(&env, &[b"/k/4", b"/k/2", b"/k/3", b"/k/1"]).await;
    assert_eq!(
        keys_in(&env, KeyRange::prefix("/k/"), 2).await,
        owned(&[b"/k/1", b"/k/2"])
    );
    assert_eq!(
        keys_in(&env, KeyRange::prefix("/k/"), 1).await,
        owned(&[b"/k/1"])
    );
    assert_eq!(keys_in(&env, KeyRange::prefix("/k/"), 10).await.len(), 4);
    assert_eq!(
        keys_in(&env, KeyRange::prefix("/k/"), NO_LIMIT).await.len(),
        4
    );
}

/// `delete_range` deletes what is in the range, says how many, and spares the rest.
pub async fn delete_range_counts_and_spares_the_rest(env: Env) {
    put_all(&env, &[b"/a", b"/b", b"/b/1", b"/c", b"/d"]).await;
    let deleted = env
        .backend
        .delete_range(KeyRange::between("/b", "/d"))
        .await
        .expect("delete_range");
    assert_eq!(deleted, 3);
    assert_eq!(
        keys_in(&env, KeyRange::all(), NO_LIMIT).await,
        owned(&[b"/a", b"/d"])
    );
    let again = env
        .backend
        .delete_range(KeyRange::between("/b", "/d"))
        .await
        .expect("delete_range again");
    assert_eq!(again, 0);
}

/// `delete_range` with a prefix deletes exactly the keys under it.
pub async fn delete_range_by_prefix(env: Env) {
    put_all(&env, &[b"/a", b"/a/1", b"/a/2", b"/ab"]).await;
    let deleted = env
        .backend
        .delete_range(KeyRange::prefix("/a/"))
        .await
        .expect("delete_range");
    assert_eq!(deleted, 2);
    assert_eq!(
        keys_in(&env, KeyRange::all(), NO_LIMIT).await,
        owned(&[b"/a", b"/ab"])
    );
}
