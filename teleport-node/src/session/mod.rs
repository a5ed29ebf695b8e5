//! A session channel: the requests that set it up (`pty-req`, `env`,
//! `auth-agent-req@openssh.com`), then the one that starts it (`shell`, `exec`,
//! `subsystem`), what it may run, and as whom.
//!
//! Running the command is in [`run`](mod@run), what it is started as in [`login`],
//! copying its streams in [`streams`], its audit events in [`events`], and joining a
//! running session in [`live`].

mod events;
mod files;
mod live;
mod login;
mod record;
mod run;
mod streams;

use std::sync::Arc;

use russh::server::{Handle, Msg};
use russh::{Channel, ChannelId, ChannelMsg, ChannelWriteHalf};
use teleport_audit::event::{
    CommandMetadata, Exec, Scp, SessionMetadata, SessionReject, Subsystem,
};
use teleport_audit::EventPayload;
use tokio::io::AsyncWriteExt as _;
use tracing::{debug, info};

use crate::conn::ConnContext;
use crate::os::OsUser;

pub(crate) use live::Registry;
pub(crate) use login::SFTP_SERVER;

/// The client's terminal, as `pty-req` and `window-change` describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Terminal {
    pub(crate) term: String,
    pub(crate) cols: u16,
    pub(crate) rows: u16,
}

/// What the requests before the start asked for.
#[derive(Debug, Default)]
pub(crate) struct Setup {
    pub(crate) terminal: Option<Terminal>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) agent: bool,
    /// The session to join (`TELEPORT_SESSION`), or the id to give a new one.
    pub(crate) join: Option<String>,
    /// Whether the client's input ended before the session started.
    pub(crate) eof: bool,
}

/// The variable a client sets to join a running session (`tsh join`).
const JOIN_VARIABLE: &str = "TELEPORT_SESSION";

/// What the session runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Start {
    /// The user's login shell.
    Shell,
    /// A command, through the user's shell.
    Exec(String),
    /// A subsystem (only `sftp`).
    Subsystem(String),
}

/// Whether the client may set environment variable `name`: only the locale and the
/// terminal type, as OpenSSH's default `AcceptEnv`.
fn env_allowed(name: &str) -> bool {
    name == "LANG" || name == "TERM" || name.starts_with("LC_")
}

fn dimension(value: u32) -> u16 {
    u16::try_from(value).unwrap_or(u16::MAX)
}

async fn reply(handle: &Handle, id: ChannelId, ok: bool) {
    let _ = if ok {
        handle.channel_success(id).await
    } else {
        handle.channel_failure(id).await
    };
}

/// Serves session channel `channel` of an authenticated connection.
pub(crate) async fn run(ctx: Arc<ConnContext>, channel: Channel<Msg>, handle: Handle) {
    let id = channel.id();
    let (mut rx, tx) = channel.split();
    let mut setup = Setup::default();
    let start = loop {
        let Some(msg) = rx.wait().await else {
            return;
        };
        match msg {
            ChannelMsg::RequestPty {
                term,
                col_width,
                row_height,
                ..
            } => {
                if ctx.permit_pty {
                    setup.terminal = Some(Terminal {
                        term,
                        cols: dimension(col_width),
                        rows: dimension(row_height),
                    });
                } else {
                    ctx.audit_rejected(
                        "the certificate does not permit a terminal (no permit-pty)",
                    )
                    .await;
                }
                reply(&handle, id, ctx.permit_pty).await;
            }
            ChannelMsg::WindowChange {
                col_width,
                row_height,
                ..
            } => {
                if let Some(terminal) = &mut setup.terminal {
                    terminal.cols = dimension(col_width);
                    terminal.rows = dimension(row_height);
                }
            }
            ChannelMsg::SetEnv {
                variable_name,
                variable_value,
                ..
            } => {
                let ok = env_allowed(&variable_name) || variable_name == JOIN_VARIABLE;
                if variable_name == JOIN_VARIABLE {
                    setup.join = Some(variable_value);
                } else if ok {
                    setup.env.push((variable_name, variable_value));
                } else {
                    debug!(name = %variable_name, "ignored an environment variable");
                }
                reply(&handle, id, ok).await;
            }
            // russh has already answered, from the connection's decision.
            ChannelMsg::AgentForward { .. } => setup.agent = ctx.can_forward_agent,
            ChannelMsg::RequestX11 { .. } => {
                reply(&handle, id, false).await;
                ctx.audit_rejected("X11 forwarding is not supported").await;
            }
            ChannelMsg::RequestShell { .. } => break Start::Shell,
            ChannelMsg::Exec { command, .. } => {
                break Start::Exec(String::from_utf8_lossy(&command).into_owned())
            }
            ChannelMsg::RequestSubsystem { name, .. } => break Start::Subsystem(name),
            ChannelMsg::Eof => setup.eof = true,
            ChannelMsg::Close => return,
            // Data and signals before anything runs have nowhere to go.
            _ => {}
        }
    };
    start_session(ctx, id, rx, tx, handle, setup, start).await;
}

