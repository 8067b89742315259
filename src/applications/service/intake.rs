//! Intake: an application from the 1C program becomes `submitted` (or `accepted` when
//! it names its partner), with its requisite checks run and an idempotency key kept.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, QueryTrait,
};
use serde_json::json;

use super::{checks_of, history_row};
use crate::AppState;
use crate::applications::checks;
use crate::applications::intake::{self, IntakeDocument};
use crate::applications::state::State;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{application, idempotency_key, partner};
use crate::error::{AppError, AppResult, FieldError};
use chrono::{DateTime, SubsecRound, Utc};

fn search_key(short_name: &str, full_name: &str) -> String {
    format!("{} {}", short_name, full_name)
        .to_lowercase()
        .replace('ё', "е")
}

/// Another application for the same ИНН/КПП that is still being worked on (its id).
fn other_open_application(inn: &str, kpp: Option<&str>) -> sea_orm::sea_query::SelectStatement {
    let open: Vec<&str> = State::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.as_str())
        .collect();
    let q = application::Entity::find()
        .filter(application::Column::Inn.eq(inn))
        .filter(application::Column::State.is_in(open));
    match kpp {
        Some(k) => q.filter(application::Column::Kpp.eq(k)),
        None => q.filter(application::Column::Kpp.is_null()),
    }
    .select_only()
    .column(application::Column::Id)
    .limit(1)
    .into_query()
}

/// The outcome of an intake.
pub enum Submission {
    New(Box<application::Model>),
    /// The same `Idempotency-Key` was seen before: its first answer, nothing created.
    Replayed {
        status: u16,
        body: serde_json::Value,
    },
}

/// The intake's answer: `{id, state, received_at, checks}`.
///
/// # Errors
/// `Internal` for corrupt stored checks.
pub fn intake_response(app: &application::Model) -> AppResult<serde_json::Value> {
    Ok(answer(
        app.id,
        app.state,
        app.version,
        app.received_at,
        &checks_of(app)?,
    ))
}

fn answer(
    id: i64,
    state: State,
    version: i32,
    received_at: DateTime<Utc>,
    checks: &checks::Checks,
) -> serde_json::Value {
    json!({
        "id": id, "state": state, "version": version, "received_at": received_at,
        "checks": checks,
    })
}

async fn replay(
    st: &AppState,
    user_id: i32,
    key: &str,
    hash: &str,
) -> AppResult<Option<Submission>> {
    let Some(row) = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(&st.db)
        .await?
    else {
        return Ok(None);
    };
    if row.request_hash != hash {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "этот ключ уже использован с другим заявлением",
        ));
    }
    Ok(Some(Submission::Replayed {
        status: u16::try_from(row.status).unwrap_or(201),
        body: serde_json::from_str(&row.response)?,
    }))
}

