//! Reading and writing streams of resource documents: `---`-separated YAML (what
//! `tctl get` prints and `tctl create` reads) and JSON (`--format json`).
//!
//! Each document is read twice from the same text: once for its `kind` only, then as
//! that kind's type. Both passes run on the whole input, so every error carries the
//! line in the file, the document number and the key path.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::Deserializer;
use serde_path_to_error::{Path, Track};

use super::envelope::{EnvelopeSeed, KindSeed, Problem, ProblemSlot};
use super::{Kind, Location, Resource, ResourceError};

/// Reads every resource in a `---`-separated YAML stream. Empty documents are skipped.
///
/// `source_name` (a file name, `stdin`, ...) is only used in error messages.
pub fn read_resources(text: &str, source_name: &str) -> Result<Vec<Resource>, ResourceError> {
    let mut kinds = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let slot = ProblemSlot::new(None);
        let mut track = Track::new();
        let wrapped = serde_path_to_error::Deserializer::new(document, &mut track);
        match (KindSeed { slot: &slot }).deserialize(wrapped) {
            Ok(kind) => kinds.push(kind),
            Err(err) => {
                let at = yaml_location(source_name, index + 1, &err);
                return Err(to_error(at, track.path(), &err.to_string(), slot.take()));
            }
        }
    }
    let mut resources = Vec::with_capacity(kinds.len());
    let documents = serde_yaml::Deserializer::from_str(text).enumerate();
    for ((index, document), kind) in documents.zip(kinds) {
        let Some(kind) = kind else { continue };
        let slot = ProblemSlot::new(None);
        let mut track = Track::new();
        let wrapped = serde_path_to_error::Deserializer::new(document, &mut track);
        match (ResourceSeed { kind, slot: &slot }).deserialize(wrapped) {
            Ok(resource) => resources.push(resource),
            Err(err) => {
                let at = yaml_location(source_name, index + 1, &err);
                return Err(to_error(at, track.path(), &err.to_string(), slot.take()));
            }
        }
    }
    Ok(resources)
}

/// Writes resources as YAML documents separated by `---`, in the order given.
pub fn write_resources(resources: &[Resource]) -> Result<String, ResourceError> {
    let mut out = String::new();
    for (index, resource) in resources.iter().enumerate() {
        if index > 0 {
            out.push_str("---\n");
        }
        let text = serde_yaml::to_string(resource).map_err(|err| write_error(resource, err))?;
        out.push_str(&text);
    }
    Ok(out)
}

/// Reads resources from JSON: an array of resources (what `--format json` prints) or
/// a single resource object. `null` entries are skipped.
pub fn read_resources_json(text: &str, source_name: &str) -> Result<Vec<Resource>, ResourceError> {
    let is_list = text.trim_start().starts_with('[');
    let index = Cell::new(1);
    let kinds: Vec<Option<Kind>> = if is_list {
        json_pass(text, source_name, &index, |slot, de| {
            de.deserialize_seq(KindListSeed {
                slot,
                index: &index,
            })
        })?
    } else {
        vec![json_pass(text, source_name, &index, |slot, de| {
            KindSeed { slot }.deserialize(de)
        })?]
    };
    index.set(1);
    if is_list {
        json_pass(text, source_name, &index, |slot, de| {
            let seed = ResourceListSeed {
                kinds: &kinds,
                slot,
                index: &index,
            };
            de.deserialize_seq(seed)
        })
    } else {
        match kinds.first().copied().flatten() {
            Some(kind) => json_pass(text, source_name, &index, |slot, de| {
                ResourceSeed { kind, slot }.deserialize(de).map(|r| vec![r])
            }),
            None => Ok(Vec::new()),
        }
    }
}

/// Writes resources as a pretty-printed JSON array, fields in document order.
pub fn write_resources_json(resources: &[Resource]) -> Result<String, ResourceError> {
    if resources.is_empty() {
        return Ok("[]\n".to_string());
    }
    // Each element on its own, so a failure names its resource; the result is what
    // `serde_json::to_string_pretty` prints for the whole array.
    let mut elements = Vec::with_capacity(resources.len());
    for resource in resources {
        let text =
            serde_json::to_string_pretty(resource).map_err(|err| write_error(resource, err))?;
        elements.push(format!("  {}", text.replace('\n', "\n  ")));
    }
    Ok(format!("[\n{}\n]\n", elements.join(",\n")))
}

/// Runs one pass over JSON text with path tracking and turns failures into errors.
fn json_pass<T>(
    text: &str,
    source_name: &str,
    index: &Cell<usize>,
    run: impl FnOnce(
        &ProblemSlot,
        serde_path_to_error::Deserializer<
            '_,
            '_,
            &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>,
        >,
    ) -> Result<T, serde_json::Error>,
) -> Result<T, ResourceError> {
    let slot = ProblemSlot::new(None);
    let mut track = Track::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let result = run(
        &slot,
        serde_path_to_error::Deserializer::new(&mut de, &mut track),
    )
    .and_then(|value| de.end().map(|()| value));
    result.map_err(|err| {
        let at = Location {
            source: source_name.to_string(),
            document: index.get(),
            line: (err.line() > 0).then_some(err.line()),
            column: (err.line() > 0).then_some(err.column()),
        };
        to_error(at, track.path(), &err.to_string(), slot.take())
    })
}

