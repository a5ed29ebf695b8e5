//! `rotation`: where a certificate authority (and each server following it) is in a
//! CA rotation: standby -> init -> update_clients -> update_servers -> standby, with
//! rollback possible from the three middle phases.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::fields::{go_time, is_zero_duration};
use crate::Duration;

/// The grace period used when a rotation does not give one: 30 hours.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_hours(30);

/// The state of a CA rotation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// `standby` or `in_progress`; `None` if never rotated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RotationState>,
    /// The current phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<RotationPhase>,
    /// `auto` or `manual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RotationMode>,
    /// The id of the rotation, telling attempts apart.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub current_id: String,
    /// When the rotation started.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub started: Option<OffsetDateTime>,
    /// How long old and new CA keys are both trusted; zero means unset (see
    /// [`DEFAULT_GRACE_PERIOD`]).
    #[serde(default, skip_serializing_if = "is_zero_duration")]
    pub grace_period: Duration,
    /// When the last rotation completed.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub last_rotated: Option<OffsetDateTime>,
    /// When an automatic rotation switches phases.
    #[serde(default, skip_serializing_if = "RotationSchedule::is_empty")]
    pub schedule: RotationSchedule,
}

impl Rotation {
    /// The grace period, or [`DEFAULT_GRACE_PERIOD`] when unset.
    pub fn grace_period_or_default(&self) -> Duration {
        if self.grace_period.is_zero() {
            DEFAULT_GRACE_PERIOD
        } else {
            self.grace_period
        }
    }
}

/// Whether a rotation is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RotationState {
    /// No rotation is running.
    Standby,
    /// A rotation is running.
    InProgress,
}

/// A phase of a CA rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RotationPhase {
    /// Nothing is rotating.
    Standby,
    /// New keys exist and are trusted, but nothing is signed with them yet.
    Init,
    /// Clients get certificates signed by the new keys.
    UpdateClients,
    /// Servers get certificates signed by the new keys.
    UpdateServers,
    /// Going back to the old keys.
    Rollback,
}

/// How phases advance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RotationMode {
    /// Phases advance on the schedule.
    Auto,
    /// An administrator advances each phase.
    Manual,
}

/// When an automatic rotation enters each phase.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationSchedule {
    /// When `update_clients` starts.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub update_clients: Option<OffsetDateTime>,
    /// When `update_servers` starts.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub update_servers: Option<OffsetDateTime>,
    /// When the rotation returns to `standby`.
    #[serde(default, with = "go_time", skip_serializing_if = "Option::is_none")]
    pub standby: Option<OffsetDateTime>,
}

impl RotationSchedule {
    /// Whether no time is set.
    pub fn is_empty(&self) -> bool {
        *self == RotationSchedule::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let yaml = "\
state: in_progress
phase: update_clients
mode: auto
current_id: 9c1b7f1e-7a0f-4f43-8f2b-2b1c3d4e5f60
started: 2021-01-01T00:00:00Z
grace_period: 30h0m0s
last_rotated: 2020-06-01T00:00:00Z
schedule:
  update_clients: 2021-01-01T10:00:00Z
  update_servers: 2021-01-01T20:00:00Z
  standby: 2021-01-02T06:00:00Z
";
        let rotation: Rotation = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(rotation.phase, Some(RotationPhase::UpdateClients));
        assert_eq!(serde_yaml::to_string(&rotation).unwrap(), yaml);
    }

    #[test]
    fn defaults() {
        let rotation: Rotation = serde_yaml::from_str("{}").unwrap();
        assert_eq!(rotation, Rotation::default());
        assert_eq!(rotation.grace_period_or_default(), Duration::from_hours(30));
        assert!(serde_yaml::from_str::<Rotation>("phase: sideways").is_err());
    }
}
