//! One type per API operation: its parameters, its request and its output.
//!
//! Build an operation with `new` and its setters, hand it to
//! [`Api::request`](crate::Api::request), send the request, and hand the
//! response to [`Api::decode`](crate::Api::decode). Input is checked when
//! the request is built, so a value the API would reject is reported with
//! the field's name before anything is sent.

use http::{Method, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::api::join_path;
use crate::error::{ApiError, DecodeError, Error, InvalidInput};
use crate::models::{Listed, OrganizationRole};
use crate::page::Page;
use crate::rate_limit::RateLimit;

mod invitations;
mod lti;
mod users;

pub use invitations::{CreateInvitation, ListInvitations, RemoveInvitation};
pub use lti::{CreateLtiCredentials, ListLtiCredentials, RevokeLtiCredentials};
pub use users::{
    CreateUser, ListUsers, RemoveUser, SortDirection, TestAccounts, UpdateUser, UserSort,
};

pub(crate) mod sealed {
    pub trait Sealed {}
}

/// An API operation: how to build its request and decode its response.
///
/// The trait is sealed; the operations of this module and
/// [`PageRequest`](crate::PageRequest) implement it.
pub trait Operation: sealed::Sealed {
    /// The type a successful response decodes to.
    type Output;

    /// The operation's identifier in the OpenAPI contract, for logs.
    const OPERATION_ID: &'static str;

    /// HTTP method.
    fn method(&self) -> Method;

    /// Checks the parameters and builds the absolute request URL.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the rejected field.
    fn url(&self, base: &Url) -> Result<Url, Error>;

    /// Checks the body fields and serializes the JSON body, if there is one;
    /// operations without a body keep this default, `None`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the rejected field.
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }

    /// Decodes the response to this operation's request.
    ///
    /// # Errors
    ///
    /// See [`Api::decode`](crate::Api::decode).
    fn decode<B: AsRef<[u8]>>(
        &self,
        base: &Url,
        response: &Response<B>,
    ) -> Result<Self::Output, Error>;
}

/// A listing operation, whose output is a [`Page`] of `Item`.
pub trait ListOperation: Operation<Output = Page<Self::Item>> {
    /// The listed model.
    type Item: Listed;
}

/// Largest `limit` the list operations accept.
pub const MAX_LIMIT: u32 = 1000;

/// Returns the API error for a status outside 2xx.
pub(crate) fn check_status<B: AsRef<[u8]>>(response: &Response<B>) -> Result<(), Error> {
    if response.status().is_success() {
        return Ok(());
    }
    let rate_limit = RateLimit::from_headers(response.headers());
    let error = ApiError::new(response.status(), rate_limit, response.body().as_ref());
    Err(Error::Api(Box::new(error)))
}

/// Decodes a 2xx JSON body. With `secret_body`, a decode error quotes
/// nothing of the body.
pub(crate) fn decode_json<T: DeserializeOwned, B: AsRef<[u8]>>(
    response: &Response<B>,
    expected: &'static str,
    secret_body: bool,
) -> Result<T, Error> {
    check_status(response)?;
    let body = response.body().as_ref();
    serde_json::from_slice(body).map_err(|e| {
        if secret_body {
            DecodeError::secret_body(response.status(), expected, &e)
        } else {
            DecodeError::body(response.status(), expected, &e, body)
        }
    })
}

fn json_body<T: Serialize>(value: &T) -> Result<Option<Vec<u8>>, Error> {
    // Serializing these plain structs of strings and enums cannot fail; the
    // error branch only maps the type.
    serde_json::to_vec(value)
        .map(Some)
        .map_err(|e| InvalidInput::new("body", e.to_string()).into())
}

/// Checks the paging parameters of a listing: `limit` and the cursors.
fn check_paging(
    limit: Option<u32>,
    next: Option<&str>,
    previous: Option<&str>,
) -> Result<(), Error> {
    check_limit(limit)?;
    check_cursors(next, previous)
}

/// Appends the paging parameters that are set, in the order `limit`,
/// `next`, `previous`.
fn append_paging(
    query: &mut url::form_urlencoded::Serializer<'_, url::UrlQuery<'_>>,
    limit: Option<u32>,
    next: &Option<String>,
    previous: &Option<String>,
) {
    if let Some(limit) = limit {
        query.append_pair("limit", &limit.to_string());
    }
    if let Some(next) = next {
        query.append_pair("next", next);
    }
    if let Some(previous) = previous {
        query.append_pair("previous", previous);
    }
}

