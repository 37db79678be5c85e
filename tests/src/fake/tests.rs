//! Tests of the fake server through raw TCP connections to 127.0.0.1.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::encoding::encode_cursor;
use super::store::seed_group_id;
use super::{FakeOptions, FakeServer};

/// A response as read from the socket.
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the response body is not JSON")
    }

    /// Returns the target (path and query) of the `Link` URL with `relation`.
    fn link_target(&self, origin: &str, relation: &str) -> Option<String> {
        let link = self.header("link")?;
        link.split(", ").find_map(|part| {
            let (url, parameters) = part.split_once(">; ")?;
            let url = url.strip_prefix('<')?;
            (parameters == format!("rel=\"{relation}\"")).then(|| {
                url.strip_prefix(origin)
                    .expect("the link has another origin")
                    .to_owned()
            })
        })
    }
}

/// A minimal HTTP/1.1 client over one connection.
struct RawClient {
    stream: TcpStream,
    buffer: Vec<u8>,
    token: String,
}

impl RawClient {
    fn connect(server: &FakeServer) -> RawClient {
        let stream = TcpStream::connect(server.address).expect("connect to the fake server");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("set read timeout");
        RawClient {
            stream,
            buffer: Vec::new(),
            token: server.token().to_owned(),
        }
    }

    fn get(&mut self, target: &str) -> RawResponse {
        self.send("GET", target, None)
    }

    /// Sends a request with the bearer token and reads its response.
    fn send(&mut self, method: &str, target: &str, body: Option<&Value>) -> RawResponse {
        let authorization = format!("Bearer {}", self.token);
        let body = body.map(|value| value.to_string().into_bytes());
        self.send_raw(
            method,
            target,
            &[("Authorization", &authorization)],
            body.as_deref(),
        )
    }

    fn send_raw(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> RawResponse {
        let mut request = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        self.write(&bytes);
        self.read_response(method == "HEAD")
    }

    fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write the request");
    }

    fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 64 * 1024];
        let count = self.stream.read(&mut chunk).expect("read the response");
        self.buffer.extend_from_slice(&chunk[..count]);
        count
    }

    fn read_response(&mut self, head_only: bool) -> RawResponse {
        loop {
            let mut fields = [httparse::EMPTY_HEADER; 64];
            let mut parsed = httparse::Response::new(&mut fields);
            let status = parsed.parse(&self.buffer).expect("a valid response head");
            if let httparse::Status::Complete(head_length) = status {
                let code = parsed.code.expect("a status code");
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|field| {
                        let value = String::from_utf8(field.value.to_vec()).expect("ASCII header");
                        (field.name.to_owned(), value)
                    })
                    .collect();
                self.buffer.drain(..head_length);
                if code == 100 {
                    continue;
                }
                let length = headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                    .map(|(_, value)| value.parse::<usize>().expect("numeric Content-Length"));
                let length = if head_only { 0 } else { length.unwrap_or(0) };
                while self.buffer.len() < length {
                    assert!(self.fill() > 0, "the server closed inside a body");
                }
                let body = self.buffer.drain(..length).collect();
                return RawResponse {
                    status: code,
                    headers,
                    body,
                };
            }
            assert!(self.fill() > 0, "the server closed before a response");
        }
    }

    /// Returns true when the server closed the connection.
    fn is_closed_by_server(&mut self) -> bool {
        matches!(self.stream.read(&mut [0u8; 1]), Ok(0))
    }
}

fn users_path(query: &str) -> String {
    format!("/v2/organizations/users{query}")
}

/// Follows `next` links from `first_target` and returns every item and the
/// number of pages.
fn collect_pages(client: &mut RawClient, origin: &str, first_target: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut target = Some(first_target.to_owned());
    let mut pages = 0;
    while let Some(current) = target {
        let response = client.get(&current);
        assert_eq!(response.status, 200, "{current}");
        let Value::Array(page) = response.json() else {
            panic!("the page is not an array");
        };
        items.extend(page);
        pages += 1;
        assert!(pages <= 10_000, "pagination does not end");
        target = response.link_target(origin, "next");
    }
    (items, pages)
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn origin(server: &FakeServer) -> String {
    format!("http://{}", server.address)
}

#[test]
fn keep_alive_serves_two_requests() {
    let server = FakeServer::start();
    server.seed(3, 0, 0);
    let mut client = RawClient::connect(&server);

    let first = client.get(&users_path(""));
    let second = client.get(&users_path("?limit=1"));

    assert_eq!(first.status, 200);
    assert_eq!(second.status, 200);
    assert_eq!(first.json().as_array().map(Vec::len), Some(3));
    assert_eq!(second.json().as_array().map(Vec::len), Some(1));
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(server.connection_count(), 1);
    assert_eq!(server.request_count(), 2);
}

#[test]
fn pipelined_requests_get_ordered_responses() {
    let server = FakeServer::start();
    server.seed(2, 0, 0);
    let mut client = RawClient::connect(&server);
    let request = format!(
        "GET /v2/organizations/users?limit=1 HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\r\n\
         GET /v2/organizations/users?limit=2 HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\r\n",
        token = server.token()
    );

    client.write(request.as_bytes());
    let first = client.read_response(false);
    let second = client.read_response(false);

    assert_eq!(first.json().as_array().map(Vec::len), Some(1));
    assert_eq!(second.json().as_array().map(Vec::len), Some(2));
}

#[test]
fn connection_close_is_honoured() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);
    let authorization = format!("Bearer {}", server.token());

    let response = client.send_raw(
        "GET",
        &users_path(""),
        &[("Authorization", &authorization), ("Connection", "close")],
        None,
    );

    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(client.is_closed_by_server());
}

