//! Logging in over the auth API: add a user, sign up with a password and TOTP, log in
//! for certificates whose principals and TTL come from the roles; lockout after five
//! failures; `tctl auth sign` for administrators only; user identities checked
//! against their roles; a rate limit on anonymous logins.

use std::process::Command;

use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::keys::ssh_key::{certificate::CertType, Certificate, HashAlg, PrivateKey};
use teleport_auth::api::{ApiError, AuthClient, Identity, LoginRequest, SignUserRequest};
use teleport_auth::ca::{CertAuthority, ExportKind, TlsIdentity};
use teleport_auth::local::totp_code;
use teleport_core::resource::{read_resources, Kind, SystemRole};
use time::OffsetDateTime;

use super::access::node_identity;
use super::fixture::{Captured, Cluster, CLUSTER};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

async fn anonymous(cluster: &Cluster) -> AuthClient {
    AuthClient::connect(&cluster.addr, None, cluster.ca_trust())
        .await
        .unwrap()
}

/// A new user key pair: SSH (ed25519) and TLS (SPKI PEM + PKCS#8 PEM).
struct Keys {
    ssh: PrivateKey,
    tls: rcgen::KeyPair,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            ssh: PrivateKey::new(
                KeypairData::from(Ed25519Keypair::from_seed(&rand::random::<[u8; 32]>())),
                "",
            )
            .unwrap(),
            tls: rcgen::KeyPair::generate().unwrap(),
        }
    }

    fn login(
        &self,
        user: &str,
        password: &str,
        otp: Option<String>,
        ttl: Option<u64>,
    ) -> LoginRequest {
        LoginRequest {
            username: user.into(),
            password: password.into(),
            otp,
            ssh_public_key: self.ssh.public_key().to_openssh().unwrap(),
            tls_public_key: Some(self.tls.public_key_pem()),
            ttl_secs: ttl,
        }
    }

    fn sign(&self, user: &str, ttl: Option<u64>) -> SignUserRequest {
        SignUserRequest {
            username: user.into(),
            ssh_public_key: self.ssh.public_key().to_openssh().unwrap(),
            tls_public_key: Some(self.tls.public_key_pem()),
            ttl_secs: ttl,
        }
    }

    /// A client identity from a user's TLS certificate. `role` is only a label on the
    /// client side: the server reads the caller's role from the certificate, which
    /// names no system role for a user.
    fn identity(&self, cluster: &Cluster, user: &str, tls_cert: String) -> Identity {
        Identity {
            host_uuid: user.into(),
            nodename: String::new(),
            role: SystemRole::Admin,
            cluster_name: CLUSTER.into(),
            ssh_private_key: None,
            ssh_cert: None,
            tls_private_key: self.tls.serialize_pem(),
            tls_cert,
            tls_ca: cluster.ca.tls_ca_pem().into(),
            ssh_host_ca: String::new(),
            ssh_user_ca: String::new(),
        }
    }
}

/// Adds `user` and completes its signup with `password` and a TOTP device; returns
/// the TOTP secret (base32).
async fn signed_up(
    cluster: &Cluster,
    user: &str,
    logins: &[&str],
    roles: &[&str],
    password: &str,
) -> String {
    let admin = cluster.admin_client().await;
    let added = admin
        .add_user(user, Some(strings(logins)), strings(roles))
        .await
        .unwrap();
    let web = anonymous(cluster).await;
    let begun = web.signup_begin(&added.token).await.unwrap();
    let secret = begun.totp_secret.unwrap();
    // Sign up with the previous step's code, so that the current one is still
    // unused for the login (a code is never accepted twice).
    let code = totp_code(
        &secret,
        OffsetDateTime::now_utc() - time::Duration::seconds(30),
    )
    .unwrap();
    web.signup_complete(&added.token, password, Some(code))
        .await
        .unwrap();
    secret
}

fn current_code(secret: &str) -> String {
    totp_code(secret, OffsetDateTime::now_utc()).unwrap()
}

fn user_ca_fingerprint(cluster: &Cluster) -> russh::keys::ssh_key::Fingerprint {
    let line = cluster.ca.export(ExportKind::User);
    let key_text = line
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap()
        .split_whitespace()
        .skip_while(|field| !field.starts_with("ssh-"))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    russh::keys::ssh_key::PublicKey::from_openssh(&key_text)
        .unwrap()
        .fingerprint(HashAlg::Sha256)
}