fn yaml_location(source: &str, document: usize, err: &serde_yaml::Error) -> Location {
    let location = err.location();
    Location {
        source: source.to_string(),
        document,
        line: location.as_ref().map(|l| l.line()),
        column: location.as_ref().map(|l| l.column()),
    }
}

/// Builds the error for a failed document: a typed variant when the reader recorded
/// a problem, otherwise [`ResourceError::Invalid`] with the parser's message.
fn to_error(
    location: Location,
    path: Path,
    message: &str,
    problem: Option<Problem>,
) -> ResourceError {
    match problem {
        Some(Problem::MissingKind) => ResourceError::MissingKind { location },
        Some(Problem::UnknownKind(kind) | Problem::WrongKind { found: kind, .. }) => {
            ResourceError::UnknownKind { location, kind }
        }
        Some(Problem::UnsupportedVersion(err)) => ResourceError::UnsupportedVersion {
            location,
            kind: err.kind,
            version: err.version,
            expected: err.expected,
        },
        Some(Problem::MissingName) => ResourceError::MissingName { location },
        None => {
            let path = path.to_string();
            let path = if path == "?" || path == "." {
                String::new()
            } else {
                path
            };
            let message = bare_message(message, &path, &location);
            ResourceError::Invalid {
                location,
                path,
                message,
            }
        }
    }
}

/// The parser's message without the position and path it appends, which the error
/// shows in its own words.
fn bare_message(message: &str, path: &str, location: &Location) -> String {
    let mut text = message;
    if let (Some(line), Some(column)) = (location.line, location.column) {
        text = text
            .strip_suffix(&format!(" at line {line} column {column}"))
            .unwrap_or(text);
    }
    // serde_yaml starts its messages with its own path, the parent of ours when the
    // problem is an unknown key.
    if let Some((head, rest)) = text.split_once(": ") {
        let is_ours = path == head
            || path.starts_with(&format!("{head}."))
            || path.starts_with(&format!("{head}["));
        if !path.is_empty() && is_ours {
            text = rest;
        }
    }
    text.to_string()
}

fn write_error(resource: &Resource, err: impl fmt::Display) -> ResourceError {
    ResourceError::Write {
        kind: resource.kind(),
        name: resource.name().to_string(),
        message: err.to_string(),
    }
}

/// Reads one resource whose kind is already known.
struct ResourceSeed<'a> {
    kind: Kind,
    slot: &'a ProblemSlot,
}

impl<'de> DeserializeSeed<'de> for ResourceSeed<'_> {
    type Value = Resource;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Resource, D::Error> {
        let slot = self.slot;
        Ok(match self.kind {
            Kind::User => Resource::User(EnvelopeSeed::new(slot).deserialize(de)?),
            Kind::Role => Resource::Role(EnvelopeSeed::new(slot).deserialize(de)?),
            Kind::Token => Resource::Token(EnvelopeSeed::new(slot).deserialize(de)?),
            Kind::CertAuthority => {
                Resource::CertAuthority(EnvelopeSeed::new(slot).deserialize(de)?)
            }
            Kind::Node => Resource::Node(EnvelopeSeed::new(slot).deserialize(de)?),
            Kind::TrustedCluster => {
                Resource::TrustedCluster(EnvelopeSeed::new(slot).deserialize(de)?)
            }
            Kind::Github => Resource::Github(EnvelopeSeed::new(slot).deserialize(de)?),
            Kind::Oidc => Resource::Oidc(EnvelopeSeed::new(slot).deserialize(de)?),
            Kind::Saml => Resource::Saml(EnvelopeSeed::new(slot).deserialize(de)?),
            Kind::ClusterName => Resource::ClusterName(EnvelopeSeed::new(slot).deserialize(de)?),
        })
    }
}

/// Reads the kinds of a JSON array of resources, counting documents in `index`.
struct KindListSeed<'a> {
    slot: &'a ProblemSlot,
    index: &'a Cell<usize>,
}

impl<'de> Visitor<'de> for KindListSeed<'_> {
    type Value = Vec<Option<Kind>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of resources")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut kinds = Vec::new();
        loop {
            self.index.set(kinds.len() + 1);
            match seq.next_element_seed(KindSeed { slot: self.slot })? {
                Some(kind) => kinds.push(kind),
                None => return Ok(kinds),
            }
        }
    }
}

/// Reads a JSON array of resources whose kinds the first pass found.
struct ResourceListSeed<'a> {
    kinds: &'a [Option<Kind>],
    slot: &'a ProblemSlot,
    index: &'a Cell<usize>,
}

impl<'de> Visitor<'de> for ResourceListSeed<'_> {
    type Value = Vec<Resource>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of resources")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut resources = Vec::new();
        for (position, kind) in self.kinds.iter().enumerate() {
            self.index.set(position + 1);
            let found = match kind {
                Some(kind) => seq
                    .next_element_seed(ResourceSeed {
                        kind: *kind,
                        slot: self.slot,
                    })?
                    .map(Some),
                None => seq.next_element::<serde::de::IgnoredAny>()?.map(|_| None),
            };
            match found {
                Some(Some(resource)) => resources.push(resource),
                Some(None) => {}
                None => break,
            }
        }
        Ok(resources)
    }
}