#[test]
fn http10_closes_after_response() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);
    let request = format!(
        "GET /v2/organizations/users HTTP/1.0\r\nAuthorization: Bearer {}\r\n\r\n",
        server.token()
    );

    client.write(request.as_bytes());
    let response = client.read_response(false);

    assert_eq!(response.status, 200);
    assert!(client.is_closed_by_server());
}

#[test]
fn missing_or_wrong_token_gets_401() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);
    let cases: [&[(&str, &str)]; 4] = [
        &[],
        &[("Authorization", "Bearer wrong-token")],
        &[("Authorization", "Basic ZmFrZQ==")],
        &[("Authorization", "fake-token-0123456789")],
    ];

    for headers in cases {
        let response = client.send_raw("GET", &users_path(""), headers, None);
        assert_eq!(response.status, 401, "{headers:?}");
        let error = response.json();
        assert_eq!(error["code"], "UNAUTHORIZED");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        let id = error["id"].as_str().expect("an error id");
        assert!(
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        assert_eq!(response.header("x-ratelimit-limit"), Some("5000"));
    }
    let accepted = client.send_raw(
        "GET",
        &users_path(""),
        &[("authorization", "bearer fake-token-0123456789")],
        None,
    );
    assert_eq!(accepted.status, 200);
}

#[test]
fn rate_limit_headers_count_down() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);
    let before = crate::fake::encoding::now_millis() / 1000;

    let first = client.get(&users_path(""));
    let second = client.get("/v2/no/such/route");

    assert_eq!(first.header("x-ratelimit-limit"), Some("5000"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("4999"));
    assert_eq!(second.status, 404);
    assert_eq!(second.header("x-ratelimit-remaining"), Some("4998"));
    let reset: u64 = first
        .header("x-ratelimit-reset")
        .and_then(|value| value.parse().ok())
        .expect("a numeric reset");
    assert!(reset >= before + 3600, "{reset}");
    assert!(reset <= before + 3610, "{reset}");
}

#[test]
fn rate_limit_switch_gives_403() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);

    server.set_rate_limited(true);
    let limited = client.get(&users_path(""));
    let limited_without_token = client.send_raw("GET", &users_path(""), &[], None);
    server.set_rate_limited(false);
    let allowed = client.get(&users_path(""));

    assert_eq!(limited.status, 403);
    assert_eq!(limited.json()["code"], "API_RATE_LIMIT_EXCEEDED");
    assert_eq!(limited.json()["message"], "API rate limit exceeded");
    assert!(limited.json()["id"].is_string());
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(limited_without_token.status, 403);
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.header("x-ratelimit-remaining"), Some("4997"));
}

#[test]
fn pagination_follows_links_to_end() {
    let server = FakeServer::start();
    server.seed(2_500, 0, 0);
    let mut client = RawClient::connect(&server);
    let origin = origin(&server);

    let (items, pages) = collect_pages(&mut client, &origin, &users_path("?limit=7"));

    assert_eq!(items.len(), 2_500);
    assert_eq!(pages, 2_500_usize.div_ceil(7));
    let unique: HashSet<String> = ids(&items).into_iter().collect();
    assert_eq!(unique.len(), 2_500);
    assert_eq!(items[0]["username"], "user00001");
    assert_eq!(items[2_499]["username"], "user02500");
    assert_eq!(server.connection_count(), 1);
}

