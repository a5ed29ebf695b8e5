//! Reading a day file's lines forwards or backwards in chunks, with the byte offset at
//! which each line starts, so that a search touches only the part of a file it returns.
//!
//! Both readers stop at a limit (the file's durable length) and never return a trailing
//! piece that lacks its newline: that is an event still being written, or torn.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// How much a reader fetches at a time.
const CHUNK: usize = 64 * 1024;

/// The lines of `file` in `[start, end)` from first to last. `start` must be the start of
/// a line.
#[derive(Debug)]
pub(crate) struct ForwardLines<'f> {
    file: &'f File,
    buf: Vec<u8>,
    /// The file offset of `buf[0]`.
    buf_pos: u64,
    /// The next unread byte in `buf`.
    cursor: usize,
    end: u64,
}

impl<'f> ForwardLines<'f> {
    pub(crate) fn new(file: &'f File, start: u64, end: u64) -> Self {
        ForwardLines {
            file,
            buf: Vec::new(),
            buf_pos: start,
            cursor: 0,
            end,
        }
    }

    /// The next line (without its newline) and the offset where it starts, or `None` at
    /// the end.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        loop {
            if let Some(at) = find_newline(&self.buf[self.cursor..]) {
                let start = self.cursor;
                self.cursor += at + 1;
                let offset = self.buf_pos + start as u64;
                return Ok(Some((offset, &self.buf[start..start + at])));
            }
            let filled_to = self.buf_pos + self.buf.len() as u64;
            if filled_to >= self.end {
                return Ok(None);
            }
            // Keep the unfinished line, then read more after it.
            self.buf.drain(..self.cursor);
            self.buf_pos += self.cursor as u64;
            self.cursor = 0;
            let want = usize::try_from(self.end - filled_to)
                .unwrap_or(usize::MAX)
                .min(CHUNK.max(self.buf.len()));
            let old = self.buf.len();
            self.buf.resize(old + want, 0);
            let read = read_full(self.file, &mut self.buf[old..], filled_to)?;
            self.buf.truncate(old + read);
            if read < want {
                // The file is shorter than `end` said (a foreign file that shrank).
                self.end = filled_to + read as u64;
            }
        }
    }
}

/// The lines of `file` in `[start, end)` from last to first. `start` must be the start of
/// a line; `end` should be the end of one: when it is not, the piece after the last
/// newline is skipped.
#[derive(Debug)]
pub(crate) struct BackwardLines<'f> {
    file: &'f File,
    start: u64,
    buf: Vec<u8>,
    /// The file offset of `buf[0]`.
    buf_pos: u64,
    /// `buf[..unread]` has not been returned yet; it ends at a line's end (after its
    /// newline) once the first line has been returned.
    unread: usize,
    first: bool,
}

impl<'f> BackwardLines<'f> {
    pub(crate) fn new(file: &'f File, start: u64, end: u64) -> Self {
        BackwardLines {
            file,
            start,
            buf: Vec::new(),
            buf_pos: end.max(start),
            unread: 0,
            first: true,
        }
    }

    /// The previous line (without its newline) and the offset where it starts, or `None`
    /// at the start of the file.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        loop {
            if self.unread == 0 && self.buf_pos == self.start {
                return Ok(None);
            }
            // The line ends at `self.unread`: a newline there (except for a trailing piece
            // at the very end, which is skipped) and the previous newline before it.
            let body_end = match self.buf[..self.unread].last() {
                Some(b'\n') => self.unread - 1,
                _ => self.unread,
            };
            match rfind_newline(&self.buf[..body_end]) {
                Some(at) => {
                    let (start, complete) = (at + 1, body_end < self.unread);
                    self.unread = start;
                    if self.first {
                        self.first = false;
                        if !complete {
                            continue;
                        }
                    }
                    let offset = self.buf_pos + start as u64;
                    return Ok(Some((offset, &self.buf[start..body_end])));
                }
                None if self.buf_pos == self.start => {
                    let complete = body_end < self.unread;
                    self.unread = 0;
                    if self.first {
                        self.first = false;
                        if !complete {
                            continue;
                        }
                    }
                    return Ok(Some((self.start, &self.buf[..body_end])));
                }
                None => self.read_before()?,
            }
        }
    }

    /// Prepends the chunk before `buf_pos` to the unread bytes.
    fn read_before(&mut self) -> io::Result<()> {
        let want = usize::try_from(self.buf_pos - self.start)
            .unwrap_or(usize::MAX)
            .min(CHUNK.max(self.unread));
        let from = self.buf_pos - want as u64;
        let mut chunk = vec![0; want + self.unread];
        let read = read_full(self.file, &mut chunk[..want], from)?;
        if read < want {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "file shorter than {} bytes while reading it backwards",
                    from + want as u64
                ),
            ));
        }
        chunk[want..].copy_from_slice(&self.buf[..self.unread]);
        self.buf = chunk;
        self.unread += want;
        self.buf_pos = from;
        Ok(())
    }
}

