//! Small encoders: base64, pagination cursors, RFC 3339 dates and a
//! deterministic bit mixer for ids.

use std::time::{SystemTime, UNIX_EPOCH};

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// First bytes of every cursor. They encode to `++//`, so every cursor
/// contains characters that must be percent-encoded in a query string.
const CURSOR_PREFIX: [u8; 3] = [0xFB, 0xEF, 0xFF];

/// Encodes bytes as standard base64 (RFC 4648 section 4) with `=` padding.
pub(super) fn base64_encode(bytes: &[u8]) -> String {
    let mut output = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = u32::from(chunk[0]);
        let b1 = u32::from(chunk.get(1).copied().unwrap_or(0));
        let b2 = u32::from(chunk.get(2).copied().unwrap_or(0));
        let triple = (b0 << 16) | (b1 << 8) | b2;
        let sextet = |shift: u32| char::from(BASE64_ALPHABET[((triple >> shift) & 63) as usize]);
        output.push(sextet(18));
        output.push(sextet(12));
        output.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        output.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    output
}

/// Decodes standard padded base64, rejecting anything that
/// [`base64_encode`] would not produce (missing padding, stray characters,
/// non-zero trailing bits).
pub(super) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let padding = bytes.iter().rev().take_while(|&&b| b == b'=').count();
    if padding > 2 {
        return None;
    }
    let mut output = Vec::with_capacity(bytes.len() / 4 * 3);
    let quads = bytes.len() / 4;
    for (index, quad) in bytes.chunks(4).enumerate() {
        let is_last = index + 1 == quads;
        let pad_here = if is_last { padding } else { 0 };
        let mut triple = 0u32;
        for (position, &byte) in quad.iter().enumerate() {
            let value = if position >= 4 - pad_here {
                0
            } else {
                u32::from(sextet_value(byte)?)
            };
            triple = (triple << 6) | value;
        }
        let decoded = [(triple >> 16) as u8, (triple >> 8) as u8, triple as u8];
        let decoded_length = 3 - pad_here;
        if decoded[decoded_length..].iter().any(|&b| b != 0) {
            return None;
        }
        output.extend_from_slice(&decoded[..decoded_length]);
    }
    Some(output)
}

fn sextet_value(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Encodes a pagination position as an opaque cursor: base64 of the
/// cursor prefix followed by the position as 8 big-endian bytes. The
/// 11 bytes always encode to a string with `+`, `/` and one `=`.
pub(super) fn encode_cursor(position: u64) -> String {
    let mut bytes = Vec::with_capacity(11);
    bytes.extend_from_slice(&CURSOR_PREFIX);
    bytes.extend_from_slice(&position.to_be_bytes());
    base64_encode(&bytes)
}

/// Decodes a cursor made by [`encode_cursor`].
pub(super) fn decode_cursor(cursor: &str) -> Option<u64> {
    let bytes = base64_decode(cursor)?;
    let position = bytes.strip_prefix(CURSOR_PREFIX.as_slice())?;
    let position: [u8; 8] = position.try_into().ok()?;
    Some(u64::from_be_bytes(position))
}

/// Milliseconds since the Unix epoch, or 0 if the clock is before it.
pub(super) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Formats milliseconds since the Unix epoch as RFC 3339 UTC with
/// milliseconds, e.g. `2024-09-01T08:30:00.000Z`, the shape JavaScript's
/// `Date.prototype.toISOString` produces.
pub(super) fn format_rfc3339(unix_millis: u64) -> String {
    let seconds = unix_millis / 1000;
    let millis = unix_millis % 1000;
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let second_of_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month,
/// day), after Howard Hinnant's `civil_from_days` restricted to dates on or
/// after the epoch.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a year.
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// SplitMix64 output function: a bijection on `u64`, so distinct inputs
/// give distinct outputs, which keeps ids made from a counter unique.
pub(super) fn splitmix64(input: u64) -> u64 {
    let mut z = input.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64_encode(plain.as_bytes()), encoded);
            if !plain.is_empty() {
                assert_eq!(base64_decode(encoded).as_deref(), Some(plain.as_bytes()));
            }
        }
    }

    #[test]
    fn base64_decode_rejects_noncanonical_input() {
        for text in ["Zg", "Zg=", "Z===", "Zh==", "Zm9v!A==", "=Zm9", "Zm=v"] {
            assert_eq!(base64_decode(text), None, "{text}");
        }
    }

    #[test]
    fn cursor_round_trips_and_needs_escaping() {
        for position in [0, 1, 7, 2_500, u64::MAX] {
            let cursor = encode_cursor(position);
            assert!(cursor.starts_with("++//"), "{cursor}");
            assert!(cursor.ends_with('='), "{cursor}");
            assert_eq!(decode_cursor(&cursor), Some(position));
        }
        assert_eq!(decode_cursor("Zm9vYmFy"), None);
    }

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(
            format_rfc3339(1_725_179_400_000),
            "2024-09-01T08:30:00.000Z"
        );
        assert_eq!(
            format_rfc3339(4_102_444_799_999),
            "2099-12-31T23:59:59.999Z"
        );
    }
}
