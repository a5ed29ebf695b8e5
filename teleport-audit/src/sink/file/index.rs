//! A sparse time index of day files, so that a search for part of a day reads only the
//! parts of the file that can hold it.
//!
//! Lines are appended roughly in time order, but only roughly: an event's `time` is set
//! by whoever made it, and a late event lands after later ones. So the file is not binary
//! searched. Instead it is cut into blocks of about [`BLOCK_BYTES`] of whole lines, each
//! knowing the earliest and latest `time` of its lines; a search skips exactly the blocks
//! whose span misses its range, which is correct whatever the disorder and fast when the
//! disorder is small. A block holding a line whose time cannot be read is never skipped.
//!
//! An index is built on the first search that needs it (one pass over the file: about a
//! second for a day of a million events), kept by the sink, and extended by the lines
//! made durable since, so later searches pay only for what is new.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Deserialize;
use time::{Date, OffsetDateTime};

use super::lines::ForwardLines;

/// About how many bytes of lines one block covers.
pub(crate) const BLOCK_BYTES: u64 = 1 << 20;

/// A run of whole lines `[start, end)` and the span of their times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    start: u64,
    end: u64,
    /// The earliest and latest time, or `None` when some line's time is unknown (the block
    /// must then always be read).
    span: Option<(OffsetDateTime, OffsetDateTime)>,
}

impl Block {
    fn new(start: u64, end: u64, time: Option<OffsetDateTime>) -> Self {
        Block {
            start,
            end,
            span: time.map(|t| (t, t)),
        }
    }

    fn add(&mut self, end: u64, time: Option<OffsetDateTime>) {
        self.end = end;
        self.span = match (self.span, time) {
            (Some((min, max)), Some(t)) => Some((min.min(t), max.max(t))),
            _ => None,
        };
    }

    /// Whether some line of the block can have a time in `[from, to)`.
    fn may_hold(&self, from: OffsetDateTime, to: OffsetDateTime) -> bool {
        match self.span {
            Some((min, max)) => max >= from && min < to,
            None => true,
        }
    }
}

/// The index of one day file, covering its first `indexed_to` bytes.
#[derive(Debug)]
pub(crate) struct DayIndex {
    blocks: Vec<Block>,
    indexed_to: u64,
    block_bytes: u64,
}

impl Default for DayIndex {
    fn default() -> Self {
        DayIndex::with_block_bytes(BLOCK_BYTES)
    }
}

/// Only the time of a line.
#[derive(Deserialize)]
struct TimeOnly {
    #[serde(with = "time::serde::rfc3339")]
    time: OffsetDateTime,
}

impl DayIndex {
    fn with_block_bytes(block_bytes: u64) -> Self {
        DayIndex {
            blocks: Vec::new(),
            indexed_to: 0,
            block_bytes,
        }
    }

    /// Indexes the complete lines of `file` up to `len` not yet indexed. A file shorter
    /// than what is indexed (replaced behind the sink's back) is indexed afresh.
    pub(crate) fn extend(&mut self, file: &File, len: u64) -> io::Result<()> {
        if len < self.indexed_to {
            *self = DayIndex::with_block_bytes(self.block_bytes);
        }
        if len == self.indexed_to {
            return Ok(());
        }
        let mut lines = ForwardLines::new(file, self.indexed_to, len);
        while let Some((offset, line)) = lines.next_line()? {
            let end = offset + line.len() as u64 + 1;
            let time = serde_json::from_slice::<TimeOnly>(line)
                .ok()
                .map(|t| t.time);
            match self.blocks.last_mut() {
                Some(block)
                    if block.end == offset && block.end - block.start < self.block_bytes =>
                {
                    block.add(end, time);
                }
                _ => self.blocks.push(Block::new(offset, end, time)),
            }
            self.indexed_to = end;
        }
        Ok(())
    }

    /// The byte ranges, first to last and merged, whose lines can have a time in
    /// `[from, to)`, within what is indexed.
    pub(crate) fn ranges(&self, from: OffsetDateTime, to: OffsetDateTime) -> Vec<(u64, u64)> {
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for block in self.blocks.iter().filter(|b| b.may_hold(from, to)) {
            match ranges.last_mut() {
                Some(last) if last.1 == block.start => last.1 = block.end,
                _ => ranges.push((block.start, block.end)),
            }
        }
        ranges
    }
}

/// The indexes a sink has built, by day.
#[derive(Debug)]
pub(crate) struct Indexes {
    days: Mutex<HashMap<Date, Arc<Mutex<DayIndex>>>>,
    block_bytes: u64,
}

