//! A table of bad `teleport.yaml` files, each with the exact kind, line, column and key
//! path its error must name.

use super::*;

/// What kind of error a bad file must give.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Syntax,
    Unknown,
    WrongType,
    Invalid,
    Missing,
    Duplicate,
}

fn kind_of(err: &ConfigError) -> Option<Kind> {
    match err {
        ConfigError::Syntax { .. } => Some(Kind::Syntax),
        ConfigError::UnknownKey { .. } => Some(Kind::Unknown),
        ConfigError::WrongType { .. } => Some(Kind::WrongType),
        ConfigError::InvalidValue { .. } => Some(Kind::Invalid),
        ConfigError::MissingKey { .. } => Some(Kind::Missing),
        ConfigError::DuplicateKey { .. } => Some(Kind::Duplicate),
        _ => None,
    }
}

struct Bad {
    name: &'static str,
    text: &'static str,
    kind: Kind,
    /// (line, column); `None` when the error has no position.
    at: Option<(usize, usize)>,
    key_path: Option<&'static str>,
    /// Text the message must contain.
    says: &'static str,
}

const BAD: &[Bad] = &[
    Bad {
        name: "unknown top-level key",
        text: "teleport:\n  nodename: a\nsssh_service:\n  enabled: yes\n",
        kind: Kind::Unknown,
        at: Some((3, 1)),
        key_path: Some("sssh_service"),
        says: "unknown key `sssh_service`, expected one of `teleport`, `auth_service`",
    },
    Bad {
        name: "unknown nested key",
        text: "auth_service:\n  enabled: yes\n  listen_adr: 0.0.0.0:3025\n",
        kind: Kind::Unknown,
        at: Some((3, 3)),
        key_path: Some("auth_service.listen_adr"),
        says: "unknown key `listen_adr`, expected one of",
    },
    Bad {
        name: "unknown key in a list item",
        text: "ssh_service:\n  commands:\n  - name: a\n    command: [a]\n    period: 1m\n    perod: 2m\n",
        kind: Kind::Unknown,
        at: Some((6, 5)),
        key_path: Some("ssh_service.commands[0].perod"),
        says: "unknown key `perod`",
    },
    Bad {
        name: "string where a list is needed",
        text: "ssh_service:\n  commands: uptime\n",
        kind: Kind::WrongType,
        at: Some((2, 13)),
        key_path: Some("ssh_service.commands"),
        says: "invalid type: string \"uptime\", expected a sequence",
    },
    Bad {
        name: "list where a mapping is needed",
        text: "teleport:\n  log:\n    - stderr\n",
        kind: Kind::WrongType,
        at: Some((3, 5)),
        key_path: Some("teleport.log"),
        says: "expected the log section",
    },
    Bad {
        name: "period under one minute",
        text: "ssh_service:\n  enabled: \"yes\"\n  commands:\n    - name: hostname\n      command: [hostname]\n      period: 1m0s\n    - name: arch\n      command: [uname, -m]\n      period: 30s\n",
        kind: Kind::Invalid,
        at: Some((9, 15)),
        key_path: Some("ssh_service.commands[1].period"),
        says: "label command period 30s is less than the minimum of 1m0s",
    },
    Bad {
        name: "empty period points at its key, not the next line",
        text: "ssh_service:\n  commands:\n    - name: arch\n      command: [uname]\n      period:\n  enabled: yes\n",
        kind: Kind::Invalid,
        at: Some((5, 7)),
        key_path: Some("ssh_service.commands[0].period"),
        says: "empty duration",
    },
    Bad {
        name: "bad duration",
        text: "teleport:\n  cache:\n    ttl: 10d\n",
        kind: Kind::Invalid,
        at: Some((3, 10)),
        key_path: Some("teleport.cache.ttl"),
        says: "unknown unit \"d\"",
    },
    Bad {
        name: "command as one string",
        text: "ssh_service:\n  commands:\n  - name: arch\n    command: \"/bin/uname -m\"\n    period: 1m\n",
        kind: Kind::Invalid,
        at: Some((4, 14)),
        key_path: Some("ssh_service.commands[0].command"),
        says: "must be an array of the executable and its arguments, such as [\"/bin/uname\", \"-m\"]",
    },
    Bad {
        name: "command as one element with a space",
        text: "ssh_service:\n  commands:\n  - name: arch\n    command: [\"/bin/uname -m\"]\n    period: 1m\n",
        kind: Kind::Invalid,
        at: Some((4, 14)),
        key_path: Some("ssh_service.commands[0].command"),
        says: "not the single string \"/bin/uname -m\"",
    },
    Bad {
        name: "missing command",
        text: "ssh_service:\n  commands:\n  - name: a\n    period: 1m\n",
        kind: Kind::Missing,
        at: Some((3, 5)),
        key_path: Some("ssh_service.commands[0].command"),
        says: "missing key `command`",
    },
    Bad {
        name: "enabled: maybe",
        text: "proxy_service:\n  enabled: maybe\n",
        kind: Kind::Invalid,
        at: Some((2, 12)),
        key_path: Some("proxy_service.enabled"),
        says: "invalid flag \"maybe\": expected yes, no",
    },
    Bad {
        name: "listen_addr port out of range",
        text: "auth_service:\n  enabled: yes\n  listen_addr: 0.0.0.0:70000\n",
        kind: Kind::Invalid,
        at: Some((3, 16)),
        key_path: Some("auth_service.listen_addr"),
        says: "invalid port \"70000\"",
    },
    Bad {
        name: "bad element of a public_addr list",
        text: "proxy_service:\n  public_addr:\n    - a.example.com:3080\n    - b.example.com:0\n",
        kind: Kind::Invalid,
        at: Some((4, 7)),
        key_path: Some("proxy_service.public_addr[1]"),
        says: "expected a number from 1 to 65535",
    },
    Bad {
        name: "dynamodb key under etcd storage",
        text: "teleport:\n  storage:\n    type: etcd\n    peers: [https://10.0.0.1:2379]\n    table_name: teleport\n",
        kind: Kind::Unknown,
        at: Some((5, 5)),
        key_path: Some("teleport.storage.table_name"),
        says: "`table_name` belongs to dynamodb storage, but the storage type is etcd",
    },
    Bad {
        name: "etcd key under the default dir storage",
        text: "teleport:\n  data_dir: /x\n  storage:\n    path: /x/backend\n    peers: [a]\n",
        kind: Kind::Unknown,
        at: Some((5, 5)),
        key_path: Some("teleport.storage.peers"),
        says: "`peers` belongs to etcd storage, but the storage type is dir",
    },
    Bad {
        name: "foreign storage key in a flow mapping",
        text: "teleport:\n  storage: {type: etcd, peers: [a], table_name: x}\n",
        kind: Kind::Unknown,
        at: Some((2, 37)),
        key_path: Some("teleport.storage.table_name"),
        says: "`table_name` belongs to dynamodb storage",
    },
    Bad {
        name: "unknown key with CRLF line endings",
        text: "teleport:\r\n  nodename: a\r\n  bogus: 1\r\n",
        kind: Kind::Unknown,
        at: Some((3, 3)),
        key_path: Some("teleport.bogus"),
        says: "unknown key `bogus`",
    },
    Bad {
        name: "period without a unit",
        text: "ssh_service:\n  commands:\n  - {name: a, command: [sleep, 1], period: 60}\n",
        kind: Kind::Invalid,
        at: Some((3, 44)),
        key_path: Some("ssh_service.commands[0].period"),
        says: "missing unit in duration \"60\"",
    },
    Bad {
        name: "etcd without peers",
        text: "teleport:\n  nodename: a\n  storage:\n    type: etcd\n    prefix: /teleport/\n",
        kind: Kind::Missing,
        at: Some((3, 3)),
        key_path: Some("teleport.storage.peers"),
        says: "etcd storage needs `peers`",
    },
    Bad {
        name: "unknown storage type",
        text: "teleport:\n  storage:\n    type: sqlite3\n",
        kind: Kind::Invalid,
        at: Some((3, 11)),
        key_path: Some("teleport.storage.type"),
        says: "unknown storage type \"sqlite3\"",
    },
    Bad {
        name: "bad audit events URI",
        text: "teleport:\n  storage:\n    audit_events_uri: ['stdout://', 'mysql://x']\n",
        kind: Kind::Invalid,
        at: Some((3, 37)),
        key_path: Some("teleport.storage.audit_events_uri[1]"),
        says: "unsupported URI \"mysql://x\" for audit_events_uri",
    },
    Bad {
        name: "ssh-rsa signature algorithm",
        text: "auth_service:\n  ca_signature_algo: ssh-rsa\n",
        kind: Kind::Invalid,
        at: Some((2, 22)),
        key_path: Some("auth_service.ca_signature_algo"),
        says: "signs with SHA-1",
    },
    Bad {
        name: "malformed token line",
        text: "auth_service:\n  tokens:\n    - proxy,node:xxxx\n    - secretvalue\n",
        kind: Kind::Invalid,
        at: Some((4, 7)),
        key_path: Some("auth_service.tokens[1]"),
        says: "invalid static token: expected roles:token",
    },
    Bad {
        name: "unknown token role",
        text: "auth_service:\n  tokens: [\"node,Admin:xxxx\"]\n",
        kind: Kind::Invalid,
        at: Some((2, 12)),
        key_path: Some("auth_service.tokens[0]"),
        says: "unknown role \"Admin\" in static token",
    },
    Bad {
        name: "tokens as one string",
        text: "auth_service:\n  tokens: \"proxy:s3cr3t\"\n",
        kind: Kind::WrongType,
        at: Some((2, 11)),
        key_path: Some("auth_service.tokens"),
        says: "invalid type: a single string, expected a list of static tokens",
    },
    Bad {
        name: "bad severity",
        text: "teleport:\n  log:\n    output: stderr\n    severity: LOUD\n",
        kind: Kind::Invalid,
        at: Some((4, 15)),
        key_path: Some("teleport.log.severity"),
        says: "unknown log severity \"LOUD\": expected one of DEBUG, INFO, WARN, ERROR",
    },
    Bad {
        name: "bad second factor",
        text: "auth_service:\n  authentication:\n    type: local\n    second_factor: sms\n",
        kind: Kind::Invalid,
        at: Some((4, 20)),
        key_path: Some("auth_service.authentication.second_factor"),
        says: "unknown second factor \"sms\"",
    },
    Bad {
        name: "bad label name",
        text: "ssh_service:\n  labels:\n    env: prod\n    \"my label\": x\n",
        kind: Kind::Invalid,
        at: Some((4, 5)),
        key_path: Some("ssh_service.labels.my label"),
        says: "invalid label name \"my label\"",
    },
    Bad {
        name: "duplicate label",
        text: "ssh_service:\n  labels:\n    env: prod\n    role: db\n    env: test\n",
        kind: Kind::Duplicate,
        at: Some((5, 5)),
        key_path: Some("ssh_service.labels.env"),
        says: "duplicate label `env`",
    },
    Bad {
        name: "duplicate key",
        text: "teleport:\n  nodename: a\n  data_dir: /x\n  nodename: b\n",
        kind: Kind::Duplicate,
        at: Some((4, 3)),
        key_path: Some("teleport.nodename"),
        says: "duplicate key `nodename`",
    },
    Bad {
        name: "tab indentation",
        text: "teleport:\n  nodename: a\n\tdata_dir: /x\n",
        kind: Kind::Syntax,
        at: Some((3, 1)),
        key_path: None,
        says: "YAML indentation must use spaces",
    },
    Bad {
        name: "tab as the first indentation",
        text: "teleport:\n\tnodename: a\n",
        kind: Kind::Syntax,
        at: Some((2, 1)),
        key_path: None,
        says: "found character that cannot start any token, while scanning",
    },
    Bad {
        name: "key out of line",
        text: "teleport:\n  nodename: a\n data_dir: /x\n",
        kind: Kind::Syntax,
        at: Some((3, 2)),
        key_path: None,
        says: "did not find expected key",
    },
    Bad {
        name: "two documents",
        text: "teleport: {}\n---\nteleport: {}\n",
        kind: Kind::Syntax,
        at: None,
        key_path: None,
        says: "more than one document",
    },
    Bad {
        name: "not a mapping",
        text: "hello\n",
        kind: Kind::WrongType,
        at: Some((1, 1)),
        key_path: None,
        says: "expected a teleport.yaml mapping",
    },
    Bad {
        name: "bad CA pin in a list",
        text: "teleport:\n  ca_pin:\n    - sha256:abc\n",
        kind: Kind::Invalid,
        at: Some((3, 7)),
        key_path: Some("teleport.ca_pin[0]"),
        says: "invalid CA pin \"sha256:abc\"",
    },
    Bad {
        name: "log output that is neither a keyword nor a path",
        text: "teleport:\n  log:\n    output: stdrr\n",
        kind: Kind::Invalid,
        at: Some((3, 13)),
        key_path: Some("teleport.log.output"),
        says: "unknown log output \"stdrr\"",
    },
];

