//! Searching the day files.
//!
//! The order is the order of the files (by day) and of the lines within each file (the
//! order the writer made them durable). A search reads only the day files its time range
//! can touch (a file holds the events whose `time` falls on its UTC day), walks their lines
//! forwards or backwards from the cursor and stops as soon as its page is full, so the
//! first page of a day of a million events costs a few chunks of one file. A range that
//! covers only part of a day reads only the blocks of the file whose times can match (see
//! [`super::index`]).
//!
//! Each line is judged in three steps, cheapest first: with a type filter, a line that
//! does not contain any wanted type's text at all is skipped unread; a light parse of only
//! `event` and `time` then checks the filters exactly; only a match is decoded in full. A
//! line that cannot be read as an audit event (torn, edited, or of a type this build does
//! not know) is skipped and counted in one warning per file.
//!
//! The cursor is `f1:<YYYY-MM-DD>:<offset>`: the day file and byte offset of the line of
//! the page's last event. Lines never move once durable (files only grow), so "strictly
//! after that line, in the query's order" neither skips nor repeats, whatever is appended
//! meanwhile.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use serde::Deserialize;
use time::{Date, OffsetDateTime, UtcOffset};

use super::index::Indexes;
use super::layout::{day_path, format_date, list_day_files, parse_date};
use super::lines::{read_full, BackwardLines, ForwardLines};
use crate::sink::{AuditError, Cursor, Order, SearchPage, SearchQuery};
use crate::AuditEvent;

/// The version tag that starts a file sink cursor.
const CURSOR_TAG: &str = "f1";

/// Where a line is: its day file and the byte offset at which it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    pub(crate) day: Date,
    pub(crate) offset: u64,
}

impl Position {
    pub(crate) fn to_cursor(self) -> Cursor {
        Cursor::new(format!(
            "{CURSOR_TAG}:{}:{}",
            format_date(self.day),
            self.offset
        ))
    }

    pub(crate) fn from_cursor(cursor: &Cursor) -> Result<Position, AuditError> {
        let bad = |reason: &str| AuditError::BadCursor {
            cursor: cursor.as_str().to_string(),
            reason: reason.to_string(),
        };
        let mut parts = cursor.as_str().split(':');
        let (Some(CURSOR_TAG), Some(day), Some(offset), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("not a cursor of the file audit sink"));
        };
        let day = parse_date(day).ok_or_else(|| bad("its day is not a YYYY-MM-DD date"))?;
        let offset = offset
            .parse()
            .map_err(|_| bad("its offset is not a number"))?;
        Ok(Position { day, offset })
    }
}

/// One page of the events in `dir` matching `query`, reading no day file beyond the
/// length `durable` gives for it (files it does not list are read up to their last
/// complete line), and of a day it does not cover whole only what `indexes` say can
/// match.
pub(crate) fn search(
    dir: &Path,
    durable: &BTreeMap<Date, u64>,
    indexes: &Indexes,
    query: &SearchQuery,
) -> Result<SearchPage, AuditError> {
    let limit = query.checked_limit()?;
    let after = query
        .start_after
        .as_ref()
        .map(Position::from_cursor)
        .transpose()?;
    let mut page = Page {
        events: Vec::new(),
        limit,
        last: None,
    };
    let Some((first_day, last_day)) = day_range(query) else {
        return Ok(page.finish());
    };
    let mut days: Vec<Date> = list_day_files(dir)?
        .into_iter()
        .filter(|day| (first_day..=last_day).contains(day))
        .filter(|day| match (after, query.order) {
            (None, _) => true,
            (Some(at), Order::OldestFirst) => *day >= at.day,
            (Some(at), Order::NewestFirst) => *day <= at.day,
        })
        .collect();
    if query.order == Order::NewestFirst {
        days.reverse();
    }
    let matcher = Matcher::new(query);
    for day in days {
        let path = day_path(dir, day);
        let file = match File::open(&path) {
            Ok(file) => file,
            // Removed since it was listed (by an administrator's clean-up).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(AuditError::io("open", path, e)),
        };
        let len = match durable.get(&day) {
            Some(len) => *len,
            None => file
                .metadata()
                .map_err(|e| AuditError::io("read", &path, e))?
                .len(),
        };
        let start = after.filter(|at| at.day == day).map(|at| at.offset);
        if let Some(offset) = start {
            check_line_start(&file, &path, offset, len, query)?;
        }
        let whole_day = matcher.covers(day);
        // Part of a day: only the parts of the file whose times can match.
        let ranges = if whole_day {
            vec![(0, len)]
        } else {
            indexes
                .ranges(day, &file, len, query.from, query.to)
                .map_err(|e| AuditError::io("index", &path, e))?
        };
        let mut scan = Scan {
            matcher: &matcher,
            day,
            unreadable: 0,
            first_unreadable: 0,
        };
        let outcome = match query.order {
            Order::OldestFirst => scan.forward(&file, &ranges, start, &mut page),
            Order::NewestFirst => scan.backward(&file, &ranges, start, &mut page),
        };
        if scan.unreadable > 0 {
            tracing::warn!(
                file = %path.display(),
                lines = scan.unreadable,
                first_offset = scan.first_unreadable,
                "skipped audit log lines that are not audit events this build can read"
            );
        }
        outcome.map_err(|e| AuditError::io("read", &path, e))?;
        if page.is_full() {
            break;
        }
    }
    Ok(page.finish())
}

