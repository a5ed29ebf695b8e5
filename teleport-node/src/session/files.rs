//! Seeing which files a session copies, for `scp` audit events, without taking part in
//! the copy: legacy `scp -t`/`scp -f` commands are recognised by their command line
//! and their `C` lines counted; SFTP sessions (the `sftp` subsystem, which `scp` uses
//! by default since OpenSSH 9) are followed by reading the packets' headers only.

use std::collections::HashMap;

use teleport_audit::event::ScpAction;

/// A file copied in one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileTransfer {
    /// The path on the node, as the client named it.
    pub(crate) path: String,
    /// How many bytes of file content moved.
    pub(crate) bytes: u64,
    /// Which way.
    pub(crate) action: ScpAction,
}

/// A legacy scp command: `scp [-options] -t|-f [--] <path>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScpCommand {
    /// `-t` (the client uploads) or `-f` (the client downloads).
    pub(crate) action: ScpAction,
    /// The target path.
    pub(crate) path: String,
}

/// Splits a command line into words, honouring single and double quotes and
/// backslashes (enough for what scp clients send).
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') | (None, '\\') => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
                in_word = true;
            }
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// Recognises a legacy scp server command.
pub(crate) fn parse_scp(command: &str) -> Option<ScpCommand> {
    let words = words(command);
    let (program, args) = words.split_first()?;
    if program.rsplit('/').next() != Some("scp") {
        return None;
    }
    let mut action = None;
    let mut path = None;
    let mut options_done = false;
    for arg in args {
        if !options_done && arg == "--" {
            options_done = true;
        } else if !options_done && arg.starts_with('-') && arg.len() > 1 {
            if arg.contains('t') && !arg.starts_with("--") {
                action = Some(ScpAction::Upload);
            }
            if arg.contains('f') && !arg.starts_with("--") {
                action = Some(ScpAction::Download);
            }
        } else {
            path = Some(arg.clone());
        }
    }
    Some(ScpCommand {
        action: action?,
        path: path.unwrap_or_default(),
    })
}

/// Counts the file bytes in the sending side of an scp exchange: each file is a
/// `C<mode> <length> <name>\n` line followed by `length` bytes and a NUL.
#[derive(Debug, Default)]
pub(crate) struct ScpCounter {
    line: Vec<u8>,
    skip: u64,
    /// The total of the `C` lines' lengths.
    pub(crate) bytes: u64,
    /// How many files were announced.
    pub(crate) files: u64,
}

impl ScpCounter {
    /// Follows `data`, the next bytes the sender sent.
    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.skip > 0 {
                let n = usize::try_from(self.skip)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                self.skip -= n as u64;
                data = &data[n..];
                continue;
            }
            let Some(end) = data.iter().position(|b| *b == b'\n') else {
                if self.line.len() < 4096 {
                    self.line.extend_from_slice(data);
                }
                return;
            };
            self.line.extend_from_slice(&data[..end]);
            data = &data[end + 1..];
            let line = std::mem::take(&mut self.line);
            if line.first() == Some(&b'C') {
                let text = String::from_utf8_lossy(&line);
                if let Some(len) = text.split(' ').nth(1).and_then(|l| l.parse::<u64>().ok()) {
                    self.bytes += len;
                    self.files += 1;
                    // The content, then the NUL that ends it.
                    self.skip = len + 1;
                }
            }
        }
    }
}

/// How much of each SFTP packet is read: enough for every header the tracker needs.
const PEEK: usize = 4096;
/// The most requests tracked at once; beyond that the oldest state is dropped.
const MAX_TRACKED: usize = 4096;

const FXP_OPEN: u8 = 3;
const FXP_CLOSE: u8 = 4;
const FXP_READ: u8 = 5;
const FXP_WRITE: u8 = 6;
const FXP_STATUS: u8 = 101;
const FXP_HANDLE: u8 = 102;
const FXP_DATA: u8 = 103;
const FXF_WRITE: u32 = 0x2;

/// Splits one direction of an SFTP stream into packets, keeping the first [`PEEK`]
/// bytes of each.
#[derive(Debug, Default)]
struct PacketScanner {
    len_buf: Vec<u8>,
    packet_len: Option<usize>,
    peek: Vec<u8>,
    skip: usize,
}

