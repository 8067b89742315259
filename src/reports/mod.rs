//! «Аналитика — Отчетность» (§16, manual l.2637–2834): the monthly reports of partners
//! and sales centers. Each report is a [`Table`] — typed columns, rows, a totals row, the
//! notes that define its figures and, where it has a trend, a [`chart::Chart`] — built
//! within the caller's scope (a partner its own subscribers, a sales center all its
//! partners', the operator everything). The page, the CSV/XLSX export and the API
//! (`GET /api/v1/reports/{name}`) render the same table.

mod activity;
pub mod chart;
mod data;
mod export;
pub mod lists;
pub mod routes;
pub mod rules;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult, FieldError};
use rules::Quarter;

crate::code_enum! {
    /// The reports, by their names in the API and the address of their page.
    pub enum ReportName {
        CompetenceCenter = "competence_center",
        Partners = "partners",
        Regions = "regions",
        RegionStatistics = "region_statistics",
        TariffTerms = "tariff_terms",
        ProductsCertificates = "products_certificates",
        RepresentativeSends = "representative_sends",
        ActiveSubscribers = "active_subscribers",
        Renewals = "renewals",
        TenderConsulting = "tender_consulting",
        Plans = "plans",
        PartnerActivity = "partner_activity",
        UnsignedCertificates = "unsigned_certificates",
    }
}

/// A parameter a report takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `from`, `to`: «Период» (default: the current month).
    Period,
    /// `on`: a date (default: today).
    Date,
    /// `quarter`: `2025-Q1` (default: the current quarter).
    Quarter,
    /// `region`: a region's code, optional.
    Region,
    /// `connection`: `all`, `primary` or `renewal`.
    Connection,
    /// `partner`: «Часть Имени/ИНН партнера» (a sales center's and the operator's filter).
    Partner,
    /// `sales_center`: a sales center's code (the operator's filter; a sales center's own).
    SalesCenter,
}

impl Param {
    /// The query keys it reads.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Param::Period => &["from", "to"],
            Param::Date => &["on"],
            Param::Quarter => &["quarter"],
            Param::Region => &["region"],
            Param::Connection => &["connection"],
            Param::Partner => &["partner"],
            Param::SalesCenter => &["sales_center"],
        }
    }
}

