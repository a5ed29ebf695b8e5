//! `teleport start`: load the configuration, take the data directory, open the
//! cluster-state storage and serve until a signal says stop.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use teleport_audit::sink::sink_from_uris;
use teleport_audit::sink::AuditSink;
use teleport_auth::api::{
    issue_admin_identity, join, AuthClient, AuthServer, AuthServerConfig, Identity, JoinParams,
    RunningServer,
};
use teleport_auth::ca::{CertAuthority, LocalCertAuthority};
use teleport_auth::presence::Presence;
use teleport_auth::resources::{bootstrap as import_state, BootstrapOutcome};
use teleport_auth::services::{AuthServices, LocalSettings};
use teleport_backend::{spawn_expiry_sweeper, Backend, SledBackend, DEFAULT_SWEEP_PERIOD};
use teleport_core::config::{CaPin, FileConfig, StorageConfig, TokenValue};
use teleport_core::resource::{Server, ServerSpec, SystemRole};
use teleport_core::{SharedClock, SystemClock};
use teleport_node::{spawn_heartbeat, Heartbeat, HEARTBEAT_PERIOD, HEARTBEAT_TTL};
use tracing::{info, warn};

/// The command-line flags of `teleport start`; each one wins over the file.
#[derive(Debug, Default, Clone)]
pub struct StartFlags {
    /// `-c/--config`: the configuration file.
    pub config: Option<PathBuf>,
    /// `-d/--debug`: log at DEBUG severity.
    pub debug: bool,
    /// `--data-dir`: overrides `teleport.data_dir`.
    pub data_dir: Option<PathBuf>,
    /// `--nodename`: overrides `teleport.nodename`.
    pub nodename: Option<String>,
    /// `--pid-file`: where to write the process id.
    pub pid_file: Option<PathBuf>,
    /// `--roles`: the services to run (auth, node, proxy), instead of the config's
    /// `enabled` flags.
    pub roles: Option<String>,
    /// `--token`: the join token, or the path of a file holding it.
    pub token: Option<String>,
    /// `--auth-server`: the auth server to join (`host:3025`).
    pub auth_server: Option<String>,
    /// `--ca-pin`: pins the auth server's CA must match (repeatable).
    pub ca_pins: Vec<String>,
    /// `--bootstrap`: a `tctl get all --with-secrets` backup to import when the
    /// backend is initialized (ignored afterwards).
    pub bootstrap: Option<PathBuf>,
}

/// Which services this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Services {
    auth: bool,
    node: bool,
    proxy: bool,
}

impl Services {
    /// `--roles` when given (`auth,node,proxy` in any combination), else the
    /// configuration's `enabled` flags.
    fn resolve(flags: &StartFlags, config: &FileConfig) -> Result<Services> {
        let Some(roles) = &flags.roles else {
            return Ok(Services {
                auth: config.auth_enabled(),
                node: config.ssh_enabled(),
                proxy: config.proxy_enabled(),
            });
        };
        let mut services = Services {
            auth: false,
            node: false,
            proxy: false,
        };
        for role in roles.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            match role.to_ascii_lowercase().as_str() {
                "auth" => services.auth = true,
                "node" => services.node = true,
                "proxy" => services.proxy = true,
                other => bail!("--roles: unknown role {other:?}: expected auth, node or proxy"),
            }
        }
        Ok(services)
    }
}

/// Runs the daemon until SIGINT or SIGTERM.
pub fn run(flags: StartFlags) -> Result<()> {
    let mut config = crate::load_config(flags.config.as_deref())?;
    if let Some(dir) = &flags.data_dir {
        config.teleport.data_dir = Some(dir.clone());
    }
    if let Some(name) = &flags.nodename {
        config.teleport.nodename = Some(name.clone());
    }
    let severity = if flags.debug {
        "DEBUG".to_string()
    } else {
        config.log_severity().to_string()
    };
    crate::init_logging(&severity);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config, flags))
}