/// Reads into `buf` from `offset` until it is full or the file ends; returns the bytes
/// read.
pub(crate) fn read_full(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// The offset of the last newline in `file` before `end`, reading backwards in chunks.
pub(crate) fn last_newline_before(file: &File, end: u64) -> io::Result<Option<u64>> {
    let mut buf = vec![0; CHUNK];
    let mut pos = end;
    while pos > 0 {
        let want = usize::try_from(pos).unwrap_or(usize::MAX).min(CHUNK);
        let from = pos - want as u64;
        let read = read_full(file, &mut buf[..want], from)?;
        if let Some(at) = rfind_newline(&buf[..read]) {
            return Ok(Some(from + at as u64));
        }
        pos = from;
    }
    Ok(None)
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;
const NEWLINES: u64 = LO * b'\n' as u64;

/// Whether some byte of `word` is a newline: the classic zero-byte test on
/// `word ^ 0x0a0a..`. Its lowest set bit marks the first newline in memory order (bits
/// above it may be false positives).
fn newline_mask(word: u64) -> u64 {
    let x = word ^ NEWLINES;
    x.wrapping_sub(LO) & !x & HI
}

fn word_at(bytes: &[u8]) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// The index of the first newline in `hay`, eight bytes at a time.
pub(crate) fn find_newline(hay: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at + 8 <= hay.len() {
        let mask = newline_mask(word_at(&hay[at..]));
        if mask != 0 {
            return Some(at + (mask.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    hay[at..].iter().position(|&b| b == b'\n').map(|p| at + p)
}

/// The index of the last newline in `hay`, eight bytes at a time.
pub(crate) fn rfind_newline(hay: &[u8]) -> Option<usize> {
    let mut end = hay.len();
    while end >= 8 {
        let start = end - 8;
        if newline_mask(word_at(&hay[start..])) != 0 {
            // The mask may over-report above a real newline: look at the bytes.
            return hay[start..end]
                .iter()
                .rposition(|&b| b == b'\n')
                .map(|p| start + p);
        }
        end = start;
    }
    hay[..end].iter().rposition(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use proptest::prelude::*;

    use super::*;

    fn file_with(bytes: &[u8]) -> (tempfile::NamedTempFile, File) {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(bytes).unwrap();
        let file = File::open(tmp.path()).unwrap();
        (tmp, file)
    }

    fn forward(bytes: &[u8], start: u64, end: u64) -> Vec<(u64, Vec<u8>)> {
        let (_tmp, file) = file_with(bytes);
        let mut lines = ForwardLines::new(&file, start, end);
        let mut out = Vec::new();
        while let Some((offset, line)) = lines.next_line().unwrap() {
            out.push((offset, line.to_vec()));
        }
        out
    }

    fn backward(bytes: &[u8], end: u64) -> Vec<(u64, Vec<u8>)> {
        backward_from(bytes, 0, end)
    }

    fn backward_from(bytes: &[u8], start: u64, end: u64) -> Vec<(u64, Vec<u8>)> {
        let (_tmp, file) = file_with(bytes);
        let mut lines = BackwardLines::new(&file, start, end);
        let mut out = Vec::new();
        while let Some((offset, line)) = lines.next_line().unwrap() {
            out.push((offset, line.to_vec()));
        }
        out
    }

    /// The complete lines of `bytes[..end]` with their offsets.
    fn expected(bytes: &[u8], end: usize) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, &b) in bytes[..end].iter().enumerate() {
            if b == b'\n' {
                out.push((start as u64, bytes[start..i].to_vec()));
                start = i + 1;
            }
        }
        out
    }

    #[test]
    fn reads_lines_both_ways_and_skips_a_torn_tail() {
        let bytes = b"{\"a\":1}\n\n{\"b\":22}\n{\"torn";
        let all = expected(bytes, bytes.len());
        assert_eq!(all.len(), 3);
        assert_eq!(forward(bytes, 0, bytes.len() as u64), all);
        let mut reversed = all.clone();
        reversed.reverse();
        assert_eq!(backward(bytes, bytes.len() as u64), reversed);
        // From a line start, up to a line end.
        assert_eq!(forward(bytes, 8, 18), all[1..].to_vec());
        assert_eq!(backward(bytes, 9), vec![all[1].clone(), all[0].clone()]);
        assert_eq!(
            backward_from(bytes, 8, 18),
            vec![all[2].clone(), all[1].clone()]
        );
        assert_eq!(backward_from(bytes, 9, 9), vec![]);
        assert_eq!(backward(b"", 0), vec![]);
        assert_eq!(backward(b"no newline", 10), vec![]);
    }

    #[test]
    fn finds_the_last_newline() {
        let (_tmp, file) = file_with(b"ab\ncd\nef");
        assert_eq!(last_newline_before(&file, 8).unwrap(), Some(5));
        assert_eq!(last_newline_before(&file, 5).unwrap(), Some(2));
        assert_eq!(last_newline_before(&file, 2).unwrap(), None);
    }

    proptest! {
        #[test]
        fn newline_search_matches_the_naive_one(hay in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(0x0b_u8), Just(0x01), Just(0x8a), any::<u8>()], 0..64)) {
            prop_assert_eq!(find_newline(&hay), hay.iter().position(|&b| b == b'\n'));
            prop_assert_eq!(rfind_newline(&hay), hay.iter().rposition(|&b| b == b'\n'));
        }

        #[test]
        fn chunked_readers_see_every_line(
            lens in proptest::collection::vec(0usize..150_000, 0..8),
            torn in 0usize..100,
        ) {
            let mut bytes = Vec::new();
            for (n, len) in lens.iter().enumerate() {
                bytes.extend(std::iter::repeat_n(b'a' + n as u8, *len));
                bytes.push(b'\n');
            }
            bytes.extend(std::iter::repeat_n(b'z', torn));
            let all = expected(&bytes, bytes.len());
            prop_assert_eq!(forward(&bytes, 0, bytes.len() as u64), all.clone());
            let mut reversed = all;
            reversed.reverse();
            prop_assert_eq!(backward(&bytes, bytes.len() as u64), reversed);
        }
    }
}
