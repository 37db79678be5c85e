//! Oracle: an HTTP/1.1 response fed whole or split at arbitrary points gives
//! the same result, never panics, and never yields a body over the limit.
//!
//! Input: one byte choosing the request method, two bytes per cut point
//! (up to 8 cuts) after a count byte, then the response bytes.
#![no_main]

use flat_org_core::http::{Method, Response};
use flat_org_core::wire::{Progress, ResponseParser, WireError};
use libfuzzer_sys::fuzz_target;

const MAX_BODY: usize = 4096;

type Snapshot = (u16, Vec<(String, Vec<u8>)>, Vec<u8>);

fn snapshot(result: Result<Response<Vec<u8>>, WireError>) -> Result<Snapshot, WireError> {
    result.map(|response| {
        assert!(response.body().len() <= MAX_BODY);
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
            .collect();
        (response.status().as_u16(), headers, response.body().clone())
    })
}

fn parse(method: &Method, pieces: &[&[u8]]) -> Result<Snapshot, WireError> {
    let mut parser = ResponseParser::with_max_body(method, MAX_BODY);
    for piece in pieces {
        if let Progress::Complete(response) = parser.feed(piece)? {
            return snapshot(Ok(response));
        }
    }
    snapshot(parser.finish())
}

fuzz_target!(|data: &[u8]| {
    let [method, count, rest @ ..] = data else {
        return;
    };
    let method = match method % 4 {
        0 => Method::GET,
        1 => Method::POST,
        2 => Method::DELETE,
        _ => Method::HEAD,
    };
    let cuts_len = usize::from(count % 9) * 2;
    if rest.len() < cuts_len {
        return;
    }
    let (cut_bytes, bytes) = rest.split_at(cuts_len);
    let mut cuts: Vec<usize> = cut_bytes
        .chunks(2)
        .map(|pair| usize::from(u16::from_le_bytes([pair[0], pair[1]])) % (bytes.len() + 1))
        .collect();
    cuts.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for cut in cuts {
        pieces.push(&bytes[start..cut]);
        start = cut;
    }
    pieces.push(&bytes[start..]);

    let whole = parse(&method, &[bytes]);
    let split = parse(&method, &pieces);
    assert_eq!(whole, split);
});