/// Ends a session that could not start: `message` on the client's stderr, exit status
/// 1, EOF and close.
async fn fail(tx: &ChannelWriteHalf<Msg>, message: &str) {
    let mut stderr = tx.make_writer_ext(Some(1));
    let _ = stderr.write_all(format!("{message}\r\n").as_bytes()).await;
    let _ = stderr.flush().await;
    let _ = tx.exit_status(1).await;
    let _ = tx.eof().await;
    let _ = tx.close().await;
}

/// The OS user `ctx.login` is, if the node may run commands as them: as root any
/// existing user, otherwise only the node's own user.
fn resolve_user(ctx: &ConnContext) -> Result<OsUser, String> {
    let node = &ctx.node;
    let user = match crate::os::lookup_user(&ctx.login) {
        Ok(Some(user)) => user,
        Ok(None) => {
            return Err(format!(
                "Failed to launch: user {:?} does not exist on node {:?}",
                ctx.login, node.nodename
            ))
        }
        Err(err) => {
            return Err(format!(
                "Failed to launch: cannot look up user {:?}: {err}",
                ctx.login
            ))
        }
    };
    if node.own_uid != 0 && user.uid != node.own_uid {
        return Err(format!(
            "Failed to launch: node {:?} does not run as root and can only serve its own \
             OS user (uid {}), not {:?}",
            node.nodename, node.own_uid, ctx.login
        ));
    }
    Ok(user)
}

/// Audits a session that was refused before it ran: as the event its request would
/// have given, failed.
async fn audit_refused(ctx: &ConnContext, sid: &str, start: &Start, reason: &str) {
    info!(user = %ctx.user, login = %ctx.login, reason, "refused a session request");
    let session = SessionMetadata {
        sid: sid.to_string(),
    };
    let failed = |command: &str| CommandMetadata {
        command: command.to_string(),
        exit_code: "1".to_string(),
        exit_error: reason.to_string(),
    };
    let payload = match start {
        Start::Shell => EventPayload::SessionReject(SessionReject {
            user: ctx.user_meta(),
            server: ctx.server_meta(),
            connection: ctx.conn_meta(),
            reason: reason.to_string(),
            maximum: 0,
        }),
        Start::Exec(command) => match files::parse_scp(command) {
            Some(scp) => EventPayload::Scp(Scp {
                user: ctx.user_meta(),
                connection: ctx.conn_meta(),
                session,
                server: ctx.server_meta(),
                command: failed(command),
                path: scp.path,
                length: 0,
                action: scp.action,
            }),
            None => EventPayload::Exec(Exec {
                user: ctx.user_meta(),
                connection: ctx.conn_meta(),
                session,
                server: ctx.server_meta(),
                command: failed(command),
            }),
        },
        Start::Subsystem(name) => EventPayload::Subsystem(Subsystem {
            user: ctx.user_meta(),
            connection: ctx.conn_meta(),
            server: ctx.server_meta(),
            name: name.clone(),
            exit_error: reason.to_string(),
        }),
    };
    ctx.node.emit(payload).await;
}

const FILE_COPY_DENIED: &str = "file copying (scp/sftp) is not allowed by the user's roles";

