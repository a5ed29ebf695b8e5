//! Building the sink that `teleport.storage.audit_events_uri` asks for.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use teleport_core::SharedClock;

use super::{AuditError, AuditSink, FileSink, MultiSink, StdoutSink};

/// The audit directory under `data_dir` when `audit_events_uri` is empty.
pub const DEFAULT_LOG_DIR: &str = "log";

/// Backends Teleport has that this release does not build.
const NOT_BUILT: &[&str] = &["dynamodb", "firestore"];

/// What one `audit_events_uri` entry asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    File(PathBuf),
    Stdout,
}

/// The sink for `audit_events_uri` (as [`FileConfig::audit_events_uri`] gives it):
///
/// - empty: a [`FileSink`] in `data_dir/log` (the manual's default, local file system);
/// - `file:///path` (or `file://localhost/path`) or an absolute `/path`: a [`FileSink`]
///   in that directory;
/// - `stdout://`: a [`StdoutSink`];
/// - `dynamodb://...`, `firestore://...`: [`AuditError::UnsupportedUri`] naming the entry,
///   until those backends exist;
/// - anything else, or a directory listed twice: [`AuditError::BadUri`].
///
/// One entry gives that sink; several give a [`MultiSink`] over them in order, whose first
/// entry answers searches. Every entry is checked before any sink is opened. A path is
/// taken as written (no percent-decoding), `.` parts and trailing slashes aside.
///
/// Opening a file sink blocks on disk I/O: from async code, call this inside
/// `spawn_blocking`.
///
/// [`FileConfig::audit_events_uri`]: teleport_core::config::FileConfig::audit_events_uri
pub fn sink_from_uris(
    uris: &[String],
    data_dir: &Path,
    clock: SharedClock,
) -> Result<Arc<dyn AuditSink>, AuditError> {
    let targets = if uris.is_empty() {
        vec![Target::File(data_dir.join(DEFAULT_LOG_DIR))]
    } else {
        let mut targets = Vec::with_capacity(uris.len());
        for uri in uris {
            let target = parse(uri)?;
            if targets.contains(&target) {
                return Err(AuditError::BadUri {
                    uri: uri.clone(),
                    reason: "it repeats an earlier entry; each sink may be listed once".into(),
                });
            }
            targets.push(target);
        }
        targets
    };
    let mut sinks: Vec<Arc<dyn AuditSink>> = Vec::with_capacity(targets.len());
    for target in targets {
        sinks.push(match target {
            Target::File(dir) => Arc::new(FileSink::open(dir, Arc::clone(&clock))?),
            Target::Stdout => Arc::new(StdoutSink::new()),
        });
    }
    if sinks.len() == 1 {
        if let Some(only) = sinks.pop() {
            return Ok(only);
        }
    }
    match MultiSink::new(sinks) {
        Some(multi) => Ok(Arc::new(multi)),
        None => Err(AuditError::BadUri {
            uri: String::new(),
            reason: "no sink configured".into(),
        }),
    }
}

/// Reads one entry.
fn parse(uri: &str) -> Result<Target, AuditError> {
    let bad = |reason: String| AuditError::BadUri {
        uri: uri.to_string(),
        reason,
    };
    let text = uri.trim();
    let Some((scheme, rest)) = text.split_once("://") else {
        return if text.starts_with('/') {
            Ok(Target::File(clean(text)))
        } else {
            Err(bad(
                "expected file:///PATH, stdout://, an absolute path, dynamodb://TABLE or firestore://COLLECTION"
                    .into(),
            ))
        };
    };
    match scheme {
        "file" => {
            // file:///path, or file://localhost/path; no other host.
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            if !path.starts_with('/') {
                return Err(bad(
                    "a file URI needs an absolute path and no host, as in file:///var/lib/teleport/log"
                        .into(),
                ));
            }
            if path.contains(['?', '#']) {
                return Err(bad("a file URI takes no query or fragment".into()));
            }
            Ok(Target::File(clean(path)))
        }
        "stdout" if rest.is_empty() => Ok(Target::Stdout),
        "stdout" => Err(bad("stdout:// takes nothing after the scheme".into())),
        _ if NOT_BUILT.contains(&scheme) => Err(AuditError::UnsupportedUri {
            uri: text.to_string(),
            scheme: scheme.to_string(),
        }),
        _ => Err(bad(format!(
            "unknown audit backend {scheme:?}; expected file:///PATH, stdout://, an absolute path, dynamodb://TABLE or firestore://COLLECTION"
        ))),
    }
}

/// `path` without `.` components and repeated or trailing slashes, so that two spellings
/// of one directory compare equal.
fn clean(path: &str) -> PathBuf {
    Path::new(path)
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_kind_of_entry() {
        assert_eq!(
            parse("file:///var/lib/teleport/audit/events").unwrap(),
            Target::File("/var/lib/teleport/audit/events".into())
        );
        assert_eq!(
            parse(" file://localhost/var/log/ ").unwrap(),
            Target::File("/var/log".into())
        );
        assert_eq!(
            parse("/var/log/./x//").unwrap(),
            Target::File("/var/log/x".into())
        );
        assert_eq!(parse("stdout://").unwrap(), Target::Stdout);
    }

    #[test]
    fn refuses_what_it_cannot_build() {
        let err = parse("dynamodb://events_table_name").unwrap_err();
        assert_eq!(
            err.to_string(),
            "audit_events_uri entry dynamodb://events_table_name: the dynamodb audit backend is not built into this release"
        );
        let err = parse("firestore://Example_TELEPORT_FIRESTORE_EVENTS_TABLE_NAME").unwrap_err();
        assert!(
            matches!(err, AuditError::UnsupportedUri { ref scheme, .. } if scheme == "firestore")
        );
        for bad in [
            "mysql://x",
            "file://host/path",
            "file://relative",
            "relative/path",
            "stdout://x",
            "file:///a?b",
            "",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(matches!(err, AuditError::BadUri { .. }), "{bad}: {err:?}");
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }
}
