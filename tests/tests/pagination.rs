//! Listings followed to the last page, and the links a client must not
//! follow.

mod common;

use common::client_for;

use std::collections::HashSet;

use flat_org_blocking::ops::{ListInvitations, ListUsers};
use flat_org_blocking::{AccessToken, Client, Error, ErrorKind, User};
use flat_org_tests::fake::FakeServer;

use common::{ScriptedServer, json_response, user_json};

fn list_all(client: &Client, limit: u32) -> (Vec<User>, usize) {
    let mut items = client.items(&ListUsers::new().limit(limit)).unwrap();
    let users = items.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    (users, items.pages())
}

#[test]
fn lists_2500_users_at_limit_1000() {
    let server = FakeServer::start();
    server.seed(2500, 0, 0);
    let client = client_for(&server);
    let (users, pages) = list_all(&client, 1000);
    assert_eq!(users.len(), 2500);
    assert_eq!(pages, 3);
    let ids: HashSet<_> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids.len(), 2500);
    assert_eq!(server.request_count(), 3);
    assert_eq!(server.connection_count(), 1);
}

#[test]
fn lists_2500_users_at_limit_7() {
    let server = FakeServer::start();
    server.seed(2500, 0, 0);
    let client = client_for(&server);
    let (users, pages) = list_all(&client, 7);
    assert_eq!(users.len(), 2500);
    assert_eq!(pages, 358);
    let ids: HashSet<_> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids.len(), 2500);
    assert_eq!(server.request_count(), 358);
    assert_eq!(server.connection_count(), 1);
}

#[test]
fn cursors_are_not_encoded_twice() {
    let server = FakeServer::start();
    server.seed(30, 0, 0);
    let client = client_for(&server);
    let (users, pages) = list_all(&client, 10);
    assert_eq!(users.len(), 30);
    assert_eq!(pages, 3);
    let follow_ups: Vec<_> = server.requests().into_iter().skip(1).collect();
    assert_eq!(follow_ups.len(), 2);
    for request in follow_ups {
        assert!(request.target.contains("next="), "{}", request.target);
        assert!(request.target.contains("%2B") || request.target.contains("%2F"));
        assert!(!request.target.contains("%25"), "{}", request.target);
    }
}

#[test]
fn cursor_given_by_caller_round_trips() {
    let server = FakeServer::start();
    server.seed(30, 0, 0);
    let client = client_for(&server);
    let first = client.list_users(&ListUsers::new().limit(10)).unwrap();
    let link = first.next_link().unwrap();
    let cursor = link
        .query_pairs()
        .find(|(key, _)| key == "next")
        .map(|(_, value)| value.into_owned())
        .unwrap();
    assert!(cursor.contains('+') || cursor.contains('/'), "{cursor}");
    let by_cursor = client
        .list_users(&ListUsers::new().limit(10).next(cursor))
        .unwrap();
    let by_link: Vec<_> = client
        .resume_pages::<User>(link.as_str())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .into_items();
    assert_eq!(by_cursor.items(), by_link.as_slice());
    assert_eq!(by_link.len(), 10);
}

#[test]
fn invitations_follow_pages() {
    let server = FakeServer::start();
    server.seed(0, 95, 0);
    let client = client_for(&server);
    let mut items = client.items(&ListInvitations::new().limit(10)).unwrap();
    let invitations = items.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(invitations.len(), 95);
    assert_eq!(items.pages(), 10);
}

/// Starts a server whose first page links to `next` and whose later pages
/// end.
fn first_page_links_to(next: &'static str) -> ScriptedServer {
    ScriptedServer::start(move |index, _, base| {
        if index == 0 {
            let link = next.replace("{base}", base);
            json_response(
                "200 OK",
                &[format!("link: {link}")],
                &format!("[{}]", user_json("1")),
            )
        } else {
            json_response("200 OK", &[], &format!("[{}]", user_json("2")))
        }
    })
}

