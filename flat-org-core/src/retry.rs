//! Retry, back-off and rate-limit decisions, as pure functions of what
//! happened and when.
//!
//! A transport calls [`RetryPolicy::decide`] after each attempt and
//! [`RetryPolicy::pace`] before each request; it does the sleeping itself.
//! Nothing here reads a clock or a random source: the caller passes `now`
//! and a random number for the jitter, so every decision is reproducible in
//! a test.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::RETRY_AFTER;
use http::{HeaderMap, Method, Response, StatusCode};

use crate::error::{ErrorBody, RATE_LIMIT_CODE};
use crate::rate_limit::RateLimit;

/// When to retry a request, and how long to wait for the rate limit.
///
/// - GET, PUT and DELETE are retried after a connection failure, a timeout,
///   and statuses 500, 502, 503 and 504, with exponential back-off and
///   jitter, up to [`max_attempts`](RetryPolicy::max_attempts) attempts in
///   all. A `Retry-After` header (seconds or HTTP date) replaces the
///   back-off when it is within [`max_delay`](RetryPolicy::max_delay).
/// - POST is retried only when the request cannot have reached the server
///   (the connection was never made, or the request was not fully sent).
///   After a 5xx or a connection lost once the request was sent, the write
///   may have been applied, so it is not repeated.
/// - A 403 with code `API_RATE_LIMIT_EXCEEDED` (or a 429) was refused and not
///   applied, so any method is retried after `X-RateLimit-Reset` plus
///   [`rate_limit_margin`](RetryPolicy::rate_limit_margin), when that wait
///   is within [`max_rate_limit_wait`](RetryPolicy::max_rate_limit_wait).
/// - Any other status is final.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use flat_org_core::{Decision, Outcome, RetryPolicy};
///
/// let policy = RetryPolicy::default().max_attempts(3);
/// let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
/// let unavailable = http::Response::builder().status(503).body(Vec::new())?;
///
/// let get = policy.decide(&http::Method::GET, 1, &Outcome::Response(&unavailable), now, 0.5);
/// assert!(matches!(get, Decision::Retry { .. }));
///
/// let post = policy.decide(&http::Method::POST, 1, &Outcome::Response(&unavailable), now, 0.5);
/// assert_eq!(post, Decision::Stop);
///
/// let last = policy.decide(&http::Method::GET, 3, &Outcome::Response(&unavailable), now, 0.5);
/// assert_eq!(last, Decision::Stop);
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_delay: Duration,
    max_delay: Duration,
    max_rate_limit_wait: Duration,
    rate_limit_margin: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts, back-off from 0.5 s doubling up to 30 s, rate-limit
    /// waits of up to 15 minutes with a 1 s margin.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(15 * 60),
            rate_limit_margin: Duration::from_secs(1),
        }
    }
}

/// The result of one attempt.
#[derive(Debug)]
pub enum Outcome<'a, B> {
    /// The server sent a complete response, of any status.
    Response(&'a Response<B>),
    /// The transport failed before a complete response arrived.
    Failed(TransportFailure),
}

/// A transport failure, as much as a retry decision needs to know of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportFailure {
    /// Whether it was a timeout rather than a refused, reset or closed
    /// connection.
    pub timeout: bool,
    /// Whether the whole request may have reached the server. `false` only
    /// when the connection was never made or the request was not fully
    /// written.
    pub request_sent: bool,
}

/// The next step after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send the request again after waiting this long.
    Retry {
        /// How long to wait before the next attempt.
        after: Duration,
        /// The cause of the retry.
        reason: RetryReason,
    },
    /// Return the outcome to the caller.
    Stop,
}

/// The cause of a retry, for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryReason {
    /// A connection failure or timeout.
    Transport,
    /// A 500, 502, 503 or 504 status.
    ServerError(StatusCode),
    /// The rate limit was exceeded; it resets at this epoch second, when the
    /// server sent `X-RateLimit-Reset`.
    RateLimited {
        /// `X-RateLimit-Reset`, in seconds since the Unix epoch.
        reset: Option<u64>,
    },
}

