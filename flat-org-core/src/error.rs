//! The crate's error type.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;
use serde::Deserialize;

use crate::rate_limit::RateLimit;

/// Everything that can go wrong while building a request or reading a response.
///
/// Errors found before sending ([`Error::InvalidInput`]) are kept apart from
/// what the server sent ([`Error::Api`], [`Error::Decode`]) and from
/// pagination links the client will not follow. [`Error::kind`] gives a flat
/// [`ErrorKind`] to match on.
///
/// No variant contains the access token or a full pagination URL, whose
/// cursors may be sensitive.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A value was rejected before anything was sent.
    InvalidInput(InvalidInput),
    /// The API returned a status outside 2xx.
    Api(Box<ApiError>),
    /// A response was not what the contract describes: a body that is not the
    /// expected JSON, or a malformed `Link` header.
    Decode(Box<DecodeError>),
    /// A pagination link points to another origin (scheme, host or port) than
    /// the configured base URL, or carries userinfo. Following it would send
    /// the token elsewhere, so no request is built.
    OriginRejected {
        /// Origin of the link, as `scheme://host:port`, or `userinfo` when the
        /// link carries a user name or password.
        link_origin: String,
        /// Origin of the configured base URL.
        expected_origin: String,
    },
    /// A `next` link repeats one already followed in this listing, which would
    /// loop forever.
    RepeatedLink {
        /// Path of the repeated link, without its query.
        path: String,
        /// Pages fetched before the repeat was found.
        pages: usize,
    },
    /// A listing reached its page limit before the last page.
    TooManyPages {
        /// The limit that was reached.
        max_pages: usize,
    },
}

/// A coarse classification of [`Error`] for `match` without string comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Rejected before sending; see [`InvalidInput`].
    InvalidInput,
    /// 401: the token is missing, wrong or expired.
    Unauthorized,
    /// 403 other than the rate limit: the token lacks a scope or the account
    /// is not an organization admin.
    Forbidden,
    /// 403 with code `API_RATE_LIMIT_EXCEEDED`, or 429.
    RateLimited,
    /// 404: the user, invitation or credentials do not exist.
    NotFound,
    /// 400 or 422: the API rejected a parameter, named by [`ApiError::param`].
    InvalidRequest,
    /// 5xx.
    ServerError,
    /// Any other unexpected status.
    UnexpectedStatus,
    /// See [`Error::Decode`].
    Decode,
    /// See [`Error::OriginRejected`].
    OriginRejected,
    /// See [`Error::RepeatedLink`] and [`Error::TooManyPages`].
    Pagination,
    /// A transport timed out. This crate does no IO and never returns it;
    /// transports built on it, such as `flat-org-blocking`, do.
    Timeout,
    /// A transport could not connect, or the connection broke. Never
    /// returned by this crate itself.
    Connection,
    /// Any other transport failure, such as TLS or a response body over the
    /// size limit. Never returned by this crate itself.
    Transport,
}

impl Error {
    /// Classifies the error.
    ///
    /// ```
    /// use flat_org_core::{AccessToken, ErrorKind};
    ///
    /// let err = AccessToken::new("").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::Api(api) => api.kind(),
            Error::Decode(_) => ErrorKind::Decode,
            Error::OriginRejected { .. } => ErrorKind::OriginRejected,
            Error::RepeatedLink { .. } | Error::TooManyPages { .. } => ErrorKind::Pagination,
        }
    }

    /// Returns the API's error details when the server returned an error
    /// status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(input) => input.fmt(f),
            Error::Api(api) => api.fmt(f),
            Error::Decode(decode) => decode.fmt(f),
            Error::OriginRejected {
                link_origin,
                expected_origin,
            } => write!(
                f,
                "pagination link to {link_origin} rejected: only links to {expected_origin} \
                 are followed, so the token is not sent elsewhere"
            ),
            Error::RepeatedLink { path, pages } => write!(
                f,
                "pagination loop: the server repeated a next link to {path} after {pages} pages"
            ),
            Error::TooManyPages { max_pages } => write!(
                f,
                "listing stopped after {max_pages} pages; raise the page limit to list more"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<InvalidInput> for Error {
    fn from(input: InvalidInput) -> Error {
        Error::InvalidInput(input)
    }
}

/// A value rejected before sending: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    field: Cow<'static, str>,
    reason: String,
}

