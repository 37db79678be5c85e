//! Response models, decoded leniently.
//!
//! Unknown fields are ignored, enum values this version does not know are
//! kept in an `Unknown` variant holding the text, `nullable` fields are
//! `Option`, and optional fields are `Option` or an empty `Vec`. Fields the
//! contract marks required are required.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

mod sealed {
    pub trait Sealed {}
}

/// A model that a listing returns: [`User`], [`Invitation`] or
/// [`LtiCredentials`]. The trait is sealed.
pub trait Listed: DeserializeOwned + sealed::Sealed {
    /// Identifier of the listing operation in the OpenAPI contract, for logs.
    const LIST_OPERATION_ID: &'static str;
    /// Description of a page's body, for decode errors.
    const PAGE_DESCRIPTION: &'static str;
    /// Whether a body may contain secrets, so decode errors must not quote it.
    const SECRET_BODY: bool;
}

impl sealed::Sealed for User {}
impl Listed for User {
    const LIST_OPERATION_ID: &'static str = "listOrganizationUsers";
    const PAGE_DESCRIPTION: &'static str = "a JSON array of users";
    const SECRET_BODY: bool = false;
}

impl sealed::Sealed for Invitation {}
impl Listed for Invitation {
    const LIST_OPERATION_ID: &'static str = "listOrganizationInvitations";
    const PAGE_DESCRIPTION: &'static str = "a JSON array of invitations";
    const SECRET_BODY: bool = false;
}

impl sealed::Sealed for LtiCredentials {}
impl Listed for LtiCredentials {
    const LIST_OPERATION_ID: &'static str = "listLtiCredentials";
    const PAGE_DESCRIPTION: &'static str = "a JSON array of LTI credentials";
    // Each item carries an OAuth consumer secret.
    const SECRET_BODY: bool = true;
}

/// Declares a string enum that keeps unknown values instead of failing.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )*
            /// A value this version of the crate does not know, as received.
            Unknown(String),
        }

        impl $name {
            /// Returns the value as the API spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )*
                    $name::Unknown(text) => text,
                }
            }

            /// Maps the API's spelling to a variant, or to `Unknown`.
            pub fn from_api(text: &str) -> $name {
                match text {
                    $( $text => $name::$variant, )*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok($name::from_api(&text))
            }
        }
    };
}

string_enum! {
    /// A user's role in the organization.
    ///
    /// ```
    /// use flat_org_core::OrganizationRole;
    ///
    /// assert_eq!(OrganizationRole::from_api("teacher"), OrganizationRole::Teacher);
    /// let future = OrganizationRole::from_api("billing");
    /// assert_eq!(future, OrganizationRole::Unknown("billing".to_owned()));
    /// assert_eq!(future.as_str(), "billing");
    /// ```
    OrganizationRole {
        /// `admin`: manages the organization.
        Admin = "admin",
        /// `accountAdmin`: manages the organization's accounts.
        AccountAdmin = "accountAdmin",
        /// `teacher`.
        Teacher = "teacher",
        /// `user`: a student.
        User = "user",
    }
}

string_enum! {
    /// A user's role in a class.
    ClassRole {
        /// `teacher`.
        Teacher = "teacher",
        /// `student`.
        Student = "student",
    }
}

string_enum! {
    /// The kind of account.
    AccountType {
        /// `user`: a regular account.
        User = "user",
        /// `guest`.
        Guest = "guest",
    }
}

string_enum! {
    /// The Tutteo product an account belongs to.
    Product {
        /// `flat`: Flat for individuals.
        Flat = "flat",
        /// `flatEdu`: Flat for Education.
        FlatEdu = "flatEdu",
        /// `msnippet`: Music Snippet.
        Msnippet = "msnippet",
        /// `embed`: Flat Embed.
        Embed = "embed",
    }
}

string_enum! {
    /// The counting mode of a license.
    LicenseMode {
        /// `credit`: one license per user.
        Credit = "credit",
        /// `site`: a site license.
        Site = "site",
    }
}

string_enum! {
    /// The origin of a license.
    LicenseSource {
        /// `order`.
        Order = "order",
        /// `trial`.
        Trial = "trial",
        /// `voucher`.
        Voucher = "voucher",
        /// `distributor`.
        Distributor = "distributor",
        /// `subscription`.
        Subscription = "subscription",
        /// `appStore`.
        AppStore = "appStore",
        /// `playStore`.
        PlayStore = "playStore",
        /// `musicfirst`.
        Musicfirst = "musicfirst",
    }
}

string_enum! {
    /// The learning management system a set of LTI credentials is for.
    LmsName {
        /// `canvas`.
        Canvas = "canvas",
        /// `moodle`.
        Moodle = "moodle",
        /// `schoology`.
        Schoology = "schoology",
        /// `blackboard`.
        Blackboard = "blackboard",
        /// `desire2learn`.
        Desire2learn = "desire2learn",
        /// `sakai`.
        Sakai = "sakai",
        /// `schoolbox`.
        Schoolbox = "schoolbox",
        /// `other`: an LMS the API has no name for.
        Other = "other",
    }
}

