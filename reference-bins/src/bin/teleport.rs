//! `teleport`: the Teleport daemon.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use reference_bins::start::{self, StartFlags};
use teleport_core::config::{sample_config, FileConfig};

/// Clustered SSH access plane: the daemon that runs the auth, node and proxy services.
#[derive(Debug, Parser)]
#[command(name = "teleport", version = reference_bins::VERSION, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the Teleport daemon.
    Start(StartArgs),
    /// Print a sample configuration file, or check one with --test.
    Configure(ConfigureArgs),
    /// Print the version.
    Version,
}

#[derive(Debug, Args)]
struct StartArgs {
    /// Path to a configuration file [default: /etc/teleport.yaml when it exists].
    #[arg(short = 'c', long = "config")]
    config: Option<PathBuf>,
    /// Verbose logging to stderr.
    #[arg(short = 'd', long = "debug")]
    debug: bool,
    /// Path to a directory where Teleport keeps its data [default: /var/lib/teleport].
    #[arg(long = "data-dir")]
    data_dir: Option<PathBuf>,
    /// Name of this node, by default the host name.
    #[arg(long = "nodename")]
    nodename: Option<String>,
    /// Write the process id to this file.
    #[arg(long = "pid-file")]
    pid_file: Option<PathBuf>,
    /// Services to run: a comma-separated list of auth, node and proxy
    /// [default: the config's enabled flags].
    #[arg(long = "roles")]
    roles: Option<String>,
    /// Join token (from `tctl nodes add`), or the path of a file holding it.
    #[arg(long = "token")]
    token: Option<String>,
    /// Address of the auth server to join, such as auth.example.com:3025.
    #[arg(long = "auth-server")]
    auth_server: Option<String>,
    /// CA pin of the auth server (`tctl status`): sha256:<hex>. Repeatable.
    #[arg(long = "ca-pin")]
    ca_pin: Vec<String>,
    /// More node labels: static `name=value` and command `name=[1h:"uname -r"]`,
    /// comma-separated.
    #[arg(long = "labels")]
    labels: Option<String>,
    /// Backup to import on the first start (`tctl get all --with-secrets > FILE`);
    /// ignored once the backend is initialized.
    #[arg(long = "bootstrap", value_name = "FILE")]
    bootstrap: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ConfigureArgs {
    /// Check that FILE is a valid configuration: prints OK, or the error and exits 1.
    #[arg(long = "test", value_name = "FILE")]
    test: Option<PathBuf>,
    /// Write the sample configuration to FILE instead of standard output.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        conflicts_with = "test"
    )]
    output: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("{}", reference_bins::version_line());
            ExitCode::SUCCESS
        }
        Command::Configure(args) => configure(args),
        Command::Start(args) => {
            let flags = StartFlags {
                config: args.config,
                debug: args.debug,
                data_dir: args.data_dir,
                nodename: args.nodename,
                pid_file: args.pid_file,
                roles: args.roles,
                token: args.token,
                auth_server: args.auth_server,
                ca_pins: args.ca_pin,
                labels: args.labels,
                bootstrap: args.bootstrap,
            };
            match start::run(flags) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("ERROR: {err:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn configure(args: ConfigureArgs) -> ExitCode {
    if let Some(path) = args.test {
        return match FileConfig::from_path(&path) {
            Ok(_) => {
                println!("OK");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("{err}");
                ExitCode::FAILURE
            }
        };
    }
    let sample = sample_config();
    let written = match &args.output {
        Some(path) => std::fs::write(path, sample.as_bytes()).map(|()| {
            eprintln!("Wrote config to file {}", path.display());
        }),
        None => std::io::stdout().write_all(sample.as_bytes()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let target = args.output.map_or_else(
                || "standard output".to_string(),
                |p| p.display().to_string(),
            );
            eprintln!("ERROR: cannot write the sample configuration to {target}: {err}");
            ExitCode::FAILURE
        }
    }
}
