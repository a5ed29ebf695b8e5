//! [`AuthServices`]: the services an auth server answers with, and
//! [`AuthServices::local`], which builds them all over one backend.

use std::sync::Arc;

use teleport_audit::sink::AuditSink;
use teleport_backend::Backend;
use teleport_core::config::{SecondFactor, StaticToken};
use teleport_core::SharedClock;

use crate::ca::CertAuthority;
use crate::local::{AuthError, Authenticator, HashParams, LocalAuthenticator};
use crate::presence::Presence;
use crate::resources::{ResourceError, ResourceService};
use crate::tokens::{TokenError, TokenService};
use crate::users::UserService;

/// What [`AuthServices::local`] needs besides the backend, the CA, the audit log and
/// the clock: the parts of `auth_service` that configure them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LocalSettings {
    /// `auth_service.tokens`.
    pub static_tokens: Vec<StaticToken>,
    /// `auth_service.authentication.second_factor`.
    pub second_factor: SecondFactor,
    /// The argon2id cost of new password hashes.
    pub hash_params: HashParams,
}

impl Default for LocalSettings {
    fn default() -> Self {
        LocalSettings {
            static_tokens: Vec::new(),
            second_factor: SecondFactor::Otp,
            hash_params: HashParams::RECOMMENDED,
        }
    }
}

impl LocalSettings {
    /// Settings with `second_factor` and `static_tokens`, recommended hash costs.
    pub fn new(second_factor: SecondFactor, static_tokens: Vec<StaticToken>) -> Self {
        LocalSettings {
            static_tokens,
            second_factor,
            hash_params: HashParams::RECOMMENDED,
        }
    }

    /// Uses `params` for new password hashes (tests use cheap ones).
    pub fn with_hash_params(mut self, params: HashParams) -> Self {
        self.hash_params = params;
        self
    }
}

/// Why [`AuthServices::local`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServicesError {
    /// `auth_service.tokens` could not be loaded (a token file is missing or empty).
    #[error("cannot load auth_service.tokens: {0}")]
    Tokens(#[from] TokenError),
    /// The local authenticator refused the settings (an unsupported second factor).
    #[error("cannot start local authentication (auth_service.authentication.second_factor): {0}")]
    Authenticator(#[from] AuthError),
    /// The built-in roles could not be written.
    #[error("cannot create the built-in roles: {0}")]
    Roles(#[from] ResourceError),
}

/// The services an auth server answers with.
#[derive(Clone)]
#[non_exhaustive]
pub struct AuthServices {
    /// Signs every certificate.
    pub ca: Arc<dyn CertAuthority>,
    /// Join tokens (audits every join attempt).
    pub tokens: Arc<TokenService>,
    /// Node, proxy and auth server heartbeats.
    pub presence: Arc<Presence>,
    /// Local users and their signups.
    pub users: Arc<UserService>,
    /// Every kind of resource (`tctl get`, `tctl create`, `tctl rm`) and the roles.
    pub resources: Arc<ResourceService>,
    /// Checks passwords and second factors at login.
    pub authenticator: Arc<dyn Authenticator>,
    /// Where refusals, logins and changes are recorded.
    pub audit: Arc<dyn AuditSink>,
    /// The time.
    pub clock: SharedClock,
}

impl AuthServices {
    /// The services, with every part given.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ca: Arc<dyn CertAuthority>,
        tokens: Arc<TokenService>,
        presence: Arc<Presence>,
        users: Arc<UserService>,
        resources: Arc<ResourceService>,
        authenticator: Arc<dyn Authenticator>,
        audit: Arc<dyn AuditSink>,
        clock: SharedClock,
    ) -> Self {
        AuthServices {
            ca,
            tokens,
            presence,
            users,
            resources,
            authenticator,
            audit,
            clock,
        }
    }
}

impl std::fmt::Debug for AuthServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServices")
            .field("cluster", &self.ca.cluster_name())
            .finish_non_exhaustive()
    }
}

impl AuthServices {
    /// Every service over `backend`, for the cluster `ca` signs for: join tokens,
    /// heartbeats, the local user database with `settings.second_factor`, resources;
    /// creates the built-in roles that are missing.
    pub async fn local(
        backend: Arc<dyn Backend>,
        ca: Arc<dyn CertAuthority>,
        audit: Arc<dyn AuditSink>,
        clock: SharedClock,
        settings: &LocalSettings,
    ) -> Result<Self, ServicesError> {
        let cluster = ca.cluster_name().to_string();
        let tokens = Arc::new(TokenService::new(
            Arc::clone(&backend),
            Arc::clone(&clock),
            Arc::clone(&audit),
            cluster.clone(),
            &settings.static_tokens,
        )?);
        let presence = Arc::new(Presence::new(Arc::clone(&backend), Arc::clone(&clock)));
        let authenticator = Arc::new(
            LocalAuthenticator::new(
                Arc::clone(&backend),
                Arc::clone(&clock),
                Arc::clone(&audit),
                cluster.clone(),
                settings.second_factor,
            )?
            .with_hash_params(settings.hash_params),
        );
        let users = Arc::new(UserService::new(
            Arc::clone(&backend),
            Arc::clone(&clock),
            Arc::clone(&audit),
            cluster.clone(),
            Arc::clone(&authenticator),
        ));
        let resources = Arc::new(ResourceService::new(
            Arc::clone(&backend),
            Arc::clone(&presence),
            Arc::clone(&tokens),
            Arc::clone(&audit),
            Arc::clone(&clock),
            cluster,
        ));
        resources.ensure_builtin_roles().await?;
        Ok(AuthServices::new(
            ca,
            tokens,
            presence,
            users,
            resources,
            authenticator,
            audit,
            clock,
        ))
    }
}
