//! `tctl`: the Teleport cluster administration tool.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use reference_bins::admin::{self, Connection};
use reference_bins::resources::{self, Format};
use reference_bins::sign::{self, SignArgs, SignFormat};
use teleport_core::Duration;

/// Admin tool for the Teleport Access Plane.
#[derive(Debug, Parser)]
#[command(name = "tctl", version = reference_bins::VERSION, about)]
struct Cli {
    /// Verbose logging to stderr.
    #[arg(short = 'd', long = "debug", global = true)]
    debug: bool,
    /// Path to the auth server's configuration file [default: /etc/teleport.yaml].
    #[arg(short = 'c', long = "config", global = true)]
    config: Option<PathBuf>,
    /// Address of the auth server [default: the config's auth_service.listen_addr].
    #[arg(long = "auth-server", global = true)]
    auth_server: Option<String>,
    /// An identity file (identity.json), or a data directory holding identity/admin/.
    #[arg(short = 'i', long = "identity", global = true)]
    identity: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version.
    Version,
    /// Report cluster status: name, version, CA rotation and the CA pin.
    Status,
    /// Manage invitation tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Manage nodes: invite and list them.
    #[command(subcommand)]
    Nodes(NodesCommand),
    /// Operations with the cluster's certificate authorities.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Manage local users: invite, list, update, reset and delete them.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Print resources: users, user/joe, roles, tokens, nodes, cas, github, oidc,
    /// saml, trusted_cluster, connectors or all.
    Get(GetArgs),
    /// Create resources from a YAML file (or the JSON `tctl get --format=json`
    /// prints); `-` reads standard input.
    Create(CreateArgs),
    /// Delete a resource: kind/name, such as role/dev or users/joe.
    #[command(alias = "del")]
    Rm {
        /// The resource, as kind/name.
        resource: String,
    },
}

#[derive(Debug, Args)]
struct GetArgs {
    /// What to print: a kind (users, roles, ...), kind/name, connectors or all.
    #[arg(value_name = "REF")]
    reference: String,
    /// Output format: yaml, json or text.
    #[arg(long = "format", default_value = "yaml")]
    format: Format,
    /// Include secrets: private keys, password hashes, connector secrets.
    #[arg(long = "with-secrets")]
    with_secrets: bool,
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// The file holding the resources; `-` for standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Replace resources that exist already.
    #[arg(short = 'f', long = "force")]
    force: bool,
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Add a user and print the signup URL to share with them.
    Add(UsersAddArgs),
    /// List the users.
    Ls,
    /// Delete a user.
    #[command(alias = "del")]
    Rm {
        /// The user to delete.
        name: String,
    },
    /// Change a user's roles or logins.
    Update(UsersUpdateArgs),
    /// Reset a user's password and second factor; prints a URL to share with them.
    Reset {
        /// The user to reset.
        name: String,
    },
}

#[derive(Debug, Args)]
struct UsersAddArgs {
    /// The user's name.
    name: String,
    /// The OS logins the user may use, such as joe,root [default: the user's name].
    #[arg(long = "logins")]
    logins: Option<String>,
    /// The user's roles, such as access,editor.
    #[arg(long = "roles", required = true)]
    roles: String,
}

#[derive(Debug, Args)]
struct UsersUpdateArgs {
    /// The user's name.
    name: String,
    /// Replace the user's roles, such as access,editor.
    #[arg(long = "set-roles")]
    set_roles: Option<String>,
    /// Replace the user's logins, such as joe,root.
    #[arg(long = "set-logins")]
    set_logins: Option<String>,
}

#[derive(Debug, Subcommand)]
enum TokensCommand {
    /// Create an invitation token.
    Add(TokensAddArgs),
    /// List the tokens that are not expired.
    Ls,
    /// Delete (revoke) a token.
    #[command(alias = "del")]
    Rm {
        /// The token to delete.
        token: String,
    },
}

#[derive(Debug, Args)]
struct TokensAddArgs {
    /// Roles the token lets a host join as, such as node or node,proxy.
    #[arg(long = "type")]
    roles: String,
    /// How long the token lives.
    #[arg(long = "ttl", default_value = "30m")]
    ttl: Duration,
    /// Use this value instead of a generated one.
    #[arg(long = "value")]
    value: Option<String>,
}

#[derive(Debug, Subcommand)]
enum NodesCommand {
    /// Generate a token a node can join the cluster with.
    Add(NodesAddArgs),
    /// List the nodes that are online.
    Ls,
}

#[derive(Debug, Args)]
struct NodesAddArgs {
    /// Roles the token lets a host join as.
    #[arg(long = "roles", default_value = "node")]
    roles: String,
    /// How long the token lives.
    #[arg(long = "ttl", default_value = "30m")]
    ttl: Duration,
    /// Use this value instead of a generated one.
    #[arg(long = "token")]
    token: Option<String>,
}

