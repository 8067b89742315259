//! Authorized representatives' transactions as use cases: the e-filing side reports a
//! representative's sends of a quarter (the API and the CSV import share [`record`]);
//! the quarter-end month's reconciliation reads them as its second tab.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::CatalogRows;
use super::chain::header_for_write;
use super::edits::bump;
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{licence, partner, region, subscriber, up_transaction};
use crate::error::{AppError, AppResult};
use crate::organisation::Authority;
use crate::reconciliation::builder::Period;
use crate::reconciliation::up::{self, Quarter, Representative, UpClient, UpLine};

/// Counts accepted for one client in one request.
const MAX_COUNT: i64 = 1_000_000;
/// Clients in one request.
const MAX_CLIENTS: usize = 10_000;

/// Who the sends are for: the representative, a subscriber, by its requisites or the
/// GUID of one of its product accounts.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeRef {
    /// ИНН уполномоченного представителя
    pub inn: String,
    /// КПП (для ИП не указывается)
    #[serde(default)]
    pub kpp: Option<String>,
    /// GUID учетной записи продукта, когда по ИНН/КПП найдено несколько абонентов
    #[serde(default)]
    pub product_guid: Option<String>,
}

/// One client organisation's sends by authority.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientSends {
    /// ИНН организации, за которую отправлялась отчетность
    pub inn: String,
    /// КПП (для ИП не указывается)
    #[serde(default)]
    pub kpp: Option<String>,
    /// Наименование организации
    pub name: String,
    /// Завершенные документообороты по контролирующим органам: `{"fns": 2, "pfr": 3}`
    #[schema(value_type = Object)]
    pub sends: HashMap<Authority, i64>,
}

/// `POST /up-transactions`: a representative's sends of a quarter. A client and
/// authority sent again replaces its count (the first one received stays as
/// «Количество»); clients not named keep theirs.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpReport {
    /// Квартал, ГГГГ-Qn (например 2025-Q1)
    pub quarter: String,
    pub representative: RepresentativeRef,
    pub clients: Vec<ClientSends>,
}

/// What [`record`] stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    /// Квартал
    pub quarter: String,
    /// Месяц сверки, в которой квартал сверяется
    pub period: String,
    /// Код партнера, обслуживающего представителя
    pub partner_code: String,
    /// Идентификатор абонента-представителя
    pub representative_id: i64,
    /// Строк (организация × орган) добавлено
    pub added: usize,
    /// Строк уточнено
    pub updated: usize,
}

fn field(path: String, message: impl Into<String>) -> AppError {
    AppError::invalid(path, message.into())
}

/// The report's own checks, before anything is read.
fn checked(r: &UpReport, today: NaiveDate) -> AppResult<Quarter> {
    let q = Quarter::parse(&r.quarter).map_err(|m| field("quarter".into(), m))?;
    if q.first_day() > today {
        return Err(field("quarter".into(), "квартал еще не начался"));
    }
    crate::requisites::inn(&r.representative.inn)
        .map_err(|m| field("representative.inn".into(), m))?;
    if let Some(kpp) = &r.representative.kpp {
        crate::requisites::kpp(kpp).map_err(|m| field("representative.kpp".into(), m))?;
    }
    if r.clients.is_empty() {
        return Err(field("clients".into(), "нет ни одной организации"));
    }
    if r.clients.len() > MAX_CLIENTS {
        return Err(field(
            "clients".into(),
            format!("не больше {MAX_CLIENTS} организаций в одном запросе"),
        ));
    }
    for (i, c) in r.clients.iter().enumerate() {
        crate::requisites::inn(&c.inn).map_err(|m| field(format!("clients[{i}].inn"), m))?;
        if let Some(kpp) = &c.kpp {
            crate::requisites::kpp(kpp).map_err(|m| field(format!("clients[{i}].kpp"), m))?;
        }
        let name = c.name.trim();
        if name.is_empty() || name.chars().count() > 500 {
            return Err(field(
                format!("clients[{i}].name"),
                "наименование от 1 до 500 знаков",
            ));
        }
        if c.sends.is_empty() {
            return Err(field(format!("clients[{i}].sends"), "нет ни одного органа"));
        }
        for (a, n) in &c.sends {
            if !(0..=MAX_COUNT).contains(n) {
                return Err(field(
                    format!("clients[{i}].sends.{a}"),
                    format!("количество от 0 до {MAX_COUNT}"),
                ));
            }
        }
    }
    Ok(q)
}

