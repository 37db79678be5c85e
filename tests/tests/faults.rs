//! The blocking client against a server that misbehaves: broken
//! connections, timeouts, error statuses, rate limits, oversized and
//! malformed responses, and pagination loops. Each test states the outcome,
//! the number of requests the server read, and how long the call may take.

mod common;
mod fault_server;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use flat_org_blocking::ops::{CreateUser, ListUsers, RemoveUser};
use flat_org_blocking::{AccessToken, Client, Error, ErrorKind, RetryPolicy, User};

use common::user_json;
use fault_server::{Action, FaultServer, answer, head, response};

/// Attempts per request in [`fast_retry`].
const MAX_ATTEMPTS: usize = 3;
/// Margin added to `X-RateLimit-Reset` in [`fast_retry`].
const RATE_LIMIT_MARGIN: Duration = Duration::from_millis(100);
const TIMEOUT_RESPONSE: Duration = Duration::from_millis(500);
const TIMEOUT_BODY: Duration = Duration::from_secs(1);

/// Three attempts with back-offs of 25–50 ms and 50–100 ms, and rate-limit
/// waits of up to 10 s.
fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(MAX_ATTEMPTS as u32)
        .initial_delay(Duration::from_millis(50))
        .max_delay(Duration::from_secs(2))
        .max_rate_limit_wait(Duration::from_secs(10))
        .rate_limit_margin(RATE_LIMIT_MARGIN)
}

fn client_with(server: &FaultServer, retry: RetryPolicy) -> Client {
    Client::builder(AccessToken::new("fault-token").unwrap())
        .base_url(server.base_url())
        .retry(retry)
        .timeout_connect(Duration::from_secs(2))
        .timeout_response(TIMEOUT_RESPONSE)
        .timeout_body(TIMEOUT_BODY)
        .build()
        .unwrap()
}

fn client(server: &FaultServer) -> Client {
    client_with(server, fast_retry())
}

fn users_json(ids: &[&str]) -> String {
    let users: Vec<String> = ids.iter().map(|id| user_json(id)).collect();
    format!("[{}]", users.join(","))
}

/// Builds a 200 with a JSON array of these users and extra header lines.
fn users_response(ids: &[&str], headers: &[&str]) -> Vec<u8> {
    let mut lines = vec!["content-type: application/json"];
    lines.extend_from_slice(headers);
    response("200 OK", &lines, users_json(ids).as_bytes())
}

