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
    // PostgreSQL writes the intake as one statement ([`insert_at_once`]); SQLite in a
    // transaction begun during the reads.
    let at_once = st.db.get_database_backend() == DbBackend::Postgres;
    // The reads that decide the intake are independent, and the transaction that writes
    // it can begin meanwhile: asked together, their round trips overlap (PostgreSQL
    // intake is mostly round trips). A document the rules already refuse opens no
    // transaction (on SQLite it would take the write lock); one naming an unknown
    // region or partner rolls it back untouched.
    let invalid = intake::validate(&doc).err().unwrap_or_default();
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
    let change = |id: i64| {
        Change::new("application.submit", "application", id).after(json!({
            "state": state.as_str(), "inn": doc.inn.trim(), "kpp": kpp,
            "partner": partner.as_ref().map(|p| &p.code),
        }))
    };
    let row = new_row(&doc, state, partner.as_ref(), kpp.clone(), &checks, now)?;

    let app = match w {
        None if at_once => {
            let key = idempotency.as_ref().map(|(key, hash)| Remembered {
                user_id: user.id,
                key,
                hash,
                answer: answer(0, state, 0, now, &checks),
            });
            match insert_at_once(st, &user.actor(), now, row, state, change(0), key).await {
                Ok(app) => app,
                Err(e) => {
                    // Another request with this key won the race: answer as it did.
                    if let Some((key, hash)) = &idempotency
                        && let Some(previous) = replay(st, user.id, key, hash).await?
                    {
                        return Ok(previous);
                    }
                    return Err(e.into());
                }
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
            w.record(change(app.id));
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

/// An idempotency key to keep with the intake's answer.
struct Remembered<'a> {
    user_id: i32,
    key: &'a str,
    hash: &'a str,
    /// The answer, its id left to the statement that makes it.
    answer: serde_json::Value,
}

/// PostgreSQL: the intake's whole write — the application, its history row, its journal
/// entry and its idempotency key — as one statement (`WITH submitted AS (INSERT …
/// RETURNING *) …`), atomic on its own. In a transaction it was six round trips (BEGIN,
/// application, history, key, journal, COMMIT), each one paid again by the database's
/// and the server's CPU; the intake was 2.7× a raw insert at 20 000 applications. The
/// application's id, known only inside the statement, is taken from its `RETURNING`.
/// A key another request holds fails the whole statement (its unique index): nothing of
/// it is written.
async fn insert_at_once(
    st: &AppState,
    actor: &crate::audit::Actor,
    now: DateTime<Utc>,
    row: application::ActiveModel,
    state: State,
    change: Change,
    key: Option<Remembered<'_>>,
) -> Result<application::Model, DbErr> {
    use crate::entities::application_history as history;
    use sea_orm::sea_query::{
        Alias, Asterisk, CommonTableExpression, ExprTrait, Func, PostgresQueryBuilder, Query,
        WithClause,
    };
    use sea_orm::{FromQueryResult, Iterable, QueryTrait};
    let submitted = Alias::new("submitted");
    let id = || Expr::col((submitted.clone(), application::Column::Id));
    let from_submitted =
        |values: Vec<Expr>| Query::select().exprs(values).from(submitted.clone()).take();
    let built = |e: sea_orm::sea_query::error::Error| DbErr::Custom(e.to_string());

    let mut insert = application::Entity::insert(row).into_query();
    insert.returning_all();
    let mut with = WithClause::new();
    let mut cte = |name: &str, q: sea_orm::sea_query::InsertStatement| {
        with.cte(
            CommonTableExpression::new()
                .query(q)
                .table_name(Alias::new(name))
                .to_owned(),
        );
    };
    cte("submitted", insert);

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
    cte("history", h);

    if let Some(k) = key {
        use idempotency_key::Column as K;
        let answer = Func::cust(Alias::new("jsonb_set"))
            .args([
                Expr::val(k.answer.to_string()).cast_as(Alias::new("jsonb")),
                Expr::cust("'{id}'::text[]"),
                Func::cust(Alias::new("to_jsonb")).arg(id()).into(),
            ])
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
        cte("remembered", i);
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
        .await?
        .ok_or_else(|| DbErr::Custom("the intake's insert returned no row".to_owned()))?;
    application::Model::from_query_result(&row, "")
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
    let code = doc
        .partner_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
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
    partner: Option<&partner::Model>,
    kpp: Option<String>,
    checks: &checks::Checks,
    now: DateTime<Utc>,
) -> AppResult<application::ActiveModel> {
    let opt = |s: &Option<String>| trimmed(s.as_ref());
    Ok(application::ActiveModel {
        id: NotSet,
        version: Set(0),
        state: Set(state),
        partner_id: Set(partner.map(|p| p.id)),
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
        confirmed_at: Set(partner.is_some().then_some(now)),
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
