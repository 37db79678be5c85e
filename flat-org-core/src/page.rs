//! Pages of a listing, the requests for the pages after them, and a
//! paginator that follows `next` links with bounds.

use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use http::header::LINK;
use http::{Method, Response, StatusCode};
use url::Url;

use crate::api::Api;
use crate::error::{DecodeError, Error, InvalidInput};
use crate::link::{Link, parse_into};
use crate::models::Listed;
use crate::ops::{ListOperation, Operation, decode_json};
use crate::rate_limit::RateLimit;

/// One page of a listing: the items, the links to the pages around it, and
/// the rate-limit state.
///
/// ```
/// use flat_org_core::{AccessToken, Api, ops::ListUsers};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let list = ListUsers::new().limit(2);
/// let response = http::Response::builder()
///     .status(200)
///     .header("link", r#"</v2/organizations/users?limit=2&next=c%2B1>; rel="next""#)
///     .body(&b"[]"[..])?;
/// let page = api.decode(&list, &response)?;
/// assert!(page.items().is_empty());
///
/// let next = page.next_page(&api)?.expect("the page has a next link");
/// assert_eq!(
///     api.request(&next)?.uri(),
///     "https://api.flat.io/v2/organizations/users?limit=2&next=c%2B1"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    items: Vec<T>,
    next: Option<Url>,
    previous: Option<Url>,
    rate_limit: RateLimit,
}

impl<T> Page<T> {
    /// Returns the items of this page.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// Takes the items.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// Returns the `next` link, resolved against the request URL but not yet checked
    /// against the configured origin; `None` on the last page.
    pub fn next_link(&self) -> Option<&Url> {
        self.next.as_ref()
    }

    /// Returns the `previous` link; `None` on the first page.
    pub fn previous_link(&self) -> Option<&Url> {
        self.previous.as_ref()
    }

    /// Returns the rate-limit headers of the response.
    pub fn rate_limit(&self) -> &RateLimit {
        &self.rate_limit
    }

    /// Builds the request for the next page, or `None` on the last page.
    ///
    /// # Errors
    ///
    /// [`Error::OriginRejected`] when the link points to another scheme,
    /// host or port than the base URL of `api`, or carries userinfo.
    pub fn next_page(&self, api: &Api) -> Result<Option<PageRequest<T>>, Error> {
        self.next
            .as_ref()
            .map(|url| PageRequest::checked(api.base(), url.clone()))
            .transpose()
    }

    /// Builds the request for the previous page, or `None` on the first page.
    ///
    /// # Errors
    ///
    /// As [`Page::next_page`].
    pub fn previous_page(&self, api: &Api) -> Result<Option<PageRequest<T>>, Error> {
        self.previous
            .as_ref()
            .map(|url| PageRequest::checked(api.base(), url.clone()))
            .transpose()
    }
}

/// Decodes a listing response: a JSON array body and its `Link` headers.
/// `request_url` is called only when there are links to resolve.
pub(crate) fn decode_page<T: Listed, B: AsRef<[u8]>>(
    response: &Response<B>,
    request_url: impl FnOnce() -> Result<Url, Error>,
) -> Result<Page<T>, Error> {
    let items = decode_json(response, T::PAGE_DESCRIPTION, T::SECRET_BODY)?;
    let status = response.status();

    let mut links = Vec::new();
    for value in response.headers().get_all(LINK) {
        parse_into(value.as_bytes(), &mut links)
            .map_err(|e| DecodeError::header(status, "a valid Link header", e.to_string()))?;
    }
    let (mut next, mut previous) = (None, None);
    if !links.is_empty() {
        let request_url = request_url()?;
        next = resolve(status, &request_url, &links, "next")?;
        previous = resolve(status, &request_url, &links, "previous")?;
    }
    Ok(Page {
        items,
        next,
        previous,
        rate_limit: RateLimit::from_headers(response.headers()),
    })
}

