//! The node service: what a host that joined the cluster as a Node runs. Today it
//! announces itself to the auth server ([`heartbeat`]); the certificate-only SSH
//! server arrives with the node issue.

pub mod heartbeat;

pub use heartbeat::{spawn_heartbeat, Heartbeat, HEARTBEAT_PERIOD, HEARTBEAT_TTL};
