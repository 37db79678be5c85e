//! The `X-RateLimit-*` response headers.

use http::HeaderMap;

/// The rate-limit state a response reports.
///
/// Flat allows a token a fixed number of requests an hour. When the quota is
/// used up the API returns 403 with code `API_RATE_LIMIT_EXCEEDED` until the
/// reset time. A header that is missing, repeated with different values, or
/// not a decimal integer gives `None`: a hostile value never fails the
/// response it came with.
///
/// ```
/// use flat_org_core::RateLimit;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-ratelimit-limit", "5000".parse()?);
/// headers.insert("x-ratelimit-remaining", "4999".parse()?);
/// headers.insert("x-ratelimit-reset", "1767225600".parse()?);
///
/// let rate_limit = RateLimit::from_headers(&headers);
/// assert_eq!(rate_limit.remaining, Some(4999));
/// assert_eq!(rate_limit.reset, Some(1_767_225_600));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// `X-RateLimit-Limit`: requests allowed in the window.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`: requests left in the window.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`: when the window resets, in seconds since the Unix
    /// epoch (UTC).
    pub reset: Option<u64>,
}

impl RateLimit {
    /// Reads the three headers.
    pub fn from_headers(headers: &HeaderMap) -> RateLimit {
        RateLimit {
            limit: header_u64(headers, "x-ratelimit-limit"),
            remaining: header_u64(headers, "x-ratelimit-remaining"),
            reset: header_u64(headers, "x-ratelimit-reset"),
        }
    }
}

/// Parses a header as a decimal integer. Several lines with different values
/// are ambiguous and give `None`.
fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.any(|other| other != first) {
        return None;
    }
    let text = first.to_str().ok()?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    #[test]
    fn reads_all_three() {
        let map = headers(&[
            ("X-RateLimit-Limit", b"5000"),
            ("x-ratelimit-remaining", b" 0 "),
            ("X-RATELIMIT-RESET", b"1767225600"),
        ]);
        let rate_limit = RateLimit::from_headers(&map);
        assert_eq!(rate_limit.limit, Some(5000));
        assert_eq!(rate_limit.remaining, Some(0));
        assert_eq!(rate_limit.reset, Some(1_767_225_600));
    }

    #[test]
    fn hostile_values_give_none() {
        for value in [
            &b"-1"[..],
            b"+5",
            b"1e3",
            b"99999999999999999999999",
            b"",
            b"\xff\xfe",
            b"12 34",
        ] {
            let map = headers(&[("x-ratelimit-remaining", value)]);
            assert_eq!(RateLimit::from_headers(&map).remaining, None, "{value:?}");
        }
    }

    #[test]
    fn conflicting_lines_give_none() {
        let map = headers(&[
            ("x-ratelimit-remaining", b"10"),
            ("x-ratelimit-remaining", b"0"),
        ]);
        assert_eq!(RateLimit::from_headers(&map).remaining, None);
        let same = headers(&[
            ("x-ratelimit-remaining", b"10"),
            ("x-ratelimit-remaining", b"10"),
        ]);
        assert_eq!(RateLimit::from_headers(&same).remaining, Some(10));
    }
}