impl ReportName {
    pub fn title_ru(self) -> &'static str {
        match self {
            ReportName::CompetenceCenter => "Отчет по ЦК",
            ReportName::Partners => "Отчет по партнерам",
            ReportName::Regions => "Отчет по регионам",
            ReportName::RegionStatistics => "Статистика по регионам",
            ReportName::TariffTerms => "Отчёт по срокам действия тарифов",
            ReportName::ProductsCertificates => "Отчёт по продуктам и сертификатам",
            ReportName::RepresentativeSends => "Отчет по отправкам уполномоченных представителей",
            ReportName::ActiveSubscribers => "Отчет по действующим Абонентам",
            ReportName::Renewals => "Отчёт по продлениям",
            ReportName::TenderConsulting => "Тендерный консалтинг",
            ReportName::Plans => "Отчет по планам для ЦП",
            ReportName::PartnerActivity => "Отчет по активности партнера",
            ReportName::UnsignedCertificates => "Отчет по незагруженным подписанным сертификатам",
        }
    }

    /// What the report shows, under its title.
    pub fn about_ru(self) -> &'static str {
        match self {
            ReportName::CompetenceCenter => {
                "Подключения за период по партнерам, тарифным зонам и тарифам с вознаграждением центра продаж (центра компетенции)."
            }
            ReportName::Regions => {
                "Подключения за период по регионам: организации и количество зарегистрированных лицензий."
            }
            ReportName::TariffTerms => {
                "Абоненты, последний тариф которых заканчивается в периоде: сроки тарифа и сертификата, расширения. Неактивные учетные записи не включаются."
            }
            ReportName::ProductsCertificates => {
                "Учетные записи продуктов, зарегистрированные за период: GUID, сроки тарифа и сертификата, первичное подключение."
            }
            ReportName::RepresentativeSends => {
                "Отправки уполномоченных представителей за кварталы периода: всего и по контролирующим органам."
            }
            ReportName::TenderConsulting => {
                "Организации центра продаж и региона с партнером, центром продаж и наличием действующего продукта."
            }
            ReportName::PartnerActivity => {
                "Работа партнера по продукту 1С-Отчетность: новые подключения, продления, % отвала, неактивные и действующие абоненты по размеру группы."
            }
            ReportName::UnsignedCertificates => {
                "Заявления, по которым скан-копия подписанного сертификата не загружена в течение 30 дней после выпуска."
            }
            ReportName::Partners => {
                "Лицензии, зарегистрированные за период, по партнерам: платные, по ИТС ПРОФ, бонусные; за сегодня."
            }
            ReportName::RegionStatistics => {
                "По регионам за квартал: сколько абонентов 1С подключено и сколько действуют на конец квартала."
            }
            ReportName::ActiveSubscribers => "Все абоненты с действующей на дату лицензией тарифа.",
            ReportName::Renewals => {
                "Продленные за период лицензии «ИТС ПРОФ» и платных тарифов (годовое обслуживание)."
            }
            ReportName::Plans => {
                "К продлению и продлено за период по регионам, платные и ИТС, с % отвала за период и за год."
            }
        }
    }

    pub fn params(self) -> &'static [Param] {
        match self {
            ReportName::Partners => &[Param::Period, Param::Connection],
            ReportName::RegionStatistics => &[Param::Quarter],
            ReportName::ActiveSubscribers => &[Param::Date, Param::Partner],
            ReportName::Renewals => &[Param::Period],
            ReportName::Plans => &[Param::Period, Param::Region],
            ReportName::CompetenceCenter
            | ReportName::Regions
            | ReportName::TariffTerms
            | ReportName::ProductsCertificates
            | ReportName::RepresentativeSends
            | ReportName::UnsignedCertificates => &[Param::Period],
            ReportName::TenderConsulting => &[Param::SalesCenter, Param::Region],
            ReportName::PartnerActivity => &[Param::Partner, Param::Period],
        }
    }

    /// «для ЦП» in the manual: the report compares partners, so it is for sales centers
    /// (and the operator). The plans report is «для ЦП» too, but its figures — due,
    /// renewed, churn — are what a partner's activity report shows of its own
    /// subscribers, so a partner builds it over its own.
    pub fn for_sales_centers(self) -> bool {
        matches!(
            self,
            ReportName::Partners
                | ReportName::Regions
                | ReportName::CompetenceCenter
                | ReportName::TenderConsulting
        )
    }

    /// Whether `role` may build it.
    pub fn open_to(self, role: Role) -> bool {
        match role {
            Role::Operator | Role::SalesCenter => true,
            Role::Partner => !self.for_sales_centers(),
            Role::IdentificationCenter | Role::Intake => false,
        }
    }
}

/// The reports `user` may build, in the menu's order.
pub fn available(user: &CurrentUser) -> Vec<ReportName> {
    ReportName::ALL
        .into_iter()
        .filter(|r| r.open_to(user.role))
        .collect()
}

/// The parameters as the query string gives them (the page's form and the API).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RawParams {
    /// Начало периода, ГГГГ-ММ-ДД (по умолчанию — начало текущего месяца)
    #[serde(default)]
    pub from: Option<String>,
    /// Конец периода, ГГГГ-ММ-ДД (по умолчанию — конец текущего месяца)
    #[serde(default)]
    pub to: Option<String>,
    /// Дата, ГГГГ-ММ-ДД (по умолчанию — сегодня)
    #[serde(default)]
    pub on: Option<String>,
    /// Квартал, `ГГГГ-QN` (по умолчанию — текущий)
    #[serde(default)]
    pub quarter: Option<String>,
    /// Код региона (без него — все)
    #[serde(default)]
    pub region: Option<String>,
    /// Подключения: `all` (все), `primary` (первичные) или `renewal` (продления)
    #[serde(default)]
    pub connection: Option<String>,
    /// Часть наименования, ИНН или код партнера (без него — все партнеры в пределах организации)
    #[serde(default)]
    pub partner: Option<String>,
    /// Код центра продаж (без него — все в пределах организации)
    #[serde(default)]
    pub sales_center: Option<String>,
}

/// Which connections a report counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    All,
    Primary,
    Renewal,
}

impl Connection {
    pub fn title_ru(self) -> &'static str {
        match self {
            Connection::All => "все",
            Connection::Primary => "первичные",
            Connection::Renewal => "продления",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Connection::All => "all",
            Connection::Primary => "primary",
            Connection::Renewal => "renewal",
        }
    }
}

