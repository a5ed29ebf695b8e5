//! `teleport.storage`: where the auth server keeps the cluster state, the audit events
//! and the session recordings.
//!
//! The file writes every backend's keys in one flat mapping beside `type`. It is read
//! flat (so every value is checked on its own line), then sorted into the typed
//! [`StorageConfig`]; a key that belongs to another storage type is an error naming it.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::{keyed, KeyedKind};
use super::keywords::StorageType;
use super::serde_support::{FromStrVisitor, OneOrMany};
use super::values::ValueError;
use crate::duration::Duration;

/// The `teleport.storage` section: the backend of the cluster state and where audit
/// events and recordings go.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct StorageSection {
    /// The backend of the cluster state and its settings.
    pub backend: StorageConfig,
    /// Where audit events go, in order; the first is the one searched (the manual asks
    /// for the high-availability store first). Written as one URI or a list; empty means
    /// the default, files under `data_dir/log`.
    pub audit_events_uri: Vec<String>,
    /// Where session recordings go (`s3://bucket/path`, `gs://bucket/path`,
    /// `file:///path`); `None` means the default, files under `data_dir/log`.
    pub audit_sessions_uri: Option<String>,
    /// The AWS region for `s3://` recordings or `dynamodb://` events when the backend is
    /// not DynamoDB (with DynamoDB it is [`DynamoDbStorage::region`]).
    pub region: Option<String>,
    /// GCP credentials for `gs://` recordings or `firestore://` events when the backend is
    /// not Firestore (with Firestore it is [`FirestoreStorage::credentials_path`]).
    pub credentials_path: Option<PathBuf>,
}

impl StorageSection {
    /// The AWS region, wherever it was written.
    pub fn aws_region(&self) -> Option<&str> {
        match &self.backend {
            StorageConfig::DynamoDb(d) if d.region.is_some() => d.region.as_deref(),
            _ => self.region.as_deref(),
        }
    }

    /// The GCP credentials file, wherever it was written.
    pub fn gcp_credentials_path(&self) -> Option<&PathBuf> {
        match &self.backend {
            StorageConfig::Firestore(f) if f.credentials_path.is_some() => {
                f.credentials_path.as_ref()
            }
            _ => self.credentials_path.as_ref(),
        }
    }
}

/// The backend of the cluster state (`teleport.storage.type` and the keys of that type).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StorageConfig {
    /// `type: dir` (the default): a local directory.
    Dir(DirStorage),
    /// `type: etcd`.
    Etcd(EtcdStorage),
    /// `type: dynamodb`.
    DynamoDb(DynamoDbStorage),
    /// `type: firestore`.
    Firestore(FirestoreStorage),
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig::Dir(DirStorage::default())
    }
}

impl StorageConfig {
    /// The `type` word of this backend.
    pub fn storage_type(&self) -> StorageType {
        match self {
            StorageConfig::Dir(_) => StorageType::Dir,
            StorageConfig::Etcd(_) => StorageType::Etcd,
            StorageConfig::DynamoDb(_) => StorageType::DynamoDb,
            StorageConfig::Firestore(_) => StorageType::Firestore,
        }
    }

    /// The `type` word as written in the file: `dir`, `etcd`, `dynamodb` or `firestore`.
    pub fn type_name(&self) -> &'static str {
        self.storage_type().as_str()
    }
}

/// Settings of `type: dir`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DirStorage {
    /// The directory; `None` means `data_dir/backend`
    /// (see [`FileConfig::storage`](super::FileConfig::storage)).
    pub path: Option<PathBuf>,
}

impl DirStorage {
    /// The directory: `path`, or `data_dir/backend` when none is written.
    pub fn path_or(&self, data_dir: &Path) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| data_dir.join(super::defaults::BACKEND_DIR))
    }
}

