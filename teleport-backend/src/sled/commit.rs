//! Group commit: writers that wait for durability share each flush.
//!
//! A writer applies its change under the writer lock, records its revision as applied and
//! then waits until that revision is durable. The first waiter that finds no flush running
//! becomes the leader: it notes the latest applied revision, flushes (an `fsync`, on a
//! blocking thread) and wakes everyone. Writers that arrived during that flush are covered
//! by the next one, so 64 concurrent writers need a handful of flushes, not 64.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::error::{BackendError, Result};
use crate::lock_unpoisoned;

/// Something whose applied writes a blocking flush makes durable.
pub(crate) trait Flush: Send + Sync + 'static {
    /// The group-commit state of this store.
    fn group_commit(&self) -> &GroupCommit;
    /// Makes every write applied before the call durable. Blocks.
    fn flush_blocking(&self) -> Result<()>;
}

/// Which revisions are applied and which are durable.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    applied: AtomicU64,
    state: Mutex<FlushState>,
    flushed: Notify,
}

#[derive(Debug)]
struct FlushState {
    durable: u64,
    flushing: bool,
}

impl GroupCommit {
    /// Everything up to `durable` is already on disk.
    pub(crate) fn new(durable: u64) -> Self {
        GroupCommit {
            applied: AtomicU64::new(durable),
            state: Mutex::new(FlushState {
                durable,
                flushing: false,
            }),
            flushed: Notify::new(),
        }
    }

    /// Records that every write up to `revision` has been applied to the store.
    pub(crate) fn mark_applied(&self, revision: u64) {
        self.applied.fetch_max(revision, Ordering::AcqRel);
    }

    /// The latest applied revision.
    pub(crate) fn applied(&self) -> u64 {
        self.applied.load(Ordering::Acquire)
    }
}

/// Returns once `revision` (already marked applied) is durable, leading a flush if none is
/// running. A failed flush fails its leader; its followers then lead a flush of their own.
pub(crate) async fn wait_durable<S: Flush>(store: &Arc<S>, revision: u64) -> Result<()> {
    let commit = store.group_commit();
    loop {
        let flushed = commit.flushed.notified();
        tokio::pin!(flushed);
        // Registered before the state is read, so a flush ending in between still wakes us.
        flushed.as_mut().enable();
        let lead = {
            let mut state = lock_unpoisoned(&commit.state);
            if state.durable >= revision {
                return Ok(());
            }
            !std::mem::replace(&mut state.flushing, true)
        };
        if !lead {
            flushed.await;
            continue;
        }
        let turn = FlushTurn {
            store: Arc::clone(store),
            target: commit.applied(),
            succeeded: false,
        };
        let outcome = tokio::task::spawn_blocking(move || {
            let mut turn = turn;
            let outcome = turn.store.flush_blocking();
            turn.succeeded = outcome.is_ok();
            outcome
        })
        .await;
        match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(err)) => return Err(err),
            Err(join) => return Err(BackendError::storage("flush to disk", join)),
        }
    }
}

/// One leader's flush. Dropping it (after the flush, or unrun when the runtime shuts down)
/// publishes the outcome, so waiters never wait on a flush that will not happen.
struct FlushTurn<S: Flush> {
    store: Arc<S>,
    target: u64,
    succeeded: bool,
}

impl<S: Flush> Drop for FlushTurn<S> {
    fn drop(&mut self) {
        let commit = self.store.group_commit();
        {
            let mut state = lock_unpoisoned(&commit.state);
            state.flushing = false;
            if self.succeeded {
                state.durable = state.durable.max(self.target);
            }
        }
        commit.flushed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;

    #[derive(Debug)]
    struct SlowDisk {
        commit: GroupCommit,
        next: Mutex<u64>,
        flushes: AtomicUsize,
        fail: std::sync::atomic::AtomicBool,
    }

    impl Flush for SlowDisk {
        fn group_commit(&self) -> &GroupCommit {
            &self.commit
        }
        fn flush_blocking(&self) -> Result<()> {
            self.flushes.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            if self.fail.load(Ordering::SeqCst) {
                return Err(BackendError::storage("flush to disk", "disk on fire"));
            }
            Ok(())
        }
    }

    impl SlowDisk {
        fn new() -> Arc<Self> {
            Arc::new(SlowDisk {
                commit: GroupCommit::new(0),
                next: Mutex::new(0),
                flushes: AtomicUsize::new(0),
                fail: std::sync::atomic::AtomicBool::new(false),
            })
        }
        fn apply(&self) -> u64 {
            let mut next = self.next.lock().unwrap();
            *next += 1;
            self.commit.mark_applied(*next);
            *next
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_share_flushes() {
        let disk = SlowDisk::new();
        let writers: Vec<_> = (0..64)
            .map(|_| {
                let disk = Arc::clone(&disk);
                tokio::spawn(async move {
                    for _ in 0..10 {
                        let revision = disk.apply();
                        wait_durable(&disk, revision).await.unwrap();
                        assert!(lock_unpoisoned(&disk.commit.state).durable >= revision);
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        let flushes = disk.flushes.load(Ordering::SeqCst);
        assert!(flushes < 640 / 4, "640 writes took {flushes} flushes");
    }

    #[tokio::test]
    async fn durable_revisions_need_no_flush() {
        let disk = SlowDisk::new();
        let revision = disk.apply();
        wait_durable(&disk, revision).await.unwrap();
        wait_durable(&disk, revision).await.unwrap();
        assert_eq!(disk.flushes.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_flush_fails_the_write_and_the_next_one_retries() {
        let disk = SlowDisk::new();
        disk.fail.store(true, Ordering::SeqCst);
        let revision = disk.apply();
        let err = wait_durable(&disk, revision).await.unwrap_err();
        assert!(err.to_string().contains("disk on fire"), "{err}");
        disk.fail.store(false, Ordering::SeqCst);
        wait_durable(&disk, revision).await.unwrap();
    }
}