/// Resolves the first link with relation `rel` against the request URL
/// (RFC 8288 section 3.1). An empty target would resolve to the page just
/// fetched, so it counts as no link.
fn resolve(
    status: StatusCode,
    request_url: &Url,
    links: &[Link],
    rel: &str,
) -> Result<Option<Url>, Error> {
    let Some(link) = links.iter().find(|link| link.has_rel(rel)) else {
        return Ok(None);
    };
    if link.target().is_empty() {
        return Ok(None);
    }
    let mut url = request_url.join(link.target()).map_err(|e| {
        DecodeError::header(
            status,
            "a valid Link header",
            format!("the {rel} link is not a valid URL reference: {e}"),
        )
    })?;
    url.set_fragment(None);
    Ok(Some(url))
}

/// The request for a page reached by following a link.
///
/// It can only be built for a link on the configured origin (scheme, host
/// and port) without userinfo, so the token is never sent elsewhere.
pub struct PageRequest<T> {
    url: Url,
    item: PhantomData<fn() -> T>,
}

impl<T> PageRequest<T> {
    /// Builds the request for an absolute page link, such as one kept from
    /// [`Paginator::pending`] to resume an interrupted listing.
    ///
    /// ```
    /// use flat_org_core::{AccessToken, Api, PageRequest, User};
    ///
    /// let api = Api::new(AccessToken::new("t")?);
    /// let link = "https://api.flat.io/v2/organizations/users?next=abc";
    /// assert!(PageRequest::<User>::from_link(&api, link).is_ok());
    ///
    /// let elsewhere = "https://api.flat.io.evil.example/v2/organizations/users";
    /// assert!(PageRequest::<User>::from_link(&api, elsewhere).is_err());
    /// # Ok::<(), flat_org_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the link is not an absolute URL, and
    /// [`Error::OriginRejected`] as for [`Page::next_page`].
    pub fn from_link(api: &Api, link: &str) -> Result<PageRequest<T>, Error> {
        let url = Url::parse(link).map_err(|e| {
            InvalidInput::new(
                "link",
                format!("is not an absolute URL ({e}); pass a page link as the API returned it"),
            )
        })?;
        PageRequest::checked(api.base(), url)
    }

    pub(crate) fn checked(base: &Url, url: Url) -> Result<PageRequest<T>, Error> {
        let expected_origin = base.origin().ascii_serialization();
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::OriginRejected {
                link_origin: "a URL with userinfo".to_owned(),
                expected_origin,
            });
        }
        // Compared part by part rather than with `Url::origin`, which gives
        // `blob:http://host/...` the origin of the URL inside it.
        let same_origin = url.scheme() == base.scheme()
            && url.host() == base.host()
            && url.port_or_known_default() == base.port_or_known_default();
        if !same_origin {
            return Err(Error::OriginRejected {
                link_origin: url.origin().ascii_serialization(),
                expected_origin,
            });
        }
        Ok(PageRequest::unchecked(url))
    }

    fn unchecked(url: Url) -> PageRequest<T> {
        PageRequest {
            url,
            item: PhantomData,
        }
    }

    /// Returns the absolute URL of the page.
    pub fn link(&self) -> &Url {
        &self.url
    }
}

impl<T> Clone for PageRequest<T> {
    fn clone(&self) -> Self {
        PageRequest::unchecked(self.url.clone())
    }
}

impl<T> fmt::Debug for PageRequest<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageRequest")
            .field("url", &self.url.as_str())
            .finish()
    }
}

impl<T> crate::ops::sealed::Sealed for PageRequest<T> {}

impl<T: Listed> Operation for PageRequest<T> {
    type Output = Page<T>;
    const OPERATION_ID: &'static str = T::LIST_OPERATION_ID;

    fn method(&self) -> Method {
        Method::GET
    }

    fn url(&self, _: &Url) -> Result<Url, Error> {
        Ok(self.url.clone())
    }

    fn decode<B: AsRef<[u8]>>(&self, _: &Url, response: &Response<B>) -> Result<Page<T>, Error> {
        decode_page(response, || Ok(self.url.clone()))
    }
}

impl<T: Listed> ListOperation for PageRequest<T> {
    type Item = T;
}

