//! serde plumbing shared by the value types: reading through `FromStr` inside a
//! visitor callback (so that errors carry the scalar's position), fixed-word enums,
//! and values written either as one string or as a list.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};

use super::values::ValueError;

/// A visitor that reads a string (or a scalar shown as a string) and parses it with
/// `FromStr`, raising the parse error inside `visit_str` so that it gets the scalar's
/// line and column.
pub(crate) struct FromStrVisitor<T> {
    expecting: &'static str,
    marker: PhantomData<fn() -> T>,
}

impl<T> FromStrVisitor<T> {
    pub(crate) fn new(expecting: &'static str) -> Self {
        FromStrVisitor {
            expecting,
            marker: PhantomData,
        }
    }
}

impl<T> Visitor<'_> for FromStrVisitor<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        self.visit_str(if v { "true" } else { "false" })
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }
}

/// Implements `Deserialize` through `FromStr` (checked in `visit_str`) and `Serialize`
/// through `Display` for a value type.
macro_rules! serde_via_str {
    ($ty:ty, $expecting:literal) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str($crate::config::serde_support::FromStrVisitor::new(
                    $expecting,
                ))
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    };
}
pub(crate) use serde_via_str;

/// Defines an enum of fixed words, read case-insensitively, with `as_str`, `Display`,
/// `FromStr` (error [`ValueError::UnknownKeyword`]) and serde support.
macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal, $expected:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// The word as `teleport.yaml` spells it.
            pub const fn as_str(&self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::config::values::ValueError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let word = s.trim();
                $(
                    if word.eq_ignore_ascii_case($text) $(|| word.eq_ignore_ascii_case($alias))* {
                        return Ok($name::$variant);
                    }
                )+
                Err($crate::config::values::ValueError::UnknownKeyword {
                    what: $what,
                    value: s.to_string(),
                    expected: $expected,
                })
            }
        }

        $crate::config::serde_support::serde_via_str!($name, $expected);
    };
}
pub(crate) use keyword_enum;

/// Reads a value that may be written either as one string or as a list of strings
/// (`public_addr`, `ca_pin`, `audit_events_uri`, ...), parsing each with `parse`.
pub(crate) struct OneOrMany<T> {
    expecting: &'static str,
    parse: fn(&str) -> Result<T, ValueError>,
}

impl<T> OneOrMany<T> {
    pub(crate) fn new(expecting: &'static str, parse: fn(&str) -> Result<T, ValueError>) -> Self {
        OneOrMany { expecting, parse }
    }

    /// Reads the value from `deserializer`.
    pub(crate) fn read<'de, D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Vec<T>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// One list element, parsed in `visit_str` so that its error points at the element.
struct ParsedElement<T> {
    expecting: &'static str,
    parse: fn(&str) -> Result<T, ValueError>,
}

impl<'de, T> DeserializeSeed<'de> for ParsedElement<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<T> Visitor<'_> for ParsedElement<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }
}

impl<'de, T> Visitor<'de> for OneOrMany<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} or a list of them", self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<T>, E> {
        (self.parse)(v).map(|one| vec![one]).map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element_seed(ParsedElement {
            expecting: self.expecting,
            parse: self.parse,
        })? {
            out.push(item);
        }
        Ok(out)
    }
}

/// Parses with `FromStr`, for use as the `parse` function of [`OneOrMany`].
pub(crate) fn parse_from_str<T: FromStr<Err = ValueError>>(s: &str) -> Result<T, ValueError> {
    s.parse()
}

/// `skip_serializing_if` helper for sections and other defaulted values.
pub(crate) fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}
