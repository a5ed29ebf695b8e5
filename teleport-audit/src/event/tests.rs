//! Behaviour of the envelope beyond the golden files: UTC times, unknown types, clear
//! errors, lenient reading, codes that follow the content, token masking.

use serde_json::json;
use teleport_core::FakeClock;
use time::macros::{datetime, offset};

use super::*;

fn read(value: serde_json::Value) -> Result<AuditEvent, serde_json::Error> {
    serde_json::from_value(value)
}

fn exec(exit_code: &str, exit_error: &str) -> EventPayload {
    EventPayload::Exec(Exec {
        command: CommandMetadata {
            command: "false".into(),
            exit_code: exit_code.into(),
            exit_error: exit_error.into(),
        },
        ..Exec::default()
    })
}

#[test]
fn time_is_written_in_utc_with_z_whatever_the_clock_offset() {
    let clock = FakeClock::new(datetime!(2021-06-01 14:30:00.5 +02:00));
    let event = AuditEvent::new(exec("0", ""), "example.com", &clock);
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["time"], "2021-06-01T12:30:00.5Z");

    // Even a time set by hand with an offset is written in UTC.
    let mut by_hand = event.clone();
    by_hand.common.time = datetime!(2021-06-01 14:30:00.5 +02:00);
    assert_eq!(
        serde_json::to_value(&by_hand).unwrap()["time"],
        json["time"]
    );
}

#[test]
fn times_read_with_an_offset_become_utc() {
    let event = read(json!({
        "ei": 0, "event": "session.end", "uid": "u1", "code": "T2004I",
        "time": "2021-06-01T14:30:00+02:00",
        "participants": ["alice"], "interactive": true, "enhanced_recording": false,
        "session_start": "2021-06-01T09:00:00-05:00",
        "session_stop": "2021-06-01T14:30:00+02:00",
    }))
    .unwrap();
    assert_eq!(event.time().offset(), offset!(UTC));
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["time"], "2021-06-01T12:30:00Z");
    assert_eq!(json["session_start"], "2021-06-01T14:00:00Z");
    assert_eq!(json["session_stop"], "2021-06-01T12:30:00Z");
}

#[test]
fn a_time_out_of_range_in_utc_is_an_error_not_a_panic() {
    let err = read(json!({
        "ei": 0, "event": "session.end", "uid": "u1", "code": "T2004I",
        "time": "9999-12-31T23:00:00-02:00",
        "participants": [], "interactive": true, "enhanced_recording": false,
    }))
    .unwrap_err();
    assert!(err.to_string().contains("out of range"), "{err}");
}

#[test]
fn unknown_event_type_passes_through_unchanged() {
    let written = json!({
        "ei": 4, "event": "app.session.chunk", "uid": "u2", "code": "T2008I",
        "time": "2021-01-01T00:00:00Z", "cluster_name": "example.com",
        "session_chunk_id": "c1", "nested": {"list": [1, "two", null], "flag": true},
    });
    let event = read(written.clone()).unwrap();
    assert_eq!(event.event_type(), UNKNOWN_EVENT_TYPE);
    assert_eq!(event.event_name(), "app.session.chunk");
    assert_eq!(event.common.code, "T2008I");
    assert_eq!(event.common.ei, 4);
    let EventPayload::Unknown(unknown) = &event.payload else {
        panic!("read as {:?}", event.payload)
    };
    assert!(
        !unknown.fields.contains_key("uid"),
        "common fields stay common"
    );
    assert!(!unknown.fields.contains_key("event"));
    assert_eq!(serde_json::to_value(&event).unwrap(), written);
}

#[test]
fn known_type_with_a_bad_field_is_an_error_naming_type_and_field() {
    let err = read(json!({
        "event": "scp", "uid": "u3", "code": "T3004I", "time": "2021-01-01T00:00:00Z",
        "path": "/etc/hosts", "len": 10,
    }))
    .unwrap_err()
    .to_string();
    assert!(err.contains("`scp`") && err.contains("action"), "{err}");

    let err = read(json!({
        "event": "session.end", "uid": "u4", "time": "2021-01-01T00:00:00Z",
        "session_start": "yesterday", "session_stop": "2021-01-01T00:00:00Z",
    }))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("`session.end`") && err.contains("yesterday"),
        "{err}"
    );

    let err = read(json!({
        "event": "session.data", "uid": "u5", "time": "2021-01-01T00:00:00Z", "tx": "many",
    }))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("`session.data`") && err.contains("many"),
        "{err}"
    );
}

