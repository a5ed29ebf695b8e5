//! The envelope every resource shares: `kind`, `version`, `metadata`, `spec`.
//!
//! Reading checks that `kind` and `version` are ones this crate knows and that the
//! metadata has a name; when a caller passes a [`ProblemSlot`] (as
//! [`crate::resource::read_resources`] does), those failures are also recorded there so
//! the caller can turn them into typed errors while keeping the parser's line numbers.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::metadata::RawMetadata;
use super::{Kind, Metadata, MetadataError};

/// The `spec` of one kind of resource.
pub trait Spec:
    Serialize + DeserializeOwned + Clone + PartialEq + fmt::Debug + Send + Sync + 'static
{
    /// The kind this spec belongs to.
    const KIND: Kind;
    /// The versions accepted on input; the first is written for resources made in code.
    const VERSIONS: &'static [&'static str];

    /// Empties every secret (private keys, client secrets, password hashes), as
    /// `tctl get` does without `--with-secrets`.
    fn strip_secrets(&mut self) {}
}

/// A version the resource's kind does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported version {version:?} for kind {kind}: expected {}", expected.join(" or "))]
pub struct UnsupportedVersionError {
    /// The kind of the resource.
    pub kind: Kind,
    /// The version asked for.
    pub version: String,
    /// The versions this kind supports.
    pub expected: &'static [&'static str],
}

/// A resource: `kind` (from `S`), `version`, `metadata` and `spec`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceWithSpec<S: Spec> {
    version: &'static str,
    /// An optional sub-kind, kept as read (Teleport leaves it out for these kinds).
    pub sub_kind: Option<String>,
    /// The name, labels, expiry and revision.
    pub metadata: Metadata,
    /// The kind-specific part.
    pub spec: S,
}

impl<S: Spec> ResourceWithSpec<S> {
    /// A resource with the given metadata and spec at the kind's current version.
    pub fn new(metadata: Metadata, spec: S) -> Self {
        ResourceWithSpec {
            version: S::VERSIONS.first().copied().unwrap_or("v1"),
            sub_kind: None,
            metadata,
            spec,
        }
    }

    /// A resource with only a name in its metadata.
    pub fn named(name: impl Into<String>, spec: S) -> Result<Self, MetadataError> {
        Ok(Self::new(Metadata::new(name)?, spec))
    }

    /// The resource's kind.
    pub fn kind(&self) -> Kind {
        S::KIND
    }

    /// The resource's name.
    pub fn name(&self) -> &str {
        self.metadata.name()
    }

    /// The version the resource is written as.
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// Changes the version the resource is written as (for example a role to `v3`).
    pub fn set_version(&mut self, version: &str) -> Result<(), UnsupportedVersionError> {
        self.version = known_version::<S>(version)?;
        Ok(())
    }

    /// Empties every secret in place.
    pub fn strip_secrets(&mut self) {
        self.spec.strip_secrets();
    }

    /// A copy with every secret emptied.
    pub fn without_secrets(&self) -> Self {
        let mut copy = self.clone();
        copy.strip_secrets();
        copy
    }
}

fn known_version<S: Spec>(version: &str) -> Result<&'static str, UnsupportedVersionError> {
    S::VERSIONS
        .iter()
        .copied()
        .find(|known| *known == version)
        .ok_or_else(|| UnsupportedVersionError {
            kind: S::KIND,
            version: version.to_string(),
            expected: S::VERSIONS,
        })
}

impl<S: Spec> Serialize for ResourceWithSpec<S> {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        let fields = if self.sub_kind.is_some() { 5 } else { 4 };
        let mut out = serializer.serialize_struct("Resource", fields)?;
        out.serialize_field("kind", S::KIND.as_str())?;
        if let Some(sub_kind) = &self.sub_kind {
            out.serialize_field("sub_kind", sub_kind)?;
        }
        out.serialize_field("version", self.version)?;
        out.serialize_field("metadata", &self.metadata)?;
        out.serialize_field("spec", &self.spec)?;
        out.end()
    }
}

