//! The configured API endpoint: base URL, token and user agent.

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{Method, Request, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::error::{Error, InvalidInput};
use crate::ops::Operation;
use crate::token::AccessToken;

/// Base URL of the production API.
pub const DEFAULT_BASE_URL: &str = "https://api.flat.io/v2";

/// `User-Agent` sent unless another is set: the crate's name and version.
pub const DEFAULT_USER_AGENT: &str = concat!("flat-org/", env!("CARGO_PKG_VERSION"));

/// The endpoint configuration: the base URL, the access token and the user
/// agent.
///
/// [`Api::request`] turns an operation into an [`http::Request`] to send with
/// any HTTP client, and [`Api::decode`] turns the [`http::Response`] into the
/// operation's typed output. The two steps never touch the network.
///
/// ```
/// use flat_org_core::{AccessToken, Api, ops::RemoveUser};
///
/// let api = Api::new(AccessToken::new("t0k3n")?).base_url("http://127.0.0.1:4010")?;
/// let request = api.request(&RemoveUser::new("a/b").convert_to_individual(true))?;
/// assert_eq!(request.method(), "DELETE");
/// assert_eq!(
///     request.uri(),
///     "http://127.0.0.1:4010/organizations/users/a%2Fb?convertToIndividual=true"
/// );
/// assert_eq!(request.headers()["authorization"], "Bearer t0k3n");
///
/// let response = http::Response::builder().status(204).body(Vec::new())?;
/// api.decode(&RemoveUser::new("a/b"), &response)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Api {
    base: Url,
    authorization: HeaderValue,
    user_agent: HeaderValue,
}

impl Api {
    /// Creates an endpoint for the production API, [`DEFAULT_BASE_URL`].
    pub fn new(token: AccessToken) -> Api {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", token.secret()))
            .expect("AccessToken::new admits only visible ASCII, which is a valid header value");
        authorization.set_sensitive(true);
        Api {
            base: Url::parse(DEFAULT_BASE_URL).expect("the default base URL parses"),
            authorization,
            user_agent: HeaderValue::from_static(DEFAULT_USER_AGENT),
        }
    }