impl RetryPolicy {
    /// Sets the maximum number of attempts, the first included; `1` turns
    /// retries off. Rate-limit waits count as attempts too.
    pub fn max_attempts(mut self, max_attempts: u32) -> RetryPolicy {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Sets the back-off before the second attempt; it doubles for each
    /// later attempt.
    pub fn initial_delay(mut self, delay: Duration) -> RetryPolicy {
        self.initial_delay = delay;
        self
    }

    /// Sets the longest back-off, and the longest `Retry-After` honoured. A
    /// response that requests a longer wait is returned as it is.
    pub fn max_delay(mut self, delay: Duration) -> RetryPolicy {
        self.max_delay = delay;
        self
    }

    /// Sets the longest wait for a rate-limit reset. A reset further away
    /// than this returns the rate-limit error at once.
    pub fn max_rate_limit_wait(mut self, wait: Duration) -> RetryPolicy {
        self.max_rate_limit_wait = wait;
        self
    }

    /// Sets the time added to `X-RateLimit-Reset`, which has a resolution of
    /// one second, before retrying.
    pub fn rate_limit_margin(mut self, margin: Duration) -> RetryPolicy {
        self.rate_limit_margin = margin;
        self
    }

    /// Returns a policy that never retries and never waits for a reset.
    pub fn never() -> RetryPolicy {
        RetryPolicy::default()
            .max_attempts(1)
            .max_rate_limit_wait(Duration::ZERO)
    }

    /// Decides what follows attempt number `attempt` (1 for the first) of a
    /// request with `method`.
    ///
    /// `now` is the current wall-clock time, which `X-RateLimit-Reset` and
    /// `Retry-After` dates are compared with. `random` in `0.0..1.0` spreads
    /// back-off delays over their upper half, so that clients failing
    /// together do not retry together; pass `0.5` for a fixed delay.
    pub fn decide<B: AsRef<[u8]>>(
        &self,
        method: &Method,
        attempt: u32,
        outcome: &Outcome<'_, B>,
        now: SystemTime,
        random: f64,
    ) -> Decision {
        if attempt >= self.max_attempts {
            return Decision::Stop;
        }
        match outcome {
            Outcome::Failed(failure) => {
                if failure.request_sent && !is_idempotent(method) {
                    return Decision::Stop;
                }
                Decision::Retry {
                    after: self.backoff(attempt, random),
                    reason: RetryReason::Transport,
                }
            }
            Outcome::Response(response) if is_rate_limited(response) => {
                self.decide_rate_limited(response.headers(), now, attempt, random)
            }
            Outcome::Response(response) => {
                let status = response.status();
                let retryable = matches!(status.as_u16(), 500 | 502 | 503 | 504);
                if !retryable || !is_idempotent(method) {
                    return Decision::Stop;
                }
                let after = match retry_after(response.headers(), now) {
                    Some(wait) if wait > self.max_delay => return Decision::Stop,
                    Some(wait) => wait,
                    None => self.backoff(attempt, random),
                };
                Decision::Retry {
                    after,
                    reason: RetryReason::ServerError(status),
                }
            }
        }
    }

    /// Waits for the later of `Retry-After` and the reset, and at least the
    /// back-off, so that a stale reset in the past cannot make retries follow
    /// each other at once.
    fn decide_rate_limited(
        &self,
        headers: &HeaderMap,
        now: SystemTime,
        attempt: u32,
        random: f64,
    ) -> Decision {
        let reset = RateLimit::from_headers(headers).reset;
        let until_reset = reset.map(|reset| self.until_reset(reset, now));
        let wait = match (until_reset, retry_after(headers, now)) {
            (Some(a), Some(b)) => a.max(b),
            (Some(wait), None) | (None, Some(wait)) => wait,
            (None, None) => return Decision::Stop,
        };
        let wait = wait.max(self.backoff(attempt, random));
        if wait > self.max_rate_limit_wait {
            return Decision::Stop;
        }
        Decision::Retry {
            after: wait,
            reason: RetryReason::RateLimited { reset },
        }
    }

    /// Returns how long to wait before sending the next request, given the
    /// rate-limit headers of the last response: until the reset when none
    /// are left, `None` otherwise. A reset further away than
    /// [`max_rate_limit_wait`](RetryPolicy::max_rate_limit_wait) gives
    /// `None` too: the request is sent, and its rate-limit error returned.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use flat_org_core::{RateLimit, RetryPolicy};
    ///
    /// let now = UNIX_EPOCH + Duration::from_secs(1_000);
    /// let spent = RateLimit { limit: Some(5000), remaining: Some(0), reset: Some(1_001) };
    /// let policy = RetryPolicy::default();
    /// assert_eq!(policy.pace(&spent, now), Some(Duration::from_secs(2)));
    /// ```
    pub fn pace(&self, rate_limit: &RateLimit, now: SystemTime) -> Option<Duration> {
        let (Some(0), Some(reset)) = (rate_limit.remaining, rate_limit.reset) else {
            return None;
        };
        let wait = self.until_reset(reset, now);
        (!wait.is_zero() && wait <= self.max_rate_limit_wait).then_some(wait)
    }

    /// Returns the time from `now` to `reset` plus the margin. The server
    /// chooses `reset`, so the sum saturates rather than overflow.
    fn until_reset(&self, reset: u64, now: SystemTime) -> Duration {
        let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        Duration::from_secs(reset)
            .saturating_add(self.rate_limit_margin)
            .saturating_sub(since_epoch)
    }

    /// Exponential back-off with jitter: the delay for `attempt` is drawn
    /// from the upper half of `initial_delay * 2^(attempt - 1)`, capped at
    /// `max_delay`.
    fn backoff(&self, attempt: u32, random: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let full = self
            .initial_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay);
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.5
        };
        full / 2 + (full / 2).mul_f64(random)
    }
}

