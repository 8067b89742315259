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
use crate::entities::{licence, partner, region, subscriber};
use crate::error::AppResult;

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
    pub partner_id: i32,
    pub region_code: String,
    pub inn: String,
    pub kpp: Option<String>,
    pub short_name: String,
}

impl LicenceRow {
    fn revoked(&self) -> bool {
        self.state == "revoked"
    }

    fn class(&self) -> Class {
        Class::of(&self.tariff_code)
    }

    fn covers(&self, day: NaiveDate) -> bool {
        !self.revoked() && self.starts_on <= day && day <= self.ends_on
    }

    fn term(&self) -> Term {
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
async fn licences(st: &AppState, scope: &Scope, extra: Condition) -> AppResult<Vec<LicenceRow>> {
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
        ])
        .columns([S::PartnerId, S::RegionCode, S::Inn, S::Kpp, S::ShortName])
        .join(JoinType::InnerJoin, licence_subscriber())
        .filter(scope.subscribers())
        .filter(L::Kind.eq("tariff"))
        .filter(L::State.ne("pending"))
        .filter(extra)
        .order_by_asc(L::Id)
        .into_model::<LicenceRow>()
        .all(&st.db)
        .await?)
}

fn licence_subscriber() -> sea_orm::RelationDef {
    licence::Entity::belongs_to(subscriber::Entity)
        .from(licence::Column::SubscriberId)
        .to(subscriber::Column::Id)
        .into()
}

/// The scope's partners by id.
async fn partners_of(st: &AppState, scope: &Scope) -> AppResult<Vec<partner::Model>> {
    Ok(partner::Entity::find()
        .filter(scope.partners())
        .order_by_asc(partner::Column::Name)
        .all(&st.db)
        .await?)
}

async fn region_names(st: &AppState) -> AppResult<HashMap<String, String>> {
    Ok(region::Entity::find()
        .all(&st.db)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect())
}

fn region_title(names: &HashMap<String, String>, code: &str) -> String {
    names
        .get(code)
        .map_or_else(|| code.to_owned(), |n| format!("{code} {n}"))
}

/// The columns every subscriber list starts with.
fn subscriber_columns() -> Vec<super::Column> {
    vec![
        col("subscriber", "Абонент", Kind::Text),
        col("inn", "ИНН", Kind::Text),
        col("kpp", "КПП", Kind::Text),
        col("partner", "Партнер", Kind::Text),
    ]
}

fn subscriber_cells(l: &LicenceRow, partner: &str) -> Vec<Cell> {
    vec![
        Cell::text(&l.short_name),
        Cell::text(&l.inn),
        Cell::opt_text(l.kpp.as_deref()),
        Cell::text(partner),
    ]
}

/// A totals row of a list: `label` first, the count of rows last.
fn count_row(label: &str, width: usize, n: usize) -> Vec<Cell> {
    let mut row = vec![Cell::text(label)];
    row.resize(width.saturating_sub(1), Cell::Empty);
    row.push(count(n));
    row
}

fn count(n: usize) -> Cell {
    Cell::Count(u64::try_from(n).unwrap_or(u64::MAX))
}

/// «Отчет по партнерам» (l.2677–2709).
pub async fn partners(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    use licence::Column as L;
    let partners = partners_of(st, scope).await?;
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
    })
}

/// «Отчет по действующим Абонентам» (l.2759): every subscriber with a licence current on
/// the date, with the licence that runs longest.
pub async fn active_subscribers(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    use licence::Column as L;
    let rows = licences(
        st,
        scope,
        Condition::all()
            .add(L::StartsOn.lte(p.on))
            .add(L::EndsOn.gte(p.on))
            .add(L::State.ne("revoked")),
    )
    .await?;
    let partners: HashMap<i32, partner::Model> = partners_of(st, scope)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let names = region_names(st).await?;
    let mut best: BTreeMap<i64, &LicenceRow> = BTreeMap::new();
    for l in &rows {
        let slot = best.entry(l.subscriber_id).or_insert(l);
        if l.ends_on > slot.ends_on {
            *slot = l;
        }
    }
    let mut list: Vec<&LicenceRow> = best.into_values().collect();
    let partner_name = |id: i32| partners.get(&id).map_or("", |p| p.name.as_str());
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
        parameters: vec![("На дату", crate::web::components::date_ru(p.on))],
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
    let partners: HashMap<i32, partner::Model> = partners_of(st, scope)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let partner_name = |id: i32| partners.get(&id).map_or("", |p| p.name.as_str());
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
        let (paid, its) = rules::renewals_in(terms, &by_subscriber, p.from, p.to);
        let (ypaid, yits) = rules::renewals_in(terms, &by_subscriber, year_from, year_to);
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
        .map(|(a, b)| rules::renewals_in(&all_terms, &by_subscriber, *a, *b))
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
    })
}
