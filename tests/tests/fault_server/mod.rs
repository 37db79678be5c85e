//! A scriptable misbehaving HTTP/1.1 server on 127.0.0.1.
//!
//! Each accepted connection runs a script of [`Action`]s on its own thread:
//! read a request, write bytes (all at once, slowly, or repeated), sleep,
//! close, or reset. The server never interprets HTTP beyond finding where a
//! request ends, so a script can send anything a broken server or proxy
//! might: a truncated head, a short body, a reset mid-body, a huge header.
//!
//! Every socket has 5 s read and write timeouts, sleeps and slow writes stop
//! when the server is dropped, and dropping the server shuts down every
//! connection and joins every thread.

#![allow(dead_code, reason = "each test binary uses part of this module")]

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// Read and write timeout of every accepted socket.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest request the server reads. The client under test sends a few
/// hundred bytes.
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Granularity of sleeps and slow writes, so that a dropped server stops
/// its connection threads quickly.
const STOP_CHECK: Duration = Duration::from_millis(10);

/// One step of a connection's script.
#[derive(Debug, Clone)]
pub enum Action {
    /// Waits for one whole request (head and `Content-Length` body) and
    /// records it. The request's bytes stay in the kernel's receive buffer
    /// until the next `ReadRequest`, `Close` or the end of the script reads
    /// them, so that a following [`Action::Reset`] closes the socket with
    /// unread data. The script ends if the client closes first or no whole
    /// request arrives within the 5 s socket timeout.
    ReadRequest,
    /// Writes the bytes at once.
    Write(Vec<u8>),
    /// Writes the bytes one at a time, pausing after each.
    WriteSlowly {
        /// The bytes to write.
        bytes: Vec<u8>,
        /// The pause after each byte.
        pause_per_byte: Duration,
    },
    /// Writes `chunk` `times` times, for a body too large to build in
    /// memory. It stops at the first failed write.
    WriteRepeated {
        /// The bytes written on each repetition.
        chunk: Vec<u8>,
        /// How many times to write them.
        times: usize,
    },
    /// Sleeps.
    Sleep(Duration),
    /// Ends the script: reads the last request's bytes if still unread, then
    /// closes gracefully with FIN after any bytes already written.
    Close,
    /// Ends the script: closes the socket with the last request still unread,
    /// which makes Linux abort the connection with RST instead of FIN. Use it
    /// after a `ReadRequest`, because without unread bytes the close is
    /// graceful, and sleep before it to let written bytes reach the peer.
    /// `std` has no stable `SO_LINGER`, and this crate depends on no socket
    /// library, hence the unread data. The `reset_sends_rst` test checks that
    /// the peer's read fails with `ConnectionReset`.
    Reset,
}

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    /// 0-based index of the connection it arrived on.
    pub connection: usize,
    /// Request method, such as `GET`.
    pub method: String,
    /// Request target, such as `/v2/organizations/users?limit=10`.
    pub target: String,
    /// The whole head, request line and header lines, as received.
    pub head: String,
    /// The body, as many bytes as `Content-Length` gave.
    pub body: Vec<u8>,
    /// When the whole request had arrived, on the monotonic clock.
    pub at: Instant,
    /// When the whole request had arrived, on the wall clock, to compare with
    /// `X-RateLimit-Reset`.
    pub wall_clock: SystemTime,
}

type ScriptFn = dyn Fn(usize) -> Vec<Action> + Send + Sync;