/// The first and last UTC day whose file can hold an event in `[from, to)`, or `None` for
/// an empty range.
fn day_range(query: &SearchQuery) -> Option<(Date, Date)> {
    if query.from >= query.to {
        return None;
    }
    let last = query.to.checked_sub(time::Duration::NANOSECOND)?;
    Some((utc_date(query.from)?, utc_date(last)?))
}

fn utc_date(time: OffsetDateTime) -> Option<Date> {
    time.checked_to_offset(UtcOffset::UTC).map(|t| t.date())
}

/// Refuses a cursor offset that is beyond the file or not at the start of a line.
fn check_line_start(
    file: &File,
    path: &Path,
    offset: u64,
    len: u64,
    query: &SearchQuery,
) -> Result<(), AuditError> {
    let bad = |reason: &str| AuditError::BadCursor {
        cursor: query
            .start_after
            .as_ref()
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        reason: reason.to_string(),
    };
    if offset >= len {
        return Err(bad("its offset is past the end of its day file"));
    }
    if offset > 0 {
        let mut before = [0u8; 1];
        let read = read_full(file, &mut before, offset - 1)
            .map_err(|e| AuditError::io("read", path, e))?;
        if read != 1 || before[0] != b'\n' {
            return Err(bad("its offset is not the start of a line"));
        }
    }
    Ok(())
}

/// The page being filled.
struct Page {
    events: Vec<AuditEvent>,
    limit: usize,
    last: Option<Position>,
}

impl Page {
    fn is_full(&self) -> bool {
        self.events.len() >= self.limit
    }

    fn push(&mut self, event: AuditEvent, at: Position) {
        self.events.push(event);
        self.last = Some(at);
    }

    fn finish(self) -> SearchPage {
        let next = if self.is_full() {
            self.last.map(Position::to_cursor)
        } else {
            None
        };
        SearchPage {
            events: self.events,
            next,
        }
    }
}

/// Reading one day file into the page.
struct Scan<'m, 'q> {
    matcher: &'m Matcher<'q>,
    day: Date,
    unreadable: u64,
    first_unreadable: u64,
}

impl Scan<'_, '_> {
    /// The lines of `ranges` after the one at `after` (or from the start), first to last.
    fn forward(
        &mut self,
        file: &File,
        ranges: &[(u64, u64)],
        after: Option<u64>,
        page: &mut Page,
    ) -> std::io::Result<()> {
        for &(start, end) in ranges {
            let from = match after {
                Some(at) if end <= at => continue,
                Some(at) if start <= at => at,
                _ => start,
            };
            let mut lines = ForwardLines::new(file, from, end);
            if after == Some(from) {
                // The cursor's own line was on the previous page.
                lines.next_line()?;
            }
            while !page.is_full() {
                let Some((offset, line)) = lines.next_line()? else {
                    break;
                };
                self.judge(offset, line, page);
            }
            if page.is_full() {
                break;
            }
        }
        Ok(())
    }

