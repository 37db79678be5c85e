//! Oracle: decoding any bytes as the response of any operation, with any
//! status and `Link` value, never panics and gives a typed value or an
//! error. An error's excerpt comes from at most 512 body bytes, so it is at
//! most 1,536 bytes of lossy UTF-8 plus a length note.
//!
//! Input: one byte choosing the operation, two bytes of status, one byte of
//! `Link` length, the `Link` value, then the body.
#![no_main]

use flat_org_core::http::Response;
use flat_org_core::ops::{
    CreateInvitation, CreateLtiCredentials, CreateUser, ListInvitations, ListLtiCredentials,
    ListUsers, RemoveUser, UpdateUser,
};
use flat_org_core::{AccessToken, Api, Error, LmsName, Operation, Outcome, RateLimit, RetryPolicy};
use libfuzzer_sys::fuzz_target;

/// 512 body bytes, each at most a 3-byte U+FFFD, and the length note.
const MAX_EXCERPT: usize = 3 * 512 + 40;

fn check<O: Operation>(api: &Api, operation: &O, response: &Response<Vec<u8>>) {
    match api.decode(operation, response) {
        Ok(_) => {}
        Err(Error::Decode(decode)) => assert!(decode.body_excerpt().len() <= MAX_EXCERPT),
        Err(Error::Api(api)) => {
            assert!(
                api.body_excerpt()
                    .is_none_or(|excerpt| excerpt.len() <= MAX_EXCERPT)
            );
            let _ = api.to_string();
        }
        Err(other) => {
            let _ = other.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [choice, status_high, status_low, link_length, rest @ ..] = data else {
        return;
    };
    let link_length = usize::from(*link_length).min(rest.len());
    let (link, body) = rest.split_at(link_length);
    let status = 100 + u16::from_be_bytes([*status_high, *status_low]) % 500;
    let mut builder = Response::builder().status(status);
    if !link.is_empty() {
        // The same bytes serve as every header the client interprets.
        builder = builder
            .header("link", link)
            .header("retry-after", link)
            .header("x-ratelimit-reset", link)
            .header("x-ratelimit-remaining", link);
    }
    let Ok(response) = builder.body(body.to_vec()) else {
        return;
    };
    // The retry policy reads the same headers and must not panic either.
    let policy = RetryPolicy::default();
    let now = std::time::SystemTime::now();
    let _ = policy.pace(&RateLimit::from_headers(response.headers()), now);
    for method in [
        flat_org_core::http::Method::GET,
        flat_org_core::http::Method::POST,
    ] {
        let _ = policy.decide(&method, 1, &Outcome::Response(&response), now, 0.5);
    }

    let api = Api::new(AccessToken::new("fuzz").expect("valid token"));
    match choice % 8 {
        0 => check(&api, &ListUsers::new().limit(2), &response),
        1 => check(&api, &ListInvitations::new(), &response),
        2 => check(&api, &ListLtiCredentials::new(), &response),
        3 => check(&api, &CreateUser::new("ada", "secret-6"), &response),
        4 => check(&api, &UpdateUser::new("u1"), &response),
        5 => check(&api, &CreateInvitation::new(), &response),
        6 => check(
            &api,
            &CreateLtiCredentials::new("n", LmsName::Canvas),
            &response,
        ),
        _ => check(&api, &RemoveUser::new("u1"), &response),
    }
});