/// State shared between the server handle and its threads.
struct Shared {
    script: Box<ScriptFn>,
    seen: Mutex<Vec<SeenRequest>>,
    connections: AtomicUsize,
    bytes_written: AtomicU64,
    stop: AtomicBool,
    /// A clone of each open connection's socket by connection index, to shut
    /// down on drop. A connection thread removes its clone before closing,
    /// so that its own descriptor is the last one and the close takes
    /// effect at once.
    open: Mutex<HashMap<usize, TcpStream>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

/// A running server; dropping it stops the server.
pub struct FaultServer {
    port: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl FaultServer {
    /// Starts a server that runs `scripts[n]` on connection `n`, and the last
    /// script on every connection after the list.
    ///
    /// # Panics
    ///
    /// When `scripts` is empty.
    pub fn start(scripts: Vec<Vec<Action>>) -> FaultServer {
        assert!(!scripts.is_empty(), "a fault server needs a script");
        FaultServer::start_with(move |n| scripts[n.min(scripts.len() - 1)].clone())
    }

    /// Starts a server that runs `script(n)` on connection `n` (0-based),
    /// calling it when the connection is accepted.
    pub fn start_with(
        script: impl Fn(usize) -> Vec<Action> + Send + Sync + 'static,
    ) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared {
            script: Box::new(script),
            seen: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            bytes_written: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            open: Mutex::new(HashMap::new()),
            workers: Mutex::new(Vec::new()),
        });
        let accept = {
            let shared = shared.clone();
            std::thread::spawn(move || accept_loop(&listener, &shared))
        };
        FaultServer {
            port,
            shared,
            accept: Some(accept),
        }
    }

    /// Returns the base URL for the client, `http://127.0.0.1:PORT/v2`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v2", self.port)
    }

    /// Returns the port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Number of whole requests read so far.
    pub fn requests_seen(&self) -> usize {
        self.shared.seen.lock().expect("lock").len()
    }

    /// Returns the requests read so far, in arrival order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.seen.lock().expect("lock").clone()
    }

    /// Number of connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Bytes written to clients so far, over all connections.
    pub fn bytes_written(&self) -> u64 {
        self.shared.bytes_written.load(Ordering::SeqCst)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // The connection wakes the accept loop, which checks the flag and
        // returns.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        // Wakes the threads blocked reading or writing.
        for stream in self.shared.open.lock().expect("lock").values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let workers = std::mem::take(&mut *self.shared.workers.lock().expect("lock"));
        for worker in workers {
            let _ = worker.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let Ok(clone) = stream.try_clone() else {
            continue;
        };
        let index = shared.connections.fetch_add(1, Ordering::SeqCst);
        let script = (shared.script)(index);
        // Registered before the thread starts, so that the thread's removal
        // cannot come first.
        shared.open.lock().expect("lock").insert(index, clone);
        let worker = {
            let shared = shared.clone();
            std::thread::spawn(move || serve(stream, index, &script, &shared))
        };
        shared.workers.lock().expect("lock").push(worker);
    }
}

/// How a script ended.
enum Ending {
    /// The script ran out or reached [`Action::Close`].
    Close,
    /// The script reached [`Action::Reset`].
    Reset,
    /// The peer went away, a socket call failed, or the server is stopping.
    Abort,
}

fn serve(mut stream: TcpStream, connection: usize, script: &[Action], shared: &Shared) {
    let _ = stream.set_read_timeout(Some(SOCKET_TIMEOUT));
    let _ = stream.set_write_timeout(Some(SOCKET_TIMEOUT));
    // Small writes, such as a lone status line or one trickled byte, leave
    // at once instead of waiting for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    // Bytes of the last recorded request still in the receive buffer.
    let mut unread = 0;
    let ending = run_script(&mut stream, &mut unread, connection, script, shared);
    shared.open.lock().expect("lock").remove(&connection);
    match ending {
        // With the request read, the kernel sends FIN.
        Ending::Close => {
            if discard(&mut stream, &mut unread) {
                let _ = stream.shutdown(Shutdown::Write);
            }
        }
        // Dropping the last descriptor with `unread > 0` sends RST.
        Ending::Reset | Ending::Abort => {}
    }
}

fn run_script(
    stream: &mut TcpStream,
    unread: &mut usize,
    connection: usize,
    script: &[Action],
    shared: &Shared,
) -> Ending {
    for action in script {
        if shared.stop.load(Ordering::SeqCst) {
            return Ending::Abort;
        }
        let completed = match action {
            Action::ReadRequest => {
                discard(stream, unread)
                    && peek_request(stream, connection).is_some_and(|(request, length)| {
                        shared.seen.lock().expect("lock").push(request);
                        *unread = length;
                        true
                    })
            }
            Action::Write(bytes) => write(stream, bytes, shared),
            Action::WriteSlowly {
                bytes,
                pause_per_byte,
            } => bytes.iter().all(|byte| {
                write(stream, std::slice::from_ref(byte), shared) && sleep(*pause_per_byte, shared)
            }),
            Action::WriteRepeated { chunk, times } => (0..*times)
                .all(|_| !shared.stop.load(Ordering::SeqCst) && write(stream, chunk, shared)),
            Action::Sleep(duration) => sleep(*duration, shared),
            Action::Close => return Ending::Close,
            Action::Reset => return Ending::Reset,
        };
        if !completed {
            return Ending::Abort;
        }
    }
    Ending::Close
}

