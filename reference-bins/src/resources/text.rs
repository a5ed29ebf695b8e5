//! `tctl get --format=text`: one table per kind, shaped like Teleport's.
//!
//! - users, nodes and tokens: the tables of `tctl users ls`, `tctl nodes ls` and
//!   `tctl tokens ls`;
//! - roles: `Role`, `Allowed to login as` (allowed logins, then denied ones as
//!   `-login`), `Node Labels` (`key=value`, several values as `key=[a b]`, and
//!   `<all nodes>` for a `*` key) and `Access to resources` (`resources:verbs` per rule);
//! - certificate authorities: `Cluster Name`, `CA Type`, `Fingerprint` (SHA256 of each
//!   SSH public key, as `ssh-keygen -l` prints it) and `Role Map` (`N/A` for host CAs);
//! - everything else (connectors, trusted clusters, the cluster name): `Name` and
//!   `Kind`.
//!
//! Tables are separated by an empty line; a kind with nothing to show prints no table,
//! unless it was the only kind asked for (then its header says it is empty).

use russh::keys::ssh_key::{HashAlg, PublicKey};
use teleport_auth::presence::format_nodes_table;
use teleport_auth::tokens::{format_tokens_table, TokenInfo};
use teleport_auth::users::format_users_table;
use teleport_core::resource::{
    CertAuthType, CertAuthority, Kind, ProvisionToken, Resource, Role, Server, User,
};
use teleport_core::table::Table;
use time::OffsetDateTime;

/// Which table a kind is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TableKind {
    Users,
    Roles,
    Tokens,
    Nodes,
    Authorities,
    Others,
}

fn table_kind(kind: Kind) -> TableKind {
    match kind {
        Kind::User => TableKind::Users,
        Kind::Role => TableKind::Roles,
        Kind::Token => TableKind::Tokens,
        Kind::Node => TableKind::Nodes,
        Kind::CertAuthority => TableKind::Authorities,
        _ => TableKind::Others,
    }
}

/// The text form of `resources`: a table per kind, in the order the kinds first
/// appear. `only_kind` is the kind asked for when it was one, so that an empty answer
/// still prints its table's header.
pub fn format_text(resources: &[Resource], only_kind: Option<Kind>, now: OffsetDateTime) -> String {
    let mut order: Vec<TableKind> = Vec::new();
    for resource in resources {
        let table = table_kind(resource.kind());
        if !order.contains(&table) {
            order.push(table);
        }
    }
    if order.is_empty() {
        if let Some(kind) = only_kind {
            order.push(table_kind(kind));
        }
    }
    let tables: Vec<String> = order
        .into_iter()
        .map(|table| {
            let members = resources
                .iter()
                .filter(|resource| table_kind(resource.kind()) == table);
            render_table(table, members, now)
        })
        .collect();
    tables.join("\n")
}

fn render_table<'a>(
    table: TableKind,
    members: impl Iterator<Item = &'a Resource>,
    now: OffsetDateTime,
) -> String {
    let members: Vec<&Resource> = members.collect();
    match table {
        TableKind::Users => {
            let users: Vec<User> = members
                .iter()
                .filter_map(|r| match r {
                    Resource::User(user) => Some(user.clone()),
                    _ => None,
                })
                .collect();
            format_users_table(&users)
        }
        TableKind::Nodes => {
            let nodes: Vec<Server> = members
                .iter()
                .filter_map(|r| match r {
                    Resource::Node(node) => Some(node.clone()),
                    _ => None,
                })
                .collect();
            format_nodes_table(&nodes)
        }
        TableKind::Tokens => {
            let tokens: Vec<TokenInfo> = members
                .iter()
                .filter_map(|r| match r {
                    Resource::Token(token) => Some(token_info(token)),
                    _ => None,
                })
                .collect();
            format_tokens_table(&tokens, now)
        }
        TableKind::Roles => {
            let mut out = Table::new([
                "Role",
                "Allowed to login as",
                "Node Labels",
                "Access to resources",
            ]);
            for resource in members {
                if let Resource::Role(role) = resource {
                    out.add_row(role_row(role));
                }
            }
            out.render()
        }
        TableKind::Authorities => {
            let mut out = Table::new(["Cluster Name", "CA Type", "Fingerprint", "Role Map"]);
            for resource in members {
                if let Resource::CertAuthority(ca) = resource {
                    for row in authority_rows(ca) {
                        out.add_row(row);
                    }
                }
            }
            out.render()
        }
        TableKind::Others => {
            let mut out = Table::new(["Name", "Kind"]);
            for resource in members {
                out.add_row([resource.name().to_string(), resource.kind().to_string()]);
            }
            out.render()
        }
    }
}

fn token_info(token: &ProvisionToken) -> TokenInfo {
    TokenInfo {
        token: token.name().to_string(),
        roles: token.spec.roles.clone(),
        expires: token.metadata.expires,
        is_static: false,
    }
}

