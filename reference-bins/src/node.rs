//! The node service of `teleport start`: the certificate-only SSH server on
//! `ssh_service.listen_addr`, and its heartbeat.
//!
//! In the auth server's process the node needs no token: its identity is signed by the
//! local CAs, roles come from the local resources and events go to the local audit log.
//! On another host it joins with a token (checking the CA pin), reads roles through the
//! auth API, sends its audit events to the auth server and records sessions under its
//! own `data_dir/log/sessions/default/`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use teleport_audit::sink::AuditSink;
use teleport_auth::api::{
    issue_host_identity, join, AuthClient, Identity, JoinParams, RemoteAuditSink,
};
use teleport_core::config::{parse_labels_flag, CaPin, FileConfig, TokenValue};
use teleport_core::resource::{Server, ServerSpec, SystemRole};
use teleport_core::SystemClock;
use teleport_node::{
    spawn_heartbeat, Heartbeat, LocalRoles, NodeConfig, NodeLabels, NodeServer, RoleSource,
    RunningNode, HEARTBEAT_PERIOD, HEARTBEAT_TTL,
};
use tracing::info;

use crate::start::{AuthParts, StartFlags};

/// A running node service.
pub struct NodeParts {
    server: RunningNode,
    _heartbeat: Heartbeat,
}

impl NodeParts {
    /// Stops the SSH server and the heartbeat.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// The node's labels: `ssh_service.labels` and `.commands`, with `--labels` added
/// (a flag's label replaces the file's of the same name).
fn labels(config: &FileConfig, flags: &StartFlags) -> Result<NodeLabels> {
    let mut statics = config.ssh_service.labels.clone();
    let mut commands = config.ssh_service.commands.clone();
    if let Some(text) = &flags.labels {
        let (flag_statics, flag_commands) =
            parse_labels_flag(text).map_err(|err| anyhow::anyhow!("--labels: {err}"))?;
        for name in flag_statics
            .keys()
            .chain(flag_commands.iter().map(|c| &c.name))
        {
            statics.remove(name);
            commands.retain(|c| &c.name != name);
        }
        statics.extend(flag_statics);
        commands.extend(flag_commands);
    }
    NodeLabels::from_config(&statics, &commands).context("ssh_service labels")
}

/// Starts the node: its identity (local or joined), its SSH server and its heartbeat.
pub(crate) async fn start_node(
    config: &FileConfig,
    flags: &StartFlags,
    data_dir: &Path,
    host_uuid: &str,
    auth: Option<&AuthParts>,
) -> Result<NodeParts> {
    let nodename = config.nodename();
    let public_addrs: Vec<String> = config
        .ssh_public_addrs()
        .iter()
        .map(|addr| addr.host.clone())
        .collect();
    let labels = labels(config, flags)?;
    let resource = node_resource(config, host_uuid)?;
    let (identity, roles, audit, heartbeat): (_, Arc<dyn RoleSource>, Arc<dyn AuditSink>, _) =
        match auth {
            Some(auth) => {
                let identity = issue_host_identity(
                    auth.ca.as_ref(),
                    data_dir,
                    host_uuid,
                    &nodename,
                    SystemRole::Node,
                    &public_addrs,
                    &SystemClock,
                )
                .await
                .context("cannot issue the local node's identity")?;
                let heartbeat = spawn_heartbeat(
                    Arc::clone(&auth.presence),
                    resource,
                    labels.clone(),
                    HEARTBEAT_PERIOD,
                    HEARTBEAT_TTL,
                );
                (
                    identity,
                    Arc::new(LocalRoles(Arc::clone(&auth.resources))),
                    Arc::clone(&auth.audit),
                    heartbeat,
                )
            }
            None => {
                let (identity, auth_addr) =
                    join_cluster(config, flags, data_dir, host_uuid, &public_addrs).await?;
                let connect = || async {
                    AuthClient::connect(&auth_addr, Some(&identity), identity.trust())
                        .await
                        .with_context(|| format!("cannot reach the auth server at {auth_addr}"))
                };
                let heartbeat = spawn_heartbeat(
                    connect().await?,
                    resource,
                    labels.clone(),
                    HEARTBEAT_PERIOD,
                    HEARTBEAT_TTL,
                );
                let roles: Arc<dyn RoleSource> = Arc::new(connect().await?);
                let audit: Arc<dyn AuditSink> = Arc::new(RemoteAuditSink::new(connect().await?));
                (identity, roles, audit, heartbeat)
            }
        };
    let mut node_config = NodeConfig::from_identity(&identity, data_dir, roles, audit)
        .context("cannot use the node's identity")?;
    node_config.labels = labels;
    node_config.advertise_addr = config
        .ssh_public_addrs()
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let listen = config.ssh_listen_addr().to_string();
    let server = NodeServer::new(node_config)
        .context("cannot start the SSH server")?
        .bind(&listen)
        .await
        .with_context(|| format!("cannot listen on ssh_service.listen_addr {listen}"))?;
    info!(addr = %server.local_addr(), nodename = %nodename, "ssh service started");
    Ok(NodeParts {
        server,
        _heartbeat: heartbeat,
    })
}

/// This host as a `node` resource: its id, name and SSH address (the heartbeat adds
/// the labels).
fn node_resource(config: &FileConfig, host_uuid: &str) -> Result<Server> {
    let addr = config
        .ssh_public_addrs()
        .first()
        .map_or_else(|| config.ssh_listen_addr().to_string(), ToString::to_string);
    let server = Server::named(
        host_uuid,
        ServerSpec {
            addr,
            hostname: config.nodename(),
            version: crate::VERSION.to_string(),
            ..ServerSpec::default()
        },
    )?;
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

/// Joins the cluster as a Node (or reuses the identity of an earlier join); returns
/// the identity and the auth server's address.
async fn join_cluster(
    config: &FileConfig,
    flags: &StartFlags,
    data_dir: &Path,
    host_uuid: &str,
    public_addrs: &[String],
) -> Result<(Identity, String)> {
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
    let identity = join(&JoinParams {
        auth_addr: &auth_addr,
        token: &token,
        role: SystemRole::Node,
        ca_pins: &pins,
        data_dir,
        nodename: &nodename,
        host_uuid,
        additional_principals: public_addrs,
    })
    .await
    .with_context(|| format!("cannot join the cluster through {auth_addr}"))?;
    info!(
        cluster = %identity.cluster_name,
        auth_server = %auth_addr,
        "joined the cluster as a Node"
    );
    Ok((identity, auth_addr))
}
