//! Authentication, rate-limit headers, routing and the handlers of the
//! Organization API.

use std::sync::atomic::{AtomicU64, Ordering};

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use super::Shared;
use super::encoding::{format_rfc3339, now_millis, splitmix64};
use super::http::Request;
use super::pagination::{Page, Query, link_header, paginate, parse_cursor, parse_limit};
use super::store::{Entry, LMS_NAMES, ORGANIZATION_ID, Store, UserIndex, invitation_json};
use super::validation::{
    check_enum, optional_email, optional_enum, optional_string, parse_object, required_enum,
    required_string,
};

/// `X-RateLimit-Limit` of every response: requests per hour per token.
pub(super) const RATE_LIMIT: u64 = 5000;

/// Seconds from a response until `X-RateLimit-Reset`.
const RATE_LIMIT_WINDOW_SECONDS: u64 = 3600;

/// `role` values accepted by the user list filter.
const USER_FILTER_ROLES: [&str; 4] = ["user", "teacher", "admin", "accountAdmin"];

/// `role` values of `UserCreation`.
const CREATION_ROLES: [&str; 4] = ["user", "teacher", "admin", "accountAdmin"];

/// `OrganizationRoles`, accepted by `UserAdminUpdate.organizationRole`.
const ORGANIZATION_ROLES: [&str; 4] = ["admin", "accountAdmin", "teacher", "user"];

/// `role` values accepted by the invitation list filter.
const INVITATION_FILTER_ROLES: [&str; 3] = ["user", "teacher", "admin"];

/// `organizationRole` values of `OrganizationInvitationCreation`.
const INVITATION_ROLES: [&str; 3] = ["admin", "teacher", "accountAdmin"];

/// A response before the transport adds framing headers.
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) headers: Vec<(&'static str, String)>,
    /// JSON body, or `None` for 204.
    pub(super) body: Option<Vec<u8>>,
}

type Outcome = Result<Response, Response>;

/// Records `request` and builds its response. The rate-limit switch is
/// checked first, then the bearer token, then the route.
pub(super) fn handle(shared: &Shared, request: &Request) -> Response {
    shared.record(request);
    let remaining = shared.consume_rate_limit();
    let (mut response, remaining) = if shared.is_rate_limited() {
        let response = error_response(
            403,
            "API_RATE_LIMIT_EXCEEDED",
            "API rate limit exceeded".to_owned(),
            None,
        );
        (response, 0)
    } else {
        (route(shared, request), remaining)
    };
    add_rate_limit_headers(&mut response, remaining);
    response
}

/// Builds the response to a request the transport could not parse.
pub(super) fn transport_error(shared: &Shared, status: u16, code: &str, message: &str) -> Response {
    let remaining = shared.consume_rate_limit();
    let mut response = error_response(status, code, message.to_owned(), None);
    add_rate_limit_headers(&mut response, remaining);
    response
}

fn add_rate_limit_headers(response: &mut Response, remaining: u64) {
    let reset = now_millis() / 1000 + RATE_LIMIT_WINDOW_SECONDS;
    response
        .headers
        .push(("X-RateLimit-Limit", RATE_LIMIT.to_string()));
    response
        .headers
        .push(("X-RateLimit-Remaining", remaining.to_string()));
    response
        .headers
        .push(("X-RateLimit-Reset", reset.to_string()));
}

/// Accepts exactly one `Authorization` field of the form `Bearer <token>`,
/// with the scheme name in any case (RFC 9110 section 11.1).
fn is_authorized(request: &Request, token: &str) -> bool {
    let mut values = request.header_values("authorization");
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    let Some((scheme, credentials)) = value.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && credentials.trim_start() == token
}

