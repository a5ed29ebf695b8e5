//! [`SledBackend`]: the default `dir` storage, a sled database at `data_dir/backend`.
//!
//! Layout: `codec` encodes records, `commit` shares flushes between writers, `sync` makes
//! sled's flushes durable, and this file maps the [`Backend`] operations onto sled through
//! the shared [`Txn`] semantics.

mod codec;
mod commit;
mod sync;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use async_trait::async_trait;
use teleport_core::SharedClock;
use time::OffsetDateTime;

use self::commit::{wait_durable, Flush, GroupCommit};
use self::sync::DurableFiles;
use crate::engine::{Table, Txn};
use crate::error::{BackendError, Result};
use crate::expiry::ExpiryIndex;
use crate::item::{Condition, Item, KeyRange, NO_LIMIT};
use crate::lock::DirLock;
use crate::watch::{WatchHub, Watcher, DEFAULT_WATCH_CAPACITY};
use crate::{lock_unpoisoned, Backend};

/// The name of the sled tree holding the items.
const ITEMS_TREE: &str = "items";

/// Tuning for [`SledBackend::open_with`].
#[derive(Debug, Clone)]
pub struct SledOptions {
    cache_capacity: u64,
    watch_capacity: usize,
}

impl Default for SledOptions {
    /// A 64 MiB page cache and watchers of [`DEFAULT_WATCH_CAPACITY`] events.
    fn default() -> Self {
        SledOptions {
            cache_capacity: 64 * 1024 * 1024,
            watch_capacity: DEFAULT_WATCH_CAPACITY,
        }
    }
}

impl SledOptions {
    /// How many bytes of pages sled keeps in memory.
    pub fn cache_capacity(mut self, bytes: u64) -> Self {
        self.cache_capacity = bytes;
        self
    }

    /// How many undelivered events a watcher holds before it is closed as fallen behind.
    pub fn watch_capacity(mut self, events: usize) -> Self {
        self.watch_capacity = events;
        self
    }
}

/// A backend stored in a sled database in one directory, durable on every acknowledged
/// write and locked against a second process.
///
/// - Durability: `put`, `create`, `update`, `compare_and_swap`, `delete` and
///   `delete_range` return only after their change is on disk: sled's flush, then an
///   `fdatasync` of its files (sled 0.34 itself only calls `sync_file_range` on Linux,
///   which survives a crash of the process but not of the machine). Concurrent writers
///   share each flush (group commit), so 64 writers cost a few `fsync`s, not 64.
/// - Visibility: reads and watchers see a change as soon as it is applied, just before it
///   is durable; a write whose flush fails returns an error although readers may have
///   seen it.
/// - Exclusivity: the directory is locked (`teleport.lock`, holding the pid) from `open`
///   until `close` or drop; a second process gets [`BackendError::InUse`] naming the pid.
/// - Revisions come from sled's persistent id generator: they keep increasing across
///   restarts, jumping ahead after one (they are not contiguous).
/// - Reads run on the calling task (sled serves them from memory); flushes run on Tokio's
///   blocking pool.
/// - `open` scans every record once to rebuild the index of expiring keys.
#[derive(Debug)]
pub struct SledBackend {
    path: PathBuf,
    clock: SharedClock,
    store: RwLock<Option<Arc<Store>>>,
    hub: WatchHub,
}

/// The open database; dropped (files closed, lock released) once closed and idle.
struct Store {
    db: ::sled::Db,
    items: ::sled::Tree,
    /// What a flush must `fdatasync` after sled's own flush.
    files: DurableFiles,
    writer: Mutex<Writer>,
    commit: GroupCommit,
    path: PathBuf,
    // Declared last so it is released after sled has closed its files.
    _lock: DirLock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// What the single writer lock guards.
#[derive(Debug)]
struct Writer {
    revision: u64,
    expiry: ExpiryIndex,
    closed: bool,
}

impl SledBackend {
    /// Opens (creating if needed) the database in directory `path` with default options.
    /// This blocks on disk I/O: from async code, call it inside `spawn_blocking`.
    pub fn open(path: impl AsRef<Path>, clock: SharedClock) -> Result<SledBackend> {
        SledBackend::open_with(path, clock, SledOptions::default())
    }

