//! An RFC 8288 `Link` header parser.
//!
//! The grammar (RFC 8288 section 3, with the list rule of RFC 9110 section
//! 5.6.1):
//!
//! ```text
//! Link       = #link-value
//! link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
//! link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
//! ```
//!
//! Commas and semicolons inside `<...>` and inside quoted strings do not
//! separate anything, parameter names are case-insensitive, and empty list
//! elements are ignored. The parser makes one pass over the bytes and stops
//! with an error after [`MAX_LINKS`] links, so a hostile header costs linear
//! time and bounded memory.

use std::fmt;

/// Most links accepted across all `Link` lines of one response. Flat sends
/// two at most (`next` and `previous`).
pub const MAX_LINKS: usize = 64;

/// One link-value of a `Link` header: a target and its parameters.
///
/// ```
/// use flat_org_core::link::parse_link_header;
///
/// let links = parse_link_header(
///     br#"<https://api.flat.io/v2/organizations/users?next=c1>; rel="next""#,
/// )?;
/// assert_eq!(links.len(), 1);
/// assert!(links[0].has_rel("next"));
/// assert_eq!(links[0].target(), "https://api.flat.io/v2/organizations/users?next=c1");
/// # Ok::<(), flat_org_core::link::LinkError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    target: String,
    params: Vec<(String, Option<String>)>,
}

impl Link {
    /// Returns the URI reference between `<` and `>`, unresolved.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Returns the parameters in order, names in ASCII lowercase, quoted values
    /// unescaped. A parameter without `=` has no value.
    pub fn params(&self) -> &[(String, Option<String>)] {
        &self.params
    }

    /// Returns the value of the first parameter with this name (ASCII
    /// case-insensitive). RFC 8288 section 3 has parsers ignore later
    /// occurrences of `rel`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| value.as_deref())
    }

    /// Returns the relation types of the first `rel` parameter, which may list
    /// several separated by spaces (RFC 8288 section 3.3).
    pub fn rels(&self) -> impl Iterator<Item = &str> {
        self.param("rel").unwrap_or("").split_ascii_whitespace()
    }

    /// Tells whether the link has this relation type. Relation types compare
    /// ASCII case-insensitively (RFC 8288 section 2.1.1).
    pub fn has_rel(&self, rel: &str) -> bool {
        self.rels().any(|r| r.eq_ignore_ascii_case(rel))
    }
}

/// Writes the link in the header's syntax, values always quoted, so that
/// parsing the output gives back an equal [`Link`].
impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.target)?;
        for (name, value) in &self.params {
            write!(f, "; {name}")?;
            if let Some(value) = value {
                f.write_str("=\"")?;
                for c in value.chars() {
                    if c == '"' || c == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")?;
            }
        }
        Ok(())
    }
}

/// A `Link` header that does not follow the RFC 8288 grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkError {
    kind: LinkErrorKind,
    offset: usize,
}

/// The kind of problem in a `Link` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkErrorKind {
    /// A link-value does not start with `<`.
    ExpectedTarget,
    /// A `<` has no matching `>`.
    UnterminatedTarget,
    /// The target contains a control byte or is not UTF-8.
    InvalidTarget,
    /// Something other than `;` or `,` follows a target or parameter.
    ExpectedSeparator,
    /// A parameter name is missing or contains a byte outside `token`.
    InvalidParameter,
    /// A quoted string has no closing quote.
    UnterminatedQuote,
    /// More than [`MAX_LINKS`] links.
    TooManyLinks,
}

impl LinkError {
    /// Returns what is wrong.
    pub fn kind(&self) -> LinkErrorKind {
        self.kind
    }

    /// Byte offset in the header value where the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            LinkErrorKind::ExpectedTarget => "expected `<` starting a link target",
            LinkErrorKind::UnterminatedTarget => "link target has no closing `>`",
            LinkErrorKind::InvalidTarget => "link target contains a control byte or invalid UTF-8",
            LinkErrorKind::ExpectedSeparator => "expected `;` or `,`",
            LinkErrorKind::InvalidParameter => "invalid link parameter name",
            LinkErrorKind::UnterminatedQuote => "quoted string has no closing quote",
            LinkErrorKind::TooManyLinks => "more links than the limit of 64",
        };
        write!(f, "invalid Link header at byte {}: {what}", self.offset)
    }
}

impl std::error::Error for LinkError {}

/// Parses one `Link` field value.
///
/// # Errors
///
/// [`LinkError`] when the value does not follow the grammar or contains more
/// than [`MAX_LINKS`] links. Empty and blank values, and empty list elements
/// such as a trailing comma, are not errors and add no link.
pub fn parse_link_header(value: &[u8]) -> Result<Vec<Link>, LinkError> {
    let mut links = Vec::new();
    parse_into(value, &mut links)?;
    Ok(links)
}

