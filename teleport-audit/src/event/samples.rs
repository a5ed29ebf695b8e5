//! One fixed event per golden file: every event type, and every code a type can take.
//! Each is made with [`AuditEvent::new`] on a [`FakeClock`], then given a fixed `uid`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use teleport_core::FakeClock;
use time::macros::datetime;

use super::*;

/// The name of each sample's golden file (without `.json`) and the sample.
pub(super) fn samples() -> Vec<(&'static str, AuditEvent)> {
    let mut samples = Vec::new();
    let mut add = |name: &'static str, payload: EventPayload| {
        let clock = FakeClock::new(datetime!(2021-01-01 12:00:00 UTC));
        let mut event = AuditEvent::new(payload, "example.com", &clock);
        event.common.uid = format!("00000000-0000-4000-8000-{:012}", samples.len() + 1);
        samples.push((name, event));
    };
    session_samples(&mut add);
    exec_samples(&mut add);
    login_samples(&mut add);
    admin_samples(&mut add);
    add("unknown", unknown_payload());

    // Events inside a session carry their index in it; a print line is written as the
    // recorder writes it, with an empty uid and no cluster name; an unknown event keeps
    // its code.
    for (name, event) in &mut samples {
        match *name {
            "session.start" => event.common.ei = 0,
            "resize" => event.common.ei = 3,
            "session.end" => event.common.ei = 42,
            "print" => {
                event.common.ei = 7;
                event.common.uid.clear();
                event.common.cluster_name.clear();
            }
            "unknown" => event.common.code = "T2007I".to_string(),
            _ => {}
        }
    }
    samples
}