impl PacketScanner {
    fn feed(&mut self, mut data: &[u8], mut packet: impl FnMut(&[u8], usize)) {
        while !data.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(data.len());
                self.skip -= n;
                data = &data[n..];
                continue;
            }
            match self.packet_len {
                None => {
                    let n = (4 - self.len_buf.len()).min(data.len());
                    self.len_buf.extend_from_slice(&data[..n]);
                    data = &data[n..];
                    if let Ok(bytes) = <[u8; 4]>::try_from(self.len_buf.as_slice()) {
                        self.len_buf.clear();
                        let len = u32::from_be_bytes(bytes) as usize;
                        if len > 0 {
                            self.packet_len = Some(len);
                            self.peek.clear();
                        }
                    }
                }
                Some(len) => {
                    let want = len.min(PEEK) - self.peek.len();
                    let n = want.min(data.len());
                    self.peek.extend_from_slice(&data[..n]);
                    data = &data[n..];
                    if self.peek.len() == len.min(PEEK) {
                        packet(&self.peek, len);
                        self.skip = len - self.peek.len();
                        self.packet_len = None;
                    }
                }
            }
        }
    }
}

/// Reads SSH wire values from a packet's peeked bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }

    fn u32(&mut self) -> Option<u32> {
        let bytes: [u8; 4] = self.0.get(..4)?.try_into().ok()?;
        self.0 = &self.0[4..];
        Some(u32::from_be_bytes(bytes))
    }

    fn u64(&mut self) -> Option<u64> {
        let bytes: [u8; 8] = self.0.get(..8)?.try_into().ok()?;
        self.0 = &self.0[8..];
        Some(u64::from_be_bytes(bytes))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        let value = self.0.get(..len)?;
        self.0 = &self.0[len..];
        Some(value)
    }

    /// A string's length only (its bytes may lie beyond the peeked part).
    fn string_len(&mut self) -> Option<u64> {
        self.u32().map(u64::from)
    }
}

#[derive(Debug)]
struct OpenFile {
    path: String,
    write: bool,
    bytes: u64,
}

/// Follows both directions of an SFTP session and reports each file when it is closed.
#[derive(Debug, Default)]
pub(crate) struct SftpTracker {
    client: PacketScanner,
    server: PacketScanner,
    opens: HashMap<u32, (String, bool)>,
    reads: HashMap<u32, Vec<u8>>,
    files: HashMap<Vec<u8>, OpenFile>,
}

impl SftpTracker {
    /// Follows bytes the client sent; returns the files this closed.
    pub(crate) fn client_sent(&mut self, data: &[u8]) -> Vec<FileTransfer> {
        let mut packets = Vec::new();
        self.client
            .feed(data, |peek, _| packets.push(peek.to_vec()));
        let mut done = Vec::new();
        for packet in packets {
            self.client_packet(&packet, &mut done);
        }
        done
    }

    /// Follows bytes the server sent.
    pub(crate) fn server_sent(&mut self, data: &[u8]) {
        let mut packets = Vec::new();
        self.server
            .feed(data, |peek, _| packets.push(peek.to_vec()));
        for packet in packets {
            self.server_packet(&packet);
        }
    }

    fn bound(&mut self) {
        if self.opens.len() > MAX_TRACKED {
            self.opens.clear();
        }
        if self.reads.len() > MAX_TRACKED {
            self.reads.clear();
        }
        if self.files.len() > MAX_TRACKED {
            self.files.clear();
        }
    }

    fn client_packet(&mut self, packet: &[u8], done: &mut Vec<FileTransfer>) {
        let mut r = Reader(packet);
        let (Some(kind), Some(id)) = (r.u8(), r.u32()) else {
            return;
        };
        match kind {
            FXP_OPEN => {
                if let (Some(path), Some(flags)) = (r.string(), r.u32()) {
                    let path = String::from_utf8_lossy(path).into_owned();
                    self.opens.insert(id, (path, flags & FXF_WRITE != 0));
                }
            }
            FXP_READ => {
                if let Some(handle) = r.string() {
                    self.reads.insert(id, handle.to_vec());
                }
            }
            FXP_WRITE => {
                if let (Some(handle), Some(_offset), Some(len)) =
                    (r.string(), r.u64(), r.string_len())
                {
                    if let Some(file) = self.files.get_mut(handle) {
                        file.bytes += len;
                        file.write = true;
                    }
                }
            }
            FXP_CLOSE => {
                if let Some(file) = r.string().and_then(|handle| self.files.remove(handle)) {
                    done.push(FileTransfer {
                        path: file.path,
                        bytes: file.bytes,
                        action: if file.write {
                            ScpAction::Upload
                        } else {
                            ScpAction::Download
                        },
                    });
                }
            }
            _ => {}
        }
        self.bound();
    }

