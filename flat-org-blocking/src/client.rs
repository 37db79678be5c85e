//! The client, its builder, and the one path every request takes.

use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flat_org_core::http::{Request, Response};
use flat_org_core::ops::{
    CreateInvitation, CreateLtiCredentials, CreateUser, ListInvitations, ListLtiCredentials,
    ListUsers, RemoveInvitation, RemoveUser, RevokeLtiCredentials, UpdateUser,
};
use flat_org_core::{
    AccessToken, Api, DEFAULT_MAX_PAGES, Invitation, ListOperation, Listed, LtiCredentials,
    Operation, Page, Paginator, RateLimit, RetryPolicy, User,
};
use flat_org_core::{InvalidInput, url};
use ureq::config::AutoHeaderValue;

use crate::error::Error;
use crate::iter::{Items, Pages};

/// Default maximum response body: 16 MiB. A page of 1,000 users is about
/// 0.6 MB of JSON.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 16 * 1024 * 1024;

/// A blocking client for the Flat Organization API.
///
/// Each client has its own connection pool; clone it cheaply to share it
/// between threads. Every call goes through [`Client::execute`]: build the
/// request with the core, send it, read the whole body up to the size
/// limit, retry or wait for the rate limit as the [`RetryPolicy`] decides,
/// and decode. Error statuses are read as responses, so the API's error
/// body reaches the caller as [`flat_org_core::ApiError`]. Redirects are
/// not followed: the contract describes none, and following one would send
/// request headers to another host.
///
/// ```no_run
/// use flat_org_blocking::{AccessToken, Client, ops::ListUsers, OrganizationRole};
///
/// let client = Client::builder(AccessToken::new(std::env::var("FLAT_ACCESS_TOKEN")?)?)
///     .build()?;
/// for user in client.items(&ListUsers::new().role(OrganizationRole::Teacher).limit(1000))? {
///     let user = user?;
///     println!("{} {}", user.id, user.username);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) agent: ureq::Agent,
    pub(crate) api: Api,
    pub(crate) max_body_size: u64,
    pub(crate) max_pages: usize,
    pub(crate) retry: RetryPolicy,
    /// Rate-limit headers of the last response, shared by clones, which use
    /// the same token.
    pub(crate) rate_limit: Arc<Mutex<RateLimit>>,
}

/// Proxy choice of a [`ClientBuilder`].
#[derive(Clone, PartialEq, Eq)]
enum ProxyChoice {
    FromEnvironment,
    Disabled,
    Url(String),
}

/// Leaves out the proxy URL, whose userinfo may hold a password.
impl fmt::Debug for ProxyChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyChoice::FromEnvironment => f.write_str("FromEnvironment"),
            ProxyChoice::Disabled => f.write_str("Disabled"),
            ProxyChoice::Url(_) => f.write_str("Url(<redacted>)"),
        }
    }
}

/// Settings for a [`Client`]. Every timeout is finite by default.
///
/// ```
/// use std::time::Duration;
/// use flat_org_blocking::{AccessToken, Client};
///
/// let client = Client::builder(AccessToken::new("t0k3n")?)
///     .base_url("http://127.0.0.1:4010/v2")
///     .timeout_response(Duration::from_secs(10))
///     .user_agent("roster-sync/1.4")
///     .build()?;
/// assert_eq!(client.api().base().as_str(), "http://127.0.0.1:4010/v2");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    token: AccessToken,
    base_url: Option<String>,
    user_agent: Option<String>,
    timeout_connect: Duration,
    timeout_response: Duration,
    timeout_body: Duration,
    timeout_resolve: Option<Duration>,
    max_body_size: u64,
    max_pages: usize,
    proxy: ProxyChoice,
    retry: RetryPolicy,
}

