//! Issuing a user's certificates: after a password (+ OTP) login, or for `tctl auth
//! sign` without one.
//!
//! The SSH certificate's principals are the logins the user's roles allow after trait
//! substitution ([`RoleSet::allowed_logins`]); a user whose roles allow no login gets
//! one placeholder principal (`-teleport-nologin-<uuid>`, as Teleport does) so that the
//! certificate still identifies them to the auth API but opens no node. The TTL is the
//! asked one or 12 hours, capped by the smallest `max_session_ttl` of the roles.
//! Every issued certificate is a `cert.create` audit event.

use std::sync::Arc;

use russh::keys::ssh_key::{Certificate, PublicKey};
use teleport_audit::event::{CertificateCreate, CertificateIdentity};
use teleport_audit::sink::{AuditError, AuditSink};
use teleport_audit::{AuditEvent, EventPayload};
use teleport_core::resource::User;
use teleport_core::{Duration, SharedClock};
use time::OffsetDateTime;

use crate::ca::UserCertRequest;
use crate::ca::{CaError, CertAuthority, TlsCertRequest, TlsIdentity, TlsPublicKey, TlsUsage};
use crate::rbac::{RbacError, RoleSet};
use crate::resources::{ResourceError, ResourceService};

/// What a user's certificates are to certify.
#[derive(Debug, Clone)]
pub struct UserCertsRequest {
    /// The SSH public key to certify.
    pub ssh_public_key: PublicKey,
    /// The TLS public key (SubjectPublicKeyInfo PEM) to certify, if a TLS certificate
    /// is wanted too.
    pub tls_public_key: Option<String>,
    /// The TTL asked for; `None` for the default 12 hours. Capped by the roles.
    pub ttl: Option<Duration>,
    /// Where the request came from, for the audit log.
    pub client_ip: String,
}

/// A user's new certificates.
#[derive(Debug, Clone)]
pub struct UserCerts {
    /// The SSH user certificate.
    pub ssh_cert: Certificate,
    /// The X.509 client certificate (PEM), when a TLS key was given.
    pub tls_cert: Option<String>,
    /// The principals: the logins the roles allow.
    pub logins: Vec<String>,
    /// The TTL granted.
    pub ttl: Duration,
    /// When the certificates expire.
    pub expires: OffsetDateTime,
}

/// Why certificates were not issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The user's expiry (`spec.expires`) has passed.
    #[error("user {user:?} expired at {at}")]
    UserExpired {
        /// The user.
        user: String,
        /// When it expired.
        at: OffsetDateTime,
    },
    /// The user's roles could not be read.
    #[error("cannot read the roles of user {user:?}: {source}")]
    Roles {
        /// The user.
        user: String,
        /// Why.
        source: ResourceError,
    },
    /// The user's roles could not be prepared (a bad template or label selector).
    #[error(transparent)]
    Rbac(#[from] RbacError),
    /// A public key is not acceptable, or signing failed.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// The certificates were made but their `cert.create` event could not be written;
    /// they are not handed out.
    #[error("the certificates could not be audited: {0}")]
    Audit(#[source] AuditError),
}

/// Signs user certificates with the cluster's CAs, deciding principals, extensions and
/// TTL from the user's roles.
pub struct UserCertIssuer {
    ca: Arc<dyn CertAuthority>,
    resources: Arc<ResourceService>,
    audit: Arc<dyn AuditSink>,
    clock: SharedClock,
}

impl std::fmt::Debug for UserCertIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCertIssuer")
            .field("cluster", &self.ca.cluster_name())
            .finish_non_exhaustive()
    }
}

impl UserCertIssuer {
    /// An issuer signing with `ca`, reading roles from `resources` and recording
    /// `cert.create` events in `audit`.
    pub fn new(
        ca: Arc<dyn CertAuthority>,
        resources: Arc<ResourceService>,
        audit: Arc<dyn AuditSink>,
        clock: SharedClock,
    ) -> Self {
        UserCertIssuer {
            ca,
            resources,
            audit,
            clock,
        }
    }

    /// The roles of `user`, prepared with its traits.
    pub async fn role_set(&self, user: &User) -> Result<RoleSet, LoginError> {
        let roles = self
            .resources
            .roles(&user.spec.roles)
            .await
            .map_err(|source| LoginError::Roles {
                user: user.name().to_string(),
                source,
            })?;
        Ok(RoleSet::new(roles, &user.spec.traits)?)
    }

    /// Issues `user`'s SSH certificate (and TLS certificate when asked) and audits it.
    pub async fn issue(&self, user: &User, req: UserCertsRequest) -> Result<UserCerts, LoginError> {
        let now = self.clock.now();
        if let Some(at) = user.spec.expires.filter(|at| *at <= now) {
            return Err(LoginError::UserExpired {
                user: user.name().to_string(),
                at,
            });
        }
        let set = self.role_set(user).await?;
        let ttl = set.adjust_ttl(req.ttl);
        let mut logins = set.allowed_logins();
        if logins.is_empty() {
            logins.push(format!("-teleport-nologin-{}", uuid::Uuid::new_v4()));
        }
        let roles = user.spec.roles.clone();
        let traits = user.spec.traits.clone();
        let mut ssh_req =
            UserCertRequest::new(req.ssh_public_key, user.name(), logins.clone(), ttl.into());
        ssh_req.roles.clone_from(&roles);
        ssh_req.traits.clone_from(&traits);
        ssh_req.permit_port_forwarding = set.can_port_forward();
        ssh_req.permit_agent_forwarding = set.can_forward_agent();
        let ssh_cert = self.ca.sign_user_ssh(ssh_req).await?;
        let expires = now
            + time::Duration::try_from(std::time::Duration::from(ttl))
                .unwrap_or(time::Duration::HOUR);
        let tls_cert = match req.tls_public_key {
            Some(pem) => Some(
                self.ca
                    .sign_tls(TlsCertRequest {
                        public_key: TlsPublicKey::SpkiPem(pem),
                        identity: TlsIdentity {
                            username: user.name().to_string(),
                            roles: roles.clone(),
                            system_role: None,
                            cluster_name: self.ca.cluster_name().to_string(),
                            logins: logins.clone(),
                            expires,
                        },
                        usage: TlsUsage::Client,
                        dns_names: Vec::new(),
                        ip_addrs: Vec::new(),
                    })
                    .await?,
            ),
            None => None,
        };
        let event = CertificateCreate {
            cert_type: CertificateCreate::TYPE_USER.to_string(),
            identity: CertificateIdentity {
                user: user.name().to_string(),
                roles,
                logins: logins.clone(),
                expires,
                route_to_cluster: String::new(),
                teleport_cluster: self.ca.cluster_name().to_string(),
                traits,
                client_ip: req.client_ip,
            },
        };
        let event = AuditEvent::new(
            EventPayload::CertificateCreate(event),
            self.ca.cluster_name(),
            &*self.clock,
        );
        self.audit.emit(event).await.map_err(LoginError::Audit)?;
        tracing::info!(user = user.name(), ?logins, %ttl, "user certificates issued");
        Ok(UserCerts {
            ssh_cert,
            tls_cert,
            logins,
            ttl,
            expires,
        })
    }
}
