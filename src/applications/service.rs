//! Use cases over applications: intake, transitions with an optimistic version check,
//! history, and the data the pages and the API show. Rules live in the pure modules
//! (`state`, `checks`, `processing`, `geo`, `documents`); this module loads, calls them
//! and saves in one audited transaction.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;

use super::checks::{self, Checks};
use super::documents::{self, DocumentKind};
use super::geo::{self, Place};
use super::intake::{self, IntakeDocument};
use super::processing::{self, ItsCheck, ProcessRequest};
use super::state::{self, Event, Firer, State};
use crate::AppState;
use crate::audit::{Actor, Change, Write};
use crate::auth::{CurrentUser, Role, Scope};
use crate::entities::{
    application, application_document, application_history, idempotency_key, identification_center,
    its_subscription, locality, partner,
};
use crate::error::{AppError, AppResult};
use crate::notify::{self, templates};

/// Who acts: a signed-in user or the system (a job, the processing pipeline).
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    User(&'a CurrentUser),
    System(&'static str),
}

impl Caller<'_> {
    pub fn firer(&self) -> Firer {
        match self {
            Caller::User(u) => Firer::Role(u.role),
            Caller::System(_) => Firer::System,
        }
    }

    pub fn actor(&self) -> Actor {
        match self {
            Caller::User(u) => u.actor(),
            Caller::System(name) => Actor::system(name),
        }
    }

    fn scope(&self) -> Scope {
        match self {
            Caller::User(u) => u.scope,
            Caller::System(_) => Scope::Operator,
        }
    }
}

/// What a caller asks to happen to an application.
#[derive(Debug, Clone)]
pub enum Command {
    Claim,
    Assign {
        partner_code: String,
    },
    DelegateIdentification {
        center_id: Option<i32>,
    },
    IdentificationResult {
        passed: bool,
        reason: Option<String>,
    },
    SendToProcessing(ProcessRequest),
    CertificateIssued,
    ProcessingDone,
    Receipt,
    Reject {
        reason: String,
    },
    AutoReject,
    /// The 10-working-day job: identification failed for not showing up.
    NoShow,
}

impl Command {
    pub fn event(&self) -> Event {
        match self {
            Command::Claim => Event::Claim,
            Command::Assign { .. } => Event::Assign,
            Command::DelegateIdentification { .. } => Event::DelegateIdentification,
            Command::IdentificationResult { passed: true, .. } => Event::IdentificationPassed,
            Command::IdentificationResult { passed: false, .. } | Command::NoShow => {
                Event::IdentificationFailed
            }
            Command::SendToProcessing(_) => Event::SendToProcessing,
            Command::CertificateIssued => Event::CertificateIssued,
            Command::ProcessingDone => Event::ProcessingDone,
            Command::Receipt => Event::Receipt,
            Command::Reject { .. } => Event::Reject,
            Command::AutoReject => Event::AutoReject,
        }
    }
}

/// The reason given when the identification center was not visited in time.
pub const NO_SHOW_REASON: &str = "Абонент не явился на идентификацию в течение 10 рабочих дней";

pub fn state_of(app: &application::Model) -> AppResult<State> {
    app.state
        .parse()
        .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))
}

fn search_key(short_name: &str, full_name: &str) -> String {
    format!("{} {}", short_name, full_name)
        .to_lowercase()
        .replace('ё', "е")
}

