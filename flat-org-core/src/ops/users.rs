//! The user account operations.

use std::fmt;

use serde::Serialize;

use http::{Method, Response};
use url::Url;

use super::{ListOperation, Operation, sealed};
use crate::api::join_path;
use crate::error::Error;
use crate::models::{OrganizationRole, User};
use crate::page::{Page, decode_page};

use super::{
    append_paging, check_length, check_optional_length, check_paging, check_role_value,
    check_status, collection_url, decode_json, drop_empty_query, json_body,
};

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
        check_paging(self.limit, self.next.as_deref(), self.previous.as_deref())?;
        for role in &self.roles {
            check_role_value("role", role)?;
        }
        let mut url = collection_url(base, &["organizations", "users"])?;
        {
            let mut query = url.query_pairs_mut();
            for role in &self.roles {
                query.append_pair("role", role.as_str());
            }
            append_paging(&mut query, self.limit, &self.next, &self.previous);
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
///
/// ```
/// use flat_org_core::{AccessToken, Api, ops::RemoveUser};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let request = api.request(&RemoveUser::new("5e1f").convert_to_individual(true))?;
/// assert_eq!(
///     request.uri(),
///     "https://api.flat.io/v2/organizations/users/5e1f?convertToIndividual=true"
/// );
/// # Ok::<(), flat_org_core::Error>(())
/// ```
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

    fn decode<B: AsRef<[u8]>>(&self, _: &Url, response: &Response<B>) -> Result<(), Error> {
        check_status(response)
    }
}
