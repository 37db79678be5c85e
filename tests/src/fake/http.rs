//! HTTP/1.1 transport: reads requests from one connection, hands them to
//! the router and writes the responses, keeping the connection open
//! between requests.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Shared;
use super::routes::{self, Response};

/// Maximum size of a request head (request line and header fields).
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Maximum number of header fields in one request.
const MAX_HEADERS: usize = 128;

/// Maximum size of a request body.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Maximum length of one chunk-size or trailer line in a chunked body.
const MAX_CHUNK_LINE_BYTES: usize = 4 * 1024;

/// Maximum number of trailer fields after a chunked body.
const MAX_TRAILERS: usize = 64;

/// Socket read timeout. Each time it expires the connection checks whether
/// the server is shutting down, so it bounds how long a blocked read
/// outlives the server.
const READ_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// A connection that has sent nothing for this long is closed, so no
/// connection thread lives forever even while the server runs.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Limits of the input discarded after rejecting a malformed request.
const LINGER_BYTES: usize = 1024 * 1024;
const LINGER_TIME: Duration = Duration::from_secs(1);

/// One request as received.
pub(super) struct Request {
    pub(super) method: String,
    /// Request target exactly as received: path and query.
    pub(super) target: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl Request {
    /// Returns the values of every header field named `name`, ignoring case.
    pub(super) fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.headers
            .iter()
            .filter(move |(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Why reading a request stopped.
enum ReadError {
    /// The peer closed, the read timed out or the server is shutting down,
    /// so the connection closes without a response.
    Closed,
    /// The request is malformed, so the connection sends this status, error
    /// code and message, then closes.
    Reject(u16, &'static str, String),
}

/// How the connection continues after the current response.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Persistence {
    /// HTTP/1.1 default.
    KeepAlive,
    /// HTTP/1.0 with `Connection: keep-alive`, which the response repeats.
    KeepAliveExplicit,
    Close,
}

/// A request with its connection handling.
struct Incoming {
    request: Request,
    persistence: Persistence,
}

struct Connection<'a> {
    stream: TcpStream,
    /// Bytes read but not consumed yet. They contain the start of the next
    /// request when the client pipelines.
    buffer: Vec<u8>,
    last_activity: Instant,
    shared: &'a Shared,
}

/// Serves requests on `stream` until the client closes, sends
/// `Connection: close`, stays idle for [`IDLE_TIMEOUT`], sends a malformed
/// request, or the server shuts down.
pub(super) fn serve_connection(shared: &Shared, stream: TcpStream) {
    // A socket that rejects these options still works, only without the
    // timeouts, and shutdown() from the server still ends it.
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(READ_POLL_INTERVAL));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut connection = Connection {
        stream,
        buffer: Vec::new(),
        last_activity: Instant::now(),
        shared,
    };
    // Each iteration consumes one request or ends the connection, and
    // reads end after IDLE_TIMEOUT at the latest.
    loop {
        match connection.read_request() {
            Ok(Some(incoming)) => {
                let response = routes::handle(shared, &incoming.request);
                let head_only = incoming.request.method == "HEAD";
                let written = connection.write_response(&response, head_only, incoming.persistence);
                if written.is_err() || incoming.persistence == Persistence::Close {
                    break;
                }
            }
            Ok(None) | Err(ReadError::Closed) => break,
            Err(ReadError::Reject(status, code, message)) => {
                let response = routes::transport_error(shared, status, code, &message);
                if connection
                    .write_response(&response, false, Persistence::Close)
                    .is_ok()
                {
                    connection.drain_before_close();
                }
                break;
            }
        }
    }
    let _ = connection.stream.shutdown(Shutdown::Both);
}

impl Connection<'_> {
    /// Half-closes and discards what the client still sends, for at most
    /// [`LINGER_BYTES`] or [`LINGER_TIME`]. Closing a socket with unread
    /// input makes the kernel send a reset, which can destroy the error
    /// response before the client reads it.
    fn drain_before_close(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
        let _ = self.stream.set_read_timeout(Some(LINGER_TIME));
        let started = Instant::now();
        let mut discarded = 0;
        let mut chunk = [0u8; 16 * 1024];
        while discarded < LINGER_BYTES && started.elapsed() < LINGER_TIME {
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(count) => discarded += count,
            }
        }
    }

