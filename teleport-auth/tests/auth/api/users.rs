//! The user routes: `tctl users add|ls|update|reset|rm` for the admin, refused to a
//! node, and the anonymous signup routes the invite page calls.

use teleport_auth::api::{ApiError, AuthClient};
use teleport_auth::local::totp_code;

use super::access::node_identity;
use super::fixture::{Captured, Cluster};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

async fn anonymous(cluster: &Cluster) -> AuthClient {
    AuthClient::connect(&cluster.addr, None, cluster.ca_trust())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_admin_adds_lists_updates_resets_and_deletes_users() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;

    let added = admin
        .add_user(
            "joe",
            Some(strings(&["joe", "root"])),
            strings(&["access", "editor"]),
        )
        .await
        .unwrap();
    assert_eq!(added.user.name(), "joe");
    assert_eq!(added.token.len(), 32);
    assert!(added.token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!format!("{added:?}").contains(&added.token));
    assert!(added.expires > time::OffsetDateTime::now_utc() + time::Duration::minutes(59));

    // Adding twice is a conflict; an unknown role and no role are bad requests.
    let err = admin
        .add_user("joe", None, strings(&["access"]))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("already exists"), "{err}");
    let err = admin
        .add_user("ann", None, strings(&["nosuch"]))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::BadRequest { .. }), "{err}");
    assert!(err.to_string().contains("\"nosuch\" is not found"), "{err}");
    let err = admin.add_user("ann", None, Vec::new()).await.unwrap_err();
    assert!(matches!(err, ApiError::BadRequest { .. }), "{err}");

    let users = admin.list_users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].spec.logins(), ["joe", "root"]);

    let updated = admin
        .update_user("joe", Some(strings(&["access"])), Some(strings(&["joe"])))
        .await
        .unwrap();
    assert_eq!(updated.spec.roles, ["access"]);
    assert_eq!(updated.spec.logins(), ["joe"]);
    let err = admin.update_user("joe", None, None).await.unwrap_err();
    assert!(matches!(err, ApiError::BadRequest { .. }), "{err}");
    let err = admin
        .update_user("nobody", Some(strings(&["access"])), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::NotFound { .. }), "{err}");

    let reset = admin.reset_user("joe").await.unwrap();
    assert_eq!(reset.token.len(), 32);
    assert_ne!(reset.token, added.token);
    assert!(!format!("{reset:?}").contains(&reset.token));
    let err = admin.reset_user("nobody").await.unwrap_err();
    assert!(matches!(err, ApiError::NotFound { .. }), "{err}");

    admin.delete_user("joe").await.unwrap();
    assert!(admin.list_users().await.unwrap().is_empty());
    let err = admin.delete_user("joe").await.unwrap_err();
    assert!(matches!(err, ApiError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn a_node_may_not_manage_users_and_is_audited() {
    let cluster = Cluster::start().await;
    let node = cluster
        .client_as(&node_identity(&cluster.ca, "node-1").await)
        .await;
    match node.list_users().await.unwrap_err() {
        ApiError::Forbidden { role, route } => {
            assert_eq!(role, "Node");
            assert_eq!(route, "GET /v1/users");
        }
        other => panic!("expected 403, got {other}"),
    }
    let err = node
        .add_user("joe", None, strings(&["access"]))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Forbidden { .. }), "{err}");
    let err = node.delete_user("joe").await.unwrap_err();
    assert!(matches!(err, ApiError::Forbidden { .. }), "{err}");
    cluster
        .audit
        .wait_for_refusal(&["GET /v1/users", "403 Forbidden", "role Node may not use"])
        .await;
    cluster
        .audit
        .wait_for_refusal(&["DELETE /v1/users/{name}", "403 Forbidden"])
        .await;

    // Without a certificate: 401, audited.
    let err = anonymous(&cluster).await.list_users().await.unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized { .. }), "{err}");
    cluster
        .audit
        .wait_for_refusal(&["GET /v1/users", "401 Unauthorized"])
        .await;
}

#[tokio::test]
async fn signup_over_the_api_with_a_totp_code_works_once() {
    let cluster = Cluster::start().await;
    let admin = cluster.admin_client().await;
    let added = admin
        .add_user("joe", None, strings(&["access"]))
        .await
        .unwrap();
    let web = anonymous(&cluster).await;

    let begun = web.signup_begin(&added.token).await.unwrap();
    assert_eq!(begun.user, "joe");
    assert!(begun.needs_totp);
    let secret = begun.totp_secret.clone().unwrap();
    assert!(begun
        .totp_uri
        .as_deref()
        .unwrap()
        .starts_with("otpauth://totp/"));
    assert!(!format!("{begun:?}").contains(&secret));

    // No code, a short password: refused, and the token still works.
    let err = web
        .signup_complete(&added.token, "correct horse battery", None)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::BadRequest { .. }), "{err}");
    let err = web
        .signup_complete(&added.token, "short", Some("000000".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::BadRequest { .. }), "{err}");

    let code = totp_code(&secret, time::OffsetDateTime::now_utc()).unwrap();
    let user = web
        .signup_complete(&added.token, "correct horse battery", Some(code.clone()))
        .await
        .unwrap();
    assert_eq!(user.name(), "joe");
    assert!(user.spec.local_auth.is_none(), "secrets must be stripped");

    // The token is spent: both steps now say so, without the whole token.
    let err = web
        .signup_complete(&added.token, "correct horse battery", Some(code))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::NotFound { .. }), "{err}");
    assert!(!err.to_string().contains(&added.token), "{err}");
    let err = web.signup_begin(&added.token).await.unwrap_err();
    assert!(matches!(err, ApiError::NotFound { .. }), "{err}");

    // An unknown token and a malformed body.
    let err = web.signup_begin("0123456789abcdef0123456789abcdef").await;
    assert!(matches!(err, Err(ApiError::NotFound { .. })), "{err:?}");
    let err = web
        .raw_post("/v1/signup/complete", b"{not json".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::BadRequest { .. }), "{err}");
}