    fn server_packet(&mut self, packet: &[u8]) {
        let mut r = Reader(packet);
        let (Some(kind), Some(id)) = (r.u8(), r.u32()) else {
            return;
        };
        match kind {
            FXP_HANDLE => {
                if let (Some((path, write)), Some(handle)) = (self.opens.remove(&id), r.string()) {
                    self.files.insert(
                        handle.to_vec(),
                        OpenFile {
                            path,
                            write,
                            bytes: 0,
                        },
                    );
                }
            }
            FXP_DATA => {
                if let (Some(handle), Some(len)) = (self.reads.remove(&id), r.string_len()) {
                    if let Some(file) = self.files.get_mut(&handle) {
                        file.bytes += len;
                    }
                }
            }
            FXP_STATUS => {
                self.opens.remove(&id);
                self.reads.remove(&id);
            }
            _ => {}
        }
        self.bound();
    }

    /// Files still open when the session ended, reported as they stand.
    pub(crate) fn unfinished(&mut self) -> Vec<FileTransfer> {
        self.files
            .drain()
            .map(|(_, file)| FileTransfer {
                path: file.path,
                bytes: file.bytes,
                action: if file.write {
                    ScpAction::Upload
                } else {
                    ScpAction::Download
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scp_commands() {
        assert_eq!(
            parse_scp("scp -t -- /tmp/x"),
            Some(ScpCommand {
                action: ScpAction::Upload,
                path: "/tmp/x".into()
            })
        );
        assert_eq!(
            parse_scp("/usr/bin/scp -v -r -f 'a b'"),
            Some(ScpCommand {
                action: ScpAction::Download,
                path: "a b".into()
            })
        );
        assert_eq!(parse_scp("ls -t /tmp"), None);
        assert_eq!(parse_scp("scp"), None);
    }

    #[test]
    fn scp_counter_counts_file_content_across_chunks() {
        let mut stream = b"T1 0 1 0\nC0644 5 a\n".to_vec();
        stream.extend_from_slice(b"hello\0");
        stream.extend_from_slice(b"D0755 0 dir\nC0600 3 b\nC0\nx\0E\n");
        let mut counter = ScpCounter::default();
        for chunk in stream.chunks(3) {
            counter.feed(chunk);
        }
        assert_eq!((counter.bytes, counter.files), (8, 2));
    }

    fn packet(kind: u8, id: u32, body: &[u8]) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&((body.len() + 5) as u32).to_be_bytes());
        p.push(kind);
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(body);
        p
    }

    fn string(s: &[u8]) -> Vec<u8> {
        let mut v = (s.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(s);
        v
    }

    #[test]
    fn sftp_upload_and_download_are_followed() {
        let mut t = SftpTracker::default();
        // Upload: open for write, handle, two writes, close.
        let mut open = string(b"/tmp/up");
        open.extend_from_slice(&(0x2u32 | 0x8).to_be_bytes());
        open.extend_from_slice(&0u32.to_be_bytes());
        assert!(t.client_sent(&packet(FXP_OPEN, 1, &open)).is_empty());
        t.server_sent(&packet(FXP_HANDLE, 1, &string(b"h1")));
        let mut write = string(b"h1");
        write.extend_from_slice(&0u64.to_be_bytes());
        write.extend_from_slice(&string(&vec![7u8; 10_000]));
        let big = packet(FXP_WRITE, 2, &write);
        for chunk in big.chunks(1000) {
            assert!(t.client_sent(chunk).is_empty());
        }
        assert!(t.client_sent(&big).is_empty());
        let done = t.client_sent(&packet(FXP_CLOSE, 3, &string(b"h1")));
        assert_eq!(
            done,
            [FileTransfer {
                path: "/tmp/up".into(),
                bytes: 20_000,
                action: ScpAction::Upload
            }]
        );
        // Download: open for read, read, data, close.
        let mut open = string(b"/etc/down");
        open.extend_from_slice(&1u32.to_be_bytes());
        open.extend_from_slice(&0u32.to_be_bytes());
        t.client_sent(&packet(FXP_OPEN, 4, &open));
        t.server_sent(&packet(FXP_HANDLE, 4, &string(b"h2")));
        let mut read = string(b"h2");
        read.extend_from_slice(&0u64.to_be_bytes());
        read.extend_from_slice(&32768u32.to_be_bytes());
        t.client_sent(&packet(FXP_READ, 5, &read));
        t.server_sent(&packet(FXP_DATA, 5, &string(b"12345")));
        let done = t.client_sent(&packet(FXP_CLOSE, 6, &string(b"h2")));
        assert_eq!(done[0].bytes, 5);
        assert_eq!(done[0].action, ScpAction::Download);
        assert!(t.unfinished().is_empty());
    }
}
