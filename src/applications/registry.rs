//! The registry: folders with counts, search, sorting and pagination that stays fast on
//! a million applications (every listing walks an index; the default order uses keyset
//! pagination on `(received_at, id)`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};

use super::state::State;
use crate::auth::{Role, Scope};
use crate::entities::application;

/// A folder of the registry (a tab with a count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Folder {
    Distribution,
    Accepted,
    Identification,
    IdentificationPassed,
    IdentificationFailed,
    InProcessing,
    AwaitingReceipt,
    Registered,
    Rejected,
}

impl Folder {
    pub const ALL: [Folder; 9] = [
        Folder::Distribution,
        Folder::Accepted,
        Folder::Identification,
        Folder::IdentificationPassed,
        Folder::IdentificationFailed,
        Folder::InProcessing,
        Folder::AwaitingReceipt,
        Folder::Registered,
        Folder::Rejected,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Folder::Distribution => "distribution",
            Folder::Accepted => "accepted",
            Folder::Identification => "identification",
            Folder::IdentificationPassed => "identification_passed",
            Folder::IdentificationFailed => "identification_failed",
            Folder::InProcessing => "in_processing",
            Folder::AwaitingReceipt => "awaiting_receipt",
            Folder::Registered => "registered",
            Folder::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Folder> {
        Folder::ALL.into_iter().find(|f| f.key() == s)
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            Folder::Distribution => "Распределение",
            Folder::Accepted => "Принятые",
            Folder::Identification => "Передано на идентификацию",
            Folder::IdentificationPassed => "Идентификация пройдена",
            Folder::IdentificationFailed => "Идентификация не пройдена",
            Folder::InProcessing => "В обработке",
            Folder::AwaitingReceipt => "Ожидание расписки",
            Folder::Registered => "Зарегистрированные",
            Folder::Rejected => "Отклонённые",
        }
    }

