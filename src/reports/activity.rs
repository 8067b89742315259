//! «Отчет по активности партнера» (l.2789–2826): a partner's work with 1С-Отчетность in
//! the period — new connections, due and renewed (paid, ITS), churn for the period and
//! the year, inactive subscribers, active ones by the size of their company group — one
//! line per partner the filter selects, with the partner's contacts when it selects one.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, Months};
use sea_orm::{ColumnTrait, Condition, EntityTrait, JoinType, QueryFilter, QuerySelect};

use super::chart::{Chart, Kind as ChartKind, Series};
use super::data::{LicenceRow, PartnerSet, count, joins_subscriber, licences};
use super::rules::{self, GROUP_BUCKETS, INACTIVE_DAYS, Renewals, Term};
use super::{Cell, Kind, Params, ReportName, Section, Table, col, period_ru};
use crate::AppState;
use crate::auth::{Role, Scope};
use crate::entities::{company_group, company_group_member, licence, subscriber_send, user};
use crate::error::AppResult;

/// A selection of subscribers' figures for the period.
struct Figures {
    new: usize,
    paid: Renewals,
    its: Renewals,
    year_paid: Renewals,
    year_its: Renewals,
    inactive: usize,
    active: usize,
    buckets: [usize; 8],
}

pub async fn partner_activity(st: &AppState, scope: &Scope, p: &Params) -> AppResult<Table> {
    let partners = PartnerSet::load(st, scope, p).await?;
    let months = rules::twelve_months_to(p.to);
    let (year_from, year_to) = (months[0].0, months[11].1);
    let window = year_from
        .min(p.from)
        .checked_sub_months(Months::new(1))
        .unwrap_or(year_from);
    let rows = licences(
        st,
        scope,
        Condition::all()
            .add(licence::Column::EndsOn.gte(window))
            .add(partners.subscribers()),
    )
    .await?;
    let sent_since = p.to - Duration::days(INACTIVE_DAYS);
    let sending: HashSet<i64> = subscriber_send::Entity::find()
        .select_only()
        .column(subscriber_send::Column::SubscriberId)
        .join(
            JoinType::InnerJoin,
            joins_subscriber::<subscriber_send::Entity>(subscriber_send::Column::SubscriberId),
        )
        .filter(scope.subscribers())
        .filter(partners.subscribers())
        .filter(subscriber_send::Column::LastSentOn.gt(sent_since))
        .into_tuple::<i64>()
        .all(&st.db)
        .await?
        .into_iter()
        .collect();
    let group_size = group_sizes(st, &partners).await?;
    let mut by_subscriber: HashMap<i64, Vec<Term>> = HashMap::new();
    let mut by_partner: BTreeMap<i32, Vec<&LicenceRow>> = BTreeMap::new();
    for l in &rows {
        by_subscriber
            .entry(l.subscriber_id)
            .or_default()
            .push(l.term());
        by_partner.entry(l.partner_id).or_default().push(l);
    }
    let figures = |lics: &[&LicenceRow]| -> Figures {
        let terms: Vec<Term> = lics.iter().map(|l| l.term()).collect();
        let (paid, its) = rules::renewals_in(&terms, &by_subscriber, p.from, p.to, p.today);
        let (year_paid, year_its) =
            rules::renewals_in(&terms, &by_subscriber, year_from, year_to, p.today);
        let new = lics
            .iter()
            .filter(|l| l.is_primary && l.registered_on.is_some_and(|d| p.from <= d && d <= p.to))
            .map(|l| l.subscriber_id)
            .collect::<HashSet<_>>()
            .len();
        let active: HashSet<i64> = lics
            .iter()
            .filter(|l| l.covers(p.to))
            .map(|l| l.subscriber_id)
            .collect();
        let mut buckets = [0usize; 8];
        for s in &active {
            buckets[rules::group_bucket(group_size.get(s).copied())] += 1;
        }
        Figures {
            new,
            paid,
            its,
            year_paid,
            year_its,
            inactive: active.iter().filter(|s| !sending.contains(s)).count(),
            active: active.len(),
            buckets,
        }
    };
    let work_row = |label: &str, f: &Figures| -> Vec<Cell> {
        vec![
            Cell::text(label),
            count(f.new),
            Cell::Count(f.paid.due),
            Cell::Count(f.its.due),
            Cell::Count(f.paid.renewed),
            Cell::Count(f.its.renewed),
            Cell::Percent(f.paid.with(f.its).churn_percent()),
            Cell::Percent(f.paid.churn_percent()),
            Cell::Percent(f.its.churn_percent()),
            Cell::Percent(f.year_paid.churn_percent()),
            Cell::Percent(f.year_its.churn_percent()),
            count(f.inactive),
            count(f.active),
        ]
    };
    let bucket_row = |label: &str, f: &Figures| -> Vec<Cell> {
        let mut row = vec![Cell::text(label)];
        row.extend(f.buckets.iter().map(|n| count(*n)));
        row
    };
    let mut work = Vec::new();
    let mut groups = Vec::new();
    for pt in &partners.list {
        let lics = by_partner.get(&pt.id).map(Vec::as_slice).unwrap_or(&[]);
        let f = figures(lics);
        work.push(work_row(&pt.name, &f));
        groups.push(bucket_row(&pt.name, &f));
    }
    let all: Vec<&LicenceRow> = rows.iter().collect();
    let total = figures(&all);
    if partners.list.len() > 1 {
        groups.push(bucket_row("Итого", &total));
    }
    let mut parameters = vec![("Период", period_ru(p.from, p.to))];
    parameters.extend(partners.parameters(p));
    if let [one] = partners.list.as_slice() {
        parameters.extend(contacts(st, &partners, one).await?);
    }
    let chart = monthly_chart(&rows, &by_subscriber, &months, p.today);
    Ok(Table {
        name: ReportName::PartnerActivity,
        parameters,
        columns: vec![
            col("partner", "Партнер", Kind::Text),
            col("new", "Новых подключений", Kind::Count),
            col("due_paid", "К продлению Платных", Kind::Count),
            col("due_its", "К продлению ИТС", Kind::Count),
            col("renewed_paid", "Продлено Платных", Kind::Count),
            col("renewed_its", "Продлено ИТС", Kind::Count),
            col("churn", "% отвала за период, общий", Kind::Percent),
            col("churn_paid", "% отвала за период, Платные", Kind::Percent),
            col("churn_its", "% отвала за период, ИТС", Kind::Percent),
            col("churn_year_paid", "% отвала за год, Платные", Kind::Percent),
            col("churn_year_its", "% отвала за год, ИТС", Kind::Percent),
            col("inactive", "Неактивные", Kind::Count),
            col("active", "Действующих абонентов", Kind::Count),
        ],
        rows: work,
        totals: Some(work_row("Итого", &total)),
        notes: vec![
            "Новых подключений — абоненты, первичная лицензия которых зарегистрирована в периоде. Действующие — с неотозванной лицензией тарифа на конец периода.".to_owned(),
            rules::CHURN_DEFINITION.to_owned(),
            format!(
                "% отвала за год — по лицензиям, срок которых закончился с {} по {}.",
                crate::web::components::date_ru(year_from),
                crate::web::components::date_ru(year_to)
            ),
            format!(
                "К неактивным относятся действующие абоненты, у которых более чем {INACTIVE_DAYS} дней до конца периода не было отправок по любому из направлений (по дате последней отправки, которую передает сторона документооборота)."
            ),
            "Группы компаний — действующие абоненты по числу организаций в их группе; «Остальные» — не входящие в группу из трех и более.".to_owned(),
        ],
        chart: Some(chart),
        sections: vec![Section {
            key: "groups",
            title: "Действующие абоненты (Группы компаний / Остальные)",
            columns: std::iter::once(col("partner", "Партнер", Kind::Text))
                .chain(GROUP_KEYS.iter().zip(GROUP_BUCKETS).map(|(k, t)| col(k, t, Kind::Count)))
                .collect(),
            rows: groups,
        }],
    })
}

