//! A per-client token bucket: each client may send `burst` requests at once and then one every
//! `60 / per_minute` seconds; past that it is answered `429` with `Retry-After`.
//!
//! Clients are keyed by the connection's peer address: the IPv4 address, or the /64 prefix of an
//! IPv6 one (a single host usually owns a whole /64, so keying by full address would let it
//! rotate through 2^64 buckets). `X-Forwarded-For` is not trusted: behind a reverse proxy every
//! request would share the proxy's bucket, so put the rate limit in the proxy there, or pass
//! `--rate-limit 0` and let the proxy do it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many clients are remembered before idle ones (full buckets) are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// The limiter's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per minute per client.
    pub per_minute: u32,
    /// Requests a client may send at once after being idle.
    pub burst: u32,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The buckets of every client seen recently.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// A limiter with `limit`; `per_minute` must be at least 1.
    #[must_use]
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refill_per_second(&self) -> f64 {
        f64::from(self.limit.per_minute.max(1)) / 60.0
    }

    /// Takes one token for `client` at `now`; `Err` carries how long until one is available.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let key = bucket_key(client);
        let capacity = f64::from(self.limit.burst.max(1));
        let rate = self.refill_per_second();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, bucket| {
                let refilled = bucket.tokens
                    + now.saturating_duration_since(bucket.updated).as_secs_f64() * rate;
                refilled < capacity
            });
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

/// The address a client is counted under: IPv4 as is (also when mapped into IPv6), IPv6 by /64.
fn bucket_key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn burst_then_refill_then_separate_clients() {
        let limiter = RateLimiter::new(RateLimit {
            per_minute: 60,
            burst: 3,
        });
        let start = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(a, start).is_ok());
        }
        let wait = limiter.check(a, start).unwrap_err();
        assert!((0.99..=1.01).contains(&wait.as_secs_f64()), "{wait:?}");
        assert!(
            limiter.check(b, start).is_ok(),
            "other clients are not affected"
        );
        assert!(limiter.check(a, start + Duration::from_secs(1)).is_ok());
        assert!(limiter.check(a, start + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn ipv6_hosts_share_their_64() {
        let limiter = RateLimiter::new(RateLimit {
            per_minute: 1,
            burst: 1,
        });
        let now = Instant::now();
        assert!(limiter.check("2001:db8::1".parse().unwrap(), now).is_ok());
        assert!(
            limiter
                .check("2001:db8::ffff:2".parse().unwrap(), now)
                .is_err()
        );
        assert!(
            limiter
                .check("2001:db8:0:1::1".parse().unwrap(), now)
                .is_ok()
        );
        assert!(
            limiter
                .check("::ffff:192.0.2.9".parse().unwrap(), now)
                .is_ok()
        );
        assert!(limiter.check("192.0.2.9".parse().unwrap(), now).is_err());
    }
}