/// Methods whose repetition has the same effect as one request (RFC 9110
/// section 9.2.2).
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Flat returns 403 with this code for an exceeded rate limit; 429 is the
/// standard status for it.
fn is_rate_limited<B: AsRef<[u8]>>(response: &Response<B>) -> bool {
    match response.status().as_u16() {
        429 => true,
        403 => serde_json::from_slice::<ErrorBody>(response.body().as_ref())
            .is_ok_and(|body| body.code == RATE_LIMIT_CODE),
        _ => false,
    }
}

/// Reads `Retry-After` as delay-seconds or an HTTP date (RFC 9110 section
/// 10.2.3). A date in the past gives zero; an unreadable value gives `None`.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok().map(Duration::from_secs);
    }
    let date = httpdate::parse_http_date(text).ok()?;
    Some(date.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_SECS: u64 = 1_800_000_000;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW_SECS)
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response<Vec<u8>> {
        let mut builder = Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(body.as_bytes().to_vec()).unwrap()
    }

    fn decide(method: Method, attempt: u32, response: &Response<Vec<u8>>) -> Decision {
        RetryPolicy::default().decide(&method, attempt, &Outcome::Response(response), now(), 0.5)
    }

    fn failed(method: Method, request_sent: bool) -> Decision {
        let failure = TransportFailure {
            timeout: false,
            request_sent,
        };
        RetryPolicy::default().decide::<Vec<u8>>(&method, 1, &Outcome::Failed(failure), now(), 0.5)
    }

    const RATE_LIMITED: &str = r#"{"code":"API_RATE_LIMIT_EXCEEDED","message":"slow down"}"#;

    #[test]
    fn server_errors_retried_for_idempotent_methods() {
        for status in [500, 502, 503, 504] {
            for method in [Method::GET, Method::PUT, Method::DELETE] {
                let decision = decide(method.clone(), 1, &response(status, &[], ""));
                assert!(
                    matches!(decision, Decision::Retry { reason: RetryReason::ServerError(s), .. } if s == status),
                    "{method} {status}: {decision:?}"
                );
            }
            assert_eq!(
                decide(Method::POST, 1, &response(status, &[], "")),
                Decision::Stop
            );
        }
    }

    #[test]
    fn other_statuses_are_final() {
        for status in [200, 204, 301, 400, 401, 404, 422, 501, 505] {
            assert_eq!(
                decide(Method::GET, 1, &response(status, &[], "")),
                Decision::Stop
            );
        }
        let forbidden = response(403, &[], r#"{"code":"FORBIDDEN","message":"no"}"#);
        assert_eq!(decide(Method::GET, 1, &forbidden), Decision::Stop);
        assert_eq!(
            decide(Method::GET, 1, &response(403, &[], "<html>")),
            Decision::Stop
        );
    }

    #[test]
    fn attempts_are_bounded() {
        let unavailable = response(503, &[], "");
        let policy = RetryPolicy::default().max_attempts(3);
        let decide_at = |attempt| {
            policy.decide(
                &Method::GET,
                attempt,
                &Outcome::Response(&unavailable),
                now(),
                0.5,
            )
        };
        assert!(matches!(decide_at(1), Decision::Retry { .. }));
        assert!(matches!(decide_at(2), Decision::Retry { .. }));
        assert_eq!(decide_at(3), Decision::Stop);
        let never = RetryPolicy::never();
        let decision = never.decide(
            &Method::GET,
            1,
            &Outcome::Response(&unavailable),
            now(),
            0.5,
        );
        assert_eq!(decision, Decision::Stop);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_cap() {
        let policy = RetryPolicy::default()
            .initial_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(1000));
        assert_eq!(policy.backoff(1, 0.0), Duration::from_millis(50));
        assert_eq!(policy.backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(policy.backoff(2, 0.5), Duration::from_millis(150));
        assert_eq!(policy.backoff(3, 1.0), Duration::from_millis(400));
        assert_eq!(policy.backoff(10, 1.0), Duration::from_millis(1000));
        assert_eq!(policy.backoff(u32::MAX, 1.0), Duration::from_millis(1000));
        assert_eq!(policy.backoff(1, f64::NAN), Duration::from_millis(75));
        assert_eq!(policy.backoff(1, -3.0), Duration::from_millis(50));
    }

    #[test]
    fn transport_failures_by_method_and_progress() {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            assert!(matches!(
                failed(method.clone(), true),
                Decision::Retry { .. }
            ));
            assert!(matches!(failed(method, false), Decision::Retry { .. }));
        }
        assert_eq!(failed(Method::POST, true), Decision::Stop);
        assert!(matches!(
            failed(Method::POST, false),
            Decision::Retry {
                reason: RetryReason::Transport,
                ..
            }
        ));
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let seconds = response(503, &[("retry-after", "1")], "");
        assert_eq!(
            decide(Method::DELETE, 1, &seconds),
            Decision::Retry {
                after: Duration::from_secs(1),
                reason: RetryReason::ServerError(StatusCode::SERVICE_UNAVAILABLE),
            }
        );
        let date = httpdate::fmt_http_date(now() + Duration::from_secs(7));
        let dated = response(503, &[("retry-after", &date)], "");
        assert!(matches!(
            decide(Method::GET, 1, &dated),
            Decision::Retry { after, .. } if after == Duration::from_secs(7)
        ));
        let past = httpdate::fmt_http_date(now() - Duration::from_secs(60));
        let past = response(503, &[("retry-after", &past)], "");
        assert!(matches!(
            decide(Method::GET, 1, &past),
            Decision::Retry { after, .. } if after.is_zero()
        ));
    }

    #[test]
    fn retry_after_beyond_max_delay_stops() {
        let long = response(503, &[("retry-after", "31")], "");
        assert_eq!(decide(Method::GET, 1, &long), Decision::Stop);
    }

    #[test]
    fn unreadable_retry_after_falls_back_to_backoff() {
        for value in ["soon", "-1", "1.5", "", "99999999999999999999999"] {
            let odd = response(502, &[("retry-after", value)], "");
            assert!(
                matches!(decide(Method::GET, 1, &odd), Decision::Retry { after, .. } if after == Duration::from_millis(375)),
                "{value:?}"
            );
        }
    }

    #[test]
    fn rate_limit_waits_for_reset_for_every_method() {
        let reset = (NOW_SECS + 2).to_string();
        let limited = response(403, &[("x-ratelimit-reset", &reset)], RATE_LIMITED);
        for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
            assert_eq!(
                decide(method, 1, &limited),
                Decision::Retry {
                    after: Duration::from_secs(3),
                    reason: RetryReason::RateLimited {
                        reset: Some(NOW_SECS + 2)
                    },
                }
            );
        }
    }

    #[test]
    fn rate_limit_beyond_max_wait_stops() {
        let reset = (NOW_SECS + 3600).to_string();
        let limited = response(403, &[("x-ratelimit-reset", &reset)], RATE_LIMITED);
        assert_eq!(decide(Method::GET, 1, &limited), Decision::Stop);
        let policy = RetryPolicy::default().max_rate_limit_wait(Duration::from_secs(3601));
        let decision = policy.decide(&Method::GET, 1, &Outcome::Response(&limited), now(), 0.5);
        assert!(matches!(decision, Decision::Retry { .. }));
    }

    #[test]
    fn rate_limit_waits_for_later_wait() {
        let reset = (NOW_SECS + 5).to_string();
        let early = response(
            403,
            &[("x-ratelimit-reset", &reset), ("retry-after", "0")],
            RATE_LIMITED,
        );
        assert!(matches!(
            decide(Method::GET, 1, &early),
            Decision::Retry { after, .. } if after == Duration::from_secs(6)
        ));
        let late = response(
            403,
            &[("x-ratelimit-reset", &reset), ("retry-after", "9")],
            RATE_LIMITED,
        );
        assert!(matches!(
            decide(Method::GET, 1, &late),
            Decision::Retry { after, .. } if after == Duration::from_secs(9)
        ));
    }

    #[test]
    fn stale_rate_limit_reset_backs_off() {
        let reset = (NOW_SECS - 30).to_string();
        let stale = response(403, &[("x-ratelimit-reset", &reset)], RATE_LIMITED);
        assert!(matches!(
            decide(Method::GET, 2, &stale),
            Decision::Retry { after, .. } if after == Duration::from_millis(750)
        ));
    }

    #[test]
    fn extreme_reset_never_panics() {
        let policy = RetryPolicy::default();
        let far = RateLimit {
            limit: None,
            remaining: Some(0),
            reset: Some(u64::MAX),
        };
        assert_eq!(policy.pace(&far, now()), None);
        let limited = response(
            403,
            &[("x-ratelimit-reset", "18446744073709551615")],
            RATE_LIMITED,
        );
        assert_eq!(decide(Method::GET, 1, &limited), Decision::Stop);
        let unlimited = RetryPolicy::default().max_rate_limit_wait(Duration::MAX);
        let decision = unlimited.decide(&Method::GET, 1, &Outcome::Response(&limited), now(), 0.5);
        assert!(matches!(decision, Decision::Retry { .. }));
    }

    #[test]
    fn rate_limit_without_reset_stops() {
        let limited = response(403, &[], RATE_LIMITED);
        assert_eq!(decide(Method::GET, 1, &limited), Decision::Stop);
    }

    #[test]
    fn too_many_requests_uses_retry_after() {
        let limited = response(429, &[("retry-after", "4")], "");
        assert_eq!(
            decide(Method::POST, 1, &limited),
            Decision::Retry {
                after: Duration::from_secs(4),
                reason: RetryReason::RateLimited { reset: None },
            }
        );
    }

    #[test]
    fn pace_waits_only_when_spent() {
        let policy = RetryPolicy::default();
        let spent = RateLimit {
            limit: Some(5000),
            remaining: Some(0),
            reset: Some(NOW_SECS + 1),
        };
        assert_eq!(policy.pace(&spent, now()), Some(Duration::from_secs(2)));
        let left = RateLimit {
            remaining: Some(1),
            ..spent
        };
        assert_eq!(policy.pace(&left, now()), None);
        let past = RateLimit {
            reset: Some(NOW_SECS - 10),
            ..spent
        };
        assert_eq!(policy.pace(&past, now()), None);
        let far = RateLimit {
            reset: Some(NOW_SECS + 7200),
            ..spent
        };
        assert_eq!(policy.pace(&far, now()), None);
        assert_eq!(policy.pace(&RateLimit::default(), now()), None);
    }

    #[test]
    fn clock_before_epoch_is_safe() {
        let policy = RetryPolicy::default();
        let spent = RateLimit {
            limit: None,
            remaining: Some(0),
            reset: Some(1),
        };
        let before_epoch = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(
            policy.pace(&spent, before_epoch),
            Some(Duration::from_secs(2))
        );
    }
}