/// The API keys of [`GROUP_BUCKETS`].
const GROUP_KEYS: [&str; 8] = [
    "size_3_5",
    "size_6_10",
    "size_11_15",
    "size_16_25",
    "size_26_50",
    "size_51_100",
    "size_101_plus",
    "others",
];

/// Each grouped subscriber of the selected partners, with its group's size.
async fn group_sizes(st: &AppState, partners: &PartnerSet) -> AppResult<HashMap<i64, usize>> {
    let members: Vec<(i64, i64)> = company_group_member::Entity::find()
        .select_only()
        .columns([
            company_group_member::Column::SubscriberId,
            company_group_member::Column::GroupId,
        ])
        .join(
            JoinType::InnerJoin,
            company_group_member::Entity::belongs_to(company_group::Entity)
                .from(company_group_member::Column::GroupId)
                .to(company_group::Column::Id)
                .into(),
        )
        .filter(company_group::Column::PartnerId.is_in(partners.list.iter().map(|p| p.id)))
        .into_tuple()
        .all(&st.db)
        .await?;
    let mut size: HashMap<i64, usize> = HashMap::new();
    for (_, g) in &members {
        *size.entry(*g).or_default() += 1;
    }
    Ok(members
        .into_iter()
        .map(|(s, g)| (s, size.get(&g).copied().unwrap_or(0)))
        .collect())
}

