//! `tctl auth export`: CA public keys in the forms OpenSSH and TLS clients want.

use super::keys::SshCaKey;

/// Which CA keys to export, and in which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportKind {
    /// The host CA as `known_hosts` lines:
    /// `@cert-authority *.<cluster> <type> <base64> type=host`.
    Host,
    /// The user CA as `authorized_keys` lines: `cert-authority <type> <base64>
    /// clustername=<cluster>&type=user` (Teleport's `--type=user`).
    User,
    /// The user CA as plain `<type> <base64>` lines, for sshd's `TrustedUserCAKeys`.
    UserTrustedCaKeys,
    /// The TLS CA certificate, PEM.
    Tls,
}

impl ExportKind {
    /// Reads `tctl auth export --type` values: `host`, `user`, `user-ca-keys` (alias
    /// `openssh`), `tls`.
    pub fn from_type_flag(flag: &str) -> Option<Self> {
        match flag.trim().to_ascii_lowercase().as_str() {
            "host" => Some(ExportKind::Host),
            "user" => Some(ExportKind::User),
            "user-ca-keys" | "openssh" => Some(ExportKind::UserTrustedCaKeys),
            "tls" => Some(ExportKind::Tls),
            _ => None,
        }
    }
}

/// The `known_hosts` line trusting `key` for every host of `cluster`.
pub(crate) fn host_line(cluster: &str, key: &SshCaKey) -> String {
    format!(
        "@cert-authority *.{cluster} {} type=host\n",
        key.public_key_openssh()
    )
}

/// The `authorized_keys` line trusting `key` for users of `cluster`.
pub(crate) fn user_line(cluster: &str, key: &SshCaKey) -> String {
    format!(
        "cert-authority {} clustername={cluster}&type=user\n",
        key.public_key_openssh()
    )
}

/// The plain public key line (`TrustedUserCAKeys`).
pub(crate) fn plain_line(key: &SshCaKey) -> String {
    format!("{}\n", key.public_key_openssh())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_flags() {
        assert_eq!(ExportKind::from_type_flag("Host"), Some(ExportKind::Host));
        assert_eq!(ExportKind::from_type_flag("tls"), Some(ExportKind::Tls));
        assert_eq!(
            ExportKind::from_type_flag("openssh"),
            Some(ExportKind::UserTrustedCaKeys)
        );
        assert_eq!(ExportKind::from_type_flag("db"), None);
    }
}