impl ClientBuilder {
    /// Sets the base URL, `https://api.flat.io/v2` by default.
    pub fn base_url(mut self, base_url: impl Into<String>) -> ClientBuilder {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sets the `User-Agent`, `flat-org/<version>` by default.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> ClientBuilder {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Sets the time allowed to open a connection, TLS handshake included;
    /// 10 s by default.
    pub fn timeout_connect(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout_connect = timeout;
        self
    }

    /// Sets the time allowed for each of three phases: sending the request
    /// head, sending the body, and receiving the response head; 30 s by
    /// default. An attempt can so take up to three times this before its
    /// body starts.
    pub fn timeout_response(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout_response = timeout;
        self
    }

    /// Sets the time allowed to receive the whole response body, counted
    /// from the end of the head, however slowly the bytes arrive; 60 s by
    /// default.
    pub fn timeout_body(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout_body = timeout;
        self
    }

    /// Sets a time limit on host name resolution; none by default, which
    /// leaves it to the system resolver's own timeouts.
    ///
    /// With a limit set, ureq 3.5 resolves each request's host on a new
    /// thread, even when a pooled connection is reused.
    pub fn timeout_resolve(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout_resolve = Some(timeout);
        self
    }

    /// Sets the largest response body accepted, in bytes;
    /// [`DEFAULT_MAX_BODY_SIZE`] by default.
    pub fn max_body_size(mut self, bytes: u64) -> ClientBuilder {
        self.max_body_size = bytes;
        self
    }

    /// Sets the most pages [`Client::pages`] and [`Client::items`] fetch in
    /// one listing; [`flat_org_core::DEFAULT_MAX_PAGES`] by default.
    pub fn max_pages(mut self, max_pages: usize) -> ClientBuilder {
        self.max_pages = max_pages;
        self
    }

    /// Sets when requests are retried and how long the client waits for the
    /// rate limit; [`RetryPolicy::default`] by default, and
    /// [`RetryPolicy::never`] turns both off.
    ///
    /// Before each request the client also waits for the reset when the last
    /// response reported no requests left ([`RetryPolicy::pace`]).
    pub fn retry(mut self, policy: RetryPolicy) -> ClientBuilder {
        self.retry = policy;
        self
    }

    /// Sends requests through this HTTP or SOCKS proxy, such as
    /// `http://proxy.school.example:3128`.
    ///
    /// By default the proxy comes from `HTTPS_PROXY`, `HTTP_PROXY` or
    /// `ALL_PROXY`, except for a loopback base URL (`127.0.0.0/8`, `::1`,
    /// `localhost`), which is always reached directly.
    pub fn proxy(mut self, proxy_url: impl Into<String>) -> ClientBuilder {
        self.proxy = ProxyChoice::Url(proxy_url.into());
        self
    }

    /// Connects directly, ignoring proxy environment variables.
    pub fn no_proxy(mut self) -> ClientBuilder {
        self.proxy = ProxyChoice::Disabled;
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Core`] with [`flat_org_core::Error::InvalidInput`] for an
    /// invalid base URL, user agent or proxy URL.
    pub fn build(self) -> Result<Client, Error> {
        let mut api = Api::new(self.token);
        if let Some(base_url) = &self.base_url {
            api = api.base_url(base_url)?;
        }
        if let Some(user_agent) = &self.user_agent {
            api = api.user_agent(user_agent)?;
        }
        let proxy = match &self.proxy {
            ProxyChoice::Disabled => None,
            ProxyChoice::FromEnvironment if is_loopback(&api) => None,
            ProxyChoice::FromEnvironment => ureq::Proxy::try_from_env(),
            ProxyChoice::Url(url) => Some(ureq::Proxy::new(url).map_err(|e| {
                flat_org_core::Error::from(InvalidInput::new(
                    "proxy URL",
                    format!("{e}; use a URL such as http://proxy.example:3128"),
                ))
            })?),
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(proxy)
            .user_agent(AutoHeaderValue::None)
            .timeout_resolve(self.timeout_resolve)
            .timeout_connect(Some(self.timeout_connect))
            .timeout_send_request(Some(self.timeout_response))
            .timeout_send_body(Some(self.timeout_response))
            .timeout_recv_response(Some(self.timeout_response))
            .timeout_recv_body(Some(self.timeout_body))
            .build();
        Ok(Client {
            agent: config.into(),
            api,
            max_body_size: self.max_body_size,
            max_pages: self.max_pages,
            retry: self.retry,
            rate_limit: Arc::default(),
        })
    }
}

fn is_loopback(api: &Api) -> bool {
    match api.base().host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

impl Client {
    /// Starts a builder with this token and default settings.
    pub fn builder(token: AccessToken) -> ClientBuilder {
        ClientBuilder {
            token,
            base_url: None,
            user_agent: None,
            timeout_connect: Duration::from_secs(10),
            timeout_response: Duration::from_secs(30),
            timeout_body: Duration::from_secs(60),
            timeout_resolve: None,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_pages: DEFAULT_MAX_PAGES,
            proxy: ProxyChoice::FromEnvironment,
            retry: RetryPolicy::default(),
        }
    }

    /// Returns the endpoint settings: base URL, token and user agent.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// Sends any operation and decodes its response.
    ///
    /// # Errors
    ///
    /// [`Error::Core`] for invalid input (nothing is sent), an error status
    /// or an undecodable response; the transport variants otherwise.
    pub fn execute<O: Operation>(&self, operation: &O) -> Result<O::Output, Error> {
        let request = self.api.request(operation)?;
        let response = self.send_logged(O::OPERATION_ID, request)?;
        Ok(self.api.decode(operation, &response)?)
    }

    /// Sends a request built by [`Api::request`] and returns the raw
    /// response, whatever its status, with the whole body read up to the size
    /// limit. It waits for the rate limit and retries like every other call,
    /// so it can block until a rate-limit reset (15 minutes at most by
    /// default). It serves callers who need headers that the typed output
    /// leaves out; [`Api::decode`] still turns the response into that output.
    ///
    /// ```no_run
    /// use flat_org_blocking::{AccessToken, Client, ops::ListLtiCredentials};
    ///
    /// let client = Client::builder(AccessToken::new("t")?)
    ///     .base_url("http://127.0.0.1:4010")
    ///     .build()?;
    /// let list = ListLtiCredentials::new();
    /// let response = client.send(client.api().request(&list)?)?;
    /// println!("{:?}", response.headers().get("x-ratelimit-remaining"));
    /// let page = client.api().decode(&list, &response)?;
    /// # let _ = page;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The transport variants of [`Error`]; an error status is a response,
    /// not an error.
    pub fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Error> {
        self.send_logged("request", request)
    }

    /// Iterates over the pages of a listing, lazily: each page is requested
    /// when the iterator reaches it.
    ///
    /// # Errors
    ///
    /// [`Error::Core`] when the operation's parameters are invalid.
    pub fn pages<O: ListOperation>(&self, operation: &O) -> Result<Pages<O::Item>, Error> {
        let paginator = Paginator::new(&self.api, operation)?.max_pages(self.max_pages);
        Ok(Pages::new(self.clone(), paginator))
    }

    /// Iterates over the items of every page of a listing, holding one page
    /// at a time.
    ///
    /// # Errors
    ///
    /// As [`Client::pages`].
    pub fn items<O: ListOperation>(&self, operation: &O) -> Result<Items<O::Item>, Error> {
        Ok(Items::new(self.pages(operation)?))
    }

    /// Resumes a listing at a page link taken from [`Pages::pending_link`].
    ///
    /// # Errors
    ///
    /// [`Error::Core`] when the link is not an absolute URL on the
    /// configured origin.
    pub fn resume_pages<T: Listed>(&self, link: &str) -> Result<Pages<T>, Error> {
        let paginator = Paginator::resume(&self.api, link)?.max_pages(self.max_pages);
        Ok(Pages::new(self.clone(), paginator))
    }

    /// `listOrganizationUsers`: fetches one page of users.
    ///
    /// # Errors
    ///
    /// As [`Client::execute`].
    pub fn list_users(&self, operation: &ListUsers) -> Result<Page<User>, Error> {
        self.execute(operation)
    }

    /// `createOrganizationUser`: creates a user account.
    ///
    /// # Errors
    ///
    /// As [`Client::execute`].
    pub fn create_user(&self, operation: &CreateUser) -> Result<User, Error> {
        self.execute(operation)
    }

    /// `updateOrganizationUser`: changes a user's fields.
    ///
    /// # Errors
    ///
    /// As [`Client::execute`].
    pub fn update_user(&self, operation: &UpdateUser) -> Result<User, Error> {
        self.execute(operation)
    }

    /// `removeOrganizationUser`: removes a user account, or converts it to
    /// an individual account.
    ///
    /// # Errors
    ///
    /// As [`Client::execute`].
    pub fn remove_user(&self, operation: &RemoveUser) -> Result<(), Error> {
        self.execute(operation)
    }

    /// `listOrganizationInvitations`: fetches one page of invitations.
    ///
    /// # Errors
    ///
    /// As [`Client::execute`].
    pub fn list_invitations(&self, operation: &ListInvitations) -> Result<Page<Invitation>, Error> {
        self.execute(operation)
    }

    /// `createOrganizationInvitation`: invites a teacher or admin.
    ///
    /// # Errors
    ///
    /// As [`Client::execute`].
    pub fn create_invitation(&self, operation: &CreateInvitation) -> Result<Invitation, Error> {
        self.execute(operation)
    }

    /// `removeOrganizationInvitation`: removes an invitation.
    ///
    /// # Errors
    ///
    /// As [`Client::execute`].
    pub fn remove_invitation(&self, operation: &RemoveInvitation) -> Result<(), Error> {
        self.execute(operation)
    }

    /// `listLtiCredentials`: fetches the LTI 1.x credentials.
    ///
    /// # Errors
    ///
    /// As [`Client::execute`].
    pub fn list_lti_credentials(
        &self,
        operation: &ListLtiCredentials,
    ) -> Result<Page<LtiCredentials>, Error> {
        self.execute(operation)
    }

    /// `createLtiCredentials`: creates LTI 1.x credentials for an LMS.
    ///
    /// # Errors
    ///
    /// As [`Client::execute`].
    pub fn create_lti_credentials(
        &self,
        operation: &CreateLtiCredentials,
    ) -> Result<LtiCredentials, Error> {
        self.execute(operation)
    }

    /// `revokeLtiCredentials`: revokes LTI 1.x credentials.
    ///
    /// # Errors
    ///
    /// As [`Client::execute`].
    pub fn revoke_lti_credentials(&self, operation: &RevokeLtiCredentials) -> Result<(), Error> {
        self.execute(operation)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.api.base().as_str())
            .field("max_body_size", &self.max_body_size)
            .field("max_pages", &self.max_pages)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}