    pub fn states(self) -> &'static [State] {
        match self {
            Folder::Distribution => &[State::Submitted],
            Folder::Accepted => &[State::Accepted],
            Folder::Identification => &[State::Identification],
            Folder::IdentificationPassed => &[State::IdentificationPassed],
            Folder::IdentificationFailed => &[State::IdentificationFailed],
            Folder::InProcessing => &[State::InProcessing],
            Folder::AwaitingReceipt => &[State::AwaitingReceipt],
            Folder::Registered => &[State::Registered],
            Folder::Rejected => &[State::Rejected, State::AutoRejected],
        }
    }

    /// The folders a role works with, in tab order.
    pub fn for_role(role: Role) -> Vec<Folder> {
        match role {
            Role::SalesCenter | Role::Operator => Folder::ALL.to_vec(),
            Role::IdentificationCenter => vec![
                Folder::Identification,
                Folder::IdentificationPassed,
                Folder::IdentificationFailed,
            ],
            _ => Folder::ALL[1..].to_vec(),
        }
    }

    /// The keys of the folder's applications in the kept counts (`application_counts`):
    /// its states, or — distribution — `distributed` (an unclaimed application that
    /// reached distribution; migration `m20261203_100000`).
    fn count_keys(self) -> Vec<&'static str> {
        match self {
            Folder::Distribution => vec!["distributed"],
            _ => self.states().iter().map(|s| s.as_str()).collect(),
        }
    }

    /// The folder's count from the kept counts per key.
    fn kept(self, by_key: &HashMap<String, i64>) -> i64 {
        self.count_keys()
            .iter()
            .map(|k| by_key.get(*k).copied().unwrap_or(0))
            .sum()
    }

    /// `indexed: false`: see [`state_column`].
    fn condition(self, indexed: bool) -> Condition {
        let states: Vec<&str> = self.states().iter().map(|s| s.as_str()).collect();
        let c = Condition::all().add(state_column(indexed).is_in(states));
        match self {
            // §14: unclaimed applications reach distribution after two days (the job marks them).
            Folder::Distribution => c.add(application::Column::DistributedAt.is_not_null()),
            _ => c,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sort {
    #[default]
    NewestFirst,
    OldestFirst,
    Name,
    Inn,
}

impl Sort {
    pub fn key(self) -> &'static str {
        match self {
            Sort::NewestFirst => "-received",
            Sort::OldestFirst => "received",
            Sort::Name => "name",
            Sort::Inn => "inn",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        [Sort::NewestFirst, Sort::OldestFirst, Sort::Name, Sort::Inn]
            .into_iter()
            .find(|x| x.key() == s)
    }

    /// The column the order sorts by (the id follows it).
    fn column(self) -> application::Column {
        match self {
            Sort::NewestFirst | Sort::OldestFirst => application::Column::ReceivedAt,
            Sort::Name => application::Column::ShortName,
            Sort::Inn => application::Column::Inn,
        }
    }
}

/// `s` in `sort`'s order, the id last: rows that tie keep one order, the one a cursor
/// goes on from ([`after`]).
pub fn in_order(s: Select<application::Entity>, sort: Sort) -> Select<application::Entity> {
    let order = if sort == Sort::NewestFirst {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    s.order_by(sort.column(), order.clone())
        .order_by(application::Column::Id, order)
}

/// Where the next page starts: the last row's sort value and id, in the page's order.
/// Every order pages this way, so a page far in is an index range, not an offset walked
/// to (a partner's page 1 000 by name: 456 ms by offset at a million applications), and
/// an application arriving meanwhile neither repeats nor skips a row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor {
    pub key: CursorKey,
    pub id: i64,
}

/// The sort value of a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CursorKey {
    /// The moment received (newest or oldest first).
    Received(DateTime<Utc>),
    /// The name or the ИНН, as the row holds it.
    Text(String),
}

/// The longest text a cursor carries: intake takes a name of at most 255 characters, so
/// a much longer one is not a cursor this registry made.
const CURSOR_TEXT_MAX: usize = 500;

/// The moments a cursor may carry, in µs: 1970 to the end of 9999. chrono takes years
/// far beyond what PostgreSQL's `timestamptz` does, and such a moment failed the query
/// (a 500); no application is received outside this range.
const CURSOR_MICROS: std::ops::RangeInclusive<i64> = 0..=253_402_300_799_999_999;

impl Cursor {
    /// The cursor after `row` in `sort`'s order.
    pub fn after_row(row: &Row, sort: Sort) -> Cursor {
        let key = match sort {
            Sort::NewestFirst | Sort::OldestFirst => CursorKey::Received(row.received_at),
            Sort::Name => CursorKey::Text(row.short_name.clone()),
            Sort::Inn => CursorKey::Text(row.inn.clone()),
        };
        Cursor { key, id: row.id }
    }

    /// `<µs>_<id>` after a moment; `<id>_<text>` after a name or an ИНН (the text last:
    /// it may hold `_`).
    pub fn encode(&self) -> String {
        match &self.key {
            CursorKey::Received(t) => format!("{}_{}", t.timestamp_micros(), self.id),
            CursorKey::Text(v) => format!("{}_{v}", self.id),
        }
    }

    /// A cursor of a page in `sort`'s order; `None` when `s` is not one.
    pub fn decode(s: &str, sort: Sort) -> Option<Cursor> {
        let (first, rest) = s.split_once('_')?;
        let (key, id) = match sort {
            Sort::NewestFirst | Sort::OldestFirst => {
                let micros: i64 = first.parse().ok()?;
                if !CURSOR_MICROS.contains(&micros) {
                    return None;
                }
                let at = DateTime::from_timestamp_micros(micros)?;
                (CursorKey::Received(at), rest)
            }
            Sort::Name | Sort::Inn => {
                if rest.chars().count() > CURSOR_TEXT_MAX {
                    return None;
                }
                (CursorKey::Text(rest.to_owned()), first)
            }
        };
        Some(Cursor {
            key,
            id: id.parse().ok()?,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Query {
    pub folder: Option<Folder>,
    pub state: Option<State>,
    pub q: Option<String>,
    pub sort: Sort,
    pub page: u64,
    pub per_page: u64,
    /// Keyset position (default order only); when set, `page` is ignored.
    pub after: Option<Cursor>,
    /// The total of what the query selects when the caller already counted it (the
    /// page's tabs, from [`counts`]): not counted again.
    pub total: Option<u64>,
    /// The ids a search matched in the folder, when [`counts`] already ran it
    /// ([`Counts::matched`]): the page looks them up instead of searching again.
    pub ids: Option<Vec<i64>>,
    /// The scope's stamp when the caller already read it with the counts
    /// ([`Counts::stamp`]).
    pub stamp: Option<i64>,
}

/// The count of each folder the role sees, and — for a search with few enough matches —
/// the ids it matched per key, so the page does not run the search a second time.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub by_folder: HashMap<Folder, u64>,
    matched: Option<HashMap<String, Vec<i64>>>,
    /// The scope's stamp (see [`Pages`]), when the counts were the kept ones.
    pub stamp: Option<i64>,
}

impl Counts {
    /// The ids the search matched in `folder`, if they were kept.
    pub fn matched(&self, folder: Folder) -> Option<Vec<i64>> {
        let by_key = self.matched.as_ref()?;
        Some(
            folder
                .count_keys()
                .iter()
                .flat_map(|k| by_key.get(*k).into_iter().flatten().copied())
                .collect(),
        )
    }
}

/// The most matches a search keeps by id for the page (beyond, the page searches again).
const MATCHES_KEPT: u64 = 2_000;

/// What a registry line shows — on the page and in the API's list: the columns it
/// reads, not the application's whole row (its checks' JSON alone is a kilobyte; at a
/// million applications the page spent half its time decoding the other 30 columns).
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::DerivePartialModel)]
#[sea_orm(entity = "application::Entity")]
pub struct Row {
    pub id: i64,
    pub version: i32,
    pub state: State,
    pub partner_id: Option<i32>,
    /// The partner's code, read with the row (its partner column, the API's
    /// `partner_code`), so a kept page needs no query for it: partners are not renamed.
    /// `None` in a row made from a loaded application (see `From`).
    #[sea_orm(
        from_expr = r#"sea_orm::sea_query::Expr::cust("(SELECT partners.code FROM partners WHERE partners.id = applications.partner_id)")"#
    )]
    pub partner_code: Option<String>,
    pub inn: String,
    pub kpp: Option<String>,
    pub short_name: String,
    pub registration_number: Option<String>,
    pub its_login: Option<String>,
    pub received_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub checks_passed: bool,
    pub certificate_requested: bool,
    pub identification_center_id: Option<i32>,
    pub delegated_at: Option<DateTime<Utc>>,
    /// JSON: the certificate owner (the identification center's queue names them).
    pub owner: String,
}

impl From<&application::Model> for Row {
    fn from(a: &application::Model) -> Self {
        Row {
            id: a.id,
            version: a.version,
            state: a.state,
            partner_id: a.partner_id,
            partner_code: None,
            inn: a.inn.clone(),
            kpp: a.kpp.clone(),
            short_name: a.short_name.clone(),
            registration_number: a.registration_number.clone(),
            its_login: a.its_login.clone(),
            received_at: a.received_at,
            confirmed_at: a.confirmed_at,
            checks_passed: a.checks_passed,
            certificate_requested: a.certificate_requested,
            identification_center_id: a.identification_center_id,
            delegated_at: a.delegated_at,
            owner: a.owner.clone(),
        }
    }
}

pub struct Page {
    /// Shared with the kept page it came from (not copied per request).
    pub items: std::sync::Arc<Rows>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub next: Option<Cursor>,
}

