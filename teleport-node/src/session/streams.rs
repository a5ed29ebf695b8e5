//! Copying a session's streams: the command's output to the client (recorded first,
//! shown to the session's other parties, watched for file copies), and the client's
//! input to the command.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::FutureExt as _;
use teleport_audit::event::ScpAction;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::debug;

use super::files::{FileTransfer, ScpCommand, ScpCounter, SftpTracker};
use super::live::LiveSession;
use super::record::SessionRecording;

/// The size of the buffer output is copied with.
const COPY_BUFFER: usize = 64 * 1024;
/// How long the output is still copied after the command exits (background processes
/// may keep the terminal or pipes open).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// What a session watches in its streams for file copy events.
pub(crate) enum Observer {
    /// Nothing.
    None,
    /// A legacy scp command and the sender's side of its stream.
    Scp(ScpCommand, ScpCounter),
    /// An SFTP session.
    Sftp(Box<SftpTracker>),
}

/// An [`Observer`] shared by the input and output copies.
pub(crate) type SharedObserver = Arc<Mutex<Observer>>;

impl Observer {
    /// Follows bytes the command printed.
    fn output(&mut self, chunk: &[u8]) {
        match self {
            Observer::Scp(cmd, counter) if cmd.action == ScpAction::Download => counter.feed(chunk),
            Observer::Sftp(tracker) => tracker.server_sent(chunk),
            _ => {}
        }
    }

    /// Follows bytes the client sent; returns the files that finished.
    pub(crate) fn input(&mut self, chunk: &[u8]) -> Vec<FileTransfer> {
        match self {
            Observer::Scp(cmd, counter) if cmd.action == ScpAction::Upload => {
                counter.feed(chunk);
                Vec::new()
            }
            Observer::Sftp(tracker) => tracker.client_sent(chunk),
            _ => Vec::new(),
        }
    }
}

/// Runs `f` on the observer.
pub(crate) fn observe<T>(observer: &SharedObserver, f: impl FnOnce(&mut Observer) -> T) -> T {
    f(&mut observer.lock().unwrap_or_else(PoisonError::into_inner))
}

/// Where a copy of output goes besides the client.
#[derive(Default)]
pub(crate) struct Taps {
    /// The session's recording: written before the client sees the bytes; a failed
    /// write stops the copy and is reported on `failed`.
    pub(crate) recording: Option<Arc<SessionRecording>>,
    /// The session's other parties.
    pub(crate) live: Option<Arc<LiveSession>>,
    /// The file copy observer.
    pub(crate) observer: Option<SharedObserver>,
}

/// Copies `from` to `to` until `from` ends (or the client stops taking output).
pub(crate) async fn pump<R, W>(mut from: R, mut to: W, taps: Taps, failed: mpsc::Sender<String>)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut client_open = true;
    loop {
        let mut n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // A command writing in small pieces (8 KiB for most tools) would cost one SSH
        // packet and one send each: take what else is ready now, without waiting, so
        // packets go out up to the client's size. An end or error seen here is seen
        // again by the next read.
        while n < buf.len() {
            match from.read(&mut buf[n..]).now_or_never() {
                Some(Ok(more)) if more > 0 => n += more,
                _ => break,
            }
        }
        let chunk = &buf[..n];
        if let Some(recording) = &taps.recording {
            if let Err(err) = recording.output(chunk).await {
                let _ = failed.try_send(err.to_string());
                break;
            }
        }
        if let Some(live) = &taps.live {
            live.publish(chunk);
        }
        if let Some(observer) = &taps.observer {
            observe(observer, |o| o.output(chunk));
        }
        // Other parties may still watch after the client that started it left.
        if client_open && to.write_all(chunk).await.is_err() {
            client_open = false;
            if taps.live.is_none() {
                break;
            }
        }
    }
    let _ = to.flush().await;
}

/// Writes what the client sends to the command's input until every sender is dropped.
pub(crate) async fn feed<W: AsyncWrite + Unpin>(mut rx: mpsc::Receiver<Vec<u8>>, mut to: W) {
    while let Some(data) = rx.recv().await {
        if to.write_all(&data).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Waits for the output copies to finish, at most [`DRAIN_TIMEOUT`]; stops the rest.
pub(crate) async fn drain(tasks: Vec<JoinHandle<()>>) {
    let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
    let wait = async move {
        for task in tasks {
            let _ = task.await;
        }
    };
    if tokio::time::timeout(DRAIN_TIMEOUT, wait).await.is_err() {
        debug!("output still open after the command exited; stopped copying it");
    }
    for abort in aborts {
        abort.abort();
    }
}

/// Sleeps until `at`, or for ever when there is no deadline.
pub(crate) async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