fn role_row(role: &Role) -> [String; 4] {
    let mut logins = role.spec.allow.logins.clone();
    logins.extend(
        role.spec
            .deny
            .logins
            .iter()
            .map(|login| format!("-{login}")),
    );
    let labels = &role.spec.allow.node_labels;
    let node_labels = if labels.contains_key("*") {
        "<all nodes>".to_string()
    } else {
        labels
            .iter()
            .map(|(key, values)| match values.as_slice() {
                [one] => format!("{key}={one}"),
                many => format!("{key}=[{}]", many.join(" ")),
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let rules = role
        .spec
        .allow
        .rules
        .iter()
        .map(|rule| format!("{}:{}", rule.resources.join(","), rule.verbs.join(",")))
        .collect::<Vec<_>>()
        .join(",");
    [
        role.name().to_string(),
        logins.join(","),
        node_labels,
        rules,
    ]
}

/// One row per SSH key the CA trusts (active and additional).
fn authority_rows(ca: &CertAuthority) -> Vec<[String; 4]> {
    let role_map = if ca.spec.ca_type == CertAuthType::Host {
        "N/A".to_string()
    } else {
        let mut mappings: Vec<String> = ca
            .spec
            .role_map
            .iter()
            .map(|mapping| format!("{}->{}", mapping.remote, mapping.local.join(",")))
            .collect();
        mappings.extend(ca.spec.roles.iter().map(|role| format!("*->{role}")));
        if mappings.is_empty() {
            "none".to_string()
        } else {
            mappings.join("; ")
        }
    };
    ca.spec
        .active_keys
        .ssh
        .iter()
        .chain(&ca.spec.additional_trusted_keys.ssh)
        .map(|pair| {
            [
                ca.spec.cluster_name.clone(),
                CertAuthType::as_str(ca.spec.ca_type).to_string(),
                fingerprint(pair.public_key.as_slice()),
                role_map.clone(),
            ]
        })
        .collect()
}

/// `SHA256:<base64>` of an authorized_keys line, as `ssh-keygen -l` prints it.
pub(crate) fn fingerprint(authorized_key: &[u8]) -> String {
    let text = String::from_utf8_lossy(authorized_key);
    match PublicKey::from_openssh(text.trim()) {
        Ok(key) => key.fingerprint(HashAlg::Sha256).to_string(),
        Err(_) => "<unreadable key>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teleport_core::resource::read_resources;

    const ROLES: &str = "\
kind: role
version: v4
metadata:
  name: dev
spec:
  allow:
    logins: [dev, ubuntu]
    node_labels:
      env: [staging, test]
      team: web
    rules:
    - resources: [session]
      verbs: [list, read]
  deny:
    logins: [root]
---
kind: role
version: v4
metadata:
  name: ops
spec:
  allow:
    logins: [root]
    node_labels:
      '*': '*'
";

    #[test]
    fn roles_print_like_teleport() {
        let roles = read_resources(ROLES, "roles.yaml").unwrap_or_default();
        let text = format_text(&roles, Some(Kind::Role), OffsetDateTime::UNIX_EPOCH);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Role Allowed to login as Node Labels                 Access to resources"
        );
        assert_eq!(
            lines[2],
            "dev  dev,ubuntu,-root    env=[staging test],team=web session:list,read"
        );
        assert_eq!(lines[3], "ops  root                <all nodes>");
    }

    #[test]
    fn an_empty_single_kind_prints_its_header_and_mixed_kinds_print_one_table_each() {
        let text = format_text(&[], Some(Kind::Role), OffsetDateTime::UNIX_EPOCH);
        assert!(text.starts_with("Role "), "{text}");
        assert_eq!(format_text(&[], None, OffsetDateTime::UNIX_EPOCH), "");
        let roles = read_resources(ROLES, "roles.yaml").unwrap_or_default();
        let github = read_resources(
            "kind: github\nversion: v3\nmetadata:\n  name: myteam\nspec:\n  client_id: x\n  \
             client_secret: y\n  redirect_url: https://x/callback\n",
            "gh.yaml",
        )
        .unwrap_or_default();
        let mixed: Vec<Resource> = roles.into_iter().chain(github).collect();
        let text = format_text(&mixed, None, OffsetDateTime::UNIX_EPOCH);
        assert!(
            text.contains("\nName   Kind\n----   ----\nmyteam github\n"),
            "{text}"
        );
    }

    #[test]
    fn fingerprints_match_ssh_keygen() {
        // `ssh-keygen -l -f` of this key prints this fingerprint.
        let key = b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIgqsYrfztkYNqKOX/FW7qrJANEei2bY4PXMf8h//ja3 root@vm\n";
        assert_eq!(
            fingerprint(key),
            "SHA256:0t7hy3hf2uggkRETLVtfTE7pmgVkiNIr0u0MYpizjpc"
        );
        assert_eq!(fingerprint(b"not a key"), "<unreadable key>");
    }
}
