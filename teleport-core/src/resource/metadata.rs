//! `metadata`: the name, description, labels, expiry and revision every resource has.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

use super::fields::go_time;

/// Why a resource's metadata is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// `metadata.name` is missing or empty; every resource needs a name.
    #[error("metadata.name is missing or empty: every resource needs a name")]
    MissingName,
}

/// A resource's `metadata` block.
///
/// The name is checked to be non-empty when set, so every `Metadata` value can be
/// written and read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    name: String,
    /// The namespace; Teleport only knows `default` and usually leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A free-form description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Static labels, for example a node's `env: prod`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// When the resource expires and disappears; `None` means never.
    #[serde(with = "go_time", skip_serializing_if = "Option::is_none")]
    pub expires: Option<OffsetDateTime>,
    /// An opaque revision set by the backend on every write; empty when unknown.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub revision: String,
}

impl Metadata {
    /// Metadata with the given name and nothing else.
    pub fn new(name: impl Into<String>) -> Result<Self, MetadataError> {
        let name = name.into();
        if name.is_empty() {
            return Err(MetadataError::MissingName);
        }
        Ok(Metadata {
            name,
            namespace: None,
            description: String::new(),
            labels: BTreeMap::new(),
            expires: None,
            revision: String::new(),
        })
    }

    /// The resource's name, unique within its kind.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renames the resource.
    pub fn set_name(&mut self, name: impl Into<String>) -> Result<(), MetadataError> {
        let name = name.into();
        if name.is_empty() {
            return Err(MetadataError::MissingName);
        }
        self.name = name;
        Ok(())
    }

    /// Whether the resource has expired at `now` (an expiry equal to `now` counts).
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires.is_some_and(|expires| expires <= now)
    }
}

/// `metadata` as written, before the name is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMetadata {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default, with = "go_time")]
    expires: Option<OffsetDateTime>,
    #[serde(default)]
    revision: String,
    /// Older Teleport versions print a numeric record id; it is read and dropped.
    #[serde(default, rename = "id")]
    _id: Option<IgnoredAny>,
}

impl RawMetadata {
    /// Checks the name and builds the metadata.
    pub(crate) fn into_metadata(self) -> Result<Metadata, MetadataError> {
        let mut metadata = Metadata::new(self.name.unwrap_or_default())?;
        metadata.namespace = self.namespace;
        metadata.description = self.description;
        metadata.labels = self.labels;
        metadata.expires = self.expires;
        metadata.revision = self.revision;
        Ok(metadata)
    }
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawMetadata::deserialize(deserializer)?
            .into_metadata()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_field() {
        let yaml = "\
name: web-1
namespace: default
description: the web server
labels:
  env: prod
expires: 2030-01-02T03:04:05Z
revision: 7f3c
";
        let metadata: Metadata = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(metadata.name(), "web-1");
        assert_eq!(metadata.labels["env"], "prod");
        assert_eq!(serde_yaml::to_string(&metadata).unwrap(), yaml);
    }

    #[test]
    fn empty_fields_are_left_out() {
        let metadata = Metadata::new("joe").unwrap();
        assert_eq!(serde_yaml::to_string(&metadata).unwrap(), "name: joe\n");
        let read: Metadata =
            serde_yaml::from_str("name: joe\nexpires: 0001-01-01T00:00:00Z\nid: 12\n").unwrap();
        assert_eq!(read, metadata);
    }

    #[test]
    fn name_is_required() {
        assert_eq!(Metadata::new(""), Err(MetadataError::MissingName));
        assert!(serde_yaml::from_str::<Metadata>("description: x").is_err());
        assert!(serde_yaml::from_str::<Metadata>("name: ''").is_err());
        let mut metadata = Metadata::new("a").unwrap();
        assert_eq!(metadata.set_name(""), Err(MetadataError::MissingName));
        assert_eq!(metadata.name(), "a");
    }

    #[test]
    fn expiry() {
        let mut metadata = Metadata::new("t").unwrap();
        let now = time::macros::datetime!(2021-01-01 00:00 UTC);
        assert!(!metadata.is_expired(now));
        metadata.expires = Some(now);
        assert!(metadata.is_expired(now));
        assert!(!metadata.is_expired(now - time::Duration::seconds(1)));
    }
}
