//! Tests of `tctl users` and signup on a memory backend, a fake clock and a capturing
//! audit sink.

use std::sync::Arc;
use std::time::Duration;

use teleport_audit::sink::MemorySink as CaptureSink;
use teleport_backend::{Backend, KeyRange, MemoryBackend, NO_LIMIT};
use teleport_core::config::SecondFactor;
use teleport_core::{Clock, FakeClock};

use super::*;
use crate::local::{
    totp_code, AuthError, Authenticator, Credentials, HashParams, LocalAuthenticator, Password,
};

/// The `event` of every audit event so far, oldest first.
fn types(sink: &CaptureSink) -> Vec<String> {
    sink.events()
        .iter()
        .map(|event| event.event_name().to_string())
        .collect()
}

const PASSWORD: &str = "correct horse battery";

struct Fixture {
    clock: FakeClock,
    backend: Arc<MemoryBackend>,
    sink: Arc<CaptureSink>,
    auth: Arc<LocalAuthenticator>,
    users: Arc<UserService>,
}

async fn fixture(second_factor: SecondFactor) -> Fixture {
    let clock = FakeClock::default();
    let backend = Arc::new(MemoryBackend::new(Arc::new(clock.clone())));
    let sink = Arc::new(CaptureSink::default());
    let auth = Arc::new(
        LocalAuthenticator::new(
            backend.clone(),
            Arc::new(clock.clone()),
            sink.clone(),
            "example.com",
            second_factor,
        )
        .unwrap()
        .with_hash_params(HashParams::INSECURE_FOR_TESTS),
    );
    let users = Arc::new(UserService::new(
        backend.clone(),
        Arc::new(clock.clone()),
        sink.clone(),
        "example.com",
        auth.clone(),
    ));
    crate::resources::ensure_builtin_roles(backend.as_ref())
        .await
        .unwrap();
    Fixture {
        clock,
        backend,
        sink,
        auth,
        users,
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

impl Fixture {
    async fn add(&self, name: &str) -> SignupToken {
        let (_, token) = self
            .users
            .add("admin", name, None, strings(&["access"]))
            .await
            .unwrap();
        token
    }

    /// The current code of the key `begin` returned.
    fn code(&self, info: &SignupInfo) -> String {
        let totp = info.totp.as_ref().unwrap();
        totp_code(totp.secret().expose(), self.clock.now()).unwrap()
    }

    async fn login(
        &self,
        user: &str,
        password: &str,
        otp: Option<String>,
    ) -> Result<(), AuthError> {
        let creds = Credentials {
            username: user.to_string(),
            password: Password::new(password),
            otp,
        };
        self.auth
            .authenticate(creds, "203.0.113.7:1")
            .await
            .map(|_| ())
    }
}

#[tokio::test]
async fn add_defaults_the_login_to_the_name_and_audits() {
    let f = fixture(SecondFactor::Otp).await;
    let (user, token) = f
        .users
        .add(
            "admin",
            "ross",
            None,
            strings(&["access", "editor", "access"]),
        )
        .await
        .unwrap();
    assert_eq!(user.spec.logins(), ["ross"]);
    assert_eq!(user.spec.roles, ["access", "editor"]);
    assert_eq!(token.token().len(), 32);
    assert_eq!(token.kind(), TokenKind::Signup);
    assert_eq!(token.expires(), f.clock.now() + time::Duration::HOUR);
    assert!(!format!("{token:?}").contains(token.token()));
    let stored = f
        .backend
        .get(format!("/usertokens/{}", token.token()).as_bytes())
        .await
        .unwrap();
    assert_eq!(stored.expires, Some(token.expires()));

    let events = f.sink.json();
    assert_eq!(
        types(&f.sink),
        ["user.create", "reset_password_token.create"]
    );
    assert_eq!(events[0]["code"], "T1002I");
    assert_eq!(events[0]["name"], "ross");
    assert_eq!(events[1]["code"], "T6000I");
    assert_eq!(events[1]["ttl"], "1h0m0s");
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains(token.token()));

    let (joe, _) = f
        .users
        .add(
            "admin",
            "joe",
            Some(strings(&["joe", "root"])),
            strings(&["access"]),
        )
        .await
        .unwrap();
    assert_eq!(joe.spec.logins(), ["joe", "root"]);
}

#[tokio::test]
async fn add_refuses_duplicates_unknown_roles_and_bad_names() {
    let f = fixture(SecondFactor::Otp).await;
    f.add("joe").await;
    let err = f
        .users
        .add("admin", "joe", None, strings(&["access"]))
        .await
        .unwrap_err();
    assert!(matches!(err, UserError::AlreadyExists { .. }), "{err}");
    let err = f
        .users
        .add("admin", "bob", None, strings(&["root"]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, UserError::UnknownRole { ref role } if role == "root"),
        "{err}"
    );
    let err = f.users.add("admin", "bob", None, vec![]).await.unwrap_err();
    assert!(matches!(err, UserError::NoRoles), "{err}");
    for name in ["", "a/b", "a b", &"x".repeat(256)] {
        let err = f
            .users
            .add("admin", name, None, strings(&["access"]))
            .await
            .unwrap_err();
        assert!(matches!(err, UserError::BadName { .. }), "{name:?}: {err}");
    }
    let err = f
        .users
        .add(
            "admin",
            "bob",
            Some(strings(&["bad login"])),
            strings(&["access"]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UserError::BadLogin { .. }), "{err}");
    // A custom role, once stored, can be given.
    let err = f
        .users
        .add("admin", "carol", None, strings(&["admin"]))
        .await
        .unwrap_err();
    assert!(matches!(err, UserError::UnknownRole { .. }), "{err}");
    let role = teleport_core::resource::Role::named("admin", Default::default()).unwrap();
    let key = crate::resources::store::role_key("admin");
    f.backend
        .put(teleport_backend::Item::new(
            key,
            serde_json::to_vec(&role).unwrap(),
        ))
        .await
        .unwrap();
    f.users
        .add("admin", "carol", None, strings(&["admin"]))
        .await
        .unwrap();
}

#[tokio::test]
async fn table_matches_the_manual() {
    let f = fixture(SecondFactor::Otp).await;
    for (name, logins) in [
        ("ross", None),
        ("joe", Some(strings(&["joe", "root"]))),
        ("admin", Some(strings(&["admin", "root"]))),
    ] {
        f.users
            .add("admin", name, logins, strings(&["access"]))
            .await
            .unwrap();
    }
    let users = f.users.list().await.unwrap();
    assert!(users.iter().all(|u| u.spec.local_auth.is_none()));
    assert_eq!(
        format_users_table(&users),
        "User           Allowed Logins\n\
         ----           --------------\n\
         admin          admin,root\n\
         joe            joe,root\n\
         ross           ross\n"
    );
}

#[tokio::test]
async fn messages_match_the_manual() {
    let url = signup_url("proxy.example.com:3080", "0123abcd");
    assert_eq!(url, "https://proxy.example.com:3080/web/invite/0123abcd");
    assert_eq!(
        format_signup_message(&url),
        "Signup token has been created. Share this URL with the user:\n\
         https://proxy.example.com:3080/web/invite/0123abcd\n\n\
         NOTE: make sure the proxy.example.com host is accessible.\n"
    );
    assert!(format_reset_message("joe", &url).starts_with(
        "User \"joe\" has been reset. Share this URL with the user to complete password reset, link is valid for 1h:\nhttps://"
    ));
}

#[tokio::test]
async fn update_and_delete_are_audited() {
    let f = fixture(SecondFactor::Otp).await;
    let token = f.add("joe").await;
    let user = f
        .users
        .update(
            "admin",
            "joe",
            Some(strings(&["editor"])),
            Some(strings(&["joe", "root"])),
        )
        .await
        .unwrap();
    assert_eq!(user.spec.roles, ["editor"]);
    assert_eq!(user.spec.logins(), ["joe", "root"]);
    assert!(matches!(
        f.users.update("admin", "joe", None, None).await,
        Err(UserError::NothingToUpdate)
    ));
    assert!(matches!(
        f.users
            .update("admin", "nobody", Some(strings(&["access"])), None)
            .await,
        Err(UserError::NotFound { .. })
    ));

    f.users.delete("admin", "joe").await.unwrap();
    assert!(f.users.list().await.unwrap().is_empty());
    let left = f
        .backend
        .get_range(KeyRange::prefix("/usertokens/"), NO_LIMIT)
        .await
        .unwrap();
    assert!(left.is_empty());
    let left = f
        .backend
        .get_range(KeyRange::prefix("/web/users/joe/"), NO_LIMIT)
        .await
        .unwrap();
    assert!(left.is_empty());
    assert!(matches!(
        f.users
            .complete(token.token(), Password::new(PASSWORD), None)
            .await,
        Err(UserError::TokenNotFound { .. })
    ));
    assert!(matches!(
        f.users.delete("admin", "joe").await,
        Err(UserError::NotFound { .. })
    ));

    let events = f.sink.json();
    let types = types(&f.sink);
    assert_eq!(types[2..], ["user.update", "user.delete"]);
    assert_eq!(events[2]["code"], "T1003I");
    assert_eq!(events[2]["roles"], serde_json::json!(["editor"]));
    assert_eq!(events[3]["code"], "T1004I");
    assert_eq!(events[3]["name"], "joe");
}

#[tokio::test]
async fn signup_with_password_and_totp() {
    let f = fixture(SecondFactor::Otp).await;
    let token = f.add("joe").await;
    let info = f.users.begin(token.token()).await.unwrap();
    assert!(info.needs_totp);
    assert_eq!(info.user, "joe");
    let uri = info.totp.as_ref().unwrap().uri().expose().clone();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(!format!("{info:?}").contains(info.totp.as_ref().unwrap().secret().expose()));

    let user = f
        .users
        .complete(token.token(), Password::new(PASSWORD), Some(f.code(&info)))
        .await
        .unwrap();
    assert_eq!(user.name(), "joe");
    assert!(user.spec.local_auth.is_none());
    assert_eq!(types(&f.sink).last().unwrap(), "user.password_change");

    // A token works once.
    let err = f
        .users
        .complete(token.token(), Password::new(PASSWORD), Some(f.code(&info)))
        .await
        .unwrap_err();
    assert!(matches!(err, UserError::TokenNotFound { .. }), "{err}");
    assert!(!err.to_string().contains(token.token()));
    assert!(matches!(
        f.users.begin(token.token()).await,
        Err(UserError::TokenNotFound { .. })
    ));

    f.clock.advance(Duration::from_secs(30));
    f.login("joe", PASSWORD, Some(f.code(&info))).await.unwrap();
}

#[tokio::test]
async fn expired_token_is_refused() {
    let f = fixture(SecondFactor::Off).await;
    let token = f.add("joe").await;
    f.clock.advance(Duration::from_secs(61 * 60));
    let err = f.users.begin(token.token()).await.unwrap_err();
    assert!(matches!(err, UserError::TokenNotFound { .. }), "{err}");
    let err = f
        .users
        .complete(token.token(), Password::new(PASSWORD), None)
        .await
        .unwrap_err();
    assert!(matches!(err, UserError::TokenNotFound { .. }), "{err}");
}

#[tokio::test]
async fn short_password_and_wrong_code_keep_the_token() {
    let f = fixture(SecondFactor::Otp).await;
    let token = f.add("joe").await;
    let info = f.users.begin(token.token()).await.unwrap();

    let err = f
        .users
        .complete(token.token(), Password::new("short"), Some(f.code(&info)))
        .await
        .unwrap_err();
    assert!(matches!(err, UserError::Password(_)), "{err}");
    let err = f
        .users
        .complete(token.token(), Password::new(PASSWORD), None)
        .await
        .unwrap_err();
    assert!(matches!(err, UserError::OtpRequired), "{err}");
    let good = f.code(&info);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let err = f
        .users
        .complete(token.token(), Password::new(PASSWORD), Some(wrong.into()))
        .await
        .unwrap_err();
    assert!(matches!(err, UserError::Otp(_)), "{err}");
    assert!(f.login("joe", PASSWORD, Some(good.clone())).await.is_err());

    f.users
        .complete(token.token(), Password::new(PASSWORD), Some(good))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_completions_only_one_wins() {
    let f = fixture(SecondFactor::Off).await;
    for round in 0..8 {
        let name = format!("user{round}");
        let token = f.add(&name).await;
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let users = f.users.clone();
                let token = token.token().to_string();
                tokio::spawn(
                    async move { users.complete(&token, Password::new(PASSWORD), None).await },
                )
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => wins += 1,
                Err(UserError::TokenNotFound { .. } | UserError::TokenInUse { .. }) => {}
                Err(err) => panic!("unexpected: {err}"),
            }
        }
        assert_eq!(wins, 1, "round {round}");
    }
}

