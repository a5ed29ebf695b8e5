//! Finds the line and column of a key path in a YAML document.
//!
//! serde_yaml knows positions only while it reads, and attaches one to an error raised
//! inside a visitor callback. Some errors are raised elsewhere (a missing or duplicate key,
//! a storage key that belongs to another storage type, a check across keys) and would be
//! reported at the enclosing mapping, or, for an empty value, on the following line. For
//! those the error is re-pinned by walking the document once more to the key path and
//! raising a marker error right there: serde_yaml then stamps the marker with the exact
//! position, which is read back. The walk only runs when an error is being reported.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// Where a value starts, and whether it is empty (`key:` with nothing, `~` or `null`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ValuePos {
    pub(crate) pos: Pos,
    pub(crate) null: bool,
}

const FOUND: &str = "\u{1}teleport-config-locate:found\u{1}";
const FOUND_NULL: &str = "\u{1}teleport-config-locate:found-null\u{1}";

/// The position of the `occurrence`-th (1-based) appearance of the last key of `path`
/// (for a path that ends in a list index: where that element starts).
pub(crate) fn key_pos(text: &str, path: &[Seg], occurrence: usize) -> Option<Pos> {
    match path.last() {
        None => None,
        Some(Seg::Index(_)) => value_pos(text, path).map(|v| v.pos),
        Some(Seg::Key(_)) => run(
            text,
            Walker {
                path,
                target: Target::Key { occurrence },
            },
        )
        .map(|(pos, _)| pos),
    }
}

/// Where the value at `path` starts.
pub(crate) fn value_pos(text: &str, path: &[Seg]) -> Option<ValuePos> {
    if path.is_empty() {
        return None;
    }
    run(
        text,
        Walker {
            path,
            target: Target::Value,
        },
    )
    .map(|(pos, null)| ValuePos { pos, null })
}

fn run(text: &str, walker: Walker<'_>) -> Option<(Pos, bool)> {
    let err = walker
        .deserialize(serde_yaml::Deserializer::from_str(text))
        .err()?;
    let message = err.to_string();
    let null = if message.contains(FOUND_NULL) {
        true
    } else if message.contains(FOUND) {
        false
    } else {
        return None;
    };
    let location = err.location()?;
    Some((
        Pos {
            line: location.line(),
            column: location.column(),
        },
        null,
    ))
}

#[derive(Clone, Copy)]
enum Target {
    /// Stop on the last key itself, at its n-th appearance in its mapping.
    Key { occurrence: usize },
    /// Stop on the value of the last step.
    Value,
}

/// Walks down `path`; returns `Ok(())` when the path is not in the document and a marker
/// error when it is found.
#[derive(Clone, Copy)]
struct Walker<'p> {
    path: &'p [Seg],
    target: Target,
}

impl<'de> DeserializeSeed<'de> for Walker<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.path.is_empty() {
            deserializer.deserialize_any(ValueProbe)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Walker<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Seg::Key(wanted), rest)) = self.path.split_first() else {
            return Ok(());
        };
        let stop_on_key = match (rest.is_empty(), self.target) {
            (true, Target::Key { occurrence }) => Some(occurrence),
            _ => None,
        };
        let mut seen = 0;
        while let Some(matched) = map.next_key_seed(KeyProbe {
            wanted,
            stop_at: stop_on_key,
            seen: &mut seen,
        })? {
            if matched && stop_on_key.is_none() {
                return map.next_value_seed(Walker {
                    path: rest,
                    target: self.target,
                });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((Seg::Index(wanted), rest)) = self.path.split_first() else {
            return Ok(());
        };
        for _ in 0..*wanted {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        seq.next_element_seed(Walker {
            path: rest,
            target: self.target,
        })?;
        Ok(())
    }

    // Any scalar where a mapping or list was expected: the path is not there.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Reads one mapping key; tells whether it is the wanted one, or stops with the marker
/// when it is the wanted appearance of the final key.
struct KeyProbe<'a> {
    wanted: &'a str,
    stop_at: Option<usize>,
    seen: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for KeyProbe<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyProbe<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        if v != self.wanted {
            return Ok(false);
        }
        *self.seen += 1;
        match self.stop_at {
            Some(n) if *self.seen == n => Err(E::custom(FOUND)),
            _ => Ok(true),
        }
    }
}

/// Stops on whatever value it is given, telling whether it is empty.
struct ValueProbe;

impl<'de> Visitor<'de> for ValueProbe {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND_NULL))
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND_NULL))
    }

    fn visit_some<D: Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
        Err(de::Error::custom(FOUND))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
        Err(de::Error::custom(FOUND))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &[&str]) -> Vec<Seg> {
        p.iter()
            .map(|s| match s.parse::<usize>() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(s.to_string()),
            })
            .collect()
    }

    const DOC: &str = "\
teleport:
  nodename: a
  storage:
    type: etcd
    peers: [x, y]
ssh_service:
  commands:
  - name: one
    period:
  - name: two
    period: 30s
  labels: {a: b, a: c}
";

    #[test]
    fn finds_keys_and_values() {
        let at = |line, column| Pos { line, column };
        assert_eq!(
            key_pos(DOC, &path(&["teleport", "storage", "peers"]), 1),
            Some(at(5, 5))
        );
        assert_eq!(
            value_pos(DOC, &path(&["teleport", "storage", "peers"])).map(|v| v.pos),
            Some(at(5, 12))
        );
        assert_eq!(
            value_pos(DOC, &path(&["ssh_service", "commands", "1", "period"])),
            Some(ValuePos {
                pos: at(11, 13),
                null: false
            })
        );
        assert_eq!(
            key_pos(DOC, &path(&["ssh_service", "commands", "1"]), 1),
            Some(at(10, 5))
        );
        let empty = value_pos(DOC, &path(&["ssh_service", "commands", "0", "period"]));
        assert!(empty.is_some_and(|v| v.null));
        assert_eq!(
            key_pos(DOC, &path(&["ssh_service", "commands", "0", "period"]), 1),
            Some(at(9, 5))
        );
        assert_eq!(
            key_pos(DOC, &path(&["ssh_service", "labels", "a"]), 2),
            Some(at(12, 18))
        );
        assert_eq!(key_pos(DOC, &path(&["teleport", "nope"]), 1), None);
        assert_eq!(
            key_pos(DOC, &path(&["ssh_service", "commands", "7"]), 1),
            None
        );
    }
}