    /// Reads more bytes into the buffer. Returns 0 at end of stream.
    fn fill(&mut self) -> Result<usize, ReadError> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(count) => {
                    self.buffer.extend_from_slice(&chunk[..count]);
                    self.last_activity = Instant::now();
                    return Ok(count);
                }
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if self.shared.shutdown.load(Ordering::SeqCst)
                        || self.last_activity.elapsed() >= IDLE_TIMEOUT
                    {
                        return Err(ReadError::Closed);
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(ReadError::Closed),
            }
        }
    }

    /// Reads one request. Returns `None` when the client closed cleanly
    /// between requests.
    fn read_request(&mut self) -> Result<Option<Incoming>, ReadError> {
        let (head_length, method, target, version, headers) = loop {
            if let Some(parsed) = parse_head(&self.buffer)? {
                break parsed;
            }
            if self.buffer.len() >= MAX_HEAD_BYTES {
                return Err(ReadError::Reject(
                    431,
                    "BAD_REQUEST",
                    format!("The request head exceeds {MAX_HEAD_BYTES} bytes"),
                ));
            }
            if self.fill()? == 0 {
                return if self.buffer.iter().all(u8::is_ascii_whitespace) {
                    Ok(None)
                } else {
                    Err(ReadError::Closed)
                };
            }
        };
        self.buffer.drain(..head_length);

        let mut request = Request {
            method,
            target,
            headers,
            body: Vec::new(),
        };
        let framing = body_framing(&request)?;
        if framing != Framing::Length(0) && expects_continue(&request) {
            self.stream
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .map_err(|_| ReadError::Closed)?;
        }
        request.body = match framing {
            Framing::Length(length) => self.take(length)?,
            Framing::Chunked => self.read_chunked_body()?,
        };

        let persistence = persistence(&request, version);
        Ok(Some(Incoming {
            request,
            persistence,
        }))
    }

    /// Removes and returns the next `length` bytes, reading as needed.
    fn take(&mut self, length: usize) -> Result<Vec<u8>, ReadError> {
        while self.buffer.len() < length {
            if self.fill()? == 0 {
                return Err(ReadError::Closed);
            }
        }
        Ok(self.buffer.drain(..length).collect())
    }

    /// Removes and returns the next line without its line ending.
    fn take_line(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut searched = 0;
        loop {
            if let Some(offset) = self.buffer[searched..].iter().position(|&b| b == b'\n') {
                let end = searched + offset;
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            searched = self.buffer.len();
            if searched > MAX_CHUNK_LINE_BYTES {
                return Err(bad_request("A chunk-size or trailer line is too long"));
            }
            if self.fill()? == 0 {
                return Err(ReadError::Closed);
            }
        }
    }

    /// Decodes a `Transfer-Encoding: chunked` body (RFC 9112 section 7.1),
    /// ignoring chunk extensions and trailer fields.
    fn read_chunked_body(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        // Every chunk but the last adds at least one byte, so the body
        // limit bounds this loop.
        loop {
            let line = self.take_line()?;
            let size_text = line.split(|&b| b == b';').next().unwrap_or_default();
            let size = std::str::from_utf8(size_text)
                .ok()
                .map(str::trim)
                .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|text| usize::from_str_radix(text, 16).ok())
                .ok_or_else(|| bad_request("A chunk size is not a hexadecimal number"))?;
            if size == 0 {
                break;
            }
            if size > MAX_BODY_BYTES - body.len() {
                return Err(body_too_large());
            }
            body.extend_from_slice(&self.take(size)?);
            if !self.take_line()?.is_empty() {
                return Err(bad_request("A chunk is longer than its declared size"));
            }
        }
        for _ in 0..=MAX_TRAILERS {
            if self.take_line()?.is_empty() {
                return Ok(body);
            }
        }
        Err(bad_request("The chunked body has too many trailer fields"))
    }

    fn write_response(
        &mut self,
        response: &Response,
        head_only: bool,
        persistence: Persistence,
    ) -> io::Result<()> {
        let mut output = Vec::with_capacity(512 + response.body.as_ref().map_or(0, Vec::len));
        let status = response.status;
        write!(output, "HTTP/1.1 {status} {}\r\n", reason_phrase(status))?;
        for (name, value) in &response.headers {
            write!(output, "{name}: {value}\r\n")?;
        }
        // RFC 9110 section 8.6: no Content-Length in a 204 response.
        if status != 204 {
            let length = response.body.as_ref().map_or(0, Vec::len);
            if response.body.is_some() {
                output.extend_from_slice(b"Content-Type: application/json\r\n");
            }
            write!(output, "Content-Length: {length}\r\n")?;
        }
        match persistence {
            Persistence::KeepAlive => {}
            Persistence::KeepAliveExplicit => {
                output.extend_from_slice(b"Connection: keep-alive\r\n")
            }
            Persistence::Close => output.extend_from_slice(b"Connection: close\r\n"),
        }
        output.extend_from_slice(b"\r\n");
        if let (Some(body), false, false) = (&response.body, head_only, status == 204) {
            output.extend_from_slice(body);
        }
        self.stream.write_all(&output)?;
        self.stream.flush()
    }
}

