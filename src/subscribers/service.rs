//! Use cases over subscribers and licences: scoped reads, search, and the licence actions
//! (block, resume, revoke) saved with a version check, history and the journal.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use serde_json::json;

use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{licence, licence_history, product_account, subscriber};
use crate::error::{AppError, AppResult};
use crate::tariffs::licence::{self as rules, LicenceEvent, LicenceRefusal, LicenceState};

/// A subscriber the user may see.
///
/// # Errors
/// `NotFound` when it does not exist or belongs to another partner.
pub async fn find(st: &AppState, user: &CurrentUser, id: i64) -> AppResult<subscriber::Model> {
    subscriber::Entity::find_by_id(id)
        .filter(user.scope.subscribers())
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Search by ИНН (prefix), name, product GUID or ITS login; newest first.
///
/// # Errors
/// Database errors.
pub async fn search(
    st: &AppState,
    user: &CurrentUser,
    q: Option<&str>,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<subscriber::Model>, u64)> {
    let mut s = subscriber::Entity::find().filter(user.scope.subscribers());
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let by_product = product_account::Entity::find()
            .select_only()
            .column(product_account::Column::SubscriberId)
            .filter(
                Condition::any()
                    .add(product_account::Column::Guid.eq(q))
                    .add(product_account::Column::ItsLogin.eq(q)),
            )
            .into_query();
        // An ITS registration number finds the subscriber the subscription is activated for.
        let by_its = crate::entities::its_subscription::Entity::find()
            .select_only()
            .column(crate::entities::its_subscription::Column::ActivatedForInn)
            .filter(crate::entities::its_subscription::Column::RegistrationNumber.eq(q))
            .into_query();
        let mut c = Condition::any()
            .add(subscriber::Column::Id.in_subquery(by_product))
            .add(subscriber::Column::Inn.in_subquery(by_its));
        if q.chars().all(|c| c.is_ascii_digit()) {
            c = c
                .add(subscriber::Column::Inn.starts_with(q))
                .add(subscriber::Column::PfrNumber.eq(q));
        } else {
            c = c
                .add(subscriber::Column::SearchKey.contains(q.to_lowercase().replace('ё', "е")))
                .add(subscriber::Column::PfrNumber.eq(q));
        }
        s = s.filter(c);
    }
    let total = s.clone().count(&st.db).await?;
    let rows = s
        .order_by_desc(subscriber::Column::Id)
        .offset((page.clamp(1, crate::params::MAX_PAGE) - 1) * per_page)
        .limit(per_page)
        .all(&st.db)
        .await?;
    Ok((rows, total))
}

/// What the card shows besides the subscriber itself.
pub struct Card {
    pub products: Vec<product_account::Model>,
    pub licences: Vec<licence::Model>,
    pub persons: Vec<crate::entities::contact_person::Model>,
    pub directions: Vec<crate::entities::direction::Model>,
    pub product_contacts: Vec<crate::entities::product_contact::Model>,
}

/// The card's parts, loaded once for the page and the API alike.
///
/// # Errors
/// Database errors.
pub async fn card(st: &AppState, sub: &subscriber::Model) -> AppResult<Card> {
    use crate::entities::{contact_person, direction, product_contact};
    let products = product_account::Entity::find()
        .filter(product_account::Column::SubscriberId.eq(sub.id))
        .order_by_asc(product_account::Column::Id)
        .all(&st.db)
        .await?;
    let licences = licence::Entity::find()
        .filter(licence::Column::SubscriberId.eq(sub.id))
        .order_by_asc(licence::Column::Id)
        .all(&st.db)
        .await?;
    let persons = contact_person::Entity::find()
        .filter(contact_person::Column::SubscriberId.eq(sub.id))
        .order_by_asc(contact_person::Column::Id)
        .all(&st.db)
        .await?;
    let directions = direction::Entity::find()
        .filter(direction::Column::SubscriberId.eq(sub.id))
        .order_by_asc(direction::Column::Id)
        .all(&st.db)
        .await?;
    let product_contacts = product_contact::Entity::find()
        .filter(product_contact::Column::ProductAccountId.is_in(products.iter().map(|p| p.id)))
        .order_by_asc(product_contact::Column::Id)
        .all(&st.db)
        .await?;
    Ok(Card {
        products,
        licences,
        persons,
        directions,
        product_contacts,
    })
}

/// Licence history of a subscriber, newest first.
///
/// # Errors
/// Database errors.
pub async fn history(st: &AppState, licence_ids: &[i64]) -> AppResult<Vec<licence_history::Model>> {
    Ok(licence_history::Entity::find()
        .filter(licence_history::Column::LicenceId.is_in(licence_ids.to_vec()))
        .order_by_desc(licence_history::Column::Id)
        .all(&st.db)
        .await?)
}