#[test]
fn foreign_origin_links_are_refused() {
    let other = ScriptedServer::start(|_, _, _| json_response("200 OK", &[], "[]"));
    let other_port = other.port();
    let links: Vec<String> = vec![
        "<https://evil.example/v2/organizations/users?next=c1>; rel=\"next\"".into(),
        "<https://api.flat.io@evil.example/v2/organizations/users?next=c1>; rel=\"next\"".into(),
        format!("<http://127.0.0.1:{other_port}/v2/organizations/users?next=c1>; rel=\"next\""),
        "<http://user:pw@127.0.0.1/v2/organizations/users?next=c1>; rel=\"next\"".into(),
        "<https://127.0.0.1/v2/organizations/users?next=c1>; rel=\"next\"".into(),
    ];
    for link in links {
        let link: &'static str = Box::leak(link.into_boxed_str());
        let server = first_page_links_to(link);
        let mut items = server.client().items(&ListUsers::new()).unwrap();
        assert_eq!(items.next().unwrap().unwrap().id, "1");
        let err = items.next().unwrap().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OriginRejected, "{link}: {err}");
        assert!(items.next().is_none());
        assert_eq!(server.seen().len(), 1, "{link}");
    }
    assert_eq!(other.connections(), 0);
}

#[test]
fn relative_and_split_links_are_followed() {
    for link in [
        "</v2/organizations/users?next=c1>; rel=\"next\"",
        "<?next=c1>; rel=next",
        "<{base}/organizations/users?previous=p0>; rel=\"previous\"\r\nLink: <{base}/organizations/users?next=c1>; REL=\"NEXT\"",
        "<{base}/organizations/users?next=c1>; type=\"application/json\"; rel=\"next last\"",
    ] {
        let server = first_page_links_to(link);
        let users: Vec<_> = server
            .client()
            .items(&ListUsers::new())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(users.len(), 2, "{link}");
        let seen = server.seen();
        assert_eq!(seen[1].target, "/v2/organizations/users?next=c1", "{link}");
        assert!(
            seen[1]
                .head
                .contains("authorization: Bearer scripted-token")
        );
    }
}

#[test]
fn empty_link_target_ends_listing() {
    let server = first_page_links_to("<>; rel=\"next\"");
    let users: Vec<_> = server
        .client()
        .items(&ListUsers::new())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn repeated_next_link_stops() {
    let server = ScriptedServer::start(|_, _, base| {
        json_response(
            "200 OK",
            &[format!(
                "link: <{base}/organizations/users?next=same>; rel=\"next\""
            )],
            &format!("[{}]", user_json("1")),
        )
    });
    let mut pages = server.client().pages(&ListUsers::new()).unwrap();
    assert!(pages.next().unwrap().is_ok());
    assert!(pages.next().unwrap().is_ok());
    let err = pages.next().unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Core(flat_org_core::Error::RepeatedLink { pages: 2, .. })
        ),
        "{err:?}"
    );
    assert!(pages.next().is_none());
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn page_bound_stops_endless_listing() {
    let server = ScriptedServer::start(|index, _, base| {
        json_response(
            "200 OK",
            &[format!(
                "link: <{base}/organizations/users?next=c{index}>; rel=\"next\""
            )],
            "[]",
        )
    });
    let client = Client::builder(AccessToken::new("scripted-token").unwrap())
        .base_url(server.base_url())
        .max_pages(25)
        .build()
        .unwrap();
    let results: Vec<_> = client.pages(&ListUsers::new()).unwrap().collect();
    assert_eq!(results.len(), 26);
    let err = results.last().unwrap().as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Pagination);
    assert_eq!(server.seen().len(), 25);
}

#[test]
fn listing_resumes_after_error() {
    let server = ScriptedServer::start(|index, _, base| match index {
        0 => json_response(
            "200 OK",
            &[format!(
                "link: <{base}/organizations/users?next=c1>; rel=\"next\""
            )],
            &format!("[{}]", user_json("1")),
        ),
        1 => json_response(
            "503 Service Unavailable",
            &[],
            r#"{"code":"UNAVAILABLE","message":"try later"}"#,
        ),
        _ => json_response("200 OK", &[], &format!("[{}]", user_json("2"))),
    });
    let client = server.client();
    let mut items = client.items(&ListUsers::new()).unwrap();
    assert_eq!(items.next().unwrap().unwrap().id, "1");
    let err = items.next().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServerError);
    assert!(items.next().is_none());
    let link = items.pending_link().unwrap().to_owned();
    assert_eq!(
        link,
        format!("{}/organizations/users?next=c1", server.base_url())
    );

    let rest: Vec<User> = client
        .resume_pages::<User>(&link)
        .unwrap()
        .map(|page| page.map(|p| p.into_items()))
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .concat();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].id, "2");
}