/// Settings of `type: etcd`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct EtcdStorage {
    /// The etcd endpoints to connect to (required).
    pub peers: Vec<String>,
    /// The key prefix Teleport keeps its state under (the manual: end it with `/`).
    pub prefix: Option<String>,
    /// Client certificate for TLS authentication.
    pub tls_cert_file: Option<PathBuf>,
    /// Client key for TLS authentication.
    pub tls_key_file: Option<PathBuf>,
    /// CA certificate that signed the etcd servers' certificates.
    pub tls_ca_file: Option<PathBuf>,
    /// User name for password authentication.
    pub username: Option<String>,
    /// File holding the password.
    pub password_file: Option<PathBuf>,
    /// Accept self-signed etcd certificates (not recommended).
    pub insecure: bool,
    /// Client message size limit, to match the server's `--max-request-bytes`.
    pub etcd_max_client_msg_size_bytes: Option<u64>,
    /// How long to wait for a connection.
    pub dial_timeout: Option<Duration>,
}

/// Settings of `type: dynamodb`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct DynamoDbStorage {
    /// The AWS region of the table.
    pub region: Option<String>,
    /// The table of the cluster state (required; created if absent).
    pub table_name: String,
    /// A DynamoDB endpoint other than AWS's.
    pub endpoint: Option<String>,
    /// Enable continuous backups of the table.
    pub continuous_backups: bool,
    /// Enable auto scaling with the capacities below.
    pub auto_scaling: bool,
    /// Provisioned read capacity units.
    pub read_capacity_units: Option<u64>,
    /// Provisioned write capacity units.
    pub write_capacity_units: Option<u64>,
    /// Auto scaling: minimum read capacity.
    pub read_min_capacity: Option<u64>,
    /// Auto scaling: maximum read capacity.
    pub read_max_capacity: Option<u64>,
    /// Auto scaling: target read utilisation.
    pub read_target_value: Option<f64>,
    /// Auto scaling: minimum write capacity.
    pub write_min_capacity: Option<u64>,
    /// Auto scaling: maximum write capacity.
    pub write_max_capacity: Option<u64>,
    /// Auto scaling: target write utilisation.
    pub write_target_value: Option<f64>,
    /// How often the table's stream is polled for changes.
    pub poll_stream_period: Option<Duration>,
}

/// Settings of `type: firestore`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FirestoreStorage {
    /// The GCP project (required).
    pub project_id: String,
    /// The collection of the cluster state (required).
    pub collection_name: String,
    /// The service account credentials file.
    pub credentials_path: Option<PathBuf>,
    /// A Firestore endpoint other than Google's (an emulator).
    pub endpoint: Option<String>,
    /// Do not delete expired documents.
    pub disable_expired_document_purging: bool,
}

/// The storage mapping as written: every backend's keys side by side.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "a storage mapping with a type such as dir, etcd, dynamodb or firestore"
)]
struct RawStorage {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    storage_type: Option<StorageType>,
    #[serde(
        deserialize_with = "events_uris",
        skip_serializing_if = "Vec::is_empty"
    )]
    audit_events_uri: Vec<String>,
    #[serde(
        deserialize_with = "sessions_uri",
        skip_serializing_if = "Option::is_none"
    )]
    audit_sessions_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials_path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<PathBuf>,
    #[serde(deserialize_with = "peer_list", skip_serializing_if = "Vec::is_empty")]
    peers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_cert_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_key_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_ca_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    insecure: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    etcd_max_client_msg_size_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dial_timeout: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    continuous_backups: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_scaling: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_capacity_units: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    write_capacity_units: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_min_capacity: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_max_capacity: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_target_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    write_min_capacity: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    write_max_capacity: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    write_target_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    poll_stream_period: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    project_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    collection_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disable_expired_document_purging: Option<bool>,
}

use StorageType::{Dir, DynamoDb, Etcd, Firestore};

