//! Errors of `teleport.yaml`, printed the way a compiler prints them:
//! `file:line:column: key.path: message`.

use std::fmt;

use super::locate::{self, Pos, Seg};

/// Where in a configuration file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorLocation {
    /// The file name given to the parser (`/etc/teleport.yaml`, `/dev/stdin`, ...).
    pub file: String,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// The 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// The key path such as `ssh_service.commands[1].period`, when the problem is in a
    /// key or value rather than in the YAML syntax.
    pub key_path: Option<String>,
}

impl fmt::Display for ErrorLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(path) = &self.key_path {
            write!(f, ": {path}")?;
        }
        Ok(())
    }
}

/// Why a `teleport.yaml` file was refused.
///
/// `Display` gives one line a user can act on, such as
/// `/etc/teleport.yaml:12:13: ssh_service.commands[1].period: label command period 30s is
/// less than the minimum of 1m0s`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read (missing, unreadable, or not UTF-8).
    #[error("{file}: cannot read the configuration file: {source}")]
    Read {
        /// The file name.
        file: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The text is not well-formed YAML (a tab used for indentation, an unclosed quote,
    /// a key indented out of line, several documents, ...).
    #[error("{at}: {message}")]
    Syntax {
        /// Where.
        at: ErrorLocation,
        /// What libyaml reported, with a hint where one helps.
        message: String,
    },
    /// A key that teleport.yaml does not have at that place (the message lists the keys
    /// that are), or a storage key that belongs to another storage type.
    #[error("{at}: {message}")]
    UnknownKey {
        /// Where; the key path ends with the offending key.
        at: ErrorLocation,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A value of the wrong YAML type, such as a string where a list is needed.
    #[error("{at}: {message}")]
    WrongType {
        /// Where.
        at: ErrorLocation,
        /// The type found and the type expected.
        message: String,
    },
    /// A value of the right type that is refused (a port out of range, a period under
    /// one minute, an unknown severity, `ssh-rsa`, a malformed token line, ...).
    #[error("{at}: {message}")]
    InvalidValue {
        /// Where.
        at: ErrorLocation,
        /// Why the value is refused and what would be accepted.
        message: String,
    },
    /// A required key is absent.
    #[error("{at}: {message}")]
    MissingKey {
        /// Where; the key path ends with the missing key, the line is its mapping's.
        at: ErrorLocation,
        /// Which key is missing.
        message: String,
    },
    /// A key appears twice in the same mapping.
    #[error("{at}: {message}")]
    DuplicateKey {
        /// Where the second appearance is.
        at: ErrorLocation,
        /// Which key repeats.
        message: String,
    },
}

impl ConfigError {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            ConfigError::Read { file, .. } => file,
            _ => self.location().map_or("", |at| at.file.as_str()),
        }
    }

    /// Where the error is, for every error but [`ConfigError::Read`].
    pub fn location(&self) -> Option<&ErrorLocation> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Syntax { at, .. }
            | ConfigError::UnknownKey { at, .. }
            | ConfigError::WrongType { at, .. }
            | ConfigError::InvalidValue { at, .. }
            | ConfigError::MissingKey { at, .. }
            | ConfigError::DuplicateKey { at, .. } => Some(at),
        }
    }

    /// The 1-based line, when known.
    pub fn line(&self) -> Option<usize> {
        self.location().and_then(|at| at.line)
    }

    /// The 1-based column, when known.
    pub fn column(&self) -> Option<usize> {
        self.location().and_then(|at| at.column)
    }

    /// The key path such as `ssh_service.commands[1].period`, when known.
    pub fn key_path(&self) -> Option<&str> {
        self.location().and_then(|at| at.key_path.as_deref())
    }

    /// The message without the location prefix.
    pub fn message(&self) -> String {
        match self {
            ConfigError::Read { source, .. } => source.to_string(),
            ConfigError::Syntax { message, .. }
            | ConfigError::UnknownKey { message, .. }
            | ConfigError::WrongType { message, .. }
            | ConfigError::InvalidValue { message, .. }
            | ConfigError::MissingKey { message, .. }
            | ConfigError::DuplicateKey { message, .. } => message.clone(),
        }
    }
}