fn json_error(status: &str, code: &str, message: &str, headers: &[&str]) -> Vec<u8> {
    let mut lines = vec!["content-type: application/json"];
    lines.extend_from_slice(headers);
    let body = format!(r#"{{"code":"{code}","message":"{message}"}}"#);
    response(status, &lines, body.as_bytes())
}

/// Builds a 403 like the one Flat sends when the hourly quota is used up.
fn rate_limited(reset: u64) -> Vec<u8> {
    json_error(
        "403 Forbidden",
        "API_RATE_LIMIT_EXCEEDED",
        "API rate limit exceeded",
        &[
            "x-ratelimit-limit: 5000",
            "x-ratelimit-remaining: 0",
            &format!("x-ratelimit-reset: {reset}"),
        ],
    )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn ids(users: &[User]) -> Vec<&str> {
    users.iter().map(|user| user.id.as_str()).collect()
}

/// Asserts that at most `bound` has passed since `started`, and returns the
/// time passed.
fn assert_within(started: Instant, bound: Duration) -> Duration {
    let elapsed = started.elapsed();
    assert!(elapsed <= bound, "took {elapsed:?}, more than {bound:?}");
    elapsed
}

/// Harness check: `Action::Reset` after `ReadRequest` makes the peer's read fail with a reset.
#[test]
fn reset_sends_rst() {
    let server = FaultServer::start(vec![vec![
        Action::ReadRequest,
        Action::Write(head("200 OK", &[], 100)),
        Action::Write(b"partial".to_vec()),
        Action::Sleep(Duration::from_millis(50)),
        Action::Reset,
    ]]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    stream
        .write_all(b"GET /v2/organizations/users HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut buffer = [0; 1024];
    let mut outcome = None;
    for _ in 0..100 {
        match stream.read(&mut buffer) {
            Ok(0) => {
                outcome = Some(Ok(()));
                break;
            }
            Ok(_) => {}
            Err(e) => {
                outcome = Some(Err(e.kind()));
                break;
            }
        }
    }
    assert_eq!(outcome, Some(Err(std::io::ErrorKind::ConnectionReset)));
    assert_eq!(server.requests_seen(), 1);
}

/// Fault 1: close after the status line twice, then 200: the GET succeeds on the third attempt.
#[test]
fn close_after_status_line_retried() {
    let closing = vec![
        Action::ReadRequest,
        Action::Write(b"HTTP/1.1 200 OK\r\n".to_vec()),
        Action::Close,
    ];
    let server = FaultServer::start(vec![
        closing.clone(),
        closing,
        answer(users_response(&["u1"], &[])),
    ]);
    let started = Instant::now();
    let page = client(&server).list_users(&ListUsers::new()).unwrap();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(ids(page.items()), ["u1"]);
    assert_eq!(server.requests_seen(), 3);
    assert_eq!(server.connections(), 3);
}

/// Fault 1 for POST: close after the status line: a connection error after one request.
#[test]
fn post_close_after_status_line_not_retried() {
    let server = FaultServer::start(vec![vec![
        Action::ReadRequest,
        Action::Write(b"HTTP/1.1 201 Created\r\n".to_vec()),
        Action::Close,
    ]]);
    let started = Instant::now();
    let err = client(&server)
        .create_user(&CreateUser::new("ada", "secret-6"))
        .unwrap_err();
    assert_within(started, Duration::from_secs(1));
    assert!(
        matches!(
            err,
            Error::Connection {
                request_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("may or may not have been applied"),
        "{err}"
    );
    assert_eq!(server.requests_seen(), 1);
}

/// Fault 2: reset mid-body on every attempt: a connection error after 3 requests.
#[test]
fn reset_mid_body_is_connection_error() {
    let body = users_json(&["u1", "u2"]);
    let mut partial = head("200 OK", &["content-type: application/json"], body.len());
    partial.extend_from_slice(&body.as_bytes()[..body.len() / 2]);
    let server = FaultServer::start(vec![vec![
        Action::ReadRequest,
        Action::Write(partial),
        Action::Sleep(Duration::from_millis(50)),
        Action::Reset,
    ]]);
    let started = Instant::now();
    let err = client(&server).list_users(&ListUsers::new()).unwrap_err();
    assert_within(started, Duration::from_secs(1));
    // ureq 3.5 reports a reset during the body as "Peer disconnected", the
    // same as a close, so only the harness test distinguishes the two.
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(
        matches!(
            err,
            Error::Connection {
                request_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("GET /v2/organizations/users failed: connection error"),
        "{err}"
    );
    assert_eq!(server.requests_seen(), MAX_ATTEMPTS);
}

/// Fault 3: `Content-Length` beyond the bytes sent, then close: the GET succeeds on attempt 2.
#[test]
fn short_body_retried() {
    let mut short = head("200 OK", &["content-type: application/json"], 1000);
    short.extend_from_slice(b"[");
    let server = FaultServer::start(vec![
        vec![Action::ReadRequest, Action::Write(short), Action::Close],
        answer(users_response(&["u1"], &[])),
    ]);
    let started = Instant::now();
    let page = client(&server).list_users(&ListUsers::new()).unwrap();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(ids(page.items()), ["u1"]);
    assert_eq!(server.requests_seen(), 2);
}

/// Fault 4: the head comes after the 0.5 s response timeout: a timeout after 3 requests.
#[test]
fn late_head_times_out() {
    let server = FaultServer::start(vec![vec![
        Action::ReadRequest,
        Action::Sleep(Duration::from_secs(2)),
        Action::Write(users_response(&["u1"], &[])),
    ]]);
    let started = Instant::now();
    let err = client(&server).list_users(&ListUsers::new()).unwrap_err();
    // Three timeouts of 0.5 s and two back-offs of at most 150 ms in all.
    let elapsed = assert_within(started, Duration::from_millis(3500));
    assert!(elapsed >= TIMEOUT_RESPONSE * 3, "{elapsed:?}");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(
        matches!(
            err,
            Error::Timeout {
                request_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.requests_seen(), MAX_ATTEMPTS);
}

/// Fault 5: a body trickled past the 1 s body timeout: a timeout after 2 requests (2 attempts).
#[test]
fn trickled_body_times_out() {
    // At a byte every 50 ms the 100-byte body would take 5 s.
    let mut body = users_json(&["u1"]).into_bytes();
    body.resize(100, b' ');
    let server = FaultServer::start(vec![vec![
        Action::ReadRequest,
        Action::Write(head(
            "200 OK",
            &["content-type: application/json"],
            body.len(),
        )),
        Action::WriteSlowly {
            bytes: body,
            pause_per_byte: Duration::from_millis(50),
        },
    ]]);
    let client = client_with(&server, fast_retry().max_attempts(2));
    let started = Instant::now();
    let err = client.list_users(&ListUsers::new()).unwrap_err();
    let elapsed = assert_within(started, Duration::from_secs(4));
    assert!(elapsed >= TIMEOUT_BODY * 2, "{elapsed:?}");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert_eq!(server.requests_seen(), 2);
}

/// Fault 6: a GET gets 500, then 502, then 200: success on the third request.
#[test]
fn get_500_502_then_200_succeeds() {
    let server = FaultServer::start(vec![
        answer(json_error(
            "500 Internal Server Error",
            "INTERNAL",
            "oops",
            &[],
        )),
        answer(response("502 Bad Gateway", &[], b"")),
        answer(users_response(&["u1", "u2"], &[])),
    ]);
    let started = Instant::now();
    let page = client(&server).list_users(&ListUsers::new()).unwrap();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(ids(page.items()), ["u1", "u2"]);
    assert_eq!(server.requests_seen(), 3);
}

/// Fault 7: a POST gets 500: a server error of unknown write outcome after one request.
#[test]
fn post_500_not_retried() {
    let server = FaultServer::start(vec![answer(json_error(
        "500 Internal Server Error",
        "INTERNAL",
        "oops",
        &[],
    ))]);
    let started = Instant::now();
    let err = client(&server)
        .create_user(&CreateUser::new("ada", "secret-6"))
        .unwrap_err();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(err.kind(), ErrorKind::ServerError, "{err}");
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), 500);
    assert!(api.write_outcome_unknown());
    assert!(
        err.to_string().contains("may or may not have been applied"),
        "{err}"
    );
    assert_eq!(server.requests_seen(), 1);
    assert_eq!(server.requests()[0].method, "POST");
}

/// Fault 8: a DELETE gets 503 with `Retry-After: 1`, then 204: success after 1 s, 2 requests.
#[test]
fn delete_503_honours_retry_after() {
    let server = FaultServer::start(vec![
        answer(response(
            "503 Service Unavailable",
            &["retry-after: 1"],
            b"",
        )),
        answer(response("204 No Content", &[], b"")),
    ]);
    let started = Instant::now();
    client(&server).remove_user(&RemoveUser::new("u1")).unwrap();
    let elapsed = assert_within(started, Duration::from_millis(2500));
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].at - requests[0].at >= Duration::from_secs(1));
    for request in &requests {
        assert_eq!(request.method, "DELETE");
        assert_eq!(request.target, "/v2/organizations/users/u1");
    }
}

/// Fault 9 for GET: a rate-limit 403 with the reset 2 s away, then 200: success after the reset.
#[test]
fn rate_limited_get_waits_for_reset() {
    // Started before the reset is read, so that the elapsed time covers at
    // least the 1.1 s from the start of the next second to reset + margin.
    let started = Instant::now();
    let reset = now_secs() + 2;
    let server = FaultServer::start(vec![
        answer(rate_limited(reset)),
        answer(users_response(&["u1"], &["x-ratelimit-remaining: 4999"])),
    ]);
    let page = client(&server).list_users(&ListUsers::new()).unwrap();
    // The wait is between 1.1 s and 2.1 s because the reset has 1 s
    // resolution.
    let elapsed = assert_within(started, Duration::from_millis(4500));
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert_eq!(ids(page.items()), ["u1"]);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let reset_at = UNIX_EPOCH + Duration::from_secs(reset) + RATE_LIMIT_MARGIN;
    assert!(requests[1].wall_clock >= reset_at);
}

/// Fault 9 for POST: a rate-limit 403 means the write was not applied, so it is sent again.
#[test]
fn rate_limited_post_waits_for_reset() {
    // Started before the reset is read, so that the elapsed time covers at
    // least the 1.1 s from the start of the next second to reset + margin.
    let started = Instant::now();
    let reset = now_secs() + 2;
    let server = FaultServer::start(vec![
        answer(rate_limited(reset)),
        answer(response(
            "201 Created",
            &["content-type: application/json"],
            user_json("u1").as_bytes(),
        )),
    ]);
    let user = client(&server)
        .create_user(&CreateUser::new("ada", "secret-6"))
        .unwrap();
    let elapsed = assert_within(started, Duration::from_millis(4500));
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert_eq!(user.id, "u1");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let reset_at = UNIX_EPOCH + Duration::from_secs(reset) + RATE_LIMIT_MARGIN;
    assert!(requests[1].wall_clock >= reset_at);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[1].method, "POST");
    assert_eq!(requests[0].body, requests[1].body);
}

/// Fault 10: a rate-limit reset an hour away, beyond the 5 s maximum wait: the error at once.
#[test]
fn rate_limit_beyond_max_wait_fails_at_once() {
    let reset = now_secs() + 3600;
    let server = FaultServer::start(vec![answer(rate_limited(reset))]);
    let client = client_with(
        &server,
        fast_retry().max_rate_limit_wait(Duration::from_secs(5)),
    );
    let started = Instant::now();
    let err = client.list_users(&ListUsers::new()).unwrap_err();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    let api = err.api_error().unwrap();
    assert_eq!(api.code(), Some("API_RATE_LIMIT_EXCEEDED"));
    assert_eq!(api.rate_limit().reset, Some(reset));
    assert_eq!(api.rate_limit().remaining, Some(0));
    assert_eq!(server.requests_seen(), 1);
}

/// Fault 11: a 403 `FORBIDDEN`: a forbidden error after one request.
#[test]
fn forbidden_not_retried() {
    let server = FaultServer::start(vec![answer(json_error(
        "403 Forbidden",
        "FORBIDDEN",
        "You are not an admin of this organization",
        &[],
    ))]);
    let started = Instant::now();
    let err = client(&server).list_users(&ListUsers::new()).unwrap_err();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(err.kind(), ErrorKind::Forbidden, "{err}");
    assert_eq!(err.api_error().unwrap().code(), Some("FORBIDDEN"));
    assert_eq!(server.requests_seen(), 1);
}

/// Fault 12: an HTML 502 page on every attempt: a server error quoting the page after 3 requests.
#[test]
fn html_502_retried_then_server_error() {
    let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
                <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
                </body>\r\n</html>\r\n";
    let server = FaultServer::start(vec![answer(response(
        "502 Bad Gateway",
        &["content-type: text/html"],
        page.as_bytes(),
    ))]);
    let started = Instant::now();
    let err = client(&server).list_users(&ListUsers::new()).unwrap_err();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(err.kind(), ErrorKind::ServerError, "{err}");
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), 502);
    assert!(api.body().is_none());
    let excerpt = api.body_excerpt().unwrap();
    assert!(
        excerpt.starts_with("<html>\r\n<head><title>502 Bad Gateway"),
        "{excerpt}"
    );
    assert_eq!(server.requests_seen(), MAX_ATTEMPTS);
}

/// Fault 13: a 200 with cut-off JSON: a decode error quoting the body after one request.
#[test]
fn invalid_json_is_decode_error() {
    let body = r#"[{"id":"u1","type":"#;
    let server = FaultServer::start(vec![answer(response(
        "200 OK",
        &["content-type: application/json"],
        body.as_bytes(),
    ))]);
    let started = Instant::now();
    let err = client(&server).list_users(&ListUsers::new()).unwrap_err();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    let Error::Core(flat_org_core::Error::Decode(decode)) = &err else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(decode.body_excerpt(), body);
    assert_eq!(server.requests_seen(), 1);
}

/// Fault 14: a 1 GiB body against a 64 KiB limit: `BodyTooLarge` at once, reading stopped early.
#[test]
fn oversized_body_stops_at_limit() {
    const CHUNK: usize = 64 * 1024;
    const TIMES: usize = 16 * 1024;
    let server = FaultServer::start(vec![vec![
        Action::ReadRequest,
        Action::Write(head(
            "200 OK",
            &["content-type: application/json"],
            CHUNK * TIMES,
        )),
        Action::WriteRepeated {
            chunk: vec![b' '; CHUNK],
            times: TIMES,
        },
    ]]);

    let client = Client::builder(AccessToken::new("fault-token").unwrap())
        .base_url(server.base_url())
        .retry(fast_retry())
        .timeout_response(TIMEOUT_RESPONSE)
        .timeout_body(Duration::from_secs(5))
        .max_body_size(64 * 1024)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.list_users(&ListUsers::new()).unwrap_err();

    assert_within(started, Duration::from_secs(2));
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 65536, .. }),
        "{err:?}"
    );

    // The client cannot have read more than the server had written when the
    // call returned. After the client stops reading, the loopback socket
    // buffers take a few MiB more (3.9 MB in one run on Linux 6.18), far
    // below the 1 GiB body.
    let written = server.bytes_written();
    assert!(written < 64 * 1024 * 1024, "{written} bytes written");
    assert_eq!(server.requests_seen(), 1);
}