/// Opens the cluster-state storage the configuration names. The storage holds the data
/// directory's lock, so it is opened before anything in the directory is written.
fn open_storage(config: &FileConfig, data_dir: &Path) -> Result<Arc<dyn Backend>> {
    match config.storage() {
        StorageConfig::Dir(dir) => {
            let path = dir.path_or(data_dir);
            let backend: Arc<dyn Backend> = Arc::new(
                SledBackend::open(&path, Arc::new(SystemClock))
                    .with_context(|| format!("cannot open storage at {}", path.display()))?,
            );
            // The sweeper holds a weak reference: it ends when the backend is dropped.
            spawn_expiry_sweeper(&backend, DEFAULT_SWEEP_PERIOD);
            Ok(backend)
        }
        other => bail!(
            "storage type {} is not built into this release yet; use `type: dir`",
            other.type_name()
        ),
    }
}

async fn serve(config: FileConfig, flags: StartFlags) -> Result<()> {
    let services = Services::resolve(&flags, &config)?;
    let data_dir = config.data_dir();
    create_private_dir(&data_dir)?;
    let backend = open_storage(&config, &data_dir)?;
    let host_uuid = host_uuid(&data_dir)?;
    // The auth service keeps the audit log; opening it now refuses an audit_events_uri
    // this build cannot serve before the process claims to have started.
    let audit = if services.auth {
        let uris = config.audit_events_uri().to_vec();
        let dir = data_dir.clone();
        let sink =
            tokio::task::spawn_blocking(move || sink_from_uris(&uris, &dir, Arc::new(SystemClock)))
                .await
                .context("opening the audit log panicked")?
                .context("cannot open the audit log (teleport.storage.audit_events_uri)")?;
        Some(sink)
    } else {
        None
    };
    let auth = match &audit {
        Some(audit) => {
            if let Some(state) = &flags.bootstrap {
                bootstrap(&config, &backend, state).await?;
            }
            Some(start_auth(&config, &backend, audit, &data_dir, &host_uuid).await?)
        }
        None => None,
    };
    let _heartbeat = match (&auth, services.node) {
        (_, false) => None,
        (Some((_, presence)), true) => Some(spawn_heartbeat(
            Arc::clone(presence),
            node_resource(&config, &host_uuid)?,
            HEARTBEAT_PERIOD,
            HEARTBEAT_TTL,
        )),
        (None, true) => Some(join_cluster(&config, &flags, &data_dir, &host_uuid).await?),
    };
    let pid_file = flags.pid_file.clone();
    if let Some(path) = &pid_file {
        std::fs::write(path, format!("{}\n", std::process::id()))
            .with_context(|| format!("cannot write pid file {}", path.display()))?;
    }
    info!(
        host_uuid = %host_uuid,
        nodename = %config.nodename(),
        data_dir = %data_dir.display(),
        pid = std::process::id(),
        "Teleport process started"
    );

    let enabled: Vec<&str> = [
        (
            services.node,
            "ssh_service (the SSH server; the node is announced)",
        ),
        (services.proxy, "proxy_service"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if !enabled.is_empty() {
        // Said plainly so an operator does not mistake this build for a working cluster.
        warn!(
            services = %enabled.join(", "),
            "these services are enabled in the configuration but not part of this build \
             yet"
        );
    }

    let stop = wait_for_stop_signal().await;
    info!(signal = stop, "shutting down");
    if let Some((server, _)) = auth {
        server.shutdown().await;
    }
    if let Some(audit) = &audit {
        if let Err(err) = audit.close().await {
            warn!(error = %err, "closing the audit log failed");
        }
    }
    if let Err(err) = backend.close().await {
        warn!(error = %err, "closing the storage failed");
    }
    if let Some(path) = &pid_file {
        let _ = std::fs::remove_file(path);
    }
    info!("Teleport process stopped");
    Ok(())
}

async fn wait_for_stop_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers the process still stops on the default action.
        std::future::pending::<()>().await;
        return "none";
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

/// Creates `dir` (and its parents) readable by its owner only, as the data directory
/// holds keys and the cluster state.
fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))
}