/// Parses one `Link` field value, appending to `links`. Call it once per
/// field line: RFC 9110 section 5.3 makes several lines equal to one line
/// joined with commas. [`MAX_LINKS`] applies to the length of `links`.
///
/// # Errors
///
/// As [`parse_link_header`].
pub fn parse_into(value: &[u8], links: &mut Vec<Link>) -> Result<(), LinkError> {
    let mut parser = Parser {
        bytes: value,
        pos: 0,
    };
    loop {
        parser.skip_whitespace_and_commas();
        if parser.at_end() {
            return Ok(());
        }
        if links.len() == MAX_LINKS {
            return Err(parser.error(LinkErrorKind::TooManyLinks));
        }
        links.push(parser.link_value()?);
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, kind: LinkErrorKind) -> LinkError {
        LinkError {
            kind,
            offset: self.pos,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn skip_whitespace_and_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }

    fn link_value(&mut self) -> Result<Link, LinkError> {
        let target = self.target()?;
        let mut params = Vec::new();
        loop {
            self.skip_whitespace();
            match self.peek() {
                None | Some(b',') => return Ok(Link { target, params }),
                Some(b';') => self.pos += 1,
                Some(_) => return Err(self.error(LinkErrorKind::ExpectedSeparator)),
            }
            self.skip_whitespace();
            // An empty parameter, as in `<a>; ; rel=next` or a trailing `;`,
            // carries nothing and is skipped.
            if matches!(self.peek(), None | Some(b',' | b';')) {
                continue;
            }
            params.push(self.param()?);
        }
    }

    fn target(&mut self) -> Result<String, LinkError> {
        if self.peek() != Some(b'<') {
            return Err(self.error(LinkErrorKind::ExpectedTarget));
        }
        let start = self.pos + 1;
        let Some(length) = self.bytes[start..].iter().position(|&b| b == b'>') else {
            return Err(self.error(LinkErrorKind::UnterminatedTarget));
        };
        let raw = &self.bytes[start..start + length];
        if raw.iter().any(|b| b.is_ascii_control()) {
            return Err(self.error(LinkErrorKind::InvalidTarget));
        }
        let target = std::str::from_utf8(raw)
            .map_err(|_| self.error(LinkErrorKind::InvalidTarget))?
            .trim_matches(' ');
        self.pos = start + length + 1;
        Ok(target.to_owned())
    }

    fn param(&mut self) -> Result<(String, Option<String>), LinkError> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error(LinkErrorKind::InvalidParameter));
        }
        let name = String::from_utf8_lossy(&self.bytes[start..self.pos]).to_ascii_lowercase();

        self.skip_whitespace();
        if self.peek() != Some(b'=') {
            return Ok((name, None));
        }
        self.pos += 1;
        self.skip_whitespace();
        let value = if self.peek() == Some(b'"') {
            self.quoted_string()?
        } else {
            self.bare_value()
        };
        Ok((name, Some(value)))
    }

    /// Reads a quoted-string (RFC 9110 section 5.6.4), unescaping
    /// quoted-pairs.
    fn quoted_string(&mut self) -> Result<String, LinkError> {
        let open = self.pos;
        self.pos += 1;
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None => {
                    self.pos = open;
                    return Err(self.error(LinkErrorKind::UnterminatedQuote));
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(String::from_utf8_lossy(&value).into_owned());
                }
                Some(b'\\') if self.pos + 1 < self.bytes.len() => {
                    value.push(self.bytes[self.pos + 1]);
                    self.pos += 2;
                }
                Some(byte) => {
                    value.push(byte);
                    self.pos += 1;
                }
            }
        }
    }

    /// Reads an unquoted value. The grammar allows only `token`, but servers also
    /// send URLs unquoted (`rel=http://example.com/rel`), so everything up to
    /// whitespace, `;` or `,` is taken.
    fn bare_value(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| !matches!(b, b' ' | b'\t' | b';' | b','))
        {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.bytes[start..self.pos]).into_owned()
    }
}