/// A user account in the organization admin's view (`UserDetailsAdmin`).
///
/// Dates are RFC 3339 strings as sent.
///
/// ```
/// use flat_org_core::{OrganizationRole, User};
///
/// let user: User = serde_json::from_str(r#"{
///     "id": "5e1f", "type": "user", "product": "flatEdu", "username": "ada",
///     "picture": null, "organizationRole": "billing", "addedLater": [1, 2]
/// }"#)?;
/// assert_eq!(user.picture, None);
/// assert_eq!(user.organization_role, Some(OrganizationRole::Unknown("billing".into())));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// Unique identifier of the account.
    pub id: String,
    /// Kind of account (`type`).
    #[serde(rename = "type")]
    pub account_type: AccountType,
    /// Product the account belongs to.
    pub product: Product,
    /// User name, unique in the organization.
    pub username: String,
    /// URL of the picture to display; `null` when there is none.
    pub picture: Option<String>,
    /// Name that can be printed as is.
    pub printable_name: Option<String>,
    /// First name (education accounts).
    pub firstname: Option<String>,
    /// Last name (education accounts).
    pub lastname: Option<String>,
    /// Display name (individual accounts).
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Role in the organization.
    pub organization_role: Option<OrganizationRole>,
    /// Role in a class.
    pub class_role: Option<ClassRole>,
    /// Organization identifier.
    pub organization: Option<String>,
    /// Profile URL (individual accounts).
    pub html_url: Option<String>,
    /// Identifiers of the groups the user is in.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Profile badges.
    #[serde(default)]
    pub badges: Vec<String>,
    /// Whether this is a test student account made by a teacher.
    pub is_edu_testing_student: Option<bool>,
    /// Date of the last activity.
    pub last_activity_date: Option<String>,
    /// Current license.
    pub license: Option<License>,
}

/// A user's current license.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct License {
    /// License identifier.
    pub id: Option<String>,
    /// Whether the license is active.
    pub active: Option<bool>,
    /// When the license expires.
    pub expiration_date: Option<String>,
    /// Counting mode of the license.
    pub mode: Option<LicenseMode>,
    /// Origin of the license.
    pub source: Option<LicenseSource>,
}

/// An invitation to join the organization (`OrganizationInvitation`).
///
/// ```
/// use flat_org_core::Invitation;
///
/// let invitation: Invitation = serde_json::from_str(r#"{
///     "id": "59590bab", "organization": "55df29a6", "organizationRole": "teacher",
///     "customCode": null, "allowMultipleUse": false, "usedBy": "55b8d8f3"
/// }"#)?;
/// assert_eq!(invitation.custom_code, None);
/// assert_eq!(invitation.used_by, ["55b8d8f3"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Invitation {
    /// Unique identifier of the invitation.
    pub id: Option<String>,
    /// Organization the invitation is for.
    pub organization: String,
    /// Role the invited user gets.
    pub organization_role: OrganizationRole,
    /// Enrollment code; `null` when there is none.
    pub custom_code: Option<String>,
    /// Whether the invitation can be used more than once.
    pub allow_multiple_use: bool,
    /// Email address the invitation was sent to.
    pub email: Option<String>,
    /// URL to join the organization with this invitation.
    pub html_url: Option<String>,
    /// Identifier of the user who created the invitation.
    pub invited_by: Option<String>,
    /// Creation date.
    pub creation_date: Option<String>,
    /// Identifiers of the users who used the invitation. Older API versions
    /// sent one identifier as a string; both forms decode.
    #[serde(default, deserialize_with = "one_or_many")]
    pub used_by: Vec<String>,
}

/// A set of LTI 1.x OAuth credentials (`LtiCredentials`).
///
/// `Debug` output hides `consumer_secret`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LtiCredentials {
    /// Unique identifier of the credentials.
    pub id: Option<String>,
    /// Name given at creation.
    pub name: Option<String>,
    /// LMS the credentials are for.
    pub lms: Option<LmsName>,
    /// OAuth 1 consumer key.
    pub consumer_key: Option<String>,
    /// OAuth 1 consumer secret.
    pub consumer_secret: Option<String>,
    /// Identifier of the user who created the credentials.
    pub creator: Option<String>,
    /// Organization the credentials belong to.
    pub organization: Option<String>,
    /// Creation date.
    pub creation_date: Option<String>,
    /// Last time the credentials were used.
    pub last_usage: Option<String>,
    /// Whether LTI logins match existing users by email address.
    pub enable_email_matching: Option<bool>,
}