impl Default for Indexes {
    fn default() -> Self {
        Indexes::with_block_bytes(BLOCK_BYTES)
    }
}

impl Indexes {
    /// Indexes with blocks of about `block_bytes` (tests use tiny ones).
    pub(crate) fn with_block_bytes(block_bytes: u64) -> Self {
        Indexes {
            days: Mutex::new(HashMap::new()),
            block_bytes,
        }
    }

    /// The byte ranges of day file `file` (of `day`, durable up to `len`) whose lines can
    /// have a time in `[from, to)`, extending its index first.
    pub(crate) fn ranges(
        &self,
        day: Date,
        file: &File,
        len: u64,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> io::Result<Vec<(u64, u64)>> {
        let index = {
            let mut days = self.days.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(days.entry(day).or_insert_with(|| {
                Arc::new(Mutex::new(DayIndex::with_block_bytes(self.block_bytes)))
            }))
        };
        let mut index = index.lock().unwrap_or_else(PoisonError::into_inner);
        index.extend(file, len)?;
        Ok(index.ranges(from, to))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use time::macros::datetime;
    use time::Duration;

    use super::*;

    fn line(time: &str) -> String {
        format!(
            "{{\"uid\":\"u\",\"time\":\"{time}\",\"event\":\"session.start\",\"pad\":\"{}\"}}\n",
            "x".repeat(1000)
        )
    }

    #[test]
    fn skips_only_blocks_whose_span_misses_the_range() {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        let start = datetime!(2026-11-21 00:00 UTC);
        // 3,000 lines of ~1 KB over the day (about three blocks), then one late line
        // stamped at midnight, and one line with no readable time in the middle.
        let mut len = 0;
        for n in 0..3000 {
            let time = start + Duration::seconds(n * 28);
            let text = if n == 1500 {
                "not json\n".to_string()
            } else {
                line(
                    &time
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap(),
                )
            };
            tmp.write_all(text.as_bytes()).unwrap();
            len += text.len() as u64;
        }
        let late = line("2026-11-21T00:00:00Z");
        tmp.write_all(late.as_bytes()).unwrap();
        len += late.len() as u64;
        let file = File::open(tmp.path()).unwrap();

        let mut index = DayIndex::default();
        index.extend(&file, len).unwrap();
        assert_eq!(index.indexed_to, len);
        assert!(index.blocks.len() >= 3, "{:?}", index.blocks.len());
        assert!(index.blocks.windows(2).all(|w| w[0].end == w[1].start));

        // The first hour: the first block, the block with the unreadable line, and the
        // last block (it holds the late line).
        let first_hour = index.ranges(start, start + Duration::HOUR);
        assert_eq!(first_hour.first().unwrap().0, 0);
        assert_eq!(first_hour.last().unwrap().1, len);
        let covered: u64 = first_hour.iter().map(|(s, e)| e - s).sum();
        assert!(covered < len, "nothing skipped: {first_hour:?}");
        // The whole day: one range over everything.
        assert_eq!(index.ranges(start, start + Duration::DAY), vec![(0, len)]);
        // Nothing is before the day but the unreadable line's block.
        let before = index.ranges(start - Duration::DAY, start);
        assert_eq!(before.len(), 1);
        assert!(index
            .blocks
            .iter()
            .any(|b| b.span.is_none() && (b.start, b.end) == before[0]));
    }

    #[test]
    fn extends_incrementally_and_restarts_on_a_shorter_file() {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        let first = line("2026-11-21T01:00:00Z");
        tmp.write_all(first.as_bytes()).unwrap();
        let file = File::open(tmp.path()).unwrap();
        let mut index = DayIndex::default();
        index.extend(&file, first.len() as u64).unwrap();
        let second = line("2026-11-21T02:00:00Z");
        tmp.write_all(second.as_bytes()).unwrap();
        // A torn piece after the last newline is not indexed.
        tmp.write_all(b"{\"tim").unwrap();
        let total = (first.len() + second.len()) as u64;
        index.extend(&file, total + 5).unwrap();
        assert_eq!(index.indexed_to, total);
        assert_eq!(index.blocks.len(), 1);
        let two = datetime!(2026-11-21 02:00 UTC);
        assert_eq!(index.ranges(two, two + Duration::SECOND), vec![(0, total)]);
        index.extend(&file, first.len() as u64).unwrap();
        assert_eq!(index.indexed_to, first.len() as u64);
    }
}
