//! `tsh`: the Teleport client for users.

use clap::{Parser, Subcommand};

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
}

fn main() {
    let cli = Cli::parse();
    reference_bins::init_logging(if cli.debug { "DEBUG" } else { "ERROR" });
    match cli.command {
        Command::Version => println!("{}", reference_bins::version_line()),
    }
}
