//! Lockout after repeated failed logins, as Teleport does it: 5 consecutive failures
//! (within 30 minutes of each other) lock the user for 20 minutes.

use serde::{Deserialize, Serialize};
use teleport_core::resource::LoginStatus;
use time::{Duration, OffsetDateTime};

/// Consecutive failed logins that lock a user (Teleport's `MaxLoginAttempts`).
pub const MAX_LOGIN_ATTEMPTS: u32 = 5;

/// How long a lock lasts (Teleport's `AccountLockInterval`).
pub const ACCOUNT_LOCK_INTERVAL: Duration = Duration::minutes(20);

/// Failures further apart than this start the count again (Teleport's `AttemptTTL`).
pub const ATTEMPT_WINDOW: Duration = Duration::minutes(30);

/// `status.locked_message` of a user locked by failed logins.
pub const LOCKED_MESSAGE: &str = "user has exceeded maximum failed login attempts";

/// The failed logins since the last success, stored at
/// `/web/users/<name>/attempts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedAttempts {
    /// How many consecutive failures.
    pub count: u32,
    /// When the last one happened.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub last: Option<OffsetDateTime>,
}

impl FailedAttempts {
    /// Records a failure at `now`; returns whether the user must now be locked.
    pub fn record(&mut self, now: OffsetDateTime) -> bool {
        if self.last.is_none_or(|last| now - last > ATTEMPT_WINDOW) {
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.last = Some(now);
        self.count >= MAX_LOGIN_ATTEMPTS
    }
}

/// When the lock in `status` ends, if the user is locked at `now`.
pub fn locked_until(status: &LoginStatus, now: OffsetDateTime) -> Option<OffsetDateTime> {
    if !status.is_locked {
        return None;
    }
    match status.lock_expires {
        Some(until) if until > now => Some(until),
        Some(_) => None,
        // Locked without an end (by an administrator): locked for good.
        None => Some(OffsetDateTime::new_utc(
            time::Date::MAX,
            time::Time::MIDNIGHT,
        )),
    }
}

/// Locks `status` at `now` for [`ACCOUNT_LOCK_INTERVAL`]; returns when it ends.
pub fn lock(status: &mut LoginStatus, now: OffsetDateTime) -> OffsetDateTime {
    let until = now + ACCOUNT_LOCK_INTERVAL;
    *status = LoginStatus {
        is_locked: true,
        locked_message: LOCKED_MESSAGE.to_string(),
        locked_time: Some(now),
        lock_expires: Some(until),
    };
    until
}

/// Clears a lock that has ended by `now`; returns whether `status` changed.
pub fn clear_expired(status: &mut LoginStatus, now: OffsetDateTime) -> bool {
    if status.is_locked && locked_until(status, now).is_none() {
        *status = LoginStatus::default();
        return true;
    }
    false
}