/// Accepts an application from the 1C program. With an idempotency key `(key, request
/// hash)`, a repeat returns the first answer and creates nothing, even when the two
/// requests race: the key is stored in the same transaction as the application.
///
/// # Errors
/// `Invalid` naming every bad field (including an unknown partner code or region).
#[tracing::instrument(skip_all)]
pub async fn submit(
    st: &AppState,
    user: &CurrentUser,
    doc: IntakeDocument,
    idempotency: Option<(String, String)>,
) -> AppResult<Submission> {
    user.require(&[Role::Intake])?;
    if let Some((key, hash)) = &idempotency
        && let Some(previous) = replay(st, user.id, key, hash).await?
    {
        return Ok(previous);
    }
    let kpp = trimmed(doc.kpp.as_ref());
    // Microseconds, what both databases keep: the answer given now is the one read back.
    let now = st.clock.now().trunc_subsecs(6);
    let invalid = intake::validate(&doc).err().unwrap_or_default();
    let at_once = st.db.get_database_backend() == DbBackend::Postgres;
    let may_renew = doc.paperless_renewal && doc.product_guid.is_some();
    if at_once && invalid.is_empty() && !may_renew {
        // PostgreSQL, the usual document: the statement that writes also looks up the
        // partner, checks the region and asks whether another application is open — one
        // round trip. It writes nothing when a reference is unknown; the reads then name
        // it.
        let code = partner_code(&doc);
        let state = if code.is_some() {
            State::Accepted
        } else {
            State::Submitted
        };
        let checks = checks_either(&doc);
        let draft = Draft {
            row: new_row(&doc, state, None, kpp.clone(), &checks[0], now)?,
            state,
            change: submitted_change(&doc, kpp.as_deref(), state, code),
            checks,
        };
        let looked_up = Facts::of(&doc, kpp.as_deref(), code);
        return match write_at_once(st, user, now, draft, looked_up, idempotency.as_ref()).await? {
            Some(done) => Ok(done),
            None => Err(refusal(st, &doc, kpp.as_deref(), Vec::new()).await),
        };
    }
    // Otherwise the references are read first: a paperless renewal needs the partner
    // before it writes, SQLite writes in a transaction, and a refused document is named
    // whole. The reads are independent of the transaction that writes (SQLite), which
    // begins meanwhile: their round trips overlap. A document the rules already refuse
    // opens no transaction (on SQLite it would take the write lock); one naming an
    // unknown region or partner rolls it back untouched.
    let write = async {
        if invalid.is_empty() && !at_once {
            Write::begin(&st.db, user.actor(), now)
                .await
                .map(Some)
                .map_err(AppError::from)
        } else {
            Ok(None)
        }
    };
    let (reads, w) = tokio::try_join!(
        known_references(st, &doc, kpp.as_deref(), invalid.clone()),
        write
    )?;
    let References {
        partner,
        other_open,
    } = reads;
    let mut partner = partner;
    let renewal = paperless_renewal_of(st, &doc, partner.as_ref()).await?;
    if let Some(owner) = &renewal {
        partner = Some(owner.clone());
    }
    let checks = checks::run(
        &doc,
        checks::Context {
            other_open_application: other_open,
        },
    );
    let state = if partner.is_some() {
        State::Accepted
    } else {
        State::Submitted
    };
    let code = partner.as_ref().map(|p| p.code.as_str());
    let change = submitted_change(&doc, kpp.as_deref(), state, code);
    let row = new_row(
        &doc,
        state,
        partner.map(|p| p.id),
        kpp.clone(),
        &checks,
        now,
    )?;

    let app = match w {
        None if at_once => {
            // The partner is in the row already; the statement still checks the region
            // and decides the checks from what it reads.
            let draft = Draft {
                row,
                state,
                change,
                checks: checks_either(&doc),
            };
            let looked_up = Facts::of(&doc, kpp.as_deref(), None);
            match write_at_once(st, user, now, draft, looked_up, idempotency.as_ref()).await? {
                Some(Submission::New(app)) => *app,
                Some(replayed) => return Ok(replayed),
                None => return Err(refusal(st, &doc, kpp.as_deref(), Vec::new()).await),
            }
        }
        None => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "a refused document passed its references"
            )));
        }
        Some(mut w) => {
            let app = row.insert(&*w).await?;
            history_row(&app, w.actor(), now, "submit", None, state, None)
                .insert(&*w)
                .await?;
            if let Some((key, hash)) = &idempotency
                && let Err(e) = remember_key(&w, user.id, key, hash, intake_response(&app)?).await
            {
                // Another request with this key won the race: answer as it did.
                drop(w);
                if let Some(previous) = replay(st, user.id, key, hash).await? {
                    return Ok(previous);
                }
                return Err(e.into());
            }
            w.record(Change {
                object_id: app.id.to_string(),
                ..change
            });
            w.commit().await?;
            app
        }
    };
    if renewal.is_some() {
        let processed = process_paperless(st, &app).await?;
        if let Some((key, _)) = &idempotency {
            idempotency_key::Entity::update_many()
                .col_expr(
                    idempotency_key::Column::Response,
                    sea_orm::sea_query::Expr::value(intake_response(&processed)?.to_string()),
                )
                .filter(idempotency_key::Column::UserId.eq(user.id))
                .filter(idempotency_key::Column::Key.eq(key.as_str()))
                .exec(&st.db)
                .await?;
        }
        return Ok(Submission::New(Box::new(processed)));
    }
    Ok(Submission::New(Box::new(app)))
}

