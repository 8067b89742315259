//! The reports' queries: the tariff licences of the caller's scope with their
//! subscribers, read once per report with the period's bounds in SQL, and counted here.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Months, NaiveDate};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::chart::{Chart, Kind as ChartKind, Series};
use super::rules::{self, Class, Renewals, Term};
use super::{Cell, Kind, Params, ReportName, Table, col, period_ru};
use crate::AppState;
use crate::auth::Scope;
use crate::entities::{licence, partner, region, sales_center, subscriber, up_transaction};
use crate::error::AppResult;
use crate::money::Money;
use crate::organisation::Authority;

/// A tariff licence (not pending) and what the reports need of its subscriber.
#[derive(Debug, Clone, FromQueryResult)]
pub struct LicenceRow {
    pub id: i64,
    pub subscriber_id: i64,
    pub tariff_code: String,
    pub tariff_name: String,
    pub is_primary: bool,
    pub state: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub registered_on: Option<NaiveDate>,
    pub kind: String,
    pub zone: i16,
    pub sales_center_share: Money,
    pub product_account_id: Option<i64>,
    pub partner_id: i32,
    pub region_code: String,
    pub inn: String,
    pub kpp: Option<String>,
    pub short_name: String,
}

impl LicenceRow {
    pub(super) fn revoked(&self) -> bool {
        self.state == "revoked"
    }

    pub(super) fn class(&self) -> Class {
        Class::of(&self.tariff_code)
    }

    pub(super) fn covers(&self, day: NaiveDate) -> bool {
        !self.revoked() && self.starts_on <= day && day <= self.ends_on
    }

    pub(super) fn term(&self) -> Term {
        Term {
            subscriber_id: self.subscriber_id,
            class: self.class(),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            revoked: self.revoked(),
        }
    }
}

/// The scope's tariff licences that `extra` selects, registered (pending ones are not
/// connections yet).
pub(super) async fn licences(
    st: &AppState,
    scope: &Scope,
    extra: Condition,
) -> AppResult<Vec<LicenceRow>> {
    licences_of_any_kind(
        st,
        scope,
        Condition::all()
            .add(licence::Column::Kind.eq("tariff"))
            .add(extra),
    )
    .await
}

/// [`licences`] of tariffs and extensions alike.
pub(super) async fn licences_of_any_kind(
    st: &AppState,
    scope: &Scope,
    extra: Condition,
) -> AppResult<Vec<LicenceRow>> {
    use licence::Column as L;
    use subscriber::Column as S;
    Ok(licence::Entity::find()
        .select_only()
        .columns([
            L::Id,
            L::SubscriberId,
            L::TariffCode,
            L::TariffName,
            L::IsPrimary,
            L::State,
            L::StartsOn,
            L::EndsOn,
            L::RegisteredOn,
            L::Kind,
            L::Zone,
            L::SalesCenterShare,
            L::ProductAccountId,
        ])
        .columns([S::PartnerId, S::RegionCode, S::Inn, S::Kpp, S::ShortName])
        .join(JoinType::InnerJoin, licence_subscriber())
        .filter(scope.subscribers())
        .filter(L::State.ne("pending"))
        .filter(extra)
        .order_by_asc(L::Id)
        .into_model::<LicenceRow>()
        .all(&st.db)
        .await?)
}

fn licence_subscriber() -> sea_orm::RelationDef {
    joins_subscriber::<licence::Entity>(licence::Column::SubscriberId)
}

/// The join from a row of `E` to its subscriber, for the scope's condition.
pub(super) fn joins_subscriber<E: EntityTrait>(from: E::Column) -> sea_orm::RelationDef {
    E::belongs_to(subscriber::Entity)
        .from(from)
        .to(subscriber::Column::Id)
        .into()
}

/// The scope's partners by name, narrowed by the report's «Часть Имени/ИНН партнера» and
/// «Центр продаж» where given.
pub struct PartnerSet {
    pub list: Vec<partner::Model>,
    by_id: HashMap<i32, usize>,
    sales_centers: HashMap<i32, sales_center::Model>,
    narrowed: bool,
}

