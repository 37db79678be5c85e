//! Oracle: for arbitrary strings in every path and query parameter, a built
//! request's path has exactly the expected segments, each decoding back to
//! its input, and no header, URI or body byte outside JSON strings is a
//! control byte.
//!
//! Input: up to six strings separated by NUL bytes: an id, a cursor, a
//! search text, a group, a name, and a user agent.
#![no_main]

use flat_org_core::http::Request;
use flat_org_core::ops::{CreateLtiCredentials, ListUsers, RemoveInvitation, UpdateUser};
use flat_org_core::url::Url;
use flat_org_core::{AccessToken, Api, LmsName};
use libfuzzer_sys::fuzz_target;

const BASE: &str = "https://api.flat.io/v2";

fn check_clean(request: &Request<Vec<u8>>) {
    let uri = request.uri().to_string();
    assert!(uri.bytes().all(|b| b.is_ascii_graphic()), "{uri:?}");
    for (name, value) in request.headers() {
        assert!(
            value.as_bytes().iter().all(|&b| b >= 0x20 && b != 0x7f),
            "{name}: {value:?}"
        );
    }
}

fn segments(request: &Request<Vec<u8>>) -> Vec<String> {
    let url = Url::parse(&request.uri().to_string()).expect("absolute URI");
    url.path_segments()
        .expect("hierarchical URL")
        .map(percent_decode)
        .collect()
}

/// Decodes `%XX` escapes; the encoder writes no other use of `%`.
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII escape");
            out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("segments encode UTF-8 input")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let mut next = || parts.next().unwrap_or("").to_owned();
    let (id, cursor, query, group, name, agent) = (next(), next(), next(), next(), next(), next());

    let token = AccessToken::new("fuzz").expect("valid token");
    let mut api = Api::new(token).base_url(BASE).expect("valid base URL");
    if let Ok(with_agent) = api.clone().user_agent(&agent) {
        api = with_agent;
    }

    if let Ok(request) = api.request(&UpdateUser::new(id.as_str()).firstname(name.as_str())) {
        check_clean(&request);
        assert_eq!(
            segments(&request),
            ["v2", "organizations", "users", id.as_str()]
        );
    }
    if let Ok(request) = api.request(&RemoveInvitation::new(id.as_str())) {
        check_clean(&request);
        assert_eq!(
            segments(&request),
            ["v2", "organizations", "invitations", id.as_str()]
        );
    }
    let list = ListUsers::new()
        .next(cursor.as_str())
        .query(query.as_str())
        .group(group.as_str());
    if let Ok(request) = api.request(&list) {
        check_clean(&request);
        assert_eq!(segments(&request), ["v2", "organizations", "users"]);
        let url = Url::parse(&request.uri().to_string()).expect("absolute URI");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            [
                ("next".to_owned(), cursor.clone()),
                ("q".to_owned(), query.clone()),
                ("group".to_owned(), group.clone()),
            ]
        );
    }
    if let Ok(request) = api.request(&CreateLtiCredentials::new(name.as_str(), LmsName::Other)) {
        check_clean(&request);
    }
});
