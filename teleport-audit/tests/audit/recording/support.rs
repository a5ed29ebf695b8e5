//! A scripted session, recorded and read back.

use std::path::Path;
use std::time::Duration;

use teleport_audit::event::{SessionJoin, SessionLeave, SessionMetadata, UserMetadata};
use teleport_audit::recording::{
    FileRecorder, Format, RecordedItem, RecordingMetadata, RecordingReader, RecordingSummary,
    SessionRecorder,
};
use teleport_audit::{AuditEvent, EventPayload};
use teleport_core::FakeClock;
use time::macros::datetime;
use time::OffsetDateTime;

pub const SID: &str = "4c146ec8-eab6-11e6-b1b3-40167e68e931";
pub const STARTED: OffsetDateTime = datetime!(2021-01-01 00:00 UTC);

/// The metadata of session `sid`: joe as root on node-1, 80x25.
pub fn meta(sid: &str) -> RecordingMetadata {
    RecordingMetadata {
        sid: sid.to_string(),
        user: "joe".into(),
        login: "root".into(),
        server_id: "f84f7386-5e22-45ff-8f7d-b8079742e63f".into(),
        server_hostname: "node-1".into(),
        server_addr: "10.5.1.15:3022".into(),
        cluster_name: "example.com".into(),
        cols: 80,
        rows: 25,
        started: STARTED,
    }
}

/// One thing that happens in a scripted session, at `ms` since it started.
#[derive(Debug, Clone)]
pub enum Step {
    Output(u64, Vec<u8>),
    Resize(u64, u16, u16),
    Join(u64, &'static str),
    Leave(u64, &'static str),
}

/// A short shell session: prompt, a command, its output, a resize, a second user who
/// joins and leaves, and output after a long idle pause.
pub fn script() -> Vec<Step> {
    vec![
        Step::Output(0, b"root@node-1:~# ".to_vec()),
        Step::Output(16, b"l".to_vec()),
        Step::Output(100, b"s\r\n".to_vec()),
        Step::Output(1_000, b"bin  etc  home  usr\r\n".to_vec()),
        Step::Resize(1_016, 132, 43),
        Step::Join(1_500, "alice"),
        Step::Output(2_000, b"root@node-1:~# ".to_vec()),
        Step::Output(62_000, b"exit\r\n".to_vec()),
        Step::Leave(62_100, "alice"),
        Step::Output(62_116, b"logout\r\n".to_vec()),
    ]
}

/// The session event for a `Join` or `Leave` step.
pub fn event(step: &Step) -> Option<AuditEvent> {
    let (ms, payload) = match step {
        Step::Join(ms, user) => (
            *ms,
            EventPayload::SessionJoin(SessionJoin {
                user: UserMetadata {
                    user: user.to_string(),
                    login: "root".into(),
                },
                session: SessionMetadata { sid: SID.into() },
                ..SessionJoin::default()
            }),
        ),
        Step::Leave(ms, user) => (
            *ms,
            EventPayload::SessionLeave(SessionLeave {
                user: UserMetadata {
                    user: user.to_string(),
                    login: "root".into(),
                },
                session: SessionMetadata { sid: SID.into() },
                ..SessionLeave::default()
            }),
        ),
        Step::Output(..) | Step::Resize(..) => return None,
    };
    let clock = FakeClock::new(STARTED + Duration::from_millis(ms));
    Some(AuditEvent::new(payload, "example.com", &clock))
}

/// Records `steps` as session `sid` into `dir`.
pub async fn record(dir: &Path, format: Format, sid: &str, steps: &[Step]) -> RecordingSummary {
    let recorder = FileRecorder::new(dir, format);
    let mut recording = recorder.open(meta(sid)).await.unwrap();
    for step in steps {
        match step {
            Step::Output(ms, bytes) => recording
                .write_output(Duration::from_millis(*ms), bytes)
                .await
                .unwrap(),
            Step::Resize(ms, cols, rows) => recording
                .resize(Duration::from_millis(*ms), *cols, *rows)
                .await
                .unwrap(),
            Step::Join(..) | Step::Leave(..) => {
                recording.event(event(step).unwrap()).await.unwrap()
            }
        }
    }
    recording.close().await.unwrap()
}

/// Every item of the recording of `sid` in `dir`.
pub fn read_all(dir: &Path, sid: &str) -> Vec<RecordedItem> {
    RecordingReader::open(dir, sid)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The output steps' bytes, concatenated.
pub fn all_output(steps: &[Step]) -> Vec<u8> {
    steps
        .iter()
        .flat_map(|step| match step {
            Step::Output(_, bytes) => bytes.clone(),
            _ => Vec::new(),
        })
        .collect()
}

/// The outputs of `items`, concatenated.
pub fn output_of(items: &[RecordedItem]) -> Vec<u8> {
    items
        .iter()
        .flat_map(|item| match item {
            RecordedItem::Output { bytes, .. } => bytes.clone(),
            _ => Vec::new(),
        })
        .collect()
}

/// Deterministic, hard-to-compress bytes: the `n`th chunk of `len` bytes of stream `seed`.
pub fn noise(seed: u64, n: u64, len: usize) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(n.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        | 1;
    (0..len)
        .map(|_| {
            // xorshift64
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect()
}
