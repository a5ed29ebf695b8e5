//! Running a session's command as its OS user: the terminal or pipes, the recording,
//! the agent socket, window changes, signals, the client leaving, and the exit status.

use std::os::unix::process::ExitStatusExt as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::Signal;
use russh::server::{Handle, Msg};
use russh::{ChannelId, ChannelMsg, ChannelReadHalf, ChannelWriteHalf, Sig};
use teleport_audit::event::Resize;
use teleport_audit::EventPayload;
use tokio::io::AsyncWriteExt as _;
use tokio::process::Child;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::events::Outcome;
use super::files::{self, ScpCounter};
use super::live::LiveSession;
use super::record::SessionRecording;
use super::streams::{self, feed, observe, pump, Observer, SharedObserver, Taps};
use super::{fail, login, reply, Setup, Start, Terminal};
use crate::conn::ConnContext;
use crate::forward::AgentSocket;
use crate::os::pty::{PtyControl, PtyReader, PtyWriter};
use crate::os::{self, ChildIo, OsUser};

/// How long a command may run on after its client went away and it got `SIGHUP`.
const HANGUP_GRACE: Duration = Duration::from_secs(5);

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

/// A started command, as the session's main loop drives it.
struct Running {
    child: Child,
    pid: Option<u32>,
    control: Option<PtyControl>,
    stdin: Option<mpsc::Sender<Vec<u8>>>,
    failed: mpsc::Receiver<String>,
}

/// How the main loop ended.
struct Ended {
    status: std::io::Result<std::process::ExitStatus>,
    client_gone: bool,
    recording_failure: Option<String>,
}

type TerminalParts = (PtyReader, PtyWriter, PtyControl);

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

fn sig_name(sig: &Sig) -> &str {
    match sig {
        Sig::ABRT => "ABRT",
        Sig::ALRM => "ALRM",
        Sig::FPE => "FPE",
        Sig::HUP => "HUP",
        Sig::ILL => "ILL",
        Sig::INT => "INT",
        Sig::KILL => "KILL",
        Sig::PIPE => "PIPE",
        Sig::QUIT => "QUIT",
        Sig::SEGV => "SEGV",
        Sig::TERM => "TERM",
        Sig::USR1 => "USR1",
        Sig::Custom(name) => name,
    }
}

fn kill_group(pid: Option<u32>, signal: Signal) {
    if let Some(pid) = pid {
        if let Err(err) = os::signal_group(pid, signal) {
            debug!(error = %err, ?signal, "could not signal the session's processes");
        }
    }
}

impl Session {
    fn terminal(&self) -> Option<Terminal> {
        self.setup
            .terminal
            .clone()
            .filter(|_| !matches!(self.start, Start::Subsystem(_)))
    }

    fn agent(&self) -> Option<AgentSocket> {
        if !self.setup.agent {
            return None;
        }
        AgentSocket::start(self.handle.clone(), self.user.uid, self.user.gid)
            .inspect_err(|err| warn!(error = %err, "could not create the agent socket"))
            .ok()
    }

    /// The terminal pair, its master side split for copying and resizing.
    fn open_terminal(
        &self,
        t: &Terminal,
    ) -> std::io::Result<(TerminalParts, std::os::fd::OwnedFd)> {
        let pty = os::open_pty(t.cols, t.rows)?;
        pty.give_to(self.user.uid, self.user.gid)?;
        let (reader, writer, control, slave) = pty.into_parts()?;
        Ok(((reader, writer, control), slave))
    }

