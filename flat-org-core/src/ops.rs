//! One type per API operation: its parameters, its request and its output.
//!
//! Build an operation with `new` and its setters, hand it to
//! [`Api::request`](crate::Api::request), send the request, and hand the
//! response to [`Api::decode`](crate::Api::decode). Input is checked when
//! the request is built, so a value the API would reject is reported with
//! the field's name before anything is sent.

use std::fmt;

use http::{Method, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::api::join_path;
use crate::error::{ApiError, DecodeError, Error, InvalidInput};
use crate::models::{Invitation, Listed, LmsName, LtiCredentials, OrganizationRole, User};
use crate::page::{Page, decode_page};
use crate::rate_limit::RateLimit;

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

    /// Checks the body fields and serializes the JSON body, if there is one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the rejected field.
    fn body(&self) -> Result<Option<Vec<u8>>, Error>;

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

/// Sort key for [`ListUsers::sort`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UserSort {
    /// `firstname`.
    Firstname,
    /// `lastname`.
    Lastname,
    /// `lastActivityDate`.
    LastActivityDate,
    /// `licenseExpirationDate`.
    LicenseExpirationDate,
}

impl UserSort {
    fn as_str(self) -> &'static str {
        match self {
            UserSort::Firstname => "firstname",
            UserSort::Lastname => "lastname",
            UserSort::LastActivityDate => "lastActivityDate",
            UserSort::LicenseExpirationDate => "licenseExpirationDate",
        }
    }
}

/// Sort direction for [`ListUsers::direction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortDirection {
    /// `asc`.
    Ascending,
    /// `desc`.
    Descending,
}

/// Test-account filter for [`ListUsers::test_accounts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestAccounts {
    /// `exclude`: hide test student accounts.
    Exclude,
    /// `only`: list only test student accounts.
    Only,
}

/// `listOrganizationUsers`: `GET /organizations/users`, one page of users.
///
/// ```
/// use flat_org_core::{AccessToken, Api, OrganizationRole, ops::ListUsers};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let list = ListUsers::new()
///     .role(OrganizationRole::Teacher)
///     .role(OrganizationRole::Admin)
///     .limit(100);
/// assert_eq!(
///     api.request(&list)?.uri(),
///     "https://api.flat.io/v2/organizations/users?role=teacher&role=admin&limit=100"
/// );
///
/// let err = api.request(&ListUsers::new().limit(1001)).unwrap_err();
/// assert_eq!(err.to_string(), "invalid limit: 1001 is outside 1..=1000; \
///     use at most 1000 and follow the next pages");
/// # Ok::<(), flat_org_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListUsers {
    roles: Vec<OrganizationRole>,
    limit: Option<u32>,
    next: Option<String>,
    previous: Option<String>,
    query: Option<String>,
    groups: Vec<String>,
    sort: Option<UserSort>,
    direction: Option<SortDirection>,
    no_active_license: Option<bool>,
    test_accounts: Option<TestAccounts>,
}

impl ListUsers {
    /// Lists all users, 25 a page (the API's default).
    pub fn new() -> ListUsers {
        ListUsers::default()
    }

    /// Keeps users with this role; call again to add roles (`role`, repeated).
    pub fn role(mut self, role: OrganizationRole) -> ListUsers {
        self.roles.push(role);
        self
    }

    /// Sets the page size, 1 to 1000 (`limit`).
    pub fn limit(mut self, limit: u32) -> ListUsers {
        self.limit = Some(limit);
        self
    }

    /// Starts after this opaque cursor (`next`). Following
    /// [`Page::next_page`] is usually simpler.
    pub fn next(mut self, cursor: impl Into<String>) -> ListUsers {
        self.next = Some(cursor.into());
        self
    }

    /// Starts before this opaque cursor (`previous`).
    pub fn previous(mut self, cursor: impl Into<String>) -> ListUsers {
        self.previous = Some(cursor.into());
        self
    }

    /// Keeps users matching this search text (`q`).
    pub fn query(mut self, text: impl Into<String>) -> ListUsers {
        self.query = Some(text.into());
        self
    }

    /// Keeps users in this group; call again to add groups (`group`, repeated).
    pub fn group(mut self, group_id: impl Into<String>) -> ListUsers {
        self.groups.push(group_id.into());
        self
    }

