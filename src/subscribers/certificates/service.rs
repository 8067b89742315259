//! Use cases over certificates: issuing at registration, finding, the revocation
//! request from draft to sent, and marking a certificate revoked when the certification
//! authority says so. Each state change asks [`apply`].

use chrono::Months;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Reason, RequestEvent, RequestState, apply};
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::clock::moscow;
use crate::entities::{application, certificate, revocation_request, subscriber};
use crate::error::{AppError, AppResult};
use crate::organisation::{Owner, stored};
use crate::storage;

/// A certificate's serial as hex, from 20 random bytes: RFC 5280 allows 20 octets of
/// a positive integer, and DER drops leading zero octets and adds one before a set top
/// bit — so the first octet is kept in 1..=0x7F, and the serial shown is exactly the
/// integer the certificate carries (a random 0x00 first octet once made them differ).
fn serial_of(mut bytes: [u8; 20]) -> String {
    bytes[0] = (bytes[0] & 0x7F).max(1);
    hex::encode(bytes)
}

/// Issues the certificate of a registered application's owner (inside the pipeline).
///
/// # Errors
/// Database errors.
pub async fn issue(
    w: &mut Write,
    sub: &subscriber::Model,
    product: Option<i64>,
    app: &application::Model,
) -> AppResult<certificate::Model> {
    let owner: Owner = stored("owner", &app.owner)?;
    let from = w.at().with_timezone(&moscow()).date_naive();
    let c = certificate::ActiveModel {
        id: NotSet,
        subscriber_id: Set(sub.id),
        product_account_id: Set(product),
        serial: Set(serial_of(rand::random())),
        owner_name: Set(owner.full_name),
        owner_snils: Set(owner.snils),
        owner_position: Set(owner.position),
        kind: Set(owner.certificate_type.as_str().to_owned()),
        state: Set("active".to_owned()),
        valid_from: Set(from),
        valid_to: Set(from.checked_add_months(Months::new(12)).unwrap_or(from)),
        container: Set(format!("registrar-{}", uuid::Uuid::new_v4().simple())),
        // A cloud signature's key lives on the signature service (manual l.2855–2864).
        provider: Set(if owner.cloud_signature {
            "Crypto-Pro GOST R 34.10-2012 HSM CSP".to_owned()
        } else {
            "УЦ «Калуга Астрал»".to_owned()
        }),
        application_id: Set(Some(app.id)),
        created_at: Set(w.at()),
        revoked_at: Set(None),
        der: Set(None),
    }
    .insert(&**w)
    .await?;
    w.record(
        Change::new("certificate.issue", "certificate", c.id)
            .after(json!({"subscriber": sub.id, "serial": c.serial})),
    );
    Ok(c)
}

