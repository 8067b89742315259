//! What pages and the API read about applications: the identification centers nearest
//! to the client, the ITS check, attached documents, the history, and the facts
//! «В обработку» is decided on.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::AppState;
use crate::applications::checks::Checks;
use crate::applications::documents::DocumentKind;
use crate::applications::geo::{self, Place};
use crate::applications::processing::{self, ItsCheck, ProcessFacts, ProcessRequest};
use crate::entities::{
    application, application_document, application_history, identification_center,
    its_subscription, locality, partner,
};
use crate::error::AppResult;
use crate::next_action::NextAction;
use crate::organisation::{Direction, Owner, stored};

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
    its_check_for(st, app, app.its_login.as_deref()).await
}

/// The ITS check of §2.1 for an application by the portal login `login` (§7: a login
/// is looked up before it is applied).
///
/// # Errors
/// Database errors.
pub async fn its_check_for(
    st: &AppState,
    app: &application::Model,
    login: Option<&str>,
) -> AppResult<ItsCheck> {
    let subs = match login {
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

/// The stored results of the requisite checks.
///
/// # Errors
/// `Internal` for a corrupt row.
pub fn checks_of(app: &application::Model) -> AppResult<Checks> {
    stored("checks", &app.checks)
}

/// What the application states in its stored JSON columns, read as their types.
pub struct Stated {
    pub owner: Owner,
    pub directions: Vec<Direction>,
    pub checks: Checks,
}

/// # Errors
/// `Internal` for a corrupt row, naming the column.
pub fn stated(app: &application::Model) -> AppResult<Stated> {
    Ok(Stated {
        owner: stored("owner", &app.owner)?,
        directions: stored("directions", &app.directions)?,
        checks: checks_of(app)?,
    })
}

/// The facts «В обработку» is decided on (see [`processing::guard`]).
///
/// # Errors
/// Database errors.
pub(super) async fn process_facts(
    st: &AppState,
    app: &application::Model,
    req: &ProcessRequest,
) -> AppResult<ProcessFacts> {
    let partner = match app.partner_id {
        Some(pid) => partner::Entity::find_by_id(pid).one(&st.db).await?,
        None => None,
    };
    let permit = match &partner {
        Some(p) => crate::tariffs::service::permit_of(&st.db, req, p.sales_center_id).await?,
        None => None,
    };
    let known_subscriber = crate::entities::subscriber::Entity::find()
        .filter(crate::subscribers::service::by_requisites(
            &app.inn,
            app.kpp.as_deref(),
        ))
        .one(&st.db)
        .await?
        .is_some();
    let priced = match &partner {
        Some(p) => crate::tariffs::service::price_processing(
            &st.db,
            app,
            req,
            p,
            permit.as_ref(),
            known_subscriber,
            st.clock.today(),
        )
        .await?
        .map(drop)
        .map_err(|r| (processing::field_of(r.field), r.message)),
        None => Ok(()),
    };
    Ok(ProcessFacts {
        checks_passed: app.checks_passed,
        certificate_requested: app.certificate_requested,
        attached: attached_kinds(&st.db, app.id).await?,
        its: its_check(st, app).await?,
        inn: app.inn.clone(),
        permit,
        paid_basis_only: crate::subscribers::service::paid_basis_only(
            &st.db,
            &app.inn,
            app.kpp.as_deref(),
        )
        .await?,
        priced,
        group_head_registered: group_head_registered(st, app, req).await?,
        request_type: app.request_type.clone(),
        paperless: app.paperless_renewal,
        connected: connected(st, app).await?,
        now: st.clock.now(),
        today: st.clock.today(),
    })
}

/// The organisation as connected to the service, for a secondary application.
///
/// # Errors
/// Database errors.
pub async fn connected(
    st: &AppState,
    app: &application::Model,
) -> AppResult<Option<processing::Connected>> {
    Ok(crate::subscribers::standing::of(
        &st.db,
        &app.inn,
        app.kpp.as_deref(),
        app.product_guid.as_deref(),
    )
    .await?
    .map(|s| processing::Connected {
        guid: s.product.as_ref().map(|p| p.guid.clone()),
        product_known: s.product_known,
        products: s.products.len(),
        licence: s.period(),
        certificate: s.certificate,
    }))
}

/// The wizard's summary (manual l.343–350, l.818–826): what «В обработку» would do,
/// decided by the same guard and priced by the same quote as the sending itself.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    /// What the guard would refuse, each named by its field.
    pub refusals: Vec<crate::error::FieldError>,
    /// The licence connected: tariff name and cost (`None` when none is connected).
    pub tariff: Option<(String, crate::money::Money)>,
    /// The licence period: the new one, or the current one the action keeps.
    pub period: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    /// The product account's GUID (`None`: a new account gets a new one).
    pub guid: Option<String>,
}

impl Preview {
    /// A summary of choices that are not even a request.
    pub fn refused(e: crate::error::AppError) -> Preview {
        Preview {
            refusals: match e {
                crate::error::AppError::Invalid(errors) => errors,
                other => vec![crate::error::FieldError::new("option", other.to_string())],
            },
            ..Preview::default()
        }
    }
}

/// The summary of «В обработку» with `req` for `app` as the partner would send it.
///
/// # Errors
/// Database errors; a role that may not send to processing.
pub async fn preview_processing(
    st: &AppState,
    caller: super::Caller<'_>,
    app: &application::Model,
    req: &ProcessRequest,
) -> AppResult<Preview> {
    use crate::applications::state::{Event, may_fire};
    use crate::tariffs::connection::SecondaryAction;
    if !may_fire(caller.firer(), Event::SendToProcessing) {
        return Err(crate::error::AppError::Forbidden);
    }
    let facts = process_facts(st, app, req).await?;
    let refusals = processing::guard(req, &facts).err().unwrap_or_default();
    // Where the organisation stands was read with the facts: not again.
    let connected = facts.connected.as_ref();
    let guid = match req.action {
        Some(SecondaryAction::Renewal | SecondaryAction::Change) => {
            connected.and_then(|c| c.guid.clone())
        }
        _ => app.product_guid.clone(),
    };
    let current = connected.and_then(|c| c.licence);
    let (tariff, period) = match (&app.partner_id, req.connects_licence()) {
        (Some(pid), true) if refusals.is_empty() => {
            let partner = partner::Entity::find_by_id(*pid)
                .one(&st.db)
                .await?
                .ok_or(crate::error::AppError::NotFound)?;
            let permit =
                crate::tariffs::service::permit_of(&st.db, req, partner.sales_center_id).await?;
            let today = st.clock.today();
            match crate::tariffs::service::price_processing(
                &st.db,
                app,
                req,
                &partner,
                permit.as_ref(),
                connected.is_some(),
                today,
            )
            .await?
            {
                Ok(q) => {
                    let term = crate::tariffs::catalog::term_of(&st.db, &q.item).await?;
                    let continues = (req.action == Some(SecondaryAction::Renewal))
                        .then(|| current.map(|(_, end)| end))
                        .flatten();
                    let period = crate::subscribers::standing::period(today, continues, term);
                    (Some((q.name, q.total)), Some(period))
                }
                Err(_) => (None, None),
            }
        }
        (_, false) => (None, current),
        _ => (None, None),
    };
    Ok(Preview {
        refusals,
        tariff,
        period,
        guid,
    })
}

/// The next automatic action on each of `apps` (one calendar load for the page).
///
/// # Errors
/// Database errors.
pub async fn next_actions(
    st: &AppState,
    apps: &[crate::applications::registry::Row],
) -> AppResult<std::collections::HashMap<i64, NextAction>> {
    use crate::applications::identification::{deadline, next_action};
    use crate::applications::state::State;
    let delegated: Vec<chrono::NaiveDate> = apps
        .iter()
        .filter(|a| a.state == State::Identification)
        .filter_map(|a| a.delegated_at)
        .map(|t| t.with_timezone(&crate::clock::moscow()).date_naive())
        .collect();
    let cal = match (delegated.iter().min(), delegated.iter().max()) {
        (Some(first), Some(last)) => Some(
            crate::calendar::ProductionCalendar::load(
                &st.db,
                *first,
                *last + chrono::Duration::days(60),
            )
            .await?,
        ),
        _ => None,
    };
    Ok(apps
        .iter()
        .filter_map(|a| {
            let due = match (&cal, a.delegated_at) {
                (Some(cal), Some(at)) if a.state == State::Identification => {
                    Some(deadline(at, cal))
                }
                _ => None,
            };
            next_action(a.state, a.received_at, due).map(|n| (a.id, n))
        })
        .collect())
}

/// Whether the group head named in `req` is a registered subscriber of the
/// application's partner; `None` when none is named.
async fn group_head_registered(
    st: &AppState,
    app: &application::Model,
    req: &ProcessRequest,
) -> AppResult<Option<bool>> {
    use crate::entities::{licence, subscriber};
    let Some(inn) = req
        .flags
        .group_head_inn
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
    else {
        return Ok(None);
    };
    let kpp = req
        .flags
        .group_head_kpp
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let Some(partner_id) = app.partner_id else {
        return Ok(Some(false));
    };
    let Some(head) = subscriber::Entity::find()
        .filter(crate::subscribers::service::by_requisites(inn, kpp))
        .filter(subscriber::Column::PartnerId.eq(partner_id))
        .one(&st.db)
        .await?
    else {
        return Ok(Some(false));
    };
    let registered = licence::Entity::find()
        .filter(licence::Column::SubscriberId.eq(head.id))
        .filter(
            licence::Column::State.eq(crate::tariffs::licence::LicenceState::Registered.as_str()),
        )
        .one(&st.db)
        .await?
        .is_some();
    Ok(Some(registered))
}