    /// Sets the sort key (`sort`).
    pub fn sort(mut self, sort: UserSort) -> ListUsers {
        self.sort = Some(sort);
        self
    }

    /// Sets the sort direction (`direction`).
    pub fn direction(mut self, direction: SortDirection) -> ListUsers {
        self.direction = Some(direction);
        self
    }

    /// Keeps only users without an active license when `true`
    /// (`noActiveLicense`).
    pub fn no_active_license(mut self, no_active_license: bool) -> ListUsers {
        self.no_active_license = Some(no_active_license);
        self
    }

    /// Excludes or keeps only test student accounts (`testAccounts`).
    pub fn test_accounts(mut self, filter: TestAccounts) -> ListUsers {
        self.test_accounts = Some(filter);
        self
    }
}

impl sealed::Sealed for ListUsers {}

impl Operation for ListUsers {
    type Output = Page<User>;
    const OPERATION_ID: &'static str = "listOrganizationUsers";

    fn method(&self) -> Method {
        Method::GET
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        check_limit(self.limit)?;
        check_cursors(self.next.as_deref(), self.previous.as_deref())?;
        for role in &self.roles {
            check_role_value("role", role)?;
        }
        let mut url = collection_url(base, &["organizations", "users"])?;
        {
            let mut query = url.query_pairs_mut();
            for role in &self.roles {
                query.append_pair("role", role.as_str());
            }
            if let Some(limit) = self.limit {
                query.append_pair("limit", &limit.to_string());
            }
            if let Some(next) = &self.next {
                query.append_pair("next", next);
            }
            if let Some(previous) = &self.previous {
                query.append_pair("previous", previous);
            }
            if let Some(text) = &self.query {
                query.append_pair("q", text);
            }
            for group in &self.groups {
                query.append_pair("group", group);
            }
            if let Some(sort) = self.sort {
                query.append_pair("sort", sort.as_str());
            }
            if let Some(direction) = self.direction {
                let text = match direction {
                    SortDirection::Ascending => "asc",
                    SortDirection::Descending => "desc",
                };
                query.append_pair("direction", text);
            }
            if let Some(flag) = self.no_active_license {
                query.append_pair("noActiveLicense", if flag { "true" } else { "false" });
            }
            if let Some(filter) = self.test_accounts {
                let text = match filter {
                    TestAccounts::Exclude => "exclude",
                    TestAccounts::Only => "only",
                };
                query.append_pair("testAccounts", text);
            }
        }
        drop_empty_query(&mut url);
        Ok(url)
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }

    fn decode<B: AsRef<[u8]>>(
        &self,
        base: &Url,
        response: &Response<B>,
    ) -> Result<Page<User>, Error> {
        decode_page(response, || self.url(base))
    }
}

impl ListOperation for ListUsers {
    type Item = User;
}

/// `query_pairs_mut` leaves `?` behind when nothing was appended.
fn drop_empty_query(url: &mut Url) {
    if url.query() == Some("") {
        url.set_query(None);
    }
}

/// `createOrganizationUser`: `POST /organizations/users`, creates an account.
///
/// `Debug` output hides the password. The request built from it carries the
/// password in its body, which `http::Request`'s own `Debug` prints.
///
/// ```
/// use flat_org_core::{AccessToken, Api, OrganizationRole, ops::CreateUser};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let create = CreateUser::new("ada", "correct horse")
///     .firstname("Ada")
///     .role(OrganizationRole::Teacher);
/// let request = api.request(&create)?;
/// assert_eq!(
///     request.body(),
///     br#"{"username":"ada","password":"correct horse","firstname":"Ada","role":"teacher"}"#
/// );
///
/// let err = api.request(&CreateUser::new("ada", "12345")).unwrap_err();
/// assert_eq!(err.to_string(), "invalid password: is 5 characters long; the API accepts 6 to 1000");
/// # Ok::<(), flat_org_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct CreateUser {
    username: String,
    password: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    firstname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lastname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<OrganizationRole>,
}

