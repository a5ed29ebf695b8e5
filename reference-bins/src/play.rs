//! `tsh play --local`: replay a session recording from this machine's disk.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use teleport_audit::recording::{
    play_to, validate_sid, write_json, write_text, PlaybackOptions, Player, RecordingReader,
};

/// Where recordings live under a data directory (the manual's layout).
pub const SESSIONS_SUBDIR: &str = "log/sessions/default";

/// How `tsh play` shows a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlayFormat {
    /// Replay the output with its original timing, as a terminal showed it.
    Pty,
    /// The output bytes without pauses.
    Text,
    /// The recording's events, one JSON object per line.
    Json,
}

/// What `tsh play --local` was asked to do.
#[derive(Debug, Clone)]
pub struct PlayRequest {
    /// A recording file (`<sid>.session.log`, `.events.gz`, ...) or a session id.
    pub target: String,
    /// The data directory whose recordings a session id refers to.
    pub data_dir: PathBuf,
    /// Playback speed, 0.25 to 16.
    pub speed: f64,
    /// Pauses longer than this (after scaling) are cut to it.
    pub idle_cap: Option<Duration>,
    /// How to show the recording.
    pub format: PlayFormat,
}

/// Opens the recording `target` names: a path when one exists, else a session id under
/// `data_dir/log/sessions/default`.
fn open(request: &PlayRequest) -> Result<RecordingReader> {
    let path = Path::new(&request.target);
    if path.exists() {
        return RecordingReader::open_path(path)
            .with_context(|| format!("cannot read the recording {}", path.display()));
    }
    validate_sid(&request.target).with_context(|| {
        format!(
            "{:?} is neither a recording file nor a session id",
            request.target
        )
    })?;
    let dir = request.data_dir.join(SESSIONS_SUBDIR);
    Ok(RecordingReader::open(&dir, &request.target)?)
}

/// Plays the recording to standard output.
pub async fn play(request: PlayRequest) -> Result<()> {
    let options = PlaybackOptions {
        speed: request.speed,
        idle_cap: request.idle_cap,
    };
    options.validate()?;
    let reader = open(&request)?;
    match request.format {
        PlayFormat::Pty => {
            let player = Player::new(reader, options)?;
            play_to(player, &mut tokio::io::stdout()).await?;
        }
        PlayFormat::Text => {
            write_text(reader, &mut std::io::stdout().lock())?;
        }
        PlayFormat::Json => {
            write_json(reader, &mut std::io::stdout().lock())?;
        }
    }
    Ok(())
}
