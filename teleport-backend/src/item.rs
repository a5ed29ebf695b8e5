//! What a backend stores ([`Item`]), how callers select keys ([`KeyRange`]) and the write
//! preconditions every implementation shares.

use std::fmt;
use std::ops::Bound;

use time::OffsetDateTime;

use crate::error::{BackendError, Result};

/// Passed as `limit` to [`Backend::get_range`](crate::Backend::get_range): return every item
/// in the range (Teleport's `backend.NoLimit`).
pub const NO_LIMIT: usize = 0;

/// One key with its value, optional expiry and the revision of its last write.
///
/// When an item is handed to a write (`put`, `create`, `update`, `compare_and_swap`) its
/// `revision` is ignored: the backend assigns a fresh one and returns it.
#[derive(Clone, PartialEq, Eq)]
pub struct Item {
    /// The key: any non-empty bytes; teleport-rs uses `/`-separated paths such as
    /// `/web/users/alice/params`.
    pub key: Vec<u8>,
    /// The value: any bytes, possibly empty.
    pub value: Vec<u8>,
    /// When the item expires; from then on it is treated as absent. `None` never expires.
    pub expires: Option<OffsetDateTime>,
    /// The backend-wide revision of the write that stored this value.
    pub revision: u64,
}

impl Item {
    /// An item that never expires, ready to be written.
    pub fn new(key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Self {
        Item {
            key: key.into(),
            value: value.into(),
            expires: None,
            revision: 0,
        }
    }

    /// The same item, expiring at `expires`.
    pub fn with_expiry(mut self, expires: OffsetDateTime) -> Self {
        self.expires = Some(expires);
        self
    }

    /// True when the item has an expiry that is at or before `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires.is_some_and(|expires| expires <= now)
    }
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Item")
            .field("key", &format_args!("\"{}\"", self.key.escape_ascii()))
            .field("value", &format_args!("{} bytes", self.value.len()))
            .field("expires", &self.expires)
            .field("revision", &self.revision)
            .finish()
    }
}

/// The keys a range read or range delete covers.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyRange {
    /// Every key starting with these bytes. The match is bytewise: prefix `/a` covers
    /// `/a/x` and `/ab`; use `/a/` to cover only what is under `/a`. An empty prefix covers
    /// every key.
    Prefix(Vec<u8>),
    /// Every key `k` with `start <= k < end`, compared bytewise. Empty when
    /// `start >= end`.
    Between {
        /// The first key covered.
        start: Vec<u8>,
        /// The first key past the range.
        end: Vec<u8>,
    },
}

impl KeyRange {
    /// Every key starting with `prefix`.
    pub fn prefix(prefix: impl Into<Vec<u8>>) -> Self {
        KeyRange::Prefix(prefix.into())
    }

    /// Every key from `start` (included) to `end` (excluded).
    pub fn between(start: impl Into<Vec<u8>>, end: impl Into<Vec<u8>>) -> Self {
        KeyRange::Between {
            start: start.into(),
            end: end.into(),
        }
    }

    /// Every key.
    pub fn all() -> Self {
        KeyRange::Prefix(Vec::new())
    }

    /// True when `key` is in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        match self {
            KeyRange::Prefix(prefix) => key.starts_with(prefix),
            KeyRange::Between { start, end } => start.as_slice() <= key && key < end.as_slice(),
        }
    }

    /// The range as bounds for an ordered map, or `None` when it covers nothing (a map's
    /// `range` panics on reversed bounds).
    pub(crate) fn bounds(&self) -> Option<KeyBounds> {
        match self {
            KeyRange::Prefix(prefix) => {
                let end = match prefix_end(prefix) {
                    Some(end) => Bound::Excluded(end),
                    None => Bound::Unbounded,
                };
                Some((Bound::Included(prefix.clone()), end))
            }
            KeyRange::Between { start, end } if start < end => {
                Some((Bound::Included(start.clone()), Bound::Excluded(end.clone())))
            }
            KeyRange::Between { .. } => None,
        }
    }
}

