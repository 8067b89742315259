//! `registrar bench`: the product's own speed at scale, each figure beside the same SQL
//! run raw on the same database, as a ratio (how much the product's layers cost).

pub mod http;

use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Statement, TransactionTrait,
};

use crate::AppState;
use crate::applications::generate::{self, Plan};
use crate::applications::registry::{self, Folder, Sort};
use crate::applications::service::{self, Submission};
use crate::applications::state::State;
use crate::auth::{CurrentUser, Scope};
use crate::entities::{application, partner, user};
use crate::jobs::auto_reject;

/// Intakes per block of the interleaved intake measurement.
const INTAKE_BLOCK: u64 = 50;

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub applications: u64,
    pub due: u64,
    pub intake_samples: u64,
    pub seed: u64,
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Line {
    pub what: String,
    pub ours: StdDuration,
    pub raw: Option<StdDuration>,
    /// Rows behind the figure, for a rate.
    pub rows: u64,
}

impl Line {
    fn render(&self) -> String {
        let ms = |d: StdDuration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
        let rate = |d: StdDuration| {
            if self.rows > 1 {
                format!(
                    " ({:.0} rows/s)",
                    self.rows as f64 / d.as_secs_f64().max(1e-9)
                )
            } else {
                String::new()
            }
        };
        match self.raw {
            Some(raw) => format!(
                "| {} | {}{} | {}{} | {:.2}× |",
                self.what,
                ms(self.ours),
                rate(self.ours),
                ms(raw),
                rate(raw),
                self.ours.as_secs_f64() / raw.as_secs_f64().max(1e-9)
            ),
            None => format!(
                "| {} | {}{} | — | — |",
                self.what,
                ms(self.ours),
                rate(self.ours)
            ),
        }
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb
}

async fn median<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<StdDuration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

async fn user_named(db: &DatabaseConnection, login: &str) -> anyhow::Result<CurrentUser> {
    use sea_orm::ColumnTrait;
    let u = user::Entity::find()
        .filter(user::Column::Login.eq(login))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user {login}: seed --demo first"))?;
    Ok(CurrentUser::load(db, u, None).await?)
}

async fn raw_query(db: &DatabaseConnection, stmt: &Statement) -> anyhow::Result<()> {
    db.query_all_raw(stmt.clone()).await?;
    Ok(())
}

/// Generates the data and measures; returns the report lines.
///
/// # Errors
/// Database errors, or missing demo users.
pub async fn run(st: &AppState, opts: Options) -> anyhow::Result<Vec<Line>> {
    let step = std::cell::Cell::new("data");
    run_steps(st, opts, &step)
        .await
        .map_err(|e| e.context(format!("bench step: {}", step.get())))
}

async fn run_steps(
    st: &AppState,
    opts: Options,
    step: &std::cell::Cell<&'static str>,
) -> anyhow::Result<Vec<Line>> {
    let db = &st.db;
    let backend = db.get_database_backend();
    let now = st.clock.now();
    let mut lines = Vec::new();

    // 1. Data.
    let pb = bar(opts.applications, "generate");
    let t = Instant::now();
    let n = generate::applications(
        db,
        Plan {
            applications: opts.applications,
            due: opts.due,
            seed: opts.seed,
            now,
        },
        |w| pb.set_position(w),
    )
    .await?;
    pb.finish_and_clear();
    lines.push(Line {
        what: format!("generate {n} applications (bulk insert)"),
        ours: t.elapsed(),
        raw: None,
        rows: n,
    });
    // PostgreSQL: VACUUM too — otherwise autovacuum takes up the million fresh rows (and
    // their trigram index) a minute later, in the middle of whatever is being timed: the
    // same 30-day job measured 1.66× and 2.73× raw in two runs. (SQLite's VACUUM rewrites
    // the whole file and has no such background work.)
    let analyze = match backend {
        sea_orm::DbBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    db.execute_unprepared(analyze)
        .await
        .map_err(|e| anyhow::anyhow!("{analyze} after generating: {e}"))?;

    step.set("intake");
    // 2. Intake: the whole use case (validation, checks, history, journal) vs the bare
    // INSERT of the same row. Interleaved in blocks, so both sides meet the same table,
    // the same FTS5 segments and the same WAL: run one after the other, the first paid
    // the merges and checkpoints its own transactions piled up (at 200 000 rows, 300
    // samples gave 1.8× and 1 000 gave 2.8×).
    let intake = user_named(db, "intake").await?;
    let template = crate::applications::demo::sample_document()?;
    let pb = bar(opts.intake_samples, "intake");
    let (mut ours, mut raw) = (StdDuration::ZERO, StdDuration::ZERO);
    let mut insert = None;
    let mut i = 0;
    while i < opts.intake_samples {
        let block = std::cmp::min(opts.intake_samples - i, INTAKE_BLOCK);
        let t = Instant::now();
        for _ in 0..block {
            let mut doc = template.clone();
            doc.inn = generate::inn10(9_000_000 + i);
            i += 1;
            if let Submission::New(a) = service::submit(st, &intake, doc, None).await?
                && insert.is_none()
            {
                let mut am: application::ActiveModel =
                    sea_orm::IntoActiveModel::into_active_model((*a).clone());
                am.id = sea_orm::ActiveValue::NotSet;
                insert = Some(application::Entity::insert(am).build(backend));
            }
            pb.inc(1);
        }
        ours += t.elapsed();
        let insert = insert
            .clone()
            .ok_or_else(|| anyhow::anyhow!("no application submitted"))?;
        let t = Instant::now();
        for _ in 0..block {
            let txn = db.begin().await?;
            txn.execute_raw(insert.clone()).await?;
            txn.commit().await?;
        }
        raw += t.elapsed();
    }
    pb.finish_and_clear();
    lines.push(Line {
        what: format!(
            "intake, one application per transaction ({} samples, interleaved with the raw INSERT in blocks of {INTAKE_BLOCK})",
            opts.intake_samples
        ),
        ours,
        raw: Some(raw),
        rows: opts.intake_samples,
    });

    step.set("registry");
    // 3. The registry.
    let p = partner::Entity::find()
        .order_by_asc(partner::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no partners"))?;
    let scope = Scope::Partner {
        partner_id: p.id,
        sales_center_id: p.sales_center_id,
    };
    for (label, scope, folder) in [
        ("partner", scope, Folder::Registered),
        ("operator (all rows)", Scope::Operator, Folder::Registered),
    ] {
        let first = registry::Query {
            folder: Some(folder),
            sort: Sort::NewestFirst,
            page: 1,
            per_page: 50,
            ..Default::default()
        };
        let ours = median(7, || async {
            registry::list(db, &scope, &first)
                .await
                .map(drop)
                .map_err(Into::into)
        })
        .await?;
        let base = || {
            application::Entity::find()
                .filter(scope.applications())
                .filter(sea_orm::ColumnTrait::is_in(
                    &application::Column::State,
                    [folder.states()[0].as_str()],
                ))
        };
        let count_sql = base()
            .select_only()
            .column_as(
                sea_orm::sea_query::Expr::col(application::Column::Id).count(),
                "n",
            )
            .build(backend);
        let page_sql = registry::in_order(base(), Sort::NewestFirst)
            .limit(51)
            .build(backend);
        let raw = median(7, || async {
            raw_query(db, &count_sql).await?;
            raw_query(db, &page_sql).await
        })
        .await?;
        lines.push(Line {
            what: format!("registry first page, {label}: count + 50 rows"),
            ours,
            raw: Some(raw),
            rows: 1,
        });

        let deep_page = 1000;
        let deep = registry::Query {
            folder: Some(folder),
            sort: Sort::Name,
            page: deep_page,
            per_page: 50,
            ..Default::default()
        };
        let ours = median(5, || async {
            registry::list(db, &scope, &deep)
                .await
                .map(drop)
                .map_err(Into::into)
        })
        .await?;
        let deep_sql = registry::in_order(base(), Sort::Name)
            .offset((deep_page - 1) * 50)
            .limit(51)
            .build(backend);
        let raw = median(5, || async {
            raw_query(db, &count_sql).await?;
            raw_query(db, &deep_sql).await
        })
        .await?;
        lines.push(Line {
            what: format!("registry page {deep_page} by name (offset), {label}"),
            ours,
            raw: Some(raw),
            rows: 1,
        });

        // Every order pages by keyset (the "Дальше" link, the API's `next`): find the
        // cursor 50 000 rows in, then time one page from it — newest first and by name.
        for (sort, order) in [(Sort::NewestFirst, "newest first"), (Sort::Name, "by name")] {
            let Some(row) = registry::in_order(base(), sort)
                .offset(49_999)
                .into_partial_model::<registry::Row>()
                .one(db)
                .await?
            else {
                continue;
            };
            let cursor = registry::Cursor::after_row(&row, sort);
            let q = registry::Query {
                folder: Some(folder),
                sort,
                page: 1,
                per_page: 50,
                after: Some(cursor.clone()),
                ..Default::default()
            };
            let ours = median(7, || async {
                registry::list(db, &scope, &q)
                    .await
                    .map(drop)
                    .map_err(Into::into)
            })
            .await?;
            let Some(from) = registry::after(sort, &cursor) else {
                continue;
            };
            let keyset_sql = registry::in_order(base().filter(from), sort)
                .limit(51)
                .build(backend);
            let raw = median(7, || async {
                raw_query(db, &count_sql).await?;
                raw_query(db, &keyset_sql).await
            })
            .await?;
            lines.push(Line {
                what: format!("registry deep page {order} (keyset, 50 000 rows in), {label}"),
                ours,
                raw: Some(raw),
                rows: 1,
            });
        }
    }

    step.set("30-day job");
    // 4. The 30-day job beside one raw UPDATE of the same rows and columns, committed
    //    (a rolled-back one never writes its pages: the job's commit does). The rows are
    //    put back as they were from a copy, so the job then finds the same applications due.
    let cutoff = now - Duration::days(auto_reject::DAYS);
    let states: Vec<&str> = State::ALL
        .iter()
        .filter(|s| s.is_before_processing())
        .map(|s| s.as_str())
        .collect();
    let due_filter = sea_orm::Condition::all()
        .add(sea_orm::ColumnTrait::is_in(
            &application::Column::State,
            states,
        ))
        .add(sea_orm::ColumnTrait::lte(
            &application::Column::ReceivedAt,
            cutoff,
        ));
    let copy = application::Entity::find()
        .select_only()
        .columns([
            application::Column::Id,
            application::Column::State,
            application::Column::Version,
            application::Column::StateChangedAt,
        ])
        .filter(due_filter.clone())
        .build(backend);
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        format!("CREATE TABLE bench_due AS {}", copy.sql),
        copy.values.clone().map_or_else(Vec::new, |v| v.0),
    ))
    .await?;
    let raw_update = application::Entity::update_many()
        .col_expr(
            application::Column::State,
            sea_orm::sea_query::Expr::value(State::AutoRejected.as_str()),
        )
        .col_expr(
            application::Column::StateChangedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            application::Column::Version,
            sea_orm::sea_query::Expr::col(application::Column::Version).add(1),
        )
        .filter(due_filter)
        .build(backend);
    let t = Instant::now();
    let txn = db.begin().await?;
    let raw_rows = txn.execute_raw(raw_update).await?.rows_affected();
    txn.commit().await?;
    let raw = t.elapsed();
    // A join by id (UPDATE … FROM: SQLite 3.33+, PostgreSQL), not a subquery per row
    // over the copy — that one was quadratic at 100 000 due.
    db.execute_unprepared(
        "UPDATE applications SET state = b.state, version = b.version, \
           state_changed_at = b.state_changed_at \
         FROM bench_due b WHERE b.id = applications.id",
    )
    .await?;
    db.execute_unprepared("DROP TABLE bench_due").await?;
    // PostgreSQL: the raw UPDATE and the restore left 200 000 dead row versions (20 %
    // of a million: autovacuum's threshold) that the raw UPDATE did not meet; vacuumed,
    // the job starts from the table the raw UPDATE had (it measured 1.47× and 2.40× raw
    // in two runs of the same code without this, autovacuum starting during the job).
    if backend == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE applications").await?;
    }
    let t = Instant::now();
    let report = auto_reject::run(st.clone(), now).await?;
    let ours = t.elapsed();
    lines.push(Line {
        what: format!("30-day job: {} due applications rejected, with history, e-mail and journal (raw: one UPDATE of {raw_rows}, committed)", report.processed),
        ours,
        raw: Some(raw),
        rows: report.processed,
    });
    step.set("reconciliations");
    lines.extend(reconciliations(st).await?);
    step.set("reports");
    lines.extend(reports(st).await?);
    Ok(lines)
}