#[test]
fn pagination_previous_links_walk_back() {
    let server = FakeServer::start();
    server.seed(20, 0, 0);
    let mut client = RawClient::connect(&server);
    let origin = origin(&server);

    let first = client.get(&users_path("?limit=8"));
    assert_eq!(first.link_target(&origin, "previous"), None);
    let second_target = first.link_target(&origin, "next").expect("a next link");
    let second = client.get(&second_target);
    let third_target = second.link_target(&origin, "next").expect("a next link");
    let third = client.get(&third_target);
    assert_eq!(third.json().as_array().map(Vec::len), Some(4));
    assert_eq!(third.link_target(&origin, "next"), None);

    let back_target = third
        .link_target(&origin, "previous")
        .expect("a previous link");
    let back = client.get(&back_target);
    assert_eq!(
        ids(back.json().as_array().expect("array")),
        ids(second.json().as_array().expect("array"))
    );
    let start_target = back
        .link_target(&origin, "previous")
        .expect("a previous link");
    let start = client.get(&start_target);
    assert_eq!(
        ids(start.json().as_array().expect("array")),
        ids(first.json().as_array().expect("array"))
    );
    assert_eq!(start.link_target(&origin, "previous"), None);
    assert!(start.link_target(&origin, "next").is_some());
}

#[test]
fn pagination_survives_deletions() {
    let server = FakeServer::start();
    server.seed(10, 0, 0);
    let mut client = RawClient::connect(&server);
    let origin = origin(&server);
    let first = client.get(&users_path("?limit=4"));
    let next = first.link_target(&origin, "next").expect("a next link");
    let all = ids(client
        .get(&users_path("?limit=10"))
        .json()
        .as_array()
        .expect("array"));

    for id in &all[4..6] {
        let deleted = client.send("DELETE", &users_path(&format!("/{id}")), None);
        assert_eq!(deleted.status, 204);
    }
    let second = client.get(&next);
    let back = client.get(
        &second
            .link_target(&origin, "previous")
            .expect("a previous link"),
    );

    assert_eq!(ids(second.json().as_array().expect("array")), all[6..10]);
    assert_eq!(second.link_target(&origin, "next"), None);
    assert_eq!(ids(back.json().as_array().expect("array")), all[0..4]);
}

#[test]
fn single_page_has_no_link_header() {
    let server = FakeServer::start();
    server.seed(5, 5, 5);
    let mut client = RawClient::connect(&server);

    let users = client.get(&users_path(""));
    let invitations = client.get("/v2/organizations/invitations");
    let credentials = client.get("/v2/organizations/lti/credentials");

    assert_eq!(users.header("link"), None);
    assert_eq!(invitations.header("link"), None);
    assert_eq!(credentials.header("link"), None);
    assert_eq!(credentials.json().as_array().map(Vec::len), Some(5));
}

#[test]
fn cursor_needs_percent_encoding() {
    let server = FakeServer::start();
    server.seed(300, 0, 0);
    let mut client = RawClient::connect(&server);
    let origin = origin(&server);

    let group = seed_group_id(1);
    let response = client.get(&users_path(&format!(
        "?limit=3&role=user&role=teacher&q=US&group={group}"
    )));
    let link = response.header("link").expect("a Link header");
    let next = response.link_target(&origin, "next").expect("a next link");

    assert!(
        link.starts_with(&format!("<{origin}/v2/organizations/users?")),
        "{link}"
    );
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    let query = next.split_once('?').expect("a query").1;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let cursor = &pairs
        .iter()
        .find(|(name, _)| name == "next")
        .expect("next")
        .1;
    assert!(cursor.contains('+'), "{cursor}");
    assert!(cursor.contains('/'), "{cursor}");
    assert!(cursor.contains('='), "{cursor}");
    assert!(
        next.contains("%2B") && next.contains("%2F") && next.contains("%3D"),
        "{next}"
    );
    assert!(!next.contains('+'), "{next}");
    let filters: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(name, _)| name != "next")
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    assert_eq!(
        filters,
        [
            ("limit", "3"),
            ("role", "user"),
            ("role", "teacher"),
            ("q", "US"),
            ("group", group.as_str()),
        ]
    );
}

#[test]
fn unescaped_or_bad_cursor_gets_400() {
    let server = FakeServer::start();
    server.seed(30, 0, 0);
    let mut client = RawClient::connect(&server);
    let origin = origin(&server);
    let next = client
        .get(&users_path("?limit=10"))
        .link_target(&origin, "next")
        .expect("a next link");
    let unescaped = percent_encoding::percent_decode_str(&next)
        .decode_utf8()
        .expect("UTF-8")
        .into_owned();

    let never_issued = utf8_percent_encode(&encode_cursor(31), NON_ALPHANUMERIC).to_string();
    let last_issued = utf8_percent_encode(&encode_cursor(30), NON_ALPHANUMERIC).to_string();
    let first_page = client.get(&users_path(&format!("?previous={last_issued}")));
    assert_eq!(first_page.status, 200);

    let cases = [
        (unescaped, "next"),
        (users_path("?next="), "next"),
        (users_path("?next=abc"), "next"),
        (users_path("?previous=Zm9vYmFy"), "previous"),
        (users_path("?next=%2B%2B%2F%2FAAAAAAAAAP%2F%2F"), "next"),
        (users_path(&format!("?next={never_issued}")), "next"),
        (
            users_path(&format!("?next={last_issued}&previous={last_issued}")),
            "previous",
        ),
    ];
    for (target, param) in cases {
        let response = client.get(&target);
        assert_eq!(response.status, 400, "{target}");
        assert_eq!(response.json()["code"], "BAD_REQUEST", "{target}");
        assert_eq!(response.json()["param"], param, "{target}");
    }
}