fn check_limit(limit: Option<u32>) -> Result<(), Error> {
    match limit {
        Some(limit) if !(1..=MAX_LIMIT).contains(&limit) => Err(InvalidInput::new(
            "limit",
            format!("{limit} is outside 1..=1000; use at most 1000 and follow the next pages"),
        )
        .into()),
        _ => Ok(()),
    }
}

/// Checks a string's length in characters, as JSON Schema counts
/// `minLength` and `maxLength`.
fn check_length(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), Error> {
    let length = value.chars().count();
    if length < min || length > max {
        let range = if min == 0 {
            format!("at most {max}")
        } else {
            format!("{min} to {max}")
        };
        return Err(InvalidInput::new(
            field,
            format!("is {length} characters long; the API accepts {range}"),
        )
        .into());
    }
    Ok(())
}

fn check_optional_length(
    field: &'static str,
    value: Option<&str>,
    min: usize,
    max: usize,
) -> Result<(), Error> {
    value.map_or(Ok(()), |v| check_length(field, v, min, max))
}

/// Rejects an empty cursor, which would send `next=` and restart the listing.
fn check_cursor(field: &'static str, cursor: Option<&str>) -> Result<(), Error> {
    if cursor == Some("") {
        return Err(InvalidInput::new(
            field,
            "is empty; pass the cursor from a page link, or leave it unset for the first page",
        )
        .into());
    }
    Ok(())
}

fn check_cursors(next: Option<&str>, previous: Option<&str>) -> Result<(), Error> {
    check_cursor("next", next)?;
    check_cursor("previous", previous)?;
    if next.is_some() && previous.is_some() {
        return Err(InvalidInput::new(
            "next",
            "is set together with previous; set one cursor, or follow the page links instead",
        )
        .into());
    }
    Ok(())
}

fn check_role_value(field: &'static str, role: &OrganizationRole) -> Result<(), Error> {
    if role.as_str().is_empty() {
        return Err(
            InvalidInput::new(field, "is an empty role; pick a role such as teacher").into(),
        );
    }
    Ok(())
}

