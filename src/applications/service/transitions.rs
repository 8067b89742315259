//! Every state change of an application: a [`Transition`] is asked of the pure machine
//! (`state::apply` decides the target), gets the command's effects, and is saved with a
//! version check, its history row, journal entry and e-mail in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::queries::{process_facts, ranked_centers};
use super::{Caller, Command, NO_SHOW_REASON, find_for, history_row, required_reason};
use crate::AppState;
use crate::applications::processing::{self, ProcessRequest};
use crate::applications::state::{self, Event, State, TransitionError};
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Scope};
use crate::entities::{application, application_history, partner};
use crate::error::{AppError, AppResult};
use crate::notify::{self, templates};
use crate::requisites::{Inn, Kpp};
use sea_orm::DbErr;

/// One transition the machine allowed, with what it changes besides the state; saved by
/// [`transition_in`]. Made only by [`Transition::new`], which asks `state::apply`.
#[derive(Debug)]
pub struct Transition {
    from: State,
    to: State,
    event: Event,
    /// Columns the event changes besides the state.
    sets: Vec<(application::Column, SimpleExpr)>,
    reason: Option<String>,
    mail: Option<notify::Message>,
    /// Extra facts for the journal.
    detail: serde_json::Value,
}

impl Transition {
    /// The transition `event` makes from `from`, as the machine decides.
    ///
    /// # Errors
    /// The machine's refusal when `from` does not allow `event`.
    pub fn new(from: State, event: Event) -> Result<Self, TransitionError> {
        Ok(Self {
            from,
            to: state::apply(from, event)?,
            event,
            sets: Vec::new(),
            reason: None,
            mail: None,
            detail: json!({}),
        })
    }

    /// §2: the 30-day rule rejects the application and tells the client.
    ///
    /// # Errors
    /// The machine's refusal; a corrupt state.
    pub fn auto_reject(app: &application::Model) -> AppResult<Self> {
        Ok(Self::new(app.state, Event::AutoReject)?.auto_rejected(app))
    }

    /// §6: the identification center was not visited within 10 working days.
    ///
    /// # Errors
    /// The machine's refusal; a corrupt state.
    pub fn no_show(app: &application::Model) -> AppResult<Self> {
        Ok(Self::new(app.state, Event::IdentificationFailed)?.not_shown())
    }

    pub fn to(&self) -> State {
        self.to
    }

    #[must_use]
    pub fn set(mut self, column: application::Column, value: impl Into<SimpleExpr>) -> Self {
        self.sets.push((column, value.into()));
        self
    }

    #[must_use]
    pub fn reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason;
        self
    }

    #[must_use]
    pub fn mail(mut self, message: notify::Message) -> Self {
        self.mail = Some(message);
        self
    }

    #[must_use]
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    fn auto_rejected(self, app: &application::Model) -> Self {
        let text = templates::AUTO_REJECT_TEXT;
        self.set(application::Column::RejectReason, Expr::value(Some(text)))
            .reason(Some(text.to_owned()))
            .mail(templates::auto_rejected(app))
    }

    fn not_shown(self) -> Self {
        self.reason(Some(NO_SHOW_REASON.to_owned()))
            .detail(json!({"reason": "no_show"}))
    }
}

/// Fires a command: checks role and scope, the transition table and the guards, then
/// saves with a version check (of concurrent commands exactly one wins; the others get
/// `Stale`), writes the history row, the journal entry and any e-mail in one transaction.
///
/// # Errors
/// `NotFound` (not the caller's), `Forbidden` (role), `Conflict` (state), `Stale`
/// (someone else changed it first, or `expected_version` is old), `Invalid` (guards).
#[tracing::instrument(skip_all, fields(application = id, event = %cmd.event()))]
pub async fn fire(
    st: &AppState,
    caller: Caller<'_>,
    id: i64,
    cmd: Command,
    expected_version: Option<i32>,
) -> AppResult<application::Model> {
    let event = cmd.event();
    // The role first: a role that may never fire the event learns nothing about the id.
    if !state::may_fire(caller.firer(), event) {
        return Err(AppError::Forbidden);
    }
    let app = find_for(st, caller, id, event).await?;
    let from = app.state;
    let t = Transition::new(from, event)?;
    if expected_version.is_some_and(|v| v != app.version) {
        return Err(AppError::Stale {
            current_state: Some(from.as_str().to_owned()),
        });
    }
    let now = st.clock.now();
    let t = effects(st, caller, &app, &cmd, t, now).await?;
    save(st, caller, &app, t, now).await
}

