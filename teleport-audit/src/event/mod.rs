//! Typed audit events with Teleport's field names and codes, each serialized as one flat
//! JSON object: the common fields (`ei`, `event`, `uid`, `code`, `time`,
//! `cluster_name`) beside the fields of its type.
//!
//! The types, by family: a session's life ([`SessionStart`], [`SessionJoin`],
//! [`Resize`], [`SessionLeave`], [`SessionEnd`], [`SessionData`], [`SessionUpload`],
//! [`SessionReject`], and the recording's [`Print`] lines); what users do on a node
//! ([`Exec`], [`Scp`], [`Subsystem`], [`PortForward`], [`X11Forward`],
//! [`ClientDisconnect`]); proving identity ([`AuthAttempt`], [`UserLogin`],
//! [`CertificateCreate`], [`InstanceJoin`]); and administrators' changes ([`UserChange`],
//! [`ResourceChange`], [`JoinTokenCreate`], [`UserPasswordChange`]).
//! [`EventPayload::EVENT_TYPES`] lists every type's name, and [`EventPayload`] each
//! type's code.
//!
//! Compatibility with Teleport's readers: fields that Teleport types as strings are
//! strings here (`exitCode` is `"0"`); times are RFC 3339 in UTC ending in `Z`. Reading
//! is lenient where older writers or the manual differ (`"exitCode": 0`,
//! `"success": "false"`, `"participants": null`); writing is not. An event of a type
//! this build does not know reads as [`EventPayload::Unknown`] and writes back with the
//! same fields.

mod admin;
mod exec;
mod fields;
mod login;
mod payload;
mod session;
mod wire;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod samples;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use teleport_core::Clock;

pub use admin::{mask_token, JoinTokenCreate, ResourceChange, UserChange, UserPasswordChange};
pub use exec::{ClientDisconnect, Exec, PortForward, Scp, ScpAction, Subsystem, X11Forward};
pub use fields::{
    CommandMetadata, ConnectionMetadata, ResourceMetadata, ServerMetadata, SessionMetadata, Status,
    UserMetadata,
};
pub use login::{AuthAttempt, CertificateCreate, CertificateIdentity, InstanceJoin, UserLogin};
pub use payload::{EventPayload, UnknownEvent, UNKNOWN_EVENT_TYPE};
pub use session::{
    Print, Resize, SessionData, SessionEnd, SessionJoin, SessionLeave, SessionReject, SessionStart,
    SessionUpload,
};

/// The fields every audit event carries, whatever its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommonFields {
    /// The event's index within its session, 0 for events outside sessions (`ei`).
    #[serde(default)]
    pub ei: u64,
    /// A unique id, so that copies of one event can be told apart from two events (`uid`).
    /// [`AuditEvent::new`] always sets one; recording lines such as `print` may leave it
    /// empty (Teleport omits it there), but it is always written and must be present to
    /// read.
    pub uid: String,
    /// The event code such as `T2000I` (`code`): the last letter is I (info), W (warning)
    /// or E (error). Empty, and then not written, for `print`, which has none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
    /// When the event happened (`time`): always written as RFC 3339 in UTC with `Z`, and
    /// converted to UTC when read with another offset.
    #[serde(with = "wire::utc")]
    pub time: OffsetDateTime,
    /// The cluster the event belongs to (`cluster_name`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster_name: String,
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// The fields every event carries.
    #[serde(flatten)]
    pub common: CommonFields,
    /// The event's type (`event`) and the fields of that type.
    #[serde(flatten)]
    pub payload: EventPayload,
}

impl AuditEvent {
    /// A new event of `payload`'s type, stamped with the clock's time in UTC, a fresh
    /// `uid` and the code that `payload` calls for.
    pub fn new(payload: EventPayload, cluster_name: &str, clock: &dyn Clock) -> Self {
        AuditEvent {
            common: CommonFields {
                ei: 0,
                uid: uuid::Uuid::new_v4().to_string(),
                code: payload.code().to_string(),
                time: clock.now().to_offset(time::UtcOffset::UTC),
                cluster_name: cluster_name.to_string(),
            },
            payload,
        }
    }

    /// The event's type as written in `event`, such as `session.start`;
    /// [`UNKNOWN_EVENT_TYPE`] for a type this build does not know (see
    /// [`AuditEvent::event_name`]).
    pub fn event_type(&self) -> &'static str {
        self.payload.event_type()
    }

    /// The event's type as written in `event`, for types this build does not know too.
    pub fn event_name(&self) -> &str {
        self.payload.event_name()
    }

    /// When the event happened.
    pub fn time(&self) -> OffsetDateTime {
        self.common.time
    }

    /// The event's unique id.
    pub fn uid(&self) -> &str {
        &self.common.uid
    }
}

#[cfg(test)]
mod envelope_tests {
    use super::*;

    #[test]
    fn event_is_one_flat_json_object_that_reads_back() {
        let clock = teleport_core::FakeClock::default();
        let event = AuditEvent::new(
            EventPayload::SessionStart(SessionStart {
                user: UserMetadata {
                    user: "joe".into(),
                    login: "root".into(),
                },
                size: "80:25".into(),
                ..SessionStart::default()
            }),
            "example.com",
            &clock,
        );
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], "session.start");
        assert_eq!(json["code"], "T2000I");
        assert_eq!(json["user"], "joe");
        assert_eq!(json["time"], "2021-01-01T00:00:00Z");
        let back: AuditEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
}