    /// Runs the session to its end.
    pub(crate) async fn run(self, mut rx: ChannelReadHalf, tx: ChannelWriteHalf<Msg>) {
        let ctx = Arc::clone(&self.ctx);
        let terminal = self.terminal();
        let observer: SharedObserver = Arc::new(Mutex::new(match &self.start {
            Start::Exec(command) => match files::parse_scp(command) {
                Some(scp) => Observer::Scp(scp, ScpCounter::default()),
                None => Observer::None,
            },
            Start::Subsystem(_) => Observer::Sftp(Box::default()),
            Start::Shell => Observer::None,
        }));
        let agent = self.agent();

        // Every terminal session is recorded, or does not run.
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
        let (parts, slave) = match terminal.as_ref().map(|t| self.open_terminal(t)).transpose() {
            Ok(Some((parts, slave))) => (Some(parts), Some(slave)),
            Ok(None) => (None, None),
            Err(err) => {
                let reason = format!("cannot allocate a terminal: {err}");
                self.abort(&tx, recording.as_deref(), &reason).await;
                return;
            }
        };
        let env = login::environment(
            &ctx,
            &self.user,
            &self.setup,
            &self.sid,
            agent.as_ref().map(AgentSocket::path),
        );
        let request = login::spawn_request(&ctx, &self.user, &self.start, env, slave);
        let program = request.program.display().to_string();
        let spawned = match os::spawn(request) {
            Ok(spawned) => spawned,
            Err(err) => {
                let reason = format!("Failed to launch {program}: {err}");
                self.abort(&tx, recording.as_deref(), &reason).await;
                return;
            }
        };
        reply(&self.handle, self.id, true).await;
        let started = ctx.node.clock.now();
        self.emit_start(
            terminal
                .as_ref()
                .map(|t| format!("{}:{}", t.cols, t.rows))
                .unwrap_or_default(),
        )
        .await;

        let (stdin_tx, stdin_rx) = mpsc::channel::<Vec<u8>>(16);
        let live = terminal.as_ref().map(|_| {
            let live = LiveSession::new(
                &self.sid,
                &ctx.user,
                &ctx.login,
                stdin_tx.clone(),
                recording.clone(),
            );
            ctx.node.sessions.insert(Arc::clone(&live));
            live
        });
        let (failed_tx, failed) = mpsc::channel::<String>(1);
        let mut pumps: Vec<JoinHandle<()>> = Vec::new();
        let mut control = None;
        match (spawned.io, parts) {
            (ChildIo::Terminal, Some((reader, writer, pty_control))) => {
                control = Some(pty_control);
                let taps = Taps {
                    recording: recording.clone(),
                    live: live.clone(),
                    observer: None,
                };
                pumps.push(tokio::spawn(pump(
                    reader,
                    tx.make_writer(),
                    taps,
                    failed_tx,
                )));
                tokio::spawn(feed(stdin_rx, writer));
            }
            (
                ChildIo::Pipes {
                    stdin,
                    stdout,
                    stderr,
                },
                _,
            ) => {
                let taps = Taps {
                    observer: Some(Arc::clone(&observer)),
                    ..Taps::default()
                };
                pumps.push(tokio::spawn(pump(
                    stdout,
                    tx.make_writer(),
                    taps,
                    failed_tx.clone(),
                )));
                let stderr_writer = tx.make_writer_ext(Some(1));
                pumps.push(tokio::spawn(pump(
                    stderr,
                    stderr_writer,
                    Taps::default(),
                    failed_tx,
                )));
                tokio::spawn(feed(stdin_rx, stdin));
            }
            (ChildIo::Terminal, None) => warn!("a terminal command started without its terminal"),
        }
        let pid = spawned.child.id();
        let mut running = Running {
            child: spawned.child,
            pid,
            // Input that ended before the command started ends it at once.
            stdin: (!self.setup.eof || control.is_some()).then_some(stdin_tx),
            control,
            failed,
        };
        let ended = self
            .drive(&mut rx, &mut running, &observer, recording.as_deref())
            .await;
        drop(running.stdin.take());
        streams::drain(pumps).await;

        let outcome = self.deliver_exit(&tx, &ended, started).await;
        let participants = match &live {
            Some(live) => {
                live.end(u32::try_from(outcome.exit_code).unwrap_or(255));
                ctx.node.sessions.remove(&self.sid);
                live.participants()
            }
            None => vec![ctx.user.clone()],
        };
        let observed = observe(&observer, |o| std::mem::replace(o, Observer::None));
        self.finish(recording.as_deref(), observed, participants, outcome)
            .await;
        if let Some(recording) = &recording {
            recording.close().await;
        }
        drop(agent);
    }