#[test]
fn our_totp_codes_match_oathtool() {
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    for unix in [59_i64, 1_111_111_109, 1_800_000_000, 2_000_000_000] {
        let at = OffsetDateTime::from_unix_timestamp(unix).unwrap();
        let when = at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let output = Command::new("oathtool")
            .args([
                "--totp",
                "-b",
                secret,
                "-N",
                &when.replace('T', " ").replace('Z', " UTC"),
            ])
            .output()
            .expect("oathtool is not installed: apt-get install oathtool (scripts/test.sh does)");
        assert!(output.status.success(), "{output:?}");
        let theirs = String::from_utf8(output.stdout).unwrap();
        assert_eq!(totp_code(secret, at).unwrap(), theirs.trim(), "at {when}");
    }
}

#[tokio::test]
async fn signup_then_login_gives_certificates_with_the_users_logins_and_ttl() {
    let cluster = Cluster::start().await;
    let secret = signed_up(
        &cluster,
        "joe",
        &["joe", "root"],
        &["access"],
        "correct horse battery",
    )
    .await;
    let keys = Keys::new();
    let web = anonymous(&cluster).await;

    // A wrong password, a missing code and a wrong code are refused, and audited.
    let err = web
        .login(&keys.login("joe", "wrong password!", Some(current_code(&secret)), None))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized { .. }), "{err}");
    let err = web
        .login(&keys.login("joe", "correct horse battery", None, None))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("one-time code"), "{err}");

    let before = OffsetDateTime::now_utc();
    let code = current_code(&secret);
    let certs = web
        .login(&keys.login(
            "joe",
            "correct horse battery",
            Some(code.clone()),
            Some(3600),
        ))
        .await
        .unwrap();
    assert_eq!(certs.username, "joe");
    assert_eq!(certs.logins, ["joe", "root"]);
    let cert = Certificate::from_openssh(&certs.ssh_cert).unwrap();
    assert_eq!(cert.cert_type(), CertType::User);
    assert_eq!(cert.key_id(), "joe");
    assert_eq!(cert.valid_principals(), ["joe", "root"]);
    assert_eq!(cert.public_key(), keys.ssh.public_key().key_data());
    // valid_after is a minute early for clock skew; the TTL is the one asked for.
    let ttl = cert.valid_before() - cert.valid_after();
    assert!((3600 + 60..=3600 + 62).contains(&ttl), "{ttl}");
    assert!(certs.expires > before + time::Duration::minutes(59));
    let extensions = cert.extensions();
    assert!(extensions.contains_key("permit-pty"));
    assert!(extensions.contains_key("permit-port-forwarding"));
    assert_eq!(
        extensions.get("teleport-roles").map(String::as_str),
        Some(r#"{"version":"v1","roles":["access"]}"#)
    );
    let traits: serde_json::Value =
        serde_json::from_str(extensions.get("teleport-traits").unwrap()).unwrap();
    assert_eq!(traits["logins"], serde_json::json!(["joe", "root"]));
    cert.validate_at(
        OffsetDateTime::now_utc().unix_timestamp() as u64,
        &[user_ca_fingerprint(&cluster)],
    )
    .unwrap();

    // The TLS certificate names the user and the roles, and no system role.
    let pem = certs.tls_cert.unwrap();
    let der = pem_der(&pem);
    let identity = TlsIdentity::from_certificate(&der).unwrap();
    assert_eq!(identity.username, "joe");
    assert_eq!(identity.roles, ["access"]);
    assert_eq!(identity.system_role, None);
    assert!(certs.ssh_host_ca.starts_with("@cert-authority"));

    // The same code twice is refused.
    let err = web
        .login(&keys.login("joe", "correct horse battery", Some(code), None))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized { .. }), "{err}");

    let events = cluster.audit.events();
    let logins: Vec<_> = events
        .iter()
        .filter(|e| e.event_type() == "user.login")
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    assert!(logins
        .iter()
        .any(|e| e["code"] == "T1000I" && e["user"] == "joe"));
    let failed = logins.iter().filter(|e| e["code"] == "T1000W").count();
    assert!(failed >= 3, "{logins:?}");
    assert!(logins.iter().all(|e| e["addr.remote"]
        .as_str()
        .is_some_and(|a| a.starts_with("127.0.0.1:"))));
    let issued: Vec<_> = events
        .iter()
        .filter(|e| e.event_type() == "cert.create")
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0]["identity"]["user"], "joe");
}