#[test]
fn invalid_query_parameters_get_400() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);
    let cases = [
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?limit=abc", "limit"),
        ("?limit=2.5", "limit"),
        ("?limit=-1", "limit"),
        ("?limit=1&limit=2", "limit"),
        ("?role=billing", "role"),
        ("?role=user&role=", "role"),
    ];

    for (query, param) in cases {
        let response = client.get(&users_path(query));
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(response.json()["param"], param, "{query}");
    }
    let bad_invitation_role = client.get("/v2/organizations/invitations?role=accountAdmin");
    assert_eq!(bad_invitation_role.status, 400);
    assert_eq!(bad_invitation_role.json()["param"], "role");
    assert_eq!(client.get(&users_path("?limit=1000")).status, 200);
}

#[test]
fn role_filter_matches_any_role() {
    let server = FakeServer::start();
    server.seed(2_500, 0, 0);
    let mut client = RawClient::connect(&server);
    let origin = origin(&server);
    let expected = server
        .shared
        .lock_store()
        .users
        .entries()
        .iter()
        .filter(|entry| entry.index.role == "teacher" || entry.index.role == "admin")
        .count();

    let (items, _) = collect_pages(
        &mut client,
        &origin,
        &users_path("?role=teacher&role=admin&limit=50"),
    );

    assert!(
        expected > 100,
        "the seed has too few teachers and admins: {expected}"
    );
    assert_eq!(items.len(), expected);
    for item in &items {
        let role = item["organizationRole"].as_str().expect("a role");
        assert!(role == "teacher" || role == "admin", "{role}");
    }
    let admins = client
        .get(&users_path("?role=accountAdmin&limit=1000"))
        .json();
    assert_eq!(admins.as_array().map(Vec::len), Some(25));
}

#[test]
fn search_and_group_filters() {
    let server = FakeServer::start();
    server.seed(300, 0, 0);
    let mut client = RawClient::connect(&server);
    let group = seed_group_id(3);

    let search = client.get(&users_path("?q=USER0012&limit=100")).json();
    let by_group = client
        .get(&users_path(&format!("?group={group}&limit=1000")))
        .json();
    let counted = client
        .get(&users_path(&format!("/count?group={group}")))
        .json();

    let names: Vec<&str> = search
        .as_array()
        .expect("array")
        .iter()
        .map(|user| user["username"].as_str().expect("a username"))
        .collect();
    assert_eq!(names.len(), 10);
    assert!(
        names.iter().all(|name| name.starts_with("user0012")),
        "{names:?}"
    );
    let members = by_group.as_array().expect("array");
    assert!(!members.is_empty());
    for member in members {
        let groups = member["groups"].as_array().expect("groups");
        assert!(groups.iter().any(|g| g == group.as_str()), "{member}");
    }
    assert_eq!(counted, json!(members.len()));
}

