//! Licence actions (§8): block, resume, revoke one licence; block, unblock a subscriber;
//! «Отключить ИТС»; and the registration of licences born `pending`. Every change goes
//! through the pure machine (`tariffs::licence::decide` / `apply` decide the target),
//! then is saved with a version check, a history row and the journal entry.

use chrono::NaiveDate;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::service::find;
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{licence, licence_history, subscriber};
use crate::error::{AppError, AppResult};
use crate::tariffs::licence::{self as rules, LicenceEvent, LicenceFacts, LicenceState};

/// Why an action on a subscriber's licences as a whole is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// «Отключить ИТС» with no current ITS licence.
    NoCurrentItsLicence,
    /// «Заблокировать абонента» with no registered licence.
    NothingRegistered,
    /// «Разблокировать абонента» with nothing blocked.
    NothingBlocked,
    /// «Продлить ИТС» more than [`ITS_EXTEND_DAYS`] days before the ITS licence ends.
    ItsNotEndingYet,
    /// «Продлить ИТС» without a current ITS PROF contract on the portal for the login.
    NoItsContract,
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::NoCurrentItsLicence => AppError::refused(
                "no_current_its_licence",
                "У абонента нет действующей лицензии ИТС.",
            ),
            Refusal::NothingRegistered => AppError::refused(
                "nothing_registered",
                "У абонента нет зарегистрированных лицензий для блокировки.",
            ),
            Refusal::NothingBlocked => AppError::refused(
                "nothing_blocked",
                "У абонента нет заблокированных лицензий.",
            ),
            Refusal::ItsNotEndingYet => AppError::refused(
                "its_not_ending_yet",
                "ИТС продлевается не раньше чем за 30 дней до окончания лицензии ИТС.",
            ),
            Refusal::NoItsContract => AppError::refused(
                "no_its_contract",
                "На портале ИТС нет действующего договора ИТС ПРОФ для логина продукта на дату продления: продлите договор ИТС и повторите.",
            ),
        }
    }
}

/// The facts the machine decides a person's action on `l` by.
///
/// # Errors
/// As [`state_of`].
pub fn facts(l: &licence::Model, role: Role) -> AppResult<LicenceFacts> {
    Ok(LicenceFacts {
        state: l.state,
        role,
        revocable: l.revocable,
        approved_in_reconciliation: l.approved_in_reconciliation,
    })
}