pub fn state_of(l: &licence::Model) -> AppResult<LicenceState> {
    LicenceState::ALL
        .into_iter()
        .find(|s| s.as_str() == l.state)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown licence state {}", l.state)))
}

/// Blocks, resumes or revokes a licence.
///
/// # Errors
/// `NotFound` (another partner's), `Forbidden` (role, or revoking after approval as a
/// partner), `Invalid` (not revocable), `Conflict` (state), `Stale` (lost race).
pub async fn act(
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
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    if event == LicenceEvent::Register {
        return Err(AppError::Forbidden);
    }
    let from = state_of(&l)?;
    if event == LicenceEvent::Revoke {
        match rules::may_revoke(user.role, l.approved_in_reconciliation, l.revocable) {
            Ok(()) => {}
            Err(LicenceRefusal::NotRevocable) => {
                return Err(AppError::invalid(
                    "licence",
                    LicenceRefusal::NotRevocable.to_string(),
                ));
            }
            Err(_) => return Err(AppError::Forbidden),
        }
    }
    let to = rules::apply(from, event).map_err(|e| AppError::Conflict {
        current_state: e.from.as_str().to_owned(),
        event: e.event.as_str().to_owned(),
    })?;
    if expected_version.is_some_and(|v| v != l.version) {
        return Err(AppError::Stale {
            current_state: Some(from.as_str().to_owned()),
        });
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    if !licence_transition_in(&mut w, &l, from, to, event, reason).await? {
        drop(w);
        let current = licence::Entity::find_by_id(l.id)
            .one(&st.db)
            .await?
            .map(|x| x.state);
        return Err(AppError::Stale {
            current_state: current,
        });
    }
    w.commit().await?;
    licence::Entity::find_by_id(l.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Saves one licence transition inside `w`: the version-checked update, the history row,
/// the journal entry, and on revocation the subscriber's connection flags (§4: revoking
/// the only live licence disconnects; a paid one reconnects only on a paid basis).
/// `false` when someone else changed the licence first.
///
/// # Errors
/// Database errors.
pub async fn licence_transition_in(
    w: &mut Write,
    l: &licence::Model,
    from: LicenceState,
    to: LicenceState,
    event: LicenceEvent,
    reason: Option<String>,
) -> AppResult<bool> {
    let now = w.at();
    let won = licence::Entity::update_many()
        .col_expr(licence::Column::State, Expr::value(to.as_str()))
        .col_expr(
            licence::Column::Version,
            Expr::col(licence::Column::Version).add(1),
        )
        .filter(licence::Column::Id.eq(l.id))
        .filter(licence::Column::Version.eq(l.version))
        .exec(&**w)
        .await?
        .rows_affected
        == 1;
    if !won {
        return Ok(false);
    }
    licence_history::ActiveModel {
        id: NotSet,
        licence_id: Set(l.id),
        at: Set(now),
        actor_login: Set(w.actor().login.clone()),
        event: Set(event.as_str().to_owned()),
        from_state: Set(Some(from.as_str().to_owned())),
        to_state: Set(to.as_str().to_owned()),
        reason: Set(reason.filter(|r| !r.trim().is_empty())),
    }
    .insert(&**w)
    .await?;
    let mut detail = json!({"state": to.as_str(), "version": l.version + 1});
    if to == LicenceState::Revoked {
        let sub = subscriber::Entity::find_by_id(l.subscriber_id)
            .one(&**w)
            .await?
            .ok_or(AppError::NotFound)?;
        let others_live = licence::Entity::find()
            .filter(licence::Column::SubscriberId.eq(sub.id))
            .filter(licence::Column::Id.ne(l.id))
            .filter(licence::Column::State.ne(LicenceState::Revoked.as_str()))
            .count(&**w)
            .await?;
        let disconnected = others_live == 0;
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
        detail["subscriber_disconnected"] = json!(disconnected);
    }
    w.record(
        Change::new(&format!("licence.{}", event.as_str()), "licence", l.id)
            .before(json!({"state": from.as_str(), "version": l.version}))
            .after(detail),
    );
    Ok(true)
}

/// Licences of a subscriber in the given states.
async fn licences_in(
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

/// «Отключить ИТС» (§2.1.3): revokes the subscriber's current ITS licences and frees the
/// ITS subscription activated for it, so another connection can use it.
///
/// # Errors
/// `NotFound` (another partner's), `Forbidden` (role), `Conflict` when there is no
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
    let current: Vec<&licence::Model> = live
        .iter()
        .filter(|l| l.tariff_code == "its" && l.starts_on <= today && today <= l.ends_on)
        .collect();
    if current.is_empty() {
        return Err(AppError::Conflict {
            current_state: "no_current_its_licence".to_owned(),
            event: "detach_its".to_owned(),
        });
    }
    let mut revoked = 0;
    for l in current {
        let from = state_of(l)?;
        if licence_transition_in(
            &mut w,
            l,
            from,
            LicenceState::Revoked,
            LicenceEvent::Revoke,
            Some("Отключить ИТС".to_owned()),
        )
        .await?
        {
            revoked += 1;
        }
    }
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

/// Blocks every registered licence of a subscriber (§8.1). Licences that start in the
/// future must be revoked first.
///
/// # Errors
/// `NotFound`, `Forbidden`, `Invalid` naming `licences` while future licences are live,
/// `Conflict` when nothing is registered.
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
/// `Conflict` when nothing is blocked; scope and role errors.
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
        return Err(AppError::Conflict {
            current_state: "nothing_blocked".to_owned(),
            event: "resume".to_owned(),
        });
    }
    let mut n = 0;
    for l in &blocked {
        if licence_transition_in(
            &mut w,
            l,
            LicenceState::Blocked,
            LicenceState::Registered,
            LicenceEvent::Resume,
            None,
        )
        .await?
        {
            n += 1;
        }
    }
    w.commit().await?;
    Ok(n)
}

/// What the card and the registry say of a subscriber: connected, blocked (it has
/// blocked licences and no registered one), or disconnected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Connected,
    Blocked,
    Disconnected,
}

impl Status {
    pub fn title_ru(self) -> &'static str {
        match self {
            Status::Connected => "Подключен",
            Status::Blocked => "Заблокирован",
            Status::Disconnected => "Отключен",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Connected => "connected",
            Status::Blocked => "blocked",
            Status::Disconnected => "disconnected",
        }
    }

    /// From the subscriber's flag and its licences' states.
    pub fn of(connected: bool, licence_states: &[&str]) -> Status {
        let has = |s: LicenceState| licence_states.contains(&s.as_str());
        if !connected {
            Status::Disconnected
        } else if has(LicenceState::Blocked) && !has(LicenceState::Registered) {
            Status::Blocked
        } else {
            Status::Connected
        }
    }
}