/// The rows after `c` in `sort`'s order, as the row value `(received_at, id) < (…, …)`
/// (or `(short_name, id) > …`, …): both engines bound an index range by it. PostgreSQL
/// could not by the same condition spelt as an OR of two comparisons — it read a
/// partner's index from the top and filtered: 16.8 s for a page 50 000 rows in on a cold
/// cache, 2 ms now (EXPLAIN ANALYZE, 1 M). SQLite recommends the row value for the same
/// scrolling. `None` when the cursor is not of `sort` (a moment for a name).
pub fn after(sort: Sort, c: &Cursor) -> Option<Condition> {
    let col = |c: application::Column| Expr::col((application::Entity, c));
    let value = match (sort, &c.key) {
        (Sort::NewestFirst | Sort::OldestFirst, CursorKey::Received(t)) => Expr::val(*t),
        (Sort::Name | Sort::Inn, CursorKey::Text(v)) => Expr::val(v.clone()),
        _ => return None,
    };
    let row = Expr::tuple([col(sort.column()), col(application::Column::Id)]);
    let at = Expr::tuple([value, Expr::val(c.id)]);
    Some(Condition::all().add(if sort == Sort::NewestFirst {
        row.lt(at)
    } else {
        row.gt(at)
    }))
}

/// A page's rows as read — shared by every request that finds the page kept — and the
/// HTML a page made of them, kept with them: the rows of a kept page are the same until
/// its stamp moves, and so is their HTML for the same `key` (what else it was made
/// from). Rendering was a fifth of a kept registry page's time (perf, 1 M applications).
#[derive(Debug, Default)]
pub struct Rows {
    rows: Vec<Row>,
    html: std::sync::Mutex<Option<(String, std::sync::Arc<str>)>>,
}

impl From<Vec<Row>> for Rows {
    fn from(rows: Vec<Row>) -> Rows {
        Rows {
            rows,
            html: std::sync::Mutex::default(),
        }
    }
}

impl std::ops::Deref for Rows {
    type Target = [Row];

    fn deref(&self) -> &[Row] {
        &self.rows
    }
}

impl Rows {
    /// The HTML `make` makes of the rows for `key`: the one made before when it was
    /// for the same key, else made now (and kept in place of the last one). `key` must
    /// name everything but the rows that `make` reads.
    pub fn html(&self, key: &str, make: impl FnOnce() -> String) -> std::sync::Arc<str> {
        let lock = || {
            self.html
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((k, html)) = lock().as_ref()
            && k == key
        {
            return html.clone();
        }
        let html: std::sync::Arc<str> = make().into();
        *lock() = Some((key.to_owned(), html.clone()));
        html
    }
}

/// The search condition: digits are an ИНН or КПП prefix (both walk an index); anything
/// else a substring of the name, case- and ё-insensitive, answered by the search index
/// (SQLite: FTS5 trigram table `applications_search`; PostgreSQL: a `pg_trgm` index on
/// the column — migration `m20261202_180000`).
/// The second value: whether SQLite's search index answers it (then the scope's own
/// index must not drive the query: see [`Scope::applications_not_indexed`]).
fn search_by_index(q: &str, backend: DatabaseBackend) -> Option<(Condition, bool)> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    if q.chars().all(|c| c.is_ascii_digit()) {
        return Some((
            Condition::any()
                .add(digits_prefix(application::Column::Inn, q))
                .add(digits_prefix(application::Column::Kpp, q)),
            false,
        ));
    }
    let needle = q.to_lowercase().replace('ё', "е");
    Some(match backend {
        // The needle as a phrase of the FTS5 trigram table: its trigrams at consecutive
        // positions, i.e. the substring (three characters and more). Answered from the
        // index's position lists alone; `LIKE '%…%'` on the same index also reads every
        // candidate's text back from `applications` to check it, 1.5–7× slower at a
        // million rows (7.7 → 5.0 ms for «ладога-12», 177 → 25 ms for «ладога»).
        DatabaseBackend::Sqlite if needle.chars().count() >= 3 => (
            Condition::all().add(Expr::cust_with_values(
                "applications.id IN (SELECT rowid FROM applications_search WHERE applications_search MATCH ?)",
                [format!("\"{}\"", needle.replace('"', "\"\""))],
            )),
            true,
        ),
        _ => (
            Condition::all().add(crate::db::contains(application::Column::SearchKey, &needle)),
            false,
        ),
    })
}

/// `col` starts with the digits `prefix`, as an index range: `LIKE 'p%'` walks no index
/// on SQLite (its LIKE is case-insensitive, the index binary) nor on PostgreSQL outside
/// the C collation, and an ИНН typed on a sales center's page read its 330 000 entries
/// (2.5 s). ИНН and КПП hold digits only, and digit strings sort the same in every
/// collation, so those starting with `p` are the range [`p`, the next prefix).
fn digits_prefix(col: application::Column, prefix: &str) -> Condition {
    let c = Condition::all().add(col.gte(prefix));
    match next_prefix(prefix) {
        Some(next) => c.add(col.lt(next)),
        None => c,
    }
}

/// The least digit string greater than every string starting with `prefix` (`"3906"` →
/// `"3907"`, `"1299"` → `"13"`); `None` when `prefix` is all nines (nothing bounds it).
fn next_prefix(prefix: &str) -> Option<String> {
    let kept = prefix.trim_end_matches('9');
    let last = kept.chars().last()?;
    let bumped = char::from_digit(last.to_digit(10)? + 1, 10)?;
    Some(format!("{}{bumped}", &kept[..kept.len() - 1]))
}

/// The state column — `indexed: false` behind a unary `+`, for a query another index
/// drives (see [`Scope::applications_not_indexed`]).
fn state_column(indexed: bool) -> Expr {
    if indexed {
        Expr::col((application::Entity, application::Column::State))
    } else {
        Expr::cust("+applications.state")
    }
}

fn base(scope: &Scope, query: &Query, backend: DatabaseBackend) -> Select<application::Entity> {
    let searching = match &query.ids {
        Some(ids) => Some((
            Condition::all().add(application::Column::Id.is_in(ids.iter().copied())),
            backend == DatabaseBackend::Sqlite,
        )),
        None => query.q.as_deref().and_then(|q| search_by_index(q, backend)),
    };
    // The search index (or the ids it matched) drives a query it answers: the scope's
    // and the folder's indexes would walk hundreds of thousands of entries to check them
    // against its matches.
    let indexed = !matches!(searching, Some((_, true)));
    let mut s = application::Entity::find().filter(if indexed {
        scope.applications()
    } else {
        scope.applications_not_indexed()
    });
    if let Some(f) = query.folder {
        s = s.filter(f.condition(indexed));
    }
    if let Some(st) = query.state {
        s = s.filter(state_column(indexed).eq(st.as_str()));
    }
    if let Some((c, _)) = searching {
        s = s.filter(c);
    }
    s
}

