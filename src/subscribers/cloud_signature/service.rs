//! Cloud-signature accounts: opened when the certificate is issued, then worked from the
//! window «Управление облачной подписью». Each action loads the account, asks
//! [`super::decide`], calls the signature service (and the SMS gateway), and saves with
//! a version check and a journal entry. The scope is the subscriber's: whoever may open
//! the card may work its accounts; the signature service's news come from the operator's
//! side (`Role::Operator`), as the e-filing feeds do.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::dss::SignatureService;
use super::{Account, AccountEvent, AccountState};
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{application, certificate, cloud_signature_account as account, subscriber};
use crate::error::{AppError, AppResult};

/// Opens the account of a certificate issued for an owner with a cloud signature, inside
/// the issuing transaction.
///
/// # Errors
/// `Refused` (`signature_service`) when the service refuses; database errors.
pub async fn open_account(
    w: &mut Write,
    dss: &dyn SignatureService,
    sub: &subscriber::Model,
    cert: &certificate::Model,
    app: &application::Model,
) -> AppResult<account::Model> {
    let phone = app
        .mobile_phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .unwrap_or_default()
        .to_owned();
    let created = dss
        .create(&cert.owner_name, &phone)
        .map_err(service_refused)?;
    let a = account::ActiveModel {
        id: NotSet,
        version: Set(0),
        subscriber_id: Set(sub.id),
        certificate_id: Set(cert.id),
        application_id: Set(Some(app.id)),
        owner_name: Set(cert.owner_name.clone()),
        phone: Set(phone),
        state: Set(AccountState::QrIssued),
        service_account: Set(created.account),
        qr_generation: Set(1),
        qr_payload: Set(created.qr),
        qr_pending: Set(false),
        password_pending: Set(false),
        activation_sent_at: Set(None),
        created_at: Set(w.at()),
        updated_at: Set(w.at()),
    }
    .insert(&**w)
    .await?;
    w.record(
        Change::new("cloud_signature.open", "cloud_signature", a.id).after(json!({
            "subscriber": sub.id, "certificate": cert.id, "state": a.state,
        })),
    );
    Ok(a)
}

fn service_refused(m: String) -> AppError {
    AppError::refused(
        "signature_service",
        format!("Сервис облачной подписи отказал: {m}"),
    )
}