impl PartnerSet {
    /// # Errors
    /// `Invalid` naming `sales_center` for a code outside the scope; database errors.
    pub async fn load(st: &AppState, scope: &Scope, p: &Params) -> AppResult<PartnerSet> {
        let sales_centers: HashMap<i32, sales_center::Model> = sales_center::Entity::find()
            .all(&st.db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let mut list = partner::Entity::find()
            .filter(scope.partners())
            .order_by_asc(partner::Column::Name)
            .all(&st.db)
            .await?;
        let mut narrowed = false;
        if let Some(code) = &p.sales_center {
            let own = match *scope {
                Scope::SalesCenter { sales_center_id }
                | Scope::Partner {
                    sales_center_id, ..
                } => Some(sales_center_id),
                _ => None,
            };
            let sc = sales_centers
                .values()
                .find(|s| s.code.eq_ignore_ascii_case(code))
                .filter(|s| own.is_none_or(|id| id == s.id))
                .ok_or_else(|| {
                    crate::error::AppError::invalid("sales_center", "центр продаж не найден")
                })?;
            list.retain(|pt| pt.sales_center_id == sc.id);
            narrowed = true;
        }
        if let Some(text) = &p.partner {
            let needle = text.to_lowercase().replace('ё', "е");
            list.retain(|pt| {
                pt.name.to_lowercase().replace('ё', "е").contains(&needle)
                    || pt.inn.as_deref().is_some_and(|i| i.starts_with(&needle))
                    || pt.code.eq_ignore_ascii_case(&needle)
            });
            narrowed = true;
        }
        let by_id = list.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        Ok(PartnerSet {
            list,
            by_id,
            sales_centers,
            narrowed,
        })
    }

    pub fn get(&self, id: i32) -> Option<&partner::Model> {
        self.by_id.get(&id).map(|&i| &self.list[i])
    }

    pub fn name(&self, id: i32) -> &str {
        self.get(id).map_or("", |p| p.name.as_str())
    }

    pub fn sales_center(&self, id: i32) -> Option<&sales_center::Model> {
        self.sales_centers.get(&id)
    }

    /// The subscribers of the selected partners (everything in scope when not narrowed).
    pub fn subscribers(&self) -> Condition {
        self.partner_column(subscriber::Column::PartnerId)
    }

    pub fn partner_column<C: ColumnTrait>(&self, column: C) -> Condition {
        if self.narrowed {
            Condition::all().add(column.is_in(self.list.iter().map(|p| p.id)))
        } else {
            Condition::all()
        }
    }

    /// The filters as the report's parameters print them.
    pub fn parameters(&self, p: &Params) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(t) = &p.partner {
            out.push(("Партнер", t.clone()));
        }
        if let Some(code) = &p.sales_center {
            let name = self
                .sales_centers
                .values()
                .find(|s| s.code.eq_ignore_ascii_case(code))
                .map_or_else(|| code.clone(), |s| s.name.clone());
            out.push(("Центр продаж", name));
        }
        out
    }
}

pub(super) async fn region_names(st: &AppState) -> AppResult<HashMap<String, String>> {
    Ok(region::Entity::find()
        .all(&st.db)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect())
}

pub(super) fn region_title(names: &HashMap<String, String>, code: &str) -> String {
    names
        .get(code)
        .map_or_else(|| code.to_owned(), |n| format!("{code} {n}"))
}

/// The columns every subscriber list starts with.
pub(super) fn subscriber_columns() -> Vec<super::Column> {
    vec![
        col("subscriber", "Абонент", Kind::Text),
        col("inn", "ИНН", Kind::Text),
        col("kpp", "КПП", Kind::Text),
        col("partner", "Партнер", Kind::Text),
    ]
}

pub(super) fn subscriber_cells(l: &LicenceRow, partner: &str) -> Vec<Cell> {
    vec![
        Cell::text(&l.short_name),
        Cell::text(&l.inn),
        Cell::opt_text(l.kpp.as_deref()),
        Cell::text(partner),
    ]
}

/// A totals row of a list: `label` first, the count of rows last.
pub(super) fn count_row(label: &str, width: usize, n: usize) -> Vec<Cell> {
    let mut row = vec![Cell::text(label)];
    row.resize(width.saturating_sub(1), Cell::Empty);
    row.push(count(n));
    row
}

