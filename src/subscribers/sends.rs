//! The e-filing side's feed of sends: the last day each subscriber sent reports to each
//! authority (`POST /api/v1/sends`, operator — the same side that reports the
//! representatives' transactions). The partner-activity report reads it: a subscriber
//! without a send in any direction for 90 days is inactive (manual l.2826).

use std::collections::HashSet;

use chrono::NaiveDate;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{product_account, subscriber, subscriber_send};
use crate::error::{AppError, AppResult, FieldError};
use crate::organisation::Authority;

/// Subscribers in one request.
const MAX_SUBSCRIBERS: usize = 10_000;

/// The subscriber a feed names by its requisites, or by the GUID of one of its product
/// accounts where the requisites name several. Refusals name `{path}.inn`,
/// `{path}.product_guid`.
///
/// # Errors
/// `Invalid` when none or several match.
pub async fn find_by_requisites<C: ConnectionTrait>(
    db: &C,
    path: &str,
    inn: &str,
    kpp: Option<&str>,
    product_guid: Option<&str>,
) -> AppResult<subscriber::Model> {
    let field = |name: &str, message: &str| AppError::invalid(format!("{path}.{name}"), message);
    if let Some(guid) = product_guid {
        let account = product_account::Entity::find()
            .filter(product_account::Column::Guid.eq(guid.trim()))
            .one(db)
            .await?
            .ok_or_else(|| field("product_guid", "учетная запись с таким GUID не найдена"))?;
        return subscriber::Entity::find_by_id(account.subscriber_id)
            .one(db)
            .await?
            .filter(|s| s.inn == inn.trim())
            .ok_or_else(|| {
                field(
                    "product_guid",
                    "GUID принадлежит учетной записи другой организации",
                )
            });
    }
    let mut found = subscriber::Entity::find()
        .filter(subscriber::Column::Inn.eq(inn.trim()))
        .filter(match kpp {
            Some(kpp) => subscriber::Column::Kpp.eq(kpp.trim()),
            None => subscriber::Column::Kpp.is_null(),
        })
        .limit(2)
        .all(db)
        .await?;
    match found.len() {
        0 => Err(field(
            "inn",
            "абонент с такими ИНН/КПП не найден среди абонентов",
        )),
        1 => Ok(found.remove(0)),
        _ => Err(field(
            "product_guid",
            "по ИНН/КПП найдено несколько абонентов — укажите GUID учетной записи",
        )),
    }
}

/// One subscriber's directions sent to on the day.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriberSends {
    /// ИНН абонента
    pub inn: String,
    /// КПП (для ИП не указывается)
    #[serde(default)]
    pub kpp: Option<String>,
    /// GUID учетной записи продукта, когда по ИНН/КПП найдено несколько абонентов
    #[serde(default)]
    pub product_guid: Option<String>,
    /// Контролирующие органы, в которые были отправки: `fns`, `pfr`, `fss`, `rosstat`, `rar`, `rpn`, `fts`
    pub authorities: Vec<Authority>,
}

/// `POST /sends`: the subscribers that sent reports on a day and where to. A day already
/// recorded, or an earlier one, changes nothing: the last send is kept.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendsReport {
    /// День отправок, ГГГГ-ММ-ДД
    pub date: String,
    pub subscribers: Vec<SubscriberSends>,
}

/// What [`record`] stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SendsRecorded {
    /// День отправок
    pub date: String,
    /// Абонентов в запросе
    pub subscribers: usize,
    /// Направлений, у которых сдвинулась дата последней отправки
    pub updated: usize,
}

fn checked(r: &SendsReport, today: NaiveDate) -> AppResult<NaiveDate> {
    let on = NaiveDate::parse_from_str(r.date.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| chrono::Datelike::year(d) >= 2000)
        .ok_or_else(|| AppError::invalid("date", "неверная дата: ожидается ГГГГ-ММ-ДД"))?;
    if on > today {
        return Err(AppError::invalid("date", "день еще не наступил"));
    }
    if r.subscribers.is_empty() {
        return Err(AppError::invalid("subscribers", "нет ни одного абонента"));
    }
    if r.subscribers.len() > MAX_SUBSCRIBERS {
        return Err(AppError::invalid(
            "subscribers",
            format!("не больше {MAX_SUBSCRIBERS} абонентов в одном запросе"),
        ));
    }
    let mut errors = Vec::new();
    for (i, s) in r.subscribers.iter().enumerate() {
        if let Err(m) = crate::requisites::inn(&s.inn) {
            errors.push(FieldError::new(format!("subscribers[{i}].inn"), m));
        }
        if let Some(Err(m)) = s.kpp.as_deref().map(crate::requisites::kpp) {
            errors.push(FieldError::new(format!("subscribers[{i}].kpp"), m));
        }
        if s.authorities.is_empty() {
            errors.push(FieldError::new(
                format!("subscribers[{i}].authorities"),
                "нет ни одного органа",
            ));
        }
    }
    if errors.is_empty() {
        Ok(on)
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Records the day's sends (operator: the e-filing side), all or nothing.
///
/// # Errors
/// `Forbidden` for other roles; `Invalid` naming the field (a subscriber not found by
/// its position, `subscribers[i].inn`).
pub async fn record(
    st: &AppState,
    user: &CurrentUser,
    r: &SendsReport,
) -> AppResult<SendsRecorded> {
    user.require(&[Role::Operator])?;
    let on = checked(r, st.clock.today())?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let mut updated = 0;
    let mut seen = HashSet::new();
    for (i, s) in r.subscribers.iter().enumerate() {
        let sub = find_by_requisites(
            &*w,
            &format!("subscribers[{i}]"),
            &s.inn,
            s.kpp.as_deref(),
            s.product_guid.as_deref(),
        )
        .await?;
        let known: Vec<subscriber_send::Model> = subscriber_send::Entity::find()
            .filter(subscriber_send::Column::SubscriberId.eq(sub.id))
            .all(&*w)
            .await?;
        let mut moved = Vec::new();
        for a in &s.authorities {
            if !seen.insert((sub.id, *a)) {
                continue;
            }
            match known.iter().find(|k| k.authority == *a) {
                Some(k) if k.last_sent_on >= on => {}
                Some(k) => {
                    subscriber_send::Entity::update(subscriber_send::ActiveModel {
                        id: Set(k.id),
                        last_sent_on: Set(on),
                        updated_at: Set(w.at()),
                        ..Default::default()
                    })
                    .exec(&*w)
                    .await?;
                    moved.push(a.as_str());
                }
                None => {
                    subscriber_send::Entity::insert(subscriber_send::ActiveModel {
                        id: NotSet,
                        subscriber_id: Set(sub.id),
                        authority: Set(*a),
                        last_sent_on: Set(on),
                        updated_at: Set(w.at()),
                    })
                    .exec(&*w)
                    .await?;
                    moved.push(a.as_str());
                }
            }
        }
        if !moved.is_empty() {
            updated += moved.len();
            w.record(
                Change::new("subscriber.sends_recorded", "subscriber", sub.id)
                    .after(json!({"date": on.to_string(), "authorities": moved})),
            );
        }
    }
    if w.has_changes() {
        w.commit().await?;
    }
    Ok(SendsRecorded {
        date: on.to_string(),
        subscribers: r.subscribers.len(),
        updated,
    })
}
