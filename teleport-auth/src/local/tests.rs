//! Tests of local authentication on a memory backend, a fake clock and a capturing
//! audit sink.

use std::sync::Arc;
use std::time::Duration;

use teleport_audit::sink::MemorySink as CaptureSink;
use teleport_backend::{Backend, Item, MemoryBackend};
use teleport_core::config::SecondFactor;
use teleport_core::resource::{User, UserSpec};
use teleport_core::{Clock, FakeClock};

use super::totp::code_for_key;
use super::*;

const PASSWORD: &str = "correct horse battery";
const REMOTE: &str = "203.0.113.7:51234";

struct Fixture {
    clock: FakeClock,
    backend: Arc<MemoryBackend>,
    sink: Arc<CaptureSink>,
    auth: LocalAuthenticator,
}

fn fixture(second_factor: SecondFactor) -> Fixture {
    let clock = FakeClock::default();
    let backend = Arc::new(MemoryBackend::new(Arc::new(clock.clone())));
    let sink = Arc::new(CaptureSink::default());
    let auth = LocalAuthenticator::new(
        backend.clone(),
        Arc::new(clock.clone()),
        sink.clone(),
        "example.com",
        second_factor,
    )
    .unwrap()
    .with_hash_params(HashParams::INSECURE_FOR_TESTS);
    Fixture {
        clock,
        backend,
        sink,
        auth,
    }
}

impl Fixture {
    async fn add_user(&self, name: &str) {
        let spec = UserSpec {
            roles: vec!["access".into()],
            ..UserSpec::default()
        };
        let user = User::named(name, spec).unwrap();
        let value = serde_json::to_vec(&user).unwrap();
        self.backend
            .create(Item::new(user_key(name), value))
            .await
            .unwrap();
        self.auth.set_password(name, PASSWORD.into()).await.unwrap();
    }

    /// Registers a device for `name`; returns its base32 key.
    async fn add_device(&self, name: &str) -> String {
        let registration = self.auth.register_totp_device(name, "phone").await.unwrap();
        let secret = registration.secret().expose().clone();
        let code = totp_code(&secret, self.clock.now()).unwrap();
        self.auth.confirm_totp_device(name, &code).await.unwrap();
        // The confirming code's step is used: move on to the next one.
        self.clock.advance(Duration::from_secs(30));
        secret
    }

    async fn login(
        &self,
        name: &str,
        password: &str,
        otp: Option<String>,
    ) -> Result<AuthenticatedUser, AuthError> {
        let creds = Credentials {
            username: name.into(),
            password: password.into(),
            otp,
        };
        self.auth.authenticate(creds, REMOTE).await
    }

    fn code(&self, secret: &str, offset_secs: i64) -> String {
        totp_code(
            secret,
            self.clock.now() + time::Duration::seconds(offset_secs),
        )
        .unwrap()
    }
}

#[test]
fn hashes_verify_and_wrong_passwords_do_not() {
    let password = Password::new("s3cret-password");
    let hash = hash_password_with(&password, &HashParams::INSECURE_FOR_TESTS).unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
    assert!(verify_password(hash.as_bytes(), &password));
    assert!(!verify_password(
        hash.as_bytes(),
        &Password::new("s3cret-passwore")
    ));
    assert!(!verify_password(b"$2a$10$abc", &password));
    assert!(!verify_password(&[0xff, 0xfe], &password));
    // Two hashes of one password differ (random salt).
    let again = hash_password_with(&password, &HashParams::INSECURE_FOR_TESTS).unwrap();
    assert_ne!(hash, again);
}

#[test]
fn recommended_params_are_owasp() {
    assert_eq!(HashParams::default().memory_kib, 19 * 1024);
    assert_eq!(HashParams::default().iterations, 2);
    assert_eq!(HashParams::default().parallelism, 1);
}

#[test]
fn length_policy_counts_characters() {
    assert_eq!(
        Password::new("a".repeat(7)).check_policy(),
        Err(PasswordError::TooShort { chars: 7, min: 8 })
    );
    assert_eq!(
        Password::new("a".repeat(129)).check_policy(),
        Err(PasswordError::TooLong {
            chars: 129,
            max: 128
        })
    );
    assert!(Password::new("a".repeat(8)).check_policy().is_ok());
    assert!(Password::new("a".repeat(128)).check_policy().is_ok());
    // 7 characters, 21 bytes: too short; 128 characters of 4 bytes: fine.
    assert!(Password::new("日本語日本語日").check_policy().is_err());
    assert!(Password::new("🦀".repeat(128)).check_policy().is_ok());
    assert!(hash_password_with(&Password::new("short"), &HashParams::INSECURE_FOR_TESTS).is_err());
}