impl fmt::Debug for LtiCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LtiCredentials")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("lms", &self.lms)
            .field("consumer_key", &self.consumer_key)
            .field(
                "consumer_secret",
                &self.consumer_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("creator", &self.creator)
            .field("organization", &self.organization)
            .field("creation_date", &self.creation_date)
            .field("last_usage", &self.last_usage)
            .field("enable_email_matching", &self.enable_email_matching)
            .finish()
    }
}

/// Accepts a string or an array of strings (and `null`).
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = r#"{"id":"u1","type":"user","product":"flatEdu","username":"ada",
        "picture":"https://example.com/p.png"}"#;

    #[test]
    fn user_with_unknown_role_decodes() {
        let json = USER.replace(
            "\"username\"",
            "\"organizationRole\":\"billing\",\"username\"",
        );
        let user: User = serde_json::from_str(&json).unwrap();
        assert_eq!(
            user.organization_role,
            Some(OrganizationRole::Unknown("billing".to_owned()))
        );
    }

    #[test]
    fn user_with_null_picture_decodes() {
        let json = USER.replace("\"https://example.com/p.png\"", "null");
        let user: User = serde_json::from_str(&json).unwrap();
        assert_eq!(user.picture, None);
        assert!(user.groups.is_empty());
    }

    #[test]
    fn user_with_all_fields_decodes() {
        let json = r#"{"id":"u1","type":"guest","product":"flat","username":"ada",
            "picture":null,"printableName":"Ada L","firstname":"Ada","lastname":"L",
            "name":"Ada","email":"ada@example.com","organizationRole":"accountAdmin",
            "classRole":"student","organization":"o1","htmlUrl":"https://flat.io/ada",
            "groups":["g1"],"badges":["staff"],"isEduTestingStudent":true,
            "lastActivityDate":"2026-01-01T00:00:00Z",
            "license":{"id":"l1","active":true,"expirationDate":"2027-01-01T00:00:00Z",
            "mode":"site","source":"appStore","seats":3}}"#;
        let user: User = serde_json::from_str(json).unwrap();
        assert_eq!(user.account_type, AccountType::Guest);
        assert_eq!(user.class_role, Some(ClassRole::Student));
        assert_eq!(user.organization_role, Some(OrganizationRole::AccountAdmin));
        let license = user.license.unwrap();
        assert_eq!(license.mode, Some(LicenseMode::Site));
        assert_eq!(license.source, Some(LicenseSource::AppStore));
    }

    #[test]
    fn user_without_required_id_fails() {
        let json = USER.replace("\"id\":\"u1\",", "");
        assert!(serde_json::from_str::<User>(&json).is_err());
    }

    #[test]
    fn invitation_with_extra_field_decodes() {
        let json = r#"{"id":"i1","organization":"o1","organizationRole":"admin",
            "customCode":"abc","allowMultipleUse":true,"usedBy":["u1","u2"],
            "expiresSoon":{"nested":[1,2,3]}}"#;
        let invitation: Invitation = serde_json::from_str(json).unwrap();
        assert_eq!(invitation.organization_role, OrganizationRole::Admin);
        assert_eq!(invitation.used_by, ["u1", "u2"]);
    }

    #[test]
    fn invitation_used_by_forms() {
        let base = r#"{"organization":"o1","organizationRole":"teacher","customCode":null,
            "allowMultipleUse":false"#;
        for (tail, expected) in [
            ("}", &[][..]),
            (",\"usedBy\":null}", &[]),
            (",\"usedBy\":\"u9\"}", &["u9"]),
            (",\"usedBy\":[]}", &[]),
        ] {
            let invitation: Invitation = serde_json::from_str(&format!("{base}{tail}")).unwrap();
            assert_eq!(invitation.used_by, expected, "{tail}");
        }
    }

    #[test]
    fn lti_credentials_debug_hides_secret() {
        let json = r#"{"id":"c1","name":"Canvas","lms":"canvas","consumerKey":"K",
            "consumerSecret":"very-secret","enableEmailMatching":true}"#;
        let credentials: LtiCredentials = serde_json::from_str(json).unwrap();
        assert_eq!(credentials.lms, Some(LmsName::Canvas));
        assert_eq!(credentials.consumer_secret.as_deref(), Some("very-secret"));
        assert!(!format!("{credentials:?}").contains("very-secret"));
    }

    #[test]
    fn lms_other_is_known_value() {
        assert_eq!(LmsName::from_api("other"), LmsName::Other);
        assert_eq!(
            LmsName::from_api("brightspace"),
            LmsName::Unknown("brightspace".to_owned())
        );
    }

    #[test]
    fn enum_serializes_as_api_text() {
        assert_eq!(
            serde_json::to_string(&OrganizationRole::AccountAdmin).unwrap(),
            "\"accountAdmin\""
        );
        assert_eq!(
            serde_json::to_string(&OrganizationRole::Unknown("x".into())).unwrap(),
            "\"x\""
        );
    }
}