/// Reads `data_dir/host_uuid`, creating it on first start.
fn host_uuid(data_dir: &Path) -> Result<String> {
    let path = data_dir.join("host_uuid");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let id = text.trim();
            uuid::Uuid::parse_str(id)
                .with_context(|| format!("{} does not hold a UUID: {id:?}", path.display()))?;
            Ok(id.to_string())
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let id = uuid::Uuid::new_v4().to_string();
            write_private_file(&path, format!("{id}\n").as_bytes())?;
            Ok(id)
        }
        Err(err) => Err(err).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// `teleport start --bootstrap FILE`: imports a `tctl get all --with-secrets` backup
/// when the backend was never initialized, and says so when it ignores it.
async fn bootstrap(config: &FileConfig, backend: &Arc<dyn Backend>, state: &Path) -> Result<()> {
    let text = std::fs::read_to_string(state)
        .with_context(|| format!("--bootstrap: cannot read {}", state.display()))?;
    let source = state.display().to_string();
    let resources = teleport_core::resource::read_resources(&text, &source)
        .with_context(|| format!("--bootstrap: cannot parse {source}"))?;
    let outcome = import_state(
        backend.as_ref(),
        resources,
        &source,
        config.auth_service.cluster_name.as_deref(),
    )
    .await
    .context("--bootstrap")?;
    match outcome {
        BootstrapOutcome::AlreadyInitialized => info!(
            state = %source,
            "--bootstrap ignored: the backend is initialized already"
        ),
        BootstrapOutcome::Imported {
            cluster_name,
            resources,
        } => info!(
            state = %source,
            cluster = %cluster_name,
            resources,
            "backend bootstrapped from the backup"
        ),
        _ => {}
    }
    Ok(())
}

/// Starts the auth service: the cluster's CAs (created on the first start; a renamed
/// cluster is refused), its join tokens, heartbeats and local users (a
/// `second_factor` that is not supported yet is refused), the auth API on
/// `auth_service.listen_addr`, and the local administrator's identity for `tctl`.
async fn start_auth(
    config: &FileConfig,
    backend: &Arc<dyn Backend>,
    audit: &Arc<dyn AuditSink>,
    data_dir: &Path,
    host_uuid: &str,
) -> Result<(RunningServer, Arc<Presence>)> {
    let clock: SharedClock = Arc::new(SystemClock);
    let ca = LocalCertAuthority::load_or_create(
        Arc::clone(backend),
        config.auth_service.cluster_name.as_deref(),
        config.ca_signature_algo(),
        Arc::clone(&clock),
    )
    .await
    .context("cannot initialise the cluster's certificate authorities")?;
    let cluster = ca.cluster_name().to_string();
    let ca_pin = ca.ca_pin();
    let ca: Arc<dyn CertAuthority> = Arc::new(ca);
    let settings = LocalSettings::new(config.second_factor(), config.auth_service.tokens.clone());
    let services = AuthServices::local(
        Arc::clone(backend),
        Arc::clone(&ca),
        Arc::clone(audit),
        Arc::clone(&clock),
        &settings,
    )
    .await?;
    let presence = Arc::clone(&services.presence);
    let server_config = AuthServerConfig {
        public_addrs: config
            .auth_public_addrs()
            .iter()
            .map(ToString::to_string)
            .collect(),
        hostname: config.nodename(),
        host_uuid: host_uuid.to_string(),
    };
    let server = AuthServer::new(services, server_config)
        .await
        .context("cannot start the auth API")?;
    let listen = config.auth_listen_addr().to_string();
    let running = server
        .bind(&listen)
        .await
        .with_context(|| format!("cannot listen on auth_service.listen_addr {listen}"))?;
    issue_admin_identity(ca.as_ref(), data_dir, clock.as_ref())
        .await
        .context("cannot write the admin identity for tctl")?;
    info!(
        cluster = %cluster,
        ca_pin = %ca_pin,
        addr = %running.local_addr(),
        "auth service started"
    );
    Ok((running, presence))
}

