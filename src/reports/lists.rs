//! The reports that list subscribers one by one: terms of their tariffs, their products
//! and certificates, the tender list, the certificates whose signed scan is late.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
};

use super::data::{
    LicenceRow, PartnerSet, count_row, joins_subscriber, licences, licences_of_any_kind,
    region_names, region_title, subscriber_cells, subscriber_columns,
};
use super::{Cell, Kind, Params, ReportName, Table, col, period_ru};
use crate::AppState;
use crate::applications::documents::DocumentKind;
use crate::auth::Scope;
use crate::entities::{application_document, certificate, licence, product_account, subscriber};
use crate::error::AppResult;

/// Days after a certificate's issue within which its signed scan is due (§16, l.2828).
pub const SIGNED_SCAN_DAYS: i64 = 30;

/// What the reports need of a certificate and its subscriber.
#[derive(Debug, Clone, FromQueryResult)]
struct CertificateRow {
    id: i64,
    subscriber_id: i64,
    product_account_id: Option<i64>,
    application_id: Option<i64>,
    serial: String,
    valid_from: NaiveDate,
    valid_to: NaiveDate,
    created_at: chrono::DateTime<chrono::Utc>,
    partner_id: i32,
    inn: String,
    kpp: Option<String>,
    short_name: String,
}

/// The scope's active certificates that `extra` selects.
async fn certificates(
    st: &AppState,
    scope: &Scope,
    extra: Condition,
) -> AppResult<Vec<CertificateRow>> {
    use certificate::Column as C;
    use subscriber::Column as S;
    Ok(certificate::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::SubscriberId,
            C::ProductAccountId,
            C::ApplicationId,
            C::Serial,
            C::ValidFrom,
            C::ValidTo,
            C::CreatedAt,
        ])
        .columns([S::PartnerId, S::Inn, S::Kpp, S::ShortName])
        .join(
            JoinType::InnerJoin,
            joins_subscriber::<certificate::Entity>(C::SubscriberId),
        )
        .filter(scope.subscribers())
        .filter(C::State.eq("active"))
        .filter(extra)
        .into_model::<CertificateRow>()
        .all(&st.db)
        .await?)
}

/// The latest certificate by its end, per key.
fn latest_by<K: std::hash::Hash + Eq>(
    rows: &[CertificateRow],
    key: impl Fn(&CertificateRow) -> Option<K>,
) -> HashMap<K, &CertificateRow> {
    let mut out: HashMap<K, &CertificateRow> = HashMap::new();
    for c in rows {
        let Some(k) = key(c) else { continue };
        let slot = out.entry(k).or_insert(c);
        if (c.valid_to, c.id) > (slot.valid_to, slot.id) {
            *slot = c;
        }
    }
    out
}

/// Product accounts marked inactive (left out of renewal work, l.1648–1650).
async fn inactive_accounts(st: &AppState) -> AppResult<HashSet<i64>> {
    Ok(product_account::Entity::find()
        .select_only()
        .column(product_account::Column::Id)
        .filter(product_account::Column::Active.eq(false))
        .into_tuple::<i64>()
        .all(&st.db)
        .await?
        .into_iter()
        .collect())
}

/// The day each subscriber of the scope first connected: its earliest primary licence.
async fn connected_on(
    st: &AppState,
    scope: &Scope,
    partners: &PartnerSet,
) -> AppResult<HashMap<i64, NaiveDate>> {
    let rows = licences(
        st,
        scope,
        Condition::all()
            .add(licence::Column::IsPrimary.eq(true))
            .add(partners.subscribers()),
    )
    .await?;
    let mut out: HashMap<i64, NaiveDate> = HashMap::new();
    for l in rows {
        let on = l.registered_on.unwrap_or(l.starts_on);
        out.entry(l.subscriber_id)
            .and_modify(|d| *d = (*d).min(on))
            .or_insert(on);
    }
    Ok(out)
}

fn date_or_empty(d: Option<NaiveDate>) -> Cell {
    d.map_or(Cell::Empty, Cell::Date)
}

/// Whether a licence counts in the expiry report: not revoked, not on an inactive account.
fn counts_for_expiry(l: &LicenceRow, inactive: &HashSet<i64>) -> bool {
    l.state != "revoked" && l.product_account_id.is_none_or(|a| !inactive.contains(&a))
}