/// The partner code the document names, trimmed (none when blank).
fn partner_code(doc: &IntakeDocument) -> Option<&str> {
    doc.partner_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
}

/// The document's checks as they come out when no other application of the ИНН/КПП is
/// open, and when one is: the statement that writes picks one (PostgreSQL).
fn checks_either(doc: &IntakeDocument) -> [checks::Checks; 2] {
    [false, true].map(|open| {
        checks::run(
            doc,
            checks::Context {
                other_open_application: open,
            },
        )
    })
}

/// The journal entry of an intake (its object id filled in once known).
fn submitted_change(
    doc: &IntakeDocument,
    kpp: Option<&str>,
    state: State,
    partner: Option<&str>,
) -> Change {
    Change::new("application.submit", "application", 0).after(json!({
        "state": state.as_str(), "inn": doc.inn.trim(), "kpp": kpp, "partner": partner,
    }))
}

/// What the write refused, named: the document's own bad fields and its unknown
/// references.
async fn refusal(
    st: &AppState,
    doc: &IntakeDocument,
    kpp: Option<&str>,
    invalid: Vec<FieldError>,
) -> AppError {
    match known_references(st, doc, kpp, invalid).await {
        Err(e) => e,
        // Every reference is known when read again: another writer changed them between.
        Ok(_) => AppError::Stale {
            current_state: None,
        },
    }
}

/// A paperless renewal (Безбумажное продление, manual l.586–593) of a product account
/// the service knows skips the partner: the partner that serves the account, when the
/// application names no other.
async fn paperless_renewal_of(
    st: &AppState,
    doc: &IntakeDocument,
    named: Option<&partner::Model>,
) -> AppResult<Option<partner::Model>> {
    let Some(guid) = doc
        .product_guid
        .as_deref()
        .filter(|_| doc.paperless_renewal)
    else {
        return Ok(None);
    };
    let kpp = trimmed(doc.kpp.as_ref());
    let Some(standing) =
        crate::subscribers::standing::of(&st.db, doc.inn.trim(), kpp.as_deref(), Some(guid))
            .await?
            .filter(|s| s.product_known)
    else {
        return Ok(None);
    };
    if named.is_some_and(|p| p.id != standing.subscriber.partner_id) {
        return Ok(None);
    }
    Ok(partner::Entity::find_by_id(standing.subscriber.partner_id)
        .one(&st.db)
        .await?)
}

/// Sends a paperless renewal to processing as the system: a renewal on the ITS tariff
/// when a PROF subscription is current for its login, otherwise «Основной (1 год)». What
/// the guard refuses stays with the partner, the reason in the history.
async fn process_paperless(
    st: &AppState,
    app: &application::Model,
) -> AppResult<application::Model> {
    use crate::tariffs::connection::{ConnectionOption, ProcessRequest, SecondaryAction};
    let its = super::its_check(st, app).await?;
    let mut req = ProcessRequest::paid();
    req.action = Some(SecondaryAction::Renewal);
    if its.outcome == crate::applications::processing::ItsOutcome::Active {
        req.option = Some(ConnectionOption::ItsFree);
    }
    let caller = super::Caller::System("paperless_renewal");
    match super::fire(
        st,
        caller,
        app.id,
        super::Command::SendToProcessing(req),
        None,
    )
    .await
    {
        Ok(processed) => Ok(processed),
        Err(AppError::Invalid(errors)) => {
            let why: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", crate::labels::field_title(&e.field), e.message))
                .collect();
            let mut w = Write::begin(&st.db, caller.actor(), st.clock.now()).await?;
            history_row(
                app,
                w.actor(),
                w.at(),
                "paperless_renewal_held",
                Some(app.state),
                app.state,
                Some(why.join("; ")),
            )
            .insert(&*w)
            .await?;
            w.record(
                Change::new("application.paperless_renewal_held", "application", app.id)
                    .after(json!({"reasons": why})),
            );
            w.commit().await?;
            Ok(app.clone())
        }
        Err(e) => Err(e),
    }
}

