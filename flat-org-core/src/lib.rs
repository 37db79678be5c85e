//! Sans-IO building blocks for the [Flat for Education] Organization API:
//! the calls that list, create, update and remove an organization's user
//! accounts, invitations and LTI credentials.
//!
//! This crate builds requests and reads responses. It opens no socket,
//! reads no clock, starts no thread and never sleeps: sending the request is
//! the caller's job, with any HTTP client. `flat-org-blocking` does that
//! with `ureq`. A caller with only a byte stream can use [`wire`] to write
//! the request and parse the response, and [`RetryPolicy`] decides, from
//! what happened and the time the caller passes in, whether and when to
//! send a request again.
//!
//! # Call sequence
//!
//! 1. Configure an [`Api`]: the [`AccessToken`], and the base URL when it is
//!    not `https://api.flat.io/v2`.
//! 2. Build an operation from [`ops`] with its setters.
//! 3. [`Api::request`] checks the input and returns an [`http::Request`]
//!    with method, absolute URL, headers and JSON body.
//! 4. Send it; hand the [`http::Response`] (status, headers, body bytes) to
//!    [`Api::decode`], which returns the typed output or an [`Error`].
//! 5. For listings, the output is a [`Page`]; [`Page::next_page`] builds the
//!    request for the next page, or [`Paginator`] drives the whole loop.
//!
//! ```
//! use flat_org_core::{AccessToken, Api, ErrorKind, ops::CreateUser};
//!
//! let api = Api::new(AccessToken::new("my-token")?);
//! let create = CreateUser::new("ada.l", "s3cret-enough").firstname("Ada");
//!
//! let request = api.request(&create)?;
//! assert_eq!(request.method(), "POST");
//! assert_eq!(request.uri(), "https://api.flat.io/v2/organizations/users");
//! assert_eq!(request.headers()["authorization"], "Bearer my-token");
//! assert_eq!(request.headers()["content-type"], "application/json");
//! assert_eq!(
//!     request.body(),
//!     br#"{"username":"ada.l","password":"s3cret-enough","firstname":"Ada"}"#
//! );
//!
//! // ... send `request`, then decode what came back:
//! let response = http::Response::builder()
//!     .status(400)
//!     .header("x-ratelimit-remaining", "4998")
//!     .body(br#"{"code":"BAD_REQUEST","message":"Username taken","param":"username"}"#)?;
//! let err = api.decode(&create, &response).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::InvalidRequest);
//! assert_eq!(err.api_error().and_then(|e| e.param()), Some("username"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Guarantees
//!
//! - A path parameter is percent-encoded as exactly one path segment:
//!   an identifier containing `/`, `?`, `#`, `%` or a space cannot change
//!   the path, and `.`, `..` and the empty string are rejected.
//! - Input the API would reject (a `limit` outside 1..=1000, a string over
//!   the contract's `maxLength`, a role the call does not take) is an
//!   [`Error::InvalidInput`] naming the field, before anything is sent.
//! - The token is sent only to the configured origin: a pagination link to
//!   another scheme, host or port, or with userinfo, is
//!   [`Error::OriginRejected`]. [`AccessToken`], [`Api`] and the password
//!   setters hide secrets from `Debug`.
//! - Responses decode leniently: unknown fields are ignored and unknown
//!   enum values are kept as `Unknown(text)`. A body that is not the
//!   expected JSON is an [`Error::Decode`] with an excerpt of its first 512
//!   bytes. Status, headers, body and raw bytes from the network are parsed
//!   without panicking. The cargo-fuzz targets in `fuzz/` check this for
//!   the `Link` parser, the wire parser, decoding, page links, retry
//!   decisions and request building.
//!
//! # Logging
//!
//! This crate logs nothing. Errors never contain the token or a full page
//! URL, whose cursors may be sensitive.
//!
//! [Flat for Education]: https://flat.io/edu
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod api;
mod error;
pub mod link;
mod models;
pub mod ops;
mod page;
mod rate_limit;
mod retry;
mod token;
pub mod wire;

pub use api::{Api, DEFAULT_BASE_URL, DEFAULT_USER_AGENT};
pub use error::{
    ApiError, DecodeError, Error, ErrorBody, ErrorKind, InvalidInput, RATE_LIMIT_CODE,
};
pub use models::{
    AccountType, ClassRole, Invitation, License, LicenseMode, LicenseSource, Listed, LmsName,
    LtiCredentials, OrganizationRole, Product, User,
};
pub use ops::{ListOperation, Operation};
pub use page::{DEFAULT_MAX_PAGES, Page, PageRequest, Paginator};
pub use rate_limit::RateLimit;
pub use retry::{Decision, Outcome, RetryPolicy, RetryReason, TransportFailure, retry_after};
pub use token::AccessToken;

// The HTTP types of the public API, so callers use the same version.
pub use http;
pub use url;
