//! How single values are written and read: times as RFC 3339 in UTC, and lenient readers
//! for fields that older writers (or Teleport's own documentation) typed differently.
//! Writing is always strict; only reading is lenient.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A time written as RFC 3339 in UTC (`2021-01-01T00:00:00Z`) whatever its offset in
/// memory, and read from any RFC 3339 offset into UTC.
pub(crate) mod utc {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        at: &OffsetDateTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let utc = at
            .checked_to_offset(UtcOffset::UTC)
            .ok_or_else(|| serde::ser::Error::custom("time is out of range in UTC"))?;
        let text = utc.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        let at = OffsetDateTime::parse(&text, &Rfc3339)
            .map_err(|err| de::Error::custom(format!("`{text}` is not an RFC 3339 time: {err}")))?;
        // Converting can leave the supported years (9999-12-31T23:00:00-02:00): refuse it
        // rather than panic on input from a file or the network.
        at.checked_to_offset(UtcOffset::UTC).ok_or_else(|| {
            de::Error::custom(format!("`{text}` is out of range once converted to UTC"))
        })
    }
}

/// Like [`utc`] for a time that may be absent.
pub(crate) mod utc_option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        at: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => utc::serialize(at, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        #[derive(Deserialize)]
        struct Utc(#[serde(with = "utc")] OffsetDateTime);
        Ok(Option::<Utc>::deserialize(deserializer)?.map(|Utc(at)| at))
    }
}

/// Reads a string field that some writers wrote as a number (the manual shows
/// `"exitCode": 0`, Teleport writes `"exitCode": "0"`).
pub(crate) fn string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    struct StringOrNumber;

    impl Visitor<'_> for StringOrNumber {
        type Value = String;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or an integer")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }

        fn visit_unit<E: de::Error>(self) -> Result<String, E> {
            Ok(String::new())
        }
    }

    deserializer.deserialize_any(StringOrNumber)
}

/// Reads a boolean that some writers wrote as `"true"`/`"false"` (the manual shows
/// `"success": "false"`, Teleport writes `"success": false`).
pub(crate) fn bool_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    struct BoolOrString;

    impl Visitor<'_> for BoolOrString {
        type Value = bool;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a boolean or \"true\"/\"false\"")
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v {
                "true" => Ok(true),
                "false" => Ok(false),
                other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
            }
        }
    }

    deserializer.deserialize_any(BoolOrString)
}

/// Reads `null` as the type's default: Go writes a nil list as `null`.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
