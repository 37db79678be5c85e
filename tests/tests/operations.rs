//! Every operation of the blocking client against the fake Flat server, and
//! every error kind it can produce.

mod common;

use common::client_for;

use std::time::Duration;

use flat_org_blocking::ops::{
    CreateInvitation, CreateLtiCredentials, CreateUser, ListInvitations, ListLtiCredentials,
    ListUsers, RemoveInvitation, RemoveUser, RevokeLtiCredentials, UpdateUser,
};
use flat_org_blocking::{
    AccessToken, Client, Error, ErrorKind, LmsName, OrganizationRole, RetryPolicy,
};
use flat_org_tests::fake::FakeServer;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

#[test]
fn user_lifecycle() {
    let server = FakeServer::start();
    let client = client_for(&server);

    let created = client
        .create_user(
            &CreateUser::new("ada.l", "correct horse")
                .email("ada@school.example")
                .firstname("Ada")
                .lastname("Lovelace")
                .locale("fr")
                .role(OrganizationRole::Teacher),
        )
        .unwrap();
    assert_eq!(created.username, "ada.l");
    assert_eq!(created.organization_role, Some(OrganizationRole::Teacher));
    assert_eq!(server.user_count(), 1);

    let request = server.requests().pop().unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v2/organizations/users");
    assert_eq!(
        header(&request.headers, "content-type"),
        Some("application/json")
    );
    assert_eq!(header(&request.headers, "accept"), Some("application/json"));
    let agent = header(&request.headers, "user-agent").unwrap();
    assert!(agent.starts_with("flat-org/"), "{agent}");

    let updated = client
        .update_user(
            &UpdateUser::new(&created.id)
                .organization_role(OrganizationRole::Admin)
                .lastname("King"),
        )
        .unwrap();
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.organization_role, Some(OrganizationRole::Admin));
    assert_eq!(updated.lastname.as_deref(), Some("King"));
    assert_eq!(server.user(&created.id).unwrap()["lastname"], "King");

    client
        .remove_user(&RemoveUser::new(&created.id).convert_to_individual(true))
        .unwrap();
    assert_eq!(server.user_count(), 0);
    let request = server.requests().pop().unwrap();
    assert_eq!(request.method, "DELETE");
    assert_eq!(
        request.target,
        format!(
            "/v2/organizations/users/{}?convertToIndividual=true",
            created.id
        )
    );
}

#[test]
fn invitation_lifecycle() {
    let server = FakeServer::start();
    let client = client_for(&server);

    let invitation = client
        .create_invitation(
            &CreateInvitation::new()
                .email("teacher@school.example")
                .organization_role(OrganizationRole::Admin),
        )
        .unwrap();
    assert_eq!(invitation.organization_role, OrganizationRole::Admin);
    assert_eq!(invitation.email.as_deref(), Some("teacher@school.example"));
    assert_eq!(server.invitation_count(), 1);

    let page = client.list_invitations(&ListInvitations::new()).unwrap();
    assert_eq!(page.items(), std::slice::from_ref(&invitation));

    let id = invitation.id.unwrap();
    client
        .remove_invitation(&RemoveInvitation::new(&id))
        .unwrap();
    assert_eq!(server.invitation_count(), 0);
}

#[test]
fn lti_credentials_lifecycle() {
    let server = FakeServer::start();
    let client = client_for(&server);

    let created = client
        .create_lti_credentials(&CreateLtiCredentials::new(
            "District Canvas",
            LmsName::Canvas,
        ))
        .unwrap();
    assert_eq!(created.lms, Some(LmsName::Canvas));
    assert!(created.consumer_key.is_some());
    assert!(created.consumer_secret.is_some());

    let listed = client
        .list_lti_credentials(&ListLtiCredentials::new())
        .unwrap();
    assert_eq!(listed.items(), std::slice::from_ref(&created));
    assert!(listed.next_link().is_none());

    client
        .revoke_lti_credentials(&RevokeLtiCredentials::new(created.id.unwrap()))
        .unwrap();
    assert_eq!(server.lti_credentials_count(), 0);
}

#[test]
fn seeded_models_decode_leniently() {
    let server = FakeServer::start();
    server.seed(300, 10, 8);
    let client = client_for(&server);

    let users: Vec<_> = client
        .items(&ListUsers::new().limit(1000))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(users.len(), 300);
    let unknown_roles: Vec<_> = users
        .iter()
        .filter(|u| matches!(u.organization_role, Some(OrganizationRole::Unknown(_))))
        .collect();
    assert_eq!(unknown_roles.len(), 1);
    assert!(users.iter().any(|u| u.picture.is_none()));

    let invitations: Vec<_> = client
        .items(&ListInvitations::new())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(invitations.len(), 10);
    assert!(invitations.iter().any(|i| i.custom_code.is_none()));

    let credentials: Vec<_> = client
        .items(&ListLtiCredentials::new())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(credentials.len(), 8);
}

