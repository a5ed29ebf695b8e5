//! Typed audit events with Teleport's field names and codes, each serialized as one flat
//! JSON object: the common fields (`ei`, `event`, `uid`, `code`, `time`,
//! `cluster_name`) beside the fields of its type.

mod fields;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use teleport_core::Clock;

pub use fields::{ConnectionMetadata, ServerMetadata, SessionMetadata, UserMetadata};

/// The fields every audit event carries, whatever its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommonFields {
    /// The event's index within its session, 0 for events outside sessions (`ei`).
    #[serde(default)]
    pub ei: u64,
    /// A unique id, so that copies of one event can be told apart from two events (`uid`).
    pub uid: String,
    /// The event code such as `T2000I` (`code`): the last letter is I (info), W (warning)
    /// or E (error).
    pub code: String,
    /// When the event happened, RFC 3339 in UTC (`time`).
    #[serde(with = "time::serde::rfc3339")]
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

    /// The event's type as written in `event`, such as `session.start`.
    pub fn event_type(&self) -> &'static str {
        self.payload.event_type()
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

/// `session.start` (T2000I): an interactive session began.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStart {
    /// Who started it.
    #[serde(flatten)]
    pub user: UserMetadata,
    /// On which node.
    #[serde(flatten)]
    pub server: ServerMetadata,
    /// Over which connection.
    #[serde(flatten)]
    pub connection: ConnectionMetadata,
    /// Which session.
    #[serde(flatten)]
    pub session: SessionMetadata,
    /// The terminal size as `cols:rows` (`size`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub size: String,
}

/// The type of an audit event and the fields of that type; `event` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event")]
#[non_exhaustive]
pub enum EventPayload {
    /// `session.start` (T2000I).
    #[serde(rename = "session.start")]
    SessionStart(SessionStart),
}

impl EventPayload {
    /// The event's type as written in `event`.
    pub fn event_type(&self) -> &'static str {
        match self {
            EventPayload::SessionStart(_) => "session.start",
        }
    }

    /// The event code this payload calls for.
    pub fn code(&self) -> &'static str {
        match self {
            EventPayload::SessionStart(_) => "T2000I",
        }
    }
}

#[cfg(test)]
mod tests {
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
