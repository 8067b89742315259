//! Storing, replacing and reading the documents attached to an application (§5).
//!
//! Files live under the configured directory as `<application>/<kind>-<sha256>.<ext>`;
//! the table keeps the name, type, size and checksum. A replaced file is removed after
//! the new one is committed.

use std::io::Write as _;
use std::path::PathBuf;

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, ModelTrait, QueryFilter, QueryOrder};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::documents::{self, DocumentKind};
use super::service::{self, Caller, state_of};
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{application, application_document};
use crate::error::{AppError, AppResult};

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "pdf",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/tiff" => "tif",
        "application/zip" => "zip",
        _ => "bin",
    }
}

/// Keeps only characters that are safe in a download name.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | ':' | '*' | '?'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "document".to_owned()
    } else {
        cleaned.chars().take(150).collect()
    }
}

fn path_of(st: &AppState, key: &str) -> PathBuf {
    st.config.documents_dir.join(key)
}

/// Attaches (or replaces) the document of `kind`.
///
/// # Errors
/// `Invalid` naming `kind` or `file` (unknown kind, empty, too large, not a scan);
/// `Conflict` when the application is already closed; scope and role errors.
pub async fn attach(
    st: &AppState,
    user: &CurrentUser,
    app_id: i64,
    kind: &str,
    file_name: &str,
    bytes: &[u8],
) -> AppResult<application_document::Model> {
    user.require(&[Role::Partner, Role::Operator])?;
    let app = service::find(st, Caller::User(user), app_id).await?;
    let kind = DocumentKind::parse(kind)
        .ok_or_else(|| AppError::invalid("kind", "неизвестный вид документа"))?;
    let state = state_of(&app)?;
    if state.is_final() {
        return Err(AppError::Conflict {
            current_state: state.as_str().to_owned(),
            event: "attach_document".to_owned(),
        });
    }
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "файл пустой"));
    }
    if bytes.len() > documents::MAX_FILE_BYTES {
        return Err(AppError::invalid(
            "file",
            format!("файл больше {} МБ", documents::MAX_FILE_BYTES / 1024 / 1024),
        ));
    }
    let content_type = documents::sniff(bytes)
        .filter(|t| documents::ALLOWED_CONTENT_TYPES.contains(t))
        .ok_or_else(|| AppError::invalid("file", "допустимы файлы PDF, JPEG, PNG, TIFF или ZIP"))?;
    let sha = hex::encode(Sha256::digest(bytes));
    let key = format!(
        "{}/{}-{}.{}",
        app.id,
        kind.as_str(),
        &sha[..16],
        extension(content_type)
    );
    let path = path_of(st, &key);

    let data = bytes.to_vec();
    let target = path.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let dir = target.parent().expect("documents live in a folder");
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(&data)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&target).map_err(|e| e.error)?;
        Ok(())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| AppError::Internal(e.into()))?;

    let now = st.clock.now();
    let old = application_document::Entity::find()
        .filter(application_document::Column::ApplicationId.eq(app.id))
        .filter(application_document::Column::Kind.eq(kind.as_str()))
        .one(&st.db)
        .await?;
    let mut w = Write::begin(&st.db, user.actor(), now).await?;
    if let Some(o) = &old {
        o.clone().delete(&*w).await?;
    }
    let doc = application_document::ActiveModel {
        id: NotSet,
        application_id: Set(app.id),
        kind: Set(kind.as_str().to_owned()),
        file_name: Set(clean_file_name(file_name)),
        content_type: Set(content_type.to_owned()),
        size_bytes: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        sha256: Set(sha),
        storage_key: Set(key.clone()),
        uploaded_at: Set(now),
        uploaded_by: Set(user.login.clone()),
    }
    .insert(&*w)
    .await?;
    let mut change = Change::new(if old.is_some() { "application.document_replace" } else { "application.document_attach" }, "application", app.id)
        .after(json!({"kind": kind.as_str(), "file": doc.file_name, "sha256": doc.sha256, "size": doc.size_bytes}));
    if let Some(o) = &old {
        change =
            change.before(json!({"kind": kind.as_str(), "file": o.file_name, "sha256": o.sha256}));
    }
    w.record(change);
    w.commit().await?;
    if let Some(o) = old.filter(|o| o.storage_key != key) {
        let _ = tokio::fs::remove_file(path_of(st, &o.storage_key)).await;
    }
    Ok(doc)
}

/// The documents of an application (the caller already passed the scope check for it).
///
/// # Errors
/// Scope errors, database errors.
pub async fn list(
    st: &AppState,
    app: &application::Model,
) -> AppResult<Vec<application_document::Model>> {
    Ok(application_document::Entity::find()
        .filter(application_document::Column::ApplicationId.eq(app.id))
        .order_by_asc(application_document::Column::Id)
        .all(&st.db)
        .await?)
}

/// One document with its bytes.
///
/// # Errors
/// `NotFound` when the application is not the caller's or the document is missing.
pub async fn read(
    st: &AppState,
    user: &CurrentUser,
    app_id: i64,
    kind: &str,
) -> AppResult<(application_document::Model, Vec<u8>)> {
    let app = service::find(st, Caller::User(user), app_id).await?;
    let doc = application_document::Entity::find()
        .filter(application_document::Column::ApplicationId.eq(app.id))
        .filter(application_document::Column::Kind.eq(kind))
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let bytes = tokio::fs::read(path_of(st, &doc.storage_key))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((doc, bytes))
}

/// Every document of an application as one zip archive.
///
/// # Errors
/// As [`read`]; `NotFound` when nothing is attached.
pub async fn zip_all(st: &AppState, user: &CurrentUser, app_id: i64) -> AppResult<Vec<u8>> {
    let app = service::find(st, Caller::User(user), app_id).await?;
    let docs = list(st, &app).await?;
    if docs.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut files = Vec::new();
    for d in docs {
        let bytes = tokio::fs::read(path_of(st, &d.storage_key))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let kind = DocumentKind::parse(&d.kind).map_or("other", DocumentKind::as_str);
        files.push((format!("{kind} - {}", d.file_name), bytes));
    }
    tokio::task::spawn_blocking(move || -> zip::result::ZipResult<Vec<u8>> {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in files {
            z.start_file(name, opts)?;
            z.write_all(&bytes)?;
        }
        Ok(z.finish()?.into_inner())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| AppError::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(
            super::clean_file_name("C:\\scans\\паспорт.pdf"),
            "паспорт.pdf"
        );
        assert_eq!(super::clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(super::clean_file_name("..."), "document");
    }
}