/// The representative the report names: one subscriber, by GUID or by its requisites.
async fn representative<C: ConnectionTrait>(
    db: &C,
    r: &RepresentativeRef,
) -> AppResult<subscriber::Model> {
    crate::subscribers::sends::find_by_requisites(
        db,
        "representative",
        &r.inn,
        r.kpp.as_deref(),
        r.product_guid.as_deref(),
    )
    .await
}

/// Records a representative's sends of a quarter (operator: the e-filing side). Refused
/// once the quarter's reconciliation left the partner (409 naming its state): a count
/// after approval is settled with the sales center, never slipped under it.
///
/// # Errors
/// `Forbidden` for other roles; `Invalid` naming the field; `Conflict` after approval;
/// `Stale` when the reconciliation moved meanwhile.
pub async fn record(st: &AppState, user: &CurrentUser, r: &UpReport) -> AppResult<Recorded> {
    let mut done = record_all(st, user, std::slice::from_ref(r)).await?;
    Ok(done.remove(0))
}

/// [`record`] for several reports in one transaction: all are stored or none (the CSV
/// import). A refusal names the report by its position, `[i]`, before the field.
///
/// # Errors
/// As [`record`].
pub async fn record_all(
    st: &AppState,
    user: &CurrentUser,
    reports: &[UpReport],
) -> AppResult<Vec<Recorded>> {
    user.require(&[Role::Operator])?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let mut done = Vec::with_capacity(reports.len());
    for (i, r) in reports.iter().enumerate() {
        let one = record_in(&mut w, st.clock.today(), r).await;
        done.push(match (one, reports.len()) {
            (Ok(d), _) => d,
            (Err(e), 1) => return Err(e),
            (Err(AppError::Invalid(errors)), _) => {
                return Err(AppError::Invalid(
                    errors
                        .into_iter()
                        .map(|e| {
                            crate::error::FieldError::new(format!("[{i}].{}", e.field), e.message)
                        })
                        .collect(),
                ));
            }
            (Err(e), _) => return Err(e),
        });
    }
    if w.has_changes() {
        w.commit().await?;
    }
    Ok(done)
}

async fn record_in(w: &mut Write, today: NaiveDate, r: &UpReport) -> AppResult<Recorded> {
    let q = checked(r, today)?;
    let rep = representative(&**w, &r.representative).await?;
    let partner = partner::Entity::find_by_id(rep.partner_id)
        .one(&**w)
        .await?
        .ok_or(AppError::NotFound)?;
    let p = q.last_month();
    let h = header_for_write(w, &partner, p).await?;
    if !h.state.editable() {
        return Err(AppError::conflict(
            h.state.as_str(),
            "up_transactions",
            format!(
                "Транзакции за {} уже в сверке за {} в состоянии «{}»; расхождение решается с центром продаж.",
                q.title_ru(),
                p.title_ru(),
                h.state.title_ru()
            ),
        ));
    }
    let (added, updated) = upsert(w, q, &rep, partner.id, &r.clients).await?;
    if added + updated > 0 {
        bump(
            w,
            &h,
            "up_transactions",
            Some(format!(
                "{}: {} ({}), добавлено {added}, уточнено {updated}",
                q.title_ru(),
                rep.short_name,
                rep.inn
            )),
        )
        .await?;
        w.record(
            Change::new("up_transactions.recorded", "subscriber", rep.id).after(json!({
                "quarter": q.to_string(), "added": added, "updated": updated,
            })),
        );
    }
    Ok(Recorded {
        quarter: q.to_string(),
        period: p.to_string(),
        partner_code: partner.code,
        representative_id: rep.id,
        added,
        updated,
    })
}

/// Stores the counts of `clients`: a new client and authority as first received, a known
/// one's latest count replaced. Returns (added, updated).
async fn upsert(
    w: &Write,
    q: Quarter,
    rep: &subscriber::Model,
    partner_id: i32,
    clients: &[ClientSends],
) -> AppResult<(usize, usize)> {
    let existing: HashMap<(String, String, Authority), up_transaction::Model> =
        up_transaction::Entity::find()
            .filter(up_transaction::Column::Quarter.eq(q.to_string()))
            .filter(up_transaction::Column::RepresentativeId.eq(rep.id))
            .all(&**w)
            .await?
            .into_iter()
            .map(|t| ((t.client_inn.clone(), t.client_kpp.clone(), t.authority), t))
            .collect();
    let (mut added, mut updated) = (0, 0);
    let now = w.at();
    for c in clients {
        let inn = c.inn.trim().to_owned();
        let kpp = c
            .kpp
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_owned();
        let name = c.name.trim().to_owned();
        for (authority, n) in &c.sends {
            let n = i32::try_from(*n).unwrap_or(i32::MAX);
            match existing.get(&(inn.clone(), kpp.clone(), *authority)) {
                Some(t) if t.count == n && t.client_name == name => {}
                Some(t) => {
                    up_transaction::Entity::update(up_transaction::ActiveModel {
                        id: Set(t.id),
                        count: Set(n),
                        client_name: Set(name.clone()),
                        updated_at: Set(now),
                        ..Default::default()
                    })
                    .exec(&**w)
                    .await?;
                    updated += 1;
                }
                None => {
                    up_transaction::Entity::insert(up_transaction::ActiveModel {
                        id: NotSet,
                        quarter: Set(q.to_string()),
                        representative_id: Set(rep.id),
                        partner_id: Set(partner_id),
                        client_inn: Set(inn.clone()),
                        client_kpp: Set(kpp.clone()),
                        client_name: Set(name.clone()),
                        authority: Set(*authority),
                        reported_count: Set(n),
                        count: Set(n),
                        received_at: Set(now),
                        updated_at: Set(now),
                    })
                    .exec_without_returning(&**w)
                    .await?;
                    added += 1;
                }
            }
        }
    }
    Ok((added, updated))
}