/// Follows the `next` links of a listing, one page at a time, without IO.
///
/// Call [`next_request`](Paginator::next_request), send the request, and
/// hand the response to [`handle`](Paginator::handle), until `next_request`
/// returns `Ok(None)`. The paginator stops with an error when a `next` link
/// repeats one already followed, when a link leaves the configured origin,
/// or after [`max_pages`](Paginator::max_pages) pages. A failed response
/// leaves the pending request in place, so it can be sent again, or kept
/// with [`pending`](Paginator::pending) to resume later.
///
/// ```
/// use flat_org_core::{AccessToken, Api, Paginator, ops::ListUsers};
///
/// let api = Api::new(AccessToken::new("t")?);
/// let mut paginator = Paginator::new(&api, &ListUsers::new().limit(1000))?;
/// let mut users = 0;
/// while let Some(page_request) = paginator.next_request()? {
///     let request = api.request(page_request)?;
///     // Send `request` with any HTTP client; here, a response with the last page.
///     # let _ = request;
///     let response = http::Response::builder().status(200).body(
///         br#"[{"id":"1","type":"user","product":"flatEdu","username":"a","picture":null}]"#,
///     )?;
///     users += paginator.handle(&api, &response)?.items().len();
/// }
/// assert_eq!(users, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Paginator<T> {
    state: State<T>,
    followed: HashSet<String>,
    pages: usize,
    max_pages: usize,
}

#[derive(Debug)]
enum State<T> {
    Ready(PageRequest<T>),
    Failed(Error),
    Done,
}

impl<T> Paginator<T> {
    /// Sets the maximum number of pages to fetch, [`DEFAULT_MAX_PAGES`] by
    /// default. The paginator fails with [`Error::TooManyPages`] rather than
    /// fetch more.
    pub fn max_pages(mut self, max_pages: usize) -> Paginator<T> {
        self.max_pages = max_pages;
        self
    }

    /// Pages handled so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Returns the request to send next, if the listing is neither over nor failed.
    pub fn pending(&self) -> Option<&PageRequest<T>> {
        match &self.state {
            State::Ready(request) => Some(request),
            State::Failed(_) | State::Done => None,
        }
    }
}

/// Default page limit of a [`Paginator`]: 10,000 pages are 10 million items
/// at `limit=1000`, and two hours of a 5,000-an-hour rate limit.
pub const DEFAULT_MAX_PAGES: usize = 10_000;

impl<T: Listed> Paginator<T> {
    /// Starts a listing at the first page of `operation`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the operation's parameters are invalid.
    pub fn new<O: ListOperation<Item = T>>(
        api: &Api,
        operation: &O,
    ) -> Result<Paginator<T>, Error> {
        let url = operation.url(api.base())?;
        Ok(Paginator::start(PageRequest::checked(api.base(), url)?))
    }

    /// Resumes a listing at a page link kept from [`Paginator::pending`].
    ///
    /// # Errors
    ///
    /// As [`PageRequest::from_link`].
    pub fn resume(api: &Api, link: &str) -> Result<Paginator<T>, Error> {
        Ok(Paginator::start(PageRequest::from_link(api, link)?))
    }

