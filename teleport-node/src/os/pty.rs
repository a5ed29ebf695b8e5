//! Pseudo-terminals: opening a pair, reading and writing the master side without
//! blocking the runtime, and resizing.

use std::io;
use std::os::fd::{AsFd as _, AsRawFd as _, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::pty::Winsize;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

fn errno(err: nix::errno::Errno) -> io::Error {
    io::Error::from_raw_os_error(err as i32)
}

fn winsize(cols: u16, rows: u16) -> Winsize {
    Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// A freshly opened terminal pair.
#[derive(Debug)]
pub(crate) struct Pty {
    /// The side the node reads and writes.
    pub(crate) master: OwnedFd,
    /// The side the command gets as its terminal.
    pub(crate) slave: OwnedFd,
}

/// Opens a terminal pair of `cols` x `rows`.
pub(crate) fn open_pty(cols: u16, rows: u16) -> io::Result<Pty> {
    let pair = nix::pty::openpty(&winsize(cols, rows), None).map_err(errno)?;
    Ok(Pty {
        master: pair.master,
        slave: pair.slave,
    })
}

impl Pty {
    /// Gives the terminal to `uid` (group `tty` when there is one, mode 0620), as a
    /// login's terminal is; a no-op unless the node runs as root.
    pub(crate) fn give_to(&self, uid: u32, gid: u32) -> io::Result<()> {
        if super::current_uid() != 0 {
            return Ok(());
        }
        let group = super::user::group_id("tty").unwrap_or(gid);
        nix::unistd::fchown(
            self.slave.as_fd(),
            Some(nix::unistd::Uid::from_raw(uid)),
            Some(nix::unistd::Gid::from_raw(group)),
        )
        .map_err(errno)?;
        nix::sys::stat::fchmod(
            self.slave.as_fd(),
            nix::sys::stat::Mode::from_bits_truncate(0o620),
        )
        .map_err(errno)
    }

    /// Splits the master side into a reader, a writer and a resize control; the slave
    /// side is returned for the command's standard streams.
    pub(crate) fn into_parts(self) -> io::Result<(PtyReader, PtyWriter, PtyControl, OwnedFd)> {
        let read_fd = nix::unistd::dup(self.master.as_fd()).map_err(errno)?;
        let write_fd = nix::unistd::dup(self.master.as_fd()).map_err(errno)?;
        for fd in [&read_fd, &write_fd] {
            let flags = fcntl(fd.as_fd(), FcntlArg::F_GETFL).map_err(errno)?;
            let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
            fcntl(fd.as_fd(), FcntlArg::F_SETFL(flags)).map_err(errno)?;
        }
        // SAFETY: each fd is an `OwnedFd` moved into its `AsyncFd`, so it stays open and
        // names the same file description until the `AsyncFd` is dropped, and
        // `OwnedFd::as_raw_fd` always returns that fd.
        let reader = unsafe { AsyncFd::register_with_interest(read_fd, Interest::READABLE) }?;
        // SAFETY: as above.
        let writer = unsafe { AsyncFd::register_with_interest(write_fd, Interest::WRITABLE) }?;
        Ok((
            PtyReader(reader),
            PtyWriter(writer),
            PtyControl(self.master),
            self.slave,
        ))
    }
}

/// Changes a terminal's size (the kernel then sends `SIGWINCH` to its foreground
/// process group).
#[derive(Debug)]
pub(crate) struct PtyControl(OwnedFd);

impl PtyControl {
    /// Sets the terminal to `cols` x `rows`.
    pub(crate) fn resize(&self, cols: u16, rows: u16) -> io::Result<()> {
        let size = winsize(cols, rows);
        // SAFETY: TIOCSWINSZ reads one `struct winsize` from the pointer, which points
        // to a live, initialised `Winsize` (the same type as libc's `winsize`); the fd
        // is an open terminal master owned by `self`.
        let rc = unsafe { libc::ioctl(self.0.as_raw_fd(), libc::TIOCSWINSZ, &size) };
        if rc == -1 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

/// The terminal's output, as the command wrote it. Reads end (`Ok(0)`) once every
/// process has closed the terminal (Linux reports that as `EIO`).
#[derive(Debug)]
pub(crate) struct PtyReader(AsyncFd<OwnedFd>);

impl AsyncRead for PtyReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.0.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard
                .try_io(|fd| nix::unistd::read(fd.get_ref().as_fd(), unfilled).map_err(errno))
            {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(err)) if err.raw_os_error() == Some(libc::EIO) => {
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(err)) => return Poll::Ready(Err(err)),
                Err(_would_block) => continue,
            }
        }
    }
}

/// The terminal's input: what the user types.
#[derive(Debug)]
pub(crate) struct PtyWriter(AsyncFd<OwnedFd>);

impl AsyncWrite for PtyWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.0.poll_write_ready(cx))?;
            match guard.try_io(|fd| nix::unistd::write(fd.get_ref().as_fd(), buf).map_err(errno)) {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