#[test]
fn role_filter_repeats_parameter() {
    let server = FakeServer::start();
    server.seed(500, 0, 0);
    let client = client_for(&server);

    let list = ListUsers::new()
        .role(OrganizationRole::Teacher)
        .role(OrganizationRole::Admin)
        .limit(50);
    let users: Vec<_> = client
        .items(&list)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!users.is_empty());
    for user in &users {
        let role = user.organization_role.as_ref().unwrap();
        assert!(
            matches!(role, OrganizationRole::Teacher | OrganizationRole::Admin),
            "{role}"
        );
    }
    let all: Vec<_> = client
        .items(&ListUsers::new().limit(1000))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected = all
        .iter()
        .filter(|u| {
            matches!(
                u.organization_role,
                Some(OrganizationRole::Teacher | OrganizationRole::Admin)
            )
        })
        .count();
    assert_eq!(users.len(), expected);
    let first = &server.requests()[0];
    assert_eq!(
        first.target,
        "/v2/organizations/users?role=teacher&role=admin&limit=50"
    );
}

#[test]
fn ids_stay_one_path_segment() {
    let server = FakeServer::start();
    let client = client_for(&server);
    for (id, encoded) in [
        ("a/b", "a%2Fb"),
        ("../admin", "..%2Fadmin"),
        ("x?y#z", "x%3Fy%23z"),
        ("100% sure", "100%25%20sure"),
    ] {
        let err = client.remove_user(&RemoveUser::new(id)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{id}");
        let request = server.requests().pop().unwrap();
        assert_eq!(request.target, format!("/v2/organizations/users/{encoded}"));
    }
}

#[test]
fn path_encoding_reaches_the_right_user() {
    let server = FakeServer::start();
    let client = client_for(&server);
    let created = client
        .create_user(&CreateUser::new("grace", "secret-6"))
        .unwrap();
    // The fake decodes the single segment back to the id and finds the user.
    let updated = client
        .update_user(&UpdateUser::new(&created.id).firstname("Grace"))
        .unwrap();
    assert_eq!(updated.firstname.as_deref(), Some("Grace"));
}

#[test]
fn wrong_token_is_unauthorized() {
    let server = FakeServer::start();
    let client = Client::builder(AccessToken::new("not-the-token").unwrap())
        .base_url(server.base_url())
        .build()
        .unwrap();
    let err = client.list_users(&ListUsers::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), 401);
    assert!(api.id().is_some());
    assert!(api.rate_limit().limit.is_some());
    assert!(!err.to_string().contains("not-the-token"));
    assert!(!format!("{err:?}").contains("not-the-token"));
}

#[test]
fn unknown_id_is_not_found() {
    let server = FakeServer::start();
    let client = client_for(&server);
    for err in [
        client
            .update_user(&UpdateUser::new("nope").firstname("x"))
            .unwrap_err(),
        client.remove_user(&RemoveUser::new("nope")).unwrap_err(),
        client
            .remove_invitation(&RemoveInvitation::new("nope"))
            .unwrap_err(),
        client
            .revoke_lti_credentials(&RevokeLtiCredentials::new("nope"))
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert_eq!(err.api_error().unwrap().code(), Some("NOT_FOUND"));
    }
}

