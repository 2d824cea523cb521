//! Rate limits, answered before any work: per client address on the session API, on sign-in
//! and on ingest attempts without a valid feed key, per feed on ingest (`[limits]` in the
//! configuration). Beyond a limit the answer is
//! 429 naming the limit, with `Retry-After`. The limiter is governor's GCRA: a few bytes per
//! address or feed, forgotten once it is full again.

use crate::config::RateLimitConfig;
use crate::error::AppError;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// One keyed limit, or none when configured off.
struct Limit<K: Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    what: &'static str,
}

impl<K: Hash + Eq + Clone> Limit<K> {
    fn new(what: &'static str, per: Duration, count: u32, burst: u32) -> Self {
        let limiter = NonZeroU32::new(count).map(|count| {
            // A count so high that its period rounds to nothing is a count per second.
            let quota = Quota::with_period(per / count.get())
                .unwrap_or_else(|| Quota::per_second(count))
                .allow_burst(NonZeroU32::new(burst).unwrap_or(count));
            DefaultKeyedRateLimiter::keyed(quota)
        });
        Limit { limiter, what }
    }

    fn check(&self, key: &K) -> Result<(), AppError> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::TooManyRequests {
                message: format!("too many {}; slow down and retry after the time in Retry-After", self.what),
                retry_after_secs: wait.as_secs_f64().ceil() as i64,
            }
        })
    }

    fn forget_full(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// Every rate limit of the server.
pub struct Limits {
    requests: Limit<IpAddr>,
    sign_ins: Limit<IpAddr>,
    ingest: Limit<i64>,
    unauthenticated_ingest: Limit<IpAddr>,
    streams: Arc<StreamSlots>,
}

/// The live streams each user holds open on this server, at most `per_user` each.
#[derive(Default)]
struct StreamSlots {
    per_user: usize,
    open: std::sync::Mutex<std::collections::HashMap<i64, usize>>,
}

/// One open stream's slot, given back when the stream ends (its state is dropped).
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    user_id: i64,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.user_id) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

impl Limits {
    pub fn new(config: &RateLimitConfig) -> Limits {
        let second = Duration::from_secs(1);
        Limits {
            requests: Limit::new(
                "requests from this address",
                second,
                config.requests_per_second_per_address,
                config.request_burst_per_address,
            ),
            sign_ins: Limit::new(
                "sign-in attempts from this address",
                Duration::from_secs(60),
                config.sign_ins_per_minute_per_address,
                config.sign_in_burst_per_address,
            ),
            ingest: Limit::new(
                "ingest requests from this feed",
                second,
                config.ingest_requests_per_second_per_feed,
                config.ingest_burst_per_feed,
            ),
            unauthenticated_ingest: Limit::new(
                "ingest attempts without a valid feed key from this address",
                Duration::from_secs(60),
                config.unauthenticated_ingest_per_minute_per_address,
                config.unauthenticated_ingest_burst_per_address,
            ),
            streams: Arc::new(StreamSlots { per_user: config.streams_per_user, ..StreamSlots::default() }),
        }
    }

    /// A slot for one more live stream of `user_id`, or 429 when they hold as many as allowed.
    pub fn stream(&self, user_id: i64) -> Result<StreamSlot, AppError> {
        let mut open = self.streams.open.lock().unwrap_or_else(|p| p.into_inner());
        let held = open.entry(user_id).or_default();
        if self.streams.per_user > 0 && *held >= self.streams.per_user {
            return Err(AppError::TooManyRequests {
                message: format!("at most {} live streams open at once; close one first", self.streams.per_user),
                retry_after_secs: 5,
            });
        }
        *held += 1;
        Ok(StreamSlot { slots: self.streams.clone(), user_id })
    }

    pub fn sign_in(&self, address: Option<IpAddr>) -> Result<(), AppError> {
        address.map_or(Ok(()), |a| self.sign_ins.check(&a))
    }

    pub fn ingest(&self, feed_id: i64) -> Result<(), AppError> {
        self.ingest.check(&feed_id)
    }

    /// Counts an ingest attempt from `address` without a valid feed key; beyond the limit, the
    /// answer is this 429 rather than the attempt's own 401.
    pub fn unauthenticated_ingest(&self, address: Option<IpAddr>) -> Result<(), AppError> {
        address.map_or(Ok(()), |a| self.unauthenticated_ingest.check(&a))
    }

    /// Drops the state of addresses and feeds that are back at a full allowance.
    pub fn forget_full(&self) {
        self.requests.forget_full();
        self.sign_ins.forget_full();
        self.ingest.forget_full();
        self.unauthenticated_ingest.forget_full();
    }
}

/// The peer address of the connection (absent only when the router is served without
/// connection info).
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip())))
    }
}

/// Middleware: the per-address request limit.
pub async fn per_address(
    State(limits): State<Arc<Limits>>,
    ClientAddress(address): ClientAddress,
    request: Request,
    next: Next,
) -> Response {
    match address.map_or(Ok(()), |a| limits.requests.check(&a)) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_with_a_wait() {
        let limit = Limit::new("tries", Duration::from_secs(60), 60, 3);
        let key = 7_i64;
        for _ in 0..3 {
            assert!(limit.check(&key).is_ok());
        }
        match limit.check(&key) {
            Err(AppError::TooManyRequests { message, retry_after_secs }) => {
                assert!(message.contains("too many tries"));
                assert_eq!(retry_after_secs, 1, "one a second refills");
            }
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(limit.check(&8).is_ok(), "another key has its own allowance");
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let limit = Limit::new("tries", Duration::from_secs(1), 0, 0);
        for _ in 0..10_000 {
            assert!(limit.check(&1_i64).is_ok());
        }
    }
}