impl CreateUser {
    /// Creates a user with a user name (1 to 30 characters) and a password
    /// (6 to 1000 characters), the two required fields.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> CreateUser {
        CreateUser {
            username: username.into(),
            password: password.into(),
            email: None,
            firstname: None,
            lastname: None,
            locale: None,
            role: None,
        }
    }

    /// Sets the email address.
    pub fn email(mut self, email: impl Into<String>) -> CreateUser {
        self.email = Some(email.into());
        self
    }

    /// Sets the first name, at most 60 characters.
    pub fn firstname(mut self, firstname: impl Into<String>) -> CreateUser {
        self.firstname = Some(firstname.into());
        self
    }

    /// Sets the last name, at most 60 characters.
    pub fn lastname(mut self, lastname: impl Into<String>) -> CreateUser {
        self.lastname = Some(lastname.into());
        self
    }

    /// Sets the language, such as `en` or `fr` (the API's default is `en`).
    pub fn locale(mut self, locale: impl Into<String>) -> CreateUser {
        self.locale = Some(locale.into());
        self
    }

    /// Sets the role (the API's default is `user`).
    pub fn role(mut self, role: OrganizationRole) -> CreateUser {
        self.role = Some(role);
        self
    }
}

impl fmt::Debug for CreateUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateUser")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("email", &self.email)
            .field("firstname", &self.firstname)
            .field("lastname", &self.lastname)
            .field("locale", &self.locale)
            .field("role", &self.role)
            .finish()
    }
}

impl sealed::Sealed for CreateUser {}

impl Operation for CreateUser {
    type Output = User;
    const OPERATION_ID: &'static str = "createOrganizationUser";

    fn method(&self) -> Method {
        Method::POST
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        collection_url(base, &["organizations", "users"])
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        check_length("username", &self.username, 1, 30)?;
        check_length("password", &self.password, 6, 1000)?;
        check_optional_length("firstname", self.firstname.as_deref(), 0, 60)?;
        check_optional_length("lastname", self.lastname.as_deref(), 0, 60)?;
        if let Some(role) = &self.role {
            check_role_value("role", role)?;
        }
        json_body(self)
    }

    fn decode<B: AsRef<[u8]>>(&self, _: &Url, response: &Response<B>) -> Result<User, Error> {
        decode_json(response, "a JSON user", false)
    }
}

/// `updateOrganizationUser`: `PUT /organizations/users/{user}`, changes the
/// fields that are set and leaves the others.
///
/// `Debug` output hides the password.
///
/// ```
/// use flat_org_core::{AccessToken, Api, OrganizationRole, ops::UpdateUser};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let update = UpdateUser::new("5e1f").organization_role(OrganizationRole::Admin);
/// let request = api.request(&update)?;
/// assert_eq!(request.uri(), "https://api.flat.io/v2/organizations/users/5e1f");
/// assert_eq!(request.body(), br#"{"organizationRole":"admin"}"#);
/// # Ok::<(), flat_org_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUser {
    #[serde(skip)]
    user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    firstname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lastname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_role: Option<OrganizationRole>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
}

impl UpdateUser {
    /// Updates the user with this identifier.
    pub fn new(user_id: impl Into<String>) -> UpdateUser {
        UpdateUser {
            user: user_id.into(),
            email: None,
            firstname: None,
            lastname: None,
            organization_role: None,
            password: None,
            username: None,
        }
    }

    /// Sets the email address.
    pub fn email(mut self, email: impl Into<String>) -> UpdateUser {
        self.email = Some(email.into());
        self
    }

    /// Sets the first name, at most 60 characters.
    pub fn firstname(mut self, firstname: impl Into<String>) -> UpdateUser {
        self.firstname = Some(firstname.into());
        self
    }

    /// Sets the last name, at most 60 characters.
    pub fn lastname(mut self, lastname: impl Into<String>) -> UpdateUser {
        self.lastname = Some(lastname.into());
        self
    }

    /// Sets the role in the organization.
    pub fn organization_role(mut self, role: OrganizationRole) -> UpdateUser {
        self.organization_role = Some(role);
        self
    }

    /// Sets a new password, 6 to 1000 characters.
    pub fn password(mut self, password: impl Into<String>) -> UpdateUser {
        self.password = Some(password.into());
        self
    }

    /// Sets a new user name, 1 to 30 characters.
    pub fn username(mut self, username: impl Into<String>) -> UpdateUser {
        self.username = Some(username.into());
        self
    }
}