/// A failure found while reading a document that deserves its own error variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The document has no `kind`.
    MissingKind,
    /// `kind` names no known kind.
    UnknownKind(String),
    /// `kind` names another kind than the type being read.
    WrongKind {
        /// The kind of the type being read.
        expected: Kind,
        /// The kind as written.
        found: String,
    },
    /// `version` is not one the kind supports.
    UnsupportedVersion(UnsupportedVersionError),
    /// `metadata.name` is missing or empty.
    MissingName,
}

/// Where the first [`Problem`] of a document is recorded.
pub(crate) type ProblemSlot = Cell<Option<Problem>>;

fn record<E: de::Error>(slot: &ProblemSlot, problem: Problem, message: impl fmt::Display) -> E {
    slot.set(Some(problem));
    E::custom(message)
}

/// Reads one resource of kind `S`, recording typed problems in `slot`.
pub(crate) struct EnvelopeSeed<'a, S> {
    pub(crate) slot: &'a ProblemSlot,
    pub(crate) spec: PhantomData<S>,
}

impl<'a, S> EnvelopeSeed<'a, S> {
    pub(crate) fn new(slot: &'a ProblemSlot) -> Self {
        EnvelopeSeed {
            slot,
            spec: PhantomData,
        }
    }
}

const FIELDS: &[&str] = &["kind", "sub_kind", "version", "metadata", "spec"];

/// A key of the envelope; an unknown key fails while its own text is read, so the
/// parser reports the key's line.
enum Field {
    Kind,
    SubKind,
    Version,
    Metadata,
    Spec,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;

        impl Visitor<'_> for FieldVisitor {
            type Value = Field;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a resource field name")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                match v {
                    "kind" => Ok(Field::Kind),
                    "sub_kind" => Ok(Field::SubKind),
                    "version" => Ok(Field::Version),
                    "metadata" => Ok(Field::Metadata),
                    "spec" => Ok(Field::Spec),
                    other => Err(E::unknown_field(other, FIELDS)),
                }
            }
        }

        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// Checks one string value while it is read, so errors point at it.
struct CheckedStr<'a, F> {
    check: F,
    slot: &'a ProblemSlot,
}

impl<'de, T, F> DeserializeSeed<'de> for CheckedStr<'_, F>
where
    F: FnOnce(&str) -> Result<T, Problem>,
{
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        // The check runs inside the visitor so the parser pins errors on the value.
        deserializer.deserialize_str(self)
    }
}

impl<T, F> Visitor<'_> for CheckedStr<'_, F>
where
    F: FnOnce(&str) -> Result<T, Problem>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        (self.check)(text).map_err(|problem| {
            let message = problem_message(&problem);
            record(self.slot, problem, message)
        })
    }
}

/// The message for a problem, as the parser's error will show it.
fn problem_message(problem: &Problem) -> String {
    match problem {
        Problem::MissingKind => "missing field `kind`".to_string(),
        Problem::UnknownKind(kind) => super::UnknownKindError(kind.clone()).to_string(),
        Problem::WrongKind { expected, found } => {
            format!("kind {found:?} does not match: expected {expected}")
        }
        Problem::UnsupportedVersion(err) => err.to_string(),
        Problem::MissingName => MetadataError::MissingName.to_string(),
    }
}

/// Checks that `text` is the canonical name of a known kind.
fn check_kind(text: &str) -> Result<Kind, Problem> {
    Kind::from_document(text).ok_or_else(|| Problem::UnknownKind(text.to_string()))
}

/// Reads `metadata` and records a missing name.
struct MetadataSeed<'a> {
    slot: &'a ProblemSlot,
}

