//! Cluster-state storage: the [`Backend`] trait and its implementations.
//!
//! A backend is an ordered key-value store with backend-wide revisions, per-item expiry,
//! compare-and-swap, range reads and a watch stream: everything the auth server keeps goes
//! through one. The implementations are
//!
//! - [`MemoryBackend`]: a `BTreeMap` for tests and embedding;
//! - [`SledBackend`]: the default `dir` storage at `data_dir/backend`, where a write is on
//!   disk when it is acknowledged (writers share each `fsync`: group commit).
//!
//! Both pass the [`conformance`] suite, which every future implementation (etcd) runs too.
//!
//! ```
//! # async fn demo() -> Result<(), teleport_backend::BackendError> {
//! use std::sync::Arc;
//! use teleport_backend::{Backend, Event, Item, KeyRange, MemoryBackend, NO_LIMIT};
//! use teleport_core::SystemClock;
//!
//! let backend = MemoryBackend::new(Arc::new(SystemClock));
//! let mut watcher = backend.watch(vec![b"/nodes/".to_vec()]).await?;
//! let revision = backend.put(Item::new("/nodes/n1", "{}")).await?;
//! assert_eq!(backend.get(b"/nodes/n1").await?.revision, revision);
//! assert_eq!(backend.get_range(KeyRange::prefix("/nodes/"), NO_LIMIT).await?.len(), 1);
//! assert!(matches!(watcher.recv().await, Some(Ok(Event::Init { .. }))));
//! assert!(matches!(watcher.recv().await, Some(Ok(Event::Put(_)))));
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use teleport_core::SharedClock;

pub mod conformance;
mod engine;
mod error;
mod expiry;
mod item;
mod lock;
mod memory;
mod sled;
mod watch;

pub use self::sled::{SledBackend, SledOptions};
pub use error::{BackendError, Result};
pub use expiry::{spawn_expiry_sweeper, DEFAULT_SWEEP_PERIOD};
pub use item::{Item, KeyRange, NO_LIMIT};
pub use memory::MemoryBackend;
pub use watch::{Event, Watcher, DEFAULT_WATCH_CAPACITY};

/// An ordered key-value store with revisions, expiry, compare-and-swap and watches.
///
/// Semantics every implementation shares (and the [`conformance`] suite checks):
///
/// - Keys are non-empty bytes ordered bytewise; an empty key is refused with
///   [`BackendError::EmptyKey`].
/// - Each write (`put`, `create`, `update`, `compare_and_swap`, `delete`, each key removed
///   by `delete_range` or by expiry) takes the next backend-wide revision; revisions only
///   increase, also across restarts of a persistent backend, but need not be contiguous.
/// - An item whose expiry is at or before the clock's `now` is absent: reads never return
///   it, `create` may replace it, `update`, `delete` and `compare_and_swap` report
///   [`BackendError::NotFound`]. When it is removed (by [`Backend::remove_expired`],
///   `delete` or `delete_range`) watchers receive an [`Event::Delete`].
/// - After [`Backend::close`], every call fails with [`BackendError::Closed`].
#[async_trait]
pub trait Backend: Send + Sync {
    /// The live item at `key`, or [`BackendError::NotFound`].
    async fn get(&self, key: &[u8]) -> Result<Item>;

    /// The live items in `range`, in key order, at most `limit` of them
    /// ([`NO_LIMIT`] (0) for all).
    async fn get_range(&self, range: KeyRange, limit: usize) -> Result<Vec<Item>>;

    /// Writes `item` whether or not its key exists; returns the new revision.
    async fn put(&self, item: Item) -> Result<u64>;

    /// Writes `item` only if no live item has its key, else
    /// [`BackendError::AlreadyExists`]; returns the new revision.
    async fn create(&self, item: Item) -> Result<u64>;

    /// Writes `item` only if a live item has its key, else [`BackendError::NotFound`];
    /// returns the new revision.
    async fn update(&self, item: Item) -> Result<u64>;

    /// Atomically replaces the live item at `replace_with.key` if its value equals
    /// `expected`; returns the new revision. Fails with [`BackendError::NotFound`] when no
    /// live item has the key and [`BackendError::CompareFailed`] when the value differs.
    async fn compare_and_swap(&self, expected: &[u8], replace_with: Item) -> Result<u64>;

    /// Deletes the live item at `key`, or reports [`BackendError::NotFound`].
    async fn delete(&self, key: &[u8]) -> Result<()>;

    /// Deletes every item in `range`; returns how many live items it deleted.
    async fn delete_range(&self, range: KeyRange) -> Result<usize>;

    /// Starts a [`Watcher`] of the keys starting with any of `prefixes` (every key when
    /// `prefixes` is empty). Its first event is [`Event::Init`]; then come the changes made
    /// after it, in revision order.
    async fn watch(&self, prefixes: Vec<Vec<u8>>) -> Result<Watcher>;

    /// Removes the items that have expired, sending a delete event for each; returns how
    /// many. [`spawn_expiry_sweeper`] calls it periodically.
    async fn remove_expired(&self) -> Result<usize>;

    /// Ends every watcher, makes pending writes durable and releases the storage; later
    /// calls fail with [`BackendError::Closed`]. Closing twice is not an error.
    async fn close(&self) -> Result<()>;

    /// The clock this backend judges expiry by.
    fn clock(&self) -> &SharedClock;
}

/// Locks `mutex`, carrying on if a panicking thread poisoned it: every critical section of
/// this crate leaves its data consistent at each step or is rebuilt on open.
pub(crate) fn lock_unpoisoned<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MemoryBackend>();
        assert_send_sync::<SledBackend>();
        assert_send_sync::<Watcher>();
        assert_send_sync::<Event>();
        assert_send_sync::<Item>();
        assert_send_sync::<KeyRange>();
        assert_send_sync::<BackendError>();
        assert_send_sync::<SledOptions>();
        assert_send_sync::<std::sync::Arc<dyn Backend>>();
    }
}
