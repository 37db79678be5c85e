//! A blocking client for the [Flat for Education] Organization API: list,
//! create, update and remove an organization's user accounts, invitations
//! and LTI credentials from a synchronous Rust program.
//!
//! The API knowledge (requests, input checks, models, `Link` pagination)
//! lives in [`flat_org_core`], which this crate re-exports. This crate sends
//! the core's requests with a pooled [`ureq`] agent and follows pages
//! lazily.
//!
//! ```no_run
//! use flat_org_blocking::{AccessToken, Client, OrganizationRole};
//! use flat_org_blocking::ops::{CreateUser, ListUsers, RemoveUser};
//!
//! let token = AccessToken::new(std::env::var("FLAT_ACCESS_TOKEN")?)?;
//! let client = Client::builder(token).build()?;
//!
//! let ada = client.create_user(
//!     &CreateUser::new("ada.l", "a long passphrase").role(OrganizationRole::Teacher),
//! )?;
//!
//! // Every teacher, all pages, one page in memory at a time.
//! for teacher in client.items(&ListUsers::new().role(OrganizationRole::Teacher).limit(1000))? {
//!     println!("{}", teacher?.username);
//! }
//!
//! client.remove_user(&RemoveUser::new(&ada.id))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Errors
//!
//! Every call returns [`Error`]; [`Error::kind`] tells an invalid input, an
//! API error status (401, 403, the rate limit, 404, 400), a timeout, a
//! connection failure and an undecodable response apart.
//!
//! # Retries and the rate limit
//!
//! Idempotent calls (GET, PUT, DELETE) are retried after connection
//! failures, timeouts and statuses 500, 502, 503 and 504; POST only when it
//! cannot have reached the server. A rate-limit refusal is retried after the reset when
//! that is close enough, and a response that leaves no requests makes the
//! next one wait. [`RetryPolicy`] holds the rules and their limits; the
//! decisions are pure functions in the core, and this crate only sleeps.
//!
//! # Logging
//!
//! Retries and rate-limit waits are logged at `info` level, and requests
//! given up after retries at `warn`, with the operation, method, path and
//! attempt. Each request is logged at `debug` level through the [`log`] facade with
//! the operation, method, path, status, body size and duration. This crate
//! never logs the query string, headers or bodies.
//!
//! NOTE: ureq 3.5 logs through the same facade. At `debug` level (target
//! `ureq`) it logs each request's full URL, pagination cursors included. At
//! `trace` level (target `ureq_proto`) it dumps the raw bytes sent and
//! received, which include the `Authorization` header with the token,
//! request bodies with passwords, and response bodies with LTI consumer
//! secrets. Keep both targets at `info` or above in any logger that is
//! stored or shared.
//!
//! [Flat for Education]: https://flat.io/edu
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod error;
mod iter;
mod send;

pub use client::{Client, ClientBuilder, DEFAULT_MAX_BODY_SIZE};
pub use error::{Error, RequestLine};
pub use iter::{Items, Pages};

pub use flat_org_core;
pub use flat_org_core::ops;
pub use flat_org_core::{
    AccessToken, ApiError, ErrorBody, ErrorKind, Invitation, Listed, LmsName, LtiCredentials,
    OrganizationRole, Page, RateLimit, RetryPolicy, User,
};

/// Compiles the README's usage example as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