impl fmt::Debug for KeyRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRange::Prefix(prefix) => write!(f, "Prefix(\"{}\")", prefix.escape_ascii()),
            KeyRange::Between { start, end } => write!(
                f,
                "Between(\"{}\"..\"{}\")",
                start.escape_ascii(),
                end.escape_ascii()
            ),
        }
    }
}

impl From<std::ops::Range<Vec<u8>>> for KeyRange {
    fn from(range: std::ops::Range<Vec<u8>>) -> Self {
        KeyRange::Between {
            start: range.start,
            end: range.end,
        }
    }
}

/// A key range as the bounds ordered maps take.
pub(crate) type KeyBounds = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The smallest key greater than every key starting with `prefix`, or `None` when no such
/// key exists (the prefix is empty or all `0xff`).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// What must hold at a key for a write to go ahead.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Condition<'a> {
    /// `put`: always.
    Always,
    /// `create`: no live item.
    Absent,
    /// `update`: a live item.
    Present,
    /// `compare_and_swap`: a live item with exactly this value.
    ValueIs(&'a [u8]),
}

impl Condition<'_> {
    /// Checks the condition against the live item at `key` (expired items must already be
    /// mapped to `None`).
    pub(crate) fn check(self, key: &[u8], live: Option<&Item>) -> Result<()> {
        match (self, live) {
            (Condition::Always, _) => Ok(()),
            (Condition::Absent, None) => Ok(()),
            (Condition::Absent, Some(_)) => Err(BackendError::AlreadyExists { key: key.to_vec() }),
            (Condition::Present | Condition::ValueIs(_), None) => {
                Err(BackendError::NotFound { key: key.to_vec() })
            }
            (Condition::Present, Some(_)) => Ok(()),
            (Condition::ValueIs(expected), Some(item)) if item.value == expected => Ok(()),
            (Condition::ValueIs(_), Some(_)) => {
                Err(BackendError::CompareFailed { key: key.to_vec() })
            }
        }
    }
}

/// Rejects empty keys, which no backend stores.
pub(crate) fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() {
        Err(BackendError::EmptyKey)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_skips_trailing_ff() {
        assert_eq!(prefix_end(b"/a"), Some(b"/b".to_vec()));
        assert_eq!(prefix_end(&[b'a', 0xff, 0xff]), Some(b"b".to_vec()));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn ranges_contain_what_they_say() {
        let prefix = KeyRange::prefix("/a/");
        assert!(prefix.contains(b"/a/x"));
        assert!(!prefix.contains(b"/ab"));
        assert!(KeyRange::prefix("/a").contains(b"/ab"));
        let between = KeyRange::between("/b", "/d");
        assert!(between.contains(b"/b"));
        assert!(between.contains(b"/c/zzz"));
        assert!(!between.contains(b"/d"));
        assert!(KeyRange::between("/d", "/b").bounds().is_none());
        assert!(KeyRange::all().contains(b"anything"));
    }

    #[test]
    fn conditions_map_to_errors() {
        let item = Item::new("/k", "v");
        assert!(Condition::Absent
            .check(b"/k", Some(&item))
            .is_err_and(|e| e.is_already_exists()));
        assert!(Condition::Present
            .check(b"/k", None)
            .is_err_and(|e| e.is_not_found()));
        assert!(Condition::ValueIs(b"v").check(b"/k", Some(&item)).is_ok());
        assert!(Condition::ValueIs(b"w")
            .check(b"/k", Some(&item))
            .is_err_and(|e| e.is_compare_failed()));
        assert!(Condition::ValueIs(b"v")
            .check(b"/k", None)
            .is_err_and(|e| e.is_not_found()));
    }

    #[test]
    fn debug_hides_values() {
        let text = format!("{:?}", Item::new("/k", "secret"));
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("6 bytes"), "{text}");
    }
}