pub(super) fn count(n: usize) -> Cell {
    Cell::Count(u64::try_from(n).unwrap_or(u64::MAX))
}

/// «Отчет по партнерам» (l.2677–2709).
pub async fn partners(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    use licence::Column as L;
    let partners = PartnerSet::load(st, scope, p).await?.list;
    let mut when = Condition::any()
        .add(L::RegisteredOn.between(p.from, p.to))
        .add(L::RegisteredOn.eq(p.today));
    when = Condition::all().add(when);
    let rows = licences(st, scope, when).await?;
    let wanted = |l: &LicenceRow| match p.connection {
        super::Connection::All => true,
        super::Connection::Primary => l.is_primary,
        super::Connection::Renewal => !l.is_primary,
    };
    #[derive(Default, Clone, Copy)]
    struct Counts {
        paid: u64,
        its: u64,
        bonus: u64,
        total: u64,
        today: u64,
    }
    let mut by_partner: HashMap<i32, Counts> = HashMap::new();
    for l in rows.iter().filter(|l| wanted(l)) {
        let c = by_partner.entry(l.partner_id).or_default();
        let Some(on) = l.registered_on else { continue };
        if p.from <= on && on <= p.to {
            match l.class() {
                Class::Paid => c.paid += 1,
                Class::Its => c.its += 1,
                Class::Bonus => c.bonus += 1,
                Class::Promo => {}
            }
            c.total += 1;
        }
        if on == p.today {
            c.today += 1;
        }
    }
    let mut sum = Counts::default();
    let table_rows = partners
        .iter()
        .map(|pt| {
            let c = by_partner.get(&pt.id).copied().unwrap_or_default();
            sum.paid += c.paid;
            sum.its += c.its;
            sum.bonus += c.bonus;
            sum.total += c.total;
            sum.today += c.today;
            vec![
                Cell::text(&pt.name),
                Cell::text(&pt.code),
                Cell::opt_text(pt.inn.as_deref()),
                Cell::Count(u64::try_from(pt.tariff_zone).unwrap_or_default()),
                Cell::Count(c.paid),
                Cell::Count(c.its),
                Cell::Count(c.bonus),
                Cell::Count(c.total),
                Cell::Count(c.today),
            ]
        })
        .collect();
    Ok(Table {
        name: ReportName::Partners,
        parameters: vec![
            ("Период", period_ru(p.from, p.to)),
            ("Подключения", p.connection.title_ru().to_owned()),
        ],
        columns: vec![
            col("partner", "Наименование", Kind::Text),
            col("code", "Код", Kind::Text),
            col("inn", "ИНН", Kind::Text),
            col("zone", "Тарифная зона", Kind::Count),
            col("paid", "Платных", Kind::Count),
            col("its_prof", "ИТС ПРОФ", Kind::Count),
            col("bonus", "Бонусных", Kind::Count),
            col("total", "Всего", Kind::Count),
            col("today", "За сегодня", Kind::Count),
        ],
        rows: table_rows,
        totals: Some(vec![
            Cell::text("Итого"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Count(sum.paid),
            Cell::Count(sum.its),
            Cell::Count(sum.bonus),
            Cell::Count(sum.total),
            Cell::Count(sum.today),
        ]),
        notes: vec![
            "Считаются лицензии тарифов по дате регистрации; «Всего» включает промо-лицензии; «За сегодня» — зарегистрированные сегодня.".to_owned(),
        ],
        chart: None,
        sections: Vec::new(),
    })
}

/// «Статистика по регионам» (l.2739–2743): the quarter's connections and the subscribers
/// active at its end, by region; the chart shows the last four quarters.
pub async fn region_statistics(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    let quarters = {
        let mut q = vec![p.quarter];
        for _ in 0..3 {
            let prev = q[q.len() - 1].previous();
            q.push(prev);
        }
        q.reverse();
        q
    };
    let window_start = quarters[0].first_day();
    let rows = licences(
        st,
        scope,
        Condition::all().add(licence::Column::EndsOn.gte(window_start)),
    )
    .await?;
    let names = region_names(st).await?;
    let connected = |q: rules::Quarter, region: Option<&str>| -> usize {
        let (a, b) = (q.first_day(), q.last_day());
        rows.iter()
            .filter(|l| l.is_primary && l.registered_on.is_some_and(|d| a <= d && d <= b))
            .filter(|l| region.is_none_or(|r| l.region_code == r))
            .map(|l| l.subscriber_id)
            .collect::<HashSet<_>>()
            .len()
    };
    let active = |q: rules::Quarter, region: Option<&str>| -> usize {
        let end = q.last_day();
        rows.iter()
            .filter(|l| l.covers(end))
            .filter(|l| region.is_none_or(|r| l.region_code == r))
            .map(|l| l.subscriber_id)
            .collect::<HashSet<_>>()
            .len()
    };
    let regions: std::collections::BTreeSet<&str> =
        rows.iter().map(|l| l.region_code.as_str()).collect();
    let q = p.quarter;
    let table_rows: Vec<Vec<Cell>> = regions
        .iter()
        .map(|r| {
            vec![
                Cell::text(region_title(&names, r)),
                count(connected(q, Some(r))),
                count(active(q, Some(r))),
            ]
        })
        .filter(|row| row[1] != Cell::Count(0) || row[2] != Cell::Count(0))
        .collect();
    let chart = Chart {
        title: "Абоненты 1С по кварталам".to_owned(),
        kind: ChartKind::Bars,
        unit: "",
        categories: quarters.iter().map(|q| q.title_ru()).collect(),
        series: vec![
            Series {
                name: "Подключено за квартал".to_owned(),
                values: quarters
                    .iter()
                    .map(|q| Some(connected(*q, None) as f64))
                    .collect(),
            },
            Series {
                name: "Активных на конец квартала".to_owned(),
                values: quarters
                    .iter()
                    .map(|q| Some(active(*q, None) as f64))
                    .collect(),
            },
        ],
    };
    Ok(Table {
        name: ReportName::RegionStatistics,
        parameters: vec![("Квартал", q.title_ru())],
        columns: vec![
            col("region", "Регион", Kind::Text),
            col("connected", "Кол-во абонентов 1С за период", Kind::Count),
            col("active", "Кол-во активных абонентов 1С", Kind::Count),
        ],
        rows: table_rows,
        totals: Some(vec![
            Cell::text("Итого"),
            count(connected(q, None)),
            count(active(q, None)),
        ]),
        notes: vec![
            "За период — абоненты, первичная лицензия которых зарегистрирована в квартале. Активные — абоненты с неотозванной лицензией тарифа, действующей в последний день квартала.".to_owned(),
        ],
        chart: Some(chart),
        sections: Vec::new(),
    })
}

/// «Отчет по действующим Абонентам» (l.2759): every subscriber with a licence current on
/// the date, with the licence that runs longest.
pub async fn active_subscribers(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    use licence::Column as L;
    let partners = PartnerSet::load(st, scope, p).await?;
    let rows = licences(
        st,
        scope,
        Condition::all()
            .add(L::StartsOn.lte(p.on))
            .add(L::EndsOn.gte(p.on))
            .add(L::State.ne("revoked"))
            .add(partners.subscribers()),
    )
    .await?;
    let names = region_names(st).await?;
    let mut best: BTreeMap<i64, &LicenceRow> = BTreeMap::new();
    for l in &rows {
        let slot = best.entry(l.subscriber_id).or_insert(l);
        if l.ends_on > slot.ends_on {
            *slot = l;
        }
    }
    let mut list: Vec<&LicenceRow> = best.into_values().collect();
    let partner_name = |id: i32| partners.name(id);
    list.sort_by(|a, b| {
        (partner_name(a.partner_id), &a.short_name, a.subscriber_id).cmp(&(
            partner_name(b.partner_id),
            &b.short_name,
            b.subscriber_id,
        ))
    });
    let n = list.len();
    Ok(Table {
        name: ReportName::ActiveSubscribers,
        parameters: [
            vec![("На дату", crate::web::components::date_ru(p.on))],
            partners.parameters(p),
        ]
        .concat(),
        columns: [
            subscriber_columns(),
            vec![
                col("region", "Регион", Kind::Text),
                col("tariff", "Тариф", Kind::Text),
                col("starts_on", "Начало", Kind::Date),
                col("ends_on", "Окончание", Kind::Date),
            ],
        ]
        .concat(),
        rows: list
            .into_iter()
            .map(|l| {
                let mut row = subscriber_cells(l, partner_name(l.partner_id));
                row.extend([
                    Cell::text(region_title(&names, &l.region_code)),
                    Cell::text(&l.tariff_name),
                    Cell::Date(l.starts_on),
                    Cell::Date(l.ends_on),
                ]);
                row
            })
            .collect(),
        totals: Some(count_row("Всего абонентов", 8, n)),
        notes: vec![
            "Действующая — неотозванная лицензия тарифа, срок которой включает дату; у абонента с несколькими показана та, что действует дольше.".to_owned(),
        ],
        chart: None,
        sections: Vec::new(),
    })
}

/// «Отчёт по продлениям» (l.2761): renewals of «ИТС ПРОФ» and of the paid tariffs
/// registered in the period.
pub async fn renewals(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    use licence::Column as L;
    let rows = licences(
        st,
        scope,
        Condition::all()
            .add(L::IsPrimary.eq(false))
            .add(L::RegisteredOn.between(p.from, p.to)),
    )
    .await?;
    let partners = PartnerSet::load(st, scope, p).await?;
    let partner_name = |id: i32| partners.name(id);
    let mut list: Vec<&LicenceRow> = rows
        .iter()
        .filter(|l| matches!(l.class(), Class::Paid | Class::Its))
        .collect();
    list.sort_by_key(|l| (l.registered_on, l.id));
    let n = list.len();
    Ok(Table {
        name: ReportName::Renewals,
        parameters: vec![("Период", period_ru(p.from, p.to))],
        columns: [
            subscriber_columns(),
            vec![
                col("tariff", "Тариф", Kind::Text),
                col("starts_on", "Начало", Kind::Date),
                col("ends_on", "Окончание", Kind::Date),
                col("registered_on", "Дата регистрации", Kind::Date),
            ],
        ]
        .concat(),
        rows: list
            .into_iter()
            .map(|l| {
                let mut row = subscriber_cells(l, partner_name(l.partner_id));
                row.extend([
                    Cell::text(&l.tariff_name),
                    Cell::Date(l.starts_on),
                    Cell::Date(l.ends_on),
                    l.registered_on.map_or(Cell::Empty, Cell::Date),
                ]);
                row
            })
            .collect(),
        totals: Some(count_row("Всего продлений", 8, n)),
        notes: vec![
            "Продление — лицензия тарифа, подключенная заявлением на продление (не первичная), по дате регистрации.".to_owned(),
        ],
        chart: None,
        sections: Vec::new(),
    })
}

/// «Отчет по планам для ЦП» (l.2775–2787): due for renewal, renewed and churn by region,
/// with the churn of the year to the period's end; the chart shows it month by month.
pub async fn plans(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    let months = rules::twelve_months_to(p.to);
    let year_start = months[0].0.min(p.from);
    // Every licence ending from the year's start on: the due ones, their successors
    // (which end later) and those current at the period's end.
    let window = year_start
        .checked_sub_months(Months::new(1))
        .unwrap_or(year_start);
    let mut cond = Condition::all().add(licence::Column::EndsOn.gte(window));
    if let Some(r) = &p.region {
        cond = cond.add(subscriber::Column::RegionCode.eq(r.as_str()));
    }
    let rows = licences(st, scope, cond).await?;
    let names = region_names(st).await?;
    let mut by_subscriber: HashMap<i64, Vec<Term>> = HashMap::new();
    for l in &rows {
        by_subscriber
            .entry(l.subscriber_id)
            .or_default()
            .push(l.term());
    }
    let mut by_region: BTreeMap<&str, Vec<Term>> = BTreeMap::new();
    for l in &rows {
        by_region
            .entry(l.region_code.as_str())
            .or_default()
            .push(l.term());
    }
    let all_terms: Vec<Term> = rows.iter().map(LicenceRow::term).collect();
    let (year_from, year_to) = (months[0].0, months[11].1);
    let line = |label: String, terms: &[Term], region: Option<&str>| -> Vec<Cell> {
        let (paid, its) = rules::renewals_in(terms, &by_subscriber, p.from, p.to, p.today);
        let (ypaid, yits) = rules::renewals_in(terms, &by_subscriber, year_from, year_to, p.today);
        let active = rows
            .iter()
            .filter(|l| l.covers(p.to))
            .filter(|l| region.is_none_or(|r| l.region_code == r))
            .map(|l| l.subscriber_id)
            .collect::<HashSet<_>>()
            .len();
        vec![
            Cell::text(label),
            Cell::Count(paid.due),
            Cell::Count(its.due),
            Cell::Count(paid.renewed),
            Cell::Count(its.renewed),
            Cell::Percent(paid.with(its).churn_percent()),
            Cell::Percent(paid.churn_percent()),
            Cell::Percent(its.churn_percent()),
            Cell::Percent(ypaid.with(yits).churn_percent()),
            count(active),
        ]
    };
    let table_rows: Vec<Vec<Cell>> = by_region
        .iter()
        .map(|(r, terms)| line(region_title(&names, r), terms, Some(r)))
        .filter(|row| row[1..5].iter().any(|c| *c != Cell::Count(0)) || row[9] != Cell::Count(0))
        .collect();
    let totals = line("Итого".to_owned(), &all_terms, None);
    let monthly: Vec<(Renewals, Renewals)> = months
        .iter()
        .map(|(a, b)| rules::renewals_in(&all_terms, &by_subscriber, *a, *b, p.today))
        .collect();
    let as_f64 = |v: Option<rust_decimal::Decimal>| {
        v.and_then(|d| rust_decimal::prelude::ToPrimitive::to_f64(&d))
    };
    let chart = Chart {
        title: "% отвала по месяцам".to_owned(),
        kind: ChartKind::Lines,
        unit: "%",
        categories: months
            .iter()
            .map(|(a, _)| rules::month_title_ru(*a))
            .collect(),
        series: vec![
            Series {
                name: "Платные".to_owned(),
                values: monthly
                    .iter()
                    .map(|(paid, _)| as_f64(paid.churn_percent()))
                    .collect(),
            },
            Series {
                name: "ИТС".to_owned(),
                values: monthly
                    .iter()
                    .map(|(_, its)| as_f64(its.churn_percent()))
                    .collect(),
            },
        ],
    };
    let mut parameters = vec![("Период", period_ru(p.from, p.to))];
    parameters.push((
        "Регион",
        p.region
            .as_deref()
            .map_or_else(|| "все".to_owned(), |r| region_title(&names, r)),
    ));
    Ok(Table {
        name: ReportName::Plans,
        parameters,
        columns: vec![
            col("region", "Регион", Kind::Text),
            col("due_paid", "К продлению Платных", Kind::Count),
            col("due_its", "К продлению ИТС", Kind::Count),
            col("renewed_paid", "Продлено Платных", Kind::Count),
            col("renewed_its", "Продлено ИТС", Kind::Count),
            col("churn", "Общий отвал, %", Kind::Percent),
            col("churn_paid", "% отвала Платных", Kind::Percent),
            col("churn_its", "% отвала ИТС", Kind::Percent),
            col("churn_year", "% средний отвал за год", Kind::Percent),
            col("active_at_end", "Действующих на конец периода", Kind::Count),
        ],
        rows: table_rows,
        totals: Some(totals),
        notes: vec![
            rules::CHURN_DEFINITION.to_owned(),
            format!(
                "% средний отвал за год — по всем лицензиям, срок которых закончился с {} по {}.",
                crate::web::components::date_ru(year_from),
                crate::web::components::date_ru(year_to)
            ),
        ],
        chart: Some(chart),
        sections: Vec::new(),
    })
}

/// The scope's licences of any kind registered in the period.
async fn registered_in(
    st: &AppState,
    scope: &Scope,
    p: &Params,
    partners: &PartnerSet,
) -> AppResult<Vec<LicenceRow>> {
    licences_of_any_kind(
        st,
        scope,
        Condition::all()
            .add(licence::Column::RegisteredOn.between(p.from, p.to))
            .add(partners.subscribers()),
    )
    .await
}

/// «Отчет по ЦК» (l.2665–2675): the period's connections by partner, tariff zone and
/// tariff, with the sales center's reward — its share of each line (the money flow of
/// the reconciliation), which is what the center of competence earns on them.
pub async fn competence_center(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    let partners = PartnerSet::load(st, scope, p).await?;
    let rows = registered_in(st, scope, p, &partners).await?;
    let mut groups: BTreeMap<(String, i16, String), (u64, Money)> = BTreeMap::new();
    for l in rows.iter().filter(|l| !l.revoked()) {
        let g = groups
            .entry((
                partners.name(l.partner_id).to_owned(),
                l.zone,
                l.tariff_name.clone(),
            ))
            .or_insert((0, Money::ZERO));
        g.0 += 1;
        g.1 = g.1 + l.sales_center_share;
    }
    let (n, reward) = groups
        .values()
        .fold((0, Money::ZERO), |(n, m), (c, r)| (n + c, m + *r));
    Ok(Table {
        name: ReportName::CompetenceCenter,
        parameters: vec![("Период", period_ru(p.from, p.to))],
        columns: vec![
            col("organisation", "Наименование организации", Kind::Text),
            col("zone", "Тарифная зона", Kind::Count),
            col("tariff", "Тариф", Kind::Text),
            col("count", "Количество", Kind::Count),
            col("reward", "Вознаграждение", Kind::Money),
        ],
        rows: groups
            .into_iter()
            .map(|((partner, zone, tariff), (count, reward))| {
                vec![
                    Cell::Text(partner),
                    Cell::Count(u64::try_from(zone).unwrap_or_default()),
                    Cell::Text(tariff),
                    Cell::Count(count),
                    Cell::Money(reward),
                ]
            })
            .collect(),
        totals: Some(vec![
            Cell::text("Итого"),
            Cell::Empty,
            Cell::Empty,
            Cell::Count(n),
            Cell::Money(reward),
        ]),
        notes: vec![
            "Лицензии тарифов и расширений, зарегистрированные в периоде (кроме отозванных), по партнерам. Вознаграждение — отчисления центра продаж по строкам сверки.".to_owned(),
        ],
        chart: None,
        sections: Vec::new(),
    })
}

/// «Отчет по регионам (для ЦП)» (l.2711–2737): the organisations connected in the period
/// by region, with how many tariff licences each registered.
pub async fn regions(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    let partners = PartnerSet::load(st, scope, p).await?;
    let rows = registered_in(st, scope, p, &partners).await?;
    let names = region_names(st).await?;
    let mut by_org: BTreeMap<(String, String, i64), (&LicenceRow, u64)> = BTreeMap::new();
    for l in rows.iter().filter(|l| l.kind == "tariff" && !l.revoked()) {
        by_org
            .entry((l.region_code.clone(), l.short_name.clone(), l.subscriber_id))
            .or_insert((l, 0))
            .1 += 1;
    }
    let total: u64 = by_org.values().map(|(_, n)| n).sum();
    let orgs = by_org.len();
    Ok(Table {
        name: ReportName::Regions,
        parameters: vec![("Период", period_ru(p.from, p.to))],
        columns: vec![
            col("region", "Регион", Kind::Text),
            col("organisation", "Наименование", Kind::Text),
            col("count", "Количество", Kind::Count),
            col("inn", "ИНН", Kind::Text),
            col("kpp", "КПП", Kind::Text),
        ],
        rows: by_org
            .into_values()
            .map(|(l, n)| {
                vec![
                    Cell::text(region_title(&names, &l.region_code)),
                    Cell::text(&l.short_name),
                    Cell::Count(n),
                    Cell::text(&l.inn),
                    Cell::opt_text(l.kpp.as_deref()),
                ]
            })
            .collect(),
        totals: Some(vec![
            Cell::text(format!("Итого организаций: {orgs}")),
            Cell::Empty,
            Cell::Count(total),
            Cell::Empty,
            Cell::Empty,
        ]),
        notes: vec![
            "Количество — лицензии тарифов (первичные и продления), зарегистрированные в периоде, кроме отозванных.".to_owned(),
        ],
        chart: None,
        sections: Vec::new(),
    })
}

/// The authorities with a column of their own in the representatives' report; the rest
/// are summed as «Другие органы».
const MAIN_AUTHORITIES: [Authority; 4] = [
    Authority::Fns,
    Authority::Pfr,
    Authority::Fss,
    Authority::Rosstat,
];

/// «Отчет по отправкам уполномоченных представителей» (l.2757): each representative's
/// sends in the quarters the period touches (the latest count the e-filing side reported),
/// in total and by authority.
pub async fn representative_sends(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    let partners = PartnerSet::load(st, scope, p).await?;
    let mut quarters = vec![rules::Quarter::of(p.from)];
    while quarters[quarters.len() - 1] != rules::Quarter::of(p.to) {
        let last = quarters[quarters.len() - 1];
        quarters.push(rules::Quarter::of(
            last.last_day() + chrono::Duration::days(1),
        ));
    }
    let sends = up_transaction::Entity::find()
        .filter(scope.partner_column(up_transaction::Column::PartnerId))
        .filter(partners.partner_column(up_transaction::Column::PartnerId))
        .filter(up_transaction::Column::Quarter.is_in(quarters.iter().map(|q| q.code())))
        .all(&st.db)
        .await?;
    #[derive(Default)]
    struct Sums {
        clients: HashSet<(String, String)>,
        by_authority: [u64; 5],
    }
    let mut by_rep: HashMap<i64, Sums> = HashMap::new();
    for t in &sends {
        let s = by_rep.entry(t.representative_id).or_default();
        s.clients
            .insert((t.client_inn.clone(), t.client_kpp.clone()));
        let i = MAIN_AUTHORITIES
            .iter()
            .position(|a| *a == t.authority)
            .unwrap_or(4);
        s.by_authority[i] += u64::try_from(t.count).unwrap_or_default();
    }
    let reps: HashMap<i64, subscriber::Model> = subscriber::Entity::find()
        .filter(subscriber::Column::Id.is_in(by_rep.keys().copied()))
        .all(&st.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut list: Vec<(&subscriber::Model, &Sums)> = by_rep
        .iter()
        .filter_map(|(id, s)| reps.get(id).map(|r| (r, s)))
        .collect();
    list.sort_by(|a, b| {
        (partners.name(a.0.partner_id), &a.0.short_name, a.0.id).cmp(&(
            partners.name(b.0.partner_id),
            &b.0.short_name,
            b.0.id,
        ))
    });
    let mut total = [0u64; 5];
    let mut clients = 0usize;
    let table_rows = list
        .iter()
        .map(|(r, s)| {
            clients += s.clients.len();
            for (t, v) in total.iter_mut().zip(s.by_authority) {
                *t += v;
            }
            let mut row = vec![
                Cell::text(&r.short_name),
                Cell::text(&r.inn),
                Cell::opt_text(r.kpp.as_deref()),
                Cell::text(partners.name(r.partner_id)),
                count(s.clients.len()),
            ];
            row.extend(s.by_authority.iter().map(|v| Cell::Count(*v)));
            row.push(Cell::Count(s.by_authority.iter().sum()));
            row
        })
        .collect();
    let mut totals = vec![
        Cell::text("Итого"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        count(clients),
    ];
    totals.extend(total.iter().map(|v| Cell::Count(*v)));
    totals.push(Cell::Count(total.iter().sum()));
    Ok(Table {
        name: ReportName::RepresentativeSends,
        parameters: vec![
            ("Период", period_ru(p.from, p.to)),
            (
                "Кварталы",
                quarters
                    .iter()
                    .map(|q| q.title_ru())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ],
        columns: vec![
            col("representative", "Уполномоченный представитель", Kind::Text),
            col("inn", "ИНН", Kind::Text),
            col("kpp", "КПП", Kind::Text),
            col("partner", "Партнер", Kind::Text),
            col("clients", "Организаций", Kind::Count),
            col("fns", "ФНС", Kind::Count),
            col("pfr", "ПФР", Kind::Count),
            col("fss", "ФСС", Kind::Count),
            col("rosstat", "Росстат", Kind::Count),
            col("other", "Другие органы", Kind::Count),
            col("total", "Всего отправок", Kind::Count),
        ],
        rows: table_rows,
        totals: Some(totals),
        notes: vec![
            "Отправки — завершенные документообороты, которые передала сторона документооборота за кварталы периода (последнее уточненное количество). Другие органы — РАР, Росприроднадзор, ФТС.".to_owned(),
        ],
        chart: None,
        sections: Vec::new(),
    })
}