    fn start(first: PageRequest<T>) -> Paginator<T> {
        let mut followed = HashSet::new();
        followed.insert(first.url.as_str().to_owned());
        Paginator {
            state: State::Ready(first),
            followed,
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// Returns the request to send next, `None` after the last page.
    ///
    /// # Errors
    ///
    /// [`Error::RepeatedLink`] or [`Error::OriginRejected`] for the next
    /// link of the last page handled; it is returned once, and after it the
    /// listing is over. [`Error::TooManyPages`] when the page limit is
    /// reached; the request stays pending, so [`Paginator::pending`] gives
    /// the link to resume from.
    pub fn next_request(&mut self) -> Result<Option<&PageRequest<T>>, Error> {
        if matches!(self.state, State::Failed(_))
            && let State::Failed(error) = std::mem::replace(&mut self.state, State::Done)
        {
            return Err(error);
        }
        if matches!(self.state, State::Ready(_)) && self.pages >= self.max_pages {
            return Err(Error::TooManyPages {
                max_pages: self.max_pages,
            });
        }
        Ok(self.pending())
    }

    /// Decodes the response to the pending request and moves to the page
    /// after it.
    ///
    /// # Errors
    ///
    /// As [`Api::decode`]; the pending request stays in place. Also
    /// [`Error::InvalidInput`] when no request is pending.
    pub fn handle<B: AsRef<[u8]>>(
        &mut self,
        api: &Api,
        response: &Response<B>,
    ) -> Result<Page<T>, Error> {
        let State::Ready(request) = &self.state else {
            return Err(InvalidInput::new(
                "paginator",
                "no request is pending; call next_request first and stop when it returns None",
            )
            .into());
        };
        let page = api.decode(request, response)?;
        self.pages += 1;
        self.state = match page.next_page(api) {
            Ok(None) => State::Done,
            Ok(Some(next)) if !self.followed.insert(next.url.as_str().to_owned()) => {
                State::Failed(Error::RepeatedLink {
                    path: next.url.path().to_owned(),
                    pages: self.pages,
                })
            }
            Ok(Some(next)) => State::Ready(next),
            Err(error) => State::Failed(error),
        };
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AccessToken;
    use crate::models::User;
    use crate::ops::{ListInvitations, ListUsers};

    const USERS: &str = "https://api.flat.io/v2/organizations/users";

    fn api() -> Api {
        Api::new(AccessToken::new("T").unwrap())
    }

    fn response(links: &[&str], body: &'static [u8]) -> Response<&'static [u8]> {
        let mut builder = Response::builder().status(200);
        for link in links {
            builder = builder.header("link", *link);
        }
        builder.body(body).unwrap()
    }

    fn page(links: &[&str]) -> Page<User> {
        api()
            .decode(&ListUsers::new().limit(2), &response(links, b"[]"))
            .unwrap()
    }

    #[test]
    fn next_and_previous_from_one_line() {
        let page = page(&[&format!(
            "<{USERS}?limit=2&group=g1,g2&next=c1>; rel=\"next\", <{USERS}?previous=p1>; \
             rel=\"previous\""
        )]);
        assert_eq!(
            page.next_link().unwrap().as_str(),
            format!("{USERS}?limit=2&group=g1,g2&next=c1")
        );
        assert_eq!(
            page.previous_link().unwrap().as_str(),
            format!("{USERS}?previous=p1")
        );
    }

    #[test]
    fn next_and_previous_from_two_lines() {
        let page = page(&[
            &format!("<{USERS}?previous=p1>; rel=\"previous\""),
            &format!("<{USERS}?next=n1>; rel=\"next\""),
        ]);
        assert_eq!(
            page.next_link().unwrap().as_str(),
            format!("{USERS}?next=n1")
        );
        assert_eq!(
            page.previous_link().unwrap().as_str(),
            format!("{USERS}?previous=p1")
        );
    }

    #[test]
    fn relative_links_resolve_against_request() {
        for target in [
            "/v2/organizations/users?limit=2&next=n1",
            "?limit=2&next=n1",
        ] {
            let page = page(&[&format!("<{target}>; rel=\"next\"")]);
            assert_eq!(
                page.next_link().unwrap().as_str(),
                format!("{USERS}?limit=2&next=n1"),
                "{target}"
            );
        }
    }

    #[test]
    fn empty_values_give_last_page() {
        for value in [
            "",
            "   ",
            ",",
            "<>; rel=\"next\"",
            "<https://x.example/a>; rel=other",
        ] {
            let page = page(&[value]);
            assert!(page.next_link().is_none(), "{value:?}");
        }
    }

    #[test]
    fn malformed_link_is_decode_error() {
        let response = response(&["<https://api.flat.io/v2/x; rel=\"next\""], b"[]");
        let err = api().decode(&ListUsers::new(), &response).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Decode);
        assert!(err.to_string().contains("Link header"), "{err}");
    }

    #[test]
    fn foreign_origins_rejected() {
        for link in [
            "https://evil.example/v2/organizations/users?next=n1",
            "https://api.flat.io@evil.example/v2/organizations/users?next=n1",
            "http://api.flat.io/v2/organizations/users?next=n1",
            "https://api.flat.io:8443/v2/organizations/users?next=n1",
            "https://user:pw@api.flat.io/v2/organizations/users?next=n1",
            "//evil.example/v2/organizations/users",
        ] {
            let page = page(&[&format!("<{link}>; rel=next")]);
            let err = page.next_page(&api()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::OriginRejected, "{link}");
            assert!(!err.to_string().contains("n1"), "{err}");
        }
    }

    #[test]
    fn wrapped_origins_rejected() {
        // `Url::origin` of a blob URL is the origin of the URL inside it.
        for link in [
            "blob:https://api.flat.io/v2/organizations/users?next=n1",
            "blob:https://api.flat.io:443/x",
        ] {
            let err = PageRequest::<User>::from_link(&api(), link).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::OriginRejected, "{link}");
            let page = page(&[&format!("<{link}>; rel=next")]);
            let err = page.next_page(&api()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::OriginRejected, "{link}");
        }
    }

    #[test]
    fn default_port_is_same_origin() {
        let page = page(&["<https://API.flat.io:443/v2/organizations/users?next=n1>; rel=next"]);
        assert!(page.next_page(&api()).unwrap().is_some());
    }

    #[test]
    fn cursor_not_encoded_twice() {
        let page = page(&[&format!("<{USERS}?next=a%2Bb%2Fc%3D%3D>; rel=next")]);
        let next = page.next_page(&api()).unwrap().unwrap();
        let request = api().request(&next).unwrap();
        assert_eq!(request.uri(), &*format!("{USERS}?next=a%2Bb%2Fc%3D%3D"));

        let direct = api().request(&ListUsers::new().next("a+b/c==")).unwrap();
        assert_eq!(direct.uri(), &*format!("{USERS}?next=a%2Bb%2Fc%3D%3D"));
    }

    #[test]
    fn error_status_is_api_error() {
        let response = Response::builder()
            .status(401)
            .header("x-ratelimit-remaining", "42")
            .body(&br#"{"code":"UNAUTHORIZED","message":"bad token"}"#[..])
            .unwrap();
        let err = api()
            .decode(&ListInvitations::new(), &response)
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Unauthorized);
        assert_eq!(err.api_error().unwrap().rate_limit().remaining, Some(42));
    }

    #[test]
    fn invalid_json_keeps_excerpt() {
        let response = response(&[], b"[{\"id\": 1,");
        let err = api().decode(&ListUsers::new(), &response).unwrap_err();
        let Error::Decode(decode) = err else {
            panic!("expected decode error, got {err:?}");
        };
        assert_eq!(decode.body_excerpt(), "[{\"id\": 1,");
        assert_eq!(decode.expected(), "a JSON array of users");
    }

    fn link_response(next: Option<&str>) -> Response<&'static [u8]> {
        let links: Vec<String> = next
            .map(|n| format!("<{USERS}?next={n}>; rel=next"))
            .into_iter()
            .collect();
        let refs: Vec<&str> = links.iter().map(String::as_str).collect();
        response(&refs, b"[]")
    }

    #[test]
    fn paginator_follows_to_last_page() {
        let api = api();
        let mut paginator = Paginator::new(&api, &ListUsers::new()).unwrap();
        for next in [Some("a"), Some("b"), None] {
            assert!(paginator.next_request().unwrap().is_some());
            paginator.handle(&api, &link_response(next)).unwrap();
        }
        assert!(paginator.next_request().unwrap().is_none());
        assert_eq!(paginator.pages(), 3);
    }

    #[test]
    fn paginator_stops_on_repeated_link() {
        let api = api();
        let mut paginator = Paginator::new(&api, &ListUsers::new()).unwrap();
        paginator.next_request().unwrap();
        paginator.handle(&api, &link_response(Some("a"))).unwrap();
        paginator.next_request().unwrap();
        paginator.handle(&api, &link_response(Some("a"))).unwrap();
        let err = paginator.next_request().unwrap_err();
        assert!(
            matches!(err, Error::RepeatedLink { pages: 2, .. }),
            "{err:?}"
        );
        assert!(paginator.next_request().unwrap().is_none());
    }

    #[test]
    fn paginator_stops_at_max_pages() {
        let api = api();
        let mut paginator = Paginator::new(&api, &ListUsers::new())
            .unwrap()
            .max_pages(2);
        for next in ["a", "b"] {
            paginator.next_request().unwrap();
            paginator.handle(&api, &link_response(Some(next))).unwrap();
        }
        let err = paginator.next_request().unwrap_err();
        assert!(matches!(err, Error::TooManyPages { max_pages: 2 }));
    }

    #[test]
    fn paginator_zero_pages_sends_nothing() {
        let api = api();
        let mut paginator = Paginator::new(&api, &ListUsers::new())
            .unwrap()
            .max_pages(0);
        let err = paginator.next_request().unwrap_err();
        assert!(matches!(err, Error::TooManyPages { max_pages: 0 }));
        assert_eq!(
            paginator.pending().unwrap().link().as_str(),
            format!("{USERS}")
        );
    }

    #[test]
    fn secret_bodies_not_quoted_in_errors() {
        use crate::ops::ListLtiCredentials;
        let body: &'static [u8] =
            br#"[{"id":"c1","lms":{"new":"shape"},"consumerSecret":"LTI-SECRET-VALUE"}]"#;
        let err = api()
            .decode(&ListLtiCredentials::new(), &response(&[], body))
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Decode);
        assert!(!format!("{err:?}").contains("LTI-SECRET"), "{err:?}");
        assert!(!err.to_string().contains("LTI-SECRET"), "{err}");

        let wrong_type: &'static [u8] = br#"[{"consumerSecret":["LTI-SECRET-VALUE"]}]"#;
        let err = api()
            .decode(&ListLtiCredentials::new(), &response(&[], wrong_type))
            .unwrap_err();
        assert!(!format!("{err:?}").contains("LTI-SECRET"), "{err:?}");
        assert!(err.to_string().contains("line 1 column"), "{err}");
    }