impl<'de> DeserializeSeed<'de> for MetadataSeed<'_> {
    type Value = Metadata;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Metadata, D::Error> {
        // The name is checked inside the visitor so the parser pins errors on the block.
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MetadataSeed<'_> {
    type Value = Metadata;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a metadata mapping with at least a name")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Metadata, A::Error> {
        RawMetadata::deserialize(de::value::MapAccessDeserializer::new(map))?
            .into_metadata()
            .map_err(|err| record(self.slot, Problem::MissingName, err))
    }
}

impl<'de, S: Spec> DeserializeSeed<'de> for EnvelopeSeed<'_, S> {
    type Value = ResourceWithSpec<S>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_struct("Resource", FIELDS, self)
    }
}

impl<'de, S: Spec> Visitor<'de> for EnvelopeSeed<'_, S> {
    type Value = ResourceWithSpec<S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {} resource with kind, version, metadata and spec",
            S::KIND
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let slot = self.slot;
        let (mut kind, mut sub_kind, mut version, mut metadata, mut spec) =
            (None, None, None, None, None);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Kind => {
                    if kind.is_some() {
                        return Err(de::Error::duplicate_field("kind"));
                    }
                    let check = |text: &str| match check_kind(text)? {
                        found if found == S::KIND => Ok(found),
                        _ => Err(Problem::WrongKind {
                            expected: S::KIND,
                            found: text.to_string(),
                        }),
                    };
                    kind = Some(map.next_value_seed(CheckedStr { check, slot })?);
                }
                Field::SubKind => {
                    if sub_kind.is_some() {
                        return Err(de::Error::duplicate_field("sub_kind"));
                    }
                    sub_kind = Some(map.next_value::<String>()?);
                }
                Field::Version => {
                    if version.is_some() {
                        return Err(de::Error::duplicate_field("version"));
                    }
                    let check =
                        |text: &str| known_version::<S>(text).map_err(Problem::UnsupportedVersion);
                    version = Some(map.next_value_seed(CheckedStr { check, slot })?);
                }
                Field::Metadata => {
                    if metadata.is_some() {
                        return Err(de::Error::duplicate_field("metadata"));
                    }
                    metadata = Some(map.next_value_seed(MetadataSeed { slot })?);
                }
                Field::Spec => {
                    if spec.is_some() {
                        return Err(de::Error::duplicate_field("spec"));
                    }
                    spec = Some(map.next_value::<S>()?);
                }
            }
        }
        if kind.is_none() {
            return Err(record(slot, Problem::MissingKind, "missing field `kind`"));
        }
        let version = version.ok_or_else(|| de::Error::missing_field("version"))?;
        let metadata = match metadata {
            Some(metadata) => metadata,
            None => {
                return Err(record(
                    slot,
                    Problem::MissingName,
                    "missing field `metadata`",
                ))
            }
        };
        let spec = spec.ok_or_else(|| de::Error::missing_field("spec"))?;
        Ok(ResourceWithSpec {
            version,
            sub_kind,
            metadata,
            spec,
        })
    }
}

impl<'de, S: Spec> Deserialize<'de> for ResourceWithSpec<S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let slot = ProblemSlot::new(None);
        EnvelopeSeed::<S>::new(&slot).deserialize(deserializer)
    }
}

/// Reads only a document's `kind`, ignoring everything else, so the document can be
/// read again as the right type. An empty document reads as `None`.
pub(crate) struct KindSeed<'a> {
    pub(crate) slot: &'a ProblemSlot,
}

impl<'de> DeserializeSeed<'de> for KindSeed<'_> {
    type Value = Option<Kind>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for KindSeed<'_> {
    type Value = Option<Kind>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a resource: a mapping with kind, version, metadata and spec")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kind = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "kind" && kind.is_none() {
                let slot = self.slot;
                kind = Some(map.next_value_seed(CheckedStr {
                    check: check_kind,
                    slot,
                })?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        match kind {
            Some(kind) => Ok(Some(kind)),
            None => Err(record(
                self.slot,
                Problem::MissingKind,
                "missing field `kind`",
            )),
        }
    }
}