/// Blocks, resumes or revokes a licence, as the card's buttons and the API ask.
///
/// # Errors
/// `NotFound` (another partner's), `Forbidden` (role), `Refused` (a rule: approved in a
/// reconciliation, not revocable), `Conflict` (state), `Stale` (lost race).
#[tracing::instrument(skip_all, fields(licence = licence_id, event = %event))]
pub async fn licence_action(
    st: &AppState,
    user: &CurrentUser,
    licence_id: i64,
    event: LicenceEvent,
    expected_version: Option<i32>,
    reason: Option<String>,
) -> AppResult<licence::Model> {
    let l = licence::Entity::find_by_id(licence_id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    // Another partner's licence is not found: the scope decides through its subscriber.
    find(st, user, l.subscriber_id).await?;
    rules::decide(&facts(&l, user.role)?, event)?;
    if expected_version.is_some_and(|v| v != l.version) {
        return Err(AppError::Stale {
            current_state: Some(l.state.as_str().to_owned()),
        });
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    if !licence_transition_in(&mut w, &l, event, reason).await? {
        drop(w);
        return Err(stale(st, l.id).await?);
    }
    w.commit().await?;
    licence::Entity::find_by_id(l.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// [`licence_action`] inside the caller's transaction (the reconciliation revokes a line
/// and moves its own version in one commit).
///
/// # Errors
/// As [`licence_action`].
pub async fn licence_action_in(
    w: &mut Write,
    st: &AppState,
    user: &CurrentUser,
    licence_id: i64,
    event: LicenceEvent,
    reason: Option<String>,
) -> AppResult<()> {
    let l = licence::Entity::find_by_id(licence_id)
        .one(&**w)
        .await?
        .ok_or(AppError::NotFound)?;
    find(st, user, l.subscriber_id).await?;
    rules::decide(&facts(&l, user.role)?, event)?;
    if !licence_transition_in(w, &l, event, reason).await? {
        return Err(AppError::Stale {
            current_state: Some(l.state.as_str().to_owned()),
        });
    }
    Ok(())
}

async fn stale(st: &AppState, id: i64) -> AppResult<AppError> {
    let current = licence::Entity::find_by_id(id)
        .one(&st.db)
        .await?
        .map(|x| x.state.as_str().to_owned());
    Ok(AppError::Stale {
        current_state: current,
    })
}

/// A licence history row.
pub fn history_row(
    w: &Write,
    licence_id: i64,
    event: &str,
    from: Option<LicenceState>,
    to: LicenceState,
    reason: Option<String>,
) -> licence_history::ActiveModel {
    licence_history::ActiveModel {
        id: NotSet,
        licence_id: Set(licence_id),
        at: Set(w.at()),
        actor_login: Set(w.actor().login.clone()),
        event: Set(event.to_owned()),
        from_state: Set(from.map(|s| s.as_str().to_owned())),
        to_state: Set(to.as_str().to_owned()),
        reason: Set(reason.filter(|r| !r.trim().is_empty())),
    }
}

/// Saves one licence transition inside `w`; the machine computes the target from the
/// stored state and `event`. With the version check, the history row and the journal
/// entry; on revocation the subscriber's connection flags (§4: revoking the only live
/// licence disconnects — `licence::disconnects`; a paid one reconnects only on a paid
/// basis). `false` when someone else changed the licence first.
///
/// # Errors
/// `Conflict` when the state does not allow `event`; database errors.
pub async fn licence_transition_in(
    w: &mut Write,
    l: &licence::Model,
    event: LicenceEvent,
    reason: Option<String>,
) -> AppResult<bool> {
    let from = l.state;
    let to = rules::apply(from, event)?;
    let won = crate::db::update_versioned(
        &**w,
        licence::Entity::update_many().col_expr(licence::Column::State, Expr::value(to.as_str())),
        (licence::Column::Id, l.id),
        (licence::Column::Version, l.version),
    )
    .await?;
    if !won {
        return Ok(false);
    }
    history_row(w, l.id, event.as_str(), Some(from), to, reason)
        .insert(&**w)
        .await?;
    let mut detail = json!({"state": to.as_str(), "version": l.version + 1});
    if to == LicenceState::Revoked {
        detail["subscriber_disconnected"] = json!(after_revocation(w, l).await?);
    }
    w.record(
        Change::new(&format!("licence.{}", event.as_str()), "licence", l.id)
            .before(json!({"state": from.as_str(), "version": l.version}))
            .after(detail),
    );
    Ok(true)
}

/// The subscriber's flags after `l` was revoked; whether it is disconnected now.
async fn after_revocation(w: &Write, l: &licence::Model) -> AppResult<bool> {
    let sub = subscriber::Entity::find_by_id(l.subscriber_id)
        .one(&**w)
        .await?
        .ok_or(AppError::NotFound)?;
    let all = licences_in(w, sub.id, &LicenceState::ALL).await?;
    let states: Vec<LicenceState> = all
        .iter()
        .map(|x| {
            if x.id == l.id {
                Ok(LicenceState::Revoked)
            } else {
                Ok(x.state)
            }
        })
        .collect::<AppResult<_>>()?;
    let position = all.iter().position(|x| x.id == l.id).unwrap_or(0);
    let disconnected = rules::disconnects(&states, position);
    let paid = l.cost > crate::money::Money::ZERO;
    subscriber::Entity::update_many()
        .col_expr(subscriber::Column::Connected, Expr::value(!disconnected))
        .col_expr(
            subscriber::Column::PaidBasisOnly,
            Expr::value(sub.paid_basis_only || paid),
        )
        .filter(subscriber::Column::Id.eq(sub.id))
        .exec(&**w)
        .await?;
    Ok(disconnected)
}

/// Licences of a subscriber in the given states, oldest first.
///
/// # Errors
/// Database errors.
pub async fn licences_in(
    w: &Write,
    subscriber_id: i64,
    states: &[LicenceState],
) -> AppResult<Vec<licence::Model>> {
    Ok(licence::Entity::find()
        .filter(licence::Column::SubscriberId.eq(subscriber_id))
        .filter(licence::Column::State.is_in(states.iter().map(|s| s.as_str())))
        .order_by_asc(licence::Column::Id)
        .all(&**w)
        .await?)
}

/// Fires `event` on every licence in `licences` inside `w`; how many changed.
async fn fire_all(
    w: &mut Write,
    licences: &[licence::Model],
    event: LicenceEvent,
    reason: Option<String>,
) -> AppResult<u64> {
    let mut n = 0;
    for l in licences {
        if licence_transition_in(w, l, event, reason.clone()).await? {
            n += 1;
        }
    }
    Ok(n)
}

/// «Отключить ИТС» (§2.1.3): revokes the subscriber's current ITS licences and frees the
/// ITS subscription activated for it, so another connection can use it.
///
/// # Errors
/// `NotFound` (another partner's), `Forbidden` (role), `Refused` when there is no
/// current ITS licence.
pub async fn detach_its(st: &AppState, user: &CurrentUser, subscriber_id: i64) -> AppResult<u64> {
    use crate::entities::its_subscription as its;
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let sub = find(st, user, subscriber_id).await?;
    let today = st.clock.today();
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let live = licences_in(
        &w,
        sub.id,
        &[
            LicenceState::Pending,
            LicenceState::Registered,
            LicenceState::Blocked,
        ],
    )
    .await?;
    let current: Vec<licence::Model> = live
        .into_iter()
        .filter(|l| l.tariff_code == "its" && l.starts_on <= today && today <= l.ends_on)
        .collect();
    if current.is_empty() {
        return Err(Refusal::NoCurrentItsLicence.into());
    }
    let revoked = fire_all(
        &mut w,
        &current,
        LicenceEvent::Revoke,
        Some("Отключить ИТС".to_owned()),
    )
    .await?;
    let freed = its::Entity::update_many()
        .col_expr(
            its::Column::ActivatedForInn,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            its::Column::ActivatedForKpp,
            Expr::value(Option::<String>::None),
        )
        .filter(its::Column::ActivatedForInn.eq(&sub.inn))
        .filter(match &sub.kpp {
            Some(k) => its::Column::ActivatedForKpp.eq(k),
            None => its::Column::ActivatedForKpp.is_null(),
        })
        .exec(&*w)
        .await?
        .rows_affected;
    w.record(
        Change::new("subscriber.detach_its", "subscriber", sub.id)
            .after(json!({"revoked": revoked, "subscriptions_freed": freed})),
    );
    w.commit().await?;
    Ok(revoked)
}

/// How many days before its end an ITS licence may be extended.
pub const ITS_EXTEND_DAYS: i64 = 30;

/// «Продлить ИТС» (§11 Управление): the subscriber's latest ITS licence is followed by the
/// next one, from the day after it ends for the catalog term of `its`, once it ends within
/// [`ITS_EXTEND_DAYS`] days (or has ended) and the product's ITS login holds an ITS PROF
/// contract on the portal covering the new start. Free, like every ITS licence; it goes to
/// the month's reconciliation as a zero line.
///
/// # Errors
/// `Refused` naming `no_current_its_licence`, `its_not_ending_yet` or `no_its_contract`.
pub async fn extend_its(
    st: &AppState,
    user: &CurrentUser,
    subscriber_id: i64,
) -> AppResult<licence::Model> {
    use crate::entities::{its_subscription as its, product_account};
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let sub = find(st, user, subscriber_id).await?;
    let today = st.clock.today();
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let live = licences_in(
        &w,
        sub.id,
        &[LicenceState::Registered, LicenceState::Blocked],
    )
    .await?;
    let latest = live
        .into_iter()
        .filter(|l| l.tariff_code == "its")
        .max_by_key(|l| (l.ends_on, l.id))
        .ok_or(Refusal::NoCurrentItsLicence)?;
    if latest.ends_on - chrono::Duration::days(ITS_EXTEND_DAYS) > today {
        return Err(Refusal::ItsNotEndingYet.into());
    }
    let starts = (latest.ends_on + chrono::Duration::days(1)).max(today);
    let login = match latest.product_account_id {
        Some(p) => product_account::Entity::find_by_id(p)
            .one(&*w)
            .await?
            .and_then(|p| p.its_login),
        None => None,
    }
    .ok_or(Refusal::NoItsContract)?;
    its::Entity::find()
        .filter(its::Column::PortalLogin.eq(&login))
        .filter(its::Column::Level.eq("PROF"))
        .filter(its::Column::StartsOn.lte(starts))
        .filter(its::Column::EndsOn.gte(starts))
        .one(&*w)
        .await?
        .ok_or(Refusal::NoItsContract)?;
    let term = crate::tariffs::catalog::term_of(&*w, "its").await?;
    let ends = starts
        .checked_add_months(chrono::Months::new(term))
        .unwrap_or(starts);
    let next = licence::ActiveModel {
        id: NotSet,
        version: Set(0),
        subscriber_id: Set(sub.id),
        product_account_id: Set(latest.product_account_id),
        tariff_code: Set(latest.tariff_code.clone()),
        tariff_name: Set(latest.tariff_name.clone()),
        kind: Set(latest.kind.clone()),
        zone: Set(latest.zone),
        is_primary: Set(false),
        state: Set(LicenceState::Pending),
        starts_on: Set(starts),
        ends_on: Set(ends),
        cost: Set(crate::money::Money::ZERO),
        sales_center_share: Set(crate::money::Money::ZERO),
        revocable: Set(latest.revocable),
        approved_in_reconciliation: Set(false),
        connection_option: Set(latest.connection_option.clone()),
        application_id: Set(None),
        created_at: Set(w.at()),
        registered_on: Set(Some(today)),
        special_offer_number: Set(None),
    }
    .insert(&*w)
    .await?;
    licence_transition_in(
        &mut w,
        &next,
        LicenceEvent::Register,
        Some("Продлить ИТС".to_owned()),
    )
    .await?;
    // ЛК Базовый renews with the main licence it follows.
    if let Some(l) = super::lk::renew_in(
        &mut w,
        &sub,
        &super::lk::Main::of(&next),
        starts,
        latest.ends_on,
        None,
    )
    .await?
    {
        super::lk::registered(&mut w, &l, today).await?;
    }
    w.record(
        Change::new("subscriber.extend_its", "subscriber", sub.id).after(json!({
            "licence": next.id, "starts_on": starts, "ends_on": ends, "its_login": login,
        })),
    );
    w.commit().await?;
    licence::Entity::find_by_id(next.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Blocks every registered licence of a subscriber (§8.1). Licences that start in the
/// future must be revoked first.
///
/// # Errors
/// `NotFound`, `Forbidden`, `Refused` while future licences are live or when nothing is
/// registered.
pub async fn block_subscriber(
    st: &AppState,
    user: &CurrentUser,
    subscriber_id: i64,
    reason: Option<String>,
) -> AppResult<u64> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let sub = find(st, user, subscriber_id).await?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let n = block_all_in(&mut w, &sub, st.clock.today(), reason).await?;
    w.commit().await?;
    Ok(n)
}

/// «Разблокировать абонента»: resumes every blocked licence of the subscriber (the way
/// back from [`block_subscriber`] and from the deferred-ITS job's blocking).
///
/// # Errors
/// `Refused` when nothing is blocked; scope and role errors.
pub async fn resume_subscriber(
    st: &AppState,
    user: &CurrentUser,
    subscriber_id: i64,
) -> AppResult<u64> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let sub = find(st, user, subscriber_id).await?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let blocked = licences_in(&w, sub.id, &[LicenceState::Blocked]).await?;
    if blocked.is_empty() {
        return Err(Refusal::NothingBlocked.into());
    }
    let n = fire_all(&mut w, &blocked, LicenceEvent::Resume, None).await?;
    w.commit().await?;
    Ok(n)
}

/// Blocks the registered licences of `sub` inside `w` (shared with the deferred-ITS job).
///
/// # Errors
/// As [`block_subscriber`].
pub async fn block_all_in(
    w: &mut Write,
    sub: &subscriber::Model,
    today: NaiveDate,
    reason: Option<String>,
) -> AppResult<u64> {
    let all = licences_in(w, sub.id, &LicenceState::ALL).await?;
    let terms: Vec<rules::LicenceTerm> = all
        .iter()
        .map(|l| {
            Ok(rules::LicenceTerm {
                state: l.state,
                starts_on: l.starts_on,
            })
        })
        .collect::<AppResult<_>>()?;
    rules::may_block_subscriber(&terms, today)?;
    let registered: Vec<licence::Model> = all
        .into_iter()
        .filter(|l| l.state == LicenceState::Registered)
        .collect();
    if registered.is_empty() {
        return Err(Refusal::NothingRegistered.into());
    }
    fire_all(w, &registered, LicenceEvent::Block, reason).await
}