/// What the command changes besides the state, after its guards.
async fn effects(
    st: &AppState,
    caller: Caller<'_>,
    app: &application::Model,
    cmd: &Command,
    t: Transition,
    now: DateTime<Utc>,
) -> AppResult<Transition> {
    Ok(match cmd {
        Command::Claim => {
            let Caller::User(CurrentUser {
                scope: Scope::Partner { partner_id, .. },
                ..
            }) = caller
            else {
                return Err(AppError::Forbidden);
            };
            t.set(application::Column::PartnerId, Expr::value(*partner_id))
                .set(application::Column::ConfirmedAt, Expr::value(Some(now)))
        }
        Command::Assign { partner_code } => assign(st, caller, partner_code, t, now).await?,
        Command::DelegateIdentification { center_id } => {
            delegate(st, app, *center_id, t, now).await?
        }
        Command::IdentificationResult {
            passed: false,
            reason,
        } => t.reason(Some(required_reason(reason.as_deref())?)),
        Command::IdentificationResult {
            passed: true,
            reason,
        } => t.reason(
            reason
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        ),
        Command::NoShow => t.not_shown(),
        Command::Reject { reason } | Command::CaRefused { reason } => {
            let r = required_reason(Some(reason))?;
            t.set(
                application::Column::RejectReason,
                Expr::value(Some(r.clone())),
            )
            .reason(Some(r))
        }
        Command::AutoReject => t.auto_rejected(app),

        Command::SendToProcessing(req) => send_to_processing(st, app, req, t).await?,
        Command::CertificateIssued | Command::ProcessingDone | Command::Receipt => t,
    })
}

/// The sales center hands the application to one of its partners.
async fn assign(
    st: &AppState,
    caller: Caller<'_>,
    partner_code: &str,
    t: Transition,
    now: DateTime<Utc>,
) -> AppResult<Transition> {
    let Caller::User(u) = caller else {
        return Err(AppError::Forbidden);
    };
    let p = partner::Entity::find()
        .filter(partner::Column::Code.eq(partner_code.trim()))
        .filter(u.scope.partners())
        .one(&st.db)
        .await?
        .ok_or_else(|| AppError::invalid("partner_code", "выберите одного из своих партнеров"))?;
    Ok(t.set(application::Column::PartnerId, Expr::value(p.id))
        .set(application::Column::ConfirmedAt, Expr::value(Some(now)))
        .detail(json!({"partner": p.code}))
        .reason(Some(format!("Назначено партнеру {}", p.name))))
}

/// §6: identification is delegated to a center of the client's region (the nearest one
/// unless the partner picks another) and the client is invited there.
async fn delegate(
    st: &AppState,
    app: &application::Model,
    center_id: Option<i32>,
    t: Transition,
    now: DateTime<Utc>,
) -> AppResult<Transition> {
    let ranked = ranked_centers(st, app).await?;
    let center = match center_id {
        _ if ranked.is_empty() => {
            return Err(AppError::invalid(
                "center_id",
                "в регионе абонента нет центров идентификации",
            ));
        }
        None => &ranked[0].0,
        Some(cid) => ranked
            .iter()
            .map(|(c, _)| c)
            .find(|c| c.id == cid)
            .ok_or_else(|| {
                AppError::invalid(
                    "center_id",
                    "выберите центр идентификации из региона абонента",
                )
            })?,
    };
    Ok(t.set(
        application::Column::IdentificationCenterId,
        Expr::value(Some(center.id)),
    )
    .set(application::Column::DelegatedAt, Expr::value(Some(now)))
    .reason(Some(format!("{} — {}", center.office_name, center.address)))
    .detail(json!({"identification_center": center.code}))
    .mail(templates::identification_invitation(app, center)))
}