    /// The lines of `ranges` starting before `before` (or all), last to first.
    fn backward(
        &mut self,
        file: &File,
        ranges: &[(u64, u64)],
        before: Option<u64>,
        page: &mut Page,
    ) -> std::io::Result<()> {
        for &(start, end) in ranges.iter().rev() {
            let end = before.map_or(end, |at| end.min(at));
            if end <= start {
                continue;
            }
            let mut lines = BackwardLines::new(file, start, end);
            while !page.is_full() {
                let Some((offset, line)) = lines.next_line()? else {
                    break;
                };
                self.judge(offset, line, page);
            }
            if page.is_full() {
                break;
            }
        }
        Ok(())
    }

    fn judge(&mut self, offset: u64, line: &[u8], page: &mut Page) {
        match self.matcher.judge(line) {
            Verdict::Match(event) => page.push(
                *event,
                Position {
                    day: self.day,
                    offset,
                },
            ),
            Verdict::Skip => {}
            Verdict::Unreadable => {
                if self.unreadable == 0 {
                    self.first_unreadable = offset;
                }
                self.unreadable += 1;
            }
        }
    }
}

/// What a line is to a query.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// A wanted event.
    Match(Box<AuditEvent>),
    /// An event the query does not want.
    Skip,
    /// Not an audit event this build can read.
    Unreadable,
}

/// Only the fields the filters need, borrowed from the line where possible.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(with = "time::serde::rfc3339")]
    time: OffsetDateTime,
}

/// Judges lines against one query.
#[derive(Debug)]
pub(crate) struct Matcher<'q> {
    query: &'q SearchQuery,
    /// The wanted types as they appear in a line, when a text search for them is sound
    /// (none needs escaping in JSON); `None` without a type filter.
    needles: Option<Vec<&'q str>>,
}

impl<'q> Matcher<'q> {
    pub(crate) fn new(query: &'q SearchQuery) -> Self {
        let plain = |t: &String| !t.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
        let needles = (!query.event_types.is_empty() && query.event_types.iter().all(plain))
            .then(|| query.event_types.iter().map(String::as_str).collect());
        Matcher { query, needles }
    }

    /// Whether the query's time range holds all of `day`.
    fn covers(&self, day: Date) -> bool {
        let start = day.midnight().assume_utc();
        let end = day.next_day().map(|d| d.midnight().assume_utc());
        self.query.from <= start && end.is_some_and(|end| end <= self.query.to)
    }