    /// Opens (creating if needed) the database in directory `path`.
    ///
    /// Fails with [`BackendError::InUse`] when another process (or another open backend)
    /// holds the directory, [`BackendError::Lock`] when the directory is unusable, and
    /// [`BackendError::Storage`] or [`BackendError::Corrupt`] when the database cannot be
    /// read.
    pub fn open_with(
        path: impl AsRef<Path>,
        clock: SharedClock,
        options: SledOptions,
    ) -> Result<SledBackend> {
        let path = path.as_ref().to_path_buf();
        let lock = DirLock::acquire(&path)?;
        let opening = || format!("open {}", path.display());
        let config = ::sled::Config::new()
            .path(&path)
            .cache_capacity(options.cache_capacity)
            .flush_every_ms(None)
            .mode(::sled::Mode::HighThroughput);
        let db = open_sled(&config).map_err(|err| BackendError::storage(opening(), err))?;
        let items = db
            .open_tree(ITEMS_TREE)
            .map_err(|err| BackendError::storage(opening(), err))?;
        let files =
            DurableFiles::open(&path).map_err(|err| BackendError::storage(opening(), err))?;
        let mut expiry = ExpiryIndex::default();
        let mut revision = db
            .generate_id()
            .map_err(|err| BackendError::storage(opening(), err))?;
        for entry in items.iter() {
            let (key, record) = entry.map_err(|err| BackendError::storage(opening(), err))?;
            let header = codec::decode_header(&key, &record)?;
            revision = revision.max(header.revision);
            expiry.replace(&key, None, header.expires);
        }
        let store = Store {
            db,
            items,
            files,
            writer: Mutex::new(Writer {
                revision,
                expiry,
                closed: false,
            }),
            commit: GroupCommit::new(revision),
            path: path.clone(),
            _lock: lock,
        };
        Ok(SledBackend {
            path,
            clock,
            store: RwLock::new(Some(Arc::new(store))),
            hub: WatchHub::new(options.watch_capacity),
        })
    }

    /// The storage directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn store(&self) -> Result<Arc<Store>> {
        self.store
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(BackendError::Closed)
    }

    /// Runs `step` under the writer lock; returns its outcome and, when it changed
    /// anything, the revision to wait for. Events leave before the lock is released.
    fn txn<R>(
        &self,
        store: &Store,
        step: impl FnOnce(&mut Txn<'_, SledTable<'_>>) -> Result<R>,
    ) -> (Result<R>, Option<u64>) {
        let mut guard = lock_unpoisoned(&store.writer);
        if guard.closed {
            return (Err(BackendError::Closed), None);
        }
        let writer = &mut *guard;
        let before = writer.revision;
        let mut txn = Txn {
            table: SledTable {
                store,
                revision: &mut writer.revision,
            },
            expiry: &mut writer.expiry,
            hub: &self.hub,
            now: self.clock.now(),
        };
        let outcome = step(&mut txn);
        let after = writer.revision;
        store.commit.mark_applied(after);
        (outcome, (after > before).then_some(after))
    }

    /// Runs `step` and, when it succeeded and changed anything, waits until that is on disk.
    async fn durable_txn<R>(
        &self,
        step: impl FnOnce(&mut Txn<'_, SledTable<'_>>) -> Result<R>,
    ) -> Result<R> {
        let store = self.store()?;
        let (outcome, changed) = self.txn(&store, step);
        let value = outcome?;
        if let Some(revision) = changed {
            wait_durable(&store, revision).await?;
        }
        Ok(value)
    }
}

impl Flush for Store {
    fn group_commit(&self) -> &GroupCommit {
        &self.commit
    }

    fn flush_blocking(&self) -> Result<()> {
        let failed = |err: Box<dyn std::error::Error + Send + Sync>| {
            BackendError::storage(format!("flush {}", self.path.display()), err)
        };
        self.db.flush().map_err(|err| failed(err.into()))?;
        // sled's flush alone is not durable on Linux: see `sync`.
        self.files.sync().map_err(|err| failed(err.into()))
    }
}

/// The items tree seen through the writer lock.
struct SledTable<'a> {
    store: &'a Store,
    revision: &'a mut u64,
}

impl SledTable<'_> {
    fn failed(&self, operation: &str, err: ::sled::Error) -> BackendError {
        BackendError::storage(format!("{operation} in {}", self.store.path.display()), err)
    }
}

impl Table for SledTable<'_> {
    fn load(&self, key: &[u8]) -> Result<Option<Item>> {
        match self.store.items.get(key) {
            Ok(Some(record)) => codec::decode(key, &record).map(Some),
            Ok(None) => Ok(None),
            Err(err) => Err(self.failed("read", err)),
        }
    }

    fn load_range(&self, range: &KeyRange) -> Result<Vec<Item>> {
        let Some(bounds) = range.bounds() else {
            return Ok(Vec::new());
        };
        self.store
            .items
            .range(bounds)
            .map(|entry| match entry {
                Ok((key, record)) => codec::decode(&key, &record),
                Err(err) => Err(self.failed("read a range", err)),
            })
            .collect()
    }

    fn store(&mut self, item: &Item) -> Result<()> {
        self.store
            .items
            .insert(item.key.as_slice(), codec::encode(item))
            .map(drop)
            .map_err(|err| self.failed("write", err))
    }

    fn remove(&mut self, key: &[u8]) -> Result<()> {
        self.store
            .items
            .remove(key)
            .map(drop)
            .map_err(|err| self.failed("delete", err))
    }

    fn next_revision(&mut self) -> Result<u64> {
        let id = self
            .store
            .db
            .generate_id()
            .map_err(|err| self.failed("generate a revision", err))?;
        // sled's ids only increase; the max guards against a damaged id counter.
        let revision = id.saturating_add(1).max(*self.revision + 1);
        *self.revision = revision;
        Ok(revision)
    }
}

