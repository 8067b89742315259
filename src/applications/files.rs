//! Storing, replacing and reading the documents attached to an application (§5).
//!
//! Files live under the configured directory as `<application>/<kind>-<sha256>.<ext>`;
//! the table keeps the name, type, size and checksum. A replaced file is removed after
//! the new one is committed.

use std::io::Write as _;

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::documents::DocumentKind;
use super::service::{self, Caller};
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{application, application_document};
use crate::error::{AppError, AppResult};
use crate::storage;

/// Who may read an application's documents (within their scope): never the intake.
const READERS: &[Role] = &[
    Role::Partner,
    Role::SalesCenter,
    Role::Operator,
    Role::IdentificationCenter,
];

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
    let state = app.state;
    if !kind.attachable_in(state) {
        return Err(AppError::conflict(
            state.as_str(),
            "attach_document",
            format!(
                "Документы закрытого заявления не меняются: оно в состоянии «{}».",
                state.title_ru()
            ),
        ));
    }
    let content_type = storage::check("file", bytes, storage::SCANS_OR_ZIP)?;
    let sha = hex::encode(Sha256::digest(bytes));
    let key = format!(
        "{}/{}-{}.{}",
        app.id,
        kind.as_str(),
        &sha[..16],
        storage::extension(content_type)
    );
    let root = &st.config.documents_dir;
    // The file first, under a key only this content has; then the row in one
    // transaction whose first statement takes the old row away (on SQLite the write lock
    // is already held: concurrent uploads of one kind queue). If the transaction fails the
    // file goes again — unless a committed row names the same key.
    storage::put(root, &key, bytes).await?;
    let now = st.clock.now();
    let saved = save_document(
        st,
        user,
        &app,
        kind,
        NewDocument {
            file_name: storage::file_name_for(file_name, content_type),
            content_type,
            size: bytes.len(),
            sha,
            key: key.clone(),
        },
        now,
    )
    .await;
    match saved {
        Ok((doc, old)) => {
            if let Some(o) = old.filter(|o| o.storage_key != key) {
                storage::remove(root, &o.storage_key).await;
            }
            Ok(doc)
        }
        Err(e) => {
            let referenced = application_document::Entity::find()
                .filter(application_document::Column::StorageKey.eq(&key))
                .one(&st.db)
                .await
                .map_or(true, |r| r.is_some());
            storage::discard_unless_referenced(root, &key, referenced).await;
            Err(e)
        }
    }
}

struct NewDocument {
    file_name: String,
    content_type: &'static str,
    size: usize,
    sha: String,
    key: String,
}

/// Replaces the row of `kind` in one audited transaction; answers the new row and the
/// one it replaced.
async fn save_document(
    st: &AppState,
    user: &CurrentUser,
    app: &application::Model,
    kind: DocumentKind,
    new: NewDocument,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<(
    application_document::Model,
    Option<application_document::Model>,
)> {
    let mut w = Write::begin(&st.db, user.actor(), now).await?;
    let old = application_document::Entity::delete_many()
        .filter(application_document::Column::ApplicationId.eq(app.id))
        .filter(application_document::Column::Kind.eq(kind.as_str()))
        .exec_with_returning(&*w)
        .await?
        .into_iter()
        .next();
    let doc = application_document::ActiveModel {
        id: NotSet,
        application_id: Set(app.id),
        kind: Set(kind.as_str().to_owned()),
        file_name: Set(new.file_name),
        content_type: Set(new.content_type.to_owned()),
        size_bytes: Set(i64::try_from(new.size).unwrap_or(i64::MAX)),
        sha256: Set(new.sha),
        storage_key: Set(new.key),
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
    Ok((doc, old))
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
    user.require(READERS)?;
    let app = service::find(st, Caller::User(user), app_id).await?;
    let doc = application_document::Entity::find()
        .filter(application_document::Column::ApplicationId.eq(app.id))
        .filter(application_document::Column::Kind.eq(kind))
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let bytes = storage::read(&st.config.documents_dir, &doc.storage_key).await?;
    Ok((doc, bytes))
}

/// Every document of an application as one zip archive.
///
/// # Errors
/// As [`read`]; `NotFound` when nothing is attached.
pub async fn zip_all(st: &AppState, user: &CurrentUser, app_id: i64) -> AppResult<Vec<u8>> {
    user.require(READERS)?;
    let app = service::find(st, Caller::User(user), app_id).await?;
    let docs = list(st, &app).await?;
    if docs.is_empty() {
        return Err(AppError::NotFound);
    }
    let mut files = Vec::new();
    for d in docs {
        let bytes = storage::read(&st.config.documents_dir, &d.storage_key).await?;
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