    /// Judges one line (without its newline).
    pub(crate) fn judge(&self, line: &[u8]) -> Verdict {
        let Ok(text) = std::str::from_utf8(line) else {
            return Verdict::Unreadable;
        };
        if let Some(needles) = &self.needles {
            // A type's text appears verbatim in any line of that type, unless the line
            // escapes it (serde_json never does; other writers might, so a line with a
            // backslash goes on to the exact check).
            if !needles.iter().any(|n| text.contains(n)) && !line.contains(&b'\\') {
                return Verdict::Skip;
            }
        }
        let Ok(probe) = serde_json::from_str::<Probe<'_>>(text) else {
            return Verdict::Unreadable;
        };
        // A time whose UTC form is outside what `time` can hold (9999-12-31T23:00-02:00)
        // cannot be an event; refused here, before the full decode meets it.
        if probe.time.checked_to_offset(UtcOffset::UTC).is_none() {
            return Verdict::Unreadable;
        }
        if !self.query.wants_type(&probe.event) || !self.query.wants_time(probe.time) {
            return Verdict::Skip;
        }
        self.decode(line)
    }

    fn decode(&self, line: &[u8]) -> Verdict {
        match serde_json::from_slice::<AuditEvent>(line) {
            Ok(event) if self.query.wants_time(event.time()) => Verdict::Match(Box::new(event)),
            Ok(_) => Verdict::Skip,
            Err(_) => Verdict::Unreadable,
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    const START: &str = r#"{"ei":0,"uid":"u1","code":"T2000I","time":"2026-11-21T10:00:00Z","event":"session.start","user":"joe"}"#;

    fn query() -> SearchQuery {
        SearchQuery::new(
            datetime!(2026-11-21 00:00 UTC),
            datetime!(2026-11-22 00:00 UTC),
        )
    }

    fn verdict(query: &SearchQuery, line: &str) -> &'static str {
        match Matcher::new(query).judge(line.as_bytes()) {
            Verdict::Match(_) => "match",
            Verdict::Skip => "skip",
            Verdict::Unreadable => "unreadable",
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_strangers() {
        let at = Position {
            day: date!(2026 - 11 - 21),
            offset: 4096,
        };
        assert_eq!(at.to_cursor().as_str(), "f1:2026-11-21:4096");
        assert_eq!(Position::from_cursor(&at.to_cursor()).unwrap(), at);
        for bad in [
            "",
            "f1:2026-11-21",
            "f2:2026-11-21:1",
            "f1:2026-11-32:1",
            "f1:2026-11-21:x",
            "f1:2026-11-21:1:2",
        ] {
            let err = Position::from_cursor(&Cursor::new(bad)).unwrap_err();
            assert!(
                matches!(err, AuditError::BadCursor { .. }),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn type_filter_uses_the_event_field_only() {
        let q = query().event_types(["session.start"]);
        assert_eq!(verdict(&q, START), "match");
        let q = query().event_types(["session.end"]);
        assert_eq!(verdict(&q, START), "skip");
        // The wanted type mentioned elsewhere in the line is not enough.
        let other = START.replace("\"user\":\"joe\"", "\"user\":\"session.end\"");
        assert_eq!(verdict(&q, &other), "skip");
        // An escaped type still matches exactly.
        let escaped = START.replace("session.start", "session\\u002estart");
        let q = query().event_types(["session.start"]);
        assert_eq!(verdict(&q, &escaped), "match");
        // Whitespace, other key order: still judged on the event field.
        let spaced = r#"{ "event" : "session.start", "time": "2026-11-21T10:00:00Z", "uid":"u", "code":"T2000I" }"#;
        assert_eq!(verdict(&q, spaced), "match");
    }

    #[test]
    fn time_filter_is_from_inclusive_to_exclusive() {
        let at_from = START.replace("2026-11-21T10:00:00Z", "2026-11-21T00:00:00Z");
        let at_to = START.replace("2026-11-21T10:00:00Z", "2026-11-22T00:00:00Z");
        assert_eq!(verdict(&query(), &at_from), "match");
        assert_eq!(verdict(&query(), &at_to), "skip");
    }

    #[test]
    fn lines_that_are_not_events_are_unreadable() {
        for line in [
            "{\"ei\":0,\"uid\":\"u1\",\"code\":\"T2000I\",\"time\":\"2026-11-21T10:00:00Z\",\"ev",
            "not json",
            "{\"event\":\"session.start\"}",
            // No uid.
            r#"{"ei":0,"code":"T2000I","time":"2026-11-21T10:00:00Z","event":"session.start"}"#,
        ] {
            assert_eq!(verdict(&query(), line), "unreadable", "{line}");
        }
        assert!(matches!(
            Matcher::new(&query()).judge(b"\xff\xfe"),
            Verdict::Unreadable
        ));
        // A time with no UTC form in range: unreadable, not a panic.
        let overflow = START.replace("2026-11-21T10:00:00Z", "9999-12-31T23:00:00-02:00");
        let all_time = SearchQuery::new(
            datetime!(2026-11-21 00:00 UTC),
            datetime!(9999-12-31 23:59:59 UTC),
        );
        assert_eq!(verdict(&all_time, &overflow), "unreadable");
    }

    #[test]
    fn events_of_types_this_build_does_not_know_are_kept_and_filtered_by_name() {
        let line = r#"{"ei":0,"uid":"u","code":"X9999I","time":"2026-11-21T10:00:00Z","event":"no.such.type","x":1}"#;
        assert_eq!(verdict(&query(), line), "match");
        assert_eq!(
            verdict(&query().event_types(["no.such.type"]), line),
            "match"
        );
        assert_eq!(
            verdict(&query().event_types(["session.start"]), line),
            "skip"
        );
    }

    #[test]
    fn covers_whole_days_only() {
        let matcher_query = query();
        let matcher = Matcher::new(&matcher_query);
        assert!(matcher.covers(date!(2026 - 11 - 21)));
        assert!(!matcher.covers(date!(2026 - 11 - 22)));
        let partial = SearchQuery::new(
            datetime!(2026-11-21 00:00:01 UTC),
            datetime!(2026-11-22 00:00 UTC),
        );
        assert!(!Matcher::new(&partial).covers(date!(2026 - 11 - 21)));
    }
}
