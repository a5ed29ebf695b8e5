//! The writer thread: group commit of concurrent emits.
//!
//! Emitters encode their event, take a slot in the writer's bounded queue (waiting while
//! it is full: backpressure, never an unbounded queue), enqueue the line and wait for an
//! answer. The one writer thread takes what has queued up (up to [`MAX_BATCH`] events or
//! [`MAX_BATCH_BYTES`]), appends each day's lines with one `write`, `fdatasync`s each file
//! once, publishes the new durable lengths and only then answers every emitter of the
//! batch.
//!
//! Emitters answered by one batch come straight back with their next event, a few
//! microseconds apart. Starting the next write on the first of them would split them over
//! two `fsync`s, so the writer lingers (at most [`LINGER`]) until as many requests have
//! arrived as were waiting on the last batch or queued behind it. One emitter alone never
//! waits; 64 closed-loop emitters share one `fsync` per round instead of two. While it
//! lingers the writer sleeps until the last expected emitter wakes it (not once per
//! event: on two cores those wake-ups cost the emitters more than the wait).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use teleport_core::SharedClock;
use time::Date;
use tokio::sync::{oneshot, Semaphore};

use super::layout::{day_path, open_append, sync_dir, DirLock};
use super::recovery::recover_tail;
use crate::sink::AuditError;

/// The most events one batch holds.
pub(crate) const MAX_BATCH: usize = 4096;
/// A batch stops growing past this many bytes.
pub(crate) const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;
/// How many events may wait for the writer before emitters wait to enqueue.
pub(crate) const QUEUE: usize = 4096;
/// The longest the writer waits for the emitters it expects before writing a batch.
pub(crate) const LINGER: Duration = Duration::from_micros(200);
/// How many day files the writer keeps open (today, yesterday for late events, ...).
const OPEN_FILES: usize = 4;

/// What emitters ask of the writer.
#[derive(Debug)]
enum Request {
    /// Append one encoded event (ending in a newline) to the file of `day`.
    Append {
        /// The event's UTC day.
        day: Date,
        /// The JSON line, newline included.
        line: Vec<u8>,
        /// Answered once the line is durable, or with why it is not.
        done: oneshot::Sender<Result<(), AuditError>>,
    },
    /// Finish what came before, then stop.
    Close(oneshot::Sender<()>),
}

/// The emitters' end of the writer's queue.
#[derive(Debug)]
pub(crate) struct Queue {
    requests: Option<mpsc::Sender<Request>>,
    /// One permit per free slot; the writer gives a permit back for each event it takes.
    slots: Arc<Semaphore>,
    arrivals: Arc<Arrivals>,
    writer: Thread,
}

/// Counts events sent to the writer, so that a lingering writer is woken once enough have
/// arrived rather than by every one.
#[derive(Debug)]
struct Arrivals {
    /// Events sent so far.
    sent: AtomicU64,
    /// Wake the writer once `sent` reaches this; `u64::MAX` while it is not lingering.
    wake_at: AtomicU64,
}

impl Arrivals {
    fn new() -> Self {
        Arrivals {
            sent: AtomicU64::new(0),
            wake_at: AtomicU64::new(u64::MAX),
        }
    }
}

impl Queue {
    /// Starts the writer thread on the day files of `dir`, which `lock` holds.
    pub(crate) fn start(
        dir: PathBuf,
        durable: Arc<Durable>,
        clock: SharedClock,
        lock: DirLock,
    ) -> io::Result<(Queue, JoinHandle<()>)> {
        let (requests, received) = mpsc::channel();
        let slots = Arc::new(Semaphore::new(QUEUE));
        let arrivals = Arc::new(Arrivals::new());
        let writer = Writer {
            dir,
            durable,
            clock,
            files: HashMap::new(),
            batches: 0,
            slots: Arc::clone(&slots),
            arrivals: Arc::clone(&arrivals),
            taken: 0,
            _lock: lock,
        };
        let handle = std::thread::Builder::new()
            .name("audit-file-writer".into())
            .spawn(move || writer.run(received))?;
        Ok((
            Queue {
                requests: Some(requests),
                slots,
                arrivals,
                writer: handle.thread().clone(),
            },
            handle,
        ))
    }

