//! Extractors whose refusals speak the product's language: a malformed query string or
//! form is a 422 naming the field in Russian (problem+json in the API, the Russian
//! error page in the UI), a path id that cannot be an id is a 404 — never axum's plain
//! English 400 («Failed to deserialize query string…», «Invalid URL…»).
//!
//! Handlers import `Query`, `Path` and `Form` from here instead of `axum::extract`.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldError};

/// Why a value did not parse, in Russian, from serde's English message.
fn reason_ru(message: &str) -> String {
    let m = message.to_lowercase();
    if m.contains("missing field") {
        "обязательное поле".to_owned()
    } else if m.contains("unknown field") {
        "неизвестное поле".to_owned()
    } else if m.contains("empty string") {
        "укажите значение".to_owned()
    } else if m.contains("integer") || m.contains("digit") || m.contains("number too") {
        "ожидается целое число".to_owned()
    } else if m.contains("float") || m.contains("decimal") {
        "ожидается число".to_owned()
    } else if m.contains("bool") {
        "ожидается «да» или «нет»".to_owned()
    } else if m.contains("unknown variant") {
        "недопустимое значение".to_owned()
    } else if m.contains("date")
        || m.contains("premature end")
        || m.contains("input contains invalid characters")
    {
        "неверная дата".to_owned()
    } else {
        "неверное значение".to_owned()
    }
}

/// Parses `application/x-www-form-urlencoded` text (a query string or a form body) into
/// `T`, naming the offending field.
///
/// # Errors
/// `Invalid` with the field and a Russian reason.
pub fn urlencoded<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // NUL cannot be stored by PostgreSQL and has no business in a form.
    if let Some((k, _)) = form_urlencoded::parse(bytes).find(|(_, v)| v.contains('\0')) {
        return Err(AppError::invalid(
            k.into_owned(),
            "недопустимый символ (NUL)",
        ));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        // serde names a missing or unknown field in its message, not in the path.
        let named = message
            .split('`')
            .nth(1)
            .filter(|_| message.contains("field"))
            .map(str::to_owned);
        let field = match (path.as_str(), named) {
            ("." | "?", Some(n)) => n,
            ("." | "?", None) => "form".to_owned(),
            (p, _) => p.to_owned(),
        };
        AppError::Invalid(vec![FieldError::new(field, reason_ru(&message))])
    })
}

/// Query-string parameters; a malformed one is a 422 that names it.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        // An empty field of a GET form (a cleared «Организаций») means "not given".
        let q: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                    .filter(|(_, v)| !v.trim().is_empty()),
            )
            .finish();
        urlencoded(q.as_bytes()).map(Query)
    }
}

/// Path parameters; a value that does not parse (`/applications/abc`) names no object:
/// 404, like an id that does not exist.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|_| AppError::NotFound)
    }
}

/// Largest urlencoded form accepted.
pub const FORM_LIMIT: usize = 1024 * 1024;

/// A urlencoded form body; a malformed field is a 422 that names it.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, _: &S) -> Result<Self, AppError> {
        let bytes = axum::body::to_bytes(req.into_body(), FORM_LIMIT)
            .await
            .map_err(|_| AppError::invalid("form", "форма слишком большая"))?;
        urlencoded(&bytes).map(Form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct P {
        page: Option<u64>,
        organisations: u32,
    }

    fn err(q: &str) -> FieldError {
        match urlencoded::<P>(q.as_bytes()) {
            Err(AppError::Invalid(e)) => e[0].clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_values_name_their_field_in_russian() {
        assert_eq!(
            err("organisations=&page=1"),
            FieldError::new("organisations", "укажите значение")
        );
        assert_eq!(
            err("organisations=2&page=abc"),
            FieldError::new("page", "ожидается целое число")
        );
        assert_eq!(
            err("page=1"),
            FieldError::new("organisations", "обязательное поле")
        );
        assert_eq!(
            err("organisations=2&page=99999999999999999999999"),
            FieldError::new("page", "ожидается целое число")
        );
        assert!(urlencoded::<P>(b"organisations=3").is_ok());
    }
}