fn route(shared: &Shared, request: &Request) -> Response {
    if !is_authorized(request, &shared.options.token) {
        return error_response(
            401,
            "UNAUTHORIZED",
            "Missing or invalid access token: send the header Authorization: Bearer <token>"
                .to_owned(),
            None,
        );
    }
    let (path, query) = split_target(&request.target);
    let Some(segments) = path_segments(path, &shared.options.base_path) else {
        return unknown_route(&request.method, path);
    };
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let query = Query::parse(query);
    let method = request.method.as_str();
    let body = request.body.as_slice();
    let collection_url = |route: &str| format!("{}{route}", shared.base_url());

    let mut store = shared.lock_store();
    let store = &mut *store;
    let outcome = match (segments.as_slice(), method) {
        (["organizations", "users"], "GET") => {
            list_users(store, &query, &collection_url("/organizations/users"))
        }
        (["organizations", "users"], "POST") => create_user(store, body),
        (["organizations", "users"], _) => Err(method_not_allowed("GET, POST")),
        (["organizations", "users", "count"], "GET") => count_users(store, &query),
        (["organizations", "users", user], "PUT") => update_user(store, user, body),
        (["organizations", "users", user], "DELETE") => delete_user(store, user, &query),
        (["organizations", "users", _], _) => Err(method_not_allowed("PUT, DELETE")),
        (["organizations", "invitations"], "GET") => {
            list_invitations(store, &query, &collection_url("/organizations/invitations"))
        }
        (["organizations", "invitations"], "POST") => create_invitation(store, body),
        (["organizations", "invitations"], _) => Err(method_not_allowed("GET, POST")),
        (["organizations", "invitations", invitation], "DELETE") => {
            delete_invitation(store, invitation)
        }
        (["organizations", "invitations", _], _) => Err(method_not_allowed("DELETE")),
        (["organizations", "lti", "credentials"], "GET") => Ok(list_credentials(store)),
        (["organizations", "lti", "credentials"], "POST") => create_credentials(store, body),
        (["organizations", "lti", "credentials"], _) => Err(method_not_allowed("GET, POST")),
        (["organizations", "lti", "credentials", credentials], "DELETE") => {
            delete_credentials(store, credentials)
        }
        (["organizations", "lti", "credentials", _], _) => Err(method_not_allowed("DELETE")),
        _ => Err(unknown_route(method, path)),
    };
    outcome.unwrap_or_else(|error| error)
}

/// Splits a request target into path and query. An absolute-form target
/// (`http://host/path`, RFC 9112 section 3.2.2) loses its scheme and
/// authority first.
fn split_target(target: &str) -> (&str, &str) {
    let origin_form = match target.split_once("://") {
        Some((scheme, rest)) if !scheme.contains('/') => {
            rest.find('/').map_or("/", |at| &rest[at..])
        }
        _ => target,
    };
    origin_form.split_once('?').unwrap_or((origin_form, ""))
}

/// Returns the percent-decoded segments of `path` below `base_path`, or
/// `None` when the path is outside it or has an empty segment. Each segment
/// is decoded on its own, so `%2F` stays inside one segment.
fn path_segments(path: &str, base_path: &str) -> Option<Vec<String>> {
    let below = path.strip_prefix(base_path)?.strip_prefix('/')?;
    below
        .split('/')
        .map(|segment| {
            if segment.is_empty() {
                return None;
            }
            percent_decode_str(segment)
                .decode_utf8()
                .ok()
                .map(|decoded| decoded.into_owned())
        })
        .collect()
}

// ----- users -----

fn list_users(store: &Store, query: &Query, collection_url: &str) -> Outcome {
    let limit = parse_limit(query, 25)?;
    let filter = UserFilter::parse(query)?;
    let cursor = parse_cursor(query, store.users.next_seq())?;
    let entries = store.users.entries();
    let page = paginate(entries, cursor, limit, |entry| filter.matches(entry));

    let limit_text = limit.to_string();
    let mut parameters = vec![("limit", limit_text.as_str())];
    parameters.extend(filter.roles.iter().map(|role| ("role", *role)));
    if let Some(search) = filter.raw_search {
        parameters.push(("q", search));
    }
    parameters.extend(filter.groups.iter().map(|group| ("group", *group)));
    Ok(page_response(entries, &page, collection_url, &parameters))
}

fn count_users(store: &Store, query: &Query) -> Outcome {
    let filter = UserFilter::parse(query)?;
    let count = store
        .users
        .entries()
        .iter()
        .filter(|entry| filter.matches(entry))
        .count();
    Ok(json_response(200, &json!(count)))
}

/// Filters of the user list: `role` and `group` are repeatable and match
/// any of their values, `q` is a case-insensitive substring of username,
/// firstname, lastname or email. All given filters must match.
struct UserFilter<'a> {
    roles: Vec<&'a str>,
    groups: Vec<&'a str>,
    raw_search: Option<&'a str>,
    search: Option<String>,
}

impl<'a> UserFilter<'a> {
    fn parse(query: &'a Query) -> Result<Self, Response> {
        let roles: Vec<&str> = query.all("role").collect();
        for role in &roles {
            check_enum("role", role, &USER_FILTER_ROLES)?;
        }
        let raw_search = query.single("q")?.filter(|text| !text.is_empty());
        Ok(UserFilter {
            roles,
            groups: query.all("group").collect(),
            raw_search,
            search: raw_search.map(str::to_lowercase),
        })
    }

    fn matches(&self, entry: &Entry<UserIndex>) -> bool {
        let index = &entry.index;
        (self.roles.is_empty() || self.roles.contains(&index.role.as_str()))
            && (self.groups.is_empty()
                || index
                    .groups
                    .iter()
                    .any(|group| self.groups.contains(&group.as_str())))
            && self.search.as_ref().is_none_or(|search| {
                index
                    .search_fields
                    .iter()
                    .any(|field| field.contains(search.as_str()))
            })
    }
}