impl InvalidInput {
    /// Creates an error for `field`. `reason` states what is wrong and how to
    /// fix it, and must not contain secrets.
    ///
    /// ```
    /// let err = flat_org_core::InvalidInput::new("proxy", "has no host; use http://host:port");
    /// assert_eq!(err.to_string(), "invalid proxy: has no host; use http://host:port");
    /// ```
    pub fn new(field: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Name of the rejected field, as the API spells it (`limit`, `username`)
    /// or a description (`access token`, `base URL`).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// Returns what is wrong and how to fix it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.reason)
    }
}

/// The JSON error body the API sends with error statuses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ErrorBody {
    /// Machine-readable code, such as `API_RATE_LIMIT_EXCEEDED`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Identifier of the failed request, which Flat support requests.
    #[serde(default)]
    pub id: Option<String>,
    /// The parameter that caused the error, when the API names one.
    #[serde(default)]
    pub param: Option<String>,
}

/// An error status from the API, with the error body and rate-limit headers
/// of the response.
///
/// ```
/// use flat_org_core::{AccessToken, Api, ErrorKind, ops::ListUsers};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let response = http::Response::builder()
///     .status(403)
///     .header("x-ratelimit-reset", "1767225600")
///     .body(br#"{"code":"API_RATE_LIMIT_EXCEEDED","message":"Slow down","id":"e42"}"#)?;
/// let err = api.decode(&ListUsers::new(), &response).unwrap_err();
/// let api_error = err.api_error().expect("an error status");
/// assert_eq!(api_error.kind(), ErrorKind::RateLimited);
/// assert_eq!(api_error.id(), Some("e42"));
/// assert_eq!(api_error.rate_limit().reset, Some(1_767_225_600));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    body: Option<ErrorBody>,
    excerpt: Option<String>,
    rate_limit: RateLimit,
    write_outcome_unknown: bool,
}

/// Code of the 403 response sent when the token's hourly quota is used up.
pub const RATE_LIMIT_CODE: &str = "API_RATE_LIMIT_EXCEEDED";