/// The parameters, checked.
#[derive(Debug, Clone)]
pub struct Params {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub on: NaiveDate,
    pub quarter: Quarter,
    pub region: Option<String>,
    pub connection: Connection,
    /// «Часть Имени/ИНН партнера», trimmed.
    pub partner: Option<String>,
    /// A sales center's code, trimmed (checked against the scope by the report).
    pub sales_center: Option<String>,
    pub today: NaiveDate,
}

/// The longest period a report covers: five years.
const MAX_PERIOD_DAYS: i64 = 5 * 366;

fn date(
    field: &str,
    raw: Option<&str>,
    default: NaiveDate,
    errors: &mut Vec<FieldError>,
) -> NaiveDate {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => default,
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
            .ok()
            // Years a report can mean: the twelve months before a date of year 1 do not exist.
            .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)))
            .unwrap_or_else(|| {
                errors.push(FieldError::new(
                    field,
                    "неверная дата: ожидается ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
                ));
                default
            }),
    }
}

impl RawParams {
    /// Checks every parameter; the refusal names each field that is wrong.
    ///
    /// # Errors
    /// `Invalid` with the fields.
    pub fn check(&self, today: NaiveDate) -> AppResult<Params> {
        let mut errors = Vec::new();
        let (month_first, month_last) = rules::month_of(today);
        let from = date("from", self.from.as_deref(), month_first, &mut errors);
        let to = date("to", self.to.as_deref(), month_last, &mut errors);
        if errors.is_empty() && from > to {
            errors.push(FieldError::new("to", "конец периода раньше его начала"));
        } else if errors.is_empty() && (to - from).num_days() > MAX_PERIOD_DAYS {
            errors.push(FieldError::new("to", "период длиннее пяти лет"));
        }
        let on = date("on", self.on.as_deref(), today, &mut errors);
        let quarter = match self
            .quarter
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Quarter::of(today),
            Some(s) => Quarter::parse(s).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "quarter",
                    "неверный квартал: ожидается ГГГГ-QN, например 2025-Q1",
                ));
                Quarter::of(today)
            }),
        };
        let connection = match self.connection.as_deref().map(str::trim).unwrap_or("") {
            "" | "all" => Connection::All,
            "primary" => Connection::Primary,
            "renewal" => Connection::Renewal,
            _ => {
                errors.push(FieldError::new(
                    "connection",
                    "недопустимое значение: all, primary или renewal",
                ));
                Connection::All
            }
        };
        let region = self
            .region
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        if let Some(r) = &region
            && (r.len() > 3 || !r.chars().all(|c| c.is_ascii_digit()))
        {
            errors.push(FieldError::new("region", "неверный код региона: две цифры"));
        }
        let text = |raw: &Option<String>| {
            raw.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let partner = text(&self.partner);
        if partner.as_ref().is_some_and(|s| s.chars().count() > 100) {
            errors.push(FieldError::new("partner", "не длиннее 100 знаков"));
        }
        let sales_center = text(&self.sales_center);
        if sales_center
            .as_ref()
            .is_some_and(|s| s.chars().count() > 50)
        {
            errors.push(FieldError::new("sales_center", "центр продаж не найден"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(Params {
            from,
            to,
            on,
            quarter,
            region,
            connection,
            partner,
            sales_center,
            today,
        })
    }
}

/// A column's type: how its cells are written and aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Count,
    Date,
    Percent,
    Money,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Count => "count",
            Kind::Date => "date",
            Kind::Percent => "percent",
            Kind::Money => "money",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub key: &'static str,
    pub title: &'static str,
    pub kind: Kind,
}

pub const fn col(key: &'static str, title: &'static str, kind: Kind) -> Column {
    Column { key, title, kind }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    Date(NaiveDate),
    /// A percentage with two decimals; none when there is nothing to divide by.
    Percent(Option<Decimal>),
    Money(crate::money::Money),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn opt_text(s: Option<&str>) -> Cell {
        s.map_or(Cell::Empty, |s| Cell::Text(s.to_owned()))
    }

    /// As the page and CSV print it.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Date(d) => crate::web::components::date_ru(*d),
            Cell::Percent(Some(p)) => format!("{:.2}", p).replace('.', ","),
            Cell::Money(m) => m.ru(),
            Cell::Percent(None) | Cell::Empty => String::new(),
        }
    }

    /// As the API answers it.
    pub fn json(&self) -> Value {
        match self {
            Cell::Text(s) => json!(s),
            Cell::Count(n) => json!(n),
            Cell::Date(d) => json!(d.format("%Y-%m-%d").to_string()),
            Cell::Percent(Some(p)) => json!(format!("{:.2}", p)),
            Cell::Money(m) => json!(m.to_string()),
            Cell::Percent(None) | Cell::Empty => Value::Null,
        }
    }
}