/// Fault 15: a chunked 200 body sent in delayed chunks: decoded, one request.
#[test]
fn chunked_body_decodes() {
    // Four chunks 20 ms apart, split in the middle of JSON tokens.
    let body = users_json(&["u1", "u2", "u3"]);
    let mut actions = vec![
        Action::ReadRequest,
        Action::Write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
              transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                .to_vec(),
        ),
    ];
    for piece in body.as_bytes().chunks(body.len() / 4 + 1) {
        let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
        chunk.extend_from_slice(piece);
        chunk.extend_from_slice(b"\r\n");
        actions.push(Action::Write(chunk));
        actions.push(Action::Sleep(Duration::from_millis(20)));
    }
    actions.push(Action::Write(b"0\r\n\r\n".to_vec()));
    let server = FaultServer::start(vec![actions]);
    let started = Instant::now();
    let page = client(&server).list_users(&ListUsers::new()).unwrap();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(ids(page.items()), ["u1", "u2", "u3"]);
    assert_eq!(server.requests_seen(), 1);
}

/// Fault 16: a 200 with no requests left: the next request is sent only after the reset.
#[test]
fn spent_rate_limit_delays_next_request() {
    let reset = now_secs() + 1;
    let reset_header = format!("x-ratelimit-reset: {reset}");
    let server = FaultServer::start(vec![
        answer(users_response(
            &["u1"],
            &["x-ratelimit-remaining: 0", &reset_header],
        )),
        answer(users_response(&["u2"], &["x-ratelimit-remaining: 4999"])),
    ]);
    let client = client(&server);
    let started = Instant::now();
    let first = client.list_users(&ListUsers::new()).unwrap();
    assert_within(started, Duration::from_millis(500));
    assert_eq!(first.rate_limit().remaining, Some(0));
    let second = client.list_users(&ListUsers::new()).unwrap();
    // The wait is between 0.1 s and 1.1 s because the reset has 1 s
    // resolution, so the lower bound is checked on the server's clock.
    assert_within(started, Duration::from_secs(3));
    assert_eq!(ids(second.items()), ["u2"]);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let reset_at = UNIX_EPOCH + Duration::from_secs(reset) + RATE_LIMIT_MARGIN;
    assert!(requests[1].wall_clock >= reset_at);
}