/// Which storage types a backend-specific key belongs to.
const KEY_OWNERS: &[(&str, &[StorageType])] = &[
    ("path", &[Dir]),
    ("peers", &[Etcd]),
    ("prefix", &[Etcd]),
    ("tls_cert_file", &[Etcd]),
    ("tls_key_file", &[Etcd]),
    ("tls_ca_file", &[Etcd]),
    ("username", &[Etcd]),
    ("password_file", &[Etcd]),
    ("insecure", &[Etcd]),
    ("etcd_max_client_msg_size_bytes", &[Etcd]),
    ("dial_timeout", &[Etcd]),
    ("region", &[DynamoDb]),
    ("table_name", &[DynamoDb]),
    ("continuous_backups", &[DynamoDb]),
    ("auto_scaling", &[DynamoDb]),
    ("read_capacity_units", &[DynamoDb]),
    ("write_capacity_units", &[DynamoDb]),
    ("read_min_capacity", &[DynamoDb]),
    ("read_max_capacity", &[DynamoDb]),
    ("read_target_value", &[DynamoDb]),
    ("write_min_capacity", &[DynamoDb]),
    ("write_max_capacity", &[DynamoDb]),
    ("write_target_value", &[DynamoDb]),
    ("poll_stream_period", &[DynamoDb]),
    ("endpoint", &[DynamoDb, Firestore]),
    ("project_id", &[Firestore]),
    ("collection_name", &[Firestore]),
    ("credentials_path", &[Firestore]),
    ("disable_expired_document_purging", &[Firestore]),
];

/// Why a storage mapping cannot be sorted into a backend.
struct StorageKeyError {
    kind: KeyedKind,
    key: &'static str,
    message: String,
}