/// An account the caller may see, with its subscriber.
///
/// # Errors
/// `NotFound` outside the caller's scope.
pub async fn find(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<(account::Model, subscriber::Model)> {
    let a = account::Entity::find_by_id(id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let sub = crate::subscribers::service::find(st, user, a.subscriber_id).await?;
    Ok((a, sub))
}

/// The accounts of a subscriber (the card's certificates tab).
///
/// # Errors
/// Database errors.
pub async fn of_subscriber(st: &AppState, subscriber_id: i64) -> AppResult<Vec<account::Model>> {
    Ok(account::Entity::find()
        .filter(account::Column::SubscriberId.eq(subscriber_id))
        .order_by_asc(account::Column::Id)
        .all(&st.db)
        .await?)
}

/// The machine's view of a stored account.
pub fn machine(a: &account::Model) -> Account {
    Account {
        state: a.state,
        qr_pending: a.qr_pending,
        password_pending: a.password_pending,
    }
}

/// The people's events the account allows now (the window shows these buttons).
pub fn allowed(a: &account::Model) -> Vec<AccountEvent> {
    AccountEvent::ALL
        .into_iter()
        .filter(|e| !e.from_service() && super::decide(machine(a), *e).is_ok())
        .collect()
}

/// What an action did, as the window says it.
#[derive(Debug, Clone)]
pub struct Done {
    pub account: account::Model,
    pub message: String,
}

/// Fires `event` on the account: a button of the window, or the signature service's news.
///
/// # Errors
/// `NotFound` (scope), `Forbidden` (role: people's events for partners, sales centers and
/// the operator; the service's news for the operator), `Conflict` naming the state,
/// `Refused` (`password_file_pending`, `qr_not_updated`, `nothing_pending`, `no_phone`,
/// `signature_service`), `Stale` when `version` is not the account's.
pub async fn act(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    event: AccountEvent,
    version: Option<i32>,
) -> AppResult<Done> {
    if event.from_service() {
        user.require(&[Role::Operator])?;
    } else {
        user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    }
    let (a, _) = find(st, user, id).await?;
    if version.is_some_and(|v| v != a.version) {
        return Err(AppError::Stale {
            current_state: Some(a.state.as_str().to_owned()),
        });
    }
    let outcome = super::decide(machine(&a), event)?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let mut generation = a.qr_generation;
    let mut payload = a.qr_payload.clone();
    let mut activation_sent_at = a.activation_sent_at;
    let dss = &*st.dss;
    let message = match event {
        AccountEvent::PrintQr => format!(
            "QR-код № {} отправлен на печать. Передайте его абоненту для сканирования в приложении myDSS.",
            a.qr_generation
        ),
        AccountEvent::SendActivationCode => {
            if a.phone.is_empty() {
                return Err(AppError::refused(
                    "no_phone",
                    "У владельца облачной подписи не указан мобильный телефон: код активации некуда отправить.",
                ));
            }
            let code = dss
                .activation_code(&a.service_account)
                .map_err(service_refused)?;
            st.sms
                .send(
                    &w,
                    w.at(),
                    &a.phone,
                    &format!("Код активации myDSS: {code}. Никому не сообщайте его."),
                    ("cloud_signature", a.id.to_string()),
                )
                .await?;
            activation_sent_at = Some(w.at());
            format!(
                "На номер телефона {} отправлен код активации для приложения myDSS.",
                a.phone
            )
        }
        AccountEvent::NewPassword => {
            dss.new_password(&a.service_account)
                .map_err(service_refused)?;
            "Новый пароль и файл автонастройки отправлены в 1С. Обработайте файл автонастройки в программе абонента.".to_owned()
        }
        AccountEvent::NewQr => {
            generation += 1;
            payload = dss
                .new_qr(&a.service_account, generation)
                .map_err(service_refused)?;
            format!(
                "Новый QR-код № {generation} выдан. Распечатайте его и передайте абоненту: до сканирования в myDSS следующий сформировать нельзя."
            )
        }
        AccountEvent::Delete => {
            dss.delete(&a.service_account).map_err(service_refused)?;
            "Учетная запись облачной подписи удалена.".to_owned()
        }
        AccountEvent::Activated => "Облачная подпись активирована в myDSS.".to_owned(),
        AccountEvent::QrUpdated => "Новый QR-код обновлен в приложении myDSS.".to_owned(),
        AccountEvent::PasswordFileReceived => "Файл автонастройки получен в 1С.".to_owned(),
    };
    let after = outcome.account;
    let res = account::Entity::update_many()
        .col_expr(account::Column::State, Expr::value(after.state.as_str()))
        .col_expr(account::Column::QrPending, Expr::value(after.qr_pending))
        .col_expr(
            account::Column::PasswordPending,
            Expr::value(after.password_pending),
        )
        .col_expr(account::Column::QrGeneration, Expr::value(generation))
        .col_expr(account::Column::QrPayload, Expr::value(payload))
        .col_expr(
            account::Column::ActivationSentAt,
            Expr::value(activation_sent_at),
        )
        .col_expr(account::Column::UpdatedAt, Expr::value(w.at()))
        .col_expr(account::Column::Version, Expr::value(a.version + 1))
        .filter(account::Column::Id.eq(a.id))
        .filter(account::Column::Version.eq(a.version))
        .exec(&*w)
        .await?;
    if res.rows_affected == 0 {
        drop(w);
        let current = account::Entity::find_by_id(a.id).one(&st.db).await?;
        return Err(AppError::Stale {
            current_state: current.map(|c| c.state.as_str().to_owned()),
        });
    }
    w.record(
        Change::new(
            &format!("cloud_signature.{}", event.as_str()),
            "cloud_signature",
            a.id,
        )
        .before(json!({"state": a.state, "qr_generation": a.qr_generation}))
        .after(json!({"state": after.state, "qr_generation": generation,
                      "qr_pending": after.qr_pending, "password_pending": after.password_pending})),
    );
    w.commit().await?;
    let account = account::Entity::find_by_id(a.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Done { account, message })
}
