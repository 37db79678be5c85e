//! Micro-benchmarks of the core's hot paths: `Link` parsing, decoding a page
//! of users, and building list requests. Run with `cargo bench -p
//! flat-org-core`.

use divan::{Bencher, black_box};
use flat_org_core::http::Response;
use flat_org_core::link::parse_link_header;
use flat_org_core::ops::ListUsers;
use flat_org_core::{AccessToken, Api, OrganizationRole};

fn main() {
    divan::main();
}

const USERS: &str = "https://api.flat.io/v2/organizations/users";

/// Returns the `Link` value Flat sends on a middle page.
fn two_links() -> String {
    format!(
        "<{USERS}?limit=1000&next=%2B%2B%2F%2FAAAAAAABhqA%3D>; rel=\"next\", \
         <{USERS}?limit=1000&previous=%2B%2B%2F%2FAAAAAAAA-iA%3D>; rel=\"previous\""
    )
}

fn fifty_links() -> String {
    (0..50)
        .map(|i| format!("<{USERS}?limit=1000&next=c{i}>; rel=\"item\"; title=\"page {i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds a JSON array of `count` users shaped like the API's `UserDetailsAdmin`.
fn users_json(count: usize) -> Vec<u8> {
    let users: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let role = ["user", "teacher", "admin"][i % 3];
            serde_json::json!({
                "id": format!("{i:024x}"),
                "type": "user",
                "product": "flatEdu",
                "username": format!("user{i:05}"),
                "picture": if i % 100 == 0 { serde_json::Value::Null } else {
                    format!("https://cdn.example/avatars/{i}.png").into()
                },
                "printableName": format!("Ada Lovelace {i}"),
                "firstname": "Ada",
                "lastname": "Lovelace",
                "email": format!("user{i:05}@school.example"),
                "organizationRole": role,
                "organization": "5832c801a4bedc05f4fb4993",
                "groups": ["5e1000000000000000000001", "5e1000000000000000000002"],
                "badges": [],
                "isEduTestingStudent": false,
                "lastActivityDate": "2026-09-01T01:00:07.000Z",
                "license": {"id": "l1", "active": true, "mode": "site", "source": "order",
                            "expirationDate": "2027-08-31T00:00:00.000Z"}
            })
        })
        .collect();
    serde_json::to_vec(&users).expect("JSON values serialize")
}

fn api() -> Api {
    Api::new(AccessToken::new("bench-token").expect("valid token"))
}

#[divan::bench]
fn link_header_two(bencher: Bencher<'_, '_>) {
    let value = two_links();
    bencher.bench(|| parse_link_header(black_box(value.as_bytes())).expect("valid"));
}

#[divan::bench]
fn link_header_fifty(bencher: Bencher<'_, '_>) {
    let value = fifty_links();
    bencher.bench(|| parse_link_header(black_box(value.as_bytes())).expect("valid"));
}

#[divan::bench]
fn decode_page_of_1000_users(bencher: Bencher<'_, '_>) {
    let api = api();
    let list = ListUsers::new().limit(1000);
    let response = Response::builder()
        .status(200)
        .header("link", two_links())
        .header("x-ratelimit-remaining", "4321")
        .body(users_json(1000))
        .expect("valid response");
    bencher
        .counter(divan::counter::BytesCount::new(response.body().len()))
        .bench(|| api.decode(&list, black_box(&response)).expect("decodes"));
}

#[divan::bench]
fn build_10000_list_requests(bencher: Bencher<'_, '_>) {
    let api = api();
    bencher.bench(|| {
        for i in 0..10_000_u32 {
            let list = ListUsers::new()
                .role(OrganizationRole::Teacher)
                .limit(1000)
                .next(format!("++//AAAAAA{i}="));
            black_box(api.request(&list).expect("valid request"));
        }
    });
}