/// Each subscriber's last tariff licence (that counts), where it ends within
/// `[from, to]`, by end date. `rows` hold every licence ending from `from` on.
fn last_tariffs_ending<'a>(
    rows: &'a [LicenceRow],
    inactive: &HashSet<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<&'a LicenceRow> {
    let mut last: BTreeMap<i64, &LicenceRow> = BTreeMap::new();
    for l in rows
        .iter()
        .filter(|l| l.kind == "tariff" && counts_for_expiry(l, inactive))
    {
        let slot = last.entry(l.subscriber_id).or_insert(l);
        if (l.ends_on, l.starts_on) > (slot.ends_on, slot.starts_on) {
            *slot = l;
        }
    }
    let mut due: Vec<&LicenceRow> = last
        .into_values()
        .filter(|l| from <= l.ends_on && l.ends_on <= to)
        .collect();
    due.sort_by(|a, b| (a.ends_on, &a.short_name, a.id).cmp(&(b.ends_on, &b.short_name, b.id)));
    due
}

/// How many lines the expiry report of `[from, to]` has for `scope` — the home page's
/// tile — without the certificates and connection dates the report's columns need.
///
/// # Errors
/// Database errors.
pub async fn tariffs_ending_count(
    st: &AppState,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<usize> {
    let inactive = inactive_accounts(st).await?;
    let rows = licences(
        st,
        scope,
        Condition::all().add(licence::Column::EndsOn.gte(from)),
    )
    .await?;
    Ok(last_tariffs_ending(&rows, &inactive, from, to).len())
}

/// «Отчёт по срокам действия тарифов» (l.2745–2749): the subscribers whose last tariff
/// ends in the period, with that tariff's and the latest certificate's terms and the
/// extensions running with it. Licences of inactive product accounts are left out.
pub async fn tariff_terms(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    let partners = PartnerSet::load(st, scope, p).await?;
    let inactive = inactive_accounts(st).await?;
    let rows = licences_of_any_kind(
        st,
        scope,
        Condition::all()
            .add(licence::Column::EndsOn.gte(p.from))
            .add(partners.subscribers()),
    )
    .await?;
    let counted = |l: &&LicenceRow| counts_for_expiry(l, &inactive);
    let due = last_tariffs_ending(&rows, &inactive, p.from, p.to);
    let wanted: HashSet<i64> = due.iter().map(|l| l.subscriber_id).collect();
    let certs = certificates(st, scope, Condition::all().add(partners.subscribers())).await?;
    let certs: Vec<CertificateRow> = certs
        .into_iter()
        .filter(|c| wanted.contains(&c.subscriber_id))
        .collect();
    let cert_of = latest_by(&certs, |c| Some(c.subscriber_id));
    let connected = connected_on(st, scope, &partners).await?;
    let extensions = |t: &LicenceRow| -> String {
        let mut names: Vec<&str> = rows
            .iter()
            .filter(counted)
            .filter(|e| e.kind == "extension" && e.subscriber_id == t.subscriber_id)
            .filter(|e| e.starts_on <= t.ends_on && e.ends_on >= t.starts_on)
            .map(|e| e.tariff_name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names.join(", ")
    };
    let n = due.len();
    Ok(Table {
        name: ReportName::TariffTerms,
        parameters: [
            vec![("Период", period_ru(p.from, p.to))],
            partners.parameters(p),
        ]
        .concat(),
        columns: [
            subscriber_columns(),
            vec![
                col("connected_on", "Дата подключения", Kind::Date),
                col("tariff_starts_on", "Начало последнего тарифа", Kind::Date),
                col("tariff_ends_on", "Окончание последнего тарифа", Kind::Date),
                col("certificate_from", "Начало сертификата", Kind::Date),
                col("certificate_to", "Окончание сертификата", Kind::Date),
                col("tariff", "Наименование тарифа", Kind::Text),
                col("extensions", "Расширение тарифа", Kind::Text),
            ],
        ]
        .concat(),
        rows: due
            .iter()
            .map(|l| {
                let cert = cert_of.get(&l.subscriber_id);
                let mut row = subscriber_cells(l, partners.name(l.partner_id));
                row.extend([
                    date_or_empty(connected.get(&l.subscriber_id).copied()),
                    Cell::Date(l.starts_on),
                    Cell::Date(l.ends_on),
                    date_or_empty(cert.map(|c| c.valid_from)),
                    date_or_empty(cert.map(|c| c.valid_to)),
                    Cell::text(&l.tariff_name),
                    Cell::text(extensions(l)),
                ]);
                row
            })
            .collect(),
        totals: Some(count_row("Всего абонентов", 11, n)),
        notes: vec![
            "Последний тариф — неотозванная лицензия тарифа, которая заканчивается позже остальных; в отчет попадают абоненты, у которых она заканчивается в периоде. Лицензии неактивных учетных записей не учитываются. Сертификат — действующий с самым поздним окончанием.".to_owned(),
        ],
        chart: None,
        sections: Vec::new(),
    })
}

#[derive(Debug, Clone, FromQueryResult)]
struct AccountRow {
    id: i64,
    subscriber_id: i64,
    guid: String,
    created_at: chrono::DateTime<chrono::Utc>,
    partner_id: i32,
    inn: String,
    kpp: Option<String>,
    short_name: String,
}

/// The instants `[from 00:00, to + 1 00:00)` in UTC: the period's days as timestamps.
fn instants(p: &Params) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let at = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    (at(p.from), at(p.to + Duration::days(1)))
}

/// «Отчёт по продуктам и сертификатам» (l.2751–2755): the product accounts registered
/// in the period with their latest tariff and certificate.
pub async fn products_certificates(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    use product_account::Column as A;
    use subscriber::Column as S;
    let partners = PartnerSet::load(st, scope, p).await?;
    let (start, end) = instants(p);
    let accounts = product_account::Entity::find()
        .select_only()
        .columns([A::Id, A::SubscriberId, A::Guid, A::CreatedAt])
        .columns([S::PartnerId, S::Inn, S::Kpp, S::ShortName])
        .join(
            JoinType::InnerJoin,
            joins_subscriber::<product_account::Entity>(A::SubscriberId),
        )
        .filter(scope.subscribers())
        .filter(partners.subscribers())
        .filter(A::CreatedAt.gte(start))
        .filter(A::CreatedAt.lt(end))
        .into_model::<AccountRow>()
        .all(&st.db)
        .await?;
    let ids: HashSet<i64> = accounts.iter().map(|a| a.id).collect();
    let subs: HashSet<i64> = accounts.iter().map(|a| a.subscriber_id).collect();
    let tariffs = licences(
        st,
        scope,
        Condition::all()
            .add(licence::Column::EndsOn.gte(p.from))
            .add(partners.subscribers()),
    )
    .await?;
    let mut by_account: HashMap<i64, Vec<&LicenceRow>> = HashMap::new();
    for l in &tariffs {
        if let Some(a) = l.product_account_id.filter(|a| ids.contains(a)) {
            by_account.entry(a).or_default().push(l);
        }
    }
    let certs: Vec<CertificateRow> = certificates(st, scope, partners.subscribers())
        .await?
        .into_iter()
        .filter(|c| subs.contains(&c.subscriber_id))
        .collect();
    let cert_of_account = latest_by(&certs, |c| c.product_account_id);
    let cert_of_subscriber = latest_by(&certs, |c| Some(c.subscriber_id));
    let mut list: Vec<&AccountRow> = accounts.iter().collect();
    list.sort_by_key(|a| (a.created_at, a.id));
    let n = list.len();
    Ok(Table {
        name: ReportName::ProductsCertificates,
        parameters: vec![("Период", period_ru(p.from, p.to))],
        columns: vec![
            col("inn", "ИНН", Kind::Text),
            col("kpp", "КПП", Kind::Text),
            col("subscriber", "Наименование", Kind::Text),
            col("partner", "Партнер", Kind::Text),
            col("guid", "GUID продукта", Kind::Text),
            col("registered_on", "Дата регистрации", Kind::Date),
            col("tariff_starts_on", "Начало тарифа", Kind::Date),
            col("tariff_ends_on", "Окончание тарифа", Kind::Date),
            col("certificate_from", "Начало сертификата", Kind::Date),
            col("certificate_to", "Окончание сертификата", Kind::Date),
            col("primary", "Первичное", Kind::Text),
            col("tariff", "Наименование тарифа", Kind::Text),
        ],
        rows: list
            .into_iter()
            .map(|a| {
                let mine = by_account.get(&a.id).map(Vec::as_slice).unwrap_or(&[]);
                let latest = mine.iter().filter(|l| l.state != "revoked").max_by_key(|l| (l.starts_on, l.id));
                let first = mine.iter().min_by_key(|l| (l.starts_on, l.id));
                let cert = cert_of_account
                    .get(&a.id)
                    .or_else(|| cert_of_subscriber.get(&a.subscriber_id));
                vec![
                    Cell::text(&a.inn),
                    Cell::opt_text(a.kpp.as_deref()),
                    Cell::text(&a.short_name),
                    Cell::text(partners.name(a.partner_id)),
                    Cell::text(&a.guid),
                    Cell::Date(a.created_at.date_naive()),
                    date_or_empty(latest.map(|l| l.starts_on)),
                    date_or_empty(latest.map(|l| l.ends_on)),
                    date_or_empty(cert.map(|c| c.valid_from)),
                    date_or_empty(cert.map(|c| c.valid_to)),
                    first.map_or(Cell::Empty, |l| {
                        Cell::text(if l.is_primary { "Да" } else { "Нет" })
                    }),
                    latest.map_or(Cell::Empty, |l| Cell::text(&l.tariff_name)),
                ]
            })
            .collect(),
        totals: Some(count_row("Всего учетных записей", 12, n)),
        notes: vec![
            "Учетные записи продуктов по дате регистрации. Тариф — последняя неотозванная лицензия учетной записи; сертификат — действующий сертификат учетной записи (или абонента) с самым поздним окончанием; «Первичное» — подключена ли учетная запись первичным заявлением.".to_owned(),
        ],
        chart: None,
        sections: Vec::new(),
    })
}

#[derive(Debug, Clone, FromQueryResult)]
struct OrganisationRow {
    id: i64,
    partner_id: i32,
    inn: String,
    kpp: Option<String>,
    short_name: String,
}

/// «Тендерный консалтинг» (l.2763–2773): the organisations of a sales center and region
/// with their partner, sales center and whether a product of theirs is current today.
pub async fn tender_consulting(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    use subscriber::Column as S;
    let partners = PartnerSet::load(st, scope, p).await?;
    let mut q = subscriber::Entity::find()
        .select_only()
        .columns([S::Id, S::PartnerId, S::Inn, S::Kpp, S::ShortName])
        .filter(scope.subscribers())
        .filter(partners.subscribers());
    if let Some(r) = &p.region {
        q = q.filter(S::RegionCode.eq(r.as_str()));
    }
    let mut orgs = q.into_model::<OrganisationRow>().all(&st.db).await?;
    let current: HashSet<i64> = licences(
        st,
        scope,
        Condition::all()
            .add(licence::Column::StartsOn.lte(p.today))
            .add(licence::Column::EndsOn.gte(p.today))
            .add(licence::Column::State.ne("revoked"))
            .add(partners.subscribers()),
    )
    .await?
    .into_iter()
    .map(|l| l.subscriber_id)
    .collect();
    orgs.sort_by(|a, b| (&a.short_name, a.id).cmp(&(&b.short_name, b.id)));
    let names = region_names(st).await?;
    let mut parameters = partners.parameters(p);
    parameters.push((
        "Регион",
        p.region
            .as_deref()
            .map_or_else(|| "все".to_owned(), |r| region_title(&names, r)),
    ));
    let with_product = orgs.iter().filter(|o| current.contains(&o.id)).count();
    let n = orgs.len();
    Ok(Table {
        name: ReportName::TenderConsulting,
        parameters,
        columns: vec![
            col("inn", "ИНН", Kind::Text),
            col("kpp", "КПП", Kind::Text),
            col("organisation", "Наименование", Kind::Text),
            col("partner_inn", "ИНН партнера", Kind::Text),
            col("partner", "Партнер", Kind::Text),
            col("sales_center_inn", "ИНН ЦП", Kind::Text),
            col("sales_center", "Центр продаж", Kind::Text),
            col("has_product", "Наличие продукта", Kind::Text),
        ],
        rows: orgs
            .iter()
            .map(|o| {
                let partner = partners.get(o.partner_id);
                let sc = partner.and_then(|pt| partners.sales_center(pt.sales_center_id));
                vec![
                    Cell::text(&o.inn),
                    Cell::opt_text(o.kpp.as_deref()),
                    Cell::text(&o.short_name),
                    Cell::opt_text(partner.and_then(|pt| pt.inn.as_deref())),
                    Cell::text(partner.map_or("", |pt| pt.name.as_str())),
                    Cell::opt_text(sc.and_then(|s| s.inn.as_deref())),
                    Cell::text(sc.map_or("", |s| s.name.as_str())),
                    Cell::text(if current.contains(&o.id) { "Да" } else { "Нет" }),
                ]
            })
            .collect(),
        totals: Some(vec![
            Cell::text(format!("Всего организаций: {n}")),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::text(format!("с продуктом: {with_product}")),
        ]),
        notes: vec![
            "Наличие продукта — у организации есть неотозванная лицензия тарифа, действующая сегодня.".to_owned(),
        ],
        chart: None,
        sections: Vec::new(),
    })
}

/// «Отчет для отслеживания отсутствия загруженных подписанных сертификатов»
/// (l.2828–2834): the certificates issued in the period for an application whose signed
/// scan was not uploaded within [`SIGNED_SCAN_DAYS`] days (late, or still missing once the
/// days are over).
pub async fn unsigned_certificates(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    let partners = PartnerSet::load(st, scope, p).await?;
    let (start, end) = instants(p);
    let certs = certificates(
        st,
        scope,
        Condition::all()
            .add(certificate::Column::ApplicationId.is_not_null())
            .add(certificate::Column::CreatedAt.gte(start))
            .add(certificate::Column::CreatedAt.lt(end))
            .add(partners.subscribers()),
    )
    .await?;
    let apps: Vec<i64> = certs.iter().filter_map(|c| c.application_id).collect();
    let mut scans: HashMap<i64, NaiveDate> = HashMap::new();
    for chunk in apps.chunks(5_000) {
        let docs = application_document::Entity::find()
            .filter(application_document::Column::Kind.eq(DocumentKind::SignedCertificate.as_str()))
            .filter(application_document::Column::ApplicationId.is_in(chunk.iter().copied()))
            .all(&st.db)
            .await?;
        for d in docs {
            scans.insert(d.application_id, d.uploaded_at.date_naive());
        }
    }
    let mut late: Vec<(&CertificateRow, Option<NaiveDate>, i64)> = certs
        .iter()
        .filter_map(|c| {
            let issued = c.created_at.date_naive();
            let deadline = issued + Duration::days(SIGNED_SCAN_DAYS);
            let scan = c.application_id.and_then(|a| scans.get(&a).copied());
            let is_late = match scan {
                Some(on) => on > deadline,
                None => p.today > deadline,
            };
            is_late.then(|| (c, scan, (scan.unwrap_or(p.today) - issued).num_days()))
        })
        .collect();
    late.sort_by_key(|(c, _, _)| (c.created_at, c.id));
    let missing = late.iter().filter(|(_, s, _)| s.is_none()).count();
    let n = late.len();
    Ok(Table {
        name: ReportName::UnsignedCertificates,
        parameters: vec![("Период выпуска", period_ru(p.from, p.to))],
        columns: vec![
            col("partner", "Партнер", Kind::Text),
            col("subscriber", "Абонент", Kind::Text),
            col("inn", "ИНН", Kind::Text),
            col("kpp", "КПП", Kind::Text),
            col("application", "Заявление", Kind::Text),
            col("serial", "Серийный номер", Kind::Text),
            col("issued_on", "Сертификат выпущен", Kind::Date),
            col("uploaded_on", "Скан загружен", Kind::Date),
            col("days", "Дней без скана", Kind::Count),
        ],
        rows: late
            .iter()
            .map(|(c, scan, days)| {
                vec![
                    Cell::text(partners.name(c.partner_id)),
                    Cell::text(&c.short_name),
                    Cell::text(&c.inn),
                    Cell::opt_text(c.kpp.as_deref()),
                    Cell::opt_text(c.application_id.map(|a| format!("№ {a}")).as_deref()),
                    Cell::text(&c.serial),
                    Cell::Date(c.created_at.date_naive()),
                    date_or_empty(*scan),
                    Cell::Count(u64::try_from(*days).unwrap_or_default()),
                ]
            })
            .collect(),
        totals: Some(vec![
            Cell::text(format!("Всего заявлений: {n}")),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::text(format!("не загружено: {missing}")),
            Cell::Empty,
        ]),
        notes: vec![format!(
            "Скан-копия подписанного сертификата (вид документа «{}») должна быть загружена в заявление в течение {SIGNED_SCAN_DAYS} дней после выпуска сертификата. В отчете — сертификаты, выпущенные в периоде, скан которых загружен позже или не загружен до сегодняшнего дня.",
            DocumentKind::SignedCertificate.title_ru()
        )],
        chart: None,
        sections: Vec::new(),
    })
}