    /// Appends `line` (ending in a newline) to the file of `day`; returns once it is
    /// durable.
    pub(crate) async fn append(&self, day: Date, line: Vec<u8>) -> Result<(), AuditError> {
        let slot = self.slots.acquire().await.map_err(|_| AuditError::Closed)?;
        // The writer gives the slot back when it takes the event.
        slot.forget();
        let (done, answer) = oneshot::channel();
        let sent = self
            .requests
            .as_ref()
            .map(|requests| requests.send(Request::Append { day, line, done }));
        if !matches!(sent, Some(Ok(()))) {
            self.slots.add_permits(1);
            return Err(AuditError::Closed);
        }
        let sent = self.arrivals.sent.fetch_add(1, Ordering::SeqCst) + 1;
        if sent >= self.arrivals.wake_at.load(Ordering::SeqCst) {
            self.writer.unpark();
        }
        answer.await.map_err(|_| AuditError::Closed)?
    }

    /// Asks the writer to finish what is queued and stop; returns once it has.
    pub(crate) async fn close(&self) {
        let (done, finished) = oneshot::channel();
        let sent = self
            .requests
            .as_ref()
            .map(|requests| requests.send(Request::Close(done)));
        if matches!(sent, Some(Ok(()))) {
            self.writer.unpark();
            // The writer answers after its last batch is durable and its files closed.
            let _ = finished.await;
        }
    }

    /// Lets go of the queue: the writer finishes what is queued and stops.
    pub(crate) fn disconnect(&mut self) {
        self.requests = None;
    }
}

/// What the writer shares with searches: how much of each day file is durable. Searches
/// read no further, so they never return an event whose `emit` might still fail.
#[derive(Debug, Default)]
pub(crate) struct Durable {
    lengths: Mutex<BTreeMap<Date, u64>>,
}

impl Durable {
    pub(crate) fn new(lengths: BTreeMap<Date, u64>) -> Self {
        Durable {
            lengths: Mutex::new(lengths),
        }
    }

    /// The durable length of every day file this sink knows.
    pub(crate) fn snapshot(&self) -> BTreeMap<Date, u64> {
        self.lock().clone()
    }

    fn set(&self, day: Date, len: u64) {
        self.lock().insert(day, len);
    }