/// This host as a `node` resource: its id, name, SSH address and static labels.
fn node_resource(config: &FileConfig, host_uuid: &str) -> Result<Server> {
    let addr = config
        .ssh_public_addrs()
        .first()
        .map_or_else(|| config.ssh_listen_addr().to_string(), ToString::to_string);
    let mut server = Server::named(
        host_uuid,
        ServerSpec {
            addr,
            hostname: config.nodename(),
            version: crate::VERSION.to_string(),
            ..ServerSpec::default()
        },
    )?;
    server.metadata.labels = config.ssh_service.labels.clone();
    Ok(server)
}

/// The join token from `--token` or `teleport.auth_token`; a value starting with `/` is
/// a file holding the token, as the manual's `--token=/path/to/token.file`.
fn join_token(config: &FileConfig, flags: &StartFlags) -> Result<Option<String>> {
    let value = match &flags.token {
        Some(text) => Some(
            text.parse::<TokenValue>()
                .map_err(|err| anyhow::anyhow!("--token: {err}"))?,
        ),
        None => config.teleport.auth_token.clone(),
    };
    Ok(match value {
        None => None,
        Some(TokenValue::Value(secret)) => Some(secret.expose().to_string()),
        Some(TokenValue::File(path)) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the token file {}", path.display()))?;
            let token = text.trim();
            if token.is_empty() {
                bail!("the token file {} is empty", path.display());
            }
            Some(token.to_string())
        }
    })
}

/// Joins the cluster as a Node (or reuses the identity of an earlier join) and starts
/// announcing this node to the auth server.
async fn join_cluster(
    config: &FileConfig,
    flags: &StartFlags,
    data_dir: &Path,
    host_uuid: &str,
) -> Result<Heartbeat> {
    let auth_addr = match &flags.auth_server {
        Some(addr) => addr.clone(),
        None => config
            .auth_servers()
            .first()
            .map(ToString::to_string)
            .ok_or_else(|| {
                anyhow::anyhow!("a node needs --auth-server or teleport.auth_servers to join")
            })?,
    };
    let pins = if flags.ca_pins.is_empty() {
        config.teleport.ca_pin.clone()
    } else {
        flags
            .ca_pins
            .iter()
            .flat_map(|text| text.split(','))
            .map(|pin| {
                pin.trim()
                    .parse::<CaPin>()
                    .map_err(|err| anyhow::anyhow!("--ca-pin: {err}"))
            })
            .collect::<Result<Vec<_>>>()?
    };
    let stored = Identity::load(data_dir, SystemRole::Node)
        .with_context(|| format!("cannot read the node identity under {}", data_dir.display()))?;
    let token = match (join_token(config, flags)?, &stored) {
        (Some(token), _) => token,
        (None, Some(_)) => String::new(),
        (None, None) => bail!(
            "this node has not joined a cluster yet: pass --token (from `tctl nodes add`) \
             or set teleport.auth_token"
        ),
    };
    let nodename = config.nodename();
    let public_addrs: Vec<String> = config
        .ssh_public_addrs()
        .iter()
        .map(|addr| addr.host.clone())
        .collect();
    let identity = join(&JoinParams {
        auth_addr: &auth_addr,
        token: &token,
        role: SystemRole::Node,
        ca_pins: &pins,
        data_dir,
        nodename: &nodename,
        host_uuid,
        additional_principals: &public_addrs,
    })
    .await
    .with_context(|| format!("cannot join the cluster through {auth_addr}"))?;
    info!(
        cluster = %identity.cluster_name,
        auth_server = %auth_addr,
        "joined the cluster as a Node"
    );
    let client = AuthClient::connect(&auth_addr, Some(&identity), identity.trust())
        .await
        .with_context(|| format!("cannot reach the auth server at {auth_addr}"))?;
    Ok(spawn_heartbeat(
        client,
        node_resource(config, host_uuid)?,
        HEARTBEAT_PERIOD,
        HEARTBEAT_TTL,
    ))
}
