//! Use cases over subscribers: scoped reads, search, the card's parts, and what other
//! contexts ask of subscribers. Licence actions live in `licences`.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::entities::{licence, licence_history, product_account, subscriber};
use crate::error::{AppError, AppResult};
use crate::tariffs::licence::LicenceState;

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
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    if let Some(q) = q {
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
                .add(crate::db::contains(
                    subscriber::Column::SearchKey,
                    &q.to_lowercase().replace('ё', "е"),
                ))
                .add(subscriber::Column::PfrNumber.eq(q));
        }
        s = s.filter(c);
    }
    let total = match q {
        Some(_) => s.clone().count(&st.db).await?,
        None => kept_total(&st.db, user).await?,
    };
    let rows = s
        .order_by_desc(subscriber::Column::Id)
        .offset((page.clamp(1, crate::params::MAX_PAGE) - 1) * per_page)
        .limit(per_page)
        .all(&st.db)
        .await?;
    Ok((rows, total))
}

/// The scope's number of subscribers from the counts the database keeps per partner
/// (`subscriber_counts`): a sum over the scope's partners, not a count of its rows
/// (scopes without subscribers sum nothing).
async fn kept_total<C: ConnectionTrait>(db: &C, user: &CurrentUser) -> AppResult<u64> {
    use crate::entities::subscriber_count as count;
    use sea_orm::sea_query::Expr;
    let n: Option<i64> = count::Entity::find()
        .select_only()
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back, on both engines.
        .column_as(Expr::cust("CAST(COALESCE(SUM(n), 0) AS BIGINT)"), "n")
        .filter(user.scope.partner_column(count::Column::PartnerId))
        .into_tuple()
        .one(db)
        .await?;
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
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

/// §4: a paid subscriber whose licence was revoked connects again only on a paid basis.
/// Asked by processing, so applications never read the subscribers' table themselves.
///
/// # Errors
/// Database errors.
pub async fn paid_basis_only<C: ConnectionTrait>(
    db: &C,
    inn: &str,
    kpp: Option<&str>,
) -> AppResult<bool> {
    Ok(subscriber::Entity::find()
        .filter(by_requisites(inn, kpp))
        .filter(subscriber::Column::PaidBasisOnly.eq(true))
        .count(db)
        .await?
        > 0)
}

/// The subscriber with these requisites: the ИНН, and the КПП or its absence (a sole
/// trader has none).
pub fn by_requisites(inn: &str, kpp: Option<&str>) -> Condition {
    let c = Condition::all().add(subscriber::Column::Inn.eq(inn));
    match kpp {
        Some(k) => c.add(subscriber::Column::Kpp.eq(k)),
        None => c.add(subscriber::Column::Kpp.is_null()),
    }
}

/// What the card and the registry say of a subscriber: connected, blocked (it has
/// blocked licences and no registered one), or disconnected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Sent to processing for the first time: licences «В ожидании», not connected yet.
    Connecting,
    Connected,
    Blocked,
    Disconnected,
}

impl Status {
    pub fn title_ru(self) -> &'static str {
        match self {
            Status::Connecting => "Подключается",
            Status::Connected => "Подключен",
            Status::Blocked => "Заблокирован",
            Status::Disconnected => "Отключен",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Connected => "connected",
            Status::Blocked => "blocked",
            Status::Disconnected => "disconnected",
        }
    }

    /// From the subscriber's flag and its licences' states.
    pub fn of(connected: bool, licence_states: &[&str]) -> Status {
        let has = |s: LicenceState| licence_states.contains(&s.as_str());
        if !connected && has(LicenceState::Pending) {
            Status::Connecting
        } else if !connected {
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

/// The next automatic action on a subscriber: the deferred-ITS block of a registered
/// deferred connection (the job checks the PROF subscription on that day).
pub fn next_action(licences: &[licence::Model]) -> Option<crate::next_action::NextAction> {
    use crate::next_action::{NextAction, NextKind};
    licences
        .iter()
        .filter(|l| l.connection_option.as_deref() == Some("deferred_its"))
        .filter(|l| l.state == LicenceState::Registered)
        .filter_map(|l| crate::tariffs::licence::deferred_its_block_on(l.starts_on))
        .min()
        .and_then(|day| {
            day.and_hms_opt(0, 0, 0)?
                .and_local_timezone(crate::clock::moscow())
                .single()
        })
        .map(|at| NextAction {
            kind: NextKind::DeferredItsBlock,
            at: at.to_utc(),
        })
}