fn pem_der(pem: &str) -> Vec<u8> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    pem.contents
}

#[tokio::test]
async fn the_ttl_is_capped_by_the_smallest_max_session_ttl_of_the_roles() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;
    let role = read_resources(
        "kind: role\nversion: v4\nmetadata: {name: short}\nspec:\n  options:\n    max_session_ttl: 2h\n  allow:\n    logins: ['{{internal.logins}}', ops]\n    node_labels: {'*': '*'}\n",
        "short.yaml",
    )
    .unwrap()
    .remove(0);
    admin.put_resource(&role, false).await.unwrap();
    admin
        .add_user(
            "ann",
            Some(strings(&["ann"])),
            strings(&["access", "short"]),
        )
        .await
        .unwrap();
    admin
        .add_user("bob", Some(strings(&["bob"])), strings(&["access"]))
        .await
        .unwrap();
    let keys = Keys::new();
    let ttl_of = |ssh_cert: &str| {
        let cert = Certificate::from_openssh(ssh_cert).unwrap();
        cert.valid_before() - cert.valid_after() - 60
    };
    let asked_10h = admin
        .sign_user(&keys.sign("ann", Some(36_000)))
        .await
        .unwrap();
    assert_eq!(ttl_of(&asked_10h.ssh_cert), 7200);
    // Principals: the templates expanded, plus the role's literal login.
    assert_eq!(asked_10h.logins, ["ann", "ops"]);
    let default = admin.sign_user(&keys.sign("ann", None)).await.unwrap();
    assert_eq!(ttl_of(&default.ssh_cert), 7200);
    let less = admin.sign_user(&keys.sign("ann", Some(600))).await.unwrap();
    assert_eq!(ttl_of(&less.ssh_cert), 600);
    let bob = admin.sign_user(&keys.sign("bob", None)).await.unwrap();
    assert_eq!(ttl_of(&bob.ssh_cert), 12 * 3600);

    // Every signing is audited as cert.create.
    let issued = cluster
        .audit
        .events()
        .iter()
        .filter(|e| e.event_type() == "cert.create")
        .count();
    assert_eq!(issued, 4);
    let err = admin
        .sign_user(&keys.sign("nobody", None))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn five_failed_logins_lock_the_user_even_for_the_right_password() {
    let cluster = Cluster::start().await;
    let secret = signed_up(
        &cluster,
        "joe",
        &["joe"],
        &["access"],
        "correct horse battery",
    )
    .await;
    let keys = Keys::new();
    let web = anonymous(&cluster).await;
    for _ in 0..5 {
        let err = web
            .login(&keys.login("joe", "not the password", Some(current_code(&secret)), None))
            .await
            .unwrap_err();
        assert!(matches!(err, ApiError::Unauthorized { .. }), "{err}");
    }
    let err = web
        .login(&keys.login(
            "joe",
            "correct horse battery",
            Some(current_code(&secret)),
            None,
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("locked"), "{err}");
    let locked = cluster.audit.events().iter().any(|e| {
        let json = serde_json::to_value(e).unwrap();
        json["event"] == "user.login"
            && json["code"] == "T1000W"
            && json["error"]
                .as_str()
                .unwrap_or_default()
                .contains("locked")
    });
    assert!(locked, "the refusal of the locked user is audited");
}

#[tokio::test]
async fn tctl_auth_sign_is_for_administrators_only() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;
    admin
        .add_user("ed", Some(strings(&["ed"])), strings(&["editor"]))
        .await
        .unwrap();
    let keys = Keys::new();
    let node = cluster
        .client_as(&node_identity(&cluster.ca, "node-1").await)
        .await;
    let err = node.sign_user(&keys.sign("ed", None)).await.unwrap_err();
    assert!(matches!(err, ApiError::Forbidden { .. }), "{err}");

    // Even an editor may not mint certificates without a password.
    let certs = admin.sign_user(&keys.sign("ed", None)).await.unwrap();
    let ed = cluster
        .client_as(&keys.identity(&cluster, "ed", certs.tls_cert.unwrap()))
        .await;
    let err = ed.sign_user(&keys.sign("ed", None)).await.unwrap_err();
    assert!(matches!(err, ApiError::Forbidden { .. }), "{err}");
    cluster
        .audit
        .wait_for_refusal(&["POST /v1/certs/user", "403 Forbidden"])
        .await;
}

