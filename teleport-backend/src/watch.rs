//! Change streams: a [`Watcher`] receives the [`Event`]s of the keys under its prefixes, in
//! revision order, through a bounded buffer.
//!
//! Writers never wait for watchers. A watcher whose buffer is full when an event arrives is
//! closed: it still yields the events it holds, then
//! [`BackendError::WatcherFellBehind`]. Its owner reads the state again and starts a new
//! watcher, as Teleport's caches do.

use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::mpsc;

use crate::error::{BackendError, Result};
use crate::item::Item;
use crate::lock_unpoisoned;

/// How many undelivered events a watcher holds before it is closed as fallen behind,
/// unless the backend was configured otherwise.
pub const DEFAULT_WATCH_CAPACITY: usize = 1024;

/// One change seen by a [`Watcher`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Always the first event (Teleport's `OpInit`): the watcher is registered and every
    /// later event is a change with a revision greater than `revision`.
    Init {
        /// The backend's latest revision when the watcher was registered.
        revision: u64,
    },
    /// An item was written by `put`, `create`, `update` or `compare_and_swap`.
    Put(Item),
    /// An item was deleted by `delete` or `delete_range`, or removed because it expired.
    Delete {
        /// The removed key.
        key: Vec<u8>,
        /// The revision of the removal.
        revision: u64,
    },
}

impl Event {
    /// The event's revision (for `Init`, the revision it starts after).
    pub fn revision(&self) -> u64 {
        match self {
            Event::Init { revision } | Event::Delete { revision, .. } => *revision,
            Event::Put(item) => item.revision,
        }
    }

    /// The key changed, or `None` for `Init`.
    pub fn key(&self) -> Option<&[u8]> {
        match self {
            Event::Init { .. } => None,
            Event::Put(item) => Some(&item.key),
            Event::Delete { key, .. } => Some(key),
        }
    }
}

/// Why the hub stopped feeding a watcher.
#[derive(Debug, Clone, Copy)]
enum EndReason {
    FellBehind { capacity: usize },
    BackendClosed,
}

/// A stream of [`Event`]s, from [`Backend::watch`](crate::Backend::watch).
///
/// Read it with [`Watcher::recv`] or as a [`futures::Stream`]. It ends (`None`) after
/// yielding one error when the backend closes ([`BackendError::Closed`]) or when it fell
/// behind ([`BackendError::WatcherFellBehind`]). Dropping it unregisters it.
#[derive(Debug)]
pub struct Watcher {
    rx: mpsc::Receiver<Event>,
    end: Arc<OnceLock<EndReason>>,
    hub: Weak<Mutex<HubState>>,
    id: u64,
    prefixes: Vec<Vec<u8>>,
    finished: bool,
}

impl Watcher {
    /// The next event; `Some(Err(..))` once when the watcher is closed, then `None`.
    pub async fn recv(&mut self) -> Option<Result<Event>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The prefixes this watcher follows; empty means every key.
    pub fn prefixes(&self) -> &[Vec<u8>] {
        &self.prefixes
    }
}

impl Stream for Watcher {
    type Item = Result<Event>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.finished {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(event)) => Poll::Ready(Some(Ok(event))),
            Poll::Ready(None) => {
                self.finished = true;
                Poll::Ready(match self.end.get() {
                    Some(EndReason::FellBehind { capacity }) => {
                        Some(Err(BackendError::WatcherFellBehind {
                            capacity: *capacity,
                        }))
                    }
                    Some(EndReason::BackendClosed) => Some(Err(BackendError::Closed)),
                    None => None,
                })
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            let mut state = lock_unpoisoned(&hub);
            state.watchers.retain(|watcher| watcher.id != self.id);
        }
    }
}

#[derive(Debug)]
struct Registered {
    id: u64,
    prefixes: Vec<Vec<u8>>,
    tx: mpsc::Sender<Event>,
    end: Arc<OnceLock<EndReason>>,
}

impl Registered {
    fn wants(&self, key: &[u8]) -> bool {
        self.prefixes.is_empty() || self.prefixes.iter().any(|p| key.starts_with(p))
    }
}

#[derive(Debug, Default)]
struct HubState {
    next_id: u64,
    watchers: Vec<Registered>,
    closed: bool,
}

/// The registry of a backend's watchers. Callers publish under their writer lock so that
/// events leave in revision order.
#[derive(Debug)]
pub(crate) struct WatchHub {
    state: Arc<Mutex<HubState>>,
    capacity: usize,
}

