//! Query strings, cursor pagination and the `Link` header of list routes.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::encoding::{decode_cursor, encode_cursor};
use super::routes::{Response, bad_request};
use super::store::Entry;

/// Characters percent-encoded in query values of generated links: all but
/// RFC 3986 unreserved characters, so `+`, `/` and `=` of cursors become
/// `%2B`, `%2F` and `%3D`.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Largest `limit` of every list route.
const MAX_LIMIT: usize = 1000;

/// Decoded query parameters in request order.
pub(super) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes a query string as `application/x-www-form-urlencoded`, like
    /// the Node.js servers of the real API: `%XX` escapes are decoded and a
    /// literal `+` becomes a space. A client that sends a cursor's `+`
    /// unescaped therefore sends a different cursor.
    pub(super) fn parse(query: &str) -> Query {
        Query {
            pairs: url::form_urlencoded::parse(query.as_bytes())
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        }
    }

    /// Returns every value of a repeatable parameter.
    pub(super) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.pairs
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns the value of a parameter that may appear at most once.
    pub(super) fn single<'a>(&'a self, name: &'a str) -> Result<Option<&'a str>, Response> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(bad_request(
                name,
                format!("Query parameter {name} must appear at most once"),
            ));
        }
        Ok(first)
    }
}

/// Parses `limit`: an integer from 1 to [`MAX_LIMIT`], `default` when absent.
pub(super) fn parse_limit(query: &Query, default: usize) -> Result<usize, Response> {
    let Some(text) = query.single("limit")? else {
        return Ok(default);
    };
    Some(text)
        .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|text| text.parse::<usize>().ok())
        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
        .ok_or_else(|| {
            bad_request(
                "limit",
                format!("limit must be an integer from 1 to {MAX_LIMIT}, got {text:?}"),
            )
        })
}

/// Where a page starts.
#[derive(Clone, Copy)]
pub(super) enum Cursor {
    /// First page.
    Start,
    /// Entries with `seq` at or above the value.
    Next(u64),
    /// The last entries with `seq` below the value.
    Previous(u64),
}

/// Parses the `next` and `previous` parameters. `next_seq` is the
/// collection's next sequence number: a cursor above it was never issued.
pub(super) fn parse_cursor(query: &Query, next_seq: u64) -> Result<Cursor, Response> {
    let decode = |cursor: &str, name: &str| {
        decode_cursor(cursor)
            .filter(|&seq| seq <= next_seq)
            .ok_or_else(|| {
                bad_request(
                    name,
                    format!(
                        "{name} is not a cursor issued by this server: {cursor:?}; \
                         follow the URL of the Link header unchanged"
                    ),
                )
            })
    };
    match (query.single("next")?, query.single("previous")?) {
        (None, None) => Ok(Cursor::Start),
        (Some(cursor), None) => decode(cursor, "next").map(Cursor::Next),
        (None, Some(cursor)) => decode(cursor, "previous").map(Cursor::Previous),
        (Some(_), Some(_)) => Err(bad_request(
            "previous",
            "Send either next or previous, not both".to_owned(),
        )),
    }
}

/// One page of a collection.
pub(super) struct Page {
    /// Positions in the entry slice, ascending.
    pub(super) positions: Vec<usize>,
    /// Cursor of the following page, when more entries match after it.
    pub(super) next: Option<u64>,
    /// Cursor of the preceding page, when entries match before it.
    pub(super) previous: Option<u64>,
}

/// Selects up to `limit` entries that satisfy `matches`, starting at
/// `cursor`. The work is proportional to the entries scanned to fill the
/// page and to find its neighbours, not to the collection size.
pub(super) fn paginate<I>(
    entries: &[Entry<I>],
    cursor: Cursor,
    limit: usize,
    matches: impl Fn(&Entry<I>) -> bool,
) -> Page {
    let boundary = |seq: u64| entries.partition_point(|entry| entry.seq < seq);
    let (positions, anchor) = match cursor {
        Cursor::Start => (forward_matches(entries, 0, limit, &matches), 0),
        Cursor::Next(seq) => {
            let start = boundary(seq);
            (forward_matches(entries, start, limit, &matches), start)
        }
        Cursor::Previous(seq) => {
            let end = boundary(seq);
            let mut positions: Vec<usize> = (0..end)
                .rev()
                .filter(|&position| matches(&entries[position]))
                .take(limit)
                .collect();
            positions.reverse();
            (positions, end)
        }
    };

    // An empty page sits at the anchor: its neighbours are on either side.
    let first = positions.first().copied().unwrap_or(anchor);
    let after_last = positions.last().map_or(anchor, |&last| last + 1);
    let has_previous = entries[..first].iter().rev().any(&matches);
    let has_next = entries[after_last..].iter().any(&matches);
    // Past the end, the cursor is one above the last entry, which is never
    // above the collection's next sequence number.
    let seq_at = |position: usize| match entries.get(position) {
        Some(entry) => entry.seq,
        None => entries.last().map_or(0, |entry| entry.seq + 1),
    };
    Page {
        next: has_next.then(|| seq_at(after_last)),
        previous: has_previous.then(|| seq_at(first)),
        positions,
    }
}

fn forward_matches<I>(
    entries: &[Entry<I>],
    start: usize,
    limit: usize,
    matches: &impl Fn(&Entry<I>) -> bool,
) -> Vec<usize> {
    (start..entries.len())
        .filter(|&position| matches(&entries[position]))
        .take(limit)
        .collect()
}

/// Builds the `Link` header value of a page (RFC 8288), or `None` when it
/// has neither a next nor a previous page. `collection_url` is absolute and
/// `parameters` are the request's filters, repeated in every link.
pub(super) fn link_header(
    collection_url: &str,
    parameters: &[(&str, &str)],
    page: &Page,
) -> Option<String> {
    let link = |name: &str, seq: u64, relation: &str| {
        let mut url = format!("{collection_url}?");
        for (key, value) in parameters {
            url.push_str(key);
            url.push('=');
            url.extend(utf8_percent_encode(value, QUERY_VALUE));
            url.push('&');
        }
        url.push_str(name);
        url.push('=');
        url.extend(utf8_percent_encode(&encode_cursor(seq), QUERY_VALUE));
        format!("<{url}>; rel=\"{relation}\"")
    };
    let links: Vec<String> = [
        page.next.map(|seq| link("next", seq, "next")),
        page.previous.map(|seq| link("previous", seq, "previous")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!links.is_empty()).then(|| links.join(", "))
}