/// Opens sled, waiting briefly while sled's own file lock is still held. We hold the
/// directory lock already, so that holder can only be a database this process just closed,
/// whose background threads release their file handles a moment after the last `Db` drops.
fn open_sled(config: &::sled::Config) -> std::result::Result<::sled::Db, ::sled::Error> {
    let deadline = std::time::Instant::now() + SLED_RELEASE_WAIT;
    loop {
        match config.open() {
            Err(::sled::Error::Io(err))
                if err.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            outcome => return outcome,
        }
    }
}

/// Drops the store once nothing else holds it, so that when `close` returns, sled's files
/// and the directory lock are released and the directory can be opened again at once. A
/// flush that just finished may still hold a clone for a moment (it wakes its waiters
/// before it lets go); a read in flight holds one until it ends. Waits at most
/// [`SLED_RELEASE_WAIT`]; after that the last holder releases it.
async fn release(mut store: Arc<Store>) {
    let deadline = std::time::Instant::now() + SLED_RELEASE_WAIT;
    loop {
        match Arc::try_unwrap(store) {
            Ok(store) => return drop(store),
            Err(shared) if std::time::Instant::now() < deadline => {
                store = shared;
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            Err(_) => return,
        }
    }
}

/// How long [`open_sled`] waits for a just-closed database to let go of its files.
const SLED_RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The item in `record` unless it has expired by `now`.
fn live_item(key: &[u8], record: &[u8], now: OffsetDateTime) -> Result<Option<Item>> {
    let item = codec::decode(key, record)?;
    Ok((!item.is_expired(now)).then_some(item))
}

#[async_trait]
impl Backend for SledBackend {
    async fn get(&self, key: &[u8]) -> Result<Item> {
        let store = self.store()?;
        let now = self.clock.now();
        let record = store.items.get(key).map_err(|err| {
            BackendError::storage(format!("read in {}", self.path.display()), err)
        })?;
        match record {
            Some(record) => live_item(key, &record, now)?,
            None => None,
        }
        .ok_or_else(|| BackendError::NotFound { key: key.to_vec() })
    }

    async fn get_range(&self, range: KeyRange, limit: usize) -> Result<Vec<Item>> {
        let store = self.store()?;
        let now = self.clock.now();
        let Some(bounds) = range.bounds() else {
            return Ok(Vec::new());
        };
        let limit = if limit == NO_LIMIT { usize::MAX } else { limit };
        let mut items = Vec::new();
        for entry in store.items.range(bounds) {
            if items.len() >= limit {
                break;
            }
            let (key, record) = entry.map_err(|err| {
                BackendError::storage(format!("read a range in {}", self.path.display()), err)
            })?;
            if let Some(item) = live_item(&key, &record, now)? {
                items.push(item);
            }
        }
        Ok(items)
    }

    async fn put(&self, item: Item) -> Result<u64> {
        self.durable_txn(|txn| txn.write(item, Condition::Always))
            .await
    }

    async fn create(&self, item: Item) -> Result<u64> {
        self.durable_txn(|txn| txn.write(item, Condition::Absent))
            .await
    }

    async fn update(&self, item: Item) -> Result<u64> {
        self.durable_txn(|txn| txn.write(item, Condition::Present))
            .await
    }

    async fn compare_and_swap(&self, expected: &[u8], replace_with: Item) -> Result<u64> {
        self.durable_txn(|txn| txn.write(replace_with, Condition::ValueIs(expected)))
            .await
    }

    async fn delete(&self, key: &[u8]) -> Result<()> {
        self.durable_txn(|txn| txn.delete(key)).await
    }

    async fn delete_range(&self, range: KeyRange) -> Result<usize> {
        self.durable_txn(|txn| txn.delete_range(&range)).await
    }

    async fn watch(&self, prefixes: Vec<Vec<u8>>) -> Result<Watcher> {
        let store = self.store()?;
        // The writer lock keeps writes out, so no event at or below `revision` can follow.
        let writer = lock_unpoisoned(&store.writer);
        if writer.closed {
            return Err(BackendError::Closed);
        }
        self.hub.register(prefixes, writer.revision)
    }

    async fn remove_expired(&self) -> Result<usize> {
        // Not flushed: an expired item that comes back after a crash is still expired.
        let store = self.store()?;
        self.txn(&store, |txn| txn.remove_expired()).0
    }

    async fn close(&self) -> Result<()> {
        let taken = self
            .store
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(store) = taken else {
            return Ok(());
        };
        lock_unpoisoned(&store.writer).closed = true;
        self.hub.close();
        let applied = store.commit.applied();
        let durable = wait_durable(&store, applied).await;
        release(store).await;
        durable
    }

    fn clock(&self) -> &SharedClock {
        &self.clock
    }
}

#[cfg(test)]
mod tests;
