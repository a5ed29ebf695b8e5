//! Running the current test binary again as a child process that runs one test: how
//! crash tests kill a writer (SIGKILL) mid-stream and then check what it acknowledged.
//!
//! The child test checks for `var`, does its work, prints marker lines such as
//! `@ack 17` on stdout, and the parent reads them with [`ChildLines::wait_for`].

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the parent waits for a line from its child before failing.
const LINE_TIMEOUT: Duration = Duration::from_secs(120);

/// The lines a child prints, read on a thread so that waiting for one can time out.
pub struct ChildLines {
    lines: mpsc::Receiver<String>,
}

/// A child running only the test `test` with `var` set to `dir`.
pub fn spawn(test: &str, var: &str, dir: &Path) -> (Child, ChildLines) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(var, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, ChildLines { lines })
}

impl ChildLines {
    /// What follows `marker` in the next line containing it. (libtest may print the
    /// test's name on the same line, so the marker need not start the line.)
    pub fn wait_for(&self, marker: &str) -> String {
        loop {
            match self.lines.recv_timeout(LINE_TIMEOUT) {
                Ok(line) => {
                    if let Some(at) = line.find(marker) {
                        return line[at + marker.len()..].trim().to_string();
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("the child printed no {marker:?} within {LINE_TIMEOUT:?}")
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("the child exited before printing {marker:?}")
                }
            }
        }
    }
}