impl WatchHub {
    /// A hub whose watchers hold up to `capacity` events (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        WatchHub {
            state: Arc::new(Mutex::new(HubState::default())),
            capacity: capacity.max(1),
        }
    }

    /// Registers a watcher and queues its `Init` event. The caller holds its writer lock so
    /// that no event at or below `revision` can follow.
    pub(crate) fn register(&self, prefixes: Vec<Vec<u8>>, revision: u64) -> Result<Watcher> {
        let mut state = lock_unpoisoned(&self.state);
        if state.closed {
            return Err(BackendError::Closed);
        }
        let (tx, rx) = mpsc::channel(self.capacity);
        // A fresh channel with capacity >= 1 always takes the first event.
        let _ = tx.try_send(Event::Init { revision });
        let end = Arc::new(OnceLock::new());
        let id = state.next_id;
        state.next_id += 1;
        state.watchers.push(Registered {
            id,
            prefixes: prefixes.clone(),
            tx,
            end: Arc::clone(&end),
        });
        Ok(Watcher {
            rx,
            end,
            hub: Arc::downgrade(&self.state),
            id,
            prefixes,
            finished: false,
        })
    }

    /// Sends the event built by `make` to every watcher of `key`; builds nothing when no
    /// watcher is registered. Watchers whose buffer is full are closed as fallen behind.
    pub(crate) fn publish(&self, key: &[u8], make: impl FnOnce() -> Event) {
        let mut state = lock_unpoisoned(&self.state);
        if !state.watchers.iter().any(|w| w.wants(key)) {
            return;
        }
        let event = make();
        let capacity = self.capacity;
        state.watchers.retain(|watcher| {
            if !watcher.wants(key) {
                return true;
            }
            match watcher.tx.try_send(event.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    let _ = watcher.end.set(EndReason::FellBehind { capacity });
                    tracing::warn!(
                        capacity,
                        "closing a backend watcher that fell behind its event buffer"
                    );
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
    }

    /// Ends every watcher with [`BackendError::Closed`] and refuses new ones.
    pub(crate) fn close(&self) {
        let mut state = lock_unpoisoned(&self.state);
        state.closed = true;
        for watcher in state.watchers.drain(..) {
            let _ = watcher.end.set(EndReason::BackendClosed);
        }
    }

    /// How many watchers are registered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock_unpoisoned(&self.state).watchers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, revision: u64) -> Event {
        let mut item = Item::new(key, "v");
        item.revision = revision;
        Event::Put(item)
    }

    #[tokio::test]
    async fn init_then_matching_events() {
        let hub = WatchHub::new(8);
        let mut watcher = hub.register(vec![b"/a/".to_vec()], 7).unwrap();
        hub.publish(b"/b/x", || put("/b/x", 8));
        hub.publish(b"/a/x", || put("/a/x", 9));
        assert_eq!(
            watcher.recv().await.unwrap().unwrap(),
            Event::Init { revision: 7 }
        );
        assert_eq!(watcher.recv().await.unwrap().unwrap(), put("/a/x", 9));
    }

    #[tokio::test]
    async fn full_buffer_closes_watcher_after_its_events() {
        let hub = WatchHub::new(2);
        let mut watcher = hub.register(Vec::new(), 0).unwrap();
        hub.publish(b"/k", || put("/k", 1));
        hub.publish(b"/k", || put("/k", 2)); // buffer holds Init and rev 1: rev 2 overflows
        assert_eq!(hub.len(), 0);
        assert!(matches!(watcher.recv().await, Some(Ok(Event::Init { .. }))));
        assert_eq!(watcher.recv().await.unwrap().unwrap(), put("/k", 1));
        let err = watcher.recv().await.unwrap().unwrap_err();
        assert!(
            matches!(err, BackendError::WatcherFellBehind { capacity: 2 }),
            "{err}"
        );
        assert!(watcher.recv().await.is_none());
    }

    #[tokio::test]
    async fn dropping_a_watcher_unregisters_it() {
        let hub = WatchHub::new(4);
        let first = hub.register(Vec::new(), 0).unwrap();
        let _second = hub.register(Vec::new(), 0).unwrap();
        assert_eq!(hub.len(), 2);
        drop(first);
        assert_eq!(hub.len(), 1);
    }

    #[tokio::test]
    async fn close_ends_watchers_with_closed() {
        let hub = WatchHub::new(4);
        let mut watcher = hub.register(Vec::new(), 3).unwrap();
        hub.close();
        assert!(matches!(
            watcher.recv().await,
            Some(Ok(Event::Init { revision: 3 }))
        ));
        assert!(matches!(
            watcher.recv().await,
            Some(Err(BackendError::Closed))
        ));
        assert!(watcher.recv().await.is_none());
        assert!(matches!(
            hub.register(Vec::new(), 3),
            Err(BackendError::Closed)
        ));
    }
}
