//! The write semantics shared by the built-in backends, written once over a small
//! [`Table`] of stored items: preconditions, expiry, revisions and watch events.
//!
//! A backend builds a [`Txn`] while holding its single writer lock, so revisions are
//! assigned, applied and published in one order.

use time::OffsetDateTime;

use crate::error::{BackendError, Result};
use crate::expiry::ExpiryIndex;
use crate::item::{check_key, Condition, Item, KeyRange};
use crate::watch::{Event, WatchHub};

/// Raw access to a backend's stored items, expired ones included.
pub(crate) trait Table {
    /// The stored item at `key`, expired or not.
    fn load(&self, key: &[u8]) -> Result<Option<Item>>;
    /// Every stored item in `range`, in key order, expired or not.
    fn load_range(&self, range: &KeyRange) -> Result<Vec<Item>>;
    /// Stores `item` (its revision already assigned), replacing any item at its key.
    fn store(&mut self, item: &Item) -> Result<()>;
    /// Removes the item at `key`.
    fn remove(&mut self, key: &[u8]) -> Result<()>;
    /// Takes the next backend-wide revision, greater than every one handed out before.
    fn next_revision(&mut self) -> Result<u64>;
}

/// One writer-locked step over a [`Table`].
pub(crate) struct Txn<'a, T> {
    /// The items.
    pub(crate) table: T,
    /// The expiring keys of `table`.
    pub(crate) expiry: &'a mut ExpiryIndex,
    /// Where events go.
    pub(crate) hub: &'a WatchHub,
    /// The time expiry is judged by.
    pub(crate) now: OffsetDateTime,
}

impl<T: Table> Txn<'_, T> {
    /// `put`, `create`, `update` or `compare_and_swap`, depending on `condition`.
    pub(crate) fn write(&mut self, mut item: Item, condition: Condition<'_>) -> Result<u64> {
        check_key(&item.key)?;
        let old = self.table.load(&item.key)?;
        let live = old.as_ref().filter(|old| !old.is_expired(self.now));
        condition.check(&item.key, live)?;
        item.revision = self.table.next_revision()?;
        self.table.store(&item)?;
        self.expiry
            .replace(&item.key, old.and_then(|old| old.expires), item.expires);
        let revision = item.revision;
        self.hub.publish(&item.key, || Event::Put(item.clone()));
        Ok(revision)
    }

    /// `delete`: removes the item at `key`; an expired one is removed too (with its event)
    /// but reported as [`BackendError::NotFound`].
    pub(crate) fn delete(&mut self, key: &[u8]) -> Result<()> {
        check_key(key)?;
        match self.table.load(key)? {
            Some(old) => {
                self.remove(&old)?;
                if old.is_expired(self.now) {
                    Err(BackendError::NotFound { key: key.to_vec() })
                } else {
                    Ok(())
                }
            }
            None => Err(BackendError::NotFound { key: key.to_vec() }),
        }
    }

    /// `delete_range`: removes every stored item in `range`; counts the live ones.
    pub(crate) fn delete_range(&mut self, range: &KeyRange) -> Result<usize> {
        let mut live = 0;
        for old in self.table.load_range(range)? {
            self.remove(&old)?;
            if !old.is_expired(self.now) {
                live += 1;
            }
        }
        Ok(live)
    }

    /// `remove_expired`: removes the items whose expiry has passed.
    pub(crate) fn remove_expired(&mut self) -> Result<usize> {
        let mut removed = 0;
        for (expires, key) in self.expiry.due(self.now) {
            match self.table.load(&key)? {
                Some(old) if old.is_expired(self.now) => {
                    self.remove(&old)?;
                    removed += 1;
                }
                // The index disagrees with the table (it cannot, short of a bug): trust the table.
                Some(old) => self.expiry.replace(&key, Some(expires), old.expires),
                None => self.expiry.replace(&key, Some(expires), None),
            }
        }
        Ok(removed)
    }

    fn remove(&mut self, old: &Item) -> Result<()> {
        let revision = self.table.next_revision()?;
        self.table.remove(&old.key)?;
        self.expiry.replace(&old.key, old.expires, None);
        self.hub.publish(&old.key, || Event::Delete {
            key: old.key.clone(),
            revision,
        });
        Ok(())
    }
}
