//! A fake Flat for Education Organization API server for integration tests.
//!
//! [`FakeServer::start`] binds `127.0.0.1` on a free port and serves, from
//! memory, over HTTP/1.1 with keep-alive:
//!
//! - `GET`, `POST /organizations/users`, `GET /organizations/users/count`,
//!   `PUT`, `DELETE /organizations/users/{user}`;
//! - `GET`, `POST /organizations/invitations`,
//!   `DELETE /organizations/invitations/{invitation}`;
//! - `GET`, `POST /organizations/lti/credentials`,
//!   `DELETE /organizations/lti/credentials/{credentials}`.
//!
//! It checks the bearer token, validates request bodies and query
//! parameters against the OpenAPI contract, paginates lists with opaque
//! cursors and `Link` headers, and sends rate-limit headers. Every request
//! is recorded for assertions.
//!
//! ```
//! use flat_org_tests::fake::FakeServer;
//!
//! let server = FakeServer::start();
//! server.seed(100, 10, 3);
//! assert!(server.base_url().starts_with("http://127.0.0.1:"));
//! assert!(server.base_url().ends_with("/v2"));
//! assert_eq!(server.user_count(), 100);
//! ```
#![deny(missing_docs)]

mod encoding;
mod http;
mod pagination;
mod routes;
mod store;
#[cfg(test)]
mod tests;
mod validation;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::Value;

use self::http::Request;
use self::store::Store;

/// Maximum number of recorded requests kept. Older ones are dropped first.
const MAX_RECORDED_REQUESTS: usize = 10_000;

/// Settings of a [`FakeServer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeOptions {
    /// Path prefix of every route, such as `/v2`. A trailing `/` is ignored
    /// and a missing leading `/` is added. An empty string serves the routes
    /// at the root.
    pub base_path: String,
    /// Bearer token that every request must send in `Authorization`.
    pub token: String,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            base_path: "/v2".to_owned(),
            token: "fake-token-0123456789".to_owned(),
        }
    }
}

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Request method, such as `GET`.
    pub method: String,
    /// Request target as received: path and query, still percent-encoded.
    pub target: String,
    /// Header fields in order, names in the case the client sent.
    pub headers: Vec<(String, String)>,
    /// Request body after removing any chunked transfer coding.
    pub body: Vec<u8>,
}

/// A running fake server. Dropping it stops accepting connections, closes
/// the open ones and waits for their threads.
pub struct FakeServer {
    shared: Arc<Shared>,
    address: SocketAddr,
    accept_thread: Option<JoinHandle<()>>,
}

/// State shared by the handle, the accept thread and the connection
/// threads.
struct Shared {
    /// Options with `base_path` normalized.
    options: FakeOptions,
    /// `http://127.0.0.1:PORT`, the origin of absolute `Link` URLs.
    origin: String,
    store: Mutex<Store>,
    log: Mutex<RequestLog>,
    rate_limited: AtomicBool,
    rate_limit_remaining: AtomicU64,
    connections: AtomicUsize,
    shutdown: AtomicBool,
    /// Clones of the open connections' sockets, by connection number, so
    /// that shutdown can unblock their threads.
    open_streams: Mutex<HashMap<usize, TcpStream>>,
}

/// The last [`MAX_RECORDED_REQUESTS`] requests and the count of all
/// requests since the last clear.
struct RequestLog {
    recent: VecDeque<RecordedRequest>,
    total: usize,
}

impl FakeServer {
    /// Starts a server with [`FakeOptions::default`].
    ///
    /// # Panics
    ///
    /// Panics if no port on 127.0.0.1 can be bound or no thread can be
    /// spawned.
    pub fn start() -> FakeServer {
        FakeServer::start_with(FakeOptions::default())
    }

