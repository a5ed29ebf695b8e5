//! Running a session's command as its OS user: the login environment, the terminal or
//! pipes, copying the streams (recording a terminal's output before the client sees
//! it), window changes, signals, the exit status, and the session's audit events.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use nix::sys::signal::Signal;
use russh::server::{Handle, Msg};
use russh::{ChannelId, ChannelMsg, ChannelReadHalf, ChannelWriteHalf, Sig};
use teleport_audit::event::{
    CommandMetadata, Exec, Resize, Scp, SessionEnd, SessionLeave, SessionMetadata, SessionStart,
    Subsystem,
};
use teleport_audit::{AuditEvent, EventPayload};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::files::{self, FileTransfer, ScpCommand, ScpCounter, SftpTracker};
use super::record::SessionRecording;
use super::{fail, reply, Setup, Start};
use crate::conn::ConnContext;
use crate::forward::AgentSocket;
use crate::os::{self, ChildIo, OsUser, SpawnRequest};

/// The SFTP server run for the `sftp` subsystem (Debian's `openssh-sftp-server`).
pub(crate) const SFTP_SERVER: &str = "/usr/lib/openssh/sftp-server";

/// `PATH` for ordinary users and for root, as Debian's login sets them.
const USER_PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games";
const ROOT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How long the output is still copied after the command exits (background processes
/// may keep the terminal or pipes open).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a command may run on after its client went away and it got `SIGHUP`.
const HANGUP_GRACE: Duration = Duration::from_secs(5);

/// The size of the buffer output is copied with.
const COPY_BUFFER: usize = 64 * 1024;

/// What a session watches in its streams for file copy events.
enum Observer {
    /// Nothing.
    None,
    /// A legacy scp command and the sender's side of its stream.
    Scp(ScpCommand, ScpCounter),
    /// An SFTP session.
    Sftp(Box<SftpTracker>),
}

type SharedObserver = Arc<Mutex<Observer>>;

fn observe(
    observer: &SharedObserver,
    f: impl FnOnce(&mut Observer) -> Vec<FileTransfer>,
) -> Vec<FileTransfer> {
    f(&mut observer.lock().unwrap_or_else(PoisonError::into_inner))
}

/// A session that is about to run.
pub(crate) struct Session {
    pub(crate) ctx: Arc<ConnContext>,
    pub(crate) id: ChannelId,
    pub(crate) sid: String,
    pub(crate) user: OsUser,
    pub(crate) setup: Setup,
    pub(crate) start: Start,
    pub(crate) handle: Handle,
}

fn ssh_sig(signo: i32) -> Sig {
    match os::signal_name(signo).as_str() {
        "ABRT" => Sig::ABRT,
        "ALRM" => Sig::ALRM,
        "FPE" => Sig::FPE,
        "HUP" => Sig::HUP,
        "ILL" => Sig::ILL,
        "INT" => Sig::INT,
        "KILL" => Sig::KILL,
        "PIPE" => Sig::PIPE,
        "QUIT" => Sig::QUIT,
        "SEGV" => Sig::SEGV,
        "TERM" => Sig::TERM,
        "USR1" => Sig::USR1,
        other => Sig::Custom(other.to_string()),
    }
}

fn sig_name(sig: &Sig) -> String {
    match sig {
        Sig::ABRT => "ABRT".into(),
        Sig::ALRM => "ALRM".into(),
        Sig::FPE => "FPE".into(),
        Sig::HUP => "HUP".into(),
        Sig::ILL => "ILL".into(),
        Sig::INT => "INT".into(),
        Sig::KILL => "KILL".into(),
        Sig::PIPE => "PIPE".into(),
        Sig::QUIT => "QUIT".into(),
        Sig::SEGV => "SEGV".into(),
        Sig::TERM => "TERM".into(),
        Sig::USR1 => "USR1".into(),
        Sig::Custom(name) => name.clone(),
    }
}

/// Copies `from` to `to` until `from` ends, recording first when there is a
/// recording (a failed recording stops the copy: nothing reaches the client
/// unrecorded) and showing every chunk to `observer`.
async fn pump<R, W>(
    mut from: R,
    mut to: W,
    recording: Option<Arc<SessionRecording>>,
    observer: Option<SharedObserver>,
    failed: mpsc::Sender<String>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; COPY_BUFFER];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        if let Some(recording) = &recording {
            if let Err(err) = recording.output(chunk).await {
                let _ = failed.try_send(err.to_string());
                break;
            }
        }
        if let Some(observer) = &observer {
            observe(observer, |o| {
                match o {
                    Observer::Scp(cmd, counter)
                        if cmd.action == teleport_audit::event::ScpAction::Download =>
                    {
                        counter.feed(chunk)
                    }
                    Observer::Sftp(tracker) => tracker.server_sent(chunk),
                    _ => {}
                }
                Vec::new()
            });
        }
        if to.write_all(chunk).await.is_err() {
            break;
        }
    }
    let _ = to.flush().await;
}