/// One page of the registry, read from the database.
///
/// # Errors
/// Database errors.
pub async fn list<C: ConnectionTrait>(db: &C, scope: &Scope, query: &Query) -> Result<Page, DbErr> {
    list_in(db, None, scope, query).await
}

/// One page of the registry: from `pages` while the scope's stamp is the one the page
/// was read at, otherwise from the database (and kept there for the next request).
///
/// # Errors
/// Database errors.
pub async fn list_recent<C: ConnectionTrait>(
    db: &C,
    pages: &Pages,
    scope: &Scope,
    query: &Query,
) -> Result<Page, DbErr> {
    list_in(db, Some(pages), scope, query).await
}

async fn list_in<C: ConnectionTrait>(
    db: &C,
    pages: Option<&Pages>,
    scope: &Scope,
    query: &Query,
) -> Result<Page, DbErr> {
    let backend = db.get_database_backend();
    let per_page = query.per_page.clamp(1, 200);
    // Clamped here, for every caller: an offset past i64 panicked inside the driver (F9).
    let page = query.page.clamp(1, crate::params::MAX_PAGE);
    // A search (or the ids it matched) selects within the scope: its total is counted.
    let whole = query.ids.is_none() && search_of(query).is_none();
    // The kept counts give a whole folder's total (a state filter counts its matches) and
    // the scope's stamp; read once, and only when the caller has not.
    let for_total = whole && query.total.is_none() && query.state.is_none();
    let for_stamp = pages.is_some() && query.stamp.is_none();
    let kept = if for_total || for_stamp {
        kept_counts(db, scope).await?
    } else {
        None
    };
    let stamp = query.stamp.or(kept.as_ref().map(|k| k.stamp));
    let key = match (pages, stamp) {
        (Some(pages), Some(stamp)) => PageKey::of(scope, query, page, per_page).map(|key| {
            let hit = pages.get(&key, stamp);
            (pages, stamp, key, hit)
        }),
        _ => None,
    };
    if let Some((_, _, _, Some((items, next, total)))) = key {
        return Ok(Page {
            items,
            total,
            page,
            per_page,
            next,
        });
    }
    let total = match (query.total, &kept, query.state) {
        (Some(n), _, _) => n,
        (None, Some(k), None) if whole => u64::try_from(match query.folder {
            Some(f) => f.kept(&k.by_key),
            // The whole registry of the scope (the API's list without a folder).
            None => k.by_key.values().sum::<i64>(),
        })
        .unwrap_or(0),
        _ => base(scope, query, backend).count(db).await?,
    };
    let mut s = base(scope, query, backend);
    s = in_order(s, query.sort);
    match query.after.as_ref().and_then(|c| after(query.sort, c)) {
        Some(from) => s = s.filter(from),
        None => s = s.offset((page - 1) * per_page),
    }
    let mut items = s
        .limit(per_page + 1)
        .into_partial_model::<Row>()
        .all(db)
        .await?;
    let more = items.len() as u64 > per_page;
    items.truncate(per_page as usize);
    let next = items
        .last()
        .filter(|_| more)
        .map(|a| Cursor::after_row(a, query.sort));
    let items = std::sync::Arc::new(Rows::from(items));
    // Read after the stamp: at worst newer than it, and the stamp has moved on then.
    if let Some((pages, stamp, key, None)) = key {
        pages.put(key, stamp, &items, next.clone(), total);
    }
    Ok(Page {
        items,
        total,
        page,
        per_page,
        next,
    })
}

/// The query's search, trimmed; `None` when there is none.
fn search_of(query: &Query) -> Option<&str> {
    query.q.as_deref().map(str::trim).filter(|q| !q.is_empty())
}

/// Registry pages read recently, each under its scope's stamp when it was read: the sum
/// of `application_counts.changes` over the scope's keys. The database moves it on in
/// the same transaction as every insert, change and delete of one of the scope's
/// applications (migration `m20261206_100000`), whoever writes — this server, another
/// one on the same database, a job or the CLI — and it never goes back. So while the
/// scope's stamp is a page's, the page is what the query would read again, and the
/// registry answers without it: the 51 rows were two thirds of a partner's page (at a
/// million applications, `wrk -c16`: 1 785 req/s reading them, 4 016–4 292 without).
///
/// A search is kept the same way: its page, and its matches per folder (the tabs'
/// counts, and their ids when few) — under the scope's stamp too, since any write that
/// could change what it matches moves it. Not kept: the scopes the counts are not keyed
/// by (an identification center's). Bounded by rows and searches, least recently used
/// first out.
#[derive(Default)]
pub struct Pages {
    inner: std::sync::Mutex<PagesInner>,
}

#[derive(Default)]
struct PagesInner {
    entries: HashMap<PageKey, Kept>,
    rows: usize,
    tick: u64,
    searches: HashMap<SearchKey, KeptSearch>,
    /// Each scope's counts per key, at its stamp.
    counts: HashMap<(u8, i32), (i64, HashMap<String, i64>)>,
}

/// A search's matches per key (the tabs' counts) and, when few, their ids.
struct KeptSearch {
    stamp: i64,
    used: u64,
    by_key: HashMap<String, i64>,
    matched: Option<Matched>,
}

/// A search's matched ids by key.
type Matched = HashMap<String, Vec<i64>>;

/// The most searches kept (each at most [`MATCHES_KEPT`] ids: 16 KB).
const SEARCHES_KEPT: usize = 500;

/// The most scopes whose counts are kept (a dozen numbers each); past it they start over.
const COUNTS_KEPT: usize = 10_000;