/// An intake's write, before the database has decided what only it knows.
struct Draft {
    /// The application's row. Its partner, when the statement looks it up, and its
    /// checks are replaced by what the statement finds.
    row: application::ActiveModel,
    state: State,
    /// The journal entry; its object id is the new application's.
    change: Change,
    /// The checks when no other application of the ИНН/КПП is open, and when one is.
    checks: [checks::Checks; 2],
}

/// What the statement looks up for itself (PostgreSQL).
struct Facts<'a> {
    /// The partner named by its code; `None` when the row already holds the partner (or
    /// names none).
    partner_code: Option<&'a str>,
    region: &'a str,
    inn: &'a str,
    kpp: Option<&'a str>,
}

impl<'a> Facts<'a> {
    fn of(doc: &'a IntakeDocument, kpp: Option<&'a str>, partner_code: Option<&'a str>) -> Self {
        Facts {
            partner_code,
            region: doc.region_code.trim(),
            inn: doc.inn.trim(),
            kpp,
        }
    }
}

/// PostgreSQL: the intake as one statement, with its idempotency key when there is one.
/// `None` when the statement wrote nothing because a reference is unknown; a key another
/// request already holds answers as that request did.
async fn write_at_once(
    st: &AppState,
    user: &CurrentUser,
    now: DateTime<Utc>,
    draft: Draft,
    facts: Facts<'_>,
    idempotency: Option<&(String, String)>,
) -> AppResult<Option<Submission>> {
    let key = idempotency.map(|(key, hash)| Remembered {
        user_id: user.id,
        key,
        hash,
        answer: answer(0, draft.state, 0, now, &draft.checks[0]),
    });
    match insert_at_once(st, &user.actor(), now, draft, facts, key).await {
        Ok(app) => Ok(app.map(|app| Submission::New(Box::new(app)))),
        Err(e) => {
            // Another request with this key won the race: answer as it did.
            if let Some((key, hash)) = idempotency
                && let Some(previous) = replay(st, user.id, key, hash).await?
            {
                return Ok(Some(previous));
            }
            Err(e.into())
        }
    }
}

/// An idempotency key to keep with the intake's answer.
struct Remembered<'a> {
    user_id: i32,
    key: &'a str,
    hash: &'a str,
    /// The answer, its id and checks left to the statement that makes them.
    answer: serde_json::Value,
}

