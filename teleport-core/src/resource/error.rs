//! Errors from reading and writing resource documents, each naming where the problem is.

use std::fmt;

use super::Kind;

/// Where in the input a problem is: the source (a file name, `stdin`, ...), the
/// 1-based document number in a `---`-separated stream, and line and column when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The name the caller gave the input, usually a file name.
    pub source: String,
    /// The document's number, from 1, counting every `---`-separated document.
    pub document: usize,
    /// The 1-based line, when the parser knows it.
    pub line: Option<usize>,
    /// The 1-based column, when the parser knows it.
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: document {}", self.source, self.document)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
            if let Some(column) = self.column {
                write!(f, ", column {column}")?;
            }
        }
        Ok(())
    }
}

/// Why resource documents could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceError {
    /// A document has no `kind` field.
    #[error(
        "{location}: missing field `kind`: every resource needs kind, version, metadata and spec"
    )]
    MissingKind {
        /// Where the document is.
        location: Location,
    },
    /// A document's `kind` is not a kind this program knows.
    #[error("{location}: {}", super::UnknownKindError(kind.clone()))]
    UnknownKind {
        /// Where the `kind` value is.
        location: Location,
        /// The kind as written.
        kind: String,
    },
    /// A document's `version` is not one its kind supports.
    #[error(
        "{location}: unsupported version {version:?} for kind {kind}: expected {}",
        expected.join(" or ")
    )]
    UnsupportedVersion {
        /// Where the `version` value is.
        location: Location,
        /// The document's kind.
        kind: Kind,
        /// The version as written.
        version: String,
        /// The versions the kind supports.
        expected: &'static [&'static str],
    },
    /// A document has no `metadata.name`, or an empty one.
    #[error("{location}: metadata.name is missing or empty: every resource needs a name")]
    MissingName {
        /// Where the metadata (or the document) is.
        location: Location,
    },
    /// A document is not valid YAML or JSON, or has a field that is unknown, missing,
    /// or of the wrong type.
    #[error("{location}: {}", with_path(path, message))]
    Invalid {
        /// Where the problem is.
        location: Location,
        /// The key path to the problem (`spec.allow.logins[0]`); empty at the top.
        path: String,
        /// What is wrong, as the parser says it.
        message: String,
    },
    /// A resource could not be written (for example a time past year 9999).
    #[error("cannot write {kind} {name:?}: {message}")]
    Write {
        /// The resource's kind.
        kind: Kind,
        /// The resource's name.
        name: String,
        /// What went wrong.
        message: String,
    },
}

impl ResourceError {
    /// Where in the input the problem is; `None` for write errors.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ResourceError::MissingKind { location }
            | ResourceError::UnknownKind { location, .. }
            | ResourceError::UnsupportedVersion { location, .. }
            | ResourceError::MissingName { location }
            | ResourceError::Invalid { location, .. } => Some(location),
            ResourceError::Write { .. } => None,
        }
    }
}

fn with_path(path: &str, message: &str) -> String {
    if path.is_empty() {
        message.to_string()
    } else {
        format!("{path}: {message}")
    }
}
