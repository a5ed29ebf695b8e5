//! Forwarding: `direct-tcpip` channels (`ssh -L`, `-W`, jump hosts) dialled from the
//! node, and the user's SSH agent offered to their session through a unix socket.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use russh::server::{ChannelOpenHandle, Handle, Msg};
use russh::{Channel, ChannelOpenFailure};
use tokio::net::{TcpStream, UnixListener};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::conn::{audit_port_forward, ConnContext};

/// Dials `addr` for a `direct-tcpip` channel, then accepts the channel and copies bytes
/// both ways until either side closes. A failed dial refuses the channel.
pub(crate) async fn direct_tcpip(
    ctx: Arc<ConnContext>,
    channel: Channel<Msg>,
    addr: String,
    reply: ChannelOpenHandle,
) {
    let mut target = match TcpStream::connect(&addr).await {
        Ok(stream) => stream,
        Err(err) => {
            reply.reject(ChannelOpenFailure::ConnectFailed).await;
            let reason = format!("cannot connect to {addr}: {err}");
            audit_port_forward(&ctx, &addr, Err(&reason)).await;
            return;
        }
    };
    let _ = target.set_nodelay(true);
    reply.accept().await;
    audit_port_forward(&ctx, &addr, Ok(())).await;
    let mut stream = channel.into_stream();
    match tokio::io::copy_bidirectional(&mut stream, &mut target).await {
        Ok((up, down)) => debug!(addr = %addr, up, down, "port forward closed"),
        Err(err) => debug!(addr = %addr, error = %err, "port forward ended"),
    }
}

/// A unix socket in a private directory owned by the session's user; every connection
/// to it is carried to the client's agent over an `auth-agent@openssh.com` channel.
/// Dropping it stops listening and removes the directory.
#[derive(Debug)]
pub(crate) struct AgentSocket {
    dir: PathBuf,
    path: PathBuf,
    task: JoinHandle<()>,
}

impl AgentSocket {
    /// Listens in a new directory under the system's temporary directory, owned by
    /// `uid:gid` with mode 0700.
    pub(crate) fn start(handle: Handle, uid: u32, gid: u32) -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("teleport-{}", uuid::Uuid::new_v4()));
        crate::os::make_private_dir(&dir, uid, gid)?;
        let path = dir.join("agent.sock");
        let listener = match UnixListener::bind(&path) {
            Ok(listener) => listener,
            Err(err) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(err);
            }
        };
        crate::os::chown(&path, uid, gid)?;
        let task = tokio::spawn(serve_agent(listener, handle));
        Ok(AgentSocket { dir, path, task })
    }

    /// The socket's path, for `SSH_AUTH_SOCK`.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for AgentSocket {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn serve_agent(listener: UnixListener, handle: Handle) {
    loop {
        let mut local = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                warn!(error = %err, "agent socket accept failed");
                return;
            }
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let channel = match handle.channel_open_agent().await {
                Ok(channel) => channel,
                Err(err) => {
                    debug!(error = %err, "the client refused an agent channel");
                    return;
                }
            };
            let mut remote = channel.into_stream();
            let _ = tokio::io::copy_bidirectional(&mut local, &mut remote).await;
        });
    }
}