async fn start_session(
    ctx: Arc<ConnContext>,
    id: ChannelId,
    rx: russh::ChannelReadHalf,
    tx: ChannelWriteHalf<Msg>,
    handle: Handle,
    setup: Setup,
    start: Start,
) {
    // A shell asking for a session that runs joins it; one asking for an id that does
    // not run starts a new session under that id, as Teleport does.
    let requested = setup
        .join
        .as_deref()
        .filter(|_| start == Start::Shell)
        .and_then(|sid| uuid::Uuid::parse_str(sid).ok())
        .map(|sid| sid.to_string());
    if let Some(live) = requested
        .as_deref()
        .and_then(|sid| ctx.node.sessions.get(sid))
    {
        // Joining gives the session's OS user's terminal: only for that login.
        if live.login() != ctx.login {
            let reason = format!(
                "session {} runs as login {:?}: join it with that login, not {:?}",
                requested.as_deref().unwrap_or_default(),
                live.login(),
                ctx.login
            );
            reply(&handle, id, true).await;
            audit_refused(&ctx, "", &start, &reason).await;
            fail(&tx, &format!("teleport: {reason}")).await;
            return;
        }
        live::join(ctx, id, rx, tx, handle, live).await;
        return;
    }
    let sid = requested.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // Subsystems are answered with a plain failure (the client reports it); shells
    // and commands are accepted and then told why they end, on stderr.
    if let Start::Subsystem(name) = &start {
        let refusal = if name != "sftp" {
            Some(format!("subsystem {name:?} is not supported"))
        } else if !ctx.can_copy_files {
            Some(FILE_COPY_DENIED.to_string())
        } else {
            resolve_user(&ctx).err()
        };
        if let Some(reason) = refusal {
            reply(&handle, id, false).await;
            audit_refused(&ctx, &sid, &start, &reason).await;
            let _ = tx.close().await;
            return;
        }
    }
    if let Start::Exec(command) = &start {
        if !ctx.can_copy_files && files::parse_scp(command).is_some() {
            reply(&handle, id, true).await;
            audit_refused(&ctx, &sid, &start, FILE_COPY_DENIED).await;
            fail(&tx, &format!("teleport: {FILE_COPY_DENIED}")).await;
            return;
        }
    }
    let user = match resolve_user(&ctx) {
        Ok(user) => user,
        Err(reason) => {
            reply(&handle, id, true).await;
            audit_refused(&ctx, &sid, &start, &reason).await;
            fail(&tx, &reason).await;
            return;
        }
    };
    let session = run::Session {
        ctx,
        id,
        sid,
        user,
        setup,
        start,
        handle,
    };
    session.run(rx, tx).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::NodeShared;

    fn ctx(login: &str, own_uid: u32) -> ConnContext {
        let clock: teleport_core::SharedClock = Arc::new(teleport_core::SystemClock);
        let node = NodeShared {
            cluster_name: "c".into(),
            server_id: "id".into(),
            nodename: "node-1".into(),
            advertise_addr: String::new(),
            user_cas: Default::default(),
            labels: crate::NodeLabels::fixed(Default::default()),
            roles: Arc::new(crate::StaticRoles::default()),
            audit: Arc::new(teleport_audit::sink::MemorySink::new()),
            recorder: Arc::new(teleport_audit::recording::FileRecorder::new(
                "/nonexistent",
                teleport_audit::recording::Format::Plain,
            )),
            clock,
            tuning: Default::default(),
            own_uid,
            sessions: Default::default(),
        };
        let addr: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        ConnContext {
            node: Arc::new(node),
            user: "alice".into(),
            login: login.into(),
            peer: addr,
            local: addr,
            can_port_forward: true,
            can_forward_agent: true,
            can_copy_files: true,
            permit_pty: true,
        }
    }

    #[test]
    fn a_node_not_running_as_root_serves_only_its_own_user() {
        assert_eq!(resolve_user(&ctx("root", 0)).unwrap().uid, 0);
        // As uid 4242 (not root), root is someone else.
        let err = resolve_user(&ctx("root", 4242)).unwrap_err();
        assert!(err.contains("does not run as root"), "{err}");
        let err = resolve_user(&ctx("no-such-user-tpnode", 0)).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn only_locale_and_terminal_variables_are_accepted() {
        assert!(env_allowed("LANG"));
        assert!(env_allowed("LC_ALL"));
        assert!(env_allowed("TERM"));
        assert!(!env_allowed("LD_PRELOAD"));
        assert!(!env_allowed("PATH"));
    }
}