/// Owned parts of a parsed request head: head length, method, target,
/// minor HTTP version and header fields.
type Head = (usize, String, String, u8, Vec<(String, String)>);

/// Parses a request head from the start of `buffer`. Returns `None` when
/// the head is not complete yet.
fn parse_head(buffer: &[u8]) -> Result<Option<Head>, ReadError> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut fields);
    let head_length = match parsed.parse(buffer) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(ReadError::Reject(
                431,
                "BAD_REQUEST",
                format!("The request has more than {MAX_HEADERS} header fields"),
            ));
        }
        Err(error) => {
            return Err(bad_request_owned(format!(
                "The request head is malformed: {error}"
            )));
        }
    };
    let method = parsed.method.unwrap_or_default().to_owned();
    let target = parsed.path.unwrap_or_default().to_owned();
    let version = parsed.version.unwrap_or(1);
    let headers = parsed
        .headers
        .iter()
        .map(|field| {
            (
                field.name.to_owned(),
                String::from_utf8_lossy(field.value).into_owned(),
            )
        })
        .collect();
    Ok(Some((head_length, method, target, version, headers)))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
}

/// Determines how the request body is delimited (RFC 9112 section 6.3).
fn body_framing(request: &Request) -> Result<Framing, ReadError> {
    let mut transfer_codings = request
        .header_values("transfer-encoding")
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|coding| !coding.is_empty())
        .peekable();
    if transfer_codings.peek().is_some() {
        let codings: Vec<&str> = transfer_codings.collect();
        if request.header_values("content-length").next().is_some() {
            return Err(bad_request(
                "The request has both Transfer-Encoding and Content-Length",
            ));
        }
        return if codings.len() == 1 && codings[0].eq_ignore_ascii_case("chunked") {
            Ok(Framing::Chunked)
        } else {
            Err(ReadError::Reject(
                501,
                "NOT_IMPLEMENTED",
                format!(
                    "Transfer-Encoding {:?} is not supported; only chunked is",
                    codings.join(", ")
                ),
            ))
        };
    }

    let mut length = None;
    for value in request.header_values("content-length") {
        for item in value.split(',').map(str::trim) {
            let parsed = Some(item)
                .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|text| text.parse::<usize>().ok())
                .ok_or_else(|| {
                    bad_request_owned(format!("Content-Length {item:?} is not a valid length"))
                })?;
            if length.is_some_and(|known| known != parsed) {
                return Err(bad_request(
                    "The request has conflicting Content-Length values",
                ));
            }
            length = Some(parsed);
        }
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY_BYTES {
        return Err(body_too_large());
    }
    Ok(Framing::Length(length))
}

fn expects_continue(request: &Request) -> bool {
    request
        .header_values("expect")
        .any(|value| value.trim().eq_ignore_ascii_case("100-continue"))
}

/// Decides whether the connection stays open after this request: HTTP/1.1
/// unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
fn persistence(request: &Request, minor_version: u8) -> Persistence {
    let has_token = |token: &str| {
        request
            .header_values("connection")
            .flat_map(|value| value.split(','))
            .any(|option| option.trim().eq_ignore_ascii_case(token))
    };
    if has_token("close") {
        Persistence::Close
    } else if minor_version >= 1 {
        Persistence::KeepAlive
    } else if has_token("keep-alive") {
        Persistence::KeepAliveExplicit
    } else {
        Persistence::Close
    }
}

fn bad_request(message: &str) -> ReadError {
    bad_request_owned(message.to_owned())
}

fn bad_request_owned(message: String) -> ReadError {
    ReadError::Reject(400, "BAD_REQUEST", message)
}

fn body_too_large() -> ReadError {
    ReadError::Reject(
        413,
        "BAD_REQUEST",
        format!("The request body exceeds {MAX_BODY_BYTES} bytes"),
    )
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        _ => "Unknown",
    }
}
