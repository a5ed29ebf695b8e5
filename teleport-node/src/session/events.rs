//! The audit events of a session: its start, the files it copied, and what it ran
//! and how that ended; `session.leave` and `session.end` go into the recording too.

use russh::server::Msg;
use russh::ChannelWriteHalf;
use teleport_audit::event::{
    CommandMetadata, Exec, Scp, SessionEnd, SessionLeave, SessionMetadata, SessionStart, Subsystem,
};
use teleport_audit::{AuditEvent, EventPayload};

use super::files::FileTransfer;
use super::record::SessionRecording;
use super::run::Session;
use super::streams::Observer;
use super::{fail, reply, Start};

/// How a session's command ended.
pub(crate) struct Outcome {
    /// The exit status (128 + the signal for a command killed by one).
    pub(crate) exit_code: i32,
    /// Why it failed, empty if it did not.
    pub(crate) exit_error: String,
    /// When the session started.
    pub(crate) started: time::OffsetDateTime,
}

impl Session {
    pub(crate) fn session_meta(&self) -> SessionMetadata {
        SessionMetadata {
            sid: self.sid.clone(),
        }
    }

    /// The command line, for events.
    fn command_line(&self) -> String {
        match &self.start {
            Start::Shell => String::new(),
            Start::Exec(command) => command.clone(),
            Start::Subsystem(name) => name.clone(),
        }
    }

    /// `session.start`, for shells and commands.
    pub(crate) async fn emit_start(&self, size: String) {
        let ctx = &self.ctx;
        if matches!(self.start, Start::Subsystem(_)) {
            return;
        }
        ctx.node
            .emit(EventPayload::SessionStart(SessionStart {
                user: ctx.user_meta(),
                server: ctx.server_meta(),
                connection: ctx.conn_meta(),
                session: self.session_meta(),
                size,
            }))
            .await;
    }

    async fn emit_both(&self, recording: Option<&SessionRecording>, payload: EventPayload) {
        let node = &self.ctx.node;
        let event = AuditEvent::new(payload, &node.cluster_name, node.clock.as_ref());
        if let Some(recording) = recording {
            recording.event(event.clone()).await;
        }
        node.emit_event(event).await;
    }

    /// One `scp` event per file an SFTP session copied.
    pub(crate) async fn emit_transfers(&self, transfers: Vec<FileTransfer>) {
        let ctx = &self.ctx;
        for transfer in transfers {
            ctx.node
                .emit(EventPayload::Scp(Scp {
                    user: ctx.user_meta(),
                    connection: ctx.conn_meta(),
                    session: self.session_meta(),
                    server: ctx.server_meta(),
                    command: CommandMetadata {
                        command: format!("sftp {}", transfer.path),
                        exit_code: "0".into(),
                        exit_error: String::new(),
                    },
                    path: transfer.path,
                    length: transfer.bytes,
                    action: transfer.action,
                }))
                .await;
        }
    }

    /// Ends a session whose command could not start.
    pub(crate) async fn abort(
        &self,
        tx: &ChannelWriteHalf<Msg>,
        recording: Option<&SessionRecording>,
        reason: &str,
    ) {
        reply(&self.handle, self.id, true).await;
        super::audit_refused(&self.ctx, &self.sid, &self.start, reason).await;
        fail(tx, reason).await;
        if let Some(recording) = recording {
            recording.close().await;
        }
    }

    /// The events of a finished session: `exec` or `scp` for a command, `subsystem`
    /// (and the files an SFTP session left open) for a subsystem, then
    /// `session.leave` and `session.end` for shells and commands.
    pub(crate) async fn finish(
        &self,
        recording: Option<&SessionRecording>,
        observed: Observer,
        participants: Vec<String>,
        outcome: Outcome,
    ) {
        let ctx = &self.ctx;
        let command = CommandMetadata {
            command: self.command_line(),
            exit_code: outcome.exit_code.to_string(),
            exit_error: outcome.exit_error.clone(),
        };
        match (&self.start, observed) {
            (Start::Exec(_), Observer::Scp(scp, counter)) => {
                ctx.node
                    .emit(EventPayload::Scp(Scp {
                        user: ctx.user_meta(),
                        connection: ctx.conn_meta(),
                        session: self.session_meta(),
                        server: ctx.server_meta(),
                        command,
                        path: scp.path,
                        length: counter.bytes,
                        action: scp.action,
                    }))
                    .await;
            }
            (Start::Exec(_), _) => {
                ctx.node
                    .emit(EventPayload::Exec(Exec {
                        user: ctx.user_meta(),
                        connection: ctx.conn_meta(),
                        session: self.session_meta(),
                        server: ctx.server_meta(),
                        command,
                    }))
                    .await;
            }
            (Start::Subsystem(name), observed) => {
                if let Observer::Sftp(mut tracker) = observed {
                    self.emit_transfers(tracker.unfinished()).await;
                }
                let exit_error = if outcome.exit_code == 0 {
                    String::new()
                } else {
                    format!("exit status {} {}", outcome.exit_code, outcome.exit_error)
                        .trim()
                        .to_string()
                };
                ctx.node
                    .emit(EventPayload::Subsystem(Subsystem {
                        user: ctx.user_meta(),
                        connection: ctx.conn_meta(),
                        server: ctx.server_meta(),
                        name: name.clone(),
                        exit_error,
                    }))
                    .await;
                return;
            }
            (Start::Shell, _) => {}
        }
        self.emit_both(
            recording,
            EventPayload::SessionLeave(SessionLeave {
                user: ctx.user_meta(),
                session: self.session_meta(),
                server: ctx.server_meta(),
                connection: ctx.conn_meta(),
            }),
        )
        .await;
        self.emit_both(
            recording,
            EventPayload::SessionEnd(SessionEnd {
                user: ctx.user_meta(),
                session: self.session_meta(),
                connection: ctx.conn_meta(),
                server: ctx.server_meta(),
                enhanced_recording: false,
                interactive: self.setup.terminal.is_some(),
                participants,
                session_start: outcome.started,
                session_stop: ctx.node.clock.now(),
            }),
        )
        .await;
    }
}