/// Marks a message raised away from the key it is about (after a whole mapping was read),
/// so that the error can be re-pinned to that key. Never shown to a user.
const KEYED: char = '\u{1}';

/// The kind of a keyed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyedKind {
    /// A key that does not belong here.
    Unknown,
    /// A key that must be present and is not.
    Missing,
    /// A key given twice.
    Duplicate,
    /// A key whose value is refused.
    Invalid,
}

impl KeyedKind {
    fn tag(self) -> char {
        match self {
            KeyedKind::Unknown => 'u',
            KeyedKind::Missing => 'm',
            KeyedKind::Duplicate => 'd',
            KeyedKind::Invalid => 'i',
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        match tag {
            "u" => Some(KeyedKind::Unknown),
            "m" => Some(KeyedKind::Missing),
            "d" => Some(KeyedKind::Duplicate),
            "i" => Some(KeyedKind::Invalid),
            _ => None,
        }
    }
}

/// A deserialization error about `key` of the mapping being read, raised once the
/// mapping has been read (where serde_yaml only knows the mapping's position).
pub(crate) fn keyed<E: serde::de::Error>(
    kind: KeyedKind,
    key: &str,
    message: impl fmt::Display,
) -> E {
    E::custom(format_args!(
        "{KEYED}{}{KEYED}{key}{KEYED}{message}",
        kind.tag()
    ))
}

fn parse_keyed(message: &str) -> Option<(KeyedKind, &str, &str)> {
    let rest = &message[message.find(KEYED)? + KEYED.len_utf8()..];
    let mut parts = rest.splitn(3, KEYED);
    let kind = KeyedKind::from_tag(parts.next()?)?;
    let key = parts.next()?;
    let text = parts.next()?;
    Some((kind, key, text))
}

fn to_pos(location: Option<serde_yaml::Location>) -> Option<Pos> {
    location.map(|l| Pos {
        line: l.line(),
        column: l.column(),
    })
}

/// serde_yaml's text without the position it appends (we print our own).
fn strip_position(message: &str, pos: Option<Pos>) -> String {
    let Some(pos) = pos else {
        return message.to_string();
    };
    let suffix = format!(" at line {} column {}", pos.line, pos.column);
    if let Some(stripped) = message.strip_suffix(&suffix) {
        return stripped.to_string();
    }
    // libyaml puts its context after the position: "problem at line 2 column 1, while ...".
    message.replacen(&format!("{suffix},"), ",", 1)
}

/// A YAML syntax error (from the first pass over the document).
pub(crate) fn syntax(err: &serde_yaml::Error, text: &str, file: &str) -> ConfigError {
    let pos = to_pos(err.location());
    let mut message = strip_position(&err.to_string(), pos);
    if let Some(pos) = pos {
        let line = text.lines().nth(pos.line.saturating_sub(1)).unwrap_or("");
        let offending = line.chars().nth(pos.column.saturating_sub(1));
        let tab_in_indent = line
            .chars()
            .take_while(|c| c.is_whitespace())
            .any(|c| c == '\t');
        if offending == Some('\t') || tab_in_indent {
            message.push_str(" (a tab character: YAML indentation must use spaces)");
        }
    }
    ConfigError::Syntax {
        at: ErrorLocation {
            file: file.to_string(),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            key_path: None,
        },
        message,
    }
}

fn segments(path: &serde_path_to_error::Path) -> Vec<Seg> {
    path.iter()
        .map(|segment| match segment {
            serde_path_to_error::Segment::Seq { index } => Seg::Index(*index),
            serde_path_to_error::Segment::Map { key } => Seg::Key(key.clone()),
            serde_path_to_error::Segment::Enum { variant } => Seg::Key(variant.clone()),
            _ => Seg::Key("?".to_string()),
        })
        .collect()
}

/// Formats a key path like `ssh_service.commands[1].period`.
pub(crate) fn format_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// serde_yaml prefixes its messages with its own path to the mapping where the error
/// was stamped, which is a prefix of the full path: remove it.
fn strip_yaml_path(message: &str, path: &[Seg]) -> String {
    for len in (1..=path.len()).rev() {
        let prefix = format!("{}: ", format_path(&path[..len]));
        if let Some(rest) = message.strip_prefix(&prefix) {
            return rest.to_string();
        }
    }
    message.to_string()
}

/// The key named in serde's "unknown field `x`" style messages.
fn quoted_key<'m>(message: &'m str, lead: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(lead)?;
    let end = rest.find('`')?;
    Some(&rest[..end])
}