#[tokio::test]
async fn user_identities_get_what_their_roles_allow() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;
    admin
        .add_user("joe", Some(strings(&["joe"])), strings(&["access"]))
        .await
        .unwrap();
    admin
        .add_user("ed", Some(strings(&["ed"])), strings(&["editor"]))
        .await
        .unwrap();
    let joe_keys = Keys::new();
    let joe_certs = admin.sign_user(&joe_keys.sign("joe", None)).await.unwrap();
    let joe = cluster
        .client_as(&joe_keys.identity(&cluster, "joe", joe_certs.tls_cert.unwrap()))
        .await;
    let ed_keys = Keys::new();
    let ed_certs = admin.sign_user(&ed_keys.sign("ed", None)).await.unwrap();
    let ed = cluster
        .client_as(&ed_keys.identity(&cluster, "ed", ed_certs.tls_cert.unwrap()))
        .await;

    // access: no rule on users or roles.
    let err = joe.list_users().await.unwrap_err();
    assert!(matches!(err, ApiError::AccessDenied { .. }), "{err}");
    assert!(err.to_string().contains("not allowed"), "{err}");
    let err = joe.list_resources(Kind::Role, false).await.unwrap_err();
    assert!(matches!(err, ApiError::AccessDenied { .. }), "{err}");
    let refusal = cluster
        .audit
        .wait_for_refusal(&["GET /v1/users", "403 Forbidden"])
        .await;
    assert_eq!(refusal.user.user, "joe");

    // editor: users, roles and nodes, but no secrets and no CA.
    let users = ed.list_users().await.unwrap();
    assert_eq!(users.len(), 2);
    let role = read_resources(
        "kind: role\nversion: v4\nmetadata: {name: dev}\nspec:\n  allow:\n    logins: [dev]\n",
        "dev.yaml",
    )
    .unwrap()
    .remove(0);
    ed.put_resource(&role, false).await.unwrap();
    assert_eq!(
        ed.get_resource(Kind::Role, "dev", false).await.unwrap(),
        vec![role]
    );
    ed.list_resources(Kind::Node, false).await.unwrap();
    let err = ed.list_resources(Kind::User, true).await.unwrap_err();
    assert!(err.to_string().contains("--with-secrets"), "{err}");
    let err = ed
        .list_resources(Kind::CertAuthority, false)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::AccessDenied { .. }), "{err}");
    ed.delete_resource(Kind::Role, "dev").await.unwrap();

    // A node reads roles (it needs the roles named in user certificates), nothing else.
    let node = cluster
        .client_as(&node_identity(&cluster.ca, "node-1").await)
        .await;
    assert!(node.get_resource(Kind::Role, "access", false).await.is_ok());
    let err = node.list_resources(Kind::User, false).await.unwrap_err();
    assert!(matches!(err, ApiError::Forbidden { .. }), "{err}");
    let err = node.list_resources(Kind::Role, true).await.unwrap_err();
    assert!(err.to_string().contains("--with-secrets"), "{err}");
}

#[tokio::test]
async fn anonymous_logins_are_rate_limited_per_address() {
    let cluster = Cluster::start().await;
    let keys = Keys::new();
    let web = anonymous(&cluster).await;
    let mut limited = None;
    for attempt in 0..40 {
        match web
            .login(&keys.login("nobody", "whatever-password", None, None))
            .await
        {
            Err(ApiError::Server {
                status: 429,
                message,
            }) => {
                limited = Some((attempt, message));
                break;
            }
            Err(ApiError::Unauthorized { .. }) => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let (attempt, message) = limited.expect("40 logins in a row were never rate limited");
    assert!(attempt >= 20, "limited after only {attempt} requests");
    assert!(
        message.contains("too many requests from 127.0.0.1"),
        "{message}"
    );
    // The signup routes share the limit.
    let err = web
        .signup_begin("0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Server { status: 429, .. }), "{err}");
}