fn create_user(store: &mut Store, body: &[u8]) -> Outcome {
    let fields = parse_object(body)?;
    let username = required_string(&fields, "username", 1, 30)?;
    required_string(&fields, "password", 6, 1000)?;
    let firstname = optional_string(&fields, "firstname", 0, 60)?;
    let lastname = optional_string(&fields, "lastname", 0, 60)?;
    let email = optional_email(&fields, "email")?;
    optional_string(&fields, "locale", 0, usize::MAX)?;
    let role = optional_enum(&fields, "role", &CREATION_ROLES)?.unwrap_or("user");
    if store.username_taken(username) {
        return Err(bad_request(
            "username",
            format!("The username {username:?} is already taken in this organization"),
        ));
    }

    let id = store.new_id();
    let mut user = Map::new();
    user.insert("id".into(), id.as_str().into());
    user.insert("type".into(), "user".into());
    user.insert("product".into(), "flatEdu".into());
    user.insert("username".into(), username.into());
    user.insert("picture".into(), Value::Null);
    user.insert("organization".into(), ORGANIZATION_ID.into());
    user.insert("organizationRole".into(), role.into());
    for (name, value) in [
        ("firstname", firstname),
        ("lastname", lastname),
        ("email", email),
    ] {
        if let Some(value) = value {
            user.insert(name.into(), value.into());
        }
    }
    user.insert("groups".into(), json!([]));
    user.insert("badges".into(), json!([]));
    let mut user = Value::Object(user);
    set_printable_name(&mut user);
    let response = json_response(200, &user);
    store.insert_user(id, user);
    Ok(response)
}

fn update_user(store: &mut Store, id: &str, body: &[u8]) -> Outcome {
    let fields = parse_object(body)?;
    let username = optional_string(&fields, "username", 1, 30)?;
    optional_string(&fields, "password", 6, 1000)?;
    let firstname = optional_string(&fields, "firstname", 0, 60)?;
    let lastname = optional_string(&fields, "lastname", 0, 60)?;
    let email = optional_email(&fields, "email")?;
    let role = optional_enum(&fields, "organizationRole", &ORGANIZATION_ROLES)?;

    let Some(current) = store.users.get(id) else {
        return Err(not_found("user", id));
    };
    let current_username = current
        .json
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(username) = username {
        let renamed = !username.eq_ignore_ascii_case(&current_username);
        if renamed && store.username_taken(username) {
            return Err(bad_request(
                "username",
                format!("The username {username:?} is already taken in this organization"),
            ));
        }
        store.rename_user(&current_username, username);
    }

    let changes = [
        ("username", username),
        ("firstname", firstname),
        ("lastname", lastname),
        ("email", email),
        ("organizationRole", role),
    ];
    let updated = store.users.update(id, |user| {
        if let Some(object) = user.as_object_mut() {
            for (name, value) in changes {
                if let Some(value) = value {
                    object.insert(name.into(), value.into());
                }
            }
        }
        set_printable_name(user);
        json_response(200, user)
    });
    updated.ok_or_else(|| not_found("user", id))
}