    /// Records a day file about to be created as holding nothing durable yet.
    fn reserve(&self, day: Date) {
        self.lock().entry(day).or_insert(0);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Date, u64>> {
        self.lengths.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The writer's state, owned by its thread.
struct Writer {
    dir: PathBuf,
    durable: Arc<Durable>,
    clock: SharedClock,
    files: HashMap<Date, DayFile>,
    /// Counts batches, to find the least recently used open file.
    batches: u64,
    /// The queue's free slots, given back as events are taken.
    slots: Arc<Semaphore>,
    arrivals: Arc<Arrivals>,
    /// Events taken from the queue so far.
    taken: u64,
    /// Held until the thread ends, so that a closed sink frees its directory.
    _lock: DirLock,
}

struct DayFile {
    file: File,
    path: PathBuf,
    len: u64,
    last_used: u64,
}

/// One event waiting in a batch.
struct Pending {
    day: Date,
    line: Vec<u8>,
    done: oneshot::Sender<Result<(), AuditError>>,
}

/// The events the writer is gathering, and a close request that ends the gathering.
#[derive(Default)]
struct Batch {
    events: Vec<Pending>,
    bytes: usize,
    closing: Option<oneshot::Sender<()>>,
}

impl Batch {
    /// Whether the batch may take another request.
    fn wants_more(&self) -> bool {
        self.closing.is_none() && self.events.len() < MAX_BATCH && self.bytes < MAX_BATCH_BYTES
    }
}

/// Why a day's part of a batch failed, to be told to each of its emitters.
struct Failure {
    action: &'static str,
    path: PathBuf,
    error: io::Error,
}

impl Failure {
    fn to_error(&self) -> AuditError {
        AuditError::io(
            self.action,
            self.path.clone(),
            io::Error::new(self.error.kind(), self.error.to_string()),
        )
    }
}

impl Writer {
    /// Serves requests until the queue is dropped or a close request comes.
    fn run(mut self, requests: mpsc::Receiver<Request>) {
        let mut batch = Batch::default();
        // How many events the next batch should wait for (see the module docs).
        let mut expected = 1;
        while batch.closing.is_none() {
            let Ok(first) = requests.recv() else {
                break;
            };
            self.take(&mut batch, first);
            self.take_queued(&mut batch, &requests);
            self.linger(&mut batch, &requests, expected);
            expected = self.commit(&mut batch).clamp(1, MAX_BATCH);
        }
        // Refuse whatever raced with the close; their emitters get `Closed`.
        self.slots.close();
        while let Ok(request) = requests.try_recv() {
            match request {
                Request::Append { done, .. } => {
                    let _ = done.send(Err(AuditError::Closed));
                }
                Request::Close(done) => {
                    let _ = done.send(());
                }
            }
        }
        let closing = batch.closing.take();
        drop(self);
        if let Some(done) = closing {
            let _ = done.send(());
        }
    }

    /// Waits (at most [`LINGER`]) until `batch` holds `expected` events, taking them as
    /// they come.
    fn linger(&mut self, batch: &mut Batch, requests: &mpsc::Receiver<Request>, expected: usize) {
        let deadline = Instant::now() + LINGER;
        loop {
            self.take_queued(batch, requests);
            let missing = expected.saturating_sub(batch.events.len()) as u64;
            let now = Instant::now();
            if !batch.wants_more() || missing == 0 || now >= deadline {
                break;
            }
            let wake_at = self.taken + missing;
            self.arrivals.wake_at.store(wake_at, Ordering::SeqCst);
            // Sent before `wake_at` was visible: the sender did not wake us.
            if self.arrivals.sent.load(Ordering::SeqCst) < wake_at {
                std::thread::park_timeout(deadline - now);
            }
        }
        self.arrivals.wake_at.store(u64::MAX, Ordering::SeqCst);
    }

    /// Adds `request` to `batch`.
    fn take(&mut self, batch: &mut Batch, request: Request) {
        match request {
            Request::Append { day, line, done } => {
                self.taken += 1;
                self.slots.add_permits(1);
                batch.bytes += line.len();
                batch.events.push(Pending { day, line, done });
            }
            Request::Close(done) => batch.closing = Some(done),
        }
    }

    /// Adds what is already queued to `batch`, while it has room.
    fn take_queued(&mut self, batch: &mut Batch, requests: &mpsc::Receiver<Request>) {
        while batch.wants_more() {
            match requests.try_recv() {
                Ok(request) => self.take(batch, request),
                Err(_) => return,
            }
        }
    }

    /// Writes and syncs `batch`, then answers its emitters. Returns how many events the
    /// next batch can expect: this batch's emitters, who will be back at once, and those
    /// who queued up meanwhile.
    fn commit(&mut self, batch: &mut Batch) -> usize {
        let size = batch.events.len();
        batch.bytes = 0;
        if size == 0 {
            return 1;
        }
        let batch = &mut batch.events;
        self.batches += 1;
        // Usually one day; a batch at midnight or holding late events has two or more.
        let mut days: Vec<Date> = Vec::new();
        for pending in batch.iter() {
            if !days.contains(&pending.day) {
                days.push(pending.day);
            }
        }
        let mut outcomes: Vec<(Date, Result<(), Failure>)> = Vec::with_capacity(days.len());
        let mut buf = Vec::new();
        for day in days {
            buf.clear();
            for pending in batch.iter().filter(|p| p.day == day) {
                buf.extend_from_slice(&pending.line);
            }
            outcomes.push((day, self.append(day, &buf)));
        }
        let queued = QUEUE.saturating_sub(self.slots.available_permits());
        for pending in batch.drain(..) {
            let outcome = outcomes
                .iter()
                .find(|(day, _)| *day == pending.day)
                .map(|(_, outcome)| outcome);
            let answer = match outcome {
                Some(Ok(())) => Ok(()),
                Some(Err(failure)) => Err(failure.to_error()),
                None => Err(AuditError::Closed),
            };
            let _ = pending.done.send(answer);
        }
        size + queued
    }

    /// Appends `bytes` (whole lines) to the file of `day` and makes them durable.
    fn append(&mut self, day: Date, bytes: &[u8]) -> Result<(), Failure> {
        let batches = self.batches;
        let file = self.file(day)?;
        file.last_used = batches;
        let before = file.len;
        if let Err(error) = file.file.write_all(bytes) {
            // Cut off a partial write so the next line starts on a line of its own; if
            // that fails too, reopening the file (and its recovery) will.
            let path = file.path.clone();
            if file.file.set_len(before).is_err() {
                self.files.remove(&day);
            }
            return Err(Failure {
                action: "append to",
                path,
                error,
            });
        }
        // Where the append really ended (O_APPEND leaves the offset there); the lock keeps
        // other writers out, so this is `before + bytes.len()` unless someone ignored it.
        file.len = file
            .file
            .stream_position()
            .unwrap_or(before + bytes.len() as u64);
        if let Err(error) = file.file.sync_data() {
            // After a failed fsync the kernel may have dropped the dirty pages: do not
            // trust this descriptor again.
            let path = file.path.clone();
            self.files.remove(&day);
            return Err(Failure {
                action: "fsync",
                path,
                error,
            });
        }
        let len = file.len;
        self.durable.set(day, len);
        Ok(())
    }

    /// The open file of `day`, opening (and if needed creating) it.
    fn file(&mut self, day: Date) -> Result<&mut DayFile, Failure> {
        if !self.files.contains_key(&day) {
            if self.files.len() >= OPEN_FILES {
                let oldest = self
                    .files
                    .iter()
                    .min_by_key(|(_, f)| f.last_used)
                    .map(|(day, _)| *day);
                if let Some(oldest) = oldest {
                    self.files.remove(&oldest);
                }
            }
            let opened = self.open(day)?;
            self.files.insert(day, opened);
        }
        self.files.get_mut(&day).ok_or_else(|| Failure {
            action: "open",
            path: day_path(&self.dir, day),
            error: io::Error::other("day file vanished from the writer's table"),
        })
    }

    fn open(&self, day: Date) -> Result<DayFile, Failure> {
        let path = day_path(&self.dir, day);
        let fail = |action, error| Failure {
            action,
            path: path.clone(),
            error,
        };
        // Searches must not read past what is durable, even in a file just created.
        self.durable.reserve(day);
        let (file, created) = open_append(&path).map_err(|e| fail("open", e))?;
        let len = if created {
            sync_dir(&self.dir).map_err(|e| match e {
                AuditError::Io { source, .. } => fail("fsync directory of", source),
                other => fail("fsync directory of", io::Error::other(other.to_string())),
            })?;
            0
        } else {
            recover(&file, &path, &self.clock).map_err(|e| fail("recover", e))?
        };
        self.durable.set(day, len);
        Ok(DayFile {
            file,
            path,
            len,
            last_used: self.batches,
        })
    }
}

/// [`recover_tail`] with its error flattened to an I/O error.
fn recover(file: &File, path: &Path, clock: &SharedClock) -> io::Result<u64> {
    recover_tail(file, path, clock.as_ref()).map_err(|e| match e {
        AuditError::Io { source, .. } => source,
        other => io::Error::other(other.to_string()),
    })
}