pub(super) async fn certificate_in_scope(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<(certificate::Model, subscriber::Model)> {
    let c = certificate::Entity::find_by_id(id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let s = crate::subscribers::service::find(st, user, c.subscriber_id).await?;
    Ok((c, s))
}

pub(super) async fn request_in_scope(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<(
    revocation_request::Model,
    certificate::Model,
    subscriber::Model,
)> {
    let r = revocation_request::Entity::find_by_id(id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let (c, s) = certificate_in_scope(st, user, r.certificate_id).await?;
    Ok((r, c, s))
}

/// Certificates of a subscriber.
///
/// # Errors
/// Database errors.
pub async fn of_subscriber(
    st: &AppState,
    subscriber_id: i64,
) -> AppResult<(Vec<certificate::Model>, Vec<revocation_request::Model>)> {
    let certs = certificate::Entity::find()
        .filter(certificate::Column::SubscriberId.eq(subscriber_id))
        .order_by_asc(certificate::Column::Id)
        .all(&st.db)
        .await?;
    let requests = revocation_request::Entity::find()
        .filter(revocation_request::Column::SubscriberId.eq(subscriber_id))
        .order_by_desc(revocation_request::Column::Id)
        .all(&st.db)
        .await?;
    Ok((certs, requests))
}

/// Certificates that can still be revoked, found by ИНН/КПП among the user's subscribers.
///
/// # Errors
/// Database errors.
pub async fn find_revocable(
    st: &AppState,
    user: &CurrentUser,
    inn: &str,
    kpp: Option<&str>,
) -> AppResult<Vec<certificate::Model>> {
    let mut subs = subscriber::Entity::find()
        .filter(user.scope.subscribers())
        .filter(subscriber::Column::Inn.eq(inn.trim()));
    if let Some(k) = kpp.map(str::trim).filter(|k| !k.is_empty()) {
        subs = subs.filter(subscriber::Column::Kpp.eq(k));
    }
    let ids: Vec<i64> = subs.all(&st.db).await?.into_iter().map(|s| s.id).collect();
    Ok(certificate::Entity::find()
        .filter(certificate::Column::SubscriberId.is_in(ids))
        .filter(certificate::Column::State.eq("active"))
        .order_by_asc(certificate::Column::Id)
        .all(&st.db)
        .await?)
}

/// Starts a revocation request (a draft).
///
/// # Errors
/// `Conflict` for a revoked certificate or one with an open request; scope errors.
pub async fn request(
    st: &AppState,
    user: &CurrentUser,
    certificate_id: i64,
    reason: Reason,
) -> AppResult<revocation_request::Model> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let (c, s) = certificate_in_scope(st, user, certificate_id).await?;
    if c.state != "active" {
        return Err(AppError::refused(
            "certificate_revoked",
            "Сертификат уже отозван.",
        ));
    }
    let open = revocation_request::Entity::find()
        .filter(revocation_request::Column::CertificateId.eq(c.id))
        .filter(revocation_request::Column::State.ne(RequestState::Revoked.as_str()))
        .one(&st.db)
        .await?;
    if open.is_some() {
        return Err(AppError::refused(
            "revocation_request_open",
            "По сертификату уже есть незавершённое заявление на отзыв.",
        ));
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let r = revocation_request::ActiveModel {
        id: NotSet,
        version: Set(0),
        certificate_id: Set(c.id),
        subscriber_id: Set(s.id),
        reason: Set(reason.as_str().to_owned()),
        state: Set(RequestState::Draft),
        scan_key: Set(None),
        scan_sha256: Set(None),
        created_by: Set(user.login.clone()),
        created_at: Set(w.at()),
        sent_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&*w)
    .await?;
    w.record(
        Change::new("certificate.revocation_request", "certificate", c.id)
            .after(json!({"request": r.id, "reason": r.reason})),
    );
    w.commit().await?;
    Ok(r)
}

/// Attaches the signed scan of the application to a draft.
///
/// # Errors
/// `Invalid` naming `file`; `Conflict` when the request is not a draft.
pub async fn attach_scan(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    bytes: &[u8],
) -> AppResult<revocation_request::Model> {
    let (r, _, _) = request_in_scope(st, user, id).await?;
    apply(r.state, RequestEvent::AttachScan)?;
    let content_type = storage::check("file", bytes, storage::SCANS)?;
    let sha = hex::encode(Sha256::digest(bytes));
    let key = format!(
        "revocations/{}-{}.{}",
        r.id,
        &sha[..16],
        storage::extension(content_type)
    );
    let root = &st.config.documents_dir;
    storage::put(root, &key, bytes).await?;
    let saved = save_scan(st, user, &r, &key, &sha).await;
    match saved {
        Ok(()) => {
            if let Some(old) = r.scan_key.as_deref().filter(|k| *k != key) {
                storage::remove(root, old).await;
            }
        }
        Err(e) => {
            let referenced = revocation_request::Entity::find()
                .filter(revocation_request::Column::ScanKey.eq(&key))
                .one(&st.db)
                .await
                .map_or(true, |r| r.is_some());
            storage::discard_unless_referenced(root, &key, referenced).await;
            return Err(e);
        }
    }
    revocation_request::Entity::find_by_id(r.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Records the scan on the request with a version check: of two concurrent uploads one
/// wins, the other is told the request changed.
async fn save_scan(
    st: &AppState,
    user: &CurrentUser,
    r: &revocation_request::Model,
    key: &str,
    sha: &str,
) -> AppResult<()> {
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let scan = revocation_request::Entity::update_many()
        .col_expr(revocation_request::Column::ScanKey, Expr::value(Some(key)))
        .col_expr(
            revocation_request::Column::ScanSha256,
            Expr::value(Some(sha)),
        );
    if !versioned(&w, scan, r).await? {
        return Err(AppError::Stale {
            current_state: None,
        });
    }
    w.record(
        Change::new("certificate.revocation_scan", "revocation_request", r.id)
            .after(json!({"sha256": sha})),
    );
    w.commit().await
}

/// Moves a request by `event` with a version check, stamping `at_col`; the machine
/// decides the target. `false` when someone else changed the request first.
async fn move_request(
    w: &Write,
    r: &revocation_request::Model,
    event: RequestEvent,
    at_col: revocation_request::Column,
) -> AppResult<bool> {
    let to = apply(r.state, event)?;
    let update = revocation_request::Entity::update_many()
        .col_expr(revocation_request::Column::State, Expr::value(to.as_str()))
        .col_expr(at_col, Expr::value(Some(w.at())));
    versioned(w, update, r).await
}

/// `update` applied to `r` only while it is at the version read.
async fn versioned(
    w: &Write,
    update: sea_orm::UpdateMany<revocation_request::Entity>,
    r: &revocation_request::Model,
) -> AppResult<bool> {
    Ok(crate::db::update_versioned(
        &**w,
        update,
        (revocation_request::Column::Id, r.id),
        (revocation_request::Column::Version, r.version),
    )
    .await?)
}

/// The certification authority revoked the certificate of a sent request: the request
/// and the certificate become revoked, inside `w`. `false` when the request changed
/// meanwhile (nothing is written then).
///
/// # Errors
/// `Conflict` when the request is not sent; database errors.
pub async fn mark_revoked(w: &mut Write, r: &revocation_request::Model) -> AppResult<bool> {
    if !move_request(
        w,
        r,
        RequestEvent::CaRevoked,
        revocation_request::Column::RevokedAt,
    )
    .await?
    {
        return Ok(false);
    }
    certificate::Entity::update_many()
        .col_expr(certificate::Column::State, Expr::value("revoked"))
        .col_expr(certificate::Column::RevokedAt, Expr::value(Some(w.at())))
        .filter(certificate::Column::Id.eq(r.certificate_id))
        .exec(&**w)
        .await?;
    w.record(
        Change::new("certificate.revoked", "certificate", r.certificate_id)
            .after(json!({"request": r.id})),
    );
    Ok(true)
}

/// Sends a draft with its signed scan to the CA.
///
/// # Errors
/// `Invalid` naming `scan` without one; `Conflict` out of state; `Stale` on a lost race.
pub async fn send(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    expected_version: Option<i32>,
) -> AppResult<revocation_request::Model> {
    let (r, _, _) = request_in_scope(st, user, id).await?;
    apply(r.state, RequestEvent::Send)?;
    if r.scan_key.is_none() {
        return Err(AppError::invalid(
            "scan",
            "прикрепите подписанный скан заявления",
        ));
    }
    if expected_version.is_some_and(|v| v != r.version) {
        return Err(AppError::Stale {
            current_state: Some(r.state.as_str().to_owned()),
        });
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    if !move_request(
        &w,
        &r,
        RequestEvent::Send,
        revocation_request::Column::SentAt,
    )
    .await?
    {
        return Err(AppError::Stale {
            current_state: None,
        });
    }
    w.record(
        Change::new("certificate.revocation_send", "revocation_request", r.id)
            .after(json!({"state": "sent"})),
    );
    w.commit().await?;
    revocation_request::Entity::find_by_id(r.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// «Экспортировать серт.» (§11.7, manual l.1943): a zip archive with the certificate's
/// file (`<serial>.cer`, DER), as the certification authority hands it out; kept on the
/// first export, so every later one gives the same file.
///
/// # Errors
/// `NotFound` outside the caller's scope; `Refused` (`certificate_file`) when the
/// authority cannot give it.
pub async fn export_archive(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<(String, Vec<u8>)> {
    use sea_orm::sea_query::Expr;
    use std::io::Write as _;
    let (c, s) = certificate_in_scope(st, user, id).await?;
    let der = match c.der.clone() {
        Some(d) => d,
        None => {
            let d = st
                .ca
                .certificate_file(&c, &s)
                .map_err(|m| AppError::refused("certificate_file", m))?;
            // Kept only if nobody kept one first: then theirs is the file.
            certificate::Entity::update_many()
                .col_expr(certificate::Column::Der, Expr::value(Some(d.clone())))
                .filter(certificate::Column::Id.eq(c.id))
                .filter(certificate::Column::Der.is_null())
                .exec(&st.db)
                .await?;
            certificate::Entity::find_by_id(c.id)
                .one(&st.db)
                .await?
                .and_then(|c| c.der)
                .unwrap_or(d)
        }
    };
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let zerr = |e: zip::result::ZipError| AppError::Internal(e.into());
    z.start_file(format!("{}.cer", c.serial), opts)
        .map_err(zerr)?;
    z.write_all(&der)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        format!("sertifikat-{}.zip", c.serial),
        z.finish().map_err(zerr)?.into_inner(),
    ))
}

#[cfg(test)]
mod tests {
    use super::serial_of;

    #[test]
    fn a_serial_is_the_integer_the_certificate_carries() {
        for first in [0x00, 0x01, 0x7F, 0x80, 0xFF] {
            let mut bytes = [0xAB; 20];
            bytes[0] = first;
            let s = serial_of(bytes);
            assert_eq!(s.len(), 40, "20 octets");
            let top = u8::from_str_radix(&s[..2], 16).unwrap();
            assert!((1..=0x7F).contains(&top), "{first:#04x} → {top:#04x}");
            assert_eq!(&s[2..], "ab".repeat(19));
        }
    }
}
