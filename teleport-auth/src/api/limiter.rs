//! [`RateLimiter`]: a token bucket per client IP address for the routes open without a
//! client certificate that check secrets (login, signup), so that one address cannot
//! guess passwords, codes or tokens at network speed.
//!
//! Each address may make [`BURST`] requests at once, then one every
//! `1 / REFILL_PER_SEC` seconds. The table forgets idle addresses once it holds
//! [`MAX_TRACKED`] of them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Requests one address may make at once.
pub const BURST: f64 = 20.0;

/// Requests per second an address regains.
pub const REFILL_PER_SEC: f64 = 2.0;

/// Addresses tracked before idle ones are forgotten.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets keyed by client IP address.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// Takes one request from `ip`'s bucket at `now`; `Err` says how long to wait.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&ip) {
            buckets.retain(|_, bucket| refilled(*bucket, now) < BURST);
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: BURST,
            at: now,
        });
        let tokens = refilled(*bucket, now);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(Duration::from_secs_f64((1.0 - tokens) / REFILL_PER_SEC))
        }
    }
}

fn refilled(bucket: Bucket, now: Instant) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
    (bucket.tokens + elapsed * REFILL_PER_SEC).min(BURST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_requests_wait_for_the_refill_per_address() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..20 {
            assert!(limiter.check(a, start).is_ok());
        }
        let wait = limiter.check(a, start).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        // Another address is not affected.
        assert!(limiter.check(b, start).is_ok());
        // Half a second later one more request is allowed, and only one.
        let later = start + Duration::from_millis(500);
        assert!(limiter.check(a, later).is_ok());
        assert!(limiter.check(a, later).is_err());
    }
}
