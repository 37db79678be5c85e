//! HTTP/1.1 on the wire, for callers that have only a byte stream: request
//! serialization and an incremental response parser.
//!
//! [`write_request`] turns a request from [`Api::request`](crate::Api::request)
//! into bytes. [`ResponseParser`] takes the bytes that come back in pieces of
//! any size and returns the response once it is complete. Head size, header
//! count and body size are limited, so a hostile peer costs bounded memory.
//!
//! ```
//! use flat_org_core::wire::{Progress, ResponseParser, write_request};
//! use flat_org_core::{AccessToken, Api, ops::RemoveUser};
//!
//! let api = Api::new(AccessToken::new("t0k3n")?).base_url("http://127.0.0.1:4010/v2")?;
//! let request = api.request(&RemoveUser::new("u1"))?;
//! let bytes = write_request(&request)?;
//! assert!(bytes.starts_with(b"DELETE /v2/organizations/users/u1 HTTP/1.1\r\nhost: 127.0.0.1:4010\r\n"));
//!
//! let mut parser = ResponseParser::new(request.method());
//! assert!(matches!(parser.feed(b"HTTP/1.1 204 No Content\r\n")?, Progress::Incomplete));
//! let Progress::Complete(response) = parser.feed(b"x-ratelimit-remaining: 7\r\n\r\n")? else {
//!     panic!("a 204 head ends the response");
//! };
//! api.decode(&RemoveUser::new("u1"), &response)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Version};

/// Largest response head accepted, in bytes.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Most header fields accepted in a response head.
pub const MAX_HEADERS: usize = 100;

/// Default largest body accepted, in bytes: 16 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Maximum length of a chunk-size line, extensions included.
const MAX_CHUNK_LINE: usize = 4096;

/// A response the parser cannot accept.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The head is not valid HTTP/1.x.
    InvalidHead(String),
    /// The head is larger than [`MAX_HEAD_BYTES`] or has more than
    /// [`MAX_HEADERS`] fields.
    HeadTooLarge,
    /// `Content-Length` is missing a value, repeated with different values,
    /// or not a number.
    InvalidContentLength,
    /// A transfer coding other than `chunked` alone, or chunked framing in
    /// an HTTP/1.0 response.
    UnsupportedTransferEncoding,
    /// Both `Transfer-Encoding` and `Content-Length`, which RFC 9112 section
    /// 6.3 treats as faulty framing.
    ConflictingFraming,
    /// A chunk-size line or chunk terminator is malformed.
    InvalidChunk,
    /// The body is larger than the parser's limit.
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The stream ended before the response was complete.
    Truncated,
    /// Bytes were fed after the response was complete.
    AlreadyComplete,
    /// The request cannot be written: a header value or URI that is not
    /// valid on the wire.
    InvalidRequest(String),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::InvalidHead(reason) => write!(f, "invalid response head: {reason}"),
            WireError::HeadTooLarge => write!(
                f,
                "response head exceeds {MAX_HEAD_BYTES} bytes or {MAX_HEADERS} fields"
            ),
            WireError::InvalidContentLength => f.write_str("invalid Content-Length"),
            WireError::UnsupportedTransferEncoding => {
                f.write_str("unsupported Transfer-Encoding; only chunked is accepted")
            }
            WireError::ConflictingFraming => {
                f.write_str("both Transfer-Encoding and Content-Length")
            }
            WireError::InvalidChunk => f.write_str("invalid chunked body"),
            WireError::BodyTooLarge { limit } => {
                write!(f, "response body exceeds the limit of {limit} bytes")
            }
            WireError::Truncated => f.write_str("connection closed before the response ended"),
            WireError::AlreadyComplete => f.write_str("bytes fed after the response ended"),
            WireError::InvalidRequest(reason) => write!(f, "request cannot be written: {reason}"),
        }
    }
}

impl std::error::Error for WireError {}