/// Another application for the same ИНН/КПП that is still being worked on.
async fn other_open_application<C: ConnectionTrait>(
    db: &C,
    inn: &str,
    kpp: Option<&str>,
    except: Option<i64>,
) -> Result<bool, DbErr> {
    let open: Vec<&str> = State::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.as_str())
        .collect();
    let mut q = application::Entity::find()
        .filter(application::Column::Inn.eq(inn))
        .filter(application::Column::State.is_in(open));
    q = match kpp {
        Some(k) => q.filter(application::Column::Kpp.eq(k)),
        None => q.filter(application::Column::Kpp.is_null()),
    };
    if let Some(id) = except {
        q = q.filter(application::Column::Id.ne(id));
    }
    Ok(q.select_only()
        .column(application::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
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
pub fn intake_response(app: &application::Model) -> serde_json::Value {
    json!({
        "id": app.id, "state": app.state, "version": app.version, "received_at": app.received_at,
        "checks": checks_of(app),
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
    let mut errors = intake::validate(&doc).err().unwrap_or_default();
    let region = crate::entities::region::Entity::find_by_id(doc.region_code.trim().to_owned())
        .one(&st.db)
        .await?;
    if region.is_none() {
        errors.push(crate::error::FieldError::new(
            "region_code",
            "неизвестный код региона",
        ));
    }
    let partner = match doc.partner_code.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(code) => {
            let p = partner::Entity::find()
                .filter(partner::Column::Code.eq(code.trim()))
                .one(&st.db)
                .await?;
            if p.is_none() {
                errors.push(crate::error::FieldError::new(
                    "partner_code",
                    "неизвестный код партнера",
                ));
            }
            p
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = st.clock.now();
    let kpp = doc
        .kpp
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    let checks = checks::run(
        &doc,
        checks::Context {
            other_open_application: other_open_application(
                &st.db,
                doc.inn.trim(),
                kpp.as_deref(),
                None,
            )
            .await?,
        },
    );
    let state = if partner.is_some() {
        State::Accepted
    } else {
        State::Submitted
    };
    let opt = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };

    let mut w = Write::begin(&st.db, user.actor(), now).await?;
    let app = application::ActiveModel {
        id: NotSet,
        version: Set(0),
        state: Set(state.as_str().to_owned()),
        partner_id: Set(partner.as_ref().map(|p| p.id)),
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
        its_login: Set(opt(&doc.its_login)),
        its_email: Set(opt(&doc.its_email)),
        authorized_representative_inn: Set(opt(&doc.authorized_representative_inn)),
        product_guid: Set(opt(&doc.product_guid)),
        owner: Set(serde_json::to_string(&doc.owner)?),
        directions: Set(serde_json::to_string(&doc.directions)?),
        checks: Set(serde_json::to_string(&checks)?),
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
    }
    .insert(&*w)
    .await?;
    history_row(&app, w.actor(), now, "submit", None, state, None)
        .insert(&*w)
        .await?;
    if let Some((key, hash)) = &idempotency {
        let stored = idempotency_key::ActiveModel {
            id: NotSet,
            user_id: Set(user.id),
            key: Set(key.clone()),
            request_hash: Set(hash.clone()),
            status: Set(201),
            response: Set(intake_response(&app).to_string()),
            created_at: Set(now),
        }
        .insert(&*w)
        .await;
        if let Err(e) = stored {
            // Another request with this key won the race: answer as it did.
            drop(w);
            if let Some(previous) = replay(st, user.id, key, hash).await? {
                return Ok(previous);
            }
            return Err(e.into());
        }
    }
    w.record(Change::new("application.submit", "application", app.id).after(json!({
        "state": state.as_str(), "inn": app.inn, "kpp": app.kpp, "partner": partner.as_ref().map(|p| &p.code),
    })));
    w.commit().await?;
    Ok(Submission::New(Box::new(app)))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn history_row(
    app: &application::Model,
    actor: &Actor,
    at: DateTime<Utc>,
    event: &str,
    from: Option<State>,
    to: State,
    reason: Option<String>,
) -> application_history::ActiveModel {
    application_history::ActiveModel {
        id: NotSet,
        application_id: Set(app.id),
        at: Set(at),
        actor_user_id: Set(actor.user_id),
        actor_login: Set(actor.login.clone()),
        event: Set(event.to_owned()),
        from_state: Set(from.map(|s| s.as_str().to_owned())),
        to_state: Set(to.as_str().to_owned()),
        reason: Set(reason),
    }
}

/// An application the caller may see.
///
/// # Errors
/// `NotFound` when it does not exist or belongs to someone else.
pub async fn find(st: &AppState, caller: Caller<'_>, id: i64) -> AppResult<application::Model> {
    application::Entity::find_by_id(id)
        .filter(caller.scope().applications())
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Like [`find`], with the two rules by which a caller reaches an application outside
/// its scope: a partner claims an unclaimed application of its sales center's region
/// (F3: not any region's, by guessing ids), and the 1C intake sends the receipt for an
/// application waiting for one (and only then: other states answer 404, so the intake
/// token learns nothing about other applications).
async fn find_for(
    st: &AppState,
    caller: Caller<'_>,
    id: i64,
    event: Event,
) -> AppResult<application::Model> {
    let scope = caller.scope();
    let mut cond = Condition::any().add(scope.applications());
    match event {
        Event::Claim => {
            cond = cond.add(
                Condition::all()
                    .add(scope.claimable())
                    .add(application::Column::State.eq(State::Submitted.as_str())),
            );
        }
        Event::Receipt if scope == Scope::Intake => {
            cond = cond.add(application::Column::State.eq(State::AwaitingReceipt.as_str()));
        }
        _ => {}
    }
    application::Entity::find_by_id(id)
        .filter(cond)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

fn required_reason(reason: Option<&str>) -> AppResult<String> {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) if r.chars().count() <= 2000 => Ok(r.to_owned()),
        Some(_) => Err(AppError::invalid("reason", "не длиннее 2000 знаков")),
        None => Err(AppError::invalid("reason", "укажите причину")),
    }
}

/// The identification centers of the application's region, nearest to its actual
/// address first, with the distance in km when the address could be placed.
///
/// # Errors
/// Database errors.
pub async fn ranked_centers(
    st: &AppState,
    app: &application::Model,
) -> AppResult<Vec<(identification_center::Model, Option<f64>)>> {
    let centers = identification_center::Entity::find()
        .filter(identification_center::Column::RegionCode.eq(&app.region_code))
        .order_by_asc(identification_center::Column::Code)
        .all(&st.db)
        .await?;
    let places: Vec<Place> = locality::Entity::find()
        .filter(locality::Column::RegionCode.eq(&app.region_code))
        .all(&st.db)
        .await?
        .into_iter()
        .map(|l| Place {
            name: l.name,
            latitude: l.latitude,
            longitude: l.longitude,
        })
        .collect();
    let from = geo::locate(&app.actual_address, &places)
        .or_else(|| geo::locate(&app.legal_address, &places))
        .map(|p| (p.latitude, p.longitude));
    let keyed: Vec<(usize, f64, f64)> = centers
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.latitude, c.longitude))
        .collect();
    Ok(geo::rank(from, &keyed)
        .into_iter()
        .map(|(i, d)| (centers[i].clone(), d))
        .collect())
}

/// The ITS check of §2.1 for an application, as of today.
///
/// # Errors
/// Database errors.
pub async fn its_check(st: &AppState, app: &application::Model) -> AppResult<ItsCheck> {
    let subs = match &app.its_login {
        Some(login) => {
            its_subscription::Entity::find()
                .filter(its_subscription::Column::PortalLogin.eq(login))
                .all(&st.db)
                .await?
        }
        None => Vec::new(),
    };
    Ok(processing::check(
        &subs,
        &app.inn,
        app.kpp.as_deref(),
        st.clock.today(),
    ))
}

/// Document kinds attached to an application.
///
/// # Errors
/// Database errors.
pub async fn attached_kinds<C: ConnectionTrait>(
    db: &C,
    app_id: i64,
) -> AppResult<Vec<DocumentKind>> {
    Ok(application_document::Entity::find()
        .filter(application_document::Column::ApplicationId.eq(app_id))
        .all(db)
        .await?
        .iter()
        .filter_map(|d| DocumentKind::parse(&d.kind))
        .collect())
}

/// Fires a command: checks role and scope, the transition table and the guards, then
/// saves with a version check (of concurrent commands exactly one wins; the others get
/// `Stale`), writes the history row, the journal entry and any e-mail in one transaction.
///
/// # Errors
/// `NotFound` (not the caller's), `Forbidden` (role), `Conflict` (state), `Stale`
/// (someone else changed it first, or `expected_version` is old), `Invalid` (guards).
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
    let from = state_of(&app)?;
    let to = state::apply(from, event)?;
    if expected_version.is_some_and(|v| v != app.version) {
        return Err(AppError::Stale {
            current_state: Some(from.as_str().to_owned()),
        });
    }
    let now = st.clock.now();

    // Guards and what the command changes besides the state.
    let mut sets: Vec<(application::Column, SimpleExpr)> = Vec::new();
    let mut reason = None;
    let mut mail = None;
    let mut detail = json!({});
    match &cmd {
        Command::Claim => {
            let Caller::User(u) = caller else {
                return Err(AppError::Forbidden);
            };
            let Scope::Partner { partner_id, .. } = u.scope else {
                return Err(AppError::Forbidden);
            };
            sets.push((application::Column::PartnerId, Expr::value(partner_id)));
            sets.push((application::Column::ConfirmedAt, Expr::value(Some(now))));
        }
        Command::Assign { partner_code } => {
            let Caller::User(u) = caller else {
                return Err(AppError::Forbidden);
            };
            let p = partner::Entity::find()
                .filter(partner::Column::Code.eq(partner_code.trim()))
                .filter(u.scope.partners())
                .one(&st.db)
                .await?
                .ok_or_else(|| {
                    AppError::invalid("partner_code", "выберите одного из своих партнеров")
                })?;
            sets.push((application::Column::PartnerId, Expr::value(p.id)));
            sets.push((application::Column::ConfirmedAt, Expr::value(Some(now))));
            detail = json!({"partner": p.code});
            reason = Some(format!("Назначено партнеру {}", p.name));
        }
        Command::DelegateIdentification { center_id } => {
            let ranked = ranked_centers(st, &app).await?;
            if ranked.is_empty() {
                return Err(AppError::invalid(
                    "center_id",
                    "в регионе абонента нет центров идентификации",
                ));
            }
            let center = match center_id {
                None => ranked[0].0.clone(),
                Some(cid) => ranked
                    .iter()
                    .find(|(c, _)| c.id == *cid)
                    .map(|(c, _)| c.clone())
                    .ok_or_else(|| {
                        AppError::invalid(
                            "center_id",
                            "выберите центр идентификации из региона абонента",
                        )
                    })?,
            };
            sets.push((
                application::Column::IdentificationCenterId,
                Expr::value(Some(center.id)),
            ));
            sets.push((application::Column::DelegatedAt, Expr::value(Some(now))));
            reason = Some(format!("{} — {}", center.office_name, center.address));
            detail = json!({"identification_center": center.code});
            mail = Some(templates::identification_invitation(&app, &center));
        }
        Command::IdentificationResult { passed, reason: r } => {
            if !passed {
                reason = Some(required_reason(r.as_deref())?);
            } else {
                reason = r
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned);
            }
        }
        Command::NoShow => reason = Some(NO_SHOW_REASON.to_owned()),
        Command::Reject { reason: r } => {
            let r = required_reason(Some(r))?;
            sets.push((
                application::Column::RejectReason,
                Expr::value(Some(r.clone())),
            ));
            reason = Some(r);
        }
        Command::AutoReject => {
            let r = templates::AUTO_REJECT_TEXT.to_owned();
            sets.push((
                application::Column::RejectReason,
                Expr::value(Some(r.clone())),
            ));
            reason = Some(r);
            mail = Some(templates::auto_rejected(&app));
        }
        Command::SendToProcessing(req) => {
            let mut errors = Vec::new();
            if !app.checks_passed {
                errors.push(crate::error::FieldError::new(
                    "checks",
                    "обязательные проверки реквизитов не пройдены",
                ));
            }
            let missing = documents::missing_required(
                &attached_kinds(&st.db, app.id).await?,
                app.certificate_requested,
            );
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|k| k.title_ru()).collect();
                errors.push(crate::error::FieldError::new(
                    "documents",
                    format!("не прикреплены: {}", names.join(", ")),
                ));
            }
            let check = its_check(st, &app).await?;
            if let Err((field, message)) = processing::validate(req, &check, st.clock.today()) {
                errors.push(crate::error::FieldError::new(field, message));
            }
            // §2.4: a special offer needs a permit number the sales center registered for
            // this client at least a day ago.
            if let Some(number) = req
                .flags
                .special_offer_code
                .as_deref()
                .filter(|n| !n.trim().is_empty())
            {
                // The permit must be one of the sales center the application's partner
                // belongs to (F15).
                let center = match app.partner_id {
                    Some(pid) => partner::Entity::find_by_id(pid)
                        .one(&st.db)
                        .await?
                        .map_or(0, |p| p.sales_center_id),
                    None => 0,
                };
                let permit = crate::tariffs::permits::find(st, Some(center), number).await?;
                if let Err(m) =
                    crate::tariffs::permits::check(permit.as_ref(), &app.inn, st.clock.now())
                {
                    errors.push(crate::error::FieldError::new("flags.special_offer_code", m));
                }
            }
            // §4: a paid subscriber whose licence was revoked reconnects only on a paid basis.
            let mut known = crate::entities::subscriber::Entity::find()
                .filter(crate::entities::subscriber::Column::Inn.eq(&app.inn))
                .filter(crate::entities::subscriber::Column::PaidBasisOnly.eq(true));
            known = match &app.kpp {
                Some(k) => known.filter(crate::entities::subscriber::Column::Kpp.eq(k)),
                None => known.filter(crate::entities::subscriber::Column::Kpp.is_null()),
            };
            let free = matches!(
                req.option,
                processing::ConnectionOption::ItsFree | processing::ConnectionOption::DeferredIts
            ) || req.flags.bonus;
            if free && known.one(&st.db).await?.is_some() {
                errors.push(crate::error::FieldError::new(
                    "option",
                    "платная лицензия абонента была отозвана: повторное подключение только на платной основе",
                ));
            }
            if !errors.is_empty() {
                return Err(AppError::Invalid(errors));
            }
            sets.push((
                application::Column::ProcessingOption,
                Expr::value(Some(req.option.as_str().to_owned())),
            ));
            sets.push((
                application::Column::ProcessingParams,
                Expr::value(Some(serde_json::to_string(req)?)),
            ));
            detail = json!({"option": req.option.as_str(), "its_outcome": check.outcome});
            reason = Some(req.option.title_ru().to_owned());
        }
        Command::CertificateIssued | Command::ProcessingDone | Command::Receipt => {}
    }

    let mut w = Write::begin(&st.db, caller.actor(), now).await?;
    let t = Transition {
        from,
        to,
        event,
        sets,
        reason,
        mail,
        detail,
    };
    let mut batch = Batch::default();
    if !transition_in(&mut w, &mut batch, &app, t).await? {
        drop(w);
        let current = application::Entity::find_by_id(app.id)
            .one(&st.db)
            .await?
            .map(|a| a.state);
        return Err(AppError::Stale {
            current_state: current,
        });
    }
    if to == State::Registered {
        // The processing pipeline's last step: the organisation becomes a subscriber.
        crate::subscribers::pipeline::register(&mut w, &app).await?;
    }
    batch.flush(&w).await?;
    w.commit().await?;
    application::Entity::find_by_id(app.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// One accepted transition, ready to be saved.
pub struct Transition {
    pub from: State,
    pub to: State,
    pub event: Event,
    /// Columns the event changes besides the state.
    pub sets: Vec<(application::Column, SimpleExpr)>,
    pub reason: Option<String>,
    pub mail: Option<notify::Message>,
    /// Extra facts for the journal.
    pub detail: serde_json::Value,
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
    t: Transition,
) -> AppResult<bool> {
    let now = w.at();
    // The version-checked update comes first in the transaction: on SQLite that takes the
    // write lock before anything is read, so concurrent writers queue instead of failing.
    let mut update = application::Entity::update_many()
        .col_expr(application::Column::State, Expr::value(t.to.as_str()))
        .col_expr(
            application::Column::Version,
            Expr::col(application::Column::Version).add(1),
        )
        .col_expr(application::Column::StateChangedAt, Expr::value(now));
    for (col, value) in t.sets {
        update = update.col_expr(col, value);
    }
    let won = update
        .filter(application::Column::Id.eq(app.id))
        .filter(application::Column::Version.eq(app.version))
        .exec(&**w)
        .await?
        .rows_affected
        == 1;
    if !won {
        return Ok(false);
    }
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
    Ok(true)
}

/// "Получить заявку" by ИНН/КПП (§2.6): the newest unclaimed application with these
/// requisites goes to the partner.
///
/// # Errors
/// `NotFound` when there is no such unclaimed application; then as [`fire`].
pub async fn claim_by_requisites(
    st: &AppState,
    user: &CurrentUser,
    inn: &str,
    kpp: Option<&str>,
) -> AppResult<application::Model> {
    let mut q = application::Entity::find()
        .filter(application::Column::Inn.eq(inn.trim()))
        .filter(application::Column::State.eq(State::Submitted.as_str()))
        .filter(application::Column::PartnerId.is_null());
    q = match kpp.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => q.filter(application::Column::Kpp.eq(k)),
        None => q,
    };
    let app = q
        .order_by_desc(application::Column::ReceivedAt)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    fire(st, Caller::User(user), app.id, Command::Claim, None).await
}

/// The history of an application, oldest first.
///
/// # Errors
/// Database errors.
pub async fn history(st: &AppState, app_id: i64) -> AppResult<Vec<application_history::Model>> {
    Ok(application_history::Entity::find()
        .filter(application_history::Column::ApplicationId.eq(app_id))
        .order_by_asc(application_history::Column::Id)
        .all(&st.db)
        .await?)
}

pub fn checks_of(app: &application::Model) -> Checks {
    serde_json::from_str(&app.checks).unwrap_or_default()
}
