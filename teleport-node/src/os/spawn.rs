//! Starting a command as an OS user: its own session (and process group), a
//! controlling terminal when it has one, and — when the node runs as root — the user's
//! groups, gid and uid, set in that order between `fork` and `exec`.

use std::io;
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::Stdio;

use nix::unistd::{Gid, Uid};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

/// Whom to become before `exec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    /// The user id.
    pub(crate) uid: u32,
    /// The primary group id.
    pub(crate) gid: u32,
    /// The supplementary groups.
    pub(crate) groups: Vec<u32>,
}

/// What to start, and how.
#[derive(Debug)]
pub(crate) struct SpawnRequest {
    /// The executable.
    pub(crate) program: PathBuf,
    /// `argv[0]` when it differs from `program` (`-bash` for a login shell).
    pub(crate) arg0: Option<String>,
    /// The other arguments.
    pub(crate) args: Vec<String>,
    /// The whole environment (nothing of the node's own is inherited).
    pub(crate) env: Vec<(String, String)>,
    /// The working directory.
    pub(crate) cwd: PathBuf,
    /// The user to become; `None` to stay the node's own user.
    pub(crate) credentials: Option<Credentials>,
    /// The terminal's slave side, which becomes the command's standard streams and
    /// controlling terminal; `None` for pipes.
    pub(crate) terminal: Option<OwnedFd>,
}

/// A started command.
#[derive(Debug)]
pub(crate) struct Spawned {
    /// The process (it leads its own process group).
    pub(crate) child: Child,
    /// Its standard streams when they are pipes.
    pub(crate) io: ChildIo,
}

/// The standard streams of a started command.
#[derive(Debug)]
pub(crate) enum ChildIo {
    /// Three pipes.
    Pipes {
        /// The command's input.
        stdin: ChildStdin,
        /// The command's output.
        stdout: ChildStdout,
        /// The command's error output.
        stderr: ChildStderr,
    },
    /// The terminal, which the caller reads and writes through its master side.
    Terminal,
}

fn errno(err: nix::errno::Errno) -> io::Error {
    io::Error::from_raw_os_error(err as i32)
}

/// Starts `req`.
pub(crate) fn spawn(req: SpawnRequest) -> io::Result<Spawned> {
    let mut cmd = Command::new(&req.program);
    if let Some(arg0) = &req.arg0 {
        cmd.arg0(arg0);
    }
    cmd.args(&req.args)
        .env_clear()
        .envs(req.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&req.cwd)
        .kill_on_drop(true);
    let with_terminal = req.terminal.is_some();
    match &req.terminal {
        Some(slave) => {
            cmd.stdin(Stdio::from(slave.try_clone()?))
                .stdout(Stdio::from(slave.try_clone()?))
                .stderr(Stdio::from(slave.try_clone()?));
        }
        None => {
            cmd.stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
        }
    }
    // Everything the closure needs is allocated here, before `fork`.
    let credentials = req.credentials.clone().map(|c| {
        let groups: Vec<Gid> = c.groups.iter().map(|g| Gid::from_raw(*g)).collect();
        (Uid::from_raw(c.uid), Gid::from_raw(c.gid), groups)
    });
    // SAFETY: the closure runs in the child between `fork` and `exec`, where only
    // async-signal-safe functions may be called. It calls setsid, ioctl, setgroups,
    // setgid and setuid (all async-signal-safe system calls), allocates nothing (the
    // group list was built above and is only borrowed) and builds errors with
    // `from_raw_os_error` / `last_os_error`, which do not allocate either.
    unsafe {
        cmd.pre_exec(move || {
            nix::unistd::setsid().map_err(errno)?;
            if with_terminal {
                // SAFETY: TIOCSCTTY takes an int argument; fd 0 is the terminal's
                // slave side, set up by the standard stream redirection above.
                if libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
            }
            if let Some((uid, gid, groups)) = &credentials {
                nix::unistd::setgroups(groups).map_err(errno)?;
                nix::unistd::setgid(*gid).map_err(errno)?;
                nix::unistd::setuid(*uid).map_err(errno)?;
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    drop(cmd);
    drop(req.terminal);
    let io = if with_terminal {
        ChildIo::Terminal
    } else {
        match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
            (Some(stdin), Some(stdout), Some(stderr)) => ChildIo::Pipes {
                stdin,
                stdout,
                stderr,
            },
            _ => return Err(io::Error::other("the command's pipes were not created")),
        }
    };
    Ok(Spawned { child, io })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt as _;

    #[tokio::test]
    async fn runs_in_its_own_session_with_the_given_environment() {
        let spawned = spawn(SpawnRequest {
            program: "/bin/sh".into(),
            arg0: None,
            args: vec!["-c".into(), "echo $FOO; cut -d' ' -f6 /proc/$$/stat".into()],
            env: vec![
                ("FOO".into(), "bar".into()),
                ("PATH".into(), "/usr/bin:/bin".into()),
            ],
            cwd: "/".into(),
            credentials: None,
            terminal: None,
        })
        .unwrap();
        let pid = spawned.child.id().unwrap();
        let ChildIo::Pipes { mut stdout, .. } = spawned.io else {
            panic!("pipes expected")
        };
        let mut out = String::new();
        stdout.read_to_string(&mut out).await.unwrap();
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("bar"));
        assert_eq!(lines.next().map(str::trim), Some(pid.to_string().as_str()));
    }
}