fn session_samples(add: &mut impl FnMut(&'static str, EventPayload)) {
    add(
        "session.start",
        EventPayload::SessionStart(SessionStart {
            user: alice(),
            server: node(),
            connection: connection(),
            session: session(),
            size: "80:25".into(),
        }),
    );
    add(
        "session.join",
        EventPayload::SessionJoin(SessionJoin {
            user: bob(),
            session: session(),
            server: node(),
            connection: connection(),
        }),
    );
    add(
        "resize",
        EventPayload::Resize(Resize {
            user: alice(),
            session: session(),
            connection: connection(),
            server: node(),
            size: "120:40".into(),
        }),
    );
    add(
        "session.leave",
        EventPayload::SessionLeave(SessionLeave {
            user: bob(),
            session: session(),
            server: node(),
            connection: connection(),
        }),
    );
    add(
        "session.end",
        EventPayload::SessionEnd(SessionEnd {
            user: alice(),
            session: session(),
            connection: connection(),
            server: node(),
            enhanced_recording: false,
            interactive: true,
            participants: vec!["alice".into(), "bob".into()],
            session_start: datetime!(2021-01-01 11:58:30.25 UTC),
            session_stop: datetime!(2021-01-01 12:00:00 UTC),
        }),
    );
    add(
        "session.upload",
        EventPayload::SessionUpload(SessionUpload {
            session: session(),
            url: "file:///var/lib/teleport/log/sessions/default/\
                  9d2c3b8e-1f4a-4c6b-8e2d-3a5f7b9c1d0e.tar"
                .into(),
        }),
    );
    add(
        "session.data",
        EventPayload::SessionData(SessionData {
            user: alice(),
            session: session(),
            server: node(),
            connection: connection(),
            bytes_transmitted: 20480,
            bytes_received: 512,
        }),
    );
    add(
        "session.rejected",
        EventPayload::SessionReject(SessionReject {
            user: alice(),
            server: node(),
            connection: connection(),
            reason: "max_connections limit reached".into(),
            maximum: 2,
        }),
    );
    add(
        "print",
        EventPayload::Print(Print {
            chunk_index: 5,
            bytes: 31,
            delay_ms: 1250,
            offset: 4096,
        }),
    );
}

fn exec_samples(add: &mut impl FnMut(&'static str, EventPayload)) {
    let exec = |exit_code: &str, exit_error: &str| {
        EventPayload::Exec(Exec {
            user: alice(),
            connection: connection(),
            session: session(),
            server: node(),
            command: CommandMetadata {
                command: "ls /".into(),
                exit_code: exit_code.into(),
                exit_error: exit_error.into(),
            },
        })
    };
    add("exec", exec("0", ""));
    add("exec.failure", exec("2", "exit status 2"));

    let scp = |action: ScpAction, path: &str, failed: bool| {
        EventPayload::Scp(Scp {
            user: alice(),
            connection: connection(),
            session: session(),
            server: node(),
            command: CommandMetadata {
                command: format!(
                    "scp {} {path}",
                    if action == ScpAction::Upload {
                        "-t"
                    } else {
                        "-f"
                    }
                ),
                exit_code: if failed { "1" } else { "0" }.into(),
                exit_error: if failed {
                    "scp: permission denied".into()
                } else {
                    String::new()
                },
            },
            path: path.into(),
            length: if failed { 0 } else { 32344 },
            action,
        })
    };
    add(
        "scp.download",
        scp(ScpAction::Download, "/var/log/syslog", false),
    );
    add(
        "scp.download.failure",
        scp(ScpAction::Download, "/root/.ssh/id_ed25519", true),
    );
    add(
        "scp.upload",
        scp(ScpAction::Upload, "/tmp/report.csv", false),
    );
    add(
        "scp.upload.failure",
        scp(ScpAction::Upload, "/etc/passwd", true),
    );

    let subsystem = |exit_error: &str| {
        EventPayload::Subsystem(Subsystem {
            user: alice(),
            connection: connection(),
            server: node(),
            name: "sftp".into(),
            exit_error: exit_error.into(),
        })
    };
    add("subsystem", subsystem(""));
    add("subsystem.failure", subsystem("subsystem request denied"));

    let port = |status: Status| {
        EventPayload::PortForward(PortForward {
            user: alice(),
            connection: connection(),
            status,
            addr: "db.internal:5432".into(),
        })
    };
    add("port", port(Status::succeeded()));
    add(
        "port.failure",
        port(Status::failed("port forwarding not allowed by role")),
    );

    let x11 = |status: Status| {
        EventPayload::X11Forward(X11Forward {
            user: alice(),
            connection: connection(),
            status,
        })
    };
    add("x11-forward", x11(Status::succeeded()));
    add(
        "x11-forward.failure",
        x11(Status::failed("x11 forwarding not allowed by role")),
    );

    add(
        "client.disconnect",
        EventPayload::ClientDisconnect(ClientDisconnect {
            user: alice(),
            connection: connection(),
            server: node(),
            reason: "client is idle for 30m0s, exceeded idle timeout of 30m0s".into(),
        }),
    );
}

fn login_samples(add: &mut impl FnMut(&'static str, EventPayload)) {
    add(
        "auth",
        EventPayload::AuthAttempt(AuthAttempt {
            user: alice(),
            connection: connection(),
            status: Status::failed("ssh: principal \"root\" not in the set of valid principals"),
        }),
    );

    let login = |method: &str, status: Status, attributes: Map<String, Value>| {
        EventPayload::UserLogin(UserLogin {
            user: UserMetadata {
                user: "alice".into(),
                login: String::new(),
            },
            connection: ConnectionMetadata {
                local_addr: String::new(),
                remote_addr: "192.0.2.10:51234".into(),
            },
            status,
            method: method.into(),
            attributes,
        })
    };
    add(
        "user.login",
        login(UserLogin::METHOD_LOCAL, Status::succeeded(), Map::new()),
    );
    add(
        "user.login.failure",
        login(
            UserLogin::METHOD_LOCAL,
            Status::failed("invalid username, password or second factor"),
            Map::new(),
        ),
    );
    let mut github = Map::new();
    github.insert("username".into(), json!("alice-gh"));
    github.insert("teams".into(), json!(["acme/admins"]));
    add(
        "user.login.sso",
        login(UserLogin::METHOD_GITHUB, Status::succeeded(), github),
    );
    add(
        "user.login.sso.failure",
        login(
            UserLogin::METHOD_GITHUB,
            Status::failed("user does not belong to any teams configured in the connector"),
            Map::new(),
        ),
    );

    add(
        "cert.create",
        EventPayload::CertificateCreate(CertificateCreate {
            cert_type: CertificateCreate::TYPE_USER.into(),
            identity: CertificateIdentity {
                user: "alice".into(),
                roles: vec!["access".into()],
                logins: vec!["root".into(), "alice".into()],
                expires: datetime!(2021-01-02 00:00:00 UTC),
                route_to_cluster: String::new(),
                teleport_cluster: "example.com".into(),
                traits: BTreeMap::from([("logins".into(), vec!["alice".into()])]),
                client_ip: "192.0.2.10".into(),
            },
        }),
    );

    let join = |status: Status, token: &str| {
        EventPayload::InstanceJoin(InstanceJoin {
            status,
            connection: ConnectionMetadata {
                local_addr: String::new(),
                remote_addr: "10.0.0.5:40022".into(),
            },
            host_id: "5f3c1a2b-7d4e-4f60-9a8b-1c2d3e4f5a6b".into(),
            node_name: "node-1".into(),
            role: "Node".into(),
            method: "token".into(),
            token_name: mask_token(token),
        })
    };
    add(
        "instance.join",
        join(Status::succeeded(), "8c1a5d2ff3b94e6c9d07a1b2c3d4e5f6"),
    );
    add(
        "instance.join.failure",
        join(
            Status::failed("token expired or not found"),
            "0123456789abcdef0123456789abcdef",
        ),
    );
}

fn admin_samples(add: &mut impl FnMut(&'static str, EventPayload)) {
    let user_change = |roles: &[&str]| UserChange {
        user: admin(),
        resource: ResourceMetadata {
            name: "alice".into(),
            ..ResourceMetadata::default()
        },
        roles: roles.iter().map(|r| r.to_string()).collect(),
        connector: String::new(),
    };
    add(
        "user.create",
        EventPayload::UserCreate(user_change(&["access"])),
    );
    add(
        "user.update",
        EventPayload::UserUpdate(user_change(&["access", "editor"])),
    );
    add("user.delete", EventPayload::UserDelete(named("alice")));
    add(
        "user.password_change",
        EventPayload::UserPasswordChange(UserPasswordChange {
            user: UserMetadata {
                user: "alice".into(),
                login: String::new(),
            },
            connection: ConnectionMetadata {
                local_addr: String::new(),
                remote_addr: "192.0.2.10:51234".into(),
            },
        }),
    );
    add(
        "reset_password_token.create",
        EventPayload::ResetPasswordTokenCreate(ResourceChange {
            user: admin(),
            resource: ResourceMetadata {
                name: "alice".into(),
                expires: Some(datetime!(2021-01-01 13:00:00 UTC)),
                ttl: "1h0m0s".into(),
                ..ResourceMetadata::default()
            },
        }),
    );
    add("role.created", EventPayload::RoleCreated(named("auditor")));
    add("role.deleted", EventPayload::RoleDeleted(named("auditor")));
    add(
        "join_token.create",
        EventPayload::JoinTokenCreate(JoinTokenCreate {
            user: admin(),
            resource: ResourceMetadata {
                name: mask_token("8c1a5d2ff3b94e6c9d07a1b2c3d4e5f6"),
                expires: Some(datetime!(2021-01-01 12:30:00 UTC)),
                ..ResourceMetadata::default()
            },
            roles: vec!["Node".into()],
            join_method: "token".into(),
        }),
    );
    add(
        "join_token.delete",
        EventPayload::JoinTokenDelete(named(&mask_token("8c1a5d2ff3b94e6c9d07a1b2c3d4e5f6"))),
    );
    add(
        "trusted_cluster.create",
        EventPayload::TrustedClusterCreate(named("east")),
    );
    add(
        "trusted_cluster.delete",
        EventPayload::TrustedClusterDelete(named("east")),
    );
    add(
        "trusted_cluster_token.create",
        EventPayload::TrustedClusterTokenCreate(named(&mask_token("b7e0c2a9d41f4e83"))),
    );
    add(
        "github.created",
        EventPayload::GithubConnectorCreated(named("github")),
    );
    add(
        "github.deleted",
        EventPayload::GithubConnectorDeleted(named("github")),
    );
    add(
        "oidc.created",
        EventPayload::OidcConnectorCreated(named("gworkspace")),
    );
    add(
        "oidc.deleted",
        EventPayload::OidcConnectorDeleted(named("gworkspace")),
    );
    add(
        "saml.created",
        EventPayload::SamlConnectorCreated(named("okta")),
    );
    add(
        "saml.deleted",
        EventPayload::SamlConnectorDeleted(named("okta")),
    );
}

fn unknown_payload() -> EventPayload {
    let Value::Object(fields) = json!({
        "app_name": "grafana",
        "app_public_addr": "grafana.example.com",
        "app_labels": {"env": "prod"},
        "sid": "0b7e4b5c-2f6d-4c1e-9a3b-5d7f9e1a2c4b",
        "user": "alice",
    }) else {
        unreachable!("json! of an object literal is an object")
    };
    EventPayload::Unknown(UnknownEvent {
        event: "app.session.start".into(),
        fields,
    })
}

fn alice() -> UserMetadata {
    UserMetadata {
        user: "alice".into(),
        login: "root".into(),
    }
}

fn bob() -> UserMetadata {
    UserMetadata {
        user: "bob".into(),
        login: "root".into(),
    }
}

fn admin() -> UserMetadata {
    UserMetadata {
        user: "admin".into(),
        login: String::new(),
    }
}

fn node() -> ServerMetadata {
    ServerMetadata {
        namespace: "default".into(),
        server_id: "5f3c1a2b-7d4e-4f60-9a8b-1c2d3e4f5a6b".into(),
        server_hostname: "node-1".into(),
        server_addr: "10.0.0.5:3022".into(),
        server_labels: BTreeMap::from([
            ("env".into(), "prod".into()),
            ("kernel".into(), "6.1.0".into()),
        ]),
    }
}

fn connection() -> ConnectionMetadata {
    ConnectionMetadata {
        local_addr: "10.0.0.5:3022".into(),
        remote_addr: "192.0.2.10:51234".into(),
    }
}

fn session() -> SessionMetadata {
    SessionMetadata {
        sid: "9d2c3b8e-1f4a-4c6b-8e2d-3a5f7b9c1d0e".into(),
    }
}

fn named(name: &str) -> ResourceChange {
    ResourceChange {
        user: admin(),
        resource: ResourceMetadata {
            name: name.into(),
            ..ResourceMetadata::default()
        },
    }
}