/// Turns a deserialization error of the typed pass into a [`ConfigError`] with the line of
/// the offending key or value.
pub(crate) fn typed(
    err: serde_path_to_error::Error<serde_yaml::Error>,
    text: &str,
    file: &str,
) -> ConfigError {
    let mut path = segments(err.path());
    let inner = err.into_inner();
    let yaml_pos = to_pos(inner.location());
    let message = strip_yaml_path(&strip_position(&inner.to_string(), yaml_pos), &path);

    let (kind, message) = if let Some((kind, key, text)) = parse_keyed(&message) {
        path.push(Seg::Key(key.to_string()));
        (kind, text.to_string())
    } else if let Some(key) = quoted_key(&message, "duplicate field `") {
        path.push(Seg::Key(key.to_string()));
        (
            KeyedKind::Duplicate,
            message.replacen("duplicate field", "duplicate key", 1),
        )
    } else if let Some(key) = quoted_key(&message, "missing field `") {
        path.push(Seg::Key(key.to_string()));
        (
            KeyedKind::Missing,
            message.replacen("missing field", "missing key", 1),
        )
    } else if message.starts_with("unknown field `") {
        (
            KeyedKind::Unknown,
            message.replacen("unknown field", "unknown key", 1),
        )
    } else if message.starts_with("invalid type: ") {
        // Reported where serde_yaml saw the value; only the kind differs.
        let pos = pick_position(text, &path, yaml_pos, KeyedKind::Invalid);
        return ConfigError::WrongType {
            at: at(file, pos, &path),
            message,
        };
    } else {
        (KeyedKind::Invalid, message)
    };

    let pos = pick_position(text, &path, yaml_pos, kind);
    let at = at(file, pos, &path);
    match kind {
        KeyedKind::Unknown => ConfigError::UnknownKey { at, message },
        KeyedKind::Missing => ConfigError::MissingKey { at, message },
        KeyedKind::Duplicate => ConfigError::DuplicateKey { at, message },
        KeyedKind::Invalid => ConfigError::InvalidValue { at, message },
    }
}

fn at(file: &str, pos: Option<Pos>, path: &[Seg]) -> ErrorLocation {
    ErrorLocation {
        file: file.to_string(),
        line: pos.map(|p| p.line),
        column: pos.map(|p| p.column),
        key_path: (!path.is_empty()).then(|| format_path(path)),
    }
}

/// Chooses the position to report: serde_yaml's when it points at the key or its value,
/// otherwise the key's own position found by walking the document again.
fn pick_position(text: &str, path: &[Seg], yaml_pos: Option<Pos>, kind: KeyedKind) -> Option<Pos> {
    match kind {
        KeyedKind::Duplicate => locate::key_pos(text, path, 2).or(yaml_pos),
        // The key is absent: point at the mapping that lacks it.
        KeyedKind::Missing => {
            let parent = &path[..path.len().saturating_sub(1)];
            locate::key_pos(text, parent, 1).or(yaml_pos)
        }
        KeyedKind::Unknown => locate::key_pos(text, path, 1).or(yaml_pos),
        KeyedKind::Invalid => {
            let key = locate::key_pos(text, path, 1);
            match (locate::value_pos(text, path), key, yaml_pos) {
                // An empty value has no position of its own (libyaml gives the next
                // token's, often on the next line): point at its key.
                (Some(value), Some(key), _) if value.null => Some(key),
                // serde_yaml stamped an enclosing mapping (the error was raised after it
                // was read): point at the value.
                (Some(value), Some(key), Some(yaml)) if yaml < key => Some(value.pos),
                (_, _, Some(yaml)) => Some(yaml),
                (value, key, None) => value.map(|v| v.pos).or(key),
            }
        }
    }
}