    /// Handles the client's messages until the command exits.
    async fn drive(
        &self,
        rx: &mut ChannelReadHalf,
        running: &mut Running,
        observer: &SharedObserver,
        recording: Option<&SessionRecording>,
    ) -> Ended {
        let mut client_gone = false;
        let mut kill_at: Option<tokio::time::Instant> = None;
        let mut recording_failure: Option<String> = None;
        let status = loop {
            tokio::select! {
                status = running.child.wait() => break status,
                msg = rx.wait(), if !client_gone => match msg {
                    Some(ChannelMsg::Data { data }) => {
                        let done = observe(observer, |o| o.input(&data));
                        self.emit_transfers(done).await;
                        if let Some(stdin) = &running.stdin {
                            if stdin.send(data.to_vec()).await.is_err() {
                                running.stdin = None;
                            }
                        }
                    }
                    // A terminal has no end of input; pipes do.
                    Some(ChannelMsg::Eof) if running.control.is_none() => running.stdin = None,
                    Some(ChannelMsg::WindowChange { col_width, row_height, .. }) => {
                        let (cols, rows) = (super::dimension(col_width), super::dimension(row_height));
                        if let Err(reason) = self.resize(running, recording, cols, rows).await {
                            recording_failure = Some(reason);
                            kill_group(running.pid, Signal::SIGKILL);
                        }
                    }
                    Some(ChannelMsg::Signal { signal }) => match os::signal_by_name(sig_name(&signal)) {
                        Some(signal) => kill_group(running.pid, signal),
                        None => debug!(signal = ?signal, "ignored a signal request"),
                    },
                    Some(ChannelMsg::Close) | None => {
                        client_gone = true;
                        running.stdin = None;
                        kill_group(running.pid, Signal::SIGHUP);
                        kill_at = Some(tokio::time::Instant::now() + HANGUP_GRACE);
                    }
                    Some(
                        ChannelMsg::RequestPty { .. }
                        | ChannelMsg::RequestShell { .. }
                        | ChannelMsg::Exec { .. }
                        | ChannelMsg::RequestSubsystem { .. }
                        | ChannelMsg::SetEnv { .. }
                        | ChannelMsg::RequestX11 { .. },
                    ) => reply(&self.handle, self.id, false).await,
                    Some(_) => {}
                },
                Some(reason) = running.failed.recv() => {
                    recording_failure = Some(reason);
                    kill_group(running.pid, Signal::SIGKILL);
                }
                _ = streams::sleep_until(kill_at), if kill_at.is_some() => {
                    kill_at = None;
                    kill_group(running.pid, Signal::SIGKILL);
                }
            }
        };
        Ended {
            status,
            client_gone,
            recording_failure,
        }
    }

    /// Resizes the terminal, records and audits it; an error is a recording failure.
    async fn resize(
        &self,
        running: &Running,
        recording: Option<&SessionRecording>,
        cols: u16,
        rows: u16,
    ) -> Result<(), String> {
        let Some(control) = &running.control else {
            return Ok(());
        };
        if let Err(err) = control.resize(cols, rows) {
            debug!(error = %err, "terminal resize failed");
        }
        let ctx = &self.ctx;
        ctx.node
            .emit(EventPayload::Resize(Resize {
                user: ctx.user_meta(),
                session: self.session_meta(),
                connection: ctx.conn_meta(),
                server: ctx.server_meta(),
                size: format!("{cols}:{rows}"),
            }))
            .await;
        match recording {
            Some(recording) => recording
                .resize(cols, rows)
                .await
                .map_err(|err| err.to_string()),
            None => Ok(()),
        }
    }

    /// Tells the client how the command ended (`exit-status`, or `exit-signal` for a
    /// command killed by a signal), then EOF and close.
    async fn deliver_exit(
        &self,
        tx: &ChannelWriteHalf<Msg>,
        ended: &Ended,
        started: time::OffsetDateTime,
    ) -> Outcome {
        let (exit_code, mut exit_error, signalled) = match &ended.status {
            Ok(status) => match (status.code(), status.signal()) {
                (Some(code), _) => (code, String::new(), None),
                (None, Some(signo)) => (
                    128 + signo,
                    format!("killed by signal {}", os::signal_name(signo)),
                    Some((signo, status.core_dumped())),
                ),
                (None, None) => (255, "exited in an unknown way".into(), None),
            },
            Err(err) => (255, format!("waiting for the command failed: {err}"), None),
        };
        let mut exit_code = exit_code;
        if let Some(reason) = &ended.recording_failure {
            exit_error = format!("session recording failed: {reason}");
            if exit_code == 0 {
                exit_code = 1;
            }
        }
        if !ended.client_gone {
            if ended.recording_failure.is_some() {
                let mut stderr = tx.make_writer_ext(Some(1));
                let message = format!("\r\nteleport: {exit_error}; the session is ended\r\n");
                let _ = stderr.write_all(message.as_bytes()).await;
                let _ = stderr.flush().await;
            }
            match signalled {
                Some((signo, core)) if ended.recording_failure.is_none() => {
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
                    let _ = tx
                        .exit_status(u32::try_from(exit_code).unwrap_or(255))
                        .await;
                }
            }
            let _ = tx.eof().await;
            let _ = tx.close().await;
        }
        Outcome {
            exit_code,
            exit_error,
            started,
        }
    }
}
