//! `tctl`'s work: reach the auth API as the local administrator (the identity the auth
//! service keeps in `data_dir/identity/admin/`) and print what the manual shows.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use teleport_auth::api::{AuthClient, Identity};
use teleport_auth::ca::ExportKind;
use teleport_auth::presence::format_nodes_table;
use teleport_auth::tokens::{format_expiry, format_tokens_table, TokenInfo};
use teleport_auth::users::{
    format_reset_message, format_signup_message, format_users_table, signup_url,
};
use teleport_core::config::defaults::PROXY_WEB_PORT;
use teleport_core::resource::SystemRole;

/// How `tctl` finds the auth server and proves it is an administrator.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// `-c/--config`: the auth host's configuration file.
    pub config: Option<PathBuf>,
    /// `--auth-server`: the auth API address, instead of the config's listen address.
    pub auth_server: Option<String>,
    /// `-i/--identity`: an identity file (`identity.json`), or a data directory holding
    /// an admin identity (`identity/admin/`), instead of the config's `data_dir`.
    pub identity: Option<PathBuf>,
}

/// An address to dial for a listen address: a wildcard host means this machine.
fn dial_addr(host: &str, port: u16) -> String {
    match host {
        "" | "0.0.0.0" => format!("127.0.0.1:{port}"),
        "::" => format!("[::1]:{port}"),
        host if host.contains(':') => format!("[{host}]:{port}"),
        host => format!("{host}:{port}"),
    }
}

/// Connects to the auth API as the local administrator.
pub async fn connect(conn: &Connection) -> Result<(AuthClient, String)> {
    let config = crate::load_config(conn.config.as_deref())?;
    let addr = match &conn.auth_server {
        Some(addr) => addr.clone(),
        None => {
            let listen = config.auth_listen_addr();
            dial_addr(&listen.host, listen.port_or(3025))
        }
    };
    let identity = match &conn.identity {
        // An identity file, as `tctl -i FILE` takes it on another machine.
        Some(path) if path.is_file() => Identity::load_file(path)
            .with_context(|| format!("cannot read the identity file {}", path.display()))?,
        other => {
            let data_dir = other.clone().unwrap_or_else(|| config.data_dir());
            Identity::load(&data_dir, SystemRole::Admin)
                .with_context(|| {
                    format!(
                        "cannot read the admin identity under {}",
                        data_dir.display()
                    )
                })?
                .ok_or_else(|| {
                    anyhow!(
                        "no admin identity under {}/identity/admin: run tctl on the auth \
                         server (as the user that runs teleport) or pass --identity",
                        data_dir.display()
                    )
                })?
        }
    };
    let client = AuthClient::connect(&addr, Some(&identity), identity.trust())
        .await
        .with_context(|| format!("cannot reach the auth server at {addr}"))?;
    Ok((client, addr))
}

/// `tctl status`.
pub async fn status(client: &AuthClient) -> Result<String> {
    let status = client.status().await?;
    let rows = [
        ("Cluster", status.cluster_name.clone()),
        ("Version", crate::VERSION.to_string()),
        ("Host CA", status.host_ca_rotation.clone()),
        ("User CA", status.user_ca_rotation.clone()),
        ("CA pin", status.ca_pin.to_string()),
    ];
    Ok(rows
        .iter()
        .map(|(name, value)| format!("{name:<9}{value}\n"))
        .collect())
}

/// Parses `--roles=node,proxy` / `--type=node` into system roles.
pub fn parse_roles(text: &str) -> Result<Vec<SystemRole>> {
    let roles = text
        .split(',')
        .map(str::trim)
        .filter(|role| !role.is_empty())
        .map(|role| {
            role.parse::<SystemRole>()
                .map_err(|err| anyhow!("--roles: {err}"))
        })
        .collect::<Result<Vec<_>>>()?;
    if roles.is_empty() {
        bail!("--roles: name at least one role, such as node or proxy");
    }
    Ok(roles)
}