#[test]
fn seed_has_robustness_cases() {
    let server = FakeServer::start();
    server.seed(250, 6, 10);
    let mut client = RawClient::connect(&server);

    let users = client.get(&users_path("?limit=1000")).json();
    let invitations = client
        .get("/v2/organizations/invitations?limit=1000")
        .json();
    let credentials = client.get("/v2/organizations/lti/credentials").json();

    let users = users.as_array().expect("array");
    let billing: Vec<&Value> = users
        .iter()
        .filter(|u| u["organizationRole"] == "billing")
        .collect();
    assert_eq!(billing.len(), 1);
    assert_eq!(billing[0]["username"], "user00007");
    assert_eq!(billing[0]["futureField"], json!({ "nested": true }));
    let without_picture = users.iter().filter(|u| u["picture"].is_null()).count();
    assert_eq!(without_picture, 2);
    assert!(users.iter().all(|u| u.get("picture").is_some()));
    assert!(users.iter().any(|u| u["license"].is_object()));
    for user in users {
        let id = user["id"].as_str().expect("an id");
        assert!(
            id.len() == 24 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{id}"
        );
        assert_eq!(user["type"], "user");
        assert_eq!(user["product"], "flatEdu");
    }

    let invitations = invitations.as_array().expect("array");
    let roles: Vec<&str> = invitations
        .iter()
        .map(|i| i["organizationRole"].as_str().expect("role"))
        .collect();
    assert_eq!(
        roles,
        ["teacher", "admin", "teacher", "admin", "teacher", "admin"]
    );
    let null_codes: Vec<usize> = (0..6)
        .filter(|&i| invitations[i]["customCode"].is_null())
        .collect();
    assert_eq!(null_codes, [2, 5]);
    assert_eq!(
        invitations
            .iter()
            .filter(|i| i.get("futureField").is_some())
            .count(),
        1
    );

    let lms: Vec<&str> = credentials
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["lms"].as_str().expect("lms"))
        .collect();
    assert_eq!(
        lms[..9],
        [
            "canvas",
            "moodle",
            "schoology",
            "blackboard",
            "desire2learn",
            "sakai",
            "schoolbox",
            "other",
            "canvas"
        ]
    );

    let again = FakeServer::start();
    again.seed(250, 6, 10);
    let id = users[41]["id"].as_str().expect("an id");
    assert_eq!(again.user(id).as_ref(), Some(&users[41]));
}

#[test]
fn unknown_ids_and_routes_get_404() {
    let server = FakeServer::start();
    server.seed(1, 1, 1);
    let mut client = RawClient::connect(&server);
    let update = json!({ "firstname": "Nobody" });

    let cases = [
        client.send(
            "PUT",
            &users_path("/000000000000000000000000"),
            Some(&update),
        ),
        client.send("DELETE", &users_path("/000000000000000000000000"), None),
        client.send("DELETE", "/v2/organizations/invitations/missing", None),
        client.send("DELETE", "/v2/organizations/lti/credentials/missing", None),
        client.send("DELETE", &users_path("/a%2Fb"), None),
        client.get("/v2/organizations/nothing"),
        client.get("/v1/organizations/users"),
        client.get("/organizations/users"),
        client.get(&users_path("/")),
    ];

    for response in cases {
        assert_eq!(response.status, 404);
        assert_eq!(response.json()["code"], "NOT_FOUND");
    }
}

#[test]
fn path_ids_are_decoded_as_one_segment() {
    let server = FakeServer::start();
    server.seed(1, 0, 0);
    let mut client = RawClient::connect(&server);
    let id = client.get(&users_path("")).json()[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let encoded: String = id.bytes().map(|b| format!("%{b:02X}")).collect();

    let extra_segment = client.send("DELETE", &users_path(&format!("/{id}/extra")), None);
    let decoded = client.send("PUT", &users_path(&format!("/{encoded}")), Some(&json!({})));

    assert_eq!(extra_segment.status, 404);
    assert_eq!(decoded.status, 200);
    assert_eq!(decoded.json()["id"], id.as_str());
}

#[test]
fn wrong_method_gets_405() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);

    let cases = [
        (client.send("DELETE", &users_path(""), None), "GET, POST"),
        (client.get(&users_path("/someone")), "PUT, DELETE"),
        (
            client.get("/v2/organizations/invitations/someone"),
            "DELETE",
        ),
        (
            client.send("PUT", "/v2/organizations/lti/credentials", None),
            "GET, POST",
        ),
    ];

    for (response, allowed) in cases {
        assert_eq!(response.status, 405);
        assert_eq!(response.header("allow"), Some(allowed));
    }
}

