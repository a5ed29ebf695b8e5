//! `tsh`: the Teleport client for users.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use reference_bins::play::{self, PlayFormat, PlayRequest};
use teleport_core::Duration;

/// Teleport client: log in to a cluster and reach its nodes.
#[derive(Debug, Parser)]
#[command(name = "tsh", version = reference_bins::VERSION, about)]
struct Cli {
    /// Verbose logging to stderr.
    #[arg(short = 'd', long = "debug", global = true)]
    debug: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version.
    Version,
    /// Replay a recorded session.
    Play(PlayArgs),
}

#[derive(Debug, Args)]
struct PlayArgs {
    /// A recording file (<sid>.session.log, <sid>.events.gz, ...) or a session id.
    #[arg(value_name = "PATH-OR-SESSION-ID")]
    target: String,
    /// Read the recording from this machine's disk (the only mode in this release).
    #[arg(long = "local", required = true)]
    local: bool,
    /// The data directory a session id is looked up in.
    #[arg(long = "data-dir", default_value = "/var/lib/teleport")]
    data_dir: PathBuf,
    /// Playback speed, from 0.25 to 16.
    #[arg(long = "speed", default_value_t = 1.0)]
    speed: f64,
    /// Cut pauses longer than this (a Go duration such as 2s) down to it.
    #[arg(long = "idle-cap", value_name = "DURATION")]
    idle_cap: Option<Duration>,
    /// pty replays with the original timing; text prints the output; json the events.
    #[arg(long = "format", value_enum, default_value = "pty")]
    format: PlayFormat,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    reference_bins::init_logging(if cli.debug { "DEBUG" } else { "ERROR" });
    match cli.command {
        Command::Version => {
            println!("{}", reference_bins::version_line());
            ExitCode::SUCCESS
        }
        Command::Play(args) => {
            let request = PlayRequest {
                target: args.target,
                data_dir: args.data_dir,
                speed: args.speed,
                idle_cap: args.idle_cap.map(|d| d.as_std()),
                format: args.format,
            };
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => {
                    eprintln!("ERROR: cannot start the async runtime: {err}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(play::play(request)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("ERROR: {err:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