#[test]
fn server_validation_is_invalid_request() {
    let server = FakeServer::start();
    let client = client_for(&server);
    client
        .create_user(&CreateUser::new("taken", "secret-6"))
        .unwrap();
    let err = client
        .create_user(&CreateUser::new("taken", "secret-7"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(err.api_error().unwrap().param(), Some("username"));
    assert!(err.to_string().contains("parameter username"), "{err}");
}

#[test]
fn rate_limit_is_reported() {
    let server = FakeServer::start();
    let client = client_for(&server);
    server.set_rate_limited(true);
    let err = client.list_users(&ListUsers::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), 403);
    assert_eq!(api.code(), Some("API_RATE_LIMIT_EXCEEDED"));
    assert_eq!(api.rate_limit().remaining, Some(0));
    assert!(api.rate_limit().reset.is_some());

    server.set_rate_limited(false);
    let page = client.list_users(&ListUsers::new()).unwrap();
    assert!(page.rate_limit().remaining.is_some());
}

#[test]
fn invalid_input_is_never_sent() {
    let server = FakeServer::start();
    let client = client_for(&server);
    let errors = [
        client.list_users(&ListUsers::new().limit(0)).unwrap_err(),
        client
            .list_users(&ListUsers::new().limit(1001))
            .unwrap_err(),
        client
            .list_invitations(&ListInvitations::new().limit(5000))
            .unwrap_err(),
        client
            .create_user(&CreateUser::new("a".repeat(31), "secret-6"))
            .unwrap_err(),
        client
            .create_user(&CreateUser::new("ok", "short"))
            .unwrap_err(),
        client
            .create_lti_credentials(&CreateLtiCredentials::new("n".repeat(301), LmsName::Sakai))
            .unwrap_err(),
        client.remove_user(&RemoveUser::new("..")).unwrap_err(),
        client.pages(&ListUsers::new().limit(0)).unwrap_err(),
    ];
    for err in errors {
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    }
    assert_eq!(server.request_count(), 0);
}

#[test]
fn closed_port_is_connection_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder(AccessToken::new("t").unwrap())
        .base_url(format!("http://127.0.0.1:{port}/v2"))
        .retry(RetryPolicy::never())
        .timeout_connect(Duration::from_secs(2))
        .build()
        .unwrap();
    let err = client
        .create_user(&CreateUser::new("ada", "secret-6"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(
        err.to_string()
            .starts_with("POST /v2/organizations/users failed"),
        "{err}"
    );
}

#[test]
fn invalid_json_is_decode_error() {
    let server = common::ScriptedServer::start(|_, _, _| {
        common::json_response("200 OK", &[], r#"[{"id": "u1", "type": "#)
    });
    let err = server.client().list_users(&ListUsers::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    let Error::Core(flat_org_core::Error::Decode(decode)) = &err else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(decode.body_excerpt(), r#"[{"id": "u1", "type": "#);
}

#[test]
fn html_error_page_keeps_excerpt() {
    let server = common::ScriptedServer::start(|_, _, _| {
        let body = "<html><body>502 Bad Gateway</body></html>";
        format!(
            "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    });
    let err = server
        .client()
        .list_invitations(&ListInvitations::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServerError);
    let api = err.api_error().unwrap();
    assert!(api.body().is_none());
    assert_eq!(
        api.body_excerpt(),
        Some("<html><body>502 Bad Gateway</body></html>")
    );
}

#[test]
fn redirect_is_not_followed() {
    let target =
        common::ScriptedServer::start(|_, _, _| common::json_response("200 OK", &[], "[]"));
    let location = format!("{}/organizations/users", target.base_url());
    let server = common::ScriptedServer::start(move |_, _, _| {
        format!("HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n")
    });
    let err = server.client().list_users(&ListUsers::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedStatus, "{err}");
    assert_eq!(target.connections(), 0);
}

#[test]
fn body_over_limit_is_rejected() {
    let server = FakeServer::start();
    server.seed(1000, 0, 0);
    let client = Client::builder(AccessToken::new(server.token()).unwrap())
        .base_url(server.base_url())
        .max_body_size(64 * 1024)
        .build()
        .unwrap();
    let err = client
        .list_users(&ListUsers::new().limit(1000))
        .unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 65536, .. }),
        "{err:?}"
    );
    assert!(client.list_users(&ListUsers::new().limit(10)).is_ok());
}

#[test]
fn connections_are_reused() {
    let server = FakeServer::start();
    server.seed(50, 0, 0);
    let client = client_for(&server);
    for _ in 0..20 {
        client.list_users(&ListUsers::new().limit(5)).unwrap();
    }
    assert_eq!(server.request_count(), 20);
    assert_eq!(server.connection_count(), 1);
}

#[test]
fn debug_output_hides_token() {
    let client = Client::builder(AccessToken::new("tok-do-not-print").unwrap())
        .build()
        .unwrap();
    assert!(!format!("{client:?}").contains("tok-do-not-print"));
    assert!(!format!("{:?}", client.api()).contains("tok-do-not-print"));
    let request = client.api().request(&ListUsers::new()).unwrap();
    assert!(!format!("{request:?}").contains("tok-do-not-print"));

    let builder = Client::builder(AccessToken::new("tok-do-not-print").unwrap())
        .proxy("http://proxy-user:proxy-password@127.0.0.1:3128");
    let debug = format!("{builder:?}");
    assert!(!debug.contains("tok-do-not-print"), "{debug}");
    assert!(!debug.contains("proxy-password"), "{debug}");
}

#[test]
fn tls_to_plain_server_is_transport_error() {
    let server =
        common::ScriptedServer::start(|_, _, _| common::json_response("200 OK", &[], "[]"));
    let client = Client::builder(AccessToken::new("t").unwrap())
        .base_url(format!("https://127.0.0.1:{}/v2", server.port()))
        .retry(RetryPolicy::never())
        .timeout_connect(Duration::from_secs(5))
        .build()
        .unwrap();
    let err = client.list_users(&ListUsers::new()).unwrap_err();
    // The scripted server closes the connection on the TLS ClientHello.
    assert_eq!(err.kind(), ErrorKind::Connection, "{err:?}");
    assert!(
        err.to_string().starts_with("GET /v2/organizations/users"),
        "{err}"
    );
}