/// Partners, subscribers and registered licences for the reconciliation figures: one
/// partner with `big` lines in the month and `partners − 1` more with `small` each, all
/// under one sales center.
async fn reconciliation_data(
    st: &AppState,
    (big_center, sales_center_id): (i32, i32),
    period: crate::reconciliation::builder::Period,
    partners: usize,
    big: usize,
    small: usize,
) -> anyhow::Result<Vec<partner::Model>> {
    use crate::entities::{licence, subscriber};
    use sea_orm::ActiveValue::{NotSet, Set};
    let db = &st.db;
    let now = st.clock.now();
    let made: Vec<partner::ActiveModel> = (0..partners)
        .map(|i| partner::ActiveModel {
            id: NotSet,
            code: Set(format!("bench-{i:03}")),
            name: Set(format!("ООО «Партнер {i:03}»")),
            region_code: Set("50".to_owned()),
            // The big one apart, so the period list measures the 199 others.
            sales_center_id: Set(if i == 0 { big_center } else { sales_center_id }),
            tariff_zone: Set(2),
            inn: Set(None),
            email: Set(None),
            phone: Set(None),
        })
        .collect();
    partner::Entity::insert_many(made).exec(db).await?;
    let bench_partners = partner::Entity::find()
        .filter(sea_orm::ColumnTrait::like(
            &partner::Column::Code,
            "bench-%",
        ))
        .order_by_asc(partner::Column::Code)
        .all(db)
        .await?;
    let total = big + small * (partners - 1);
    let pb = bar(total as u64, "reconciliation data");
    let day = period.first_day() + Duration::days(9);
    let mut n = 0u64;
    for (i, p) in bench_partners.iter().enumerate() {
        let count = if i == 0 { big } else { small };
        for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
            let subs: Vec<subscriber::ActiveModel> = chunk
                .iter()
                .map(|k| {
                    n += 1;
                    subscriber::ActiveModel {
                        id: NotSet,
                        version: Set(0),
                        partner_id: Set(p.id),
                        region_code: Set("50".to_owned()),
                        legal_form: Set("legal_entity".to_owned()),
                        inn: Set(generate::inn10(7_000_000 + n)),
                        kpp: Set(Some("500101001".to_owned())),
                        ogrn: Set(None),
                        full_name: Set(format!("Общество «Клиент {i}-{k}»")),
                        short_name: Set(format!("ООО «Клиент {i}-{k}»")),
                        search_key: Set(format!("клиент {i}-{k}")),
                        pfr_number: Set(None),
                        fss_number: Set(None),
                        legal_address: Set("Московская область".to_owned()),
                        actual_address: Set("Московская область".to_owned()),
                        phone: Set("+7 495 000-00-00".to_owned()),
                        email: Set("client@example.ru".to_owned()),
                        note: Set(None),
                        connected: Set(true),
                        paid_basis_only: Set(false),
                        created_at: Set(now),
                        fax: Set(None),
                        registration_file: Set(None),
                        registration_file_at: Set(None),
                    }
                })
                .collect();
            let inns: Vec<String> = subs
                .iter()
                .filter_map(|s| match &s.inn {
                    Set(v) => Some(v.clone()),
                    _ => None,
                })
                .collect();
            subscriber::Entity::insert_many(subs).exec(db).await?;
            let ids: Vec<i64> = subscriber::Entity::find()
                .filter(sea_orm::ColumnTrait::is_in(&subscriber::Column::Inn, inns))
                .select_only()
                .column(subscriber::Column::Id)
                .into_tuple()
                .all(db)
                .await?;
            let licences: Vec<licence::ActiveModel> = ids
                .iter()
                .map(|id| licence::ActiveModel {
                    id: NotSet,
                    version: Set(0),
                    subscriber_id: Set(*id),
                    product_account_id: Set(None),
                    tariff_code: Set("basic_1y".to_owned()),
                    tariff_name: Set("Основной (1 год)".to_owned()),
                    kind: Set("tariff".to_owned()),
                    zone: Set(2),
                    is_primary: Set(true),
                    state: Set(crate::tariffs::licence::LicenceState::Registered),
                    starts_on: Set(day),
                    ends_on: Set(day + Duration::days(365)),
                    cost: Set(crate::money::Money::rubles(4900)),
                    sales_center_share: Set(crate::money::Money::rubles(2450)),
                    revocable: Set(true),
                    approved_in_reconciliation: Set(false),
                    connection_option: Set(Some("basic_1y".to_owned())),
                    application_id: Set(None),
                    created_at: Set(now),
                    registered_on: Set(Some(day)),
                    special_offer_number: Set(None),
                })
                .collect();
            licence::Entity::insert_many(licences).exec(db).await?;
            pb.inc(chunk.len() as u64);
        }
    }
    pb.finish_and_clear();
    st.db.execute_unprepared("ANALYZE").await?;
    Ok(bench_partners)
}