fn write(stream: &mut TcpStream, bytes: &[u8], shared: &Shared) -> bool {
    let written = stream.write_all(bytes).is_ok();
    if written {
        shared
            .bytes_written
            .fetch_add(bytes.len() as u64, Ordering::SeqCst);
    }
    written
}

/// Sleeps in short steps, and returns `false` when the server is stopping.
fn sleep(duration: Duration, shared: &Shared) -> bool {
    let end = Instant::now() + duration;
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return false;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(STOP_CHECK));
    }
}

/// Reads and drops the `unread` bytes of the last request.
fn discard(stream: &mut TcpStream, unread: &mut usize) -> bool {
    let mut bytes = vec![0; *unread];
    *unread = 0;
    stream.read_exact(&mut bytes).is_ok()
}

/// Waits until one whole request is in the receive buffer, without taking it
/// out, and returns it with its length in bytes. `None` when the peer
/// closes, the socket times out, or the request is larger than
/// [`MAX_REQUEST_BYTES`].
fn peek_request(stream: &TcpStream, connection: usize) -> Option<(SeenRequest, usize)> {
    let mut buffer = vec![0; MAX_REQUEST_BYTES];
    let deadline = Instant::now() + SOCKET_TIMEOUT;
    let mut last_peeked = 0;
    // `peek` blocks only while the receive buffer is empty, so while the
    // request is partial this loop polls every millisecond until the deadline.
    while Instant::now() < deadline {
        let peeked = match stream.peek(&mut buffer) {
            Ok(0) => return None,
            Ok(peeked) => peeked,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        if let Some(length) = request_length(&buffer[..peeked]) {
            let head_end = find(&buffer[..peeked], b"\r\n\r\n")? + 4;
            let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
            let mut words = head.split_whitespace();
            let request = SeenRequest {
                connection,
                method: words.next().unwrap_or_default().to_owned(),
                target: words.next().unwrap_or_default().to_owned(),
                body: buffer[head_end..length].to_vec(),
                head,
                at: Instant::now(),
                wall_clock: SystemTime::now(),
            };
            return Some((request, length));
        }
        if peeked == buffer.len() {
            return None;
        }
        if peeked == last_peeked {
            std::thread::sleep(Duration::from_millis(1));
        }
        last_peeked = peeked;
    }
    None
}

/// Returns the length of the request at the start of `bytes` once all of it
/// is there: the head up to the blank line, plus `Content-Length` bytes.
fn request_length(bytes: &[u8]) -> Option<usize> {
    let head_end = find(bytes, b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..head_end]);
    let content_length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, value)| value.trim().parse().unwrap_or(0));
    let length = head_end + content_length;
    (bytes.len() >= length).then_some(length)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Builds a complete response with `Content-Length` and `Connection: close`,
/// so that the client opens a new connection for its next request and each
/// connection's script serves exactly one request. `headers` are whole
/// header lines without the line end.
pub fn response(status: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut bytes = head(status, headers, body.len());
    bytes.extend_from_slice(body);
    bytes
}

/// Builds the head of a response with `Content-Length: content_length` and
/// `Connection: close`, for scripts that write the body separately.
pub fn head(status: &str, headers: &[&str], content_length: usize) -> Vec<u8> {
    let mut head =
        format!("HTTP/1.1 {status}\r\ncontent-length: {content_length}\r\nconnection: close\r\n");
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Returns the script of a connection that reads one request and sends
/// `response`.
pub fn answer(response: Vec<u8>) -> Vec<Action> {
    vec![Action::ReadRequest, Action::Write(response)]
}