/// Serializes a request as HTTP/1.1: request line in origin form, `Host`,
/// the request's headers, `Content-Length` when there is a body, and the
/// body.
///
/// # Errors
///
/// [`WireError::InvalidRequest`] when the URI has no host or a header
/// value contains CR, LF or NUL.
pub fn write_request(request: &Request<Vec<u8>>) -> Result<Vec<u8>, WireError> {
    let uri = request.uri();
    let host = uri
        .host()
        .ok_or_else(|| WireError::InvalidRequest("the URI has no host".to_owned()))?;
    // Host is the authority without userinfo (RFC 9110 section 7.2).
    let authority = match uri.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let target = uri.path_and_query().map_or("/", |p| p.as_str());

    let mut out = Vec::with_capacity(256 + request.body().len());
    out.extend_from_slice(request.method().as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(authority.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in request.headers() {
        if name == HOST || name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue;
        }
        if value
            .as_bytes()
            .iter()
            .any(|b| matches!(b, b'\r' | b'\n' | 0))
        {
            return Err(WireError::InvalidRequest(format!(
                "header {name} contains CR, LF or NUL"
            )));
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let has_body = !request.body().is_empty()
        || matches!(
            *request.method(),
            Method::POST | Method::PUT | Method::PATCH
        );
    if has_body {
        out.extend_from_slice(format!("content-length: {}\r\n", request.body().len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(request.body());
    Ok(out)
}

/// The result of [`ResponseParser::feed`].
#[derive(Debug)]
pub enum Progress {
    /// More bytes are needed.
    Incomplete,
    /// The response is complete. Bytes after it stay in the parser, see
    /// [`ResponseParser::trailing_bytes`].
    Complete(Response<Vec<u8>>),
}

/// The framing that marks the end of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body: 204, 304, or a response to HEAD.
    Empty,
    /// `Content-Length` bytes.
    Length(usize),
    /// `Transfer-Encoding: chunked` (RFC 9112 section 7.1).
    Chunked,
    /// Everything until the connection closes (RFC 9112 section 6.3, rule 8).
    UntilClose,
}

#[derive(Debug)]
enum State {
    Head,
    Body {
        head: Box<(StatusCode, Version, HeaderMap)>,
        framing: Framing,
    },
    Done,
    /// A previous feed failed with this error.
    Failed(WireError),
}

/// Chunked-body decoding position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside chunk data, with this many bytes left.
    Data(usize),
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// After the last chunk, reading trailer lines until an empty one.
    Trailers,
}

/// Most interim (1xx) responses accepted before the final one.
const MAX_INTERIM_RESPONSES: usize = 16;

/// An incremental HTTP/1.1 response parser.
///
/// Feed it the bytes read from the connection, in pieces of any size, until
/// it returns [`Progress::Complete`]; call [`finish`](ResponseParser::finish)
/// if the connection closes first. Feeding the same bytes whole or split
/// anywhere gives the same result, and the work is linear in the bytes fed.
///
/// Framing that RFC 9112 calls faulty is an error rather than a guess:
/// `Transfer-Encoding` with `Content-Length`, chunked framing in HTTP/1.0,
/// malformed chunk lines and trailers. Bytes after the end of the response
/// are kept in [`trailing_bytes`](ResponseParser::trailing_bytes); a
/// connection that delivered any is out of step and must be closed.
#[derive(Debug)]
pub struct ResponseParser {
    method: Method,
    max_body: usize,
    /// Received bytes; those before `start` are consumed.
    buffer: Vec<u8>,
    start: usize,
    /// Offset from `start` up to which the head has been searched for its
    /// end, so that a head fed byte by byte is scanned once.
    head_scanned: usize,
    interim: usize,
    state: State,
    body: Vec<u8>,
    chunk: Chunk,
}

impl ResponseParser {
    /// Creates a parser for the response to a request with `method`, with
    /// the default body limit, [`DEFAULT_MAX_BODY_BYTES`].
    pub fn new(method: &Method) -> ResponseParser {
        ResponseParser::with_max_body(method, DEFAULT_MAX_BODY_BYTES)
    }

    /// Creates a parser that accepts bodies of at most `max_body` bytes.
    pub fn with_max_body(method: &Method, max_body: usize) -> ResponseParser {
        ResponseParser {
            method: method.clone(),
            max_body,
            buffer: Vec::new(),
            start: 0,
            head_scanned: 0,
            interim: 0,
            state: State::Head,
            body: Vec::new(),
            chunk: Chunk::Size,
        }
    }

    /// Takes the next bytes read from the connection.
    ///
    /// # Errors
    ///
    /// A [`WireError`] when the bytes cannot be a valid response within the
    /// limits. After an error the parser stays failed and returns the same
    /// error for every later call.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Progress, WireError> {
        let result = self.advance(bytes);
        if let Err(error) = &result {
            self.state = State::Failed(error.clone());
        }
        result
    }

    /// Returns the bytes received after the end of the response.
    pub fn trailing_bytes(&self) -> &[u8] {
        match self.state {
            State::Done => self.pending(),
            _ => &[],
        }
    }

    fn advance(&mut self, bytes: &[u8]) -> Result<Progress, WireError> {
        match &self.state {
            State::Done => return Err(WireError::AlreadyComplete),
            State::Failed(error) => return Err(error.clone()),
            State::Head | State::Body { .. } => {}
        }
        // Dropping consumed bytes once per feed keeps the cost of each feed
        // proportional to the bytes still pending, not to all received.
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
        loop {
            match &self.state {
                State::Head => {
                    if !self.parse_head()? {
                        return Ok(Progress::Incomplete);
                    }
                }
                State::Body { framing, .. } => {
                    let framing = *framing;
                    return if self.parse_body(framing)? {
                        Ok(Progress::Complete(self.take_response()))
                    } else {
                        Ok(Progress::Incomplete)
                    };
                }
                State::Done => return Err(WireError::AlreadyComplete),
                State::Failed(error) => return Err(error.clone()),
            }
        }
    }

    /// Ends the response when the connection closes. Only a body delimited
    /// by the close can end this way.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] when the response is not complete, or the
    /// error of an earlier failed feed.
    pub fn finish(&mut self) -> Result<Response<Vec<u8>>, WireError> {
        match &self.state {
            State::Body {
                framing: Framing::UntilClose,
                ..
            } => {
                let pending = self.buffer.len() - self.start;
                self.body.extend_from_slice(&self.buffer[self.start..]);
                self.start += pending;
                Ok(self.take_response())
            }
            State::Failed(error) => Err(error.clone()),
            _ => Err(WireError::Truncated),
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buffer[self.start..]
    }

    /// Parses the head once it is complete; returns whether it was. Skips
    /// 1xx interim responses.
    fn parse_head(&mut self) -> Result<bool, WireError> {
        let Some(head_end) = self.find_head_end() else {
            if self.pending().len() > MAX_HEAD_BYTES {
                return Err(WireError::HeadTooLarge);
            }
            return Ok(false);
        };
        if head_end > MAX_HEAD_BYTES {
            return Err(WireError::HeadTooLarge);
        }
        let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Response::new(&mut fields);
        let length = match parsed.parse(&self.buffer[self.start..self.start + head_end]) {
            Ok(httparse::Status::Complete(length)) => length,
            Ok(httparse::Status::Partial) => {
                return Err(WireError::InvalidHead("incomplete head".to_owned()));
            }
            Err(httparse::Error::TooManyHeaders) => return Err(WireError::HeadTooLarge),
            Err(e) => return Err(WireError::InvalidHead(e.to_string())),
        };
        let code = parsed
            .code
            .ok_or_else(|| WireError::InvalidHead("no status code".to_owned()))?;
        let status = StatusCode::from_u16(code)
            .map_err(|_| WireError::InvalidHead(format!("status code {code}")))?;
        let version = if parsed.version == Some(0) {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        };
        let mut headers = HeaderMap::with_capacity(parsed.headers.len());
        for field in parsed.headers.iter() {
            let name = HeaderName::from_bytes(field.name.as_bytes())
                .map_err(|_| WireError::InvalidHead(format!("header name {:?}", field.name)))?;
            let value = HeaderValue::from_bytes(field.value)
                .map_err(|_| WireError::InvalidHead(format!("value of header {name}")))?;
            headers.append(name, value);
        }
        self.start += length;
        self.head_scanned = 0;

        if status == StatusCode::SWITCHING_PROTOCOLS {
            return Err(WireError::InvalidHead(
                "101 Switching Protocols: no upgrade was requested".to_owned(),
            ));
        }
        if status.is_informational() {
            // RFC 9112 section 4: interim responses precede the final one.
            self.interim += 1;
            if self.interim > MAX_INTERIM_RESPONSES {
                return Err(WireError::InvalidHead(format!(
                    "more than {MAX_INTERIM_RESPONSES} interim responses"
                )));
            }
            return Ok(true);
        }
        let framing = self.framing(status, version, &headers)?;
        self.state = State::Body {
            head: Box::new((status, version, headers)),
            framing,
        };
        Ok(true)
    }

    /// Returns the length of the head, blank line included, once the
    /// pending bytes contain one. A line ends with LF, optionally preceded
    /// by CR (RFC 9112 section 2.2).
    fn find_head_end(&mut self) -> Option<usize> {
        let pending = &self.buffer[self.start..];
        // Resume a little before the last scan, since a blank line may
        // straddle two feeds.
        let from = self.head_scanned.saturating_sub(3);
        let mut position = from;
        while let Some(offset) = pending[position..].iter().position(|&b| b == b'\n') {
            let newline = position + offset;
            match pending.get(newline + 1) {
                Some(b'\n') => return Some(newline + 2),
                Some(b'\r') if pending.get(newline + 2) == Some(&b'\n') => {
                    return Some(newline + 3);
                }
                _ => position = newline + 1,
            }
        }
        self.head_scanned = pending.len();
        None
    }

    /// Chooses the body framing by RFC 9112 section 6.3.
    fn framing(
        &self,
        status: StatusCode,
        version: Version,
        headers: &HeaderMap,
    ) -> Result<Framing, WireError> {
        if self.method == Method::HEAD
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
        {
            return Ok(Framing::Empty);
        }
        if headers.contains_key(TRANSFER_ENCODING) {
            // Section 6.3: both headers at once is faulty framing, a sign of
            // request smuggling; so is chunked framing in HTTP/1.0.
            if headers.contains_key(CONTENT_LENGTH) {
                return Err(WireError::ConflictingFraming);
            }
            if version == Version::HTTP_10 {
                return Err(WireError::UnsupportedTransferEncoding);
            }
            let mut codings = Vec::new();
            for value in headers.get_all(TRANSFER_ENCODING) {
                let text = value
                    .to_str()
                    .map_err(|_| WireError::UnsupportedTransferEncoding)?;
                codings.extend(text.split(',').map(str::trim).filter(|c| !c.is_empty()));
            }
            return match codings.as_slice() {
                [only] if only.eq_ignore_ascii_case("chunked") => Ok(Framing::Chunked),
                _ => Err(WireError::UnsupportedTransferEncoding),
            };
        }
        let mut length = None;
        for value in headers.get_all(CONTENT_LENGTH) {
            for part in value
                .to_str()
                .map_err(|_| WireError::InvalidContentLength)?
                .split(',')
            {
                let part = part.trim();
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(WireError::InvalidContentLength);
                }
                let parsed: usize = part.parse().map_err(|_| WireError::InvalidContentLength)?;
                if length.is_some_and(|known| known != parsed) {
                    return Err(WireError::InvalidContentLength);
                }
                length = Some(parsed);
            }
        }
        match length {
            Some(length) if length > self.max_body => Err(WireError::BodyTooLarge {
                limit: self.max_body,
            }),
            Some(length) => Ok(Framing::Length(length)),
            None => Ok(Framing::UntilClose),
        }
    }

    /// Moves pending body bytes into the body; returns whether it is
    /// complete.
    fn parse_body(&mut self, framing: Framing) -> Result<bool, WireError> {
        match framing {
            Framing::Empty => Ok(true),
            Framing::Length(length) => {
                let take = (length - self.body.len()).min(self.pending().len());
                self.take_body(take);
                Ok(self.body.len() == length)
            }
            Framing::UntilClose => {
                let pending = self.pending().len();
                if self.body.len() + pending > self.max_body {
                    return Err(WireError::BodyTooLarge {
                        limit: self.max_body,
                    });
                }
                self.take_body(pending);
                Ok(false)
            }
            Framing::Chunked => self.parse_chunks(),
        }
    }

    fn take_body(&mut self, count: usize) {
        self.body
            .extend_from_slice(&self.buffer[self.start..self.start + count]);
        self.start += count;
    }

    fn parse_chunks(&mut self) -> Result<bool, WireError> {
        loop {
            match self.chunk {
                Chunk::Size => {
                    let Some(line) = self.take_line()? else {
                        return Ok(false);
                    };
                    let size = parse_chunk_size(&line)?;
                    if self.body.len().saturating_add(size) > self.max_body {
                        return Err(WireError::BodyTooLarge {
                            limit: self.max_body,
                        });
                    }
                    self.chunk = if size == 0 {
                        Chunk::Trailers
                    } else {
                        Chunk::Data(size)
                    };
                }
                Chunk::Data(left) => {
                    let take = left.min(self.pending().len());
                    if take == 0 {
                        return Ok(false);
                    }
                    self.take_body(take);
                    self.chunk = if take == left {
                        Chunk::DataEnd
                    } else {
                        Chunk::Data(left - take)
                    };
                }
                Chunk::DataEnd => {
                    let pending = self.pending();
                    if pending.len() < 2 {
                        return Ok(false);
                    }
                    if &pending[..2] != b"\r\n" {
                        return Err(WireError::InvalidChunk);
                    }
                    self.start += 2;
                    self.chunk = Chunk::Size;
                }
                Chunk::Trailers => {
                    // Trailer fields are checked for shape and dropped: the
                    // API sends none that matter.
                    let Some(line) = self.take_line()? else {
                        return Ok(false);
                    };
                    if line.is_empty() {
                        return Ok(true);
                    }
                    check_trailer(&line)?;
                }
            }
        }
    }

    /// Takes one CRLF-terminated line from the pending bytes, without the
    /// CRLF. A bare CR or LF inside the line is an error, because peers
    /// that split lines differently would frame the body differently.
    fn take_line(&mut self) -> Result<Option<Vec<u8>>, WireError> {
        let pending = self.pending();
        let scan = &pending[..pending.len().min(MAX_CHUNK_LINE + 2)];
        let Some(end) = scan.windows(2).position(|pair| pair == b"\r\n") else {
            if pending.len() > MAX_CHUNK_LINE + 1 {
                return Err(WireError::InvalidChunk);
            }
            return Ok(None);
        };
        let line = pending[..end].to_vec();
        if line.iter().any(|&b| b == b'\r' || b == b'\n') {
            return Err(WireError::InvalidChunk);
        }
        self.start += end + 2;
        Ok(Some(line))
    }

    fn take_response(&mut self) -> Response<Vec<u8>> {
        let state = std::mem::replace(&mut self.state, State::Done);
        let State::Body { head, .. } = state else {
            unreachable!("take_response is called only with a parsed head");
        };
        let (status, version, headers) = *head;
        let mut response = Response::new(std::mem::take(&mut self.body));
        *response.status_mut() = status;
        *response.version_mut() = version;
        *response.headers_mut() = headers;
        response
    }
}

/// Checks that a trailer line is a field line: a token, a colon and a value
/// without control bytes other than tab.
fn check_trailer(line: &[u8]) -> Result<(), WireError> {
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(WireError::InvalidChunk)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    let name_ok = !name.is_empty() && name.iter().all(|&b| is_tchar(b));
    let value_ok = value.iter().all(|&b| b == b'\t' || !b.is_ascii_control());
    if name_ok && value_ok {
        Ok(())
    } else {
        Err(WireError::InvalidChunk)
    }
}

/// `tchar` of RFC 9110 section 5.6.2.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Parses `chunk-size [ chunk-ext ]` (RFC 9112 section 7.1.1): hex digits,
/// then nothing, or optional whitespace and `;` extensions, which are
/// ignored but must not contain control bytes.
fn parse_chunk_size(line: &[u8]) -> Result<usize, WireError> {
    let digits_end = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    let (digits, rest) = line.split_at(digits_end);
    let extension = rest.trim_ascii_start();
    let extension_ok = rest.is_empty()
        || (extension.first() == Some(&b';')
            && extension
                .iter()
                .all(|&b| b == b'\t' || !b.is_ascii_control()));
    let leading_zeros = digits.iter().take_while(|&&b| b == b'0').count();
    let significant = &digits[leading_zeros..];
    if digits.is_empty() || significant.len() > 15 || !extension_ok {
        return Err(WireError::InvalidChunk);
    }
    if significant.is_empty() {
        return Ok(0);
    }
    let text = std::str::from_utf8(significant).map_err(|_| WireError::InvalidChunk)?;
    usize::from_str_radix(text, 16).map_err(|_| WireError::InvalidChunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Status, version, headers and body: what a comparison of two parsed
    /// responses needs, since `http::Response` has no `PartialEq`.
    type Snapshot = (StatusCode, Version, Vec<(String, Vec<u8>)>, Vec<u8>);

    fn snapshot(result: Result<Response<Vec<u8>>, WireError>) -> Result<Snapshot, WireError> {
        result.map(|response| {
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
                .collect();
            (
                response.status(),
                response.version(),
                headers,
                response.body().clone(),
            )
        })
    }

    fn is_incomplete(progress: Result<Progress, WireError>) -> bool {
        matches!(progress, Ok(Progress::Incomplete))
    }

    fn parse_whole(bytes: &[u8], method: &Method) -> Result<Response<Vec<u8>>, WireError> {
        let mut parser = ResponseParser::with_max_body(method, 1024);
        match parser.feed(bytes)? {
            Progress::Complete(response) => Ok(response),
            Progress::Incomplete => parser.finish(),
        }
    }

    fn parse_bytewise(bytes: &[u8], method: &Method) -> Result<Response<Vec<u8>>, WireError> {
        let mut parser = ResponseParser::with_max_body(method, 1024);
        for byte in bytes {
            if let Progress::Complete(response) = parser.feed(std::slice::from_ref(byte))? {
                return Ok(response);
            }
        }
        parser.finish()
    }

    const LENGTH: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]";
    const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
        4;ext=1\r\n[{}]\r\n1\r\n \r\n0\r\nX-Trailer: y\r\n\r\n";

    #[test]
    fn content_length_body() {
        let response = parse_whole(LENGTH, &Method::GET).unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.body(), b"[]");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            snapshot(parse_bytewise(LENGTH, &Method::GET)),
            snapshot(Ok(response))
        );
    }

    #[test]
    fn chunked_body() {
        let response = parse_whole(CHUNKED, &Method::GET).unwrap();
        assert_eq!(response.body(), b"[{}] ");
        assert_eq!(
            snapshot(parse_bytewise(CHUNKED, &Method::GET)),
            snapshot(Ok(response))
        );
    }

    #[test]
    fn close_delimited_body() {
        let bytes = b"HTTP/1.1 200 OK\r\n\r\n[1,2]";
        let response = parse_bytewise(bytes, &Method::GET).unwrap();
        assert_eq!(response.body(), b"[1,2]");
    }

    #[test]
    fn no_body_statuses_and_head() {
        let no_content = b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
        assert!(
            parse_whole(no_content, &Method::DELETE)
                .unwrap()
                .body()
                .is_empty()
        );
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
        assert!(parse_whole(head, &Method::HEAD).unwrap().body().is_empty());
    }

    #[test]
    fn interim_response_skipped() {
        let bytes =
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(parse_bytewise(bytes, &Method::POST).unwrap().status(), 201);
    }

    #[test]
    fn every_prefix_is_incomplete() {
        for bytes in [LENGTH, CHUNKED] {
            for end in 0..bytes.len() {
                let mut parser = ResponseParser::new(&Method::GET);
                assert!(
                    is_incomplete(parser.feed(&bytes[..end])),
                    "prefix of {end} bytes"
                );
                let finished = parser.finish().map(|_| ());
                assert_eq!(finished, Err(WireError::Truncated), "prefix of {end} bytes");
            }
        }
    }

    #[test]
    fn malformed_responses_are_errors() {
        let cases: [(&[u8], WireError); 7] = [
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                WireError::InvalidContentLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
                WireError::InvalidContentLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                WireError::InvalidContentLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                WireError::UnsupportedTransferEncoding,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                WireError::InvalidChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc",
                WireError::InvalidChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n",
                WireError::BodyTooLarge { limit: 1024 },
            ),
        ];
        for (bytes, expected) in cases {
            let whole = parse_whole(bytes, &Method::GET).map(|_| ());
            assert_eq!(whole, Err(expected.clone()), "{bytes:?}");
            let bytewise = parse_bytewise(bytes, &Method::GET).map(|_| ());
            assert_eq!(bytewise, Err(expected), "{bytes:?}");
        }
        assert!(matches!(
            parse_whole(b"HTTX/1.1 200 OK\r\n\r\n", &Method::GET),
            Err(WireError::InvalidHead(_))
        ));
    }

    #[test]
    fn limits_hold() {
        let mut big_head = b"HTTP/1.1 200 OK\r\nx: ".to_vec();
        big_head.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES + 1));
        let result = parse_whole(&big_head, &Method::GET).map(|_| ());
        assert_eq!(result, Err(WireError::HeadTooLarge));

        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend(format!("x-{i}: 1\r\n").bytes());
        }
        many.extend(b"\r\n");
        let result = parse_whole(&many, &Method::GET).map(|_| ());
        assert_eq!(result, Err(WireError::HeadTooLarge));

        let mut endless = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        endless.extend(std::iter::repeat_n(b'x', 2000));
        let result = parse_whole(&endless, &Method::GET).map(|_| ());
        assert_eq!(result, Err(WireError::BodyTooLarge { limit: 1024 }));

        let chunks = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n";
        let result = parse_whole(chunks, &Method::GET).map(|_| ());
        assert_eq!(result, Err(WireError::BodyTooLarge { limit: 1024 }));
    }

    #[test]
    fn faulty_framing_rejected() {
        let cases: [(&[u8], WireError); 8] = [
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                WireError::ConflictingFraming,
            ),
            (
                b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                WireError::UnsupportedTransferEncoding,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a\nXX\r\n",
                WireError::InvalidChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a\rb\r\nXX\r\n",
                WireError::InvalidChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 zz\r\nXX\r\n",
                WireError::InvalidChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;\x00\r\nXX\r\n",
                WireError::InvalidChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a field\r\n\r\n",
                WireError::InvalidChunk,
            ),
            (
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
                WireError::InvalidHead(
                    "101 Switching Protocols: no upgrade was requested".to_owned(),
                ),
            ),
        ];
        for (bytes, expected) in cases {
            let whole = parse_whole(bytes, &Method::GET).map(|_| ());
            assert_eq!(whole, Err(expected.clone()), "{bytes:?}");
            let bytewise = parse_bytewise(bytes, &Method::GET).map(|_| ());
            assert_eq!(bytewise, Err(expected), "{bytes:?}");
        }
    }

    #[test]
    fn chunk_extensions_and_leading_zeros() {
        let bytes = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
            0000000000000002 ; name=\"v\"\r\nab\r\n00\r\nExpires: never\r\n\r\n";
        assert_eq!(parse_bytewise(bytes, &Method::GET).unwrap().body(), b"ab");
    }

    #[test]
    fn interim_responses_bounded() {
        let mut bytes = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(MAX_INTERIM_RESPONSES);
        bytes.extend(b"HTTP/1.1 204 No Content\r\n\r\n");
        assert!(parse_whole(&bytes, &Method::POST).is_ok());
        let mut too_many = b"HTTP/1.1 103 Early Hints\r\n\r\n".repeat(MAX_INTERIM_RESPONSES + 1);
        too_many.extend(b"HTTP/1.1 204 No Content\r\n\r\n");
        assert!(matches!(
            parse_whole(&too_many, &Method::POST),
            Err(WireError::InvalidHead(_))
        ));
    }

    #[test]
    fn trailing_bytes_kept() {
        let mut bytes = LENGTH.to_vec();
        bytes.extend(b"HTTP/1.1 200 OK\r\n");
        let mut parser = ResponseParser::new(&Method::GET);
        assert!(parser.trailing_bytes().is_empty());
        assert!(matches!(parser.feed(&bytes), Ok(Progress::Complete(_))));
        assert_eq!(parser.trailing_bytes(), b"HTTP/1.1 200 OK\r\n");
    }

    #[test]
    fn many_small_chunks_in_one_feed() {
        // Consumed bytes are skipped by offset, so this is linear: found by
        // review, where draining the buffer per chunk made it quadratic.
        let mut bytes = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..200_000 {
            bytes.extend(b"1\r\nx\r\n");
        }
        bytes.extend(b"0\r\n\r\n");
        let mut parser = ResponseParser::new(&Method::GET);
        let Ok(Progress::Complete(response)) = parser.feed(&bytes) else {
            panic!("a complete chunked response");
        };
        assert_eq!(response.body().len(), 200_000);
    }

    #[test]
    fn parser_stays_failed() {
        let mut parser = ResponseParser::new(&Method::GET);
        let bad = b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n";
        assert!(matches!(
            parser.feed(bad),
            Err(WireError::InvalidContentLength)
        ));
        assert!(matches!(
            parser.feed(LENGTH),
            Err(WireError::InvalidContentLength)
        ));
        assert!(matches!(
            parser.finish(),
            Err(WireError::InvalidContentLength)
        ));
    }

    #[test]
    fn feeding_after_completion_is_error() {
        let mut parser = ResponseParser::new(&Method::GET);
        assert!(matches!(parser.feed(LENGTH), Ok(Progress::Complete(_))));
        assert!(matches!(parser.feed(b"x"), Err(WireError::AlreadyComplete)));
    }

    #[test]
    fn request_bytes() {
        let api = crate::Api::new(crate::AccessToken::new("T").unwrap())
            .base_url("http://127.0.0.1:8080/v2")
            .unwrap();
        let request = api
            .request(&crate::ops::CreateLtiCredentials::new(
                "n",
                crate::LmsName::Canvas,
            ))
            .unwrap();
        let bytes = String::from_utf8(write_request(&request).unwrap()).unwrap();
        assert!(bytes.starts_with(
            "POST /v2/organizations/lti/credentials HTTP/1.1\r\nhost: 127.0.0.1:8080\r\n"
        ));
        assert!(bytes.contains("\r\nauthorization: Bearer T\r\n"));
        assert!(bytes.contains("\r\ncontent-type: application/json\r\n"));
        assert!(
            bytes.ends_with("\r\ncontent-length: 27\r\n\r\n{\"name\":\"n\",\"lms\":\"canvas\"}")
        );

        let list = api.request(&crate::ops::ListUsers::new().limit(2)).unwrap();
        let bytes = String::from_utf8(write_request(&list).unwrap()).unwrap();
        assert!(bytes.starts_with("GET /v2/organizations/users?limit=2 HTTP/1.1\r\n"));
        assert!(!bytes.contains("content-length"));
        assert!(bytes.ends_with("\r\n\r\n"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn valid_response() -> impl Strategy<Value = Vec<u8>> {
            let body = proptest::collection::vec(any::<u8>(), 0..300);
            let chunk_sizes = proptest::collection::vec(1_usize..40, 0..8);
            (body, chunk_sizes, any::<bool>()).prop_map(|(body, sizes, chunked)| {
                let mut bytes = b"HTTP/1.1 200 OK\r\nx-ratelimit-remaining: 3\r\n".to_vec();
                if chunked {
                    bytes.extend(b"transfer-encoding: chunked\r\n\r\n");
                    let mut rest = body.as_slice();
                    for size in sizes.iter().cycle() {
                        if rest.is_empty() {
                            break;
                        }
                        let take = (*size).min(rest.len());
                        bytes.extend(format!("{take:x}\r\n").bytes());
                        bytes.extend(&rest[..take]);
                        bytes.extend(b"\r\n");
                        rest = &rest[take..];
                    }
                    bytes.extend(b"0\r\n\r\n");
                } else {
                    bytes.extend(format!("content-length: {}\r\n\r\n", body.len()).bytes());
                    bytes.extend(&body);
                }
                bytes
            })
        }

        proptest! {
            #[test]
            fn splits_give_same_response(
                bytes in valid_response(),
                cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
            ) {
                let whole = snapshot(parse_whole(&bytes, &Method::GET)).unwrap();
                let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
                cuts.sort_unstable();
                let mut parser = ResponseParser::with_max_body(&Method::GET, 1024);
                let mut start = 0;
                let mut result = None;
                for end in cuts.into_iter().chain([bytes.len()]) {
                    if let Progress::Complete(response) = parser.feed(&bytes[start..end]).unwrap() {
                        result = Some(response);
                        break;
                    }
                    start = end;
                }
                prop_assert_eq!(result.map(|r| snapshot(Ok(r)).unwrap()), Some(whole));
            }

            #[test]
            fn prefixes_are_incomplete(bytes in valid_response(), cut in any::<prop::sample::Index>()) {
                let end = cut.index(bytes.len());
                let mut parser = ResponseParser::with_max_body(&Method::GET, 1024);
                prop_assert!(is_incomplete(parser.feed(&bytes[..end])));
            }

            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
                let whole = snapshot(parse_whole(&bytes, &Method::GET));
                let split = snapshot(parse_bytewise(&bytes, &Method::GET));
                prop_assert_eq!(whole, split);
            }
        }
    }
}
