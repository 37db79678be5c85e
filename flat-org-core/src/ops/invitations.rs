//! The invitation operations.

use serde::Serialize;

use http::{Method, Response};
use url::Url;

use super::{ListOperation, Operation, sealed};
use crate::api::join_path;
use crate::error::{Error, InvalidInput};
use crate::models::{Invitation, OrganizationRole};
use crate::page::{Page, decode_page};

use super::{
    append_paging, check_paging, check_role_value, check_status, collection_url, decode_json,
    drop_empty_query, json_body,
};

/// `listOrganizationInvitations`: `GET /organizations/invitations`, one page
/// of invitations.
///
/// ```
/// use flat_org_core::{AccessToken, Api, OrganizationRole, ops::ListInvitations};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let list = ListInvitations::new().role(OrganizationRole::Teacher).limit(100);
/// assert_eq!(
///     api.request(&list)?.uri(),
///     "https://api.flat.io/v2/organizations/invitations?role=teacher&limit=100"
/// );
/// # Ok::<(), flat_org_core::Error>(())
/// ```
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
        check_paging(self.limit, self.next.as_deref(), self.previous.as_deref())?;
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
            append_paging(&mut query, self.limit, &self.next, &self.previous);
        }
        drop_empty_query(&mut url);
        Ok(url)
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
///
/// ```
/// use flat_org_core::{AccessToken, Api, ops::RemoveInvitation};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let request = api.request(&RemoveInvitation::new("59590bab53b1af2606100000"))?;
/// assert_eq!(request.method(), "DELETE");
/// assert_eq!(
///     request.uri(),
///     "https://api.flat.io/v2/organizations/invitations/59590bab53b1af2606100000"
/// );
/// # Ok::<(), flat_org_core::Error>(())
/// ```
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

    fn decode<B: AsRef<[u8]>>(&self, _: &Url, response: &Response<B>) -> Result<(), Error> {
        check_status(response)
    }
}