impl ApiError {
    /// Reads an error response. The body is parsed as `{code, message, id,
    /// param}`; when it is not that JSON, a short excerpt of it is kept
    /// instead.
    pub(crate) fn new(status: StatusCode, rate_limit: RateLimit, body: &[u8]) -> ApiError {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(parsed) => ApiError {
                status,
                body: Some(parsed),
                excerpt: None,
                rate_limit,
                write_outcome_unknown: false,
            },
            Err(_) => ApiError {
                status,
                body: None,
                excerpt: (!body.is_empty()).then(|| excerpt(body)),
                rate_limit,
                write_outcome_unknown: false,
            },
        }
    }

    pub(crate) fn with_write_outcome_unknown(mut self) -> ApiError {
        self.write_outcome_unknown = true;
        self
    }

    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Returns the parsed error body, when the server sent one.
    pub fn body(&self) -> Option<&ErrorBody> {
        self.body.as_ref()
    }

    /// Returns the API's error code, such as `API_RATE_LIMIT_EXCEEDED`.
    pub fn code(&self) -> Option<&str> {
        self.body.as_ref().map(|b| b.code.as_str())
    }

    /// Returns the API's error `id`, to quote in support requests.
    pub fn id(&self) -> Option<&str> {
        self.body.as_ref().and_then(|b| b.id.as_deref())
    }

    /// Returns the parameter the API named as the cause.
    pub fn param(&self) -> Option<&str> {
        self.body.as_ref().and_then(|b| b.param.as_deref())
    }

    /// Returns the start of the body when it was not a JSON error body (an HTML
    /// error page from a proxy, say): its first 512 bytes, decoded as lossy
    /// UTF-8, so at most 1,536 bytes of text.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.excerpt.as_deref()
    }

    /// Returns the `X-RateLimit-*` values of the response.
    pub fn rate_limit(&self) -> &RateLimit {
        &self.rate_limit
    }

    /// Tells whether the failed request was a write (POST) that may or may
    /// not have been applied: the server failed with a 5xx after receiving
    /// it. Check the state before repeating such a write.
    pub fn write_outcome_unknown(&self) -> bool {
        self.write_outcome_unknown
    }

    /// Classifies the status and code.
    pub fn kind(&self) -> ErrorKind {
        match self.status.as_u16() {
            401 => ErrorKind::Unauthorized,
            403 if self.code() == Some(RATE_LIMIT_CODE) => ErrorKind::RateLimited,
            429 => ErrorKind::RateLimited,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            400 | 422 => ErrorKind::InvalidRequest,
            500..=599 => ErrorKind::ServerError,
            _ => ErrorKind::UnexpectedStatus,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "API returned {}", self.status)?;
        if let Some(body) = &self.body {
            write!(f, ": {}: {}", body.code, body.message)?;
            if let Some(param) = &body.param {
                write!(f, " (parameter {param})")?;
            }
            if let Some(id) = &body.id {
                write!(f, " (error id {id})")?;
            }
        }
        if self.write_outcome_unknown {
            f.write_str(
                "; the write may or may not have been applied, so check before repeating it",
            )?;
        }
        if self.status.is_redirection() {
            write!(
                f,
                "; redirects are not followed, so check the base URL's scheme and path"
            )?;
        }
        if let (ErrorKind::RateLimited, Some(reset)) = (self.kind(), self.rate_limit.reset) {
            write!(f, "; the limit resets at epoch second {reset}")?;
        }
        Ok(())
    }
}

/// A response body that is not what the contract describes.
#[derive(Debug, Clone)]
pub struct DecodeError {
    status: StatusCode,
    expected: &'static str,
    reason: String,
    excerpt: String,
}

/// Maximum length of the body excerpt kept in an error, in bytes.
const EXCERPT_BYTES: usize = 512;

fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT_BYTES)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if body.len() > EXCERPT_BYTES {
        text.push_str(&format!("... ({} bytes in all)", body.len()));
    }
    text
}

impl DecodeError {
    pub(crate) fn body(
        status: StatusCode,
        expected: &'static str,
        error: &serde_json::Error,
        body: &[u8],
    ) -> Error {
        Error::Decode(Box::new(DecodeError {
            status,
            expected,
            reason: error.to_string(),
            excerpt: excerpt(body),
        }))
    }

    /// Builds the error for a body that may contain secrets: neither the
    /// excerpt nor the reason quotes it, because serde_json's messages quote
    /// the offending value.
    pub(crate) fn secret_body(
        status: StatusCode,
        expected: &'static str,
        error: &serde_json::Error,
    ) -> Error {
        Error::Decode(Box::new(DecodeError {
            status,
            expected,
            reason: format!(
                "invalid {} at line {} column {}",
                match error.classify() {
                    serde_json::error::Category::Io => "input",
                    serde_json::error::Category::Syntax => "JSON syntax",
                    serde_json::error::Category::Data => "JSON data",
                    serde_json::error::Category::Eof => "JSON: unexpected end",
                },
                error.line(),
                error.column()
            ),
            excerpt: "(not kept: the body may contain credentials)".to_owned(),
        }))
    }

    pub(crate) fn header(status: StatusCode, expected: &'static str, reason: String) -> Error {
        Error::Decode(Box::new(DecodeError {
            status,
            expected,
            reason,
            excerpt: String::new(),
        }))
    }

    /// HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Returns what was expected, such as `a JSON array of users`.
    pub fn expected(&self) -> &str {
        self.expected
    }