impl RawStorage {
    /// The backend-specific keys that are present, in the order of [`KEY_OWNERS`].
    fn present_keys(&self) -> Vec<&'static str> {
        let set = [
            self.path.is_some(),
            !self.peers.is_empty(),
            self.prefix.is_some(),
            self.tls_cert_file.is_some(),
            self.tls_key_file.is_some(),
            self.tls_ca_file.is_some(),
            self.username.is_some(),
            self.password_file.is_some(),
            self.insecure.is_some(),
            self.etcd_max_client_msg_size_bytes.is_some(),
            self.dial_timeout.is_some(),
            self.region.is_some(),
            self.table_name.is_some(),
            self.continuous_backups.is_some(),
            self.auto_scaling.is_some(),
            self.read_capacity_units.is_some(),
            self.write_capacity_units.is_some(),
            self.read_min_capacity.is_some(),
            self.read_max_capacity.is_some(),
            self.read_target_value.is_some(),
            self.write_min_capacity.is_some(),
            self.write_max_capacity.is_some(),
            self.write_target_value.is_some(),
            self.poll_stream_period.is_some(),
            self.endpoint.is_some(),
            self.project_id.is_some(),
            self.collection_name.is_some(),
            self.credentials_path.is_some(),
            self.disable_expired_document_purging.is_some(),
        ];
        KEY_OWNERS
            .iter()
            .zip(set)
            .filter_map(|((key, _), present)| present.then_some(*key))
            .collect()
    }

    fn uses_scheme(&self, schemes: &[&str]) -> bool {
        self.audit_events_uri
            .iter()
            .chain(self.audit_sessions_uri.iter())
            .any(|uri| schemes.iter().any(|s| uri.starts_with(&format!("{s}://"))))
    }

    fn into_config(mut self) -> Result<StorageSection, StorageKeyError> {
        let kind = self.storage_type.unwrap_or(Dir);
        // `region` also serves s3:// recordings and `credentials_path` gs:// ones, as in
        // the manual's S3 and GCS examples, whatever the backend.
        let region_elsewhere = self.uses_scheme(&["s3", "dynamodb"]);
        let credentials_elsewhere = self.uses_scheme(&["gs", "firestore"]);
        for key in self.present_keys() {
            let owners = KEY_OWNERS
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(&[][..], |(_, owners)| *owners);
            if owners.contains(&kind)
                || (key == "region" && region_elsewhere)
                || (key == "credentials_path" && credentials_elsewhere)
            {
                continue;
            }
            let owner_names: Vec<&str> = owners.iter().map(StorageType::as_str).collect();
            return Err(StorageKeyError {
                kind: KeyedKind::Unknown,
                key,
                message: format!(
                    "`{key}` belongs to {} storage, but the storage type is {kind}",
                    owner_names.join(" or ")
                ),
            });
        }
        let missing = |key: &'static str| StorageKeyError {
            kind: KeyedKind::Missing,
            key,
            message: format!("{kind} storage needs `{key}`"),
        };
        let mut config = StorageSection {
            backend: StorageConfig::default(),
            audit_events_uri: self.audit_events_uri,
            audit_sessions_uri: self.audit_sessions_uri,
            region: None,
            credentials_path: None,
        };
        config.backend = match kind {
            Dir => StorageConfig::Dir(DirStorage { path: self.path }),
            Etcd => {
                if self.peers.is_empty() {
                    return Err(missing("peers"));
                }
                StorageConfig::Etcd(EtcdStorage {
                    peers: self.peers,
                    prefix: self.prefix,
                    tls_cert_file: self.tls_cert_file,
                    tls_key_file: self.tls_key_file,
                    tls_ca_file: self.tls_ca_file,
                    username: self.username,
                    password_file: self.password_file,
                    insecure: self.insecure.unwrap_or(false),
                    etcd_max_client_msg_size_bytes: self.etcd_max_client_msg_size_bytes,
                    dial_timeout: self.dial_timeout,
                })
            }
            DynamoDb => StorageConfig::DynamoDb(DynamoDbStorage {
                region: self.region.take(),
                table_name: self.table_name.ok_or_else(|| missing("table_name"))?,
                endpoint: self.endpoint,
                continuous_backups: self.continuous_backups.unwrap_or(false),
                auto_scaling: self.auto_scaling.unwrap_or(false),
                read_capacity_units: self.read_capacity_units,
                write_capacity_units: self.write_capacity_units,
                read_min_capacity: self.read_min_capacity,
                read_max_capacity: self.read_max_capacity,
                read_target_value: self.read_target_value,
                write_min_capacity: self.write_min_capacity,
                write_max_capacity: self.write_max_capacity,
                write_target_value: self.write_target_value,
                poll_stream_period: self.poll_stream_period,
            }),
            Firestore => StorageConfig::Firestore(FirestoreStorage {
                project_id: self.project_id.ok_or_else(|| missing("project_id"))?,
                collection_name: self
                    .collection_name
                    .ok_or_else(|| missing("collection_name"))?,
                credentials_path: self.credentials_path.take(),
                endpoint: self.endpoint,
                disable_expired_document_purging: self
                    .disable_expired_document_purging
                    .unwrap_or(false),
            }),
        };
        config.region = self.region;
        config.credentials_path = self.credentials_path;
        Ok(config)
    }
}