/// Writes what the client sends to the command's input until the sender is dropped.
async fn feed<W: AsyncWrite + Unpin>(mut rx: mpsc::Receiver<Vec<u8>>, mut to: W) {
    while let Some(data) = rx.recv().await {
        if to.write_all(&data).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl Session {
    fn session_meta(&self) -> SessionMetadata {
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

    /// The login environment of the user, plus what the client may set.
    fn environment(&self, agent: Option<&Path>) -> Vec<(String, String)> {
        let user = &self.user;
        let ctx = &self.ctx;
        let path = if user.uid == 0 { ROOT_PATH } else { USER_PATH };
        let mut env: Vec<(String, String)> = vec![
            ("HOME".into(), user.home.display().to_string()),
            ("USER".into(), user.name.clone()),
            ("LOGNAME".into(), user.name.clone()),
            ("SHELL".into(), user.shell.display().to_string()),
            ("PATH".into(), path.into()),
        ];
        env.extend(self.setup.env.iter().cloned());
        if let Some(terminal) = &self.setup.terminal {
            env.retain(|(k, _)| k != "TERM");
            env.push(("TERM".into(), terminal.term.clone()));
        }
        env.push((
            "SSH_CLIENT".into(),
            format!("{} {} {}", ctx.peer.ip(), ctx.peer.port(), ctx.local.port()),
        ));
        env.push((
            "SSH_CONNECTION".into(),
            format!(
                "{} {} {} {}",
                ctx.peer.ip(),
                ctx.peer.port(),
                ctx.local.ip(),
                ctx.local.port()
            ),
        ));
        env.push(("SSH_SESSION_ID".into(), self.sid.clone()));
        env.push(("SSH_TELEPORT_USER".into(), ctx.user.clone()));
        env.push(("SSH_TELEPORT_HOST_UUID".into(), ctx.node.server_id.clone()));
        env.push((
            "SSH_TELEPORT_CLUSTER_NAME".into(),
            ctx.node.cluster_name.clone(),
        ));
        if let Some(agent) = agent {
            env.push(("SSH_AUTH_SOCK".into(), agent.display().to_string()));
        }
        env
    }

    fn spawn_request(
        &self,
        env: Vec<(String, String)>,
        terminal: Option<std::os::fd::OwnedFd>,
    ) -> SpawnRequest {
        let user = &self.user;
        let (program, arg0, args) = match &self.start {
            Start::Shell => {
                let name = user
                    .shell
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "sh".into());
                (user.shell.clone(), Some(format!("-{name}")), Vec::new())
            }
            Start::Exec(command) => (user.shell.clone(), None, vec!["-c".into(), command.clone()]),
            Start::Subsystem(_) => (PathBuf::from(SFTP_SERVER), None, Vec::new()),
        };
        let cwd = if user.home.is_dir() {
            user.home.clone()
        } else {
            PathBuf::from("/")
        };
        let credentials = (self.ctx.node.own_uid == 0).then(|| os::spawn::Credentials {
            uid: user.uid,
            gid: user.gid,
            groups: user.groups.clone(),
        });
        SpawnRequest {
            program,
            arg0,
            args,
            env,
            cwd,
            credentials,
            terminal,
        }
    }

    async fn emit_both(&self, recording: Option<&SessionRecording>, payload: EventPayload) {
        let node = &self.ctx.node;
        let event = AuditEvent::new(payload, &node.cluster_name, node.clock.as_ref());
        if let Some(recording) = recording {
            recording.event(event.clone()).await;
        }
        node.emit_event(event).await;
    }

    async fn emit_transfers(&self, transfers: Vec<FileTransfer>) {
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

    /// Runs the session to its end.
    pub(crate) async fn run(self, mut rx: ChannelReadHalf, tx: ChannelWriteHalf<Msg>) {
        let ctx = Arc::clone(&self.ctx);
        let is_subsystem = matches!(self.start, Start::Subsystem(_));
        let terminal = self.setup.terminal.clone().filter(|_| !is_subsystem);
        let observer: SharedObserver = Arc::new(Mutex::new(match &self.start {
            Start::Exec(command) => match files::parse_scp(command) {
                Some(scp) => Observer::Scp(scp, ScpCounter::default()),
                None => Observer::None,
            },
            Start::Subsystem(_) => Observer::Sftp(Box::default()),
            Start::Shell => Observer::None,
        }));

        let agent = if self.setup.agent {
            match AgentSocket::start(self.handle.clone(), self.user.uid, self.user.gid) {
                Ok(agent) => Some(agent),
                Err(err) => {
                    warn!(error = %err, "could not create the agent socket");
                    None
                }
            }
        } else {
            None
        };

        let recording = match &terminal {
            Some(t) => match SessionRecording::open(&ctx, &self.sid, t.cols, t.rows).await {
                Ok(recording) => Some(recording),
                Err(err) => {
                    let reason = format!("the session cannot be recorded: {err}");
                    reply(&self.handle, self.id, true).await;
                    super::audit_refused(&ctx, &self.sid, &self.start, &reason).await;
                    fail(&tx, &format!("teleport: {reason}")).await;
                    return;
                }
            },
            None => None,
        };

        let env = self.environment(agent.as_ref().map(AgentSocket::path));
        let pty = match &terminal {
            Some(t) => match os::open_pty(t.cols, t.rows).and_then(|pty| {
                pty.give_to(self.user.uid, self.user.gid)?;
                pty.into_parts()
            }) {
                Ok(parts) => Some(parts),
                Err(err) => {
                    self.abort(
                        &tx,
                        recording.as_deref(),
                        &format!("cannot allocate a terminal: {err}"),
                    )
                    .await;
                    return;
                }
            },
            None => None,
        };
        let (pty_io, slave) = match pty {
            Some((reader, writer, control, slave)) => {
                (Some((reader, writer, control)), Some(slave))
            }
            None => (None, None),
        };
        let spawned = match os::spawn(self.spawn_request(env, slave)) {
            Ok(spawned) => spawned,
            Err(err) => {
                let what = match &self.start {
                    Start::Subsystem(_) => SFTP_SERVER.to_string(),
                    _ => self.user.shell.display().to_string(),
                };
                self.abort(
                    &tx,
                    recording.as_deref(),
                    &format!("Failed to launch {what}: {err}"),
                )
                .await;
                return;
            }
        };
        reply(&self.handle, self.id, true).await;
        let started = ctx.node.clock.now();
        let size = terminal
            .as_ref()
            .map(|t| format!("{}:{}", t.cols, t.rows))
            .unwrap_or_default();
        if !is_subsystem {
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

        let (failed_tx, mut failed_rx) = mpsc::channel::<String>(1);
        let (stdin_tx, stdin_rx) = mpsc::channel::<Vec<u8>>(16);
        let mut child = spawned.child;
        let pid = child.id();
        let mut pumps: Vec<JoinHandle<()>> = Vec::new();
        let mut control = None;
        match (spawned.io, pty_io) {
            (ChildIo::Terminal, Some((reader, writer, pty_control))) => {
                control = Some(pty_control);
                pumps.push(tokio::spawn(pump(
                    reader,
                    tx.make_writer(),
                    recording.clone(),
                    None,
                    failed_tx.clone(),
                )));
                pumps.push(tokio::spawn(feed(stdin_rx, writer)));
            }
            (
                ChildIo::Pipes {
                    stdin,
                    stdout,
                    stderr,
                },
                _,
            ) => {
                pumps.push(tokio::spawn(pump(
                    stdout,
                    tx.make_writer(),
                    None,
                    Some(Arc::clone(&observer)),
                    failed_tx.clone(),
                )));
                pumps.push(tokio::spawn(pump(
                    stderr,
                    tx.make_writer_ext(Some(1)),
                    None,
                    None,
                    failed_tx.clone(),
                )));
                pumps.push(tokio::spawn(feed(stdin_rx, stdin)));
            }
            (ChildIo::Terminal, None) => {
                warn!("a terminal command started without its terminal");
            }
        }
        drop(failed_tx);
        let mut stdin_tx = Some(stdin_tx);
        let mut client_gone = false;
        let mut kill_at: Option<tokio::time::Instant> = None;
        let mut recording_failure: Option<String> = None;
        let status = loop {
            tokio::select! {
                status = child.wait() => break status,
                msg = rx.wait(), if !client_gone => match msg {
                    Some(ChannelMsg::Data { data }) => {
                        let done = observe(&observer, |o| match o {
                            Observer::Scp(cmd, counter) if cmd.action == teleport_audit::event::ScpAction::Upload => {
                                counter.feed(&data);
                                Vec::new()
                            }
                            Observer::Sftp(tracker) => tracker.client_sent(&data),
                            _ => Vec::new(),
                        });
                        self.emit_transfers(done).await;
                        if let Some(stdin) = &stdin_tx {
                            if stdin.send(data.to_vec()).await.is_err() {
                                stdin_tx = None;
                            }
                        }
                    }
                    Some(ChannelMsg::Eof) => {
                        if control.is_none() {
                            stdin_tx = None;
                        }
                    }
                    Some(ChannelMsg::WindowChange { col_width, row_height, .. }) => {
                        let (cols, rows) = (super::dimension(col_width), super::dimension(row_height));
                        if let Some(control) = &control {
                            if let Err(err) = control.resize(cols, rows) {
                                debug!(error = %err, "terminal resize failed");
                            }
                            if let Some(recording) = &recording {
                                if let Err(err) = recording.resize(cols, rows).await {
                                    recording_failure = Some(err.to_string());
                                    if let Some(pid) = pid {
                                        let _ = os::signal_group(pid, Signal::SIGKILL);
                                    }
                                }
                            }
                            ctx.node.emit(EventPayload::Resize(Resize {
                                user: ctx.user_meta(),
                                session: self.session_meta(),
                                connection: ctx.conn_meta(),
                                server: ctx.server_meta(),
                                size: format!("{cols}:{rows}"),
                            })).await;
                        }
                    }
                    Some(ChannelMsg::Signal { signal }) => {
                        match (os::signal_by_name(&sig_name(&signal)), pid) {
                            (Some(signal), Some(pid)) => {
                                if let Err(err) = os::signal_group(pid, signal) {
                                    debug!(error = %err, "could not deliver a signal");
                                }
                            }
                            _ => debug!(signal = ?signal, "ignored a signal request"),
                        }
                    }
                    Some(ChannelMsg::Close) | None => {
                        client_gone = true;
                        stdin_tx = None;
                        if let Some(pid) = pid {
                            let _ = os::signal_group(pid, Signal::SIGHUP);
                        }
                        kill_at = Some(tokio::time::Instant::now() + HANGUP_GRACE);
                    }
                    Some(ChannelMsg::RequestPty { .. } | ChannelMsg::RequestShell { .. }
                        | ChannelMsg::Exec { .. } | ChannelMsg::RequestSubsystem { .. }
                        | ChannelMsg::SetEnv { .. } | ChannelMsg::RequestX11 { .. }) => {
                        reply(&self.handle, self.id, false).await;
                    }
                    Some(_) => {}
                },
                Some(reason) = failed_rx.recv() => {
                    recording_failure = Some(reason);
                    if let Some(pid) = pid {
                        let _ = os::signal_group(pid, Signal::SIGKILL);
                    }
                }
                _ = sleep_until(kill_at), if kill_at.is_some() => {
                    kill_at = None;
                    if let Some(pid) = pid {
                        let _ = os::signal_group(pid, Signal::SIGKILL);
                    }
                }
            }
        };
        drop(stdin_tx);
        let drain = futures_join(pumps);
        if tokio::time::timeout(DRAIN_TIMEOUT, drain.0).await.is_err() {
            debug!("output still open after the command exited; stopped copying it");
        }
        for task in drain.1 {
            task.abort();
        }

        let (exit_code, exit_error) = match &status {
            Ok(status) => {
                use std::os::unix::process::ExitStatusExt as _;
                match (status.code(), status.signal()) {
                    (Some(code), _) => (code, String::new()),
                    (None, Some(signo)) => (
                        128 + signo,
                        format!("killed by signal {}", os::signal_name(signo)),
                    ),
                    (None, None) => (255, "exited in an unknown way".into()),
                }
            }
            Err(err) => (255, format!("waiting for the command failed: {err}")),
        };
        let exit_error = match &recording_failure {
            Some(reason) => format!("session recording failed: {reason}"),
            None => exit_error,
        };
        if !client_gone {
            if recording_failure.is_some() {
                let mut stderr = tx.make_writer_ext(Some(1));
                let message = format!("\r\nteleport: {exit_error}; the session is ended\r\n");
                let _ = stderr.write_all(message.as_bytes()).await;
                let _ = stderr.flush().await;
            }
            let signalled = status.as_ref().ok().and_then(|s| {
                use std::os::unix::process::ExitStatusExt as _;
                s.signal().map(|signo| (signo, s.core_dumped()))
            });
            match signalled {
                Some((signo, core)) if recording_failure.is_none() => {
                    let _ = self
                        .handle
                        .exit_signal_request(
                            self.id,
                            ssh_sig(signo),
                            core,
                            String::new(),
                            String::new(),
                        )
                        .await;
                }
                _ => {
                    let code = if recording_failure.is_some() && exit_code == 0 {
                        1
                    } else {
                        exit_code
                    };
                    let _ = tx.exit_status(u32::try_from(code).unwrap_or(255)).await;
                }
            }
            let _ = tx.eof().await;
            let _ = tx.close().await;
        }

        self.finish(
            recording.as_deref(),
            &observer,
            exit_code,
            exit_error,
            started,
        )
        .await;
        if let Some(recording) = &recording {
            recording.close().await;
        }
        drop(agent);
    }

    /// Ends a session whose command could not start.
    async fn abort(
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

    /// The events of a finished session.
    async fn finish(
        &self,
        recording: Option<&SessionRecording>,
        observer: &SharedObserver,
        exit_code: i32,
        exit_error: String,
        started: time::OffsetDateTime,
    ) {
        let ctx = &self.ctx;
        let command = CommandMetadata {
            command: self.command_line(),
            exit_code: exit_code.to_string(),
            exit_error: exit_error.clone(),
        };
        let observed = std::mem::replace(
            &mut *observer.lock().unwrap_or_else(PoisonError::into_inner),
            Observer::None,
        );
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
                ctx.node
                    .emit(EventPayload::Subsystem(Subsystem {
                        user: ctx.user_meta(),
                        connection: ctx.conn_meta(),
                        server: ctx.server_meta(),
                        name: name.clone(),
                        exit_error: if exit_code == 0 {
                            String::new()
                        } else {
                            format!("exit status {exit_code} {exit_error}")
                                .trim()
                                .to_string()
                        },
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
                participants: vec![ctx.user.clone()],
                session_start: started,
                session_stop: ctx.node.clock.now(),
            }),
        )
        .await;
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A future that waits for every task, and the tasks' handles to abort the rest if
/// the wait is cut short.
fn futures_join(
    tasks: Vec<JoinHandle<()>>,
) -> (
    impl std::future::Future<Output = ()>,
    Vec<tokio::task::AbortHandle>,
) {
    let aborts = tasks.iter().map(JoinHandle::abort_handle).collect();
    let wait = async move {
        for task in tasks {
            let _ = task.await;
        }
    };
    (wait, aborts)
}
