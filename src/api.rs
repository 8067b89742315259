//! Plumbing shared by the JSON API: a body extractor whose errors are 422 problems that
//! name the field, and the `If-Match` version header.

use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::{AppError, FieldError};

/// Largest JSON body accepted.
const JSON_LIMIT: usize = 2 * 1024 * 1024;

/// A JSON body; a malformed one is a 422 naming the offending path.
pub struct ApiJson<T>(pub T);

/// The raw bytes of the body too, for idempotency hashing.
pub struct ApiJsonWithBytes<T>(pub T, pub axum::body::Bytes);

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // The path already ends with the offending key, unknown ones included.
        let field = if path == "." || path == "?" {
            "body".to_owned()
        } else {
            path
        };
        let message = if message.starts_with("unknown field") {
            "неизвестное поле".to_owned()
        } else if inner.is_eof() || inner.is_syntax() {
            format!("тело запроса — не корректный JSON: {message}")
        } else {
            format!("неверное значение: {message}")
        };
        AppError::Invalid(vec![FieldError::new(field, message)])
    })?;
    // One document per body: `{…}xyz` is not a document followed by noise (F14).
    de.end().map_err(|_| {
        AppError::invalid(
            "body",
            "после JSON-документа в теле запроса есть лишние символы",
        )
    })?;
    Ok(value)
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let ApiJsonWithBytes(v, _) = ApiJsonWithBytes::from_request(req, state).await?;
        Ok(ApiJson(v))
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJsonWithBytes<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, AppError> {
        let bytes = axum::body::to_bytes(req.into_body(), JSON_LIMIT)
            .await
            .map_err(|_| AppError::invalid("body", "тело запроса больше 2 МБ"))?;
        let bytes = if bytes.is_empty() {
            axum::body::Bytes::from_static(b"{}")
        } else {
            bytes
        };
        Ok(ApiJsonWithBytes(parse(&bytes)?, bytes))
    }
}

/// The version in `If-Match` (`"3"`, `W/"3"` or `3`), if the client sent one.
///
/// # Errors
/// A header that is not a version number.
/// A JSON answer carrying the object's version as its `ETag` (for `If-Match`).
pub fn with_etag(
    version: i32,
    body: serde_json::Value,
    status: axum::http::StatusCode,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut r = (status, axum::Json(body)).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("\"{version}\"")) {
        r.headers_mut().insert(axum::http::header::ETAG, v);
    }
    r
}

pub fn if_match(headers: &HeaderMap) -> Result<Option<i32>, AppError> {
    let Some(v) = headers.get(axum::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .unwrap_or("")
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"');
    s.parse()
        .map(Some)
        .map_err(|_| AppError::invalid("If-Match", "ожидается версия объекта (целое число)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    fn field(json: &str) -> String {
        match parse::<Doc>(json.as_bytes()) {
            Err(AppError::Invalid(e)) => e[0].field.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_path() {
        assert_eq!(
            field(r#"{"name": "x", "inner": {"n": "seven"}}"#),
            "inner.n"
        );
        assert_eq!(
            field(r#"{"name": "x", "inner": {"n": 1}, "colour": 1}"#),
            "colour"
        );
        assert_eq!(
            field(r#"{"name": "x", "inner": {"n": 1, "m": 2}}"#),
            "inner.m"
        );
        assert_eq!(field(r#"{"name": "x""#), "body");
        assert_eq!(field(r#"{"name": "x", "inner": {"n": 1}}xyz"#), "body");
        assert!(parse::<Doc>(br#" {"name": "x", "inner": {"n": 1}} "#).is_ok());
    }

    #[test]
    fn if_match_forms() {
        let mut h = HeaderMap::new();
        assert_eq!(if_match(&h).unwrap(), None);
        h.insert(axum::http::header::IF_MATCH, "W/\"3\"".parse().unwrap());
        assert_eq!(if_match(&h).unwrap(), Some(3));
        h.insert(axum::http::header::IF_MATCH, "abc".parse().unwrap());
        assert!(if_match(&h).is_err());
    }
}
