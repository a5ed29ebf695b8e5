//! TTL bookkeeping: an index of expiring keys shared by the built-in backends, and a task
//! that removes expired items periodically so watchers hear about them.
//!
//! Reads never return an expired item whether or not it has been removed yet; removal only
//! frees the space and sends the [`Event::Delete`](crate::Event::Delete).

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use time::OffsetDateTime;

use crate::error::BackendError;
use crate::Backend;

/// How often [`spawn_expiry_sweeper`] is usually asked to sweep: often enough that a
/// watcher learns of an expired heartbeat within a second or so.
pub const DEFAULT_SWEEP_PERIOD: Duration = Duration::from_secs(1);

/// The keys that carry an expiry, ordered by it. Kept under the backend's writer lock, so
/// it always matches the stored items of this process.
#[derive(Debug, Default)]
pub(crate) struct ExpiryIndex {
    by_time: BTreeSet<(OffsetDateTime, Vec<u8>)>,
}

impl ExpiryIndex {
    /// Records that `key`'s expiry changed from `old` to `new`.
    pub(crate) fn replace(
        &mut self,
        key: &[u8],
        old: Option<OffsetDateTime>,
        new: Option<OffsetDateTime>,
    ) {
        if old == new {
            return;
        }
        if let Some(old) = old {
            self.by_time.remove(&(old, key.to_vec()));
        }
        if let Some(new) = new {
            self.by_time.insert((new, key.to_vec()));
        }
    }

    /// The entries whose expiry is at or before `now`, earliest first.
    pub(crate) fn due(&self, now: OffsetDateTime) -> Vec<(OffsetDateTime, Vec<u8>)> {
        self.by_time
            .iter()
            .take_while(|(expires, _)| *expires <= now)
            .cloned()
            .collect()
    }

    /// How many keys carry an expiry.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_time.len()
    }
}

/// Spawns a task on the current Tokio runtime that calls
/// [`Backend::remove_expired`] every `period` (wall-clock time), so that expired items are
/// removed and their watchers receive a delete event even when nobody touches them.
///
/// The task holds only a weak reference: it stops when the backend is dropped or closed.
/// Tests with a `FakeClock` call `remove_expired` themselves instead.
pub fn spawn_expiry_sweeper<B>(backend: &Arc<B>, period: Duration) -> tokio::task::JoinHandle<()>
where
    B: Backend + ?Sized + 'static,
{
    let backend: Weak<B> = Arc::downgrade(backend);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(backend) = backend.upgrade() else {
                return;
            };
            match backend.remove_expired().await {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(removed, "removed expired backend items"),
                Err(BackendError::Closed) => return,
                Err(err) => tracing::warn!(error = %err, "could not remove expired backend items"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, Item, MemoryBackend};
    use teleport_core::{Clock, FakeClock};
    use time::macros::datetime;

    // Tokio's paused clock drives the sweeper's period; the FakeClock decides expiry.
    #[tokio::test(start_paused = true)]
    async fn sweeper_removes_expired_items_and_stops_with_the_backend() {
        let clock = FakeClock::default();
        let backend = Arc::new(MemoryBackend::new(Arc::new(clock.clone())));
        let expires = clock.now() + time::Duration::seconds(10);
        backend
            .put(Item::new("/hb/n1", "x").with_expiry(expires))
            .await
            .unwrap();
        let mut watcher = backend.watch(Vec::new()).await.unwrap();
        assert!(matches!(watcher.recv().await, Some(Ok(Event::Init { .. }))));
        let sweeper = spawn_expiry_sweeper(&backend, DEFAULT_SWEEP_PERIOD);
        clock.advance(Duration::from_secs(10));
        match watcher.recv().await {
            Some(Ok(Event::Delete { key, .. })) => assert_eq!(key, b"/hb/n1"),
            other => panic!("expected the expired item's delete, got {other:?}"),
        }
        drop(backend);
        sweeper.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn sweeper_stops_when_the_backend_closes() {
        let backend = Arc::new(MemoryBackend::new(Arc::new(FakeClock::default())));
        let sweeper = spawn_expiry_sweeper(&backend, DEFAULT_SWEEP_PERIOD);
        backend.close().await.unwrap();
        sweeper.await.unwrap();
    }

    #[test]
    fn index_follows_replacements() {
        let t1 = datetime!(2021-01-01 00:00 UTC);
        let t2 = datetime!(2021-01-02 00:00 UTC);
        let mut index = ExpiryIndex::default();
        index.replace(b"/a", None, Some(t2));
        index.replace(b"/b", None, Some(t1));
        assert_eq!(index.due(t1), vec![(t1, b"/b".to_vec())]);
        assert_eq!(
            index.due(t2),
            vec![(t1, b"/b".to_vec()), (t2, b"/a".to_vec())]
        );
        index.replace(b"/a", Some(t2), None);
        index.replace(b"/b", Some(t1), Some(t2));
        assert!(index.due(t1).is_empty());
        assert_eq!(index.len(), 1);
    }
}