/// PostgreSQL: the intake's whole write — the application, its history row, its journal
/// entry and its idempotency key — as one statement (`WITH facts AS (SELECT …),
/// submitted AS (INSERT … SELECT … FROM facts WHERE … RETURNING *) …`), atomic on its
/// own. In a transaction it was six round trips (BEGIN, application, history, key,
/// journal, COMMIT), each one paid again by the database's and the server's CPU; the
/// intake was 2.7× a raw insert at 20 000 applications. The reads the intake depends on
/// (the partner by its code, the region, another open application of the ИНН/КПП) are
/// the statement's first part: a separate read was one more round trip, and put the
/// intake at 2.0–2.1× a raw insert at 1 M applications.
///
/// The statement inserts nothing when the region or the named partner is unknown (the
/// answer is then `None`). The application's id, known only inside the statement, is
/// taken from its `RETURNING`. A key another request holds fails the whole statement (its
/// unique index): nothing of it is written.
async fn insert_at_once(
    st: &AppState,
    actor: &crate::audit::Actor,
    now: DateTime<Utc>,
    draft: Draft,
    facts: Facts<'_>,
    key: Option<Remembered<'_>>,
) -> Result<Option<application::Model>, DbErr> {
    use crate::entities::application_history as history;
    use sea_orm::sea_query::{
        Alias, Asterisk, CaseStatement, CommonTableExpression, ExprTrait, Func,
        PostgresQueryBuilder, Query, WithClause,
    };
    use sea_orm::{FromQueryResult, Iterable};
    let Draft {
        row,
        state,
        change,
        checks,
    } = draft;
    let known = Alias::new("facts");
    let fact = |name: &str| Expr::col((known.clone(), Alias::new(name)));
    let submitted = Alias::new("submitted");
    let id = || Expr::col((submitted.clone(), application::Column::Id));
    let from_submitted =
        |values: Vec<Expr>| Query::select().exprs(values).from(submitted.clone()).take();
    let built = |e: sea_orm::sea_query::error::Error| DbErr::Custom(e.to_string());
    let mut with = WithClause::new();
    let mut cte = |name: &str, q: sea_orm::sea_query::SubQueryStatement| {
        with.cte(
            CommonTableExpression::new()
                .query(q)
                .table_name(Alias::new(name))
                .to_owned(),
        );
    };

    // One row of what the database knows.
    let region = crate::entities::region::Entity::find_by_id(facts.region.to_owned())
        .select_only()
        .column(crate::entities::region::Column::Code)
        .into_query();
    let partner = Query::select()
        .column(partner::Column::Id)
        .from(partner::Entity)
        .and_where(partner::Column::Code.eq(facts.partner_code.unwrap_or_default()))
        .take();
    cte(
        "facts",
        Query::select()
            .expr_as(Expr::exists(region), Alias::new("region_known"))
            .expr_as(
                Expr::exists(other_open_application(facts.inn, facts.kpp)),
                Alias::new("other_open"),
            )
            .expr_as(partner, Alias::new("partner_id"))
            .take()
            .into(),
    );

    // The application, its partner and checks as found.
    let [clear, open] = checks;
    let pick = |clear: sea_orm::Value, open: sea_orm::Value| -> Expr {
        CaseStatement::new()
            .case(fact("other_open"), Expr::val(open))
            .finally(Expr::val(clear))
            .into()
    };
    let (mut columns, mut values) = (Vec::new(), Vec::new());
    for c in application::Column::iter() {
        let value = match (c, row.get(c)) {
            (application::Column::PartnerId, _) if facts.partner_code.is_some() => {
                fact("partner_id")
            }
            (application::Column::Checks, _) => pick(
                serde_json::to_string(&clear).map_err(json_err)?.into(),
                serde_json::to_string(&open).map_err(json_err)?.into(),
            ),
            (application::Column::ChecksPassed, _) => pick(clear.passed.into(), open.passed.into()),
            (_, sea_orm::ActiveValue::Set(v)) => Expr::val(v),
            _ => continue,
        };
        columns.push(c);
        values.push(value);
    }
    let mut found = Query::select();
    found
        .exprs(values)
        .from(known.clone())
        .and_where(fact("region_known"));
    if facts.partner_code.is_some() {
        found.and_where(fact("partner_id").is_not_null());
    }
    let mut insert = Query::insert();
    insert
        .into_table(application::Entity)
        .columns(columns)
        .select_from(found)
        .map_err(built)?
        .returning_all();
    cte("submitted", insert.into());

    let entry = super::history_row_of(0, actor, now, "submit", None, state, None);
    let (mut columns, mut values) = (Vec::new(), Vec::new());
    for c in history::Column::iter() {
        match (c, entry.get(c)) {
            (history::Column::ApplicationId, _) => {
                columns.push(c);
                values.push(id());
            }
            (_, sea_orm::ActiveValue::Set(v)) => {
                columns.push(c);
                values.push(Expr::val(v));
            }
            _ => {}
        }
    }
    let mut h = Query::insert();
    h.into_table(history::Entity)
        .columns(columns)
        .select_from(from_submitted(values))
        .map_err(built)?;
    cte("history", h.into());

    if let Some(k) = key {
        use idempotency_key::Column as K;
        let jsonb = |e: Expr| e.cast_as(Alias::new("jsonb"));
        let set = |json: Expr, path: &str, value: Expr| -> Expr {
            Func::cust(Alias::new("jsonb_set"))
                .args([json, Expr::cust(format!("'{{{path}}}'::text[]")), value])
                .into()
        };
        let answer = set(
            set(
                jsonb(Expr::val(k.answer.to_string())),
                "id",
                Func::cust(Alias::new("to_jsonb")).arg(id()).into(),
            ),
            "checks",
            jsonb(Expr::col((submitted.clone(), application::Column::Checks))),
        )
        .cast_as(Alias::new("text"));
        let mut i = Query::insert();
        i.into_table(idempotency_key::Entity)
            .columns([
                K::UserId,
                K::Key,
                K::RequestHash,
                K::Status,
                K::Response,
                K::CreatedAt,
            ])
            .select_from(from_submitted(vec![
                Expr::val(k.user_id),
                Expr::val(k.key),
                Expr::val(k.hash),
                Expr::val(201),
                answer,
                Expr::val(now),
            ]))
            .map_err(built)?;
        cte("remembered", i.into());
    }

    let journal = crate::audit::append_expr(
        actor,
        now,
        vec![(change, Some(id().cast_as(Alias::new("text"))))],
    );
    let (sql, values) = Query::select()
        .column((submitted.clone(), Asterisk))
        .expr_as(journal, Alias::new("journaled"))
        .from(submitted.clone())
        .take()
        .with(with)
        .build(PostgresQueryBuilder);
    let row = st
        .db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    row.map(|row| application::Model::from_query_result(&row, ""))
        .transpose()
}

