//! Wiring shared by the `teleport`, `tctl` and `tsh` reference binaries: the version
//! line and logging set-up. Argument parsing lives in each binary.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub mod admin;
mod node;
pub mod play;
pub mod resources;
pub mod sign;
pub mod start;

/// Where `teleport` and `tctl` look for their configuration when `--config` is not
/// given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/teleport.yaml";

/// The configuration `-c/--config` names, else `/etc/teleport.yaml` when it exists,
/// else the defaults (as Teleport's `teleport start` and `tctl` do).
pub fn load_config(
    path: Option<&std::path::Path>,
) -> Result<teleport_core::config::FileConfig, teleport_core::config::ConfigError> {
    use teleport_core::config::FileConfig;
    match path {
        Some(path) => FileConfig::from_path(path),
        None if std::path::Path::new(DEFAULT_CONFIG_PATH).exists() => {
            FileConfig::from_path(std::path::Path::new(DEFAULT_CONFIG_PATH))
        }
        None => Ok(FileConfig::default()),
    }
}

/// The release of teleport-rs these binaries belong to.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The line `teleport version`, `tctl version` and `tsh version` print, shaped like
/// Teleport's (`Teleport v4.4.0 git:... go1.14`).
pub fn version_line() -> String {
    format!("Teleport v{VERSION} teleport-rs rust")
}

/// Installs the process-wide log subscriber writing to stderr.
///
/// `severity` is the manual's log severity (`DEBUG`, `INFO`, `WARN`, `ERROR`); the
/// `RUST_LOG` environment variable, when set, wins over it.
pub fn init_logging(severity: &str) {
    let level = match severity.to_ascii_uppercase().as_str() {
        "DEBUG" | "TRACE" => "debug",
        "INFO" => "info",
        "WARN" | "WARNING" => "warn",
        _ => "error",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // A second call (tests embedding the binaries' code) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
