//! The bearer token, kept out of `Debug` and `Display` output.

use std::fmt;

use crate::error::{Error, InvalidInput};

/// An OAuth2 access token or personal access token for the Flat API.
///
/// The secret is sent as `Authorization: Bearer <token>` and nowhere else.
/// `Debug` and `Display` print `AccessToken(<redacted>)`, so a token inside a
/// logged or printed struct does not leak.
///
/// ```
/// use flat_org_core::AccessToken;
///
/// let token = AccessToken::new("b3a1c0ffee")?;
/// assert_eq!(format!("{token:?}"), "AccessToken(<redacted>)");
/// assert_eq!(token.secret(), "b3a1c0ffee");
///
/// // Whitespace and control bytes would corrupt the header and are rejected.
/// assert!(AccessToken::new("abc\r\nX-Injected: 1").is_err());
/// # Ok::<(), flat_org_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    secret: String,
}

impl AccessToken {
    /// Checks and wraps a token.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the token is empty or contains a byte
    /// outside visible ASCII (a space, CR, LF, another control byte or a
    /// non-ASCII character). The error never contains the token.
    pub fn new(secret: impl Into<String>) -> Result<AccessToken, Error> {
        let secret = secret.into();
        if secret.is_empty() {
            return Err(InvalidInput::new(
                "access token",
                "is empty; pass the token from the Flat developer settings or the OAuth2 flow",
            )
            .into());
        }
        if let Some(position) = secret.bytes().position(|b| !b.is_ascii_graphic()) {
            return Err(InvalidInput::new(
                "access token",
                format!(
                    "contains a space, control or non-ASCII byte at position {position}; \
                     remove surrounding whitespace and newlines"
                ),
            )
            .into());
        }
        Ok(AccessToken { secret })
    }

    /// Returns the secret, for building the `Authorization` header yourself.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_secret() {
        let token = AccessToken::new("s3cr3t-value").unwrap();
        assert!(!format!("{token:?}").contains("s3cr3t"));
        assert!(!format!("{token}").contains("s3cr3t"));
        assert!(!format!("{:#?}", Some(&token)).contains("s3cr3t"));
    }

    #[test]
    fn rejects_control_bytes_without_echoing_token() {
        for bad in [
            "",
            "abc\r\n",
            "a b",
            "tab\there",
            "nul\0",
            "é-token",
            "abc\x7f",
        ] {
            let err = AccessToken::new(bad).unwrap_err();
            let message = err.to_string();
            assert!(message.contains("access token"), "{message}");
            if !bad.is_empty() {
                assert!(!message.contains(bad), "{message}");
            }
        }
    }
}