impl fmt::Debug for UpdateUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateUser")
            .field("user", &self.user)
            .field("email", &self.email)
            .field("firstname", &self.firstname)
            .field("lastname", &self.lastname)
            .field("organization_role", &self.organization_role)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("username", &self.username)
            .finish()
    }
}

impl sealed::Sealed for UpdateUser {}

impl Operation for UpdateUser {
    type Output = User;
    const OPERATION_ID: &'static str = "updateOrganizationUser";

    fn method(&self) -> Method {
        Method::PUT
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        join_path(
            base,
            &[
                ("path", "organizations"),
                ("path", "users"),
                ("user", &self.user),
            ],
        )
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        check_optional_length("username", self.username.as_deref(), 1, 30)?;
        check_optional_length("password", self.password.as_deref(), 6, 1000)?;
        check_optional_length("firstname", self.firstname.as_deref(), 0, 60)?;
        check_optional_length("lastname", self.lastname.as_deref(), 0, 60)?;
        if let Some(role) = &self.organization_role {
            check_role_value("organizationRole", role)?;
        }
        json_body(self)
    }

    fn decode<B: AsRef<[u8]>>(&self, _: &Url, response: &Response<B>) -> Result<User, Error> {
        decode_json(response, "a JSON user", false)
    }
}

/// `removeOrganizationUser`: `DELETE /organizations/users/{user}`, removes
/// the account, or with [`convert_to_individual`](Self::convert_to_individual)
/// only removes it from the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveUser {
    user: String,
    convert_to_individual: Option<bool>,
}

impl RemoveUser {
    /// Removes the user with this identifier.
    pub fn new(user_id: impl Into<String>) -> RemoveUser {
        RemoveUser {
            user: user_id.into(),
            convert_to_individual: None,
        }
    }

    /// When `true`, keeps the account as an individual account on flat.io
    /// and removes only its education data (`convertToIndividual`). The user
    /// must be at least 13 and have accepted Flat's individual terms.
    pub fn convert_to_individual(mut self, convert: bool) -> RemoveUser {
        self.convert_to_individual = Some(convert);
        self
    }
}

impl sealed::Sealed for RemoveUser {}

impl Operation for RemoveUser {
    type Output = ();
    const OPERATION_ID: &'static str = "removeOrganizationUser";

    fn method(&self) -> Method {
        Method::DELETE
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        let mut url = join_path(
            base,
            &[
                ("path", "organizations"),
                ("path", "users"),
                ("user", &self.user),
            ],
        )?;
        if let Some(convert) = self.convert_to_individual {
            url.query_pairs_mut().append_pair(
                "convertToIndividual",
                if convert { "true" } else { "false" },
            );
        }
        Ok(url)
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }

    fn decode<B: AsRef<[u8]>>(&self, _: &Url, response: &Response<B>) -> Result<(), Error> {
        check_status(response)
    }
}

/// `listOrganizationInvitations`: `GET /organizations/invitations`, one page
/// of invitations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListInvitations {
    role: Option<OrganizationRole>,
    limit: Option<u32>,
    next: Option<String>,
    previous: Option<String>,
}

impl ListInvitations {
    /// Lists all invitations, 50 a page (the API's default).
    pub fn new() -> ListInvitations {
        ListInvitations::default()
    }

    /// Keeps invitations for this role: `user`, `teacher` or `admin`.
    pub fn role(mut self, role: OrganizationRole) -> ListInvitations {
        self.role = Some(role);
        self
    }

    /// Sets the page size, 1 to 1000 (`limit`).
    pub fn limit(mut self, limit: u32) -> ListInvitations {
        self.limit = Some(limit);
        self
    }

    /// Starts after this opaque cursor (`next`).
    pub fn next(mut self, cursor: impl Into<String>) -> ListInvitations {
        self.next = Some(cursor.into());
        self
    }

    /// Starts before this opaque cursor (`previous`).
    pub fn previous(mut self, cursor: impl Into<String>) -> ListInvitations {
        self.previous = Some(cursor.into());
        self
    }
}

impl sealed::Sealed for ListInvitations {}