/// A built report.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: ReportName,
    /// What it was built for, as the page prints it: («Период», «01.03.2025 — 31.03.2025»).
    pub parameters: Vec<(&'static str, String)>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub totals: Option<Vec<Cell>>,
    /// Definitions of the figures, printed under the table.
    pub notes: Vec<String>,
    pub chart: Option<chart::Chart>,
    /// Further tables under the main one (the activity report's group sizes).
    pub sections: Vec<Section>,
}

/// A table under a report's main one, with its own heading.
#[derive(Debug, Clone)]
pub struct Section {
    pub key: &'static str,
    pub title: &'static str,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// An object of `cells` keyed by the columns'.
fn row_json(columns: &[Column], cells: &[Cell]) -> Value {
    let mut m = Map::new();
    for (c, v) in columns.iter().zip(cells) {
        m.insert(c.key.to_owned(), v.json());
    }
    Value::Object(m)
}

impl Table {
    /// The answer of `GET /api/v1/reports/{name}`.
    pub fn to_json(&self) -> Value {
        let row = |cells: &[Cell]| row_json(&self.columns, cells);
        let columns = |cols: &[Column]| {
            cols.iter()
                .map(|c| json!({"key": c.key, "title": c.title, "kind": c.kind.code()}))
                .collect::<Vec<_>>()
        };
        json!({
            "name": self.name.as_str(),
            "title": self.name.title_ru(),
            "parameters": self.parameters.iter().map(|(k, v)| json!({"title": k, "value": v})).collect::<Vec<_>>(),
            "columns": columns(&self.columns),
            "rows": self.rows.iter().map(|r| row(r)).collect::<Vec<_>>(),
            "totals": self.totals.as_deref().map(row),
            "notes": self.notes,
            "chart": self.chart,
            "sections": self.sections.iter().map(|s| json!({
                "key": s.key,
                "title": s.title,
                "columns": columns(&s.columns),
                "rows": s.rows.iter().map(|r| row_json(&s.columns, r)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Builds report `name` for `user` with the parameters given.
///
/// # Errors
/// `Forbidden` for a role the report is not for; `Invalid` naming a wrong parameter;
/// database errors.
pub async fn build(
    st: &AppState,
    user: &CurrentUser,
    name: ReportName,
    raw: &RawParams,
) -> AppResult<Table> {
    if !name.open_to(user.role) {
        return Err(AppError::Forbidden);
    }
    let p = raw.check(st.clock.today())?;
    let scope = &user.scope;
    match name {
        ReportName::Partners => data::partners(st, scope, &p).await,
        ReportName::RegionStatistics => data::region_statistics(st, scope, &p).await,
        ReportName::ActiveSubscribers => data::active_subscribers(st, scope, &p).await,
        ReportName::Renewals => data::renewals(st, scope, &p).await,
        ReportName::Plans => data::plans(st, scope, &p).await,
        ReportName::CompetenceCenter => data::competence_center(st, scope, &p).await,
        ReportName::Regions => data::regions(st, scope, &p).await,
        ReportName::RepresentativeSends => data::representative_sends(st, scope, &p).await,
        ReportName::TariffTerms => lists::tariff_terms(st, scope, &p).await,
        ReportName::ProductsCertificates => lists::products_certificates(st, scope, &p).await,
        ReportName::TenderConsulting => lists::tender_consulting(st, scope, &p).await,
        ReportName::UnsignedCertificates => lists::unsigned_certificates(st, scope, &p).await,
        ReportName::PartnerActivity => activity::partner_activity(st, scope, &p).await,
    }
}

/// The period as the page prints it.
pub fn period_ru(from: NaiveDate, to: NaiveDate) -> String {
    use crate::web::components::date_ru;
    format!("{} — {}", date_ru(from), date_ru(to))
}