    /// Starts a server on a free port of 127.0.0.1 with `options`.
    ///
    /// # Panics
    ///
    /// Panics if no port on 127.0.0.1 can be bound or no thread can be
    /// spawned.
    pub fn start_with(options: FakeOptions) -> FakeServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .expect("the fake server could not bind a port on 127.0.0.1");
        let address = listener
            .local_addr()
            .expect("the fake server could not read its bound address");
        let options = FakeOptions {
            base_path: normalize_base_path(&options.base_path),
            token: options.token,
        };
        let shared = Arc::new(Shared {
            options,
            origin: format!("http://{address}"),
            store: Mutex::new(Store::new()),
            log: Mutex::new(RequestLog {
                recent: VecDeque::new(),
                total: 0,
            }),
            rate_limited: AtomicBool::new(false),
            rate_limit_remaining: AtomicU64::new(routes::RATE_LIMIT),
            connections: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            open_streams: Mutex::new(HashMap::new()),
        });
        let accept_shared = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name(format!("fake-flat-accept-{}", address.port()))
            .spawn(move || accept_loop(&listener, &accept_shared))
            .expect("the fake server could not spawn its accept thread");
        FakeServer {
            shared,
            address,
            accept_thread: Some(accept_thread),
        }
    }

    /// Returns the API base URL, such as `http://127.0.0.1:41234/v2`.
    pub fn base_url(&self) -> String {
        self.shared.base_url()
    }

    /// Returns the bearer token the server accepts.
    pub fn token(&self) -> &str {
        &self.shared.options.token
    }

    /// Appends deterministic users, invitations and LTI credentials.
    ///
    /// Seeded objects are numbered from 1 over the server's lifetime, so a
    /// second call continues the numbering. User `k` has the username
    /// `user{k:05}` and the email `user{k:05}@school.example`. Its role is
    /// `accountAdmin` when k is a multiple of 97, else `admin` for multiples
    /// of 20, else `teacher` for multiples of 5, else `user`. User 7 instead
    /// has the role `billing`, which the contract does not list, and an
    /// undeclared field `"futureField": {"nested": true}`. Users whose k is
    /// a multiple of 100 have `picture: null`. Groups are
    /// `5e10` followed by 20 hex digits of a group number from 0 to 9.
    /// Invitation `k` has the role `teacher` when k is odd and `admin` when
    /// even, `customCode: null` when k is a multiple of 3, and invitation 2
    /// has the undeclared `futureField`. LTI credentials cycle through the
    /// contract's `LmsName` values in order.
    pub fn seed(&self, users: usize, invitations: usize, lti_credentials: usize) {
        let mut store = self.shared.lock_store();
        store.seed_users(users);
        store.seed_invitations(invitations);
        store.seed_credentials(lti_credentials);
    }

    /// Switches simulated rate limiting. While on, every request gets a 403
    /// `API_RATE_LIMIT_EXCEEDED` error with `X-RateLimit-Remaining: 0`.
    pub fn set_rate_limited(&self, on: bool) {
        self.shared.rate_limited.store(on, Ordering::SeqCst);
    }

    /// Returns the recorded requests in order of arrival: all since the
    /// last [`clear_requests`](Self::clear_requests), or the last 10,000
    /// when there were more.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock_log().recent.iter().cloned().collect()
    }

    /// Returns the number of requests received since the last
    /// [`clear_requests`](Self::clear_requests), including those no longer
    /// kept by [`requests`](Self::requests).
    pub fn request_count(&self) -> usize {
        self.shared.lock_log().total
    }

    /// Forgets the recorded requests and resets
    /// [`request_count`](Self::request_count).
    pub fn clear_requests(&self) {
        let mut log = self.shared.lock_log();
        log.recent.clear();
        log.total = 0;
    }

    /// Returns the number of TCP connections accepted since the start.
    pub fn connection_count(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Returns the number of stored users.
    pub fn user_count(&self) -> usize {
        self.shared.lock_store().users.len()
    }

    /// Returns the number of stored invitations.
    pub fn invitation_count(&self) -> usize {
        self.shared.lock_store().invitations.len()
    }

    /// Returns the number of stored LTI credentials.
    pub fn lti_credentials_count(&self) -> usize {
        self.shared.lock_store().credentials.len()
    }

    /// Returns the stored JSON of the user with `id`, as the API would
    /// return it.
    pub fn user(&self, id: &str) -> Option<Value> {
        self.shared
            .lock_store()
            .users
            .get(id)
            .map(|entry| entry.json.clone())
    }
}

impl fmt::Debug for FakeServer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("FakeServer")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // `accept` has no timeout, so a connection of our own wakes it and
        // it then reads the flag. Retried in case the backlog is full.
        for _ in 0..10 {
            if TcpStream::connect_timeout(&self.address, Duration::from_secs(1)).is_ok() {
                break;
            }
        }
        if let Some(accept_thread) = self.accept_thread.take() {
            let _ = accept_thread.join();
        }
    }
}

impl Shared {
    fn base_url(&self) -> String {
        format!("{}{}", self.origin, self.options.base_path)
    }

    fn lock_store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves the store consistent enough
        // for a test double, so poisoning is ignored.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_log(&self) -> MutexGuard<'_, RequestLog> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_open_streams(&self) -> MutexGuard<'_, HashMap<usize, TcpStream>> {
        self.open_streams
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn is_rate_limited(&self) -> bool {
        self.rate_limited.load(Ordering::SeqCst)
    }

    fn record(&self, request: &Request) {
        let recorded = RecordedRequest {
            method: request.method.clone(),
            target: request.target.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        };
        let mut log = self.lock_log();
        if log.recent.len() == MAX_RECORDED_REQUESTS {
            log.recent.pop_front();
        }
        log.recent.push_back(recorded);
        log.total += 1;
    }

    /// Counts one request against the simulated hourly budget and returns
    /// what remains, never below 0. Nothing is rejected when it reaches 0.
    fn consume_rate_limit(&self) -> u64 {
        let previous = self
            .rate_limit_remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |remaining| {
                Some(remaining.saturating_sub(1))
            })
            .unwrap_or(0);
        previous.saturating_sub(1)
    }
}

/// Returns `path` with one leading `/` and no trailing `/`, or an empty
/// string for the root.
fn normalize_base_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// Accepts connections until shutdown, one thread each, then closes the
/// open connections and joins their threads.
fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    // Ends when Drop sets the shutdown flag and connects to wake `accept`.
    for stream in listener.incoming() {
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of file descriptors and similar: back off briefly.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let number = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
        if let Ok(clone) = stream.try_clone() {
            shared.lock_open_streams().insert(number, clone);
        }
        let worker_shared = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name(format!("fake-flat-connection-{number}"))
            .spawn(move || {
                http::serve_connection(&worker_shared, stream);
                worker_shared.lock_open_streams().remove(&number);
            });
        match spawned {
            Ok(worker) => workers.push(worker),
            Err(_) => {
                if let Some(stream) = shared.lock_open_streams().remove(&number) {
                    let _ = stream.shutdown(Shutdown::Both);
                }
            }
        }
        workers.retain(|worker| !worker.is_finished());
    }

    for stream in shared.lock_open_streams().values() {
        let _ = stream.shutdown(Shutdown::Both);
    }
    for worker in workers {
        let _ = worker.join();
    }
}