fn collection_url(base: &Url, path: &[&'static str]) -> Result<Url, Error> {
    let segments: Vec<(&'static str, &str)> = path.iter().map(|s| ("path", *s)).collect();
    join_path(base, &segments)
}

/// `query_pairs_mut` leaves `?` behind when nothing was appended.
fn drop_empty_query(url: &mut Url) {
    if url.query() == Some("") {
        url.set_query(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessToken, Api, ErrorKind, LmsName};

    fn api() -> Api {
        Api::new(AccessToken::new("T0K").unwrap())
            .base_url("http://127.0.0.1:4010/v2")
            .unwrap()
    }

    fn request<O: Operation>(operation: &O) -> http::Request<Vec<u8>> {
        api().request(operation).unwrap()
    }

    fn invalid_field<O: Operation>(operation: &O) -> String {
        match api().request(operation).unwrap_err() {
            Error::InvalidInput(input) => input.field().to_owned(),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    const BASE: &str = "http://127.0.0.1:4010/v2/organizations";

    #[test]
    fn every_operation_method_and_url() {
        let cases: Vec<(http::Request<Vec<u8>>, &str, String)> = vec![
            (request(&ListUsers::new()), "GET", format!("{BASE}/users")),
            (
                request(&CreateUser::new("a", "secret")),
                "POST",
                format!("{BASE}/users"),
            ),
            (
                request(&UpdateUser::new("u1")),
                "PUT",
                format!("{BASE}/users/u1"),
            ),
            (
                request(&RemoveUser::new("u1")),
                "DELETE",
                format!("{BASE}/users/u1"),
            ),
            (
                request(&ListInvitations::new()),
                "GET",
                format!("{BASE}/invitations"),
            ),
            (
                request(&CreateInvitation::new()),
                "POST",
                format!("{BASE}/invitations"),
            ),
            (
                request(&RemoveInvitation::new("i1")),
                "DELETE",
                format!("{BASE}/invitations/i1"),
            ),
            (
                request(&ListLtiCredentials::new()),
                "GET",
                format!("{BASE}/lti/credentials"),
            ),
            (
                request(&CreateLtiCredentials::new("n", LmsName::Moodle)),
                "POST",
                format!("{BASE}/lti/credentials"),
            ),
            (
                request(&RevokeLtiCredentials::new("c1")),
                "DELETE",
                format!("{BASE}/lti/credentials/c1"),
            ),
        ];
        for (request, method, url) in cases {
            assert_eq!(request.method(), method, "{url}");
            assert_eq!(request.uri().to_string(), url);
            let headers = request.headers();
            assert_eq!(headers["authorization"], "Bearer T0K");
            assert_eq!(headers["accept"], "application/json");
            assert!(
                headers["user-agent"]
                    .to_str()
                    .unwrap()
                    .starts_with("flat-org/")
            );
            let has_body = method == "POST" || method == "PUT";
            assert_eq!(headers.contains_key("content-type"), has_body, "{url}");
            assert_eq!(!request.body().is_empty(), has_body, "{url}");
        }
    }

    #[test]
    fn list_users_every_parameter() {
        let list = ListUsers::new()
            .role(OrganizationRole::Teacher)
            .role(OrganizationRole::Admin)
            .limit(1000)
            .next("c+/=")
            .query("ada l")
            .group("g1")
            .group("g2")
            .sort(UserSort::LastActivityDate)
            .direction(SortDirection::Descending)
            .no_active_license(true)
            .test_accounts(TestAccounts::Exclude);
        assert_eq!(
            request(&list).uri().query(),
            Some(
                "role=teacher&role=admin&limit=1000&next=c%2B%2F%3D&q=ada+l&group=g1&group=g2\
                 &sort=lastActivityDate&direction=desc&noActiveLicense=true&testAccounts=exclude"
            )
        );
    }

    #[test]
    fn limit_bounds() {
        assert_eq!(invalid_field(&ListUsers::new().limit(0)), "limit");
        assert_eq!(invalid_field(&ListUsers::new().limit(1001)), "limit");
        assert_eq!(invalid_field(&ListInvitations::new().limit(0)), "limit");
        assert_eq!(invalid_field(&ListInvitations::new().limit(1001)), "limit");
        assert!(api().request(&ListUsers::new().limit(1)).is_ok());
        assert!(api().request(&ListInvitations::new().limit(1000)).is_ok());
    }

    #[test]
    fn both_cursors_rejected() {
        let list = ListUsers::new().next("a").previous("b");
        assert_eq!(invalid_field(&list), "next");
        let list = ListInvitations::new().next("a").previous("b");
        assert_eq!(invalid_field(&list), "next");
    }

    #[test]
    fn create_user_lengths() {
        let long = |n: usize| "é".repeat(n);
        assert_eq!(invalid_field(&CreateUser::new("", "secret")), "username");
        assert_eq!(
            invalid_field(&CreateUser::new(long(31), "secret")),
            "username"
        );
        assert_eq!(invalid_field(&CreateUser::new("a", "12345")), "password");
        assert_eq!(invalid_field(&CreateUser::new("a", long(1001))), "password");
        let user = CreateUser::new("a", "secret");
        assert_eq!(
            invalid_field(&user.clone().firstname(long(61))),
            "firstname"
        );
        assert_eq!(invalid_field(&user.clone().lastname(long(61))), "lastname");
        // Lengths count characters, not bytes: 30 two-byte characters pass.
        assert!(
            api()
                .request(&CreateUser::new(long(30), long(1000)))
                .is_ok()
        );
        assert!(
            api()
                .request(&user.firstname(long(60)).lastname(long(60)))
                .is_ok()
        );
    }

    #[test]
    fn create_user_body_every_field() {
        let create = CreateUser::new("ada", "secret")
            .email("ada@school.example")
            .firstname("Ada")
            .lastname("Lovelace")
            .locale("fr")
            .role(OrganizationRole::AccountAdmin);
        let body: serde_json::Value = serde_json::from_slice(request(&create).body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"username": "ada", "password": "secret",
                "email": "ada@school.example", "firstname": "Ada", "lastname": "Lovelace",
                "locale": "fr", "role": "accountAdmin"})
        );
    }

    #[test]
    fn update_user_body_and_checks() {
        let update = UpdateUser::new("u/1")
            .email("a@b.example")
            .firstname("A")
            .lastname("B")
            .organization_role(OrganizationRole::User)
            .password("secret")
            .username("ab");
        let request = request(&update);
        assert_eq!(request.uri().path(), "/v2/organizations/users/u%2F1");
        let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"email": "a@b.example", "firstname": "A", "lastname": "B",
                "organizationRole": "user", "password": "secret", "username": "ab"})
        );
        assert_eq!(self::request(&UpdateUser::new("u1")).body(), b"{}");
        assert_eq!(
            invalid_field(&UpdateUser::new("u1").username("")),
            "username"
        );
        assert_eq!(
            invalid_field(&UpdateUser::new("u1").password("short")),
            "password"
        );
        assert_eq!(invalid_field(&UpdateUser::new("..")), "user");
    }

    #[test]
    fn remove_user_convert_flag() {
        let keep = request(&RemoveUser::new("u1").convert_to_individual(false));
        assert_eq!(keep.uri().query(), Some("convertToIndividual=false"));
        assert_eq!(request(&RemoveUser::new("u1")).uri().query(), None);
        assert_eq!(invalid_field(&RemoveUser::new("")), "user");
    }

    #[test]
    fn invitation_roles() {
        let list = request(&ListInvitations::new().role(OrganizationRole::User).limit(5));
        assert_eq!(list.uri().query(), Some("role=user&limit=5"));
        let list = ListInvitations::new().role(OrganizationRole::AccountAdmin);
        assert_eq!(invalid_field(&list), "role");

        let create = CreateInvitation::new().organization_role(OrganizationRole::User);
        assert_eq!(invalid_field(&create), "organizationRole");
        assert_eq!(request(&CreateInvitation::new()).body(), b"{}");
        assert_eq!(invalid_field(&RemoveInvitation::new(".")), "invitation");
    }

    #[test]
    fn empty_cursor_rejected() {
        assert_eq!(invalid_field(&ListUsers::new().next("")), "next");
        assert_eq!(invalid_field(&ListUsers::new().previous("")), "previous");
        assert_eq!(invalid_field(&ListInvitations::new().next("")), "next");
    }

    #[test]
    fn unknown_spelling_of_known_role_checked() {
        let create = CreateInvitation::new().organization_role(OrganizationRole::from_api("x"));
        assert!(api().request(&create).is_ok());
        let create =
            CreateInvitation::new().organization_role(OrganizationRole::Unknown("user".into()));
        assert_eq!(invalid_field(&create), "organizationRole");
        let list = ListInvitations::new().role(OrganizationRole::Unknown("accountAdmin".into()));
        assert_eq!(invalid_field(&list), "role");
    }

    #[test]
    fn long_id_rejected_by_field() {
        let id = "x".repeat(100_000);
        let err = api().request(&RemoveUser::new(id.as_str())).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("invalid user: is 100000 bytes long"),
            "{message}"
        );
        assert!(message.len() < 200, "{message}");
        assert!(api().request(&RemoveUser::new("x".repeat(1024))).is_ok());
    }

    #[test]
    fn lti_name_length() {
        let name = "n".repeat(301);
        assert_eq!(
            invalid_field(&CreateLtiCredentials::new(name, LmsName::Canvas)),
            "name"
        );
        let name = "n".repeat(300);
        assert!(
            api()
                .request(&CreateLtiCredentials::new(name, LmsName::Other))
                .is_ok()
        );
        assert_eq!(
            invalid_field(&RevokeLtiCredentials::new("..")),
            "credentials"
        );
    }

    #[test]
    fn debug_hides_passwords() {
        let create = CreateUser::new("ada", "hunter2-secret");
        assert!(!format!("{create:?}").contains("hunter2"));
        let update = UpdateUser::new("u1").password("hunter2-secret");
        assert!(!format!("{update:?}").contains("hunter2"));
    }

    #[test]
    fn delete_accepts_204_and_reports_404() {
        let remove = RemoveUser::new("u1");
        let ok = http::Response::builder()
            .status(204)
            .body(Vec::new())
            .unwrap();
        api().decode(&remove, &ok).unwrap();
        let missing = http::Response::builder()
            .status(404)
            .body(br#"{"code":"NOT_FOUND","message":"User not found","id":"x1"}"#.to_vec())
            .unwrap();
        let err = api().decode(&remove, &missing).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.api_error().unwrap().id(), Some("x1"));
    }

    #[test]
    fn post_server_error_flags_unknown_outcome() {
        let failed = http::Response::builder()
            .status(500)
            .body(br#"{"code":"INTERNAL","message":"oops"}"#.to_vec())
            .unwrap();
        let err = api()
            .decode(&CreateUser::new("ada", "secret"), &failed)
            .unwrap_err();
        assert!(err.api_error().unwrap().write_outcome_unknown());
        assert!(
            err.to_string().contains("may or may not have been applied"),
            "{err}"
        );

        let err = api().decode(&UpdateUser::new("u1"), &failed).unwrap_err();
        assert!(!err.api_error().unwrap().write_outcome_unknown());
        let bad_request = http::Response::builder()
            .status(400)
            .body(Vec::new())
            .unwrap();
        let err = api()
            .decode(&CreateInvitation::new(), &bad_request)
            .unwrap_err();
        assert!(!err.api_error().unwrap().write_outcome_unknown());
    }

    #[test]
    fn create_decodes_user_or_reports_excerpt() {
        let create = CreateUser::new("ada", "secret");
        let ok = http::Response::builder()
            .status(200)
            .body(
                br#"{"id":"u1","type":"user","product":"flatEdu","username":"ada","picture":null}"#
                    .to_vec(),
            )
            .unwrap();
        assert_eq!(api().decode(&create, &ok).unwrap().id, "u1");
        let html = http::Response::builder()
            .status(200)
            .body(b"<html>maintenance</html>".to_vec())
            .unwrap();
        let err = api().decode(&create, &html).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        let Error::Decode(decode) = err else {
            unreachable!()
        };
        assert_eq!(decode.body_excerpt(), "<html>maintenance</html>");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn query_values_round_trip(cursor in "\\PC{1,40}", text in "\\PC{0,40}") {
                let list = ListUsers::new().next(cursor.clone()).query(text.clone());
                let url = Url::parse(&request(&list).uri().to_string()).unwrap();
                let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
                prop_assert_eq!(
                    pairs,
                    vec![("next".to_owned(), cursor), ("q".to_owned(), text)]
                );
            }

            #[test]
            fn update_and_create_bodies_round_trip(
                text in "\\PC{0,30}",
                name in "\\PC{0,300}",
                role in 0_usize..4,
            ) {
                let role = [
                    OrganizationRole::User,
                    OrganizationRole::Teacher,
                    OrganizationRole::Admin,
                    OrganizationRole::AccountAdmin,
                ][role].clone();
                let update = UpdateUser::new("u1")
                    .email(text.clone())
                    .lastname(text.chars().take(60).collect::<String>())
                    .organization_role(role.clone());
                let body: serde_json::Value =
                    serde_json::from_slice(request(&update).body()).unwrap();
                prop_assert_eq!(&body["email"], &serde_json::Value::String(text.clone()));
                prop_assert_eq!(body["organizationRole"].as_str(), Some(role.as_str()));

                let create = CreateLtiCredentials::new(name.clone(), LmsName::Schoology);
                let body: serde_json::Value =
                    serde_json::from_slice(request(&create).body()).unwrap();
                prop_assert_eq!(&body["name"], &serde_json::Value::String(name));
                prop_assert_eq!(body["lms"].as_str(), Some("schoology"));

                if role != OrganizationRole::User {
                    let invite = CreateInvitation::new().email(text.clone()).organization_role(role.clone());
                    let body: serde_json::Value =
                        serde_json::from_slice(request(&invite).body()).unwrap();
                    prop_assert_eq!(&body["email"], &serde_json::Value::String(text));
                    prop_assert_eq!(body["organizationRole"].as_str(), Some(role.as_str()));
                }
            }

            #[test]
            fn create_user_body_round_trips(
                username in "\\PC{1,30}",
                password in "\\PC{6,40}",
                firstname in proptest::option::of("\\PC{0,60}"),
            ) {
                let mut create = CreateUser::new(username.clone(), password.clone());
                if let Some(firstname) = &firstname {
                    create = create.firstname(firstname.clone());
                }
                let body: serde_json::Value =
                    serde_json::from_slice(request(&create).body()).unwrap();
                prop_assert_eq!(&body["username"], &serde_json::Value::String(username));
                prop_assert_eq!(&body["password"], &serde_json::Value::String(password));
                match firstname {
                    Some(name) => prop_assert_eq!(&body["firstname"], &serde_json::Value::String(name)),
                    None => prop_assert!(body.get("firstname").is_none()),
                }
            }
        }
    }
}