impl From<&StorageSection> for RawStorage {
    fn from(config: &StorageSection) -> Self {
        let mut raw = RawStorage {
            storage_type: Some(config.backend.storage_type()),
            audit_events_uri: config.audit_events_uri.clone(),
            audit_sessions_uri: config.audit_sessions_uri.clone(),
            region: config.region.clone(),
            credentials_path: config.credentials_path.clone(),
            ..RawStorage::default()
        };
        match &config.backend {
            StorageConfig::Dir(d) => raw.path = d.path.clone(),
            StorageConfig::Etcd(e) => {
                raw.peers = e.peers.clone();
                raw.prefix = e.prefix.clone();
                raw.tls_cert_file = e.tls_cert_file.clone();
                raw.tls_key_file = e.tls_key_file.clone();
                raw.tls_ca_file = e.tls_ca_file.clone();
                raw.username = e.username.clone();
                raw.password_file = e.password_file.clone();
                raw.insecure = e.insecure.then_some(true);
                raw.etcd_max_client_msg_size_bytes = e.etcd_max_client_msg_size_bytes;
                raw.dial_timeout = e.dial_timeout;
            }
            StorageConfig::DynamoDb(d) => {
                raw.region = d.region.clone().or(raw.region);
                raw.table_name = Some(d.table_name.clone());
                raw.endpoint = d.endpoint.clone();
                raw.continuous_backups = d.continuous_backups.then_some(true);
                raw.auto_scaling = d.auto_scaling.then_some(true);
                raw.read_capacity_units = d.read_capacity_units;
                raw.write_capacity_units = d.write_capacity_units;
                raw.read_min_capacity = d.read_min_capacity;
                raw.read_max_capacity = d.read_max_capacity;
                raw.read_target_value = d.read_target_value;
                raw.write_min_capacity = d.write_min_capacity;
                raw.write_max_capacity = d.write_max_capacity;
                raw.write_target_value = d.write_target_value;
                raw.poll_stream_period = d.poll_stream_period;
            }
            StorageConfig::Firestore(f) => {
                raw.project_id = Some(f.project_id.clone());
                raw.collection_name = Some(f.collection_name.clone());
                raw.credentials_path = f.credentials_path.clone().or(raw.credentials_path);
                raw.endpoint = f.endpoint.clone();
                raw.disable_expired_document_purging =
                    f.disable_expired_document_purging.then_some(true);
            }
        }
        raw
    }
}

impl<'de> Deserialize<'de> for StorageSection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawStorage::deserialize(deserializer)?
            .into_config()
            .map_err(|e| keyed(e.kind, e.key, e.message))
    }
}

impl Serialize for StorageSection {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawStorage::from(self).serialize(serializer)
    }
}

fn check_uri(
    uri: &str,
    setting: &'static str,
    schemes: &[&str],
    expected: &'static str,
) -> Result<String, ValueError> {
    let trimmed = uri.trim();
    if trimmed.is_empty() {
        return Err(ValueError::Empty(setting));
    }
    let ok = match trimmed.split_once("://") {
        Some((scheme, _)) => schemes.contains(&scheme),
        None => trimmed.starts_with('/'),
    };
    if ok {
        Ok(trimmed.to_string())
    } else {
        Err(ValueError::InvalidUri {
            uri: uri.to_string(),
            setting,
            expected,
        })
    }
}

fn check_events_uri(uri: &str) -> Result<String, ValueError> {
    check_uri(
        uri,
        "audit_events_uri",
        &["dynamodb", "firestore", "file", "stdout"],
        "dynamodb://TABLE, firestore://COLLECTION, file:///PATH, stdout:// or an absolute path",
    )
}

/// A checked `audit_sessions_uri`.
struct SessionsUri(String);

impl FromStr for SessionsUri {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_uri(
            s,
            "audit_sessions_uri",
            &["s3", "gs", "file"],
            "s3://BUCKET/PATH, gs://BUCKET/PATH, file:///PATH or an absolute path",
        )
        .map(SessionsUri)
    }
}

fn events_uris<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    OneOrMany::new(
        "an audit events URI such as dynamodb://events",
        check_events_uri,
    )
    .read(d)
}

fn sessions_uri<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_str(FromStrVisitor::<SessionsUri>::new(
        "a session recordings URI such as s3://bucket/records",
    ))
    .map(|uri| Some(uri.0))
}

fn peer_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    fn peer(s: &str) -> Result<String, ValueError> {
        match s.trim() {
            "" => Err(ValueError::Empty("an etcd peer")),
            p => Ok(p.to_string()),
        }
    }
    OneOrMany::new("an etcd peer such as https://10.0.0.1:2379", peer).read(d)
}
