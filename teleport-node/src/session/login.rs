//! What a session's command is started as: the program (login shell, `shell -c`, or
//! the SFTP server), the login environment, the working directory and the user's
//! credentials.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use super::{Setup, Start};
use crate::conn::ConnContext;
use crate::os::spawn::Credentials;
use crate::os::{OsUser, SpawnRequest};

/// The SFTP server run for the `sftp` subsystem (Debian's `openssh-sftp-server`).
pub(crate) const SFTP_SERVER: &str = "/usr/lib/openssh/sftp-server";

/// `PATH` for ordinary users and for root, as Debian's login sets them.
const USER_PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games";
const ROOT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The login environment of `user`, what the client may set (`setup.env`), the
/// terminal type, the SSH and Teleport variables, and `SSH_AUTH_SOCK` when an agent is
/// forwarded. Nothing of the node's own environment is passed on.
pub(crate) fn environment(
    ctx: &ConnContext,
    user: &OsUser,
    setup: &Setup,
    sid: &str,
    agent: Option<&Path>,
) -> Vec<(String, String)> {
    let path = if user.uid == 0 { ROOT_PATH } else { USER_PATH };
    let mut env: Vec<(String, String)> = vec![
        ("HOME".into(), user.home.display().to_string()),
        ("USER".into(), user.name.clone()),
        ("LOGNAME".into(), user.name.clone()),
        ("SHELL".into(), user.shell.display().to_string()),
        ("PATH".into(), path.into()),
    ];
    env.extend(setup.env.iter().cloned());
    if let Some(terminal) = &setup.terminal {
        env.retain(|(k, _)| k != "TERM");
        env.push(("TERM".into(), terminal.term.clone()));
    }
    let (peer, local) = (ctx.peer, ctx.local);
    env.push((
        "SSH_CLIENT".into(),
        format!("{} {} {}", peer.ip(), peer.port(), local.port()),
    ));
    env.push((
        "SSH_CONNECTION".into(),
        format!(
            "{} {} {} {}",
            peer.ip(),
            peer.port(),
            local.ip(),
            local.port()
        ),
    ));
    env.push(("SSH_SESSION_ID".into(), sid.to_string()));
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

/// How to start `start` for `user`: a login shell (`-bash`), `shell -c command`, or
/// the SFTP server; in the home directory (`/` when it is missing); as the user when
/// the node runs as root.
pub(crate) fn spawn_request(
    ctx: &ConnContext,
    user: &OsUser,
    start: &Start,
    env: Vec<(String, String)>,
    terminal: Option<OwnedFd>,
) -> SpawnRequest {
    let (program, arg0, args) = match start {
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
    let credentials = (ctx.node.own_uid == 0).then(|| Credentials {
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