    /// Returns why decoding failed, with the line and column for JSON.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Returns the start of the body: its first 512 bytes, decoded as lossy UTF-8,
    /// so at most 1,536 bytes of text when every byte is invalid.
    /// For bodies that may contain credentials (LTI credentials), a note
    /// that the body was not kept.
    pub fn body_excerpt(&self) -> &str {
        &self.excerpt
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "response with status {} is not {}: {}",
            self.status, self.expected, self.reason
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_parses_body() {
        let body = br#"{"code":"BAD_REQUEST","message":"Invalid limit","id":"e1","param":"limit"}"#;
        let err = ApiError::new(StatusCode::BAD_REQUEST, RateLimit::default(), body);
        assert_eq!(err.code(), Some("BAD_REQUEST"));
        assert_eq!(err.id(), Some("e1"));
        assert_eq!(err.param(), Some("limit"));
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert_eq!(
            err.to_string(),
            "API returned 400 Bad Request: BAD_REQUEST: Invalid limit (parameter limit) \
             (error id e1)"
        );
    }

    #[test]
    fn api_error_keeps_excerpt_of_html() {
        let body = format!("<html>{}</html>", "x".repeat(2000));
        let err = ApiError::new(
            StatusCode::BAD_GATEWAY,
            RateLimit::default(),
            body.as_bytes(),
        );
        assert!(err.body().is_none());
        let excerpt = err.body_excerpt().unwrap();
        assert!(excerpt.starts_with("<html>"));
        assert!(excerpt.ends_with("(2013 bytes in all)"), "{excerpt}");
        assert_eq!(err.kind(), ErrorKind::ServerError);
    }

    #[test]
    fn rate_limit_only_with_code() {
        let limited = br#"{"code":"API_RATE_LIMIT_EXCEEDED","message":"slow down"}"#;
        let rate_limit = RateLimit {
            limit: Some(5000),
            remaining: Some(0),
            reset: Some(1_800_000_000),
        };
        let err = ApiError::new(StatusCode::FORBIDDEN, rate_limit, limited);
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert!(
            err.to_string()
                .ends_with("resets at epoch second 1800000000")
        );

        let forbidden = br#"{"code":"FORBIDDEN","message":"not an admin"}"#;
        let err = ApiError::new(StatusCode::FORBIDDEN, RateLimit::default(), forbidden);
        assert_eq!(err.kind(), ErrorKind::Forbidden);
    }

    #[test]
    fn redirect_names_the_cause() {
        let err = ApiError::new(StatusCode::FOUND, RateLimit::default(), b"");
        assert_eq!(err.kind(), ErrorKind::UnexpectedStatus);
        assert!(
            err.to_string().contains("redirects are not followed"),
            "{err}"
        );
    }

    #[test]
    fn excerpt_of_invalid_utf8_is_lossy() {
        let json_error = serde_json::from_slice::<u8>(b"x").unwrap_err();
        let err = DecodeError::body(StatusCode::OK, "a user", &json_error, &[0xff, b'a', 0xfe]);
        let Error::Decode(decode) = err else {
            panic!("expected a decode error");
        };
        assert_eq!(decode.body_excerpt(), "\u{fffd}a\u{fffd}");
    }

    #[test]
    fn excerpt_of_invalid_bytes_is_bounded() {
        // Found by fuzzing: each invalid byte becomes a 3-byte U+FFFD.
        let text = excerpt(&[0xff; 600]);
        assert!(text.starts_with("\u{fffd}"));
        assert!(text.len() <= 3 * EXCERPT_BYTES + 30, "{}", text.len());
        assert!(text.ends_with("(600 bytes in all)"));
    }

    #[test]
    fn excerpt_cut_inside_utf8_char() {
        let mut body = vec![b'a'; EXCERPT_BYTES - 1];
        body.extend_from_slice("é".as_bytes());
        let text = excerpt(&body);
        assert!(text.ends_with("(513 bytes in all)"), "{text}");
    }
}