/// `tctl tokens add` / `tctl nodes add`: creates a token and says how to use it.
pub async fn add_token(
    client: &AuthClient,
    auth_addr: &str,
    roles: Vec<SystemRole>,
    ttl: Duration,
    token: Option<String>,
) -> Result<String> {
    let entry = client.add_token(roles.clone(), Some(ttl), token).await?;
    let pin = client.ping().await?.ca_pin;
    let role_flag = roles
        .iter()
        .map(|role| role.as_str().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",");
    let expiry = entry
        .expires
        .map_or_else(|| "never".to_string(), format_expiry);
    Ok(format!(
        "The invite token: {token}\n\
         This token will expire at {expiry} ({minutes} minutes).\n\n\
         Run this on the new node to join the cluster:\n\n\
         > teleport start \\\n   --roles={role_flag} \\\n   --token={token} \\\n   \
         --ca-pin={pin} \\\n   --auth-server={auth_addr}\n\n\
         Please note:\n\n  \
         - This invitation token will expire in {minutes} minutes\n  \
         - {auth_addr} must be reachable from the new node\n",
        token = entry.token,
        minutes = ttl.as_secs() / 60,
    ))
}

/// `tctl tokens ls`.
pub async fn list_tokens(client: &AuthClient) -> Result<String> {
    let tokens: Vec<TokenInfo> = client
        .list_tokens()
        .await?
        .into_iter()
        .map(|entry| TokenInfo {
            token: entry.token,
            roles: entry.roles,
            expires: entry.expires,
            is_static: entry.is_static,
        })
        .collect();
    Ok(format_tokens_table(
        &tokens,
        time::OffsetDateTime::now_utc(),
    ))
}

/// `tctl tokens rm|del TOKEN`.
pub async fn delete_token(client: &AuthClient, token: &str) -> Result<String> {
    client.delete_token(token).await?;
    Ok(format!("Token {token} has been deleted\n"))
}

/// `tctl nodes ls`.
pub async fn list_nodes(client: &AuthClient) -> Result<String> {
    Ok(format_nodes_table(&client.list_nodes().await?))
}

/// `tctl auth export --type=host|user|tls`.
pub async fn export(client: &AuthClient, kind: &str) -> Result<String> {
    let kind = ExportKind::from_type_flag(kind)
        .ok_or_else(|| anyhow!("--type={kind}: expected host, user or tls"))?;
    let mut text = client.export(kind).await?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// The proxy address invite URLs point at: the first `proxy_service.public_addr`
/// (port 3080 where none is written), or `<nodename>:3080` when none is configured,
/// as Teleport does.
pub fn proxy_public_addr(conn: &Connection) -> Result<String> {
    let config = crate::load_config(conn.config.as_deref())?;
    Ok(match config.proxy_public_addrs().first() {
        Some(addr) => addr.to_string(),
        None => format!("{}:{PROXY_WEB_PORT}", config.nodename()),
    })
}

/// Splits a comma-separated flag value (`joe,root`), dropping empty items.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// `tctl users add NAME --roles=... [--logins=...]`: creates the user and prints the
/// invite URL on `proxy_addr`.
pub async fn add_user(
    client: &AuthClient,
    proxy_addr: &str,
    name: &str,
    logins: Option<Vec<String>>,
    roles: Vec<String>,
) -> Result<String> {
    if roles.is_empty() {
        bail!("--roles: name at least one role, such as access or editor");
    }
    let added = client
        .add_user(name, logins, roles)
        .await
        .with_context(|| format!("cannot add user {name:?}"))?;
    Ok(format_signup_message(&signup_url(proxy_addr, &added.token)))
}

/// `tctl users ls`.
pub async fn list_users(client: &AuthClient) -> Result<String> {
    Ok(format_users_table(&client.list_users().await?))
}

/// `tctl users rm NAME`.
pub async fn delete_user(client: &AuthClient, name: &str) -> Result<String> {
    client
        .delete_user(name)
        .await
        .with_context(|| format!("cannot delete user {name:?}"))?;
    Ok(format!("User {name:?} has been deleted\n"))
}

/// `tctl users update NAME [--set-roles=...] [--set-logins=...]`.
pub async fn update_user(
    client: &AuthClient,
    name: &str,
    set_roles: Option<Vec<String>>,
    set_logins: Option<Vec<String>>,
) -> Result<String> {
    if set_roles.is_none() && set_logins.is_none() {
        bail!("nothing to update: use --set-roles or --set-logins");
    }
    client
        .update_user(name, set_roles, set_logins)
        .await
        .with_context(|| format!("cannot update user {name:?}"))?;
    Ok(format!("User {name} has been updated\n"))
}

/// `tctl users reset NAME`: a reset token and the URL to share.
pub async fn reset_user(client: &AuthClient, proxy_addr: &str, name: &str) -> Result<String> {
    let reset = client
        .reset_user(name)
        .await
        .with_context(|| format!("cannot reset user {name:?}"))?;
    Ok(format_reset_message(
        name,
        &signup_url(proxy_addr, &reset.token),
    ))
}