/// A search of a scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SearchKey {
    scope: (u8, i32),
    q: String,
}

impl SearchKey {
    fn of(scope: &Scope, q: &str) -> Option<SearchKey> {
        Some(SearchKey {
            scope: scope_key(scope)?,
            q: q.to_owned(),
        })
    }
}

/// The scopes pages are kept for — 0 the operator, 1 a sales center, 2 a partner, with
/// its id; `None` for those the counts are not keyed by.
fn scope_key(scope: &Scope) -> Option<(u8, i32)> {
    match *scope {
        Scope::Operator => Some((0, 0)),
        Scope::SalesCenter { sales_center_id } => Some((1, sales_center_id)),
        Scope::Partner { partner_id, .. } => Some((2, partner_id)),
        Scope::IdentificationCenter { .. } | Scope::Intake => None,
    }
}

struct Kept {
    stamp: i64,
    used: u64,
    items: std::sync::Arc<Rows>,
    next: Option<Cursor>,
    total: u64,
}

/// The most rows kept (≈ 400 pages of 50; a row is about half a kilobyte).
const PAGES_ROWS: usize = 20_000;

/// What a page is read for: the scope, and everything of the query but a search.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PageKey {
    /// 0 the operator, 1 a sales center, 2 a partner; with its id.
    scope: (u8, i32),
    folder: Option<Folder>,
    state: Option<&'static str>,
    /// The search, trimmed (its matches at the stamp are the same matches).
    q: Option<String>,
    sort: Sort,
    page: u64,
    per_page: u64,
    after: Option<Cursor>,
}

impl PageKey {
    fn of(scope: &Scope, query: &Query, page: u64, per_page: u64) -> Option<PageKey> {
        // Ids without their search are not a key.
        if query.ids.is_some() && search_of(query).is_none() {
            return None;
        }
        Some(PageKey {
            scope: scope_key(scope)?,
            folder: query.folder,
            state: query.state.map(State::as_str),
            q: search_of(query).map(str::to_owned),
            sort: query.sort,
            page: if query.after.is_some() { 1 } else { page },
            per_page,
            after: query.after.clone(),
        })
    }
}

impl Pages {
    /// The kept pages and searches, locked, with the tick of this use (the LRU's clock).
    fn touch(&self) -> (std::sync::MutexGuard<'_, PagesInner>, u64) {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.tick += 1;
        let tick = inner.tick;
        (inner, tick)
    }

    fn get(
        &self,
        key: &PageKey,
        stamp: i64,
    ) -> Option<(std::sync::Arc<Rows>, Option<Cursor>, u64)> {
        let (mut inner, tick) = self.touch();
        let kept = inner.entries.get_mut(key).filter(|k| k.stamp == stamp)?;
        kept.used = tick;
        Some((kept.items.clone(), kept.next.clone(), kept.total))
    }

    fn put(
        &self,
        key: PageKey,
        stamp: i64,
        items: &std::sync::Arc<Rows>,
        next: Option<Cursor>,
        total: u64,
    ) {
        let (mut inner, used) = self.touch();
        if let Some(old) = inner.entries.insert(
            key,
            Kept {
                stamp,
                used,
                items: items.clone(),
                next,
                total,
            },
        ) {
            inner.rows -= old.items.len();
        }
        inner.rows += items.len();
        if inner.rows > PAGES_ROWS {
            // The least recently used quarter out, in one pass.
            let mut by_use: Vec<(u64, PageKey)> = inner
                .entries
                .iter()
                .map(|(k, v)| (v.used, k.clone()))
                .collect();
            by_use.sort_unstable_by_key(|(used, _)| *used);
            for (_, k) in by_use {
                if inner.rows <= PAGES_ROWS * 3 / 4 {
                    break;
                }
                if let Some(gone) = inner.entries.remove(&k) {
                    inner.rows -= gone.items.len();
                }
            }
        }
    }

    fn search_get(
        &self,
        key: &SearchKey,
        stamp: i64,
    ) -> Option<(HashMap<String, i64>, Option<Matched>)> {
        let (mut inner, tick) = self.touch();
        let kept = inner.searches.get_mut(key).filter(|k| k.stamp == stamp)?;
        kept.used = tick;
        Some((kept.by_key.clone(), kept.matched.clone()))
    }

    fn search_put(
        &self,
        key: SearchKey,
        stamp: i64,
        by_key: &HashMap<String, i64>,
        matched: Option<&Matched>,
    ) {
        let (mut inner, used) = self.touch();
        inner.searches.insert(
            key,
            KeptSearch {
                stamp,
                used,
                by_key: by_key.clone(),
                matched: matched.cloned(),
            },
        );
        if inner.searches.len() > SEARCHES_KEPT {
            // The least recently used quarter out, in one pass.
            let mut by_use: Vec<(u64, SearchKey)> = inner
                .searches
                .iter()
                .map(|(k, v)| (v.used, k.clone()))
                .collect();
            by_use.sort_unstable_by_key(|(used, _)| *used);
            for (_, k) in by_use.into_iter().take(SEARCHES_KEPT / 4) {
                inner.searches.remove(&k);
            }
        }
    }

    fn counts_get(&self, scope: (u8, i32), stamp: i64) -> Option<HashMap<String, i64>> {
        let (inner, _) = self.touch();
        inner
            .counts
            .get(&scope)
            .filter(|(at, _)| *at == stamp)
            .map(|(_, by_key)| by_key.clone())
    }

    fn counts_put(&self, scope: (u8, i32), kept: &KeptCounts) {
        let (mut inner, _) = self.touch();
        if inner.counts.len() >= COUNTS_KEPT && !inner.counts.contains_key(&scope) {
            inner.counts.clear();
        }
        inner
            .counts
            .insert(scope, (kept.stamp, kept.by_key.clone()));
    }