/// Each report of «Аналитика» as the sales center of the 199 generated partners and as
/// the operator (the whole install) build it over last month, where the generated
/// licences were registered — the median of three builds.
async fn reports(st: &AppState) -> anyhow::Result<Vec<Line>> {
    use crate::reports::{self, RawParams, ReportName};
    let db = &st.db;
    let last_month = crate::reconciliation::builder::Period::of(st.clock.today()).previous();
    let (from, to) = (last_month.first_day(), last_month.last_day());
    let raw = RawParams {
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        on: Some((from + Duration::days(15)).to_string()),
        quarter: Some(reports::rules::Quarter::of(from).code()),
        ..RawParams::default()
    };
    let mut out = Vec::new();
    for login in ["sc-msk", "operator"] {
        let user = user_named(db, login).await?;
        for name in ReportName::ALL {
            let rows = reports::build(st, &user, name, &raw).await?.rows.len() as u64;
            let ours = median(3, || async {
                reports::build(st, &user, name, &raw).await?;
                Ok(())
            })
            .await?;
            out.push(Line {
                what: format!("report «{}» as {login}: {rows} rows", name.title_ru()),
                ours,
                raw: None,
                rows,
            });
        }
    }
    Ok(out)
}

/// The reconciliation figures: one partner's month of 10 000 lines built and read, and a
/// sales center's period list of 200 partners, each beside the same SQL run raw.
async fn reconciliations(st: &AppState) -> anyhow::Result<Vec<Line>> {
    use crate::reconciliation::builder::Period;
    use crate::reconciliation::service;
    let db = &st.db;
    let backend = db.get_database_backend();
    let sc_user = user_named(db, "sc-msk").await?;
    let Scope::SalesCenter { sales_center_id } = sc_user.scope else {
        anyhow::bail!("sc-msk is not a sales center");
    };
    let big_user = user_named(db, "sc-klg").await?;
    let Scope::SalesCenter {
        sales_center_id: big_center,
    } = big_user.scope
    else {
        anyhow::bail!("sc-klg is not a sales center");
    };
    let period = Period::of(st.clock.today()).previous();
    let t = Instant::now();
    let partners =
        reconciliation_data(st, (big_center, sales_center_id), period, 200, 10_000, 20).await?;
    let generated = t.elapsed();
    let big = &partners[0];
    let mut out = vec![Line {
        what: format!(
            "generate 200 partners and {} registered licences (bulk insert)",
            10_000 + 20 * 199
        ),
        ours: generated,
        raw: None,
        rows: 10_000 + 20 * 199,
    }];
    let text = period.to_string();
    let lines_sql = Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DatabaseBackend::Postgres => {
                "SELECT l.*, s.inn, s.kpp, s.short_name, s.region_code FROM licences l JOIN subscribers s ON s.id = l.subscriber_id WHERE s.partner_id = $1 AND l.registered_on BETWEEN $2 AND $3 ORDER BY l.id"
            }
            _ => {
                "SELECT l.*, s.inn, s.kpp, s.short_name, s.region_code FROM licences l JOIN subscribers s ON s.id = l.subscriber_id WHERE s.partner_id = ? AND l.registered_on BETWEEN ? AND ? ORDER BY l.id"
            }
        },
        [
            big.id.into(),
            period.first_day().into(),
            period.last_day().into(),
        ],
    );
    let ours = median(5, || async {
        let d = service::document(st, &big_user, &big.code, &text).await?;
        anyhow::ensure!(d.lines.len() == 10_000, "{} lines", d.lines.len());
        Ok(())
    })
    .await?;
    let raw = median(5, || async { raw_query(db, &lines_sql).await }).await?;
    out.push(Line {
        what: "reconciliation of one partner, 10 000 lines: built, priced and read (raw: the lines joined with their subscribers)".to_owned(),
        ours,
        raw: Some(raw),
        rows: 10_000,
    });
    let list_sql = Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DatabaseBackend::Postgres => {
                "SELECT s.partner_id, COUNT(*), SUM(l.cost), SUM(l.sales_center_share) FROM licences l JOIN subscribers s ON s.id = l.subscriber_id JOIN partners p ON p.id = s.partner_id WHERE p.sales_center_id = $1 AND l.registered_on BETWEEN $2 AND $3 GROUP BY s.partner_id"
            }
            _ => {
                "SELECT s.partner_id, COUNT(*), SUM(l.cost), SUM(l.sales_center_share) FROM licences l JOIN subscribers s ON s.id = l.subscriber_id JOIN partners p ON p.id = s.partner_id WHERE p.sales_center_id = ? AND l.registered_on BETWEEN ? AND ? GROUP BY s.partner_id"
            }
        },
        [
            sales_center_id.into(),
            period.first_day().into(),
            period.last_day().into(),
        ],
    );
    let ours = median(5, || async {
        let rows = service::list(st, &sc_user, &text).await?;
        anyhow::ensure!(rows.len() >= 199, "{} rows", rows.len());
        Ok(())
    })
    .await?;
    let raw = median(5, || async { raw_query(db, &list_sql).await }).await?;
    out.push(Line {
        what: "sales center's period list: 199 partners of 20 lines and the demo ones, with their totals (raw: one GROUP BY)".to_owned(),
        ours,
        raw: Some(raw),
        rows: 200,
    });
    out.extend(approvals(st, big, &big_user, &text).await?);
    Ok(out)
}

