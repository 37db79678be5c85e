//! Validation of JSON request bodies and enumerated parameters against the
//! OpenAPI contract. Every failure is a 400 `BAD_REQUEST` naming the field.

use serde_json::{Map, Value};

use super::routes::{Response, bad_request};

/// Members of a JSON object request body.
pub(super) type Fields = Map<String, Value>;

pub(super) fn parse_object(body: &[u8]) -> Result<Fields, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(bad_request(
            "body",
            "The request body must be a JSON object".to_owned(),
        )),
        Err(error) => Err(bad_request(
            "body",
            format!("The request body is not valid JSON: {error}"),
        )),
    }
}

/// Returns a string field whose length in characters is within
/// `min..=max`. A present `null` is invalid, like any other non-string.
pub(super) fn optional_string<'a>(
    fields: &'a Fields,
    name: &str,
    min: usize,
    max: usize,
) -> Result<Option<&'a str>, Response> {
    let Some(value) = fields.get(name) else {
        return Ok(None);
    };
    let Some(text) = value.as_str() else {
        return Err(bad_request(name, format!("{name} must be a string")));
    };
    let length = text.chars().count();
    if length < min || length > max {
        let range = if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("from {min} to {max}")
        };
        return Err(bad_request(
            name,
            format!("{name} must be {range} characters long, got {length}"),
        ));
    }
    Ok(Some(text))
}

pub(super) fn required_string<'a>(
    fields: &'a Fields,
    name: &str,
    min: usize,
    max: usize,
) -> Result<&'a str, Response> {
    optional_string(fields, name, min, max)?.ok_or_else(|| missing(name))
}

/// Returns an email field: a string with a non-empty local part and domain
/// around one `@` and no whitespace.
pub(super) fn optional_email<'a>(
    fields: &'a Fields,
    name: &str,
) -> Result<Option<&'a str>, Response> {
    let Some(email) = optional_string(fields, name, 0, usize::MAX)? else {
        return Ok(None);
    };
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    }) && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(Some(email))
    } else {
        Err(bad_request(
            name,
            format!("{name} must be a valid email address, got {email:?}"),
        ))
    }
}

pub(super) fn optional_enum<'a>(
    fields: &'a Fields,
    name: &str,
    allowed: &[&str],
) -> Result<Option<&'a str>, Response> {
    let Some(value) = optional_string(fields, name, 0, usize::MAX)? else {
        return Ok(None);
    };
    check_enum(name, value, allowed)?;
    Ok(Some(value))
}

pub(super) fn required_enum<'a>(
    fields: &'a Fields,
    name: &str,
    allowed: &[&str],
) -> Result<&'a str, Response> {
    optional_enum(fields, name, allowed)?.ok_or_else(|| missing(name))
}

pub(super) fn check_enum(name: &str, value: &str, allowed: &[&str]) -> Result<(), Response> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(bad_request(
            name,
            format!(
                "{name} must be one of {}, got {value:?}",
                allowed.join(", ")
            ),
        ))
    }
}

fn missing(name: &str) -> Response {
    bad_request(name, format!("{name} is required"))
}
