//! Golden tests: the exact JSON of every event type (and of every code a type can take)
//! is pinned in `golden/<name>.json`, so a renamed key, a number that became a string or
//! a changed code shows up as a failed test rather than as a broken reader elsewhere.
//!
//! To accept a deliberate change, run with `TELEPORT_AUDIT_UPDATE_GOLDEN=1` and review
//! the diff of `golden/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::samples::samples;
use super::*;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/event/golden")
}

fn golden_path(name: &str) -> PathBuf {
    golden_dir().join(format!("{name}.json"))
}

/// The golden text of `name`: one line of JSON, as `serde_json::to_string` writes it.
fn golden(name: &str) -> String {
    let path = golden_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read golden file {}: {err}", path.display()));
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

fn updating() -> bool {
    std::env::var_os("TELEPORT_AUDIT_UPDATE_GOLDEN").is_some()
}

#[test]
fn event_json_matches_the_golden_file_byte_for_byte() {
    let mut mismatches = Vec::new();
    for (name, event) in samples() {
        let json = serde_json::to_string(&event).unwrap();
        if updating() {
            std::fs::create_dir_all(golden_dir()).unwrap();
            std::fs::write(golden_path(name), format!("{json}\n")).unwrap();
            continue;
        }
        let want = golden(name);
        if json != want {
            mismatches.push(format!("{name}:\n   got {json}\n  want {want}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "event JSON differs from golden/ (rerun with TELEPORT_AUDIT_UPDATE_GOLDEN=1 to \
         accept):\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn golden_event_json_reads_back_to_the_same_event_and_bytes() {
    if updating() {
        return; // the files are being rewritten by the test above
    }
    for (name, event) in samples() {
        let text = golden(name);
        let read: AuditEvent = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("golden {name} does not read: {err}"));
        assert_eq!(read, event, "golden {name} reads as a different event");
        assert_eq!(
            serde_json::to_string(&read).unwrap(),
            text,
            "golden {name} does not write back byte for byte"
        );
    }
}

#[test]
fn every_event_type_has_a_golden_event_and_every_golden_file_a_sample() {
    let samples = samples();
    let names: BTreeSet<&str> = samples.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        names.len(),
        samples.len(),
        "two samples share a golden name"
    );

    // EVENT_TYPES comes from the same table as the enum's variants, so covering it
    // covers every variant; `Unknown` is not in it and is checked on its own.
    let covered: BTreeSet<&str> = samples.iter().map(|(_, e)| e.event_type()).collect();
    for event_type in EventPayload::EVENT_TYPES {
        assert!(
            covered.contains(event_type),
            "no golden sample of `{event_type}`"
        );
    }
    assert!(
        covered.contains(UNKNOWN_EVENT_TYPE),
        "no golden unknown event"
    );
    assert_eq!(covered.len(), EventPayload::EVENT_TYPES.len() + 1);

    for (name, event) in &samples {
        let event_name = event.event_name();
        let named_after_its_type = *name == event_name
            || name.starts_with(&format!("{event_name}."))
            || (*name == UNKNOWN_EVENT_TYPE && event.event_type() == UNKNOWN_EVENT_TYPE);
        assert!(
            named_after_its_type,
            "golden {name} holds a `{event_name}` event"
        );
    }

    if !updating() {
        for entry in std::fs::read_dir(golden_dir()).unwrap() {
            let file = entry.unwrap().file_name().to_string_lossy().into_owned();
            let name = file.strip_suffix(".json").unwrap_or(&file);
            assert!(names.contains(name), "golden/{file} has no sample");
        }
    }
}

#[test]
fn event_types_are_unique() {
    let unique: BTreeSet<&str> = EventPayload::EVENT_TYPES.iter().copied().collect();
    assert_eq!(unique.len(), EventPayload::EVENT_TYPES.len());
    assert!(!unique.contains(UNKNOWN_EVENT_TYPE));
}

#[test]
fn each_code_belongs_to_one_event_type_and_is_written_as_called_for() {
    let mut types_of_code: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (name, event) in samples() {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], event.event_name(), "{name}: `event`");
        if event.event_type() == UNKNOWN_EVENT_TYPE {
            continue;
        }
        let code = event.payload.code();
        assert_eq!(event.common.code, code, "{name}: AuditEvent::new's code");
        if event.event_type() == "print" {
            assert_eq!(code, "", "print has no code");
            assert!(json.get("code").is_none(), "print writes no `code`");
            continue;
        }
        assert_eq!(json["code"], code, "{name}: `code`");
        let well_formed = code.len() == 6
            && code.starts_with('T')
            && code.ends_with(['I', 'W', 'E'])
            && code.is_ascii();
        assert!(well_formed, "{name}: malformed code {code}");
        types_of_code
            .entry(code.to_string())
            .or_default()
            .insert(event.event_type());
    }
    for (code, types) in &types_of_code {
        assert_eq!(types.len(), 1, "code {code} is used by {types:?}");
    }
}