/// The big partner's month through the chain: the partner's approval (10 000 lines built,
/// frozen and hashed), the sales center's (every licence marked), the approved document
/// read from its snapshot, and the invoice's PDF. Each runs once: approvals happen once.
async fn approvals(
    st: &AppState,
    big: &partner::Model,
    sc_user: &CurrentUser,
    period: &str,
) -> anyhow::Result<Vec<Line>> {
    use crate::reconciliation::service;
    use crate::reconciliation::state::ReconciliationEvent;
    let partner_user = CurrentUser {
        role: crate::auth::Role::Partner,
        scope: Scope::Partner {
            partner_id: big.id,
            sales_center_id: big.sales_center_id,
        },
        ..sc_user.clone()
    };
    let mut out = Vec::new();
    for (what, user, event) in [
        (
            "partner approves the 10 000-line month: built, frozen as a snapshot, SHA-256",
            &partner_user,
            ReconciliationEvent::ApproveByPartner,
        ),
        (
            "sales center approves it: the snapshot read, 10 000 licences marked approved",
            sc_user,
            ReconciliationEvent::Approve,
        ),
    ] {
        let t = Instant::now();
        service::fire(st, user, &big.code, period, event, None, None).await?;
        out.push(Line {
            what: what.to_owned(),
            ours: t.elapsed(),
            raw: None,
            rows: 10_000,
        });
    }
    let ours = median(5, || async {
        let d = service::document(st, &partner_user, &big.code, period).await?;
        anyhow::ensure!(d.lines.len() == 10_000, "{} lines", d.lines.len());
        Ok(())
    })
    .await?;
    out.push(Line {
        what: "the approved 10 000-line reconciliation read from its snapshot".to_owned(),
        ours,
        raw: None,
        rows: 10_000,
    });
    let t = Instant::now();
    service::issue_invoice(st, &partner_user, &big.code, period).await?;
    let issued = t.elapsed();
    let ours = median(5, || async {
        let (pdf, _) =
            service::printable(st, &partner_user, &big.code, period, "invoice.pdf", false).await?;
        anyhow::ensure!(pdf.starts_with(b"%PDF-"), "not a PDF");
        Ok(())
    })
    .await?;
    out.push(Line {
        what: format!(
            "invoice of that month: issued (numbered) in {} ms, its PDF (DejaVu subset embedded) rendered",
            issued.as_millis()
        ),
        ours,
        raw: None,
        rows: 1,
    });
    Ok(out)
}

pub fn render(lines: &[Line], backend: &str, applications: u64) -> String {
    let mut out = format!(
        "registrar bench — {backend}, {applications} generated applications\n\n| what | registrar | same SQL, raw | ratio |\n|---|---|---|---|\n"
    );
    for l in lines {
        out.push_str(&l.render());
        out.push('\n');
    }
    out
}
