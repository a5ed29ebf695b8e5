//! `tctl`: the Teleport cluster administration tool.

use clap::{Parser, Subcommand};

/// Admin tool for the Teleport Access Plane.
#[derive(Debug, Parser)]
#[command(name = "tctl", version = reference_bins::VERSION, about)]
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
}

fn main() {
    let cli = Cli::parse();
    reference_bins::init_logging(if cli.debug { "DEBUG" } else { "ERROR" });
    match cli.command {
        Command::Version => println!("{}", reference_bins::version_line()),
    }
}
