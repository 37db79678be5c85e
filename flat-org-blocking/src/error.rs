//! The client's error type.

use std::fmt;

use flat_org_core::http::Method;
use flat_org_core::{ErrorKind, TransportFailure};

/// Everything a [`Client`](crate::Client) call can fail with.
///
/// [`Error::kind`] classifies it for `match` without string comparison.
/// Messages name the method and path of the request, never the token or the
/// query string, whose pagination cursors may be sensitive.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Found by the core: rejected input, an error status from the API (with
    /// its `{code, message, id, param}` body and rate-limit headers), an
    /// undecodable response, or a page link the client will not follow.
    Core(flat_org_core::Error),
    /// The request did not complete within a configured timeout.
    Timeout {
        /// The request that timed out.
        request: RequestLine,
        /// The transport's error message.
        message: String,
        /// Whether the whole request may have reached the server, so that
        /// a write (POST) may have been applied.
        request_sent: bool,
    },
    /// Connecting failed, or the connection broke before the response was
    /// complete.
    Connection {
        /// The failed request.
        request: RequestLine,
        /// The transport's error message.
        message: String,
        /// Whether the whole request may have reached the server, so that
        /// a write (POST) may have been applied.
        request_sent: bool,
    },
    /// The response body is larger than the configured maximum.
    BodyTooLarge {
        /// The request whose response was too large.
        request: RequestLine,
        /// The maximum, in bytes.
        limit: u64,
    },
    /// Another transport failure, such as a TLS error or a malformed
    /// response head.
    Transport {
        /// The failed request.
        request: RequestLine,
        /// The transport's error message.
        message: String,
    },
}

/// The method and path of a request, for error messages. The query is left
/// out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    /// HTTP method.
    pub method: Method,
    /// URL path, percent-encoded, without the query.
    pub path: String,
}

impl fmt::Display for RequestLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

impl Error {
    /// Classifies the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Core(core) => core.kind(),
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Connection { .. } => ErrorKind::Connection,
            Error::BodyTooLarge { .. } | Error::Transport { .. } => ErrorKind::Transport,
        }
    }

    /// Returns the API's error details when the server returned an
    /// error status.
    pub fn api_error(&self) -> Option<&flat_org_core::ApiError> {
        match self {
            Error::Core(core) => core.api_error(),
            _ => None,
        }
    }

    pub(crate) fn from_transport(request: RequestLine, error: ureq::Error) -> Error {
        use std::io::ErrorKind as Io;
        use ureq::Timeout as Phase;
        let message = error.to_string();
        match error {
            ureq::Error::Timeout(phase) => Error::Timeout {
                request,
                message,
                // Before the request is fully written, the server cannot
                // act on it.
                request_sent: !matches!(
                    phase,
                    Phase::Resolve | Phase::Connect | Phase::SendRequest | Phase::SendBody
                ),
            },
            ureq::Error::Io(io) if matches!(io.kind(), Io::TimedOut | Io::WouldBlock) => {
                Error::Timeout {
                    request,
                    message,
                    request_sent: true,
                }
            }
            ureq::Error::Io(io) => Error::Connection {
                request,
                message,
                // ureq reports failed connects as these I/O errors too.
                request_sent: !matches!(
                    io.kind(),
                    Io::ConnectionRefused
                        | Io::NetworkUnreachable
                        | Io::HostUnreachable
                        | Io::AddrNotAvailable
                        | Io::PermissionDenied
                ),
            },
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => Error::Connection {
                request,
                message,
                request_sent: false,
            },
            ureq::Error::BodyExceedsLimit(limit) => Error::BodyTooLarge { request, limit },
            // ureq's message repeats the whole URI, query included.
            ureq::Error::BadUri(_) => Error::Transport {
                request,
                message: "the request URI is not absolute or not valid".to_owned(),
            },
            _ => Error::Transport { request, message },
        }
    }

    /// Returns the retry policy's view of a transport error; `None` for failures
    /// that retrying cannot fix.
    pub(crate) fn transport_failure(&self) -> Option<TransportFailure> {
        match self {
            Error::Timeout { request_sent, .. } => Some(TransportFailure {
                timeout: true,
                request_sent: *request_sent,
            }),
            Error::Connection { request_sent, .. } => Some(TransportFailure {
                timeout: false,
                request_sent: *request_sent,
            }),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Core(core) => core.fmt(f),
            Error::Timeout {
                request,
                message,
                request_sent,
            } => {
                write!(f, "{request} timed out: {message}")?;
                write_outcome_note(f, request, *request_sent)
            }
            Error::Connection {
                request,
                message,
                request_sent,
            } => {
                write!(f, "{request} failed: connection error: {message}")?;
                write_outcome_note(f, request, *request_sent)
            }
            Error::BodyTooLarge { request, limit } => write!(
                f,
                "{request} failed: response body exceeds the limit of {limit} bytes; \
                 raise ClientBuilder::max_body_size or lower the page limit"
            ),
            Error::Transport { request, message } => write!(f, "{request} failed: {message}"),
        }
    }
}

