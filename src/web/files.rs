//! Files crossing the edge: download responses with safe names, reading an upload from a
//! multipart form, and the page upload form's extractor with its CSRF check.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::once;
use crate::AppState;
use crate::auth::{CurrentUser, check_form};
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
}

/// An upload form posted from a page: the signed-in user and what was read, with the
/// form's CSRF and one-time tokens checked like every form's (`auth::Csrf`). A repeated
/// submission is answered by the extractor; an upload that could not be read is handed
/// to the handler (nothing happens with it but a message back on the page).
pub struct CsrfUpload(pub CurrentUser, pub AppResult<Upload>);

impl FromRequest<AppState> for CsrfUpload {
    type Rejection = Response;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, st)
            .await
            .map_err(IntoResponse::into_response)?;
        let headers = parts.headers.clone();
        let mp = match Multipart::from_request(Request::from_parts(parts, body), st).await {
            Ok(mp) => mp,
            Err(_) => {
                let e = AppError::invalid("file", "форма загрузки файла не распознана");
                return Ok(CsrfUpload(user, Err(e)));
            }
        };
        let up = match read_upload(mp).await {
            Ok(up) => up,
            Err(e) => return Ok(CsrfUpload(user, Err(e))),
        };
        let csrf = up.field("csrf").unwrap_or("");
        match check_form(st, &user, &headers, csrf, up.field(once::FIELD)).await {
            Ok(None) => Ok(CsrfUpload(user, Ok(up))),
            Ok(Some(repeated)) => Err(repeated),
            Err(e) => Err(e.into_response()),
        }
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