/// A representative's (reported, latest) counts and its clients by (ИНН, КПП).
type Sums = (i64, i64, BTreeMap<(String, String), UpClient>);

/// The tab of month `p` for each of `partners`: the lines of the quarter ending with
/// `p` (empty in the quarter's other months).
///
/// # Errors
/// Database errors.
pub async fn up_lines_for<C: ConnectionTrait>(
    db: &C,
    partners: &[partner::Model],
    p: Period,
    catalog: &CatalogRows,
) -> AppResult<HashMap<i32, Vec<UpLine>>> {
    let q = Quarter::of(p);
    if q.last_month() != p || partners.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = up_transaction::Entity::find()
        .filter(up_transaction::Column::Quarter.eq(q.to_string()))
        .filter(up_transaction::Column::PartnerId.is_in(partners.iter().map(|p| p.id)))
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    // Per representative: (reported, latest) and the clients in INN order.
    let mut sums: BTreeMap<i64, Sums> = BTreeMap::new();
    for t in &rows {
        let entry = sums.entry(t.representative_id).or_default();
        entry.0 += i64::from(t.reported_count);
        entry.1 += i64::from(t.count);
        entry
            .2
            .entry((t.client_inn.clone(), t.client_kpp.clone()))
            .or_insert_with(|| UpClient {
                inn: t.client_inn.clone(),
                kpp: Some(t.client_kpp.clone()).filter(|k| !k.is_empty()),
                name: t.client_name.clone(),
                ..UpClient::default()
            })
            .add(t.authority, i64::from(t.count));
    }
    let reps = representatives(db, sums.keys().copied().collect(), partners).await?;
    let catalog = catalog.catalog();
    let mut out: HashMap<i32, Vec<UpLine>> = HashMap::new();
    for (id, (reported, latest, clients)) in sums {
        let Some((partner_id, rep)) = reps.get(&id) else {
            continue;
        };
        out.entry(*partner_id).or_default().push(up::line(
            rep,
            q,
            (reported, latest),
            clients.into_values().collect(),
            &catalog,
        ));
    }
    Ok(out)
}

/// The representatives `ids` with their zone and registration day, by id.
async fn representatives<C: ConnectionTrait>(
    db: &C,
    ids: Vec<i64>,
    partners: &[partner::Model],
) -> AppResult<HashMap<i64, (i32, Representative)>> {
    let subscribers = subscriber::Entity::find()
        .filter(subscriber::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    let zones: HashMap<String, i16> = region::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.code, r.tariff_zone))
        .collect();
    let first: HashMap<i64, Option<NaiveDate>> = licence::Entity::find()
        .select_only()
        .column(licence::Column::SubscriberId)
        .column_as(licence::Column::RegisteredOn.min(), "first")
        .filter(licence::Column::SubscriberId.is_in(ids))
        .group_by(licence::Column::SubscriberId)
        .into_tuple::<(i64, Option<NaiveDate>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let partner_zone: HashMap<i32, i16> = partners.iter().map(|p| (p.id, p.tariff_zone)).collect();
    Ok(subscribers
        .into_iter()
        .map(|s| {
            let zone = zones
                .get(&s.region_code)
                .copied()
                .or_else(|| partner_zone.get(&s.partner_id).copied())
                .unwrap_or(1);
            (
                s.id,
                (
                    s.partner_id,
                    Representative {
                        id: s.id,
                        inn: s.inn,
                        kpp: s.kpp,
                        name: s.short_name,
                        region_code: s.region_code,
                        zone,
                        registered_on: first.get(&s.id).copied().flatten(),
                    },
                ),
            )
        })
        .collect())
}
