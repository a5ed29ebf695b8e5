//! Field encodings shared by every resource kind: Go timestamps, "a string or a list of
//! strings", and the small predicates used to leave default values out of the output.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Timestamps as Go writes them (RFC 3339 in UTC, fraction only when non-zero).
///
/// Go's zero time `0001-01-01T00:00:00Z`, which Teleport prints for unset
/// times, reads as `None`; `None` is left out of the output by the fields using this.
pub(crate) mod go_time {
    use super::*;

    /// Go's zero `time.Time`, which Teleport prints for "not set".
    const GO_ZERO: OffsetDateTime = time::macros::datetime!(0001-01-01 00:00 UTC);

    /// Parses an RFC 3339 time; Go's zero time is `None`.
    pub(crate) fn parse(text: &str) -> Result<Option<OffsetDateTime>, String> {
        let parsed = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|err| {
            format!("invalid time {text:?}: {err}; expected RFC 3339 such as 2021-01-02T15:04:05Z")
        })?;
        let utc = parsed.to_offset(UtcOffset::UTC);
        Ok((utc != GO_ZERO).then_some(utc))
    }

    /// Formats a time the way Go's `time.Time` marshals to JSON, in UTC.
    pub(crate) fn format(value: &OffsetDateTime) -> Result<String, String> {
        value
            .to_offset(UtcOffset::UTC)
            .format(&Rfc3339)
            .map_err(|err| format!("cannot write time {value}: {err}"))
    }

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(time) => {
                serializer.serialize_str(&format(time).map_err(serde::ser::Error::custom)?)
            }
            None => serializer.serialize_str("0001-01-01T00:00:00Z"),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        let text: Option<String> = Option::deserialize(deserializer)?;
        match text {
            None => Ok(None),
            Some(text) => parse(&text).map_err(de::Error::custom),
        }
    }
}

/// One string or a list of strings, as Teleport's `utils.Strings` accepts in role
/// `node_labels` (`env: prod` or `env: [prod, staging]`). One value is written back as
/// a plain string, several as a list, as Teleport does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Strings(pub Vec<String>);

impl Strings {
    /// The values as a slice.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Iterates over the values.
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a Strings {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<&str> for Strings {
    fn from(value: &str) -> Self {
        Strings(vec![value.to_string()])
    }
}

impl From<Vec<String>> for Strings {
    fn from(value: Vec<String>) -> Self {
        Strings(value)
    }
}

impl<const N: usize> From<[&str; N]> for Strings {
    fn from(value: [&str; N]) -> Self {
        Strings(value.iter().map(|s| s.to_string()).collect())
    }
}

impl Serialize for Strings {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => serializer.serialize_str(one),
            many => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringsVisitor;

        impl<'de> Visitor<'de> for StringsVisitor {
            type Value = Strings;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings (quote values such as '1' or 'true')")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Strings, E> {
                Ok(Strings(vec![v.to_string()]))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Strings, E> {
                Ok(Strings::default())
            }

            fn visit_none<E: de::Error>(self) -> Result<Strings, E> {
                Ok(Strings::default())
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(value) = seq.next_element::<String>()? {
                    values.push(value);
                }
                Ok(Strings(values))
            }
        }

        deserializer.deserialize_any(StringsVisitor)
    }
}

/// Reads a list of strings that may also be written as one plain string
/// (the manual's user example writes `roles: admin`).
pub(crate) fn string_or_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    Strings::deserialize(deserializer).map(|s| s.0)
}

/// Reads user traits: a map of trait name to values, each a string or a list.
pub(crate) fn traits<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
    let map = BTreeMap::<String, Strings>::deserialize(deserializer)?;
    Ok(map.into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// `skip_serializing_if` helper for booleans that default to false.
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

/// Serde default for booleans that are on unless turned off.
pub(crate) fn default_true() -> bool {
    true
}

/// `skip_serializing_if` helper for durations that mean "unset" when zero.
pub(crate) fn is_zero_duration(value: &crate::Duration) -> bool {
    value.is_zero()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder {
        #[serde(with = "go_time", default, skip_serializing_if = "Option::is_none")]
        at: Option<OffsetDateTime>,
    }

    #[test]
    fn go_zero_time_is_none() {
        let h: Holder = serde_yaml::from_str("at: 0001-01-01T00:00:00Z").unwrap();
        assert_eq!(h.at, None);
        assert_eq!(serde_yaml::to_string(&h).unwrap().trim(), "{}");
    }

    #[test]
    fn times_print_like_go() {
        let h: Holder = serde_yaml::from_str("at: 2021-03-04T05:06:07.5+01:00").unwrap();
        let out = serde_yaml::to_string(&h).unwrap();
        assert_eq!(out.trim(), "at: 2021-03-04T04:06:07.5Z");
        let h: Holder = serde_yaml::from_str("at: '2021-03-04T05:06:07Z'").unwrap();
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"at":"2021-03-04T05:06:07Z"}"#
        );
        let h: Holder = serde_json::from_str(r#"{"at":null}"#).unwrap();
        assert_eq!(h.at, None);
    }

    #[test]
    fn bad_time_names_the_value() {
        let err = serde_yaml::from_str::<Holder>("at: yesterday").unwrap_err();
        assert!(err.to_string().contains("\"yesterday\""), "{err}");
    }

    #[test]
    fn strings_accept_one_or_many() {
        let one: Strings = serde_yaml::from_str("prod").unwrap();
        assert_eq!(one, Strings::from("prod"));
        assert_eq!(serde_yaml::to_string(&one).unwrap().trim(), "prod");
        let many: Strings = serde_yaml::from_str("[a, b]").unwrap();
        assert_eq!(many, Strings::from(["a", "b"]));
        assert_eq!(serde_json::to_string(&many).unwrap(), r#"["a","b"]"#);
        assert!(serde_yaml::from_str::<Strings>("1").is_err());
    }
}