#[test]
fn secrets_never_show_in_debug() {
    let creds = Credentials {
        username: "alice".into(),
        password: "hunter2hunter2".into(),
        otp: Some("123456".into()),
    };
    let text = format!("{creds:?}");
    assert!(
        !text.contains("hunter2") && !text.contains("123456"),
        "{text}"
    );
    let registration = TotpRegistration::generate("alice", "example.com");
    let text = format!("{registration:?}");
    assert!(
        !text.contains(registration.secret().expose().as_str()),
        "{text}"
    );
}

#[test]
fn rfc6238_sha1_vectors() {
    let key = b"12345678901234567890";
    for (time, code) in [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(code_for_key(key, 8, time).unwrap(), code, "t={time}");
        assert_eq!(code_for_key(key, 6, time).unwrap(), code[2..], "t={time}");
    }
    // The same key in base32, through the public API.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let at = time::OffsetDateTime::from_unix_timestamp(1_111_111_109).unwrap();
    assert_eq!(totp_code(secret, at).unwrap(), "081804");
    assert_eq!(
        check_totp("d", secret, "081804", at, None),
        Ok(1_111_111_109 / 30)
    );
}

#[test]
fn one_step_of_skew_is_accepted_two_are_not() {
    let secret = TotpRegistration::generate("alice", "example.com")
        .secret()
        .expose()
        .clone();
    let now = time::OffsetDateTime::from_unix_timestamp(1_700_000_015).unwrap();
    let at = |offset: i64| totp_code(&secret, now + time::Duration::seconds(offset)).unwrap();
    for offset in [-30, 0, 30] {
        assert!(
            check_totp("d", &secret, &at(offset), now, None).is_ok(),
            "{offset}"
        );
    }
    for offset in [-60, 60] {
        assert_eq!(
            check_totp("d", &secret, &at(offset), now, None),
            Err(TotpError::InvalidCode),
            "{offset}"
        );
    }
    assert_eq!(
        check_totp("d", &secret, "12345", now, None),
        Err(TotpError::InvalidCode)
    );
    assert_eq!(
        check_totp("d", &secret, "abcdef", now, None),
        Err(TotpError::InvalidCode)
    );
    let step = check_totp("d", &secret, &at(0), now, None).unwrap();
    assert_eq!(
        check_totp("d", &secret, &at(0), now, Some(step)),
        Err(TotpError::AlreadyUsed)
    );
    assert_eq!(
        check_totp("d", &secret, &at(-30), now, Some(step)),
        Err(TotpError::AlreadyUsed)
    );
}

#[test]
fn otpauth_uri_has_every_parameter() {
    let registration = TotpRegistration::generate("alice@corp", "example.com");
    let secret = registration.secret().expose();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert_eq!(
        registration.uri().expose(),
        &format!(
            "otpauth://totp/example.com:alice%40corp?secret={secret}&issuer=example.com&algorithm=SHA1&digits=6&period=30"
        )
    );
}

