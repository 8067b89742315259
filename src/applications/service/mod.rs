//! Use cases over applications, in three parts: [`intake`] (accepting applications from
//! the 1C program), [`transitions`] (every state change, with an optimistic version
//! check, history, journal and e-mail in one transaction) and [`queries`] (what pages
//! and the API read). Rules live in the pure modules (`state`, `checks`, `processing`,
//! `geo`, `documents`); these load, ask them and save.

mod edits;
mod intake;
mod queries;
mod transitions;

pub use edits::change_its_login;
pub use intake::{Submission, intake_response, submit};
pub use queries::{
    Preview, Stated, attached_kinds, checks_of, connected, history, its_check, its_check_for,
    next_actions, preview_processing, ranked_centers, stated,
};
pub use transitions::{
    Batch, Transition, claim_by_requisites, fire, issue, transition_in, transition_many_in,
};

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::processing::ProcessRequest;
use super::state::{Event, Firer, State};
use crate::AppState;
use crate::audit::Actor;
use crate::auth::{CurrentUser, Scope};
use crate::entities::{application, application_history};
use crate::error::{AppError, AppResult};

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
    /// The certification authority (or the operator for it) refuses, with a reason.
    CaRefused {
        reason: String,
    },
    /// The 10-working-day job: identification failed for not showing up.
    NoShow,
}

impl Command {
    /// What the certification authority's «processed» means for `app`: the owner's
    /// certificate issued, or — with none requested (or an additional configuration on
    /// the same certificate) — processing done.
    pub fn issued(app: &application::Model) -> Command {
        let request: Option<ProcessRequest> = app
            .processing_params
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok());
        let certificate = request.map_or(app.certificate_requested, |r| {
            r.issues_certificate(app.certificate_requested)
        });
        if certificate {
            Command::CertificateIssued
        } else {
            Command::ProcessingDone
        }
    }

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
            Command::CaRefused { .. } => Event::CaRefused,
        }
    }
}

/// The reason given when the identification center was not visited in time.
pub const NO_SHOW_REASON: &str = "Абонент не явился на идентификацию в течение 10 рабочих дней";

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
    history_row_of(app.id, actor, at, event, from, to, reason)
}

/// [`history_row`] of the application `application_id`.
pub(crate) fn history_row_of(
    application_id: i64,
    actor: &Actor,
    at: DateTime<Utc>,
    event: &str,
    from: Option<State>,
    to: State,
    reason: Option<String>,
) -> application_history::ActiveModel {
    application_history::ActiveModel {
        id: NotSet,
        application_id: Set(application_id),
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
