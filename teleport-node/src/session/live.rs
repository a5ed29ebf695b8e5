//! Joining a running interactive session, as `tsh join` does: a client that sets
//! `TELEPORT_SESSION=<sid>` before asking for a shell becomes another party of that
//! session. It sees the terminal's output from then on and types into the same
//! terminal; `session.join` and `session.leave` are audited and recorded, and the
//! session's `session.end` names every participant.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use russh::server::{Handle, Msg};
use russh::{ChannelId, ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use teleport_audit::event::{SessionJoin, SessionLeave, SessionMetadata};
use teleport_audit::{AuditEvent, EventPayload};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::{broadcast, mpsc, watch};

use super::record::SessionRecording;
use super::reply;
use crate::conn::ConnContext;

/// How many output chunks a slow party may fall behind before it skips some.
const OUTPUT_BACKLOG: usize = 1024;

/// An interactive session others may join.
pub(crate) struct LiveSession {
    sid: String,
    /// The OS login the session runs as: only that login may join it.
    login: String,
    output: broadcast::Sender<Arc<Vec<u8>>>,
    input: mpsc::Sender<Vec<u8>>,
    parties: Mutex<Vec<String>>,
    ended: watch::Sender<Option<u32>>,
    recording: Option<Arc<SessionRecording>>,
}

impl LiveSession {
    /// A joinable session `sid` started by `user` as `login`, whose terminal takes
    /// `input`.
    pub(crate) fn new(
        sid: &str,
        user: &str,
        login: &str,
        input: mpsc::Sender<Vec<u8>>,
        recording: Option<Arc<SessionRecording>>,
    ) -> Arc<Self> {
        let (output, _) = broadcast::channel(OUTPUT_BACKLOG);
        let (ended, _) = watch::channel(None);
        Arc::new(LiveSession {
            sid: sid.to_string(),
            login: login.to_string(),
            output,
            input,
            parties: Mutex::new(vec![user.to_string()]),
            ended,
            recording,
        })
    }

    /// The OS login the session runs as.
    pub(crate) fn login(&self) -> &str {
        &self.login
    }

    /// Shows `chunk` of terminal output to the parties that joined.
    pub(crate) fn publish(&self, chunk: &[u8]) {
        if self.output.receiver_count() > 0 {
            let _ = self.output.send(Arc::new(chunk.to_vec()));
        }
    }

    /// Tells the parties the session ended with `exit_status`.
    pub(crate) fn end(&self, exit_status: u32) {
        self.ended.send_replace(Some(exit_status));
    }

    /// Every Teleport user who took part, the starter first, each once.
    pub(crate) fn participants(&self) -> Vec<String> {
        self.parties
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn add_party(&self, user: &str) {
        let mut parties = self.parties.lock().unwrap_or_else(PoisonError::into_inner);
        if !parties.iter().any(|p| p == user) {
            parties.push(user.to_string());
        }
    }
}

/// The node's joinable sessions, by session id.
#[derive(Default)]
pub(crate) struct Registry {
    sessions: Mutex<HashMap<String, Arc<LiveSession>>>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<LiveSession>>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn insert(&self, session: Arc<LiveSession>) {
        self.lock().insert(session.sid.clone(), session);
    }

    pub(crate) fn get(&self, sid: &str) -> Option<Arc<LiveSession>> {
        self.lock().get(sid).cloned()
    }

    pub(crate) fn remove(&self, sid: &str) {
        self.lock().remove(sid);
    }
}

async fn emit(ctx: &ConnContext, live: &LiveSession, payload: EventPayload) {
    let event = AuditEvent::new(payload, &ctx.node.cluster_name, ctx.node.clock.as_ref());
    if let Some(recording) = &live.recording {
        recording.event(event.clone()).await;
    }
    ctx.node.emit_event(event).await;
}

/// Serves a party that joined `live` on channel `id` until it leaves or the session
/// ends.
pub(crate) async fn join(
    ctx: Arc<ConnContext>,
    id: ChannelId,
    mut rx: ChannelReadHalf,
    tx: ChannelWriteHalf<Msg>,
    handle: Handle,
    live: Arc<LiveSession>,
) {
    let mut output = live.output.subscribe();
    let mut ended = live.ended.subscribe();
    reply(&handle, id, true).await;
    live.add_party(&ctx.user);
    let session = SessionMetadata {
        sid: live.sid.clone(),
    };
    emit(
        &ctx,
        &live,
        EventPayload::SessionJoin(SessionJoin {
            user: ctx.user_meta(),
            session: session.clone(),
            server: ctx.server_meta(),
            connection: ctx.conn_meta(),
        }),
    )
    .await;
    let mut writer = tx.make_writer();
    let mut exit_status = None;
    loop {
        tokio::select! {
            chunk = output.recv() => match chunk {
                Ok(chunk) => {
                    if writer.write_all(&chunk).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
            msg = rx.wait() => match msg {
                Some(ChannelMsg::Data { data }) => {
                    let _ = live.input.send(data.to_vec()).await;
                }
                Some(ChannelMsg::Close) | None => break,
                Some(_) => {}
            },
            changed = ended.changed() => {
                exit_status = *ended.borrow();
                if changed.is_err() || exit_status.is_some() {
                    // Output printed before the end is still in the backlog.
                    while let Ok(chunk) = output.try_recv() {
                        let _ = writer.write_all(&chunk).await;
                    }
                    break;
                }
            }
        }
    }
    let _ = writer.flush().await;
    emit(
        &ctx,
        &live,
        EventPayload::SessionLeave(SessionLeave {
            user: ctx.user_meta(),
            session,
            server: ctx.server_meta(),
            connection: ctx.conn_meta(),
        }),
    )
    .await;
    let _ = tx.exit_status(exit_status.unwrap_or(0)).await;
    let _ = tx.eof().await;
    let _ = tx.close().await;
}
