//! The on-disk record of one item: a small binary header, then the value.
//!
//! ```text
//! byte 0      format version (1)
//! byte 1      flags: bit 0 set when an expiry follows
//! bytes 2..10 revision, u64 big-endian
//! [12 bytes   expiry: unix seconds i64 big-endian, then nanoseconds u32 big-endian]
//! rest        the value
//! ```

use time::OffsetDateTime;

use crate::error::{BackendError, Result};
use crate::item::Item;

const VERSION: u8 = 1;
const HAS_EXPIRY: u8 = 1;
const FIXED: usize = 10;
const EXPIRY: usize = 12;

/// The record of `item` (its key is the sled key, not part of the record).
pub(crate) fn encode(item: &Item) -> Vec<u8> {
    let expiry_len = if item.expires.is_some() { EXPIRY } else { 0 };
    let mut record = Vec::with_capacity(FIXED + expiry_len + item.value.len());
    record.push(VERSION);
    record.push(if item.expires.is_some() {
        HAS_EXPIRY
    } else {
        0
    });
    record.extend_from_slice(&item.revision.to_be_bytes());
    if let Some(expires) = item.expires {
        record.extend_from_slice(&expires.unix_timestamp().to_be_bytes());
        record.extend_from_slice(&expires.nanosecond().to_be_bytes());
    }
    record.extend_from_slice(&item.value);
    record
}

/// The revision and expiry of a record, and where its value starts.
pub(crate) struct Header {
    pub(crate) revision: u64,
    pub(crate) expires: Option<OffsetDateTime>,
    value_start: usize,
}

/// Reads the header of the record stored at `key`.
pub(crate) fn decode_header(key: &[u8], record: &[u8]) -> Result<Header> {
    let corrupt = |reason: &str| BackendError::Corrupt {
        key: key.to_vec(),
        reason: reason.to_string(),
    };
    let fixed: &[u8; FIXED] = record
        .get(..FIXED)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| corrupt("record is shorter than its header"))?;
    if fixed[0] != VERSION {
        return Err(corrupt(&format!(
            "unknown record format version {}",
            fixed[0]
        )));
    }
    let mut revision = [0; 8];
    revision.copy_from_slice(&fixed[2..10]);
    let revision = u64::from_be_bytes(revision);
    match fixed[1] {
        0 => Ok(Header {
            revision,
            expires: None,
            value_start: FIXED,
        }),
        HAS_EXPIRY => {
            let expiry = record
                .get(FIXED..FIXED + EXPIRY)
                .ok_or_else(|| corrupt("record is shorter than its expiry"))?;
            let mut seconds = [0; 8];
            seconds.copy_from_slice(&expiry[..8]);
            let mut nanos = [0; 4];
            nanos.copy_from_slice(&expiry[8..]);
            let expires = OffsetDateTime::from_unix_timestamp(i64::from_be_bytes(seconds))
                .and_then(|at| at.replace_nanosecond(u32::from_be_bytes(nanos)))
                .map_err(|err| corrupt(&format!("expiry is out of range: {err}")))?;
            Ok(Header {
                revision,
                expires: Some(expires),
                value_start: FIXED + EXPIRY,
            })
        }
        flags => Err(corrupt(&format!("unknown record flags {flags:#04x}"))),
    }
}

/// The item stored at `key`.
pub(crate) fn decode(key: &[u8], record: &[u8]) -> Result<Item> {
    let header = decode_header(key, record)?;
    Ok(Item {
        key: key.to_vec(),
        value: record[header.value_start..].to_vec(),
        expires: header.expires,
        revision: header.revision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn records_round_trip() {
        let mut item = Item::new("/k", vec![0, 1, 2, 255]);
        item.revision = u64::MAX - 3;
        assert_eq!(decode(b"/k", &encode(&item)).unwrap(), item);
        let item = item.with_expiry(datetime!(2031-05-06 07:08:09.123456789 UTC));
        let record = encode(&item);
        assert_eq!(record.len(), FIXED + EXPIRY + 4);
        assert_eq!(decode(b"/k", &record).unwrap(), item);
        let empty = Item::new("/e", Vec::new());
        assert_eq!(decode(b"/e", &encode(&empty)).unwrap(), empty);
    }

    #[test]
    fn damaged_records_are_corrupt_not_panics() {
        let record = encode(&Item::new("/k", "v").with_expiry(datetime!(2030-01-01 0:00 UTC)));
        for len in 0..FIXED + EXPIRY {
            let err = decode(b"/k", &record[..len]).unwrap_err();
            assert!(matches!(err, BackendError::Corrupt { .. }), "{err}");
        }
        let mut bad = record.clone();
        bad[0] = 9;
        assert!(decode(b"/k", &bad)
            .unwrap_err()
            .to_string()
            .contains("version 9"));
        let mut bad = record;
        bad[1] = 0x80;
        assert!(decode(b"/k", &bad).is_err());
    }
}