fn json_err(e: serde_json::Error) -> DbErr {
    DbErr::Json(e.to_string())
}

/// What the intake reads before it writes.
struct References {
    /// The partner the document names.
    partner: Option<partner::Model>,
    /// Whether another application of the ИНН/КПП is still being worked on.
    other_open: bool,
}

/// The validated document's references that must exist — the region and, when named,
/// the partner — and whether another application of the ИНН/КПП is open: one query
/// (three on three pooled connections cost three round trips' CPU and, on PostgreSQL,
/// three release pings). Every bad field is named at once, with the document's own
/// `errors`.
async fn known_references(
    st: &AppState,
    doc: &IntakeDocument,
    kpp: Option<&str>,
    mut errors: Vec<FieldError>,
) -> AppResult<References> {
    use sea_orm::FromQueryResult;
    use sea_orm::sea_query::{Alias, Query};
    let code = partner_code(doc);
    let region = crate::entities::region::Entity::find_by_id(doc.region_code.trim().to_owned())
        .select_only()
        .column(crate::entities::region::Column::Code)
        .into_query();
    // One row: the named partner's columns (NULL when none is named or known) beside the
    // two facts.
    let mut q = Query::select();
    q.column((partner::Entity, sea_orm::sea_query::Asterisk))
        .expr_as(Expr::exists(region), Alias::new("region_known"))
        .expr_as(
            Expr::exists(other_open_application(doc.inn.trim(), kpp)),
            Alias::new("other_open"),
        )
        .from_subquery(
            Query::select()
                .expr_as(Expr::val(1), Alias::new("one"))
                .to_owned(),
            Alias::new("one"),
        )
        .left_join(
            partner::Entity,
            partner::Column::Code.eq(code.unwrap_or_default()),
        );
    let backend = st.db.get_database_backend();
    let row = st
        .db
        .query_one_raw(backend.build(&q))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the intake's reads gave no row")))?;
    let partner = match (code, partner::Model::from_query_result_nullable(&row, "")) {
        (Some(_), Ok(p)) => Some(p),
        (_, Err(sea_orm::TryGetError::DbErr(e))) => return Err(e.into()),
        _ => None,
    };
    if !row.try_get::<bool>("", "region_known")? {
        errors.push(FieldError::new("region_code", "неизвестный код региона"));
    }
    if code.is_some() && partner.is_none() {
        errors.push(FieldError::new("partner_code", "неизвестный код партнера"));
    }
    if errors.is_empty() {
        Ok(References {
            partner,
            other_open: row.try_get("", "other_open")?,
        })
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// An optional text as stored: trimmed, and absent when blank.
fn trimmed(s: Option<&String>) -> Option<String> {
    s.map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The new application's row, from the validated document.
fn new_row(
    doc: &IntakeDocument,
    state: State,
    partner_id: Option<i32>,
    kpp: Option<String>,
    checks: &checks::Checks,
    now: DateTime<Utc>,
) -> AppResult<application::ActiveModel> {
    let opt = |s: &Option<String>| trimmed(s.as_ref());
    Ok(application::ActiveModel {
        id: NotSet,
        version: Set(0),
        state: Set(state),
        partner_id: Set(partner_id),
        sales_center_id: NotSet,
        region_code: Set(doc.region_code.trim().to_owned()),
        request_type: Set(serde_json::to_value(doc.request_type)?
            .as_str()
            .unwrap_or_default()
            .to_owned()),
        legal_form: Set(serde_json::to_value(doc.legal_form)?
            .as_str()
            .unwrap_or_default()
            .to_owned()),
        category: Set(doc.category.as_str().to_owned()),
        paperless_renewal: Set(doc.paperless_renewal),
        inn: Set(doc.inn.trim().to_owned()),
        kpp: Set(kpp),
        ogrn: Set(opt(&doc.ogrn)),
        full_name: Set(doc.full_name.trim().to_owned()),
        short_name: Set(doc.short_name.trim().to_owned()),
        search_key: Set(search_key(doc.short_name.trim(), doc.full_name.trim())),
        pfr_number: Set(opt(&doc.pfr_number)),
        fss_number: Set(opt(&doc.fss_number)),
        phone: Set(doc.phone.trim().to_owned()),
        mobile_phone: Set(opt(&doc.mobile_phone)),
        email: Set(doc.email.trim().to_owned()),
        legal_address: Set(doc.legal_address.trim().to_owned()),
        actual_address: Set(doc.actual_address.trim().to_owned()),
        configuration: Set(doc.configuration.trim().to_owned()),
        format_version: Set(doc.format_version.trim().to_owned()),
        certificate_requested: Set(doc.certificate_requested),
        cryptopro_licence: Set(doc.cryptopro_licence),
        connect_lk: Set(doc.connect_lk),
        its_login: Set(opt(&doc.its_login)),
        its_email: Set(opt(&doc.its_email)),
        authorized_representative_inn: Set(opt(&doc.authorized_representative_inn)),
        product_guid: Set(opt(&doc.product_guid)),
        owner: Set(serde_json::to_string(&doc.owner)?),
        directions: Set(serde_json::to_string(&doc.directions)?),
        checks: Set(serde_json::to_string(checks)?),
        checks_passed: Set(checks.passed),
        received_at: Set(now),
        confirmed_at: Set((state == State::Accepted).then_some(now)),
        state_changed_at: Set(now),
        registration_number: Set(None),
        identification_center_id: Set(None),
        delegated_at: Set(None),
        distributed_at: Set(None),
        reject_reason: Set(None),
        processing_option: Set(None),
        processing_params: Set(None),
    })
}

/// Keeps the intake's answer under its idempotency key, in the application's transaction.
async fn remember_key(
    w: &Write,
    user_id: i32,
    key: &str,
    hash: &str,
    response: serde_json::Value,
) -> Result<(), DbErr> {
    idempotency_key::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        key: Set(key.to_owned()),
        request_hash: Set(hash.to_owned()),
        status: Set(201),
        response: Set(response.to_string()),
        created_at: Set(w.at()),
    }
    .insert(&**w)
    .await
    .map(|_| ())
}
