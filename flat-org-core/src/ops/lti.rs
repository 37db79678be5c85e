//! The LTI credentials operations.

use serde::Serialize;

use http::{Method, Response};
use url::Url;

use super::{ListOperation, Operation, sealed};
use crate::api::join_path;
use crate::error::{Error, InvalidInput};
use crate::models::{LmsName, LtiCredentials};
use crate::page::{Page, decode_page};

use super::{check_length, check_status, collection_url, decode_json, json_body};

/// `listLtiCredentials`: `GET /organizations/lti/credentials`.
///
/// The contract declares no pagination for this call; the output is still a
/// [`Page`], which follows `Link` headers if the API ever sends them.
///
/// ```
/// use flat_org_core::{AccessToken, Api, ops::ListLtiCredentials};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let request = api.request(&ListLtiCredentials::new())?;
/// assert_eq!(request.uri(), "https://api.flat.io/v2/organizations/lti/credentials");
/// # Ok::<(), flat_org_core::Error>(())
/// ```
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
///
/// ```
/// use flat_org_core::{AccessToken, Api, ops::RevokeLtiCredentials};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let request = api.request(&RevokeLtiCredentials::new("59368be5c66caf895ee02387"))?;
/// assert_eq!(request.method(), "DELETE");
/// # Ok::<(), flat_org_core::Error>(())
/// ```
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

    fn decode<B: AsRef<[u8]>>(&self, _: &Url, response: &Response<B>) -> Result<(), Error> {
        check_status(response)
    }
}