#[test]
fn bad_configs_name_file_line_and_key() {
    let mut failures = Vec::new();
    for bad in BAD {
        let err = match FileConfig::parse(bad.text, "/etc/teleport.yaml") {
            Ok(_) => {
                failures.push(format!("{}: parsed without error", bad.name));
                continue;
            }
            Err(err) => err,
        };
        let got_at = err.line().zip(err.column());
        let mut wrong = Vec::new();
        if kind_of(&err) != Some(bad.kind) {
            wrong.push(format!("kind {:?} != {:?}", kind_of(&err), bad.kind));
        }
        if err.file() != "/etc/teleport.yaml" {
            wrong.push(format!("file {:?}", err.file()));
        }
        if got_at != bad.at {
            wrong.push(format!("at {got_at:?} != {:?}", bad.at));
        }
        if err.key_path() != bad.key_path {
            wrong.push(format!(
                "key path {:?} != {:?}",
                err.key_path(),
                bad.key_path
            ));
        }
        if !err.message().contains(bad.says) {
            wrong.push(format!("message lacks {:?}", bad.says));
        }
        if err.to_string().contains('\u{1}') {
            wrong.push("internal marker leaked".to_string());
        }
        let prefix = match (bad.at, bad.key_path) {
            (Some((l, c)), Some(p)) => format!("/etc/teleport.yaml:{l}:{c}: {p}: "),
            (Some((l, c)), None) => format!("/etc/teleport.yaml:{l}:{c}: "),
            (None, Some(p)) => format!("/etc/teleport.yaml: {p}: "),
            (None, None) => "/etc/teleport.yaml: ".to_string(),
        };
        if !err.to_string().starts_with(&prefix) {
            wrong.push(format!("display does not start with {prefix:?}"));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {}\n    got: {err}",
                bad.name,
                wrong.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_documented_example_prints_exactly() {
    let text = "\
teleport:
  nodename: node-1
  data_dir: /var/lib/teleport
auth_service:
  enabled: no
ssh_service:
  enabled: yes
  commands:
  - name: hostname
    command: [hostname]
    period: 1m0s
  - name: arch
    command: [uname, -m]
    period: 30s
";
    let err = FileConfig::parse(text, "/etc/teleport.yaml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/etc/teleport.yaml:14:13: ssh_service.commands[1].period: \
         label command period 30s is less than the minimum of 1m0s"
    );
    assert_eq!(err.line(), Some(14));
    assert_eq!(err.key_path(), Some("ssh_service.commands[1].period"));
}
