//! `teleport start`: load the configuration, take the data directory, open the
//! cluster-state storage and serve until a signal says stop.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use teleport_audit::sink::sink_from_uris;
use teleport_audit::sink::AuditSink;
use teleport_auth::api::{issue_admin_identity, AuthServer, AuthServerConfig, RunningServer};
use teleport_auth::ca::{CertAuthority, LocalCertAuthority};
use teleport_auth::presence::Presence;
use teleport_auth::resources::{bootstrap as import_state, BootstrapOutcome};
use teleport_auth::services::{AuthServices, LocalSettings};
use teleport_backend::{spawn_expiry_sweeper, Backend, SledBackend, DEFAULT_SWEEP_PERIOD};
use teleport_core::config::{FileConfig, StorageConfig};
use teleport_core::{SharedClock, SystemClock};
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
    /// `--labels`: more node labels, `env=prod,kernel=[1h:"uname -r"]`.
    pub labels: Option<String>,
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
    let node = if services.node {
        Some(crate::node::start_node(&config, &flags, &data_dir, &host_uuid, auth.as_ref()).await?)
    } else {
        None
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

    if services.proxy {
        // Said plainly so an operator does not mistake this build for a working cluster.
        warn!("proxy_service is enabled in the configuration but not part of this build yet");
    }

    let stop = wait_for_stop_signal().await;
    info!(signal = stop, "shutting down");
    if let Some(node) = node {
        node.shutdown().await;
    }
    if let Some(auth) = auth {
        auth.server.shutdown().await;
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

/// What the auth service shares with a node in the same process.
pub(crate) struct AuthParts {
    /// The auth API.
    server: RunningServer,
    /// Heartbeats, where the local node announces itself.
    pub(crate) presence: Arc<Presence>,
    /// The roles (and every other resource).
    pub(crate) resources: Arc<teleport_auth::resources::ResourceService>,
    /// The cluster's CAs, which sign the local node's identity.
    pub(crate) ca: Arc<dyn CertAuthority>,
    /// The cluster's audit log.
    pub(crate) audit: Arc<dyn AuditSink>,
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
) -> Result<AuthParts> {
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
    let resources = Arc::clone(&services.resources);
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
    Ok(AuthParts {
        server: running,
        presence,
        resources,
        ca,
        audit: Arc::clone(audit),
    })
}