fn write_outcome_note(
    f: &mut fmt::Formatter<'_>,
    request: &RequestLine,
    request_sent: bool,
) -> fmt::Result {
    if request_sent && request.method == Method::POST {
        f.write_str("; the write may or may not have been applied, so check before repeating it")?;
    }
    Ok(())
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Core(core) => std::error::Error::source(core),
            _ => None,
        }
    }
}

impl From<flat_org_core::Error> for Error {
    fn from(error: flat_org_core::Error) -> Error {
        Error::Core(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(method: Method) -> RequestLine {
        RequestLine {
            method,
            path: "/v2/organizations/users".to_owned(),
        }
    }

    fn sent(error: ureq::Error) -> Option<bool> {
        Error::from_transport(line(Method::POST), error)
            .transport_failure()
            .map(|failure| failure.request_sent)
    }

    #[test]
    fn timeouts_before_sending_are_not_sent() {
        for phase in [
            ureq::Timeout::Resolve,
            ureq::Timeout::Connect,
            ureq::Timeout::SendRequest,
            ureq::Timeout::SendBody,
        ] {
            assert_eq!(sent(ureq::Error::Timeout(phase)), Some(false), "{phase:?}");
        }
        for phase in [ureq::Timeout::RecvResponse, ureq::Timeout::RecvBody] {
            assert_eq!(sent(ureq::Error::Timeout(phase)), Some(true), "{phase:?}");
        }
    }

    #[test]
    fn refused_connections_are_not_sent() {
        use std::io::{Error as IoError, ErrorKind as Io};
        assert_eq!(sent(ureq::Error::ConnectionFailed), Some(false));
        assert_eq!(sent(ureq::Error::HostNotFound), Some(false));
        for kind in [
            Io::ConnectionRefused,
            Io::NetworkUnreachable,
            Io::HostUnreachable,
            Io::AddrNotAvailable,
        ] {
            assert_eq!(sent(IoError::from(kind).into()), Some(false), "{kind:?}");
        }
        assert_eq!(sent(IoError::from(Io::ConnectionReset).into()), Some(true));
        assert_eq!(sent(IoError::from(Io::UnexpectedEof).into()), Some(true));
        assert_eq!(sent(ureq::Error::BodyExceedsLimit(10)), None);
    }

    #[test]
    fn bad_uri_message_hides_query() {
        let err = Error::from_transport(
            line(Method::GET),
            ureq::Error::BadUri("/v2/organizations/users?next=CURSOR".to_owned()),
        );
        assert!(!err.to_string().contains("CURSOR"), "{err}");
    }

    #[test]
    fn post_note_only_when_sent() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let lost = Error::from_transport(line(Method::POST), reset.into());
        assert!(
            lost.to_string()
                .contains("may or may not have been applied"),
            "{lost}"
        );
        let refused = Error::from_transport(line(Method::POST), ureq::Error::ConnectionFailed);
        assert!(!refused.to_string().contains("may or may not"), "{refused}");
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let get = Error::from_transport(line(Method::GET), reset.into());
        assert!(!get.to_string().contains("may or may not"), "{get}");
    }
}
