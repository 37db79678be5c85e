//! The one path every request takes: pacing, sending, reading the body, and
//! retrying as the core's policy decides.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use flat_org_core::http::{Method, Request, Response, request};
use flat_org_core::{Decision, Outcome, RateLimit, RetryReason};

use crate::client::Client;
use crate::error::{Error, RequestLine};

impl Client {
    /// Sends a request built by the core, retrying and pacing as the retry
    /// policy decides, and returns the last response or error.
    pub(crate) fn send_logged(
        &self,
        operation_id: &'static str,
        request: Request<Vec<u8>>,
    ) -> Result<Response<Vec<u8>>, Error> {
        let (parts, body) = request.into_parts();
        let line = RequestLine {
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
        };
        let mut attempt = 1;
        loop {
            self.wait_for_rate_limit(operation_id, &line);
            let result = self.send_once(operation_id, &line, &parts, &body);
            let decision = match &result {
                Ok(response) => {
                    self.remember_rate_limit(response);
                    self.retry.decide(
                        &line.method,
                        attempt,
                        &Outcome::Response(response),
                        SystemTime::now(),
                        random_unit(),
                    )
                }
                Err(error) => match error.transport_failure() {
                    Some(failure) => self.retry.decide::<Vec<u8>>(
                        &line.method,
                        attempt,
                        &Outcome::Failed(failure),
                        SystemTime::now(),
                        random_unit(),
                    ),
                    None => Decision::Stop,
                },
            };
            match decision {
                Decision::Retry { after, reason } => {
                    log::info!(
                        "{operation_id}: {line} attempt {attempt} failed ({}); retrying in {} ms",
                        describe(reason, &result),
                        after.as_millis()
                    );
                    std::thread::sleep(after);
                    attempt += 1;
                }
                Decision::Stop => {
                    let failed = result.as_ref().map_or(true, |r| !r.status().is_success());
                    if failed && attempt > 1 {
                        log::warn!(
                            "{operation_id}: {line} given up after {attempt} attempts ({})",
                            describe_result(&result)
                        );
                    }
                    return result;
                }
            }
        }
    }

    fn send_once(
        &self,
        operation_id: &'static str,
        line: &RequestLine,
        parts: &request::Parts,
        body: &[u8],
    ) -> Result<Response<Vec<u8>>, Error> {
        let mut builder = Request::builder()
            .method(parts.method.clone())
            .uri(parts.uri.clone())
            .version(parts.version);
        if let Some(headers) = builder.headers_mut() {
            *headers = parts.headers.clone();
        }
        let started = Instant::now();
        // ureq sends no body for a `()` request, as GET and DELETE require.
        let result = if body.is_empty() && parts.method != Method::POST {
            builder
                .body(())
                .map_err(|e| invalid_request(line, &e))
                .and_then(|request| transport(line, self.agent.run(request)))
        } else {
            builder
                .body(body.to_vec())
                .map_err(|e| invalid_request(line, &e))
                .and_then(|request| transport(line, self.agent.run(request)))
        };
        let (response_parts, mut response_body) = result?.into_parts();
        let bytes = response_body
            .with_config()
            .limit(self.max_body_size)
            .read_to_vec()
            .map_err(|e| Error::from_transport(line.clone(), e))?;
        log::debug!(
            "{operation_id}: {line} -> {} ({} bytes, {} ms)",
            response_parts.status.as_u16(),
            bytes.len(),
            started.elapsed().as_millis()
        );
        Ok(Response::from_parts(response_parts, bytes))
    }

    /// Sleeps until the rate limit resets when the last response reported
    /// no requests left.
    fn wait_for_rate_limit(&self, operation_id: &str, line: &RequestLine) {
        let last = *self
            .rate_limit
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(wait) = self.retry.pace(&last, SystemTime::now()) {
            log::info!(
                "{operation_id}: {line} waits {} ms for the rate limit to reset",
                wait.as_millis()
            );
            std::thread::sleep(wait);
        }
    }

    fn remember_rate_limit(&self, response: &Response<Vec<u8>>) {
        let rate_limit = RateLimit::from_headers(response.headers());
        if rate_limit.remaining.is_some() {
            *self
                .rate_limit
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = rate_limit;
        }
    }
}

fn transport<T>(line: &RequestLine, result: Result<T, ureq::Error>) -> Result<T, Error> {
    result.map_err(|e| Error::from_transport(line.clone(), e))
}

fn invalid_request(line: &RequestLine, error: &flat_org_core::http::Error) -> Error {
    Error::Transport {
        request: line.clone(),
        message: format!("the request could not be rebuilt: {error}"),
    }
}

fn describe(reason: RetryReason, result: &Result<Response<Vec<u8>>, Error>) -> String {
    match reason {
        RetryReason::RateLimited { reset: Some(reset) } => {
            format!("rate limited until epoch second {reset}")
        }
        RetryReason::RateLimited { reset: None } => "rate limited".to_owned(),
        RetryReason::ServerError(status) => format!("status {status}"),
        _ => describe_result(result),
    }
}

fn describe_result(result: &Result<Response<Vec<u8>>, Error>) -> String {
    match result {
        Ok(response) => format!("status {}", response.status()),
        Err(error) => error.to_string(),
    }
}

/// Returns a number in `0.0..1.0` for back-off jitter. The standard
/// library's hasher keys are random per process, which is enough to keep
/// clients that fail together from retrying together.
fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let hash = RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hash >> 11) as f64 / (1_u64 << 53) as f64
}