#[test]
fn missing_or_mistyped_envelope_fields_are_errors() {
    let base = || json!({"uid": "u6", "code": "T2000I", "time": "2021-01-01T00:00:00Z"});

    let err = read(base()).unwrap_err().to_string();
    assert!(err.contains("missing field `event`"), "{err}");

    let mut numbered = base();
    numbered["event"] = json!(7);
    let err = read(numbered).unwrap_err().to_string();
    assert!(err.contains("`event` must be a string"), "{err}");

    let mut no_time = base();
    no_time["event"] = json!("session.start");
    no_time.as_object_mut().unwrap().remove("time");
    let err = read(no_time).unwrap_err().to_string();
    assert!(err.contains("time"), "{err}");

    let err = read(json!(["session.start"])).unwrap_err().to_string();
    assert!(err.contains("expected"), "{err}");
}

#[test]
fn older_shapes_are_read_leniently_and_written_as_teleport_does() {
    let event = read(json!({
        "event": "exec", "uid": "u7", "code": "T3002I", "time": "2021-01-01T00:00:00Z",
        "command": "ls /", "exitCode": 0, "exitError": "",
    }))
    .unwrap();
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json["exitCode"], "0",
        "exitCode is a string, as Teleport writes it"
    );
    assert!(json.get("exitError").is_none());

    let event = read(json!({
        "event": "auth", "uid": "u8", "code": "T3007W", "time": "2021-01-01T00:00:00Z",
        "user": "alice", "success": "false", "error": "access denied",
    }))
    .unwrap();
    assert_eq!(serde_json::to_value(&event).unwrap()["success"], false);

    let event = read(json!({
        "event": "session.end", "uid": "u9", "time": "2021-01-01T00:00:00Z",
        "participants": null,
        "session_start": "2021-01-01T00:00:00Z", "session_stop": "2021-01-01T00:00:00Z",
    }))
    .unwrap();
    assert_eq!(
        serde_json::to_value(&event).unwrap()["participants"],
        json!([])
    );
}

#[test]
fn codes_follow_the_content_where_teleport_derives_them() {
    assert_eq!(exec("0", "").code(), "T3002I");
    assert_eq!(exec("", "").code(), "T3002I", "exit status not known yet");
    assert_eq!(
        exec("1", "").code(),
        "T3002E",
        "a non-zero exit is a failure"
    );
    assert_eq!(exec("", "signal: killed").code(), "T3002E");

    let login = |method: &str, success: bool| {
        EventPayload::UserLogin(UserLogin {
            method: method.into(),
            status: Status {
                success,
                ..Status::default()
            },
            ..UserLogin::default()
        })
        .code()
    };
    assert_eq!(login(UserLogin::METHOD_LOCAL, true), "T1000I");
    assert_eq!(login(UserLogin::METHOD_LOCAL, false), "T1000W");
    assert_eq!(login("", false), "T1000W");
    assert_eq!(login(UserLogin::METHOD_OIDC, true), "T1001I");
    assert_eq!(login(UserLogin::METHOD_SAML, false), "T1001W");

    let auth = EventPayload::AuthAttempt(AuthAttempt::default());
    assert_eq!(auth.code(), "T3007W");
}

#[test]
fn mask_token_hides_three_quarters_of_the_name() {
    assert_eq!(mask_token("abcdefgh"), "******gh");
    assert_eq!(mask_token("abc"), "**c");
    assert_eq!(mask_token(""), "");
    assert_eq!(
        mask_token("ключключ"),
        "******юч",
        "counts characters, not bytes"
    );
}

#[test]
fn events_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AuditEvent>();
    assert_send_sync::<EventPayload>();
}
