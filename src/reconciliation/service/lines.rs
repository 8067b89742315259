//! Loading what the builder prices: every licence a set of partners registered in the
//! month with its subscriber, product account, company group tier, edit and permit — in
//! a handful of queries whatever the number of partners (a sales center's list of 200
//! partners reads as one partner's month does).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{CatalogRows, Snapshot};
use crate::entities::{
    company_group, company_group_member, licence, licence_history, partner, product_account,
    reconciliation, reconciliation_edit, special_offer_permit, subscriber,
};
use crate::error::AppResult;
use crate::reconciliation::builder::{self, Edit, Holder, Line, LineInput, Period};

/// The columns of a subscriber a line shows.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
struct HolderRow {
    id: i64,
    partner_id: i32,
    inn: String,
    kpp: Option<String>,
    short_name: String,
    region_code: String,
    legal_form: String,
}

#[derive(Debug, Clone, sea_orm::FromQueryResult)]
struct ProductRow {
    id: i64,
    guid: String,
    its_login: Option<String>,
}

/// The lines' inputs of each of `partners` (by partner id) for month `p`, with the edits
/// of their open reconciliations: the month's licences in one joined query, their
/// subscribers and accounts by key, only the columns a line shows.
///
/// # Errors
/// Database errors.
pub async fn inputs_for<C: ConnectionTrait>(
    db: &C,
    partners: &[partner::Model],
    p: Period,
    edits: &[reconciliation_edit::Model],
) -> AppResult<HashMap<i32, Vec<LineInput>>> {
    use sea_orm::{JoinType, QuerySelect};
    let ids: Vec<i32> = partners.iter().map(|p| p.id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let to_subscriber = licence::Entity::belongs_to(subscriber::Entity)
        .from(licence::Column::SubscriberId)
        .to(subscriber::Column::Id)
        .into();
    let licences = licence::Entity::find()
        .join(JoinType::InnerJoin, to_subscriber)
        .filter(subscriber::Column::PartnerId.is_in(ids.clone()))
        .filter(licence::Column::RegisteredOn.between(p.first_day(), p.last_day()))
        .order_by_asc(licence::Column::Id)
        .all(db)
        .await?;
    let subscribers = holders(db, &ids, p).await?;
    let products = accounts(db, &licences).await?;
    let subscriber_ids: Vec<i64> = subscribers.keys().copied().collect();
    let groups = group_tiers(db, &subscriber_ids, p.last_day()).await?;
    let numbers: Vec<String> = licences
        .iter()
        .filter_map(|l| l.special_offer_number.clone())
        .chain(edits.iter().filter_map(|e| e.special_offer_number.clone()))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let centers: HashSet<i32> = partners.iter().map(|p| p.sales_center_id).collect();
    let permits = permits_named(db, &centers, &numbers).await?;
    let center_of: HashMap<i32, i32> = partners.iter().map(|p| (p.id, p.sales_center_id)).collect();
    let edits: HashMap<i64, &reconciliation_edit::Model> =
        edits.iter().map(|e| (e.licence_id, e)).collect();
    let mut out: HashMap<i32, Vec<LineInput>> = HashMap::new();
    for l in licences {
        let Some(s) = subscribers.get(&l.subscriber_id) else {
            continue;
        };
        let center = center_of.get(&s.partner_id).copied().unwrap_or_default();
        let permit = |n: &String| permits.get(&(center, n.clone())).cloned();
        let product = l.product_account_id.and_then(|id| products.get(&id));
        let holder = Holder {
            inn: s.inn.clone(),
            kpp: s.kpp.clone(),
            name: s.short_name.clone(),
            region_code: s.region_code.clone(),
            legal_form: s.legal_form.clone(),
            guid: product.map(|p| p.guid.clone()),
            // A login changed in the reconciliation shows on its line.
            its_login: edits
                .get(&l.id)
                .and_then(|e| e.its_login.clone())
                .or_else(|| product.and_then(|p| p.its_login.clone())),
        };
        let offer = l.special_offer_number.as_ref().and_then(permit);
        let edit = edits.get(&l.id).map(|e| Edit {
            tariff_code: e.tariff_code.clone(),
            special_offer_number: e.special_offer_number.clone(),
            offer: e.special_offer_number.as_ref().and_then(permit),
        });
        out.entry(s.partner_id).or_default().push(LineInput {
            group: groups.get(&l.subscriber_id).copied(),
            holder,
            edit,
            offer,
            licence: l,
        });
    }
    Ok(out)
}

/// The subscribers with licences in the month, the columns a line shows.
async fn holders<C: ConnectionTrait>(
    db: &C,
    partners: &[i32],
    p: Period,
) -> AppResult<HashMap<i64, HolderRow>> {
    use sea_orm::{JoinType, QuerySelect};
    let to_licence = subscriber::Entity::belongs_to(licence::Entity)
        .from(subscriber::Column::Id)
        .to(licence::Column::SubscriberId)
        .into();
    Ok(subscriber::Entity::find()
        .select_only()
        .columns([
            subscriber::Column::Id,
            subscriber::Column::PartnerId,
            subscriber::Column::Inn,
            subscriber::Column::Kpp,
            subscriber::Column::ShortName,
            subscriber::Column::RegionCode,
            subscriber::Column::LegalForm,
        ])
        .distinct()
        .join(JoinType::InnerJoin, to_licence)
        .filter(subscriber::Column::PartnerId.is_in(partners.to_vec()))
        .filter(licence::Column::RegisteredOn.between(p.first_day(), p.last_day()))
        .into_model::<HolderRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}

/// The product accounts of `licences`: GUID and ITS login.
async fn accounts<C: ConnectionTrait>(
    db: &C,
    licences: &[licence::Model],
) -> AppResult<HashMap<i64, ProductRow>> {
    use sea_orm::QuerySelect;
    let ids: Vec<i64> = licences
        .iter()
        .filter_map(|l| l.product_account_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(900) {
        for a in product_account::Entity::find()
            .select_only()
            .columns([
                product_account::Column::Id,
                product_account::Column::Guid,
                product_account::Column::ItsLogin,
            ])
            .filter(product_account::Column::Id.is_in(chunk.to_vec()))
            .into_model::<ProductRow>()
            .all(db)
            .await?
        {
            out.insert(a.id, a);
        }
    }
    Ok(out)
}

/// The offer and registration day of each permit number, by (sales center, number).
async fn permits_named<C: ConnectionTrait>(
    db: &C,
    centers: &HashSet<i32>,
    numbers: &[String],
) -> AppResult<HashMap<(i32, String), (String, NaiveDate)>> {
    let mut out = HashMap::new();
    for chunk in numbers.chunks(900) {
        for p in special_offer_permit::Entity::find()
            .filter(special_offer_permit::Column::SalesCenterId.is_in(centers.iter().copied()))
            .filter(special_offer_permit::Column::Number.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            let on = p
                .registered_at
                .with_timezone(&crate::clock::moscow())
                .date_naive();
            out.insert((p.sales_center_id, p.number), (p.offer_code, on));
        }
    }
    Ok(out)
}

/// For each of `subscribers` in a company group: the group and
/// its active members (head included) on `day` — manual l.2130: the tier is the one of
/// the month's last day.
async fn group_tiers<C: ConnectionTrait>(
    db: &C,
    subscribers: &[i64],
    day: NaiveDate,
) -> AppResult<HashMap<i64, (i64, u32)>> {
    let mut group_of: HashMap<i64, i64> = HashMap::new();
    for chunk in subscribers.chunks(900) {
        for m in company_group_member::Entity::find()
            .filter(company_group_member::Column::SubscriberId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            group_of.insert(m.subscriber_id, m.group_id);
        }
        for g in company_group::Entity::find()
            .filter(company_group::Column::HeadSubscriberId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            group_of.insert(g.head_subscriber_id, g.id);
        }
    }
    if group_of.is_empty() {
        return Ok(HashMap::new());
    }
    let group_ids: Vec<i64> = group_of
        .values()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    // Every member of those groups on that day (joined by its end), the heads among
    // them: one who joins later does not change the month's tier.
    let day_end = (day + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(crate::clock::moscow()).single())
        .map(|t| t.with_timezone(&chrono::Utc));
    let mut members: HashMap<i64, HashSet<i64>> = HashMap::new();
    let mut joined = company_group_member::Entity::find()
        .filter(company_group_member::Column::GroupId.is_in(group_ids.clone()));
    if let Some(end) = day_end {
        joined = joined.filter(company_group_member::Column::JoinedAt.lt(end));
    }
    for m in joined.all(db).await? {
        members
            .entry(m.group_id)
            .or_default()
            .insert(m.subscriber_id);
    }
    for g in company_group::Entity::find()
        .filter(company_group::Column::Id.is_in(group_ids.clone()))
        .all(db)
        .await?
    {
        members
            .entry(g.id)
            .or_default()
            .insert(g.head_subscriber_id);
    }
    let everyone: Vec<i64> = members.values().flatten().copied().collect();
    let mut licences: HashMap<i64, Vec<licence::Model>> = HashMap::new();
    for chunk in everyone.chunks(500) {
        for l in licence::Entity::find()
            .filter(licence::Column::SubscriberId.is_in(chunk.to_vec()))
            .filter(licence::Column::RegisteredOn.lte(day))
            .all(db)
            .await?
        {
            licences.entry(l.subscriber_id).or_default().push(l);
        }
    }
    let active = |s: &i64| {
        let own = licences.get(s).map(Vec::as_slice).unwrap_or_default();
        crate::subscribers::groups::is_active(&crate::subscribers::groups::terms(own), day)
    };
    let counts: HashMap<i64, u32> = members
        .iter()
        .map(|(g, ms)| {
            let n = ms.iter().filter(|s| active(s)).count();
            (*g, u32::try_from(n).unwrap_or(u32::MAX))
        })
        .collect();
    Ok(group_of
        .into_iter()
        .filter_map(|(s, g)| counts.get(&g).map(|n| (s, (g, *n))))
        .collect())
}

/// The lines, the representatives' tab and the totals of each of `partners` for month
/// `p`: the stored snapshot of an approved reconciliation, the month built now for the
/// others.
///
/// # Errors
/// Database errors; a corrupt snapshot.
pub async fn lines_for<C: ConnectionTrait>(
    db: &C,
    partners: &[partner::Model],
    p: Period,
    heads: &HashMap<i32, reconciliation::Model>,
    catalog: &CatalogRows,
) -> AppResult<HashMap<i32, Snapshot>> {
    let mut out = HashMap::new();
    let mut live = Vec::new();
    for partner in partners {
        match heads.get(&partner.id).and_then(|h| h.snapshot.as_deref()) {
            Some(snapshot) => {
                out.insert(partner.id, serde_json::from_str::<Snapshot>(snapshot)?);
            }
            None => live.push(partner.clone()),
        }
    }
    let open: Vec<i64> = live
        .iter()
        .filter_map(|p| heads.get(&p.id).map(|h| h.id))
        .collect();
    let edits = if open.is_empty() {
        Vec::new()
    } else {
        reconciliation_edit::Entity::find()
            .filter(reconciliation_edit::Column::ReconciliationId.is_in(open))
            .all(db)
            .await?
    };
    let mut inputs = inputs_for(db, &live, p, &edits).await?;
    let mut corrections = adjustments_for(db, &live, p).await?;
    let mut tabs = super::up::up_lines_for(db, &live, p, catalog).await?;
    let catalog = catalog.catalog();
    for partner in &live {
        let mine = inputs.remove(&partner.id).unwrap_or_default();
        let fixes = corrections.remove(&partner.id).unwrap_or_default();
        let (lines, totals) = builder::build(&mine, fixes, &catalog);
        let up = tabs.remove(&partner.id).unwrap_or_default();
        out.insert(
            partner.id,
            Snapshot {
                totals: totals.with_up(&up),
                lines,
                up,
            },
        );
    }
    Ok(out)
}

/// The midnight (Moscow) that starts `day`, in UTC.
fn day_start(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(crate::clock::moscow()).single())
        .map_or(chrono::DateTime::UNIX_EPOCH, |t| {
            t.with_timezone(&chrono::Utc)
        })
}

/// The corrections month `p` carries for each of `partners`: every licence revoked in
/// `p` that an approved reconciliation of an earlier month holds as not revoked — that
/// line reversed (`builder::adjustment`). The approved snapshot itself never changes.
async fn adjustments_for<C: ConnectionTrait>(
    db: &C,
    partners: &[partner::Model],
    p: Period,
) -> AppResult<HashMap<i32, Vec<Line>>> {
    use sea_orm::QuerySelect;
    let revoked = crate::tariffs::licence::LicenceState::Revoked.as_str();
    let revocations: Vec<(i64, chrono::DateTime<chrono::Utc>)> = licence_history::Entity::find()
        .select_only()
        .column(licence_history::Column::LicenceId)
        .column(licence_history::Column::At)
        .filter(licence_history::Column::ToState.eq(revoked))
        .filter(licence_history::Column::At.gte(day_start(p.first_day())))
        .filter(licence_history::Column::At.lt(day_start(p.next().first_day())))
        .into_tuple()
        .all(db)
        .await?;
    if revocations.is_empty() || partners.is_empty() {
        return Ok(HashMap::new());
    }
    let revoked_on: HashMap<i64, NaiveDate> = revocations
        .iter()
        .map(|(id, at)| (*id, at.with_timezone(&crate::clock::moscow()).date_naive()))
        .collect();
    let ids: Vec<i64> = revoked_on.keys().copied().collect();
    let mut earlier = Vec::new();
    for chunk in ids.chunks(900) {
        earlier.extend(
            licence::Entity::find()
                .filter(licence::Column::Id.is_in(chunk.to_vec()))
                .filter(licence::Column::RegisteredOn.lt(p.first_day()))
                .all(db)
                .await?,
        );
    }
    let owners: HashMap<i64, i32> = subscriber::Entity::find()
        .select_only()
        .column(subscriber::Column::Id)
        .column(subscriber::Column::PartnerId)
        .filter(subscriber::Column::Id.is_in(earlier.iter().map(|l| l.subscriber_id)))
        .filter(subscriber::Column::PartnerId.is_in(partners.iter().map(|p| p.id)))
        .into_tuple::<(i64, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    // The approved months those licences belong to, each snapshot read once.
    let mut snapshots: HashMap<(i32, Period), Option<Snapshot>> = HashMap::new();
    let mut out: HashMap<i32, Vec<Line>> = HashMap::new();
    for l in earlier {
        let (Some(&partner_id), Some(on)) = (owners.get(&l.subscriber_id), l.registered_on) else {
            continue;
        };
        let month = Period::of(on);
        if let std::collections::hash_map::Entry::Vacant(slot) =
            snapshots.entry((partner_id, month))
        {
            let approved = super::header(db, partner_id, month)
                .await?
                .filter(|h| h.state == crate::reconciliation::state::ReconciliationState::Approved)
                .and_then(|h| h.snapshot);
            slot.insert(match approved {
                Some(text) => Some(serde_json::from_str::<Snapshot>(&text)?),
                None => None,
            });
        }
        let Some(Some(snapshot)) = snapshots.get(&(partner_id, month)) else {
            continue;
        };
        let Some(line) = snapshot
            .lines
            .iter()
            .find(|x| x.licence_id == l.id && x.kind == builder::LineKind::Licence && !x.revoked)
        else {
            continue;
        };
        out.entry(partner_id).or_default().push(builder::adjustment(
            line,
            month,
            revoked_on[&l.id],
        ));
    }
    Ok(out)
}