#[test]
fn user_create_update_delete_round_trip() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);

    let created = client.send(
        "POST",
        &users_path(""),
        Some(&json!({
            "username": "ada",
            "password": "secret-password",
            "firstname": "Ada",
            "lastname": "Lovelace",
            "email": "ada@school.example",
            "role": "teacher",
            "locale": "fr",
        })),
    );
    assert_eq!(created.status, 200);
    let user = created.json();
    let id = user["id"].as_str().expect("an id").to_owned();
    assert_eq!(id.len(), 24);
    assert_eq!(user["type"], "user");
    assert_eq!(user["product"], "flatEdu");
    assert_eq!(user["username"], "ada");
    assert_eq!(user["picture"], Value::Null);
    assert_eq!(user["printableName"], "Ada Lovelace");
    assert_eq!(user["organizationRole"], "teacher");
    assert_eq!(user["email"], "ada@school.example");
    assert_eq!(user["groups"], json!([]));
    assert_eq!(user["badges"], json!([]));
    assert!(user.get("password").is_none());
    assert_eq!(server.user(&id), Some(user.clone()));

    let duplicate = client.send(
        "POST",
        &users_path(""),
        Some(&json!({ "username": "ADA", "password": "secret-password" })),
    );
    assert_eq!(duplicate.status, 400);
    assert_eq!(duplicate.json()["param"], "username");

    let updated = client.send(
        "PUT",
        &users_path(&format!("/{id}")),
        Some(
            &json!({ "firstname": "Augusta", "organizationRole": "admin", "username": "augusta" }),
        ),
    );
    assert_eq!(updated.status, 200);
    assert_eq!(updated.json()["printableName"], "Augusta Lovelace");
    assert_eq!(updated.json()["organizationRole"], "admin");
    assert_eq!(server.user(&id).expect("stored")["username"], "augusta");

    let reused = client.send(
        "POST",
        &users_path(""),
        Some(&json!({ "username": "ada", "password": "secret-password" })),
    );
    assert_eq!(reused.status, 200);
    let minimal = reused.json();
    assert_eq!(minimal["organizationRole"], "user");
    assert_eq!(minimal["printableName"], "ada");
    assert!(minimal.get("email").is_none());
    assert_eq!(server.user_count(), 2);

    let bad_flag = client.send(
        "DELETE",
        &users_path(&format!("/{id}?convertToIndividual=yes")),
        None,
    );
    assert_eq!(bad_flag.status, 400);
    assert_eq!(bad_flag.json()["param"], "convertToIndividual");
    let deleted = client.send(
        "DELETE",
        &users_path(&format!("/{id}?convertToIndividual=false")),
        None,
    );
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    assert_eq!(deleted.header("content-length"), None);
    assert_eq!(deleted.header("content-type"), None);
    assert_eq!(server.user(&id), None);
    assert_eq!(server.user_count(), 1);
    let again = client.send("DELETE", &users_path(&format!("/{id}")), None);
    assert_eq!(again.status, 404);
}

#[test]
fn invalid_user_bodies_get_400() {
    let server = FakeServer::start();
    server.seed(1, 0, 0);
    let mut client = RawClient::connect(&server);
    let long = |length: usize| "x".repeat(length);
    let creations = [
        (json!({ "password": "secret" }), "username"),
        (json!({ "username": "bob" }), "password"),
        (json!({ "username": "", "password": "secret" }), "username"),
        (
            json!({ "username": long(31), "password": "secret" }),
            "username",
        ),
        (
            json!({ "username": "bob", "password": "short" }),
            "password",
        ),
        (
            json!({ "username": "bob", "password": long(1001) }),
            "password",
        ),
        (
            json!({ "username": "bob", "password": "secret", "firstname": long(61) }),
            "firstname",
        ),
        (
            json!({ "username": "bob", "password": "secret", "lastname": long(61) }),
            "lastname",
        ),
        (
            json!({ "username": "bob", "password": "secret", "role": "billing" }),
            "role",
        ),
        (
            json!({ "username": "bob", "password": "secret", "email": null }),
            "email",
        ),
        (
            json!({ "username": "bob", "password": "secret", "email": "bob" }),
            "email",
        ),
        (json!({ "username": 5, "password": "secret" }), "username"),
        (
            json!({ "username": "user00001", "password": "secret" }),
            "username",
        ),
        (json!(["username"]), "body"),
    ];

    for (body, param) in creations {
        let response = client.send("POST", &users_path(""), Some(&body));
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.json()["code"], "BAD_REQUEST", "{body}");
        assert_eq!(response.json()["param"], param, "{body}");
    }
    let authorization = format!("Bearer {}", server.token());
    let not_json = client.send_raw(
        "POST",
        &users_path(""),
        &[("Authorization", &authorization)],
        Some(b"{\"username\":"),
    );
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.json()["param"], "body");

    let id = client.get(&users_path("")).json()[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let updates = [
        (json!({ "organizationRole": "billing" }), "organizationRole"),
        (json!({ "username": long(31) }), "username"),
        (json!({ "password": "short" }), "password"),
        (json!({ "firstname": long(61) }), "firstname"),
    ];
    for (body, param) in updates {
        let response = client.send("PUT", &users_path(&format!("/{id}")), Some(&body));
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.json()["param"], param, "{body}");
    }
    assert_eq!(server.user_count(), 1);
}

#[test]
fn chunked_request_body_is_decoded() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);
    let request = format!(
        "POST /v2/organizations/users HTTP/1.1\r\nAuthorization: Bearer {}\r\n\
         Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n\
         f;name=value\r\n{{\"username\":\"ch\r\n\
         1c\r\nunked\",\"password\":\"secret1\"}}\r\n\
         0\r\nX-Trailer: yes\r\n\r\n",
        server.token()
    );

    client.write(request.as_bytes());
    let response = client.read_response(false);

    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.json()["username"], "chunked");
    let recorded = server.requests();
    assert_eq!(
        recorded[0].body,
        br#"{"username":"chunked","password":"secret1"}"#
    );
    assert_eq!(client.get(&users_path("")).status, 200);
}

