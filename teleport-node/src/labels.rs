//! A node's labels: the static ones from `ssh_service.labels` and the dynamic ones from
//! `ssh_service.commands`, each a command run every `period` whose trimmed output is
//! the label's value.
//!
//! A command that fails (cannot start, exits non-zero, prints something that is not
//! UTF-8) gives the value `error: <why>` (for example `error: exit status 1`) and a log
//! line; it never stops the node, and it runs again on its next period. Every change of
//! a value is announced on [`NodeLabels::changes`], so the heartbeat can re-announce the
//! node at once instead of waiting for its period.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use teleport_core::config::CommandLabel as CommandLabelConfig;
use teleport_core::resource::CommandLabel;
use tokio::sync::watch;
use tracing::{debug, warn};

/// The shortest period a label command may have (as in Teleport).
pub const MIN_COMMAND_PERIOD: Duration = Duration::from_secs(60);

/// Why the labels could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelsError {
    /// A command's period is shorter than [`MIN_COMMAND_PERIOD`].
    #[error(
        "label command {name:?} has period {period:?}: the period must be at least one minute"
    )]
    PeriodTooShort {
        /// The label's name.
        name: String,
        /// The period given.
        period: Duration,
    },
    /// A command has no executable.
    #[error("label command {name:?} has an empty command")]
    EmptyCommand {
        /// The label's name.
        name: String,
    },
}

/// One dynamic label to keep up to date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelCommand {
    /// The label's name.
    pub name: String,
    /// The executable and its arguments.
    pub command: Vec<String>,
    /// How often it runs.
    pub period: Duration,
}

impl From<&CommandLabelConfig> for LabelCommand {
    fn from(config: &CommandLabelConfig) -> Self {
        LabelCommand {
            name: config.name.clone(),
            command: config.command.clone(),
            period: config.period.as_std(),
        }
    }
}

#[derive(Debug)]
struct Inner {
    static_labels: BTreeMap<String, String>,
    commands: Vec<LabelCommand>,
    dynamic: watch::Receiver<BTreeMap<String, String>>,
}

/// A node's labels, static and dynamic. Clones share the same values; the commands
/// stop running when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct NodeLabels {
    inner: Arc<Inner>,
}

impl NodeLabels {
    /// Static labels only.
    pub fn fixed(static_labels: BTreeMap<String, String>) -> Self {
        let (_tx, rx) = watch::channel(BTreeMap::new());
        NodeLabels {
            inner: Arc::new(Inner {
                static_labels,
                commands: Vec::new(),
                dynamic: rx,
            }),
        }
    }

    /// Static labels plus `commands`, each run at once and then every period (at least
    /// [`MIN_COMMAND_PERIOD`]). Must be called inside a Tokio runtime.
    pub fn start(
        static_labels: BTreeMap<String, String>,
        commands: Vec<LabelCommand>,
    ) -> Result<Self, LabelsError> {
        Self::start_with_min_period(static_labels, commands, MIN_COMMAND_PERIOD)
    }

    /// Like [`NodeLabels::start`], from the `ssh_service` section's `labels` and
    /// `commands`.
    pub fn from_config(
        static_labels: &BTreeMap<String, String>,
        commands: &[CommandLabelConfig],
    ) -> Result<Self, LabelsError> {
        Self::start(
            static_labels.clone(),
            commands.iter().map(LabelCommand::from).collect(),
        )
    }

    pub(crate) fn start_with_min_period(
        static_labels: BTreeMap<String, String>,
        commands: Vec<LabelCommand>,
        min_period: Duration,
    ) -> Result<Self, LabelsError> {
        for command in &commands {
            if command.command.first().is_none_or(String::is_empty) {
                return Err(LabelsError::EmptyCommand {
                    name: command.name.clone(),
                });
            }
            if command.period < min_period {
                return Err(LabelsError::PeriodTooShort {
                    name: command.name.clone(),
                    period: command.period,
                });
            }
        }
        let (tx, rx) = watch::channel(BTreeMap::new());
        let tx = Arc::new(tx);
        for command in commands.clone() {
            tokio::spawn(run_label(command, Arc::clone(&tx)));
        }
        Ok(NodeLabels {
            inner: Arc::new(Inner {
                static_labels,
                commands,
                dynamic: rx,
            }),
        })
    }

    /// Every label now: the static ones, then the dynamic ones' last values (a dynamic
    /// label wins over a static one of the same name). A command that has not finished
    /// its first run yet has no value.
    pub fn all(&self) -> BTreeMap<String, String> {
        let mut all = self.inner.static_labels.clone();
        all.extend(self.inner.dynamic.borrow().clone());
        all
    }

    /// The static labels.
    pub fn static_labels(&self) -> &BTreeMap<String, String> {
        &self.inner.static_labels
    }

