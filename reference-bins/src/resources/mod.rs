//! `tctl get`, `tctl create [-f]` and `tctl rm`: the manual's three resource commands.
//!
//! - `tctl get REF [--format=yaml|json|text] [--with-secrets]`, where REF is a kind
//!   (`users`, `roles`, `tokens`, `nodes`, `cert_authorities`/`cas`, `github`, `oidc`,
//!   `saml`, `trusted_cluster`, ...), `kind/name` (`user/joe`), `connectors` (github,
//!   oidc and saml) or `all` (what a backup needs: CAs, users, roles, trusted clusters
//!   and connectors, in that order). YAML is written as `tctl create -f` reads it back.
//! - `tctl create [-f] FILE` (`-` for standard input): every document is read before
//!   anything is sent, so a broken document creates nothing; then each resource is
//!   written in file order and one line per resource says what happened:
//!
//!   ```text
//!   role "dev" has been created
//!   user "joe" has been updated
//!   cert_authority "example.com" (user CA) is unchanged
//!   ```
//!
//!   The form is always `<kind> "<name>" has been created|updated|deleted`, the kind as
//!   documents write it and the name quoted; join tokens show masked names. Without
//!   `-f` an existing resource stops the command with an error naming it. CAs cannot be
//!   changed here; a CA identical to the stored one (from `tctl get all`) is accepted
//!   as a no-op.
//! - `tctl rm kind/name` (aliases such as `users/joe` too).

mod text;

use std::io::Read as _;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use teleport_auth::api::{ApiError, AuthClient};
use teleport_auth::resources::{BACKUP_KINDS, CONNECTOR_KINDS};
use teleport_core::resource::{
    read_resources, read_resources_json, write_resources, write_resources_json, Kind, Resource,
};

pub use text::format_text;

/// What `tctl get` and `tctl rm` were asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every resource of these kinds, in this order (`users`, `connectors`, `all`).
    Kinds(Vec<Kind>),
    /// One named resource (`user/joe`); for `cert_authority`, both CAs of a cluster.
    One(Kind, String),
}

/// The names `tctl get` takes besides the kinds and their aliases.
const GROUPS: &str = "connectors, all";

/// The error for a reference whose kind is unknown, listing what is accepted.
fn unknown_kind(text: &str) -> anyhow::Error {
    let kinds: Vec<&str> = Kind::ALL.iter().map(|kind| kind.as_str()).collect();
    anyhow!(
        "unknown resource kind {text:?}: expected one of {}, {GROUPS} \
         (plural aliases such as users, roles, tokens, nodes, cas also work)",
        kinds.join(", ")
    )
}

/// Parses `tctl get`'s reference: `kind`, `kind/name`, `connectors` or `all`.
pub fn parse_selection(text: &str) -> Result<Selection> {
    let (kind_text, name) = match text.split_once('/') {
        Some((kind, name)) => (kind.trim(), Some(name.trim())),
        None => (text.trim(), None),
    };
    if kind_text.is_empty() {
        bail!("{text:?}: name a resource kind, such as users or role/admin");
    }
    let group = match kind_text.to_ascii_lowercase().as_str() {
        "all" => Some(BACKUP_KINDS.to_vec()),
        "connector" | "connectors" => Some(CONNECTOR_KINDS.to_vec()),
        _ => None,
    };
    if let Some(kinds) = group {
        return match name {
            None => Ok(Selection::Kinds(kinds)),
            Some(_) => bail!(
                "{text:?}: {kind_text} names several kinds; to get one connector use its \
                 kind, such as github/{name}, oidc/{name} or saml/{name}",
                name = name.unwrap_or_default()
            ),
        };
    }
    let kind: Kind = kind_text.parse().map_err(|_| unknown_kind(kind_text))?;
    match name {
        None => Ok(Selection::Kinds(vec![kind])),
        Some("") => bail!("{text:?}: the name after {kind_text}/ is empty"),
        Some(name) => Ok(Selection::One(kind, name.to_string())),
    }
}