#[test]
fn expect_continue_gets_interim_response() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);
    let body = br#"{"name":"Canvas","lms":"canvas"}"#;
    let head = format!(
        "POST /v2/organizations/lti/credentials HTTP/1.1\r\nAuthorization: Bearer {}\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        server.token(),
        body.len()
    );

    client.write(head.as_bytes());
    while !client.buffer.starts_with(b"HTTP/1.1 100 Continue\r\n\r\n") {
        assert!(client.fill() > 0, "no interim response");
    }
    client.write(body);
    let response = client.read_response(false);

    assert_eq!(response.status, 200);
    assert_eq!(response.json()["lms"], "canvas");
}

#[test]
fn malformed_requests_get_400_and_close() {
    let server = FakeServer::start();
    let inputs: [&[u8]; 5] = [
        b"NOT AN HTTP REQUEST\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        b"POST /v2/organizations/users HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
        b"POST /v2/organizations/users HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"POST /v2/organizations/users HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ];

    for input in inputs {
        let mut client = RawClient::connect(&server);
        client.write(input);
        let response = client.read_response(false);
        assert_eq!(response.status, 400, "{}", String::from_utf8_lossy(input));
        assert_eq!(response.json()["code"], "BAD_REQUEST");
        assert!(client.is_closed_by_server());
    }

    let mut oversized = RawClient::connect(&server);
    let mut head = b"GET / HTTP/1.1\r\nX-Filler: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 70 * 1024));
    let _ = oversized.stream.write_all(&head);
    assert_eq!(oversized.read_response(false).status, 431);

    let mut client = RawClient::connect(&server);
    assert_eq!(client.get(&users_path("")).status, 200);
}

#[test]
fn invitations_create_list_delete() {
    let server = FakeServer::start();
    server.seed(0, 120, 0);
    let mut client = RawClient::connect(&server);
    let origin = origin(&server);

    let created = client.send(
        "POST",
        "/v2/organizations/invitations",
        Some(&json!({ "email": "new@school.example", "organizationRole": "admin" })),
    );
    let defaulted = client.send("POST", "/v2/organizations/invitations", Some(&json!({})));
    let bad_role = client.send(
        "POST",
        "/v2/organizations/invitations",
        Some(&json!({ "organizationRole": "user" })),
    );

    assert_eq!(created.status, 200);
    let invitation = created.json();
    let code = invitation["customCode"].as_str().expect("a code");
    assert_eq!(
        invitation["htmlUrl"],
        format!("https://flat.io/organization/enroll?enrollcode={code}")
    );
    assert_eq!(invitation["organizationRole"], "admin");
    assert_eq!(invitation["email"], "new@school.example");
    assert_eq!(invitation["allowMultipleUse"], false);
    assert_eq!(invitation["usedBy"], json!([]));
    assert!(invitation["invitedBy"].is_string());
    assert!(
        invitation["creationDate"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z'))
    );
    assert_eq!(defaulted.json()["organizationRole"], "teacher");
    assert_eq!(bad_role.status, 400);
    assert_eq!(bad_role.json()["param"], "organizationRole");

    let (all, pages) = collect_pages(&mut client, &origin, "/v2/organizations/invitations");
    assert_eq!(all.len(), 122);
    assert_eq!(pages, 3);
    let (admins, _) = collect_pages(
        &mut client,
        &origin,
        "/v2/organizations/invitations?role=admin&limit=7",
    );
    assert_eq!(admins.len(), 61);
    assert!(admins.iter().all(|i| i["organizationRole"] == "admin"));

    let id = invitation["id"].as_str().expect("an id");
    let deleted = client.send(
        "DELETE",
        &format!("/v2/organizations/invitations/{id}"),
        None,
    );
    assert_eq!(deleted.status, 204);
    assert_eq!(server.invitation_count(), 121);
}

#[test]
fn lti_credentials_create_list_delete() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);

    let created = client.send(
        "POST",
        "/v2/organizations/lti/credentials",
        Some(&json!({ "name": "Moodle of the district", "lms": "moodle" })),
    );
    let bad_lms = client.send(
        "POST",
        "/v2/organizations/lti/credentials",
        Some(&json!({ "name": "x", "lms": "brightspace" })),
    );
    let long_name = client.send(
        "POST",
        "/v2/organizations/lti/credentials",
        Some(&json!({ "name": "x".repeat(301), "lms": "other" })),
    );
    let missing_name = client.send(
        "POST",
        "/v2/organizations/lti/credentials",
        Some(&json!({ "lms": "other" })),
    );

    assert_eq!(created.status, 200);
    let credentials = created.json();
    assert_eq!(credentials["name"], "Moodle of the district");
    assert_eq!(credentials["lms"], "moodle");
    assert_eq!(credentials["enableEmailMatching"], true);
    let key = credentials["consumerKey"].as_str().expect("a key");
    let groups: Vec<usize> = key.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12]);
    assert!(!key.bytes().any(|b| b.is_ascii_lowercase()), "{key}");
    assert!(
        credentials["consumerSecret"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(bad_lms.json()["param"], "lms");
    assert_eq!(long_name.json()["param"], "name");
    assert_eq!(missing_name.json()["param"], "name");

    let listed = client.get("/v2/organizations/lti/credentials").json();
    assert_eq!(listed, json!([credentials]));
    let id = credentials["id"].as_str().expect("an id");
    let deleted = client.send(
        "DELETE",
        &format!("/v2/organizations/lti/credentials/{id}"),
        None,
    );
    assert_eq!(deleted.status, 204);
    assert_eq!(server.lti_credentials_count(), 0);
}

#[test]
fn concurrent_connections_are_served() {
    let server = FakeServer::start();
    server.seed(100, 0, 0);
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let address = server.address;
            let token = server.token().to_owned();
            thread::spawn(move || {
                let stream = TcpStream::connect(address).expect("connect");
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .expect("set read timeout");
                let mut client = RawClient {
                    stream,
                    buffer: Vec::new(),
                    token,
                };
                for round in 0..50 {
                    let username = format!("worker{worker}-{round}");
                    let body = json!({ "username": username, "password": "secret" });
                    assert_eq!(
                        client.send("POST", &users_path(""), Some(&body)).status,
                        200
                    );
                    let listed = client.get(&users_path("?limit=5"));
                    assert_eq!(listed.json().as_array().map(Vec::len), Some(5));
                }
            })
        })
        .collect();

    for worker in workers {
        worker.join().expect("a worker panicked");
    }
    assert_eq!(server.user_count(), 300);
    assert_eq!(server.request_count(), 400);
    assert_eq!(server.connection_count(), 4);
}