/// `tchar` of RFC 9110 section 5.6.2.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS: &str = "https://api.flat.io/v2/organizations/users";

    fn parse(value: &str) -> Vec<Link> {
        parse_link_header(value.as_bytes()).unwrap()
    }

    #[test]
    fn comma_inside_target_does_not_split() {
        let links = parse(&format!(
            "<{USERS}?limit=2&group=g1,g2&next=c1>; rel=\"next\", <{USERS}?previous=p1>; \
             rel=\"previous\""
        ));
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[0].target(),
            format!("{USERS}?limit=2&group=g1,g2&next=c1")
        );
        assert!(links[0].has_rel("next"));
        assert_eq!(links[1].target(), format!("{USERS}?previous=p1"));
        assert!(links[1].has_rel("previous"));
    }

    #[test]
    fn token_rel_and_uppercase() {
        let token = parse(&format!("<{USERS}?next=n1>; rel=next"));
        assert!(token[0].has_rel("next"));
        let upper = parse(&format!("<{USERS}?next=n1>; REL=\"NEXT\""));
        assert!(upper[0].has_rel("next"));
    }

    #[test]
    fn rel_in_any_position() {
        let links = parse(&format!(
            "<{USERS}?previous=p1>; rel=\"previous\", <{USERS}?next=n1>; \
             type=\"application/json\"; rel=\"next\""
        ));
        assert_eq!(links.len(), 2);
        assert!(links[1].has_rel("next"));
        assert_eq!(links[1].param("type"), Some("application/json"));
    }

    #[test]
    fn space_separated_relations() {
        let links = parse(&format!("<{USERS}?next=n1>; rel=\"next last\""));
        assert!(links[0].has_rel("next"));
        assert!(links[0].has_rel("last"));
    }

    #[test]
    fn quoted_title_with_comma_and_escapes() {
        let links = parse(&format!(
            "<{USERS}?next=n3>; title=\"a \\\"quoted\\\", title\"; rel=\"next\""
        ));
        assert_eq!(links.len(), 1);
        assert!(links[0].has_rel("next"));
        assert_eq!(links[0].param("title"), Some("a \"quoted\", title"));
    }

    #[test]
    fn first_rel_wins() {
        let links = parse("<a>; rel=previous; rel=next");
        assert!(links[0].has_rel("previous"));
        assert!(!links[0].has_rel("next"));
    }

    #[test]
    fn empty_and_blank_give_no_link() {
        for value in [
            "",
            "   ",
            "\t",
            ",",
            " , ,",
            &format!("<{USERS}?next=n1>; rel=next,"),
        ] {
            let links = parse(value);
            assert!(links.len() <= 1, "{value:?}");
            assert!(links.iter().all(|l| !l.target().is_empty()), "{value:?}");
        }
        assert_eq!(parse(&format!("<{USERS}?next=n1>; rel=next, ")).len(), 1);
    }

    #[test]
    fn empty_target_is_kept_for_caller() {
        let links = parse("<>; rel=\"next\"");
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].target(), "");
    }

    #[test]
    fn malformed_values_are_errors() {
        let cases = [
            (
                "<https://api.flat.io/v2/x; rel=\"next\"",
                LinkErrorKind::UnterminatedTarget,
            ),
            (
                "https://api.flat.io/v2/x; rel=next",
                LinkErrorKind::ExpectedTarget,
            ),
            ("<a>; rel=\"next", LinkErrorKind::UnterminatedQuote),
            ("<a> rel=next", LinkErrorKind::ExpectedSeparator),
            ("<a>; =next", LinkErrorKind::InvalidParameter),
            ("<a\r\nb>; rel=next", LinkErrorKind::InvalidTarget),
            ("<a>; rel=next <b>", LinkErrorKind::ExpectedSeparator),
        ];
        for (value, kind) in cases {
            let err = parse_link_header(value.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), kind, "{value:?}");
        }
    }

    #[test]
    fn non_utf8_target_is_error() {
        let err = parse_link_header(b"<\xff\xfe>; rel=next").unwrap_err();
        assert_eq!(err.kind(), LinkErrorKind::InvalidTarget);
    }

    #[test]
    fn parameter_without_value() {
        let links = parse("<a>; crossorigin; rel=next");
        assert_eq!(links[0].params()[0], ("crossorigin".to_owned(), None));
        assert!(links[0].has_rel("next"));
    }

    #[test]
    fn too_many_links_is_error() {
        let value = "<a>; rel=x, ".repeat(MAX_LINKS + 1);
        let err = parse_link_header(value.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), LinkErrorKind::TooManyLinks);
        let value = "<a>; rel=x, ".repeat(MAX_LINKS);
        assert_eq!(parse(&value).len(), MAX_LINKS);
    }

    #[test]
    fn limit_counts_across_lines() {
        let line = "<a>, ".repeat(MAX_LINKS);
        let mut links = Vec::new();
        parse_into(line.as_bytes(), &mut links).unwrap();
        let err = parse_into(b"<b>", &mut links).unwrap_err();
        assert_eq!(err.kind(), LinkErrorKind::TooManyLinks);
    }

    #[test]
    fn display_round_trips() {
        let value = format!(
            "<{USERS}?next=a,b>; title=\"q\\\"uote\\\\d\"; REL=next; crossorigin, <x>; rel=prev"
        );
        let links = parse(&value);
        let written = links
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(parse(&written), links);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn arb_link() -> impl Strategy<Value = Link> {
            let target = "[^<>\\x00-\\x1f\\x7f]{0,40}".prop_map(|t| t.trim_matches(' ').to_owned());
            let name = "[a-z0-9!#$%&'*+.^_`|~-]{1,8}";
            let value = proptest::option::of("[^\\x00-\\x1f\\x7f]{0,20}");
            let params = proptest::collection::vec((name, value), 0..4);
            (target, params).prop_map(|(target, params)| Link { target, params })
        }

        proptest! {
            #[test]
            fn written_links_parse_back(links in proptest::collection::vec(arb_link(), 0..6)) {
                let written = links.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                let parsed = parse_link_header(written.as_bytes()).unwrap();
                prop_assert_eq!(parsed, links);
            }

            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
                if let Ok(links) = parse_link_header(&bytes) {
                    prop_assert!(links.len() <= MAX_LINKS);
                    let written = links.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                    prop_assert_eq!(parse_link_header(written.as_bytes()).unwrap(), links);
                }
            }
        }
    }
}