impl Operation for ListInvitations {
    type Output = Page<Invitation>;
    const OPERATION_ID: &'static str = "listOrganizationInvitations";

    fn method(&self) -> Method {
        Method::GET
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        check_limit(self.limit)?;
        check_cursors(self.next.as_deref(), self.previous.as_deref())?;
        if let Some(role) = &self.role {
            check_role_value("role", role)?;
            if role.as_str() == OrganizationRole::AccountAdmin.as_str() {
                return Err(InvalidInput::new(
                    "role",
                    "accountAdmin is not a filter of the invitation list; use user, teacher or admin",
                )
                .into());
            }
        }
        let mut url = collection_url(base, &["organizations", "invitations"])?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(role) = &self.role {
                query.append_pair("role", role.as_str());
            }
            if let Some(limit) = self.limit {
                query.append_pair("limit", &limit.to_string());
            }
            if let Some(next) = &self.next {
                query.append_pair("next", next);
            }
            if let Some(previous) = &self.previous {
                query.append_pair("previous", previous);
            }
        }
        drop_empty_query(&mut url);
        Ok(url)
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }

    fn decode<B: AsRef<[u8]>>(
        &self,
        base: &Url,
        response: &Response<B>,
    ) -> Result<Page<Invitation>, Error> {
        decode_page(response, || self.url(base))
    }
}

impl ListOperation for ListInvitations {
    type Item = Invitation;
}

/// `createOrganizationInvitation`: `POST /organizations/invitations`,
/// invites a teacher or admin by email.
///
/// ```
/// use flat_org_core::{AccessToken, Api, OrganizationRole, ops::CreateInvitation};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let invite = CreateInvitation::new()
///     .email("teacher@school.example")
///     .organization_role(OrganizationRole::Teacher);
/// assert_eq!(
///     api.request(&invite)?.body(),
///     br#"{"email":"teacher@school.example","organizationRole":"teacher"}"#
/// );
///
/// let students = CreateInvitation::new().organization_role(OrganizationRole::User);
/// assert!(api.request(&students).is_err());
/// # Ok::<(), flat_org_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInvitation {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization_role: Option<OrganizationRole>,
}

impl CreateInvitation {
    /// Creates an invitation; with no field set, the API makes a teacher
    /// invitation with an enrollment code.
    pub fn new() -> CreateInvitation {
        CreateInvitation::default()
    }

    /// Sends the invitation to this address.
    pub fn email(mut self, email: impl Into<String>) -> CreateInvitation {
        self.email = Some(email.into());
        self
    }

    /// Sets the role: `admin`, `teacher` (the API's default) or
    /// `accountAdmin`.
    pub fn organization_role(mut self, role: OrganizationRole) -> CreateInvitation {
        self.organization_role = Some(role);
        self
    }
}

impl sealed::Sealed for CreateInvitation {}

impl Operation for CreateInvitation {
    type Output = Invitation;
    const OPERATION_ID: &'static str = "createOrganizationInvitation";

    fn method(&self) -> Method {
        Method::POST
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        collection_url(base, &["organizations", "invitations"])
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        if let Some(role) = &self.organization_role {
            check_role_value("organizationRole", role)?;
            if role.as_str() == OrganizationRole::User.as_str() {
                return Err(InvalidInput::new(
                    "organizationRole",
                    "user is not an invitation role; create student accounts with CreateUser, \
                     or invite as admin, teacher or accountAdmin",
                )
                .into());
            }
        }
        json_body(self)
    }

    fn decode<B: AsRef<[u8]>>(&self, _: &Url, response: &Response<B>) -> Result<Invitation, Error> {
        decode_json(response, "a JSON invitation", false)
    }
}

/// `removeOrganizationInvitation`: `DELETE /organizations/invitations/{invitation}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveInvitation {
    invitation: String,
}

impl RemoveInvitation {
    /// Removes the invitation with this identifier.
    pub fn new(invitation_id: impl Into<String>) -> RemoveInvitation {
        RemoveInvitation {
            invitation: invitation_id.into(),
        }
    }
}

impl sealed::Sealed for RemoveInvitation {}

impl Operation for RemoveInvitation {
    type Output = ();
    const OPERATION_ID: &'static str = "removeOrganizationInvitation";

