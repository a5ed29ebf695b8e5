//! [`MemoryBackend`]: a `BTreeMap` behind a lock, for tests and embedding.

use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use teleport_core::SharedClock;

use crate::engine::{Table, Txn};
use crate::error::{BackendError, Result};
use crate::expiry::ExpiryIndex;
use crate::item::{Condition, Item, KeyRange, NO_LIMIT};
use crate::watch::{WatchHub, Watcher, DEFAULT_WATCH_CAPACITY};
use crate::Backend;

/// A backend that keeps everything in memory; nothing survives the process.
///
/// Reads share a read lock; writes take the write lock, so every operation is atomic.
#[derive(Debug)]
pub struct MemoryBackend {
    clock: SharedClock,
    state: RwLock<State>,
    hub: WatchHub,
}

#[derive(Debug, Default)]
struct State {
    items: BTreeMap<Vec<u8>, Item>,
    expiry: ExpiryIndex,
    revision: u64,
    closed: bool,
}

impl MemoryBackend {
    /// An empty backend judging expiry by `clock`, whose watchers hold up to
    /// [`DEFAULT_WATCH_CAPACITY`] events.
    pub fn new(clock: SharedClock) -> Self {
        MemoryBackend::with_watch_capacity(clock, DEFAULT_WATCH_CAPACITY)
    }

    /// An empty backend whose watchers hold up to `capacity` undelivered events before they
    /// are closed as fallen behind.
    pub fn with_watch_capacity(clock: SharedClock, capacity: usize) -> Self {
        MemoryBackend {
            clock,
            state: RwLock::new(State::default()),
            hub: WatchHub::new(capacity),
        }
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, State>> {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        if state.closed {
            return Err(BackendError::Closed);
        }
        Ok(state)
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, State>> {
        let state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if state.closed {
            return Err(BackendError::Closed);
        }
        Ok(state)
    }

    fn txn<R>(&self, step: impl FnOnce(&mut Txn<'_, MemoryTable<'_>>) -> Result<R>) -> Result<R> {
        let now = self.clock.now();
        let mut guard = self.write()?;
        let state = &mut *guard;
        let mut txn = Txn {
            table: MemoryTable {
                items: &mut state.items,
                revision: &mut state.revision,
            },
            expiry: &mut state.expiry,
            hub: &self.hub,
            now,
        };
        step(&mut txn)
    }

    /// How many watchers are registered (for tests of unregistration).
    #[cfg(test)]
    fn watcher_count(&self) -> usize {
        self.hub.len()
    }
}

struct MemoryTable<'a> {
    items: &'a mut BTreeMap<Vec<u8>, Item>,
    revision: &'a mut u64,
}

impl Table for MemoryTable<'_> {
    fn load(&self, key: &[u8]) -> Result<Option<Item>> {
        Ok(self.items.get(key).cloned())
    }

    fn load_range(&self, range: &KeyRange) -> Result<Vec<Item>> {
        Ok(match range.bounds() {
            Some(bounds) => self
                .items
                .range(bounds)
                .map(|(_, item)| item.clone())
                .collect(),
            None => Vec::new(),
        })
    }

    fn store(&mut self, item: &Item) -> Result<()> {
        self.items.insert(item.key.clone(), item.clone());
        Ok(())
    }

    fn remove(&mut self, key: &[u8]) -> Result<()> {
        self.items.remove(key);
        Ok(())
    }

    fn next_revision(&mut self) -> Result<u64> {
        *self.revision += 1;
        Ok(*self.revision)
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    async fn get(&self, key: &[u8]) -> Result<Item> {
        let now = self.clock.now();
        match self.read()?.items.get(key) {
            Some(item) if !item.is_expired(now) => Ok(item.clone()),
            _ => Err(BackendError::NotFound { key: key.to_vec() }),
        }
    }

    async fn get_range(&self, range: KeyRange, limit: usize) -> Result<Vec<Item>> {
        let now = self.clock.now();
        let state = self.read()?;
        let Some(bounds) = range.bounds() else {
            return Ok(Vec::new());
        };
        let limit = if limit == NO_LIMIT { usize::MAX } else { limit };
        Ok(state
            .items
            .range(bounds)
            .map(|(_, item)| item)
            .filter(|item| !item.is_expired(now))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn put(&self, item: Item) -> Result<u64> {
        self.txn(|txn| txn.write(item, Condition::Always))
    }

    async fn create(&self, item: Item) -> Result<u64> {
        self.txn(|txn| txn.write(item, Condition::Absent))
    }

    async fn update(&self, item: Item) -> Result<u64> {
        self.txn(|txn| txn.write(item, Condition::Present))
    }

    async fn compare_and_swap(&self, expected: &[u8], replace_with: Item) -> Result<u64> {
        self.txn(|txn| txn.write(replace_with, Condition::ValueIs(expected)))
    }

    async fn delete(&self, key: &[u8]) -> Result<()> {
        self.txn(|txn| txn.delete(key))
    }

    async fn delete_range(&self, range: KeyRange) -> Result<usize> {
        self.txn(|txn| txn.delete_range(&range))
    }

    async fn watch(&self, prefixes: Vec<Vec<u8>>) -> Result<Watcher> {
        // The read lock keeps writers out, so no event at or below `revision` can follow.
        let state = self.read()?;
        self.hub.register(prefixes, state.revision)
    }

    async fn remove_expired(&self) -> Result<usize> {
        self.txn(|txn| txn.remove_expired())
    }

    async fn close(&self) -> Result<()> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        state.closed = true;
        state.items.clear();
        state.expiry = ExpiryIndex::default();
        self.hub.close();
        Ok(())
    }

    fn clock(&self) -> &SharedClock {
        &self.clock
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use teleport_core::FakeClock;

    use super::*;
    use crate::watch::Event;

    #[tokio::test]
    async fn dropping_a_watcher_unregisters_it() {
        let backend = MemoryBackend::new(Arc::new(FakeClock::default()));
        let watcher = backend.watch(Vec::new()).await.unwrap();
        assert_eq!(backend.watcher_count(), 1);
        drop(watcher);
        assert_eq!(backend.watcher_count(), 0);
    }

    #[tokio::test]
    async fn slow_watcher_is_closed_and_writers_go_on() {
        let backend = MemoryBackend::with_watch_capacity(Arc::new(FakeClock::default()), 4);
        let mut slow = backend.watch(Vec::new()).await.unwrap();
        for n in 0..100 {
            backend.put(Item::new("/k", format!("{n}"))).await.unwrap();
        }
        assert_eq!(backend.watcher_count(), 0);
        let mut seen = Vec::new();
        let err = loop {
            match slow.recv().await {
                Some(Ok(event)) => seen.push(event),
                Some(Err(err)) => break err,
                None => panic!("the watcher ended without saying why"),
            }
        };
        assert!(
            matches!(err, BackendError::WatcherFellBehind { capacity: 4 }),
            "{err}"
        );
        assert!(matches!(seen[0], Event::Init { revision: 0 }));
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert!(slow.recv().await.is_none());
    }
}