    /// The dynamic labels as a `node` resource's `cmd_labels`, with their last values.
    pub fn command_labels(&self) -> BTreeMap<String, CommandLabel> {
        let values = self.inner.dynamic.borrow().clone();
        self.inner
            .commands
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    CommandLabel {
                        period: teleport_core::Duration::from_secs(c.period.as_secs()),
                        command: c.command.clone(),
                        result: values.get(&c.name).cloned().unwrap_or_default(),
                    },
                )
            })
            .collect()
    }

    /// A receiver that is marked changed every time a dynamic label's value changes
    /// (`changed().await`); its value is the dynamic labels.
    pub fn changes(&self) -> watch::Receiver<BTreeMap<String, String>> {
        self.inner.dynamic.clone()
    }
}

async fn run_label(command: LabelCommand, tx: Arc<watch::Sender<BTreeMap<String, String>>>) {
    let mut ticker = tokio::time::interval(command.period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tx.closed() => return,
            _ = ticker.tick() => {}
        }
        let value = tokio::select! {
            _ = tx.closed() => return,
            value = run_once(&command) => value,
        };
        tx.send_if_modified(|labels| {
            if labels.get(&command.name) == Some(&value) {
                false
            } else {
                debug!(label = %command.name, value = %value, "dynamic label changed");
                labels.insert(command.name.clone(), value);
                true
            }
        });
    }
}

async fn run_once(command: &LabelCommand) -> String {
    let Some((program, args)) = command.command.split_first() else {
        return "error: empty command".to_string();
    };
    let output = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await;
    let failure = match output {
        Ok(output) if output.status.success() => match String::from_utf8(output.stdout) {
            Ok(text) => return text.trim().to_string(),
            Err(_) => "the output is not UTF-8".to_string(),
        },
        Ok(output) => match output.status.code() {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_string(),
        },
        Err(err) => err.to_string(),
    };
    warn!(label = %command.name, command = ?command.command, error = %failure, "label command failed");
    format!("error: {failure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(name: &str, argv: &[&str], period: Duration) -> LabelCommand {
        LabelCommand {
            name: name.into(),
            command: argv.iter().map(|s| s.to_string()).collect(),
            period,
        }
    }

    #[tokio::test]
    async fn periods_under_a_minute_are_refused() {
        let err = NodeLabels::start(
            BTreeMap::new(),
            vec![cmd("a", &["true"], Duration::from_secs(30))],
        )
        .unwrap_err();
        assert!(err.to_string().contains("at least one minute"), "{err}");
        let err = NodeLabels::start(BTreeMap::new(), vec![cmd("a", &[], MIN_COMMAND_PERIOD)])
            .unwrap_err();
        assert!(matches!(err, LabelsError::EmptyCommand { .. }));
    }

    #[tokio::test]
    async fn values_are_trimmed_errors_are_visible_and_changes_are_announced() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("value");
        std::fs::write(&file, "  one \n").unwrap();
        let period = Duration::from_millis(100);
        let labels = NodeLabels::start_with_min_period(
            BTreeMap::from([("env".to_string(), "prod".to_string())]),
            vec![
                cmd("v", &["cat", file.to_str().unwrap()], period),
                cmd("bad", &["false"], period),
                cmd("missing", &["/no/such/program"], period),
            ],
            period,
        )
        .unwrap();
        let mut changes = labels.changes();
        let watched = labels.changes();
        let wait_for = |want: &'static str| {
            let mut changes = watched.clone();
            async move {
                tokio::time::timeout(Duration::from_secs(10), async {
                    loop {
                        if changes.borrow_and_update().get("v").map(String::as_str) == Some(want) {
                            return;
                        }
                        changes.changed().await.unwrap();
                    }
                })
                .await
                .unwrap()
            }
        };
        wait_for("one").await;
        tokio::time::timeout(Duration::from_secs(10), async {
            while labels.all().len() < 4 {
                changes.changed().await.unwrap();
            }
        })
        .await
        .unwrap();
        let all = labels.all();
        assert_eq!(all["env"], "prod");
        assert_eq!(all["bad"], "error: exit status 1");
        assert!(all["missing"].starts_with("error: "), "{all:?}");
        std::fs::write(&file, "two").unwrap();
        wait_for("two").await;
        assert_eq!(labels.command_labels()["v"].result, "two");
    }

    #[tokio::test(start_paused = true)]
    async fn commands_run_again_on_their_period() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("count");
        let script = format!("echo x >> {0}; wc -l < {0}", file.display());
        let labels = NodeLabels::start(
            BTreeMap::new(),
            vec![cmd("runs", &["sh", "-c", &script], MIN_COMMAND_PERIOD)],
        )
        .unwrap();
        let mut changes = labels.changes();
        changes.changed().await.unwrap();
        assert_eq!(labels.all()["runs"], "1");
        tokio::time::sleep(MIN_COMMAND_PERIOD).await;
        changes.changed().await.unwrap();
        assert_eq!(labels.all()["runs"], "2");
    }
}