    /// How many pages are kept (for tests and the bench).
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entries
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The count of each folder the role sees — with a search, of the matches in each (a
/// client found in another folder than the open one shows there).
///
/// # Errors
/// Database errors.
pub async fn counts<C: ConnectionTrait>(
    db: &C,
    pages: Option<&Pages>,
    scope: &Scope,
    role: Role,
    q: Option<&str>,
    beside: Option<KeptStamp>,
) -> Result<Counts, DbErr> {
    let backend = db.get_database_backend();
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    let searching = q.and_then(|q| search_by_index(q, backend));
    // The scope's stamp: read beside the caller's session, or here. Without a search,
    // the counts kept at it (in memory when this stamp's were read before — the stamp
    // moves with every write that could change them); with one, only the stamp, read
    // before the search (a write in between moves it past what is kept).
    let kept_scope = pages.zip(scope_key(scope));
    let known = kept_scope.zip(beside);
    let kept_at_stamp = known
        .filter(|_| searching.is_none())
        .and_then(|((pages, key), KeptStamp(stamp))| Some((stamp, pages.counts_get(key, stamp)?)));
    let (stamp, by_key) = match (known, kept_at_stamp) {
        (Some((_, KeptStamp(stamp))), _) if searching.is_some() => (Some(stamp), None),
        (_, Some((stamp, by_key))) => (Some(stamp), Some(by_key)),
        _ if searching.is_some() && pages.is_none() => (None, None),
        _ => match kept_counts(db, scope).await? {
            Some(kept) => {
                if let Some((pages, key)) = kept_scope {
                    pages.counts_put(key, &kept);
                }
                (Some(kept.stamp), Some(kept.by_key))
            }
            None => (None, None),
        },
    };
    let (Some(searching), Some(q)) = (searching, q) else {
        let by_key = match by_key {
            Some(by_key) => by_key,
            None => matches_per_key(db, scope, None).await?,
        };
        return Ok(Counts {
            by_folder: by_folder(role, &by_key),
            matched: None,
            stamp,
        });
    };
    let search_key = pages
        .zip(stamp)
        .and_then(|(pages, stamp)| Some((pages, stamp, SearchKey::of(scope, q)?)));
    if let Some((pages, at, key)) = &search_key
        && let Some((by_key, matched)) = pages.search_get(key, *at)
    {
        return Ok(Counts {
            by_folder: by_folder(role, &by_key),
            matched,
            stamp,
        });
    }
    let key = count_key();
    // The matches themselves when they are few (one search for the tabs and the page);
    // else counted per key.
    let (c, by_index) = searching.clone();
    let rows: Vec<(i64, String)> = application::Entity::find()
        .select_only()
        .column(application::Column::Id)
        .column_as(key, "k")
        .filter(if by_index {
            scope.applications_not_indexed()
        } else {
            scope.applications()
        })
        .filter(c)
        .limit(MATCHES_KEPT + 1)
        .into_tuple()
        .all(db)
        .await?;
    let (by_key, matched) = if rows.len() as u64 <= MATCHES_KEPT {
        let mut ids: HashMap<String, Vec<i64>> = HashMap::new();
        for (id, k) in rows {
            ids.entry(k).or_default().push(id);
        }
        let by_key = ids
            .iter()
            .map(|(k, v)| (k.clone(), v.len() as i64))
            .collect();
        (by_key, Some(ids))
    } else {
        (matches_per_key(db, scope, Some(searching)).await?, None)
    };
    if let Some((pages, stamp, key)) = search_key {
        pages.search_put(key, stamp, &by_key, matched.as_ref());
    }
    Ok(Counts {
        by_folder: by_folder(role, &by_key),
        matched,
        stamp,
    })
}

/// An application's key in the kept counts: its state, or `distributed` for a submitted
/// one handed to the sales center.
fn count_key() -> Expr {
    Expr::cust(
        "CASE WHEN state = 'submitted' AND distributed_at IS NOT NULL \
         THEN 'distributed' ELSE state END",
    )
}

/// The scope's applications (those a search matched) per key, counted: as the kept
/// counts key them.
async fn matches_per_key<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    searching: Option<(Condition, bool)>,
) -> Result<HashMap<String, i64>, DbErr> {
    let key = count_key();
    let mut s = application::Entity::find()
        .select_only()
        .column_as(key.clone(), "k")
        .column_as(Expr::col(application::Column::Id).count(), "n");
    s = match searching {
        Some((c, true)) => s.filter(scope.applications_not_indexed()).filter(c),
        Some((c, false)) => s.filter(scope.applications()).filter(c),
        None => s.filter(scope.applications()),
    };
    Ok(s.group_by(key)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

fn by_folder(role: Role, by_key: &HashMap<String, i64>) -> HashMap<Folder, u64> {
    Folder::for_role(role)
        .into_iter()
        .map(|f| (f, u64::try_from(f.kept(by_key)).unwrap_or(0)))
        .collect()
}

/// The kept counts of a scope: its applications per key, and its stamp (see [`Pages`]).
/// Read by [`counts`] and kept in [`Pages`] at their stamp.
#[derive(Debug, Clone)]
pub struct KeptCounts {
    by_key: HashMap<String, i64>,
    stamp: i64,
}

/// The scope's rows of `application_counts`; `None` for scopes the counts are not keyed
/// by (an identification center's).
fn kept_scope_condition(scope: &Scope) -> Option<Condition> {
    use crate::entities::application_count as count;
    Some(match *scope {
        Scope::Operator => Condition::all(),
        Scope::Partner { partner_id, .. } => {
            Condition::all().add(count::Column::PartnerId.eq(partner_id))
        }
        Scope::SalesCenter { sales_center_id } => {
            Condition::all().add(count::Column::SalesCenterId.eq(sales_center_id))
        }
        Scope::IdentificationCenter { .. } | Scope::Intake => return None,
    })
}

/// The keys of the kept counts, in the order of their columns (`kept_k0`, `kept_k1`…).
fn kept_keys() -> impl Iterator<Item = &'static str> {
    State::ALL.iter().map(|s| s.as_str()).chain(["distributed"])
}

/// The applications per key (state, or `distributed`) of the scope, from the counts the
/// database keeps (`application_counts`): a sum over the scope's few rows there, not a
/// count over its applications — and, in the same read, the scope's stamp. One row: the
/// stamp (`kept_changes`) and a column per key. sqlx hands each row of an answer from
/// SQLite's thread to the request's task on its own (a wake-up each): a row per key was
/// a dozen hand-offs on every page, kept or not.
/// `None` for scopes the counts are not keyed by (an identification center's).
pub fn kept_counts_select(scope: &Scope) -> Option<sea_orm::sea_query::SelectStatement> {
    use crate::entities::application_count as count;
    let scope_keys = kept_scope_condition(scope)?;
    let mut q = count::Entity::find().select_only().column_as(
        Expr::cust("CAST(COALESCE(SUM(changes), 0) AS BIGINT)"),
        "kept_changes",
    );
    for (i, key) in kept_keys().enumerate() {
        // The keys are the program's own state codes (a-z and _), written as literals:
        // a placeholder repeated in custom SQL is numbered differently by each engine.
        debug_assert!(key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        q = q.column_as(
            Expr::cust(format!(
                "CAST(COALESCE(SUM(CASE WHEN state = '{key}' THEN n ELSE 0 END), 0) AS BIGINT)"
            )),
            format!("kept_k{i}"),
        );
    }
    Some(q.filter(scope_keys).into_query())
}

/// A scope's stamp (see [`Pages`]), read beside the caller's session in the same query
/// ([`crate::auth::CallerWith`]) and handed to [`counts`]: with it, a kept page and its
/// tabs' counts need no other read. Only the stamp: the counts at a stamp are kept in
/// memory, and one aggregate is a third of the database's work of the dozen the counts
/// take (PostgreSQL, pgbench).
#[derive(Debug, Clone, Copy)]
pub struct KeptStamp(i64);

impl crate::auth::Beside for KeptStamp {
    fn select(scope: &Scope) -> Option<sea_orm::sea_query::SelectStatement> {
        use crate::entities::application_count as count;
        let scope_keys = kept_scope_condition(scope)?;
        Some(
            count::Entity::find()
                .select_only()
                .column_as(
                    Expr::cust("CAST(COALESCE(SUM(changes), 0) AS BIGINT)"),
                    "kept_changes",
                )
                .filter(scope_keys)
                .into_query(),
        )
    }

    fn from_row(row: &sea_orm::QueryResult) -> Result<Self, DbErr> {
        Ok(KeptStamp(row.try_get("", "kept_changes")?))
    }
}

impl KeptCounts {
    /// The counts from a row of [`kept_counts_select`] (alone or joined to another query).
    ///
    /// # Errors
    /// The row lacks the columns.
    pub fn from_row(row: &sea_orm::QueryResult) -> Result<KeptCounts, DbErr> {
        let mut by_key = HashMap::new();
        for (i, key) in kept_keys().enumerate() {
            let n: i64 = row.try_get("", &format!("kept_k{i}"))?;
            if n != 0 {
                by_key.insert(key.to_owned(), n);
            }
        }
        Ok(KeptCounts {
            stamp: row.try_get("", "kept_changes")?,
            by_key,
        })
    }
}

async fn kept_counts<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
) -> Result<Option<KeptCounts>, DbErr> {
    let Some(q) = kept_counts_select(scope) else {
        return Ok(None);
    };
    let row = db
        .query_one_raw(db.get_database_backend().build(&q))
        .await?;
    Ok(Some(match row {
        Some(row) => KeptCounts::from_row(&row)?,
        None => KeptCounts {
            by_key: HashMap::new(),
            stamp: 0,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64) -> Row {
        Row {
            id,
            version: 1,
            state: State::Accepted,
            partner_id: Some(1),
            partner_code: None,
            inn: "4027291410".into(),
            kpp: None,
            short_name: "ООО Альфа".into(),
            registration_number: None,
            its_login: None,
            received_at: DateTime::from_timestamp(1_740_995_200, 0).unwrap(),
            confirmed_at: None,
            checks_passed: true,
            certificate_requested: false,
            identification_center_id: None,
            delegated_at: None,
            owner: "{}".into(),
        }
    }

    #[test]
    fn the_rows_html_is_made_once_per_key() {
        let rows = Rows::from(vec![row(1)]);
        let made = std::cell::Cell::new(0);
        let make = |s: &str| {
            made.set(made.get() + 1);
            s.to_owned()
        };
        assert_eq!(&*rows.html("a", || make("<tr>a")), "<tr>a");
        assert_eq!(&*rows.html("a", || make("<tr>other")), "<tr>a", "kept");
        assert_eq!(made.get(), 1);
        assert_eq!(&*rows.html("b", || make("<tr>b")), "<tr>b", "another key");
        assert_eq!(&*rows.html("a", || make("<tr>a2")), "<tr>a2", "made again");
        assert_eq!(made.get(), 3);
    }

    #[test]
    fn a_scopes_counts_are_kept_at_their_stamp() {
        let pages = Pages::default();
        let kept = KeptCounts {
            by_key: HashMap::from([("submitted".to_owned(), 3)]),
            stamp: 7,
        };
        pages.counts_put((2, 1), &kept);
        assert_eq!(pages.counts_get((2, 1), 7), Some(kept.by_key.clone()));
        assert!(pages.counts_get((2, 1), 8).is_none(), "the stamp moved on");
        assert!(pages.counts_get((2, 2), 7).is_none(), "another partner");
        assert!(pages.counts_get((1, 1), 7).is_none(), "a sales center");
    }

    #[test]
    fn a_digit_prefix_is_bounded_by_the_next_prefix() {
        assert_eq!(next_prefix("3906").as_deref(), Some("3907"));
        assert_eq!(next_prefix("1299").as_deref(), Some("13"));
        assert_eq!(next_prefix("0").as_deref(), Some("1"));
        assert_eq!(next_prefix("999"), None);
        assert_eq!(next_prefix(""), None);
        // Every string with the prefix lies in the range, and the next prefix does not.
        for (p, inside, outside) in [
            ("3906", "390612345678", "3907"),
            ("1299", "129912345", "13"),
            ("39", "399999999999", "4"),
        ] {
            let next = next_prefix(p).unwrap();
            assert!(p <= inside && inside < next.as_str(), "{p}: {inside}");
            assert!(outside >= next.as_str(), "{p}: {outside}");
        }
    }

    fn key(partner: i32, page: u64) -> PageKey {
        let query = Query {
            folder: Some(Folder::Accepted),
            ..Query::default()
        };
        PageKey::of(
            &Scope::Partner {
                partner_id: partner,
                sales_center_id: 1,
            },
            &query,
            page,
            50,
        )
        .unwrap()
    }

    #[test]
    fn a_kept_search_answers_at_its_stamp_only_and_searches_are_bounded() {
        let pages = Pages::default();
        let partner = Scope::Partner {
            partner_id: 1,
            sales_center_id: 1,
        };
        let by_key = HashMap::from([("accepted".to_owned(), 2)]);
        let ids = HashMap::from([("accepted".to_owned(), vec![3, 4])]);
        let k = SearchKey::of(&partner, "альфа").unwrap();
        pages.search_put(k.clone(), 7, &by_key, Some(&ids));
        assert_eq!(pages.search_get(&k, 7), Some((by_key.clone(), Some(ids))));
        assert!(pages.search_get(&k, 8).is_none(), "the stamp moved on");
        assert!(
            pages
                .search_get(&SearchKey::of(&partner, "бета").unwrap(), 7)
                .is_none()
        );
        assert!(SearchKey::of(&Scope::Intake, "альфа").is_none());
        for i in 0..2 * SEARCHES_KEPT {
            pages.search_put(
                SearchKey::of(&partner, &i.to_string()).unwrap(),
                7,
                &by_key,
                None,
            );
            let kept = pages.inner.lock().unwrap().searches.len();
            assert!(kept <= SEARCHES_KEPT, "{kept}");
        }
        // The most recent stays.
        let last = SearchKey::of(&partner, &(2 * SEARCHES_KEPT - 1).to_string()).unwrap();
        assert!(pages.search_get(&last, 7).is_some());
    }

    #[test]
    fn a_kept_page_answers_at_its_stamp_only() {
        let pages = Pages::default();
        let items = std::sync::Arc::new(Rows::from((1..=50).map(row).collect::<Vec<_>>()));
        pages.put(key(1, 1), 7, &items, None, 50);
        let (kept, _, _) = pages.get(&key(1, 1), 7).expect("kept");
        assert!(
            std::sync::Arc::ptr_eq(&kept, &items),
            "the same rows, not a copy"
        );
        assert!(pages.get(&key(1, 1), 8).is_none(), "the stamp moved on");
        assert!(pages.get(&key(2, 1), 7).is_none(), "another partner");
        assert!(pages.get(&key(1, 2), 7).is_none(), "another page");
        // An identification center's scope is not stamped: never kept.
        assert!(
            PageKey::of(
                &Scope::IdentificationCenter {
                    identification_center_id: 1
                },
                &Query::default(),
                1,
                50
            )
            .is_none()
        );
    }

    #[test]
    fn kept_pages_stay_within_their_rows_least_recently_used_first_out() {
        let pages = Pages::default();
        let items = std::sync::Arc::new(Rows::from((1..=50).map(row).collect::<Vec<_>>()));
        let many = (PAGES_ROWS / 50) as u64 * 2;
        for page in 1..=many {
            pages.put(key(1, page), 1, &items, None, 50);
            // The first page is asked for all along: it stays.
            assert!(pages.get(&key(1, 1), 1).is_some(), "page 1 at {page}");
        }
        let rows = pages.inner.lock().unwrap().rows;
        assert!(rows <= PAGES_ROWS, "{rows} rows kept");
        assert_eq!(rows, pages.len() * 50);
        assert!(pages.get(&key(1, 2), 1).is_none(), "page 2 went first");
        assert!(pages.get(&key(1, many), 1).is_some(), "the last one stays");
    }

    #[test]
    fn cursors_round_trip() {
        let at = Cursor {
            key: CursorKey::Received(
                DateTime::from_timestamp_micros(1_740_995_200_123_456).unwrap(),
            ),
            id: 42,
        };
        for sort in [Sort::NewestFirst, Sort::OldestFirst] {
            assert_eq!(Cursor::decode(&at.encode(), sort), Some(at.clone()));
        }
        let name = Cursor {
            key: CursorKey::Text("ООО \"Ромашка_Плюс\" & Ко".to_owned()),
            id: 7,
        };
        for sort in [Sort::Name, Sort::Inn] {
            assert_eq!(Cursor::decode(&name.encode(), sort), Some(name.clone()));
        }
        assert_eq!(Cursor::decode("garbage", Sort::NewestFirst), None);
        assert_eq!(
            Cursor::decode("-6311390400000000000_1", Sort::NewestFirst),
            None,
            "a moment PostgreSQL cannot hold"
        );
        assert_eq!(
            Cursor::decode("253402300800000000_1", Sort::OldestFirst),
            None
        );
        assert!(Cursor::decode("0_1", Sort::OldestFirst).is_some());
        assert_eq!(Cursor::decode("7_Ромашка", Sort::NewestFirst), None);
        assert_eq!(Cursor::decode("x_Ромашка", Sort::Name), None);
        let long = format!("7_{}", "я".repeat(CURSOR_TEXT_MAX + 1));
        assert_eq!(Cursor::decode(&long, Sort::Name), None);
        // A cursor of another order positions nothing (the page falls back to its number).
        assert!(after(Sort::Name, &at).is_none());
        assert!(after(Sort::NewestFirst, &name).is_none());
    }

    #[test]
    fn partners_do_not_see_the_distribution_tab() {
        assert!(!Folder::for_role(Role::Partner).contains(&Folder::Distribution));
        assert!(Folder::for_role(Role::SalesCenter).contains(&Folder::Distribution));
    }
}