/// How `tctl get` prints resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `---`-separated YAML documents, what `tctl create` reads (the default).
    #[default]
    Yaml,
    /// A JSON array of resources.
    Json,
    /// Tables, as `tctl users ls` and `tctl nodes ls` print them.
    Text,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "yaml" => Ok(Format::Yaml),
            "json" => Ok(Format::Json),
            "text" => Ok(Format::Text),
            other => Err(format!(
                "unknown format {other:?}: expected yaml, json or text"
            )),
        }
    }
}

/// The error to show for a failed auth API call: the server's own words when it
/// refused the request on its merits (they name the resource), else the whole error.
pub(crate) fn api_error(err: ApiError) -> anyhow::Error {
    match err {
        ApiError::NotFound { message }
        | ApiError::Conflict { message }
        | ApiError::BadRequest { message } => anyhow!(message),
        other => anyhow!(other),
    }
}

/// The resources `selection` names, secrets included when `secrets`.
pub async fn fetch(
    client: &AuthClient,
    selection: &Selection,
    secrets: bool,
) -> Result<Vec<Resource>> {
    match selection {
        Selection::One(kind, name) => client
            .get_resource(*kind, name, secrets)
            .await
            .map_err(api_error),
        Selection::Kinds(kinds) => {
            let mut all = Vec::new();
            for kind in kinds {
                let listed = client
                    .list_resources(*kind, secrets)
                    .await
                    .map_err(api_error)
                    .with_context(|| format!("cannot list {kind} resources"))?;
                all.extend(listed);
            }
            Ok(all)
        }
    }
}

/// `tctl get REF`: the resources in `format`.
pub async fn get(
    client: &AuthClient,
    selection: &Selection,
    format: Format,
    secrets: bool,
) -> Result<String> {
    let resources = fetch(client, selection, secrets).await?;
    render(&resources, selection, format)
}

/// Prints `resources` in `format`; `selection` decides which empty tables `text`
/// still shows (a single kind's header, as `tctl users ls` does).
pub fn render(resources: &[Resource], selection: &Selection, format: Format) -> Result<String> {
    Ok(match format {
        Format::Yaml => write_resources(resources)?,
        Format::Json => {
            let mut json = write_resources_json(resources)?;
            if !json.ends_with('\n') {
                json.push('\n');
            }
            json
        }
        Format::Text => {
            let only_kind = match selection {
                Selection::Kinds(kinds) if kinds.len() == 1 => Some(kinds[0]),
                Selection::One(kind, _) => Some(*kind),
                Selection::Kinds(_) => None,
            };
            format_text(resources, only_kind, time::OffsetDateTime::now_utc())
        }
    })
}

/// Reads the resources of `path` (`-`: standard input): YAML documents, or the JSON
/// array `tctl get --format=json` prints. Nothing is sent anywhere.
pub fn read_file(path: &Path) -> Result<(String, Vec<Resource>)> {
    let (source, text) = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        ("stdin".to_string(), text)
    } else {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        (path.display().to_string(), text)
    };
    let trimmed = text.trim_start();
    let parsed = if trimmed.starts_with('[') || trimmed.starts_with('{') {
        read_resources_json(&text, &source)
    } else {
        read_resources(&text, &source)
    };
    let resources = parsed.map_err(|err| anyhow!("{err}\nnothing was created"))?;
    if resources.is_empty() {
        bail!("{source} holds no resources: nothing was created");
    }
    Ok((source, resources))
}

/// How a resource is named in `tctl create`/`tctl rm` lines: `role "dev"`, a join
/// token masked.
pub fn display_name(kind: Kind, name: &str) -> String {
    if kind == Kind::Token {
        format!("{kind} {:?}", teleport_auth::tokens::masked(name))
    } else {
        format!("{kind} {name:?}")
    }
}

