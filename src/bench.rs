//! `registrar bench`: the product's own speed at scale, each figure beside the same SQL
//! run raw on the same database, as a ratio (how much the product's layers cost).

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
    db.execute_unprepared("ANALYZE").await?;

    // 2. Intake: the whole use case (validation, checks, history, journal) vs the bare INSERT.
    let intake = user_named(db, "intake").await?;
    let template = crate::applications::demo::sample_document()?;
    let pb = bar(opts.intake_samples, "intake");
    let t = Instant::now();
    let mut last = None;
    for i in 0..opts.intake_samples {
        let mut doc = template.clone();
        doc.inn = generate::inn10(9_000_000 + i);
        if let Submission::New(a) = service::submit(st, &intake, doc, None).await? {
            last = Some(a);
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    let ours = t.elapsed();
    let sample = last.ok_or_else(|| anyhow::anyhow!("no application submitted"))?;
    let mut am: application::ActiveModel =
        sea_orm::IntoActiveModel::into_active_model((*sample).clone());
    am.id = sea_orm::ActiveValue::NotSet;
    let insert = application::Entity::insert(am).build(backend);
    let t = Instant::now();
    for _ in 0..opts.intake_samples {
        let txn = db.begin().await?;
        txn.execute_raw(insert.clone()).await?;
        txn.commit().await?;
    }
    lines.push(Line {
        what: format!(
            "intake, one application per transaction ({} samples)",
            opts.intake_samples
        ),
        ours,
        raw: Some(t.elapsed()),
        rows: opts.intake_samples,
    });

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
        let page_sql = base()
            .order_by_desc(application::Column::ReceivedAt)
            .order_by_desc(application::Column::Id)
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
        let deep_sql = base()
            .order_by_asc(application::Column::ShortName)
            .order_by_asc(application::Column::Id)
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

        // The default order pages by keyset: find the cursor 50 000 rows in, then time one page from it.
        let cursor_row = base()
            .order_by_desc(application::Column::ReceivedAt)
            .order_by_desc(application::Column::Id)
            .offset(49_999)
            .one(db)
            .await?;
        if let Some(c) = cursor_row {
            let after = registry::Cursor {
                received_at: c.received_at,
                id: c.id,
            };
            let q = registry::Query {
                folder: Some(folder),
                sort: Sort::NewestFirst,
                page: 1,
                per_page: 50,
                after: Some(after),
                ..Default::default()
            };
            let ours = median(7, || async {
                registry::list(db, &scope, &q)
                    .await
                    .map(drop)
                    .map_err(Into::into)
            })
            .await?;
            let keyset_sql = base()
                .filter(
                    sea_orm::Condition::any()
                        .add(sea_orm::ColumnTrait::lt(
                            &application::Column::ReceivedAt,
                            after.received_at,
                        ))
                        .add(
                            sea_orm::Condition::all()
                                .add(sea_orm::ColumnTrait::eq(
                                    &application::Column::ReceivedAt,
                                    after.received_at,
                                ))
                                .add(sea_orm::ColumnTrait::lt(&application::Column::Id, after.id)),
                        ),
                )
                .order_by_desc(application::Column::ReceivedAt)
                .order_by_desc(application::Column::Id)
                .limit(51)
                .build(backend);
            let raw = median(7, || async {
                raw_query(db, &count_sql).await?;
                raw_query(db, &keyset_sql).await
            })
            .await?;
            lines.push(Line {
                what: format!("registry deep page (keyset, 50 000 rows in), {label}"),
                ours,
                raw: Some(raw),
                rows: 1,
            });
        }
    }

    // 4. The 30-day job. The raw UPDATE runs in a transaction that is rolled back, so the
    //    job then finds the same applications due.
    let cutoff = now - Duration::days(auto_reject::DAYS);
    let states: Vec<&str> = State::ALL
        .iter()
        .filter(|s| s.is_before_processing())
        .map(|s| s.as_str())
        .collect();
    let raw_update = application::Entity::update_many()
        .col_expr(
            application::Column::State,
            sea_orm::sea_query::Expr::value(State::AutoRejected.as_str()),
        )
        .filter(sea_orm::ColumnTrait::is_in(
            &application::Column::State,
            states,
        ))
        .filter(sea_orm::ColumnTrait::lte(
            &application::Column::ReceivedAt,
            cutoff,
        ))
        .build(backend);
    let t = Instant::now();
    let txn = db.begin().await?;
    let raw_rows = txn.execute_raw(raw_update).await?.rows_affected();
    let raw = t.elapsed();
    txn.rollback().await?;
    let t = Instant::now();
    let report = auto_reject::run(st.clone(), now).await?;
    let ours = t.elapsed();
    lines.push(Line {
        what: format!("30-day job: {} due applications rejected, with history, e-mail and journal (raw: one UPDATE of {raw_rows})", report.processed),
        ours,
        raw: Some(raw),
        rows: report.processed,
    });
    Ok(lines)
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