/// The statuses of several subscribers at once (one query), for the registry.
///
/// # Errors
/// Database errors.
pub async fn statuses(
    st: &AppState,
    subs: &[subscriber::Model],
) -> AppResult<std::collections::HashMap<i64, Status>> {
    let ids: Vec<i64> = subs.iter().map(|s| s.id).collect();
    let rows: Vec<(i64, String)> = licence::Entity::find()
        .select_only()
        .column(licence::Column::SubscriberId)
        .column(licence::Column::State)
        .filter(licence::Column::SubscriberId.is_in(ids))
        .into_tuple()
        .all(&st.db)
        .await?;
    Ok(subs
        .iter()
        .map(|s| {
            let states: Vec<&str> = rows
                .iter()
                .filter(|(id, _)| *id == s.id)
                .map(|(_, st)| st.as_str())
                .collect();
            (s.id, Status::of(s.connected, &states))
        })
        .collect())
}

/// Blocks the registered licences of `sub` inside `w` (shared with the deferred-ITS job).
///
/// # Errors
/// As [`block_subscriber`].
pub async fn block_all_in(
    w: &mut Write,
    sub: &subscriber::Model,
    today: chrono::NaiveDate,
    reason: Option<String>,
) -> AppResult<u64> {
    let all = licences_in(w, sub.id, &LicenceState::ALL).await?;
    let terms: Vec<rules::LicenceTerm> = all
        .iter()
        .filter_map(|l| {
            state_of(l).ok().map(|state| rules::LicenceTerm {
                state,
                starts_on: l.starts_on,
            })
        })
        .collect();
    rules::may_block_subscriber(&terms, today)
        .map_err(|e| AppError::invalid("licences", e.to_string()))?;
    let registered: Vec<&licence::Model> = all
        .iter()
        .filter(|l| l.state == LicenceState::Registered.as_str())
        .collect();
    if registered.is_empty() {
        return Err(AppError::Conflict {
            current_state: "nothing_registered".to_owned(),
            event: "block".to_owned(),
        });
    }
    let mut n = 0;
    for l in registered {
        if licence_transition_in(
            w,
            l,
            LicenceState::Registered,
            LicenceState::Blocked,
            LicenceEvent::Block,
            reason.clone(),
        )
        .await?
        {
            n += 1;
        }
    }
    Ok(n)
}