/// `tctl create [-f]`: writes `resources` (read from `source`) in order, calling
/// `report` with one line per resource as it is written. The first refusal stops the
/// command; the lines already reported say what was written before it.
pub async fn create(
    client: &AuthClient,
    source: &str,
    resources: &[Resource],
    force: bool,
    mut report: impl FnMut(&str),
) -> Result<()> {
    for (index, resource) in resources.iter().enumerate() {
        let kind = resource.kind();
        let name = display_name(kind, resource.name());
        let exists = if force && !is_read_only(kind) {
            match client.get_resource(kind, resource.name(), false).await {
                Ok(_) => true,
                Err(ApiError::NotFound { .. }) => false,
                Err(err) => {
                    return Err(api_error(err)).with_context(|| format!("cannot check {name}"))
                }
            }
        } else {
            false
        };
        client
            .put_resource(resource, force)
            .await
            .map_err(api_error)
            .with_context(|| {
                let after = resources.len() - index - 1;
                let rest = match after {
                    0 => String::new(),
                    1 => "; the resource after it was not sent".to_string(),
                    n => format!("; the {n} resources after it were not sent"),
                };
                format!(
                    "{source}: resource {} ({name}) was not written{rest}",
                    index + 1
                )
            })?;
        let line = match resource {
            Resource::CertAuthority(ca) => {
                format!("{name} ({} CA) is unchanged\n", ca.spec.ca_type.as_str())
            }
            _ if is_read_only(kind) => format!("{name} is unchanged\n"),
            _ if exists => format!("{name} has been updated\n"),
            _ => format!("{name} has been created\n"),
        };
        report(&line);
    }
    Ok(())
}

/// Kinds the server only accepts unchanged (made on the first start).
fn is_read_only(kind: Kind) -> bool {
    matches!(kind, Kind::CertAuthority | Kind::ClusterName)
}

/// `tctl rm kind/name`.
pub async fn remove(client: &AuthClient, text: &str) -> Result<String> {
    let (kind, name) = match parse_selection(text)? {
        Selection::One(kind, name) => (kind, name),
        Selection::Kinds(_) => bail!(
            "{text:?}: name the resource to delete as kind/name, such as role/dev or users/joe"
        ),
    };
    client
        .delete_resource(kind, &name)
        .await
        .map_err(api_error)?;
    Ok(format!("{} has been deleted\n", display_name(kind, &name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_as_the_manual_writes_them() {
        assert_eq!(
            parse_selection("users").ok(),
            Some(Selection::Kinds(vec![Kind::User]))
        );
        assert_eq!(
            parse_selection("user/joe").ok(),
            Some(Selection::One(Kind::User, "joe".into()))
        );
        assert_eq!(
            parse_selection("users/admin").ok(),
            Some(Selection::One(Kind::User, "admin".into()))
        );
        assert_eq!(
            parse_selection("cas").ok(),
            Some(Selection::Kinds(vec![Kind::CertAuthority]))
        );
        assert_eq!(
            parse_selection("all").ok(),
            Some(Selection::Kinds(BACKUP_KINDS.to_vec()))
        );
        assert_eq!(
            parse_selection("connectors").ok(),
            Some(Selection::Kinds(CONNECTOR_KINDS.to_vec()))
        );
        assert_eq!(
            parse_selection("saml/okta").ok(),
            Some(Selection::One(Kind::Saml, "okta".into()))
        );
    }

    #[test]
    fn bad_references_say_what_is_accepted() {
        let err = parse_selection("widgets")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("\"widgets\"") && err.contains("connectors, all"),
            "{err}"
        );
        assert!(err.contains("cert_authority"), "{err}");
        let err = parse_selection("connectors/okta")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("saml/okta"), "{err}");
        assert!(parse_selection("role/").is_err());
        assert!(parse_selection("").is_err());
    }

    #[test]
    fn formats_parse() {
        assert_eq!("YAML".parse::<Format>(), Ok(Format::Yaml));
        assert_eq!("json".parse::<Format>(), Ok(Format::Json));
        assert_eq!("text".parse::<Format>(), Ok(Format::Text));
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn tokens_are_named_masked() {
        assert_eq!(display_name(Kind::Role, "dev"), "role \"dev\"");
        let token = display_name(Kind::Token, "abcdefgh");
        assert!(!token.contains("abcdef"), "{token}");
    }
}
