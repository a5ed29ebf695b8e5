//! Everything the node asks of the operating system, in one place: OS users, starting a
//! command as a user (with or without a terminal), terminals, signals and file
//! ownership.
//!
//! This is the only module of the crate where `unsafe` is allowed (the crate denies it
//! everywhere else). It is needed twice: in the child between `fork` and `exec`
//! ([`spawn`]: new session, controlling terminal, supplementary groups, gid, uid) and
//! for the two terminal `ioctl`s ([`pty`]) that `nix` does not wrap. Each use carries a
//! SAFETY comment.

pub(crate) mod pty;
pub(crate) mod spawn;
pub(crate) mod user;

pub(crate) use pty::open_pty;
pub(crate) use spawn::{spawn, ChildIo, SpawnRequest};
pub(crate) use user::{chown, current_uid, lookup_user, make_private_dir, OsUser};

use nix::sys::signal::Signal;

/// The signal an SSH `signal` request names (`TERM`, `INT`, ...), if it is one a client
/// may send.
pub(crate) fn signal_by_name(name: &str) -> Option<Signal> {
    Some(match name {
        "ABRT" => Signal::SIGABRT,
        "ALRM" => Signal::SIGALRM,
        "FPE" => Signal::SIGFPE,
        "HUP" => Signal::SIGHUP,
        "ILL" => Signal::SIGILL,
        "INT" => Signal::SIGINT,
        "KILL" => Signal::SIGKILL,
        "PIPE" => Signal::SIGPIPE,
        "QUIT" => Signal::SIGQUIT,
        "SEGV" => Signal::SIGSEGV,
        "TERM" => Signal::SIGTERM,
        "USR1" => Signal::SIGUSR1,
        "USR2" => Signal::SIGUSR2,
        _ => return None,
    })
}

/// The SSH name of signal number `signo` (`TERM` for 15), as `exit-signal` carries it.
pub(crate) fn signal_name(signo: i32) -> String {
    match Signal::try_from(signo) {
        Ok(signal) => signal.as_str().trim_start_matches("SIG").to_string(),
        Err(_) => format!("{signo}"),
    }
}

/// Sends `signal` to the process group led by `pid` (every command the node starts
/// leads its own session, so its group is its pid).
pub(crate) fn signal_group(pid: u32, signal: Signal) -> std::io::Result<()> {
    let pid = i32::try_from(pid).map_err(|_| std::io::Error::other("pid out of range"))?;
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), signal)
        .map_err(|errno| std::io::Error::from_raw_os_error(errno as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names_round_trip() {
        assert_eq!(signal_by_name("TERM"), Some(Signal::SIGTERM));
        assert_eq!(signal_name(15), "TERM");
        assert_eq!(signal_name(9), "KILL");
        assert_eq!(signal_by_name("NOPE"), None);
        assert_eq!(signal_name(1000), "1000");
    }
}
