//! Oracle: for any base URL and any `Link` value on a listing response, a
//! next-page request is either an error or goes to the base URL's scheme,
//! host and port, without userinfo.
//!
//! Input: the base URL, a NUL byte, then the `Link` value.
#![no_main]

use flat_org_core::http::Response;
use flat_org_core::ops::ListUsers;
use flat_org_core::url::Url;
use flat_org_core::{AccessToken, Api, PageRequest, User};
use libfuzzer_sys::fuzz_target;

fn same_origin(base: &Url, uri: &str) {
    let target = Url::parse(uri).expect("a built request has an absolute URI");
    assert_eq!(target.scheme(), base.scheme());
    assert_eq!(target.host(), base.host());
    assert_eq!(target.port_or_known_default(), base.port_or_known_default());
    assert_eq!(target.username(), "");
    assert_eq!(target.password(), None);
}

fuzz_target!(|data: &[u8]| {
    let Some(split) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let (base, link) = (&data[..split], &data[split + 1..]);
    let Ok(base) = std::str::from_utf8(base) else {
        return;
    };
    let token = AccessToken::new("fuzz").expect("valid token");
    let Ok(api) = Api::new(token).base_url(base) else {
        return;
    };
    let base = api.base().clone();

    // The link as a Link header of a listing response.
    if let Ok(response) = Response::builder()
        .status(200)
        .header("link", link)
        .body(b"[]".to_vec())
    {
        if let Ok(page) = api.decode(&ListUsers::new(), &response) {
            if let Ok(Some(next)) = page.next_page(&api) {
                if let Ok(request) = api.request(&next) {
                    same_origin(&base, &request.uri().to_string());
                }
            }
        }
    }

    // The link as an absolute URL given to resume a listing.
    if let Ok(link) = std::str::from_utf8(link) {
        if let Ok(resumed) = PageRequest::<User>::from_link(&api, link) {
            if let Ok(request) = api.request(&resumed) {
                same_origin(&base, &request.uri().to_string());
            }
        }
    }
});