#[tokio::test]
async fn reset_replaces_the_password_and_device_on_completion() {
    let f = fixture(SecondFactor::Otp).await;
    let token = f.add("joe").await;
    let info = f.users.begin(token.token()).await.unwrap();
    f.users
        .complete(token.token(), Password::new(PASSWORD), Some(f.code(&info)))
        .await
        .unwrap();

    let reset = f.users.reset("admin", "joe").await.unwrap();
    assert_eq!(reset.kind(), TokenKind::Reset);
    assert_eq!(
        types(&f.sink).last().unwrap(),
        "reset_password_token.create"
    );
    // Nothing changes before the reset is completed.
    f.clock.advance(Duration::from_secs(30));
    f.login("joe", PASSWORD, Some(f.code(&info))).await.unwrap();

    f.clock.advance(Duration::from_secs(30));
    let new_info = f.users.begin(reset.token()).await.unwrap();
    assert_eq!(new_info.kind, TokenKind::Reset);
    f.users
        .complete(
            reset.token(),
            Password::new("a brand new password"),
            Some(f.code(&new_info)),
        )
        .await
        .unwrap();

    f.clock.advance(Duration::from_secs(30));
    assert!(f
        .login("joe", PASSWORD, Some(f.code(&new_info)))
        .await
        .is_err());
    assert!(f
        .login("joe", "a brand new password", Some(f.code(&info)))
        .await
        .is_err());
    f.login("joe", "a brand new password", Some(f.code(&new_info)))
        .await
        .unwrap();
    let (user, _) = f.users.load_user("joe").await.unwrap().unwrap();
    assert_eq!(user.spec.local_auth.unwrap().mfa.len(), 1);

    assert!(matches!(
        f.users.reset("admin", "nobody").await,
        Err(UserError::NotFound { .. })
    ));
}

#[tokio::test]
async fn a_new_reset_token_replaces_the_old_one() {
    let f = fixture(SecondFactor::Off).await;
    let first = f.add("joe").await;
    let second = f.users.reset("admin", "joe").await.unwrap();
    assert!(matches!(
        f.users.begin(first.token()).await,
        Err(UserError::TokenNotFound { .. })
    ));
    f.users
        .complete(second.token(), Password::new(PASSWORD), None)
        .await
        .unwrap();
    f.login("joe", PASSWORD, None).await.unwrap();
}

#[tokio::test]
async fn malformed_tokens_are_masked_in_errors() {
    let f = fixture(SecondFactor::Off).await;
    for token in [
        "",
        "../web/users/joe/params",
        &"a".repeat(5000),
        "0123456789abcdef0123456789abcdef",
    ] {
        let err = f.users.begin(token).await.unwrap_err();
        assert!(matches!(err, UserError::TokenNotFound { .. }), "{err}");
        if token.len() > 3 {
            assert!(!err.to_string().contains(token), "{err}");
        }
    }
}