    /// Sets the base URL that operation paths are appended to. Any path
    /// works: `https://api.flat.io/v2`, `http://127.0.0.1:4010`,
    /// `https://proxy.example/flat/v2/`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the URL does not parse, is not `http` or
    /// `https`, or has a user name, password, query or fragment.
    pub fn base_url(mut self, base_url: &str) -> Result<Api, Error> {
        let invalid = |reason: &str| InvalidInput::new("base URL", reason.to_owned());
        // The messages do not repeat the input, which may contain a secret.
        let url = Url::parse(base_url).map_err(|e| {
            invalid(&format!(
                "is not an absolute URL ({e}); use a URL such as {DEFAULT_BASE_URL}"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(&format!(
                "scheme {:?} is not http or https; use a URL such as {DEFAULT_BASE_URL}",
                url.scheme()
            ))
            .into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "contains a user name or password; remove it and pass the token as AccessToken",
            )
            .into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(
                invalid("has a query or fragment; remove everything from `?` or `#` on").into(),
            );
        }
        self.base = url;
        Ok(self)
    }

    /// Sets the `User-Agent` header, [`DEFAULT_USER_AGENT`] by default.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the value is empty or contains a control
    /// byte such as CR or LF.
    pub fn user_agent(mut self, user_agent: &str) -> Result<Api, Error> {
        if user_agent.is_empty() || user_agent.chars().any(char::is_control) {
            return Err(InvalidInput::new(
                "user agent",
                format!("{user_agent:?} is empty or contains a control character; remove it"),
            )
            .into());
        }
        self.user_agent = HeaderValue::from_str(user_agent).map_err(|_| {
            InvalidInput::new(
                "user agent",
                format!("{user_agent:?} is not a header value"),
            )
        })?;
        Ok(self)
    }

    /// Returns the base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Builds the HTTP request for an operation, after checking its input.
    ///
    /// The request has the method, the absolute URL, `Authorization`,
    /// `Accept`, `User-Agent` and, with a body, `Content-Type` and the JSON
    /// body.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the field when a value is outside what
    /// the API accepts.
    pub fn request<O: Operation>(&self, operation: &O) -> Result<Request<Vec<u8>>, Error> {
        let url = operation.url(&self.base)?;
        let body = operation.body()?;
        self.http_request(operation.method(), &url, body)
    }

    /// Decodes the response to a request built by [`Api::request`] for the
    /// same operation.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for a status outside 2xx, with the parsed error body and
    /// rate-limit headers; [`Error::Decode`] when a 2xx body or a `Link`
    /// header is not what the contract describes.
    pub fn decode<O: Operation, B: AsRef<[u8]>>(
        &self,
        operation: &O,
        response: &Response<B>,
    ) -> Result<O::Output, Error> {
        let result = operation.decode(&self.base, response);
        // POST is the only non-idempotent method the API uses; after a 5xx
        // the server may have applied it before failing.
        match result {
            Err(Error::Api(api))
                if operation.method() == Method::POST && response.status().is_server_error() =>
            {
                Err(Error::Api(Box::new(api.with_write_outcome_unknown())))
            }
            other => other,
        }
    }

    pub(crate) fn http_request(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
    ) -> Result<Request<Vec<u8>>, Error> {
        let mut builder = Request::builder()
            .method(method)
            .uri(url.as_str())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, self.user_agent.clone());
        if body.is_some() {
            builder = builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        builder.body(body.unwrap_or_default()).map_err(|e| {
            InvalidInput::new(
                "request URL",
                format!("is not a valid HTTP request target ({e}); check the base URL"),
            )
            .into()
        })
    }
}

/// Bytes left as they are in a path segment: RFC 3986 `unreserved`. All
/// else, `/`, `?`, `#`, `%` and space included, is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Maximum length of an identifier in a path, in bytes. Flat's identifiers are
/// 24 hexadecimal characters; the limit only keeps a corrupted value from
/// producing a request line that servers reject for its length.
const MAX_ID_BYTES: usize = 1024;

/// Builds `base` + `/` + `segments`, each segment percent-encoded as exactly
/// one path segment.
///
/// Empty, `.` and `..` segments are rejected: URL parsers drop or resolve
/// them (WHATWG URL, RFC 3986 section 5.2.4), which would change the path.
pub(crate) fn join_path(base: &Url, segments: &[(&'static str, &str)]) -> Result<Url, Error> {
    let mut path = base.path().trim_end_matches('/').to_owned();
    for (field, segment) in segments {
        if segment.len() > MAX_ID_BYTES {
            return Err(InvalidInput::new(
                *field,
                format!(
                    "is {} bytes long; identifiers the API returns are far shorter than the \
                     limit of {MAX_ID_BYTES}",
                    segment.len()
                ),
            )
            .into());
        }
        if segment.is_empty() || *segment == "." || *segment == ".." {
            return Err(InvalidInput::new(
                *field,
                format!("{segment:?} is not an identifier; pass the id the API returned"),
            )
            .into());
        }
        path.push('/');
        path.extend(utf8_percent_encode(segment, SEGMENT));
    }
    let mut url = base.clone();
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(base: &str) -> Api {
        Api::new(AccessToken::new("T").unwrap())
            .base_url(base)
            .unwrap()
    }

    #[test]
    fn base_url_checks() {
        let token = AccessToken::new("T").unwrap();
        for bad in [
            "api.flat.io/v2",
            "ftp://api.flat.io/v2",
            "https://user:pw@api.flat.io/v2",
            "https://api.flat.io/v2?x=1",
            "https://api.flat.io/v2#top",
            "",
        ] {
            let err = Api::new(token.clone()).base_url(bad).unwrap_err();
            assert!(
                err.to_string().starts_with("invalid base URL"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn base_url_errors_do_not_echo_input() {
        let token = AccessToken::new("T").unwrap();
        for bad in [
            "https://api.flat.io/v2?access_token=SECRET1",
            "https://api.flat.io/v2#SECRET1",
            "https://me:SECRET1@api.flat.io/v2",
            "not a url SECRET1",
        ] {
            let err = Api::new(token.clone()).base_url(bad).unwrap_err();
            assert!(!err.to_string().contains("SECRET1"), "{err}");
        }
    }

    #[test]
    fn segments_stay_single() {
        let cases = [
            ("a/b", "a%2Fb"),
            ("a..b", "a..b"),
            ("?x#y", "%3Fx%23y"),
            ("100%", "100%25"),
            ("a b", "a%20b"),
            ("%2e%2e", "%252e%252e"),
            ("a\\b", "a%5Cb"),
            ("é", "%C3%A9"),
            ("a+b=c", "a%2Bb%3Dc"),
        ];
        let base = Url::parse("https://api.flat.io/v2").unwrap();
        for (id, encoded) in cases {
            let url = join_path(&base, &[("organizations", "organizations"), ("user", id)]);
            assert_eq!(
                url.unwrap().as_str(),
                format!("https://api.flat.io/v2/organizations/{encoded}"),
                "{id}"
            );
        }
    }

    #[test]
    fn dot_segments_rejected() {
        let base = Url::parse("https://api.flat.io/v2").unwrap();
        for id in ["", ".", ".."] {
            let err = join_path(&base, &[("user", id)]).unwrap_err();
            assert!(err.to_string().starts_with("invalid user:"), "{err}");
        }
    }

    #[test]
    fn base_path_kept_with_or_without_slash() {
        for base in ["https://x.example/a/v2", "https://x.example/a/v2/"] {
            let url = join_path(api(base).base(), &[("p", "organizations")]).unwrap();
            assert_eq!(url.as_str(), "https://x.example/a/v2/organizations");
        }
        let root = join_path(api("http://127.0.0.1:4010").base(), &[("p", "x")]).unwrap();
        assert_eq!(root.as_str(), "http://127.0.0.1:4010/x");
    }

    #[test]
    fn user_agent_rejects_control_bytes() {
        let api = api("https://api.flat.io/v2");
        assert!(api.clone().user_agent("sync/1.0\r\nX: y").is_err());
        assert!(api.clone().user_agent("").is_err());
        assert!(
            api.user_agent("roster-sync/2.1 (ops@school.example)")
                .is_ok()
        );
    }

    #[test]
    fn debug_hides_token() {
        let api = Api::new(AccessToken::new("super-secret-token").unwrap());
        assert!(!format!("{api:?}").contains("super-secret"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_id_is_one_segment(id in "\\PC{1,30}") {
                prop_assume!(id != "." && id != "..");
                let base = Url::parse("https://api.flat.io/v2").unwrap();
                let url = join_path(&base, &[("p", "users"), ("user", &id)]).unwrap();
                let segments: Vec<_> = url.path_segments().unwrap().collect();
                prop_assert_eq!(segments.len(), 3);
                let decoded = percent_encoding::percent_decode_str(segments[2]).decode_utf8().unwrap();
                prop_assert_eq!(decoded, id.as_str());
                prop_assert!(url.query().is_none());
                prop_assert!(url.fragment().is_none());
                prop_assert!(http::Uri::try_from(url.as_str()).is_ok());
            }
        }
    }
}