    fn method(&self) -> Method {
        Method::DELETE
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        join_path(
            base,
            &[
                ("path", "organizations"),
                ("path", "invitations"),
                ("invitation", &self.invitation),
            ],
        )
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }

    fn decode<B: AsRef<[u8]>>(&self, _: &Url, response: &Response<B>) -> Result<(), Error> {
        check_status(response)
    }
}

/// `listLtiCredentials`: `GET /organizations/lti/credentials`.
///
/// The contract declares no pagination for this call; the output is still a
/// [`Page`], which follows `Link` headers if the API ever sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListLtiCredentials {}

impl ListLtiCredentials {
    /// Lists the organization's LTI 1.x credentials.
    pub fn new() -> ListLtiCredentials {
        ListLtiCredentials {}
    }
}

impl sealed::Sealed for ListLtiCredentials {}

impl Operation for ListLtiCredentials {
    type Output = Page<LtiCredentials>;
    const OPERATION_ID: &'static str = "listLtiCredentials";

    fn method(&self) -> Method {
        Method::GET
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        collection_url(base, &["organizations", "lti", "credentials"])
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }

    fn decode<B: AsRef<[u8]>>(
        &self,
        base: &Url,
        response: &Response<B>,
    ) -> Result<Page<LtiCredentials>, Error> {
        decode_page(response, || self.url(base))
    }
}

impl ListOperation for ListLtiCredentials {
    type Item = LtiCredentials;
}

/// `createLtiCredentials`: `POST /organizations/lti/credentials`, creates a
/// consumer key and secret for an LMS.
///
/// ```
/// use flat_org_core::{AccessToken, Api, LmsName, ops::CreateLtiCredentials};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let create = CreateLtiCredentials::new("Canvas, district", LmsName::Canvas);
/// assert_eq!(api.request(&create)?.body(), br#"{"name":"Canvas, district","lms":"canvas"}"#);
/// # Ok::<(), flat_org_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateLtiCredentials {
    name: String,
    lms: LmsName,
}

impl CreateLtiCredentials {
    /// Creates credentials with a name (at most 300 characters) for an LMS,
    /// the two required fields.
    pub fn new(name: impl Into<String>, lms: LmsName) -> CreateLtiCredentials {
        CreateLtiCredentials {
            name: name.into(),
            lms,
        }
    }
}

impl sealed::Sealed for CreateLtiCredentials {}

impl Operation for CreateLtiCredentials {
    type Output = LtiCredentials;
    const OPERATION_ID: &'static str = "createLtiCredentials";

    fn method(&self) -> Method {
        Method::POST
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        collection_url(base, &["organizations", "lti", "credentials"])
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        check_length("name", &self.name, 0, 300)?;
        if self.lms.as_str().is_empty() {
            return Err(InvalidInput::new("lms", "is empty; pick an LMS such as canvas").into());
        }
        json_body(self)
    }

    fn decode<B: AsRef<[u8]>>(
        &self,
        _: &Url,
        response: &Response<B>,
    ) -> Result<LtiCredentials, Error> {
        decode_json(response, "JSON LTI credentials", true)
    }
}

/// `revokeLtiCredentials`: `DELETE /organizations/lti/credentials/{credentials}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeLtiCredentials {
    credentials: String,
}

impl RevokeLtiCredentials {
    /// Revokes the credentials with this identifier.
    pub fn new(credentials_id: impl Into<String>) -> RevokeLtiCredentials {
        RevokeLtiCredentials {
            credentials: credentials_id.into(),
        }
    }
}

impl sealed::Sealed for RevokeLtiCredentials {}

impl Operation for RevokeLtiCredentials {
    type Output = ();
    const OPERATION_ID: &'static str = "revokeLtiCredentials";

    fn method(&self) -> Method {
        Method::DELETE
    }

    fn url(&self, base: &Url) -> Result<Url, Error> {
        join_path(
            base,
            &[
                ("path", "organizations"),
                ("path", "lti"),
                ("path", "credentials"),
                ("credentials", &self.credentials),
            ],
        )
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }

    fn decode<B: AsRef<[u8]>>(&self, _: &Url, response: &Response<B>) -> Result<(), Error> {
        check_status(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessToken, Api, ErrorKind};

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
