//! Files crossing the edge: download responses with safe names, and reading an upload
//! from a multipart form.

use axum::body::Bytes;
use axum::extract::Multipart;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, AppResult};
use crate::storage;

/// A download: the name is cleaned again on the way out (invisible and bidi characters
/// removed — names stored before that rule existed included), offered as ASCII and as
/// UTF-8, and the response is never cached (it holds personal data).
pub fn download(bytes: Vec<u8>, content_type: &str, file_name: &str) -> Response {
    let file_name = storage::safe_display_name(file_name);
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        url_encode(&file_name)
    );
    let mut r = Bytes::from(bytes).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// An upload as read from a multipart form: the file (its name and bytes) and the other
/// fields.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub fields: Vec<(String, String)>,
}

impl Upload {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The upload form's CSRF and one-time tokens, as `auth::check_form` checks any form:
    /// `Some(response)` when it was already submitted.
    ///
    /// # Errors
    /// `CsrfRejected`; database errors.
    pub async fn check_form(
        &self,
        st: &crate::AppState,
        user: &crate::auth::CurrentUser,
        headers: &axum::http::HeaderMap,
    ) -> AppResult<Option<Response>> {
        crate::auth::check_form(
            st,
            user,
            headers,
            self.field("csrf").unwrap_or(""),
            self.field(crate::web::once::FIELD),
        )
        .await
    }
}

/// Reads the one file of a multipart upload (field `file`) and the other fields.
///
/// A file over [`storage::MAX_FILE_BYTES`] is read to its end and dropped, then refused
/// with the size message: answering before the browser finished sending makes it show
/// «connection reset» instead of the message.
///
/// # Errors
/// `Invalid` naming `file` when there is none, it is too large, or the form is broken.
pub async fn read_upload(mut mp: Multipart) -> AppResult<Upload> {
    let broken = |_| AppError::invalid("file", "файл передан не полностью — повторите загрузку");
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut too_big = false;
    let mut fields = Vec::new();
    while let Some(mut field) = mp.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("document").to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                if too_big || bytes.len() + chunk.len() > storage::MAX_FILE_BYTES {
                    too_big = true;
                    bytes = Vec::new();
                } else {
                    bytes.extend_from_slice(&chunk);
                }
            }
            // A browser sends an empty part when no file was chosen.
            if !(file_name.is_empty() && bytes.is_empty()) {
                file = Some((file_name, bytes));
            }
        } else {
            let value = field.text().await.unwrap_or_default();
            fields.push((name, value));
        }
    }
    if too_big {
        return Err(AppError::invalid("file", storage::too_big_message()));
    }
    let (file_name, bytes) = file.ok_or_else(|| AppError::invalid("file", "выберите файл"))?;
    Ok(Upload {
        file_name,
        bytes,
        fields,
    })
}