/// «В обработку»: the pure guard over the loaded facts; the request is kept for the
/// pipeline.
async fn send_to_processing(
    st: &AppState,
    app: &application::Model,
    req: &ProcessRequest,
    t: Transition,
) -> AppResult<Transition> {
    let facts = process_facts(st, app, req).await?;
    processing::guard(req, &facts).map_err(AppError::Invalid)?;
    let option = req.option.map(|o| o.as_str().to_owned());
    let reason = [
        req.action.map(|a| a.title_ru()),
        req.option.map(|o| o.title_ru()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(": ");
    Ok(
        t.set(application::Column::ProcessingOption, Expr::value(option))
            .set(
                application::Column::ProcessingParams,
                Expr::value(Some(serde_json::to_string(req)?)),
            )
            .detail(json!({
                "option": req.option, "action": req.action, "its_outcome": facts.its.outcome,
            }))
            .reason(Some(reason)),
    )
}

/// The processing pipeline's step for a transition, inside its transaction: prepare the
/// subscriber and pending licences at «В обработку», the certificate when issued, the
/// registration, the refusal.
async fn pipeline_step(
    w: &mut Write,
    dss: &dyn crate::subscribers::cloud_signature::dss::SignatureService,
    id: i64,
    to: State,
    event: Event,
    reason: Option<&str>,
) -> AppResult<()> {
    use crate::subscribers::pipeline;
    let app = application::Entity::find_by_id(id)
        .one(&**w)
        .await?
        .ok_or(AppError::NotFound)?;
    match (to, event) {
        (State::InProcessing, _) => pipeline::prepare(w, &app).await,
        (State::AwaitingReceipt, _) => pipeline::certificate_issued(w, &app, dss).await,
        (State::Registered, _) => pipeline::register(w, &app).await.map(drop),
        (State::Rejected, Event::CaRefused) => {
            pipeline::refused(w, &app, reason.unwrap_or_default()).await
        }
        _ => Ok(()),
    }
}

/// Saves a fired transition in its own transaction; at `registered` the organisation
/// becomes a subscriber in the same transaction.
async fn save(
    st: &AppState,
    caller: Caller<'_>,
    app: &application::Model,
    t: Transition,
    now: DateTime<Utc>,
) -> AppResult<application::Model> {
    let (to, event, reason) = (t.to, t.event, t.reason.clone());
    let mut w = Write::begin(&st.db, caller.actor(), now).await?;
    let mut batch = Batch::default();
    if !transition_in(&mut w, &mut batch, app, t).await? {
        drop(w);
        let current = application::Entity::find_by_id(app.id)
            .one(&st.db)
            .await?
            .map(|a| a.state.as_str().to_owned());
        return Err(AppError::Stale {
            current_state: current,
        });
    }
    pipeline_step(&mut w, &*st.dss, app.id, to, event, reason.as_deref())
        .await
        .map_err(|e| e.context("the processing pipeline's step"))?;
    batch.flush(&w).await?;
    w.commit().await?;
    application::Entity::find_by_id(app.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// History rows and e-mails of transitions saved in one transaction, inserted together
/// (multi-row) when the batch is flushed: jobs move thousands of applications at once.
#[derive(Default)]
pub struct Batch {
    history: Vec<application_history::ActiveModel>,
    mail: Vec<crate::entities::outbox::ActiveModel>,
}

/// Rows per multi-row INSERT, well under SQLite's limit of bound values.
const ROWS_PER_INSERT: usize = 500;

/// Ids per set-based UPDATE: one bound value each, well under the limits of SQLite
/// (32 766) and PostgreSQL (65 535).
const IDS_PER_STATEMENT: usize = 5000;

impl Batch {
    /// Inserts what was collected, inside `w`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn flush(&mut self, w: &Write) -> Result<(), DbErr> {
        while !self.history.is_empty() {
            let rest = self
                .history
                .split_off(self.history.len().min(ROWS_PER_INSERT));
            application_history::Entity::insert_many(std::mem::replace(&mut self.history, rest))
                .exec(&**w)
                .await?;
        }
        while !self.mail.is_empty() {
            let rest = self.mail.split_off(self.mail.len().min(ROWS_PER_INSERT));
            crate::entities::outbox::Entity::insert_many(std::mem::replace(&mut self.mail, rest))
                .exec(&**w)
                .await?;
        }
        Ok(())
    }
}

/// Saves a transition inside `w`: the version-checked update now, the history row, the
/// e-mail and the journal entry with the batch. `false` when someone else changed the
/// application first (nothing is written then).
///
/// # Errors
/// Database errors.
pub async fn transition_in(
    w: &mut Write,
    batch: &mut Batch,
    app: &application::Model,
    mut t: Transition,
) -> AppResult<bool> {
    let now = w.at();
    // The version-checked update comes first in the transaction: on SQLite that takes the
    // write lock before anything is read, so concurrent writers queue instead of failing.
    let mut update = application::Entity::update_many()
        .col_expr(application::Column::State, Expr::value(t.to.as_str()))
        .col_expr(application::Column::StateChangedAt, Expr::value(now));
    for (col, value) in std::mem::take(&mut t.sets) {
        update = update.col_expr(col, value);
    }
    let won = crate::db::update_versioned(
        &**w,
        update,
        (application::Column::Id, app.id),
        (application::Column::Version, app.version),
    )
    .await?;
    if !won {
        return Ok(false);
    }
    record_won(w, batch, app, t, now);
    Ok(true)
}

/// The same transition of many applications in one statement per few hundred rows (the
/// time rules' backlog): `UPDATE … WHERE (id, version) IN (…) RETURNING id`, so a row
/// changed meanwhile is skipped as in [`transition_in`]; then the history, e-mail and
/// journal of the rows that moved, in batches. Every transition must set the same target
/// state and columns (`make` of a time rule does); only their `from` differs.
///
/// # Errors
/// The machine's refusal for an application; database errors.
pub async fn transition_many_in(
    w: &mut Write,
    batch: &mut Batch,
    apps: &[application::Model],
    make: impl Fn(&application::Model) -> AppResult<Transition>,
) -> AppResult<u64> {
    use sea_orm::sea_query::ExprTrait;
    use sea_orm::{ConnectionTrait, QueryTrait};
    let now = w.at();
    let mut moved = 0;
    // The version check as `id IN (…) AND version = v`, one statement per version the
    // rows have (due rows mostly share one or two). A list of (id, version) pairs costs
    // SQLite a comparison with every pair for every row it updates: at 400 pairs a
    // statement that was a third of the job's time.
    let mut by_version: std::collections::BTreeMap<i32, Vec<&application::Model>> =
        std::collections::BTreeMap::new();
    for app in apps {
        by_version.entry(app.version).or_default().push(app);
    }
    for (version, group) in by_version {
        for chunk in group.chunks(IDS_PER_STATEMENT) {
            let mut ts: std::collections::HashMap<i64, (&application::Model, Transition)> =
                std::collections::HashMap::with_capacity(chunk.len());
            for app in chunk {
                ts.insert(app.id, (app, make(app)?));
            }
            let Some((_, first)) = ts.values().next() else {
                continue;
            };
            let mut update = application::Entity::update_many()
                .col_expr(application::Column::State, Expr::value(first.to.as_str()))
                .col_expr(application::Column::StateChangedAt, Expr::value(now))
                .col_expr(
                    application::Column::Version,
                    Expr::col(application::Column::Version).add(1),
                );
            for (col, value) in &first.sets {
                update = update.col_expr(*col, value.clone());
            }
            // RETURNING the ids alone: the rows themselves are already in hand.
            let mut stmt = update
                .filter(application::Column::Id.is_in(chunk.iter().map(|a| a.id)))
                .filter(application::Column::Version.eq(version))
                .into_query();
            stmt.returning_col(application::Column::Id);
            let txn: &sea_orm::DatabaseTransaction = w;
            let won: Vec<i64> = txn
                .query_all_raw(txn.get_database_backend().build(&stmt))
                .await?
                .iter()
                .map(|r| r.try_get_by_index::<i64>(0))
                .collect::<Result<_, _>>()?;
            for id in won {
                if let Some((app, t)) = ts.remove(&id) {
                    record_won(w, batch, app, t, now);
                    moved += 1;
                }
            }
        }
    }
    Ok(moved)
}

/// The history row, e-mail and journal entry of a transition that was saved.
fn record_won(
    w: &mut Write,
    batch: &mut Batch,
    app: &application::Model,
    t: Transition,
    now: chrono::DateTime<chrono::Utc>,
) {
    batch.history.push(history_row(
        app,
        w.actor(),
        now,
        t.event.as_str(),
        Some(t.from),
        t.to,
        t.reason,
    ));
    if let Some(m) = t.mail {
        batch.mail.push(notify::row(now, m));
    }
    let mut after = json!({"state": t.to.as_str(), "version": app.version + 1});
    if let (Some(a), Some(d)) = (after.as_object_mut(), t.detail.as_object()) {
        a.extend(d.clone());
    }
    w.record(
        Change::new(
            &format!("application.{}", t.event.as_str()),
            "application",
            app.id,
        )
        .before(json!({"state": t.from.as_str(), "version": app.version}))
        .after(after),
    );
}

/// The operator's processing queue: the certification authority processed the
/// application by hand ([`Command::issued`]).
///
/// # Errors
/// As [`fire`].
pub async fn issue(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    expected_version: Option<i32>,
) -> AppResult<application::Model> {
    let caller = Caller::User(user);
    let app = super::find(st, caller, id).await?;
    fire(st, caller, id, Command::issued(&app), expected_version).await
}

/// "Получить заявку" by ИНН/КПП (§2.6): the newest unclaimed application with these
/// requisites goes to the partner.
///
/// # Errors
/// `NotFound` when there is no such unclaimed application; then as [`fire`].
pub async fn claim_by_requisites(
    st: &AppState,
    user: &CurrentUser,
    inn: &Inn,
    kpp: Option<&Kpp>,
) -> AppResult<application::Model> {
    let mut q = application::Entity::find()
        .filter(application::Column::Inn.eq(inn.as_str()))
        .filter(application::Column::State.eq(State::Submitted.as_str()))
        .filter(application::Column::PartnerId.is_null());
    if let Some(k) = kpp {
        q = q.filter(application::Column::Kpp.eq(k.as_str()));
    }
    let app = q
        .order_by_desc(application::Column::ReceivedAt)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    fire(st, Caller::User(user), app.id, Command::Claim, None).await
}