/// Sets `printableName` to "firstname lastname", or to the username when
/// both names are empty or absent.
fn set_printable_name(user: &mut Value) {
    let text = |field: &str| {
        user.get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let full_name = format!("{} {}", text("firstname"), text("lastname"));
    let full_name = full_name.trim();
    let printable = if full_name.is_empty() {
        text("username")
    } else {
        full_name.to_owned()
    };
    if let Some(object) = user.as_object_mut() {
        object.insert("printableName".into(), printable.into());
    }
}

fn delete_user(store: &mut Store, id: &str, query: &Query) -> Outcome {
    if let Some(value) = query.single("convertToIndividual")?
        && value != "true"
        && value != "false"
    {
        return Err(bad_request(
            "convertToIndividual",
            format!("convertToIndividual must be true or false, got {value:?}"),
        ));
    }
    if store.remove_user(id) {
        Ok(no_content())
    } else {
        Err(not_found("user", id))
    }
}

// ----- invitations -----

fn list_invitations(store: &Store, query: &Query, collection_url: &str) -> Outcome {
    let limit = parse_limit(query, 50)?;
    let role = query.single("role")?;
    if let Some(role) = role {
        check_enum("role", role, &INVITATION_FILTER_ROLES)?;
    }
    let cursor = parse_cursor(query, store.invitations.next_seq())?;
    let entries = store.invitations.entries();
    let page = paginate(entries, cursor, limit, |entry| {
        role.is_none_or(|role| entry.index.role == role)
    });

    let limit_text = limit.to_string();
    let mut parameters = vec![("limit", limit_text.as_str())];
    parameters.extend(role.map(|role| ("role", role)));
    Ok(page_response(entries, &page, collection_url, &parameters))
}

fn create_invitation(store: &mut Store, body: &[u8]) -> Outcome {
    let fields = parse_object(body)?;
    let email = optional_email(&fields, "email")?;
    let role = optional_enum(&fields, "organizationRole", &INVITATION_ROLES)?.unwrap_or("teacher");
    let id = store.new_id();
    let code = store.new_invitation_code();
    let creation_date = format_rfc3339(now_millis());
    let invitation = invitation_json(&id, role, Some(&code), email, &creation_date);
    let response = json_response(200, &invitation);
    store.invitations.insert(id, invitation);
    Ok(response)
}

fn delete_invitation(store: &mut Store, id: &str) -> Outcome {
    match store.invitations.remove(id) {
        Some(_) => Ok(no_content()),
        None => Err(not_found("invitation", id)),
    }
}

// ----- LTI credentials -----

fn list_credentials(store: &Store) -> Response {
    let all: Vec<&Value> = store
        .credentials
        .entries()
        .iter()
        .map(|entry| &entry.json)
        .collect();
    json_response(200, &all)
}

fn create_credentials(store: &mut Store, body: &[u8]) -> Outcome {
    let fields = parse_object(body)?;
    let name = required_string(&fields, "name", 0, 300)?;
    let lms = required_enum(&fields, "lms", &LMS_NAMES)?;
    let id = store.new_id();
    let creation_date = format_rfc3339(now_millis());
    let credentials = store.credentials_json(&id, name, lms, &creation_date);
    let response = json_response(200, &credentials);
    store.credentials.insert(id, credentials);
    Ok(response)
}

fn delete_credentials(store: &mut Store, id: &str) -> Outcome {
    match store.credentials.remove(id) {
        Some(_) => Ok(no_content()),
        None => Err(not_found("LTI credentials", id)),
    }
}

// ----- responses -----

fn page_response<I>(
    entries: &[Entry<I>],
    page: &Page,
    collection_url: &str,
    parameters: &[(&str, &str)],
) -> Response {
    let mut body = Vec::with_capacity(
        2 + page
            .positions
            .iter()
            .map(|&position| entries[position].serialized.len() + 1)
            .sum::<usize>(),
    );
    body.push(b'[');
    for (count, &position) in page.positions.iter().enumerate() {
        if count > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&entries[position].serialized);
    }
    body.push(b']');
    let mut response = Response {
        status: 200,
        headers: Vec::new(),
        body: Some(body),
    };
    if let Some(link) = link_header(collection_url, parameters, page) {
        response.headers.push(("Link", link));
    }
    response
}

fn json_response(status: u16, value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => Response {
            status,
            headers: Vec::new(),
            body: Some(body),
        },
        Err(error) => error_response(
            500,
            "INTERNAL_ERROR",
            format!("The fake server could not serialize its response: {error}"),
            None,
        ),
    }
}

fn no_content() -> Response {
    Response {
        status: 204,
        headers: Vec::new(),
        body: None,
    }
}

/// Builds a `FlatErrorResponse` with a fresh random `id`.
fn error_response(status: u16, code: &str, message: String, param: Option<&str>) -> Response {
    let mut error = json!({ "code": code, "message": message, "id": new_error_id() });
    if let (Some(param), Some(object)) = (param, error.as_object_mut()) {
        object.insert("param".into(), param.into());
    }
    let body = serde_json::to_vec(&error).unwrap_or_default();
    Response {
        status,
        headers: Vec::new(),
        body: Some(body),
    }
}

/// Builds a 400 `BAD_REQUEST` error naming the offending parameter.
pub(super) fn bad_request(param: &str, message: String) -> Response {
    error_response(400, "BAD_REQUEST", message, Some(param))
}

fn not_found(kind: &str, id: &str) -> Response {
    error_response(
        404,
        "NOT_FOUND",
        format!("No {kind} has the id {id:?}"),
        None,
    )
}

fn unknown_route(method: &str, path: &str) -> Response {
    error_response(
        404,
        "NOT_FOUND",
        format!("No route matches {method} {path}"),
        None,
    )
}

fn method_not_allowed(allowed: &'static str) -> Response {
    let mut response = error_response(
        405,
        "METHOD_NOT_ALLOWED",
        format!("This path only accepts {allowed}"),
        None,
    );
    response.headers.push(("Allow", allowed.to_owned()));
    response
}

/// Returns 16 hex digits that differ between calls.
fn new_error_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}", splitmix64(now_millis().rotate_left(20) ^ count))
}