/// «Контакты партнера»: its sales center, managers (its staff's accounts), phone, e-mail.
async fn contacts(
    st: &AppState,
    partners: &PartnerSet,
    one: &crate::entities::partner::Model,
) -> AppResult<Vec<(&'static str, String)>> {
    let managers: Vec<String> = user::Entity::find()
        .filter(user::Column::PartnerId.eq(one.id))
        .filter(user::Column::Role.eq(Role::Partner))
        .filter(user::Column::Active.eq(true))
        .all(&st.db)
        .await?
        .into_iter()
        .map(|u| u.full_name)
        .collect();
    let dash = |s: Option<&str>| s.filter(|s| !s.is_empty()).unwrap_or("—").to_owned();
    Ok(vec![
        (
            "Центр продаж",
            dash(
                partners
                    .sales_center(one.sales_center_id)
                    .map(|s| s.name.as_str()),
            ),
        ),
        (
            "Менеджеры партнера",
            if managers.is_empty() {
                "—".to_owned()
            } else {
                managers.join(", ")
            },
        ),
        ("Телефон", dash(one.phone.as_deref())),
        ("Электронная почта", dash(one.email.as_deref())),
    ])
}

/// New connections, due and renewed, month by month over the twelve months.
fn monthly_chart(
    rows: &[LicenceRow],
    by_subscriber: &HashMap<i64, Vec<Term>>,
    months: &[(chrono::NaiveDate, chrono::NaiveDate)],
    today: chrono::NaiveDate,
) -> Chart {
    let terms: Vec<Term> = rows.iter().map(LicenceRow::term).collect();
    let mut new = Vec::new();
    let mut due = Vec::new();
    let mut renewed = Vec::new();
    for (a, b) in months {
        let n = rows
            .iter()
            .filter(|l| l.is_primary && l.registered_on.is_some_and(|d| *a <= d && d <= *b))
            .map(|l| l.subscriber_id)
            .collect::<HashSet<_>>()
            .len();
        let (paid, its) = rules::renewals_in(&terms, by_subscriber, *a, *b, today);
        let both = paid.with(its);
        new.push(Some(n as f64));
        due.push(Some(both.due as f64));
        renewed.push(Some(both.renewed as f64));
    }
    Chart {
        title: "Подключения и продления по месяцам".to_owned(),
        kind: ChartKind::Bars,
        unit: "",
        categories: months
            .iter()
            .map(|(a, _)| rules::month_title_ru(*a))
            .collect(),
        series: vec![
            Series {
                name: "Новых подключений".to_owned(),
                values: new,
            },
            Series {
                name: "К продлению".to_owned(),
                values: due,
            },
            Series {
                name: "Продлено".to_owned(),
                values: renewed,
            },
        ],
    }
}