#[derive(Debug, Subcommand)]
enum AuthCommand {
    /// Print a CA's public keys the way OpenSSH (host, user) or TLS (tls) wants them.
    Export {
        /// host, user or tls.
        #[arg(long = "type", default_value = "host")]
        kind: String,
    },
    /// Sign certificates for a user without their password (for bots, CI jobs).
    Sign(SignCliArgs),
}

#[derive(Debug, Args)]
struct SignCliArgs {
    /// The Teleport user the certificates are for.
    #[arg(long = "user")]
    user: String,
    /// Where to write: the key (and PATH-cert.pub) or the identity file.
    #[arg(short = 'o', long = "out", value_name = "PATH")]
    out: PathBuf,
    /// openssh: PATH (private key) and PATH-cert.pub; file: one identity file with
    /// the SSH key and certificate, the TLS key, certificate and CA, and the host CA.
    #[arg(long = "format", default_value = "openssh")]
    format: SignFormat,
    /// How long the certificates live, such as 1h or 30m [default: 12h], capped by
    /// the user's roles' max_session_ttl.
    #[arg(long = "ttl")]
    ttl: Option<Duration>,
    /// Replace existing files.
    #[arg(long = "overwrite")]
    overwrite: bool,
}

async fn run(cli: Cli) -> anyhow::Result<String> {
    let conn = Connection {
        config: cli.config,
        auth_server: cli.auth_server,
        identity: cli.identity,
    };
    let connect = || admin::connect(&conn);
    match cli.command {
        Command::Version => Ok(format!("{}\n", reference_bins::version_line())),
        Command::Status => admin::status(&connect().await?.0).await,
        Command::Tokens(TokensCommand::Add(args)) => {
            let roles = admin::parse_roles(&args.roles)?;
            let (client, addr) = connect().await?;
            admin::add_token(&client, &addr, roles, args.ttl.as_std(), args.value).await
        }
        Command::Tokens(TokensCommand::Ls) => admin::list_tokens(&connect().await?.0).await,
        Command::Tokens(TokensCommand::Rm { token }) => {
            admin::delete_token(&connect().await?.0, &token).await
        }
        Command::Nodes(NodesCommand::Add(args)) => {
            let roles = admin::parse_roles(&args.roles)?;
            let (client, addr) = connect().await?;
            admin::add_token(&client, &addr, roles, args.ttl.as_std(), args.token).await
        }
        Command::Nodes(NodesCommand::Ls) => admin::list_nodes(&connect().await?.0).await,
        Command::Auth(AuthCommand::Export { kind }) => {
            admin::export(&connect().await?.0, &kind).await
        }
        Command::Auth(AuthCommand::Sign(args)) => {
            let args = SignArgs {
                user: args.user,
                out: args.out,
                format: args.format,
                ttl: args.ttl,
                overwrite: args.overwrite,
            };
            sign::sign(&connect().await?.0, &args).await
        }
        Command::Get(args) => {
            let selection = resources::parse_selection(&args.reference)?;
            let client = connect().await?.0;
            resources::get(&client, &selection, args.format, args.with_secrets).await
        }
        Command::Create(args) => {
            // Every document is read (and checked) before anything is sent.
            let (source, parsed) = resources::read_file(&args.file)?;
            let client = connect().await?.0;
            resources::create(&client, &source, &parsed, args.force, |line| {
                print!("{line}");
            })
            .await?;
            Ok(String::new())
        }
        Command::Rm { resource } => {
            resources::parse_selection(&resource)?;
            resources::remove(&connect().await?.0, &resource).await
        }
        Command::Users(UsersCommand::Add(args)) => {
            let proxy = admin::proxy_public_addr(&conn)?;
            let logins = args.logins.as_deref().map(admin::split_list);
            let roles = admin::split_list(&args.roles);
            let client = connect().await?.0;
            admin::add_user(&client, &proxy, &args.name, logins, roles).await
        }
        Command::Users(UsersCommand::Ls) => admin::list_users(&connect().await?.0).await,
        Command::Users(UsersCommand::Rm { name }) => {
            admin::delete_user(&connect().await?.0, &name).await
        }
        Command::Users(UsersCommand::Update(args)) => {
            let set_roles = args.set_roles.as_deref().map(admin::split_list);
            let set_logins = args.set_logins.as_deref().map(admin::split_list);
            admin::update_user(&connect().await?.0, &args.name, set_roles, set_logins).await
        }
        Command::Users(UsersCommand::Reset { name }) => {
            let proxy = admin::proxy_public_addr(&conn)?;
            admin::reset_user(&connect().await?.0, &proxy, &name).await
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    reference_bins::init_logging(if cli.debug { "DEBUG" } else { "ERROR" });
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
    match runtime.block_on(run(cli)) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("ERROR: {err:#}");
            ExitCode::FAILURE
        }
    }
}