/// Fault 17: a `Link` header of 10,000 links: a decode error at once after one request.
#[test]
fn link_with_10000_links_rejected() {
    // 40 KB, within ureq's 64 KiB head limit, so the core's parser reads it.
    let link = format!("link: {}", "<a>,".repeat(10_000));
    let server = FaultServer::start(vec![answer(users_response(&["u1"], &[&link]))]);
    let started = Instant::now();
    let err = client(&server).list_users(&ListUsers::new()).unwrap_err();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert!(err.to_string().contains("Link"), "{err}");
    assert_eq!(server.requests_seen(), 1);
}

/// Fault 17: a 1 MiB `Link` header: a transport error at once after one request.
#[test]
fn link_of_1_mib_rejected() {
    // ureq 3.5 stops reading a response head at 64 KiB.
    let link = format!("link: <{}>; rel=\"next\"", "a".repeat(1024 * 1024));
    let server = FaultServer::start(vec![answer(users_response(&["u1"], &[&link]))]);
    let started = Instant::now();
    let err = client(&server).list_users(&ListUsers::new()).unwrap_err();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(server.requests_seen(), 1);
}

/// Fault 18: page 2 links back to page 1: `RepeatedLink` after two requests.
#[test]
fn next_link_to_first_page_is_repeated_link() {
    let server = FaultServer::start(vec![
        answer(users_response(
            &["u1"],
            &[r#"link: </v2/organizations/users?next=p2>; rel="next""#],
        )),
        answer(users_response(
            &["u2"],
            &[r#"link: </v2/organizations/users>; rel="next""#],
        )),
    ]);
    let client = client(&server);
    let started = Instant::now();

    let mut items = client.items(&ListUsers::new()).unwrap();
    let users: Vec<User> = items.by_ref().take(2).map(Result::unwrap).collect();
    assert_eq!(ids(&users), ["u1", "u2"]);

    let err = items.next().unwrap().unwrap_err();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(err.kind(), ErrorKind::Pagination, "{err}");
    assert!(
        matches!(
            &err,
            Error::Core(flat_org_core::Error::RepeatedLink { path, pages: 2 })
                if path == "/v2/organizations/users"
        ),
        "{err:?}"
    );
    assert!(items.next().is_none());

    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        ["/v2/organizations/users", "/v2/organizations/users?next=p2"]
    );
}

/// Page 2 fails with 500 on every attempt: `resume_pages` at `pending_link` lists the rest.
#[test]
fn interrupted_listing_resumes() {
    let failure = answer(json_error(
        "500 Internal Server Error",
        "INTERNAL",
        "oops",
        &[],
    ));
    let server = FaultServer::start(vec![
        answer(users_response(
            &["u1"],
            &[r#"link: </v2/organizations/users?next=p2>; rel="next""#],
        )),
        failure.clone(),
        failure.clone(),
        failure,
        answer(users_response(
            &["u2"],
            &[r#"link: </v2/organizations/users?next=p3>; rel="next""#],
        )),
        answer(users_response(&["u3"], &[])),
    ]);
    let client = client(&server);
    let started = Instant::now();
    let mut items = client.items(&ListUsers::new()).unwrap();
    assert_eq!(items.next().unwrap().unwrap().id, "u1");
    let err = items.next().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServerError, "{err}");
    assert!(items.next().is_none());
    assert_eq!(server.requests_seen(), 1 + MAX_ATTEMPTS);

    let link = items.pending_link().unwrap().to_owned();
    assert_eq!(
        link,
        format!("{}/organizations/users?next=p2", server.base_url())
    );
    let rest: Vec<User> = client
        .resume_pages::<User>(&link)
        .unwrap()
        .map(|page| page.unwrap().into_items())
        .collect::<Vec<_>>()
        .concat();
    assert_within(started, Duration::from_secs(1));
    assert_eq!(ids(&rest), ["u2", "u3"]);
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets.len(), 2 + 1 + MAX_ATTEMPTS);
    assert_eq!(targets[1 + MAX_ATTEMPTS], "/v2/organizations/users?next=p2");
    assert_eq!(targets[2 + MAX_ATTEMPTS], "/v2/organizations/users?next=p3");
}