#[test]
fn request_log_keeps_requests_in_order() {
    let server = FakeServer::start_with(FakeOptions {
        base_path: "/api/v2/".to_owned(),
        token: "other-token".to_owned(),
    });
    let mut client = RawClient::connect(&server);

    assert!(server.base_url().ends_with("/api/v2"));
    let first = client.get("/api/v2/organizations/users?q=a%20b");
    let second = client.send(
        "POST",
        "/api/v2/organizations/invitations",
        Some(&json!({})),
    );

    assert_eq!(first.status, 200);
    assert_eq!(second.status, 200);
    let recorded = server.requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].method, "GET");
    assert_eq!(recorded[0].target, "/api/v2/organizations/users?q=a%20b");
    assert!(
        recorded[0]
            .headers
            .iter()
            .any(|(name, value)| name == "Authorization" && value == "Bearer other-token")
    );
    assert_eq!(recorded[1].body, b"{}");
    server.clear_requests();
    assert_eq!(server.request_count(), 0);
    assert!(server.requests().is_empty());
}

#[test]
fn drop_closes_open_connections() {
    let server = FakeServer::start();
    let mut client = RawClient::connect(&server);
    assert_eq!(client.get(&users_path("")).status, 200);
    let address = server.address;

    let started = Instant::now();
    drop(server);

    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(client.is_closed_by_server());
    assert!(TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_err());
}

#[test]
fn large_listing_stays_fast() {
    let server = FakeServer::start();
    server.seed(100_000, 0, 0);
    let mut client = RawClient::connect(&server);
    let origin = origin(&server);

    let started = Instant::now();
    let mut target = Some(users_path("?limit=1000"));
    let mut pages = 0;
    let mut items = 0;
    while let Some(current) = target.take() {
        let response = client.get(&current);
        assert_eq!(response.status, 200, "{current}");
        let page: Vec<serde::de::IgnoredAny> =
            serde_json::from_slice(&response.body).expect("a JSON array");
        items += page.len();
        pages += 1;
        assert!(pages <= 100, "more pages than expected");
        target = response.link_target(&origin, "next");
    }
    let elapsed = started.elapsed();

    assert_eq!(items, 100_000);
    assert_eq!(pages, 100);
    // Generous bound so that unoptimized builds on a loaded machine pass:
    // the server's share is well under a second even without optimization.
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let _ = client.stream.shutdown(Shutdown::Both);
}
