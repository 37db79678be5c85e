//! Oracle: parsing any bytes as a `Link` value never panics and returns
//! links or a `LinkError`. It returns at most `MAX_LINKS` links, and writing
//! the links back and parsing the text gives the same links.
#![no_main]

use flat_org_core::link::{MAX_LINKS, parse_link_header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(links) = parse_link_header(data) else {
        return;
    };
    assert!(links.len() <= MAX_LINKS);
    let written = links
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let reparsed = parse_link_header(written.as_bytes()).expect("written links parse");
    assert_eq!(reparsed, links);
});