#[tokio::test]
async fn password_login_without_second_factor() {
    let f = fixture(SecondFactor::Off);
    f.add_user("alice").await;
    let user = f.login("alice", PASSWORD, None).await.unwrap();
    assert_eq!(user.username, "alice");
    assert_eq!(user.roles, ["access"]);
    assert!(!user.mfa_verified);
    let stored = f.backend.get(&user_key("alice")).await.unwrap();
    let text = String::from_utf8(stored.value).unwrap();
    assert!(
        !text.contains(PASSWORD) && text.contains("local_auth"),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let f = fixture(SecondFactor::Off);
    f.add_user("alice").await;
    let wrong = f
        .login("alice", "not the password", None)
        .await
        .unwrap_err();
    let unknown = f.login("mallory", PASSWORD, None).await.unwrap_err();
    assert!(matches!(wrong, AuthError::InvalidCredentials));
    assert_eq!(wrong.to_string(), "invalid username or password");
    assert_eq!(wrong.to_string(), unknown.to_string());
}

#[tokio::test]
async fn every_attempt_is_audited_without_secrets() {
    let f = fixture(SecondFactor::Off);
    f.add_user("alice").await;
    f.login("alice", "not the password", None)
        .await
        .unwrap_err();
    f.login("alice", PASSWORD, None).await.unwrap();
    let events = f.sink.json();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["event"], "user.login");
    assert_eq!(events[0]["code"], "T1000W");
    assert_eq!(events[0]["success"], false);
    assert_eq!(events[0]["error"], "invalid username or password");
    assert_eq!(events[1]["code"], "T1000I");
    assert_eq!(events[1]["success"], true);
    for event in &events {
        assert_eq!(event["method"], "local");
        assert_eq!(event["user"], "alice");
        assert_eq!(event["addr.remote"], REMOTE);
        let text = event.to_string();
        assert!(
            !text.contains(PASSWORD) && !text.contains("not the password"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn otp_is_required_checked_and_never_accepted_twice() {
    let f = fixture(SecondFactor::Otp);
    f.add_user("alice").await;
    // No device yet: refused even with the right password.
    let err = f.login("alice", PASSWORD, None).await.unwrap_err();
    assert!(matches!(err, AuthError::NoOtpDevice { .. }), "{err}");
    let secret = f.add_device("alice").await;
    let err = f.login("alice", PASSWORD, None).await.unwrap_err();
    assert!(matches!(err, AuthError::OtpRequired), "{err}");
    let err = f
        .login("alice", PASSWORD, Some(f.code(&secret, 90)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::Totp(TotpError::InvalidCode)),
        "{err}"
    );
    let code = f.code(&secret, 0);
    let user = f
        .login("alice", PASSWORD, Some(code.clone()))
        .await
        .unwrap();
    assert!(user.mfa_verified);
    let err = f.login("alice", PASSWORD, Some(code)).await.unwrap_err();
    assert_eq!(err.to_string(), "code already used: wait for the next code");
    // The previous step's code is also spent; the next step's is fine.
    let err = f
        .login("alice", PASSWORD, Some(f.code(&secret, -30)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::Totp(TotpError::AlreadyUsed)),
        "{err}"
    );
    f.clock.advance(Duration::from_secs(30));
    f.login("alice", PASSWORD, Some(f.code(&secret, 0)))
        .await
        .unwrap();
}

#[tokio::test]
async fn replay_protection_survives_a_restart() {
    let f = fixture(SecondFactor::On);
    f.add_user("alice").await;
    let secret = f.add_device("alice").await;
    let code = f.code(&secret, 0);
    f.login("alice", PASSWORD, Some(code.clone()))
        .await
        .unwrap();
    let restarted = LocalAuthenticator::new(
        f.backend.clone(),
        Arc::new(f.clock.clone()),
        f.sink.clone(),
        "example.com",
        SecondFactor::On,
    )
    .unwrap();
    let creds = Credentials {
        username: "alice".into(),
        password: PASSWORD.into(),
        otp: Some(code),
    };
    let err = restarted.authenticate(creds, REMOTE).await.unwrap_err();
    assert!(
        matches!(err, AuthError::Totp(TotpError::AlreadyUsed)),
        "{err}"
    );
}

#[tokio::test]
async fn optional_second_factor_only_for_users_with_a_device() {
    let f = fixture(SecondFactor::Optional);
    f.add_user("alice").await;
    f.add_user("bob").await;
    f.login("bob", PASSWORD, None).await.unwrap();
    let secret = f.add_device("alice").await;
    let err = f.login("alice", PASSWORD, None).await.unwrap_err();
    assert!(matches!(err, AuthError::OtpRequired), "{err}");
    f.login("alice", PASSWORD, Some(f.code(&secret, 0)))
        .await
        .unwrap();
}

#[tokio::test]
async fn five_failures_lock_for_twenty_minutes() {
    let f = fixture(SecondFactor::Off);
    f.add_user("alice").await;
    for attempt in 1..=4 {
        let err = f.login("alice", "wrong password", None).await.unwrap_err();
        assert!(
            matches!(err, AuthError::InvalidCredentials),
            "attempt {attempt}: {err}"
        );
    }
    let err = f.login("alice", "wrong password", None).await.unwrap_err();
    assert!(matches!(err, AuthError::Locked { .. }), "{err}");
    // The right password does not help while locked.
    let err = f.login("alice", PASSWORD, None).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("alice exceeds 5 failed login attempts, locked until"),
        "{err}"
    );
    let item = f.backend.get(&user_key("alice")).await.unwrap();
    let user: User = serde_json::from_slice(&item.value).unwrap();
    assert!(user.spec.status.is_locked);
    assert_eq!(user.spec.status.locked_message, LOCKED_MESSAGE);
    assert_eq!(user.spec.status.locked_time, Some(f.clock.now()));
    assert_eq!(
        user.spec.status.lock_expires,
        Some(f.clock.now() + ACCOUNT_LOCK_INTERVAL)
    );

    f.clock.advance(Duration::from_secs(19 * 60 + 59));
    assert!(f.login("alice", PASSWORD, None).await.is_err());
    f.clock.advance(Duration::from_secs(1));
    f.login("alice", PASSWORD, None).await.unwrap();
    let item = f.backend.get(&user_key("alice")).await.unwrap();
    let user: User = serde_json::from_slice(&item.value).unwrap();
    assert!(!user.spec.status.is_locked);
    let codes: Vec<_> = f.sink.json().iter().map(|e| e["code"].clone()).collect();
    assert_eq!(codes.len(), 8);
    assert_eq!(codes.last().unwrap(), "T1000I");
}

#[tokio::test]
async fn success_resets_the_failure_count() {
    let f = fixture(SecondFactor::Off);
    f.add_user("alice").await;
    for _ in 0..4 {
        f.login("alice", "wrong password", None).await.unwrap_err();
    }
    f.login("alice", PASSWORD, None).await.unwrap();
    for _ in 0..4 {
        let err = f.login("alice", "wrong password", None).await.unwrap_err();
        assert!(matches!(err, AuthError::InvalidCredentials), "{err}");
    }
    f.login("alice", PASSWORD, None).await.unwrap();
}

#[tokio::test]
async fn failures_far_apart_do_not_add_up() {
    let f = fixture(SecondFactor::Off);
    f.add_user("alice").await;
    for _ in 0..4 {
        f.login("alice", "wrong password", None).await.unwrap_err();
    }
    f.clock.advance(Duration::from_secs(31 * 60));
    let err = f.login("alice", "wrong password", None).await.unwrap_err();
    assert!(matches!(err, AuthError::InvalidCredentials), "{err}");
}

#[tokio::test]
async fn concurrent_failures_are_all_counted() {
    let f = Arc::new(fixture(SecondFactor::Off));
    f.add_user("alice").await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            f.login("alice", "wrong password", None).await.unwrap_err();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let item = f.backend.get(&attempts_key("alice")).await.unwrap();
    let attempts: FailedAttempts = serde_json::from_slice(&item.value).unwrap();
    assert_eq!(attempts.count, 4);
}

#[tokio::test]
async fn u2f_and_webauthn_are_refused_at_start() {
    for (factor, name) in [
        (SecondFactor::U2f, "u2f"),
        (SecondFactor::Webauthn, "webauthn"),
    ] {
        let clock = FakeClock::default();
        let err = LocalAuthenticator::new(
            Arc::new(MemoryBackend::new(Arc::new(clock.clone()))),
            Arc::new(clock),
            Arc::new(CaptureSink::default()),
            "example.com",
            factor,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("second_factor {name} is not supported yet: use otp")
        );
    }
}

#[tokio::test]
async fn set_password_checks_policy_and_user() {
    let f = fixture(SecondFactor::Off);
    f.add_user("alice").await;
    let err = f
        .auth
        .set_password("alice", "short".into())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::Password(PasswordError::TooShort { .. })),
        "{err}"
    );
    let err = f
        .auth
        .set_password("nobody", PASSWORD.into())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::UserNotFound { .. }), "{err}");
    f.auth
        .set_password("alice", "a brand new password".into())
        .await
        .unwrap();
    f.login("alice", "a brand new password", None)
        .await
        .unwrap();
    f.login("alice", PASSWORD, None).await.unwrap_err();
}

#[tokio::test]
async fn device_registration_needs_a_valid_code() {
    let f = fixture(SecondFactor::Otp);
    f.add_user("alice").await;
    let err = f
        .auth
        .confirm_totp_device("alice", "123456")
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::NoPendingDevice { .. }), "{err}");
    let registration = f.auth.register_totp_device("alice", "phone").await.unwrap();
    let secret = registration.secret().expose().clone();
    let err = f
        .auth
        .confirm_totp_device("alice", &f.code(&secret, 120))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::Totp(TotpError::InvalidCode)),
        "{err}"
    );
    f.auth
        .confirm_totp_device("alice", &f.code(&secret, 0))
        .await
        .unwrap();
    // The pending key is gone once used.
    let err = f
        .auth
        .confirm_totp_device("alice", &f.code(&secret, 0))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::NoPendingDevice { .. }), "{err}");
    assert!(f.auth.device_required_at_signup());
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LocalAuthenticator>();
    assert_send_sync::<Arc<dyn Authenticator>>();
    assert_send_sync::<Credentials>();
    assert_send_sync::<AuthenticatedUser>();
    assert_send_sync::<AuthError>();
    assert_send_sync::<TotpRegistration>();
    assert_send_sync::<Password>();
}