    #[test]
    fn first_page_errors_name_the_listing() {
        let api = api();
        let mut paginator = Paginator::new(&api, &ListUsers::new()).unwrap();
        let request = paginator.next_request().unwrap().unwrap().clone();
        assert_eq!(
            <PageRequest<User> as Operation>::OPERATION_ID,
            "listOrganizationUsers"
        );
        let err = api.decode(&request, &response(&[], b"{}")).unwrap_err();
        let Error::Decode(decode) = err else {
            panic!("expected a decode error, got {err:?}");
        };
        assert_eq!(decode.expected(), "a JSON array of users");
    }

    #[test]
    fn paginator_keeps_pending_after_error() {
        let api = api();
        let mut paginator = Paginator::new(&api, &ListUsers::new()).unwrap();
        paginator.next_request().unwrap();
        paginator.handle(&api, &link_response(Some("a"))).unwrap();
        let failed = Response::builder().status(503).body(&b""[..]).unwrap();
        paginator.next_request().unwrap();
        assert!(paginator.handle(&api, &failed).is_err());
        let pending = paginator.pending().unwrap().link().as_str().to_owned();
        assert_eq!(pending, format!("{USERS}?next=a"));

        let mut resumed = Paginator::<User>::resume(&api, &pending).unwrap();
        assert_eq!(
            resumed.next_request().unwrap().unwrap().link().as_str(),
            pending
        );
    }

    #[test]
    fn paginator_delivers_page_before_origin_error() {
        let api = api();
        let mut paginator = Paginator::new(&api, &ListUsers::new()).unwrap();
        paginator.next_request().unwrap();
        let evil = response(
            &["<https://evil.example/v2/organizations/users?next=x>; rel=next"],
            b"[]",
        );
        assert!(paginator.handle(&api, &evil).is_ok());
        let err = paginator.next_request().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::OriginRejected);
        assert!(paginator.pending().is_none());
    }
}
