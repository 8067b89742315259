//! The pricing service: a quote against the stored catalog, with a special-offer number
//! resolved to its permit and, for a partner asking about a bonus licence, the facts of
//! the bonus rule read from its own licences. The rules are `pricing` and `bonus`.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::bonus;
use super::pricing::{self, Catalog, Quote, QuoteRequest};
use crate::AppState;
use crate::auth::{CurrentUser, Scope};
use crate::entities::{licence, promotion, special_offer, subscriber, tariff};
use crate::error::{AppError, AppResult};
use crate::tariffs::licence::LicenceState;

/// Prices a request against the stored catalog.
///
/// # Errors
/// `Invalid` naming the input the rules refuse; database errors.
pub async fn quote(st: &AppState, user: &CurrentUser, req: &QuoteRequest) -> AppResult<Quote> {
    let mut req = req.clone();
    if let Some(number) = req
        .special_offer_number
        .clone()
        .filter(|n| !n.trim().is_empty())
    {
        let center = super::permits::center_of(&user.scope);
        let permit = super::permits::find(&st.db, center, &number)
            .await?
            .ok_or_else(|| {
                AppError::invalid(
                    "special_offer_number",
                    "номер специального предложения не зарегистрирован центром продаж",
                )
            })?;
        req.item = permit.offer_code.clone();
        req.special_offer_registered_on = Some(
            permit
                .registered_at
                .with_timezone(&crate::clock::moscow())
                .date_naive(),
        );
    }
    quote_with_catalog(&st.db, &req)
        .await?
        .map_err(|r| AppError::invalid(r.field, r.message))
}

/// [`pricing::quote`] over the catalog as the database holds it now (tariffs, special
/// offers, promotions).
///
/// # Errors
/// Database errors; the pricing refusal is the inner result.
pub async fn quote_with_catalog<C: sea_orm::ConnectionTrait>(
    db: &C,
    req: &QuoteRequest,
) -> Result<Result<Quote, pricing::Refusal>, sea_orm::DbErr> {
    let tariffs = tariff::Entity::find().all(db).await?;
    let offers = special_offer::Entity::find().all(db).await?;
    let promotions = promotion::Entity::find().all(db).await?;
    Ok(pricing::quote(
        req,
        &Catalog {
            tariffs: &tariffs,
            special_offers: &offers,
            promotions: &promotions,
        },
    ))
}

/// For a partner asking about a bonus licence, the facts of the rule come from its own
/// data rather than from the request (see [`bonus::facts`]); what the request already
/// says about an earlier bonus and the subscriber count is kept.
///
/// # Errors
/// Database errors.
pub async fn partner_facts(
    st: &AppState,
    user: &CurrentUser,
    req: &mut QuoteRequest,
) -> AppResult<()> {
    let Scope::Partner { partner_id, .. } = user.scope else {
        return Ok(());
    };
    if req.item != "bonus" {
        return Ok(());
    }
    let subscribers = subscriber::Entity::find()
        .filter(subscriber::Column::PartnerId.eq(partner_id))
        .all(&st.db)
        .await?
        .into_iter()
        .map(|s| s.id);
    let licences = licence::Entity::find()
        .filter(licence::Column::SubscriberId.is_in(subscribers))
        .filter(licence::Column::State.ne(LicenceState::Revoked.as_str()))
        .all(&st.db)
        .await?;
    let facts = bonus::facts(&licences, st.clock.today());
    req.bonus_held = facts.held;
    req.previous_bonus_ended.get_or_insert(facts.previous_ended);
    req.current_subscribers
        .get_or_insert(facts.current_subscribers);
    Ok(())
}

/// What the calculator offers: every catalog tariff once, the group by its member count,
/// and the special offers.
///
/// # Errors
/// Database errors.
pub async fn calculator_items(st: &AppState) -> AppResult<Vec<(String, String)>> {
    let tariffs = tariff::Entity::find().all(&st.db).await?;
    let offers = special_offer::Entity::find().all(&st.db).await?;
    let mut items: Vec<(String, String)> = Vec::new();
    for t in &tariffs {
        if !items.iter().any(|(c, _)| c == &t.code) {
            items.push((t.code.clone(), t.name.clone()));
        }
    }
    items.push((
        "group".to_owned(),
        "Группа компаний (по числу активных участников)".to_owned(),
    ));
    items.extend(offers.into_iter().map(|o| (o.code, o.name)));
    Ok(items)
}

/// A partner's own tariff zone; `None` for other roles.
///
/// # Errors
/// Database errors.
pub async fn own_zone(st: &AppState, user: &CurrentUser) -> AppResult<Option<i16>> {
    Ok(match user.scope {
        Scope::Partner { partner_id, .. } => {
            crate::entities::partner::Entity::find_by_id(partner_id)
                .one(&st.db)
                .await?
                .map(|p| p.tariff_zone)
        }
        _ => None,
    })
}

/// What «В обработку» is priced on, besides the request.
#[derive(Debug, Clone)]
pub struct ProcessingInput<'a> {
    pub req: &'a super::connection::ProcessRequest,
    pub partner_id: i32,
    pub region_code: &'a str,
    pub legal_form: &'a str,
    /// The zone of the subscriber's region.
    pub zone: i16,
    /// The organisation is already a subscriber (a renewal; Верное решение is refused).
    pub known_subscriber: bool,
    /// ФНС directions the application names.
    pub fns_directions: u32,
    /// The permit the special-offer number names, when one was given and found.
    pub permit: Option<&'a crate::entities::special_offer_permit::Model>,
    pub today: chrono::NaiveDate,
}

/// The catalog item «В обработку» connects: the permit's special offer, the УП
/// additional licence for an authorized representative's client, or the option's tariff.
pub fn processing_item(input: &ProcessingInput<'_>) -> String {
    if let Some(p) = input.permit {
        return p.offer_code.clone();
    }
    if input.req.flags.authorized_representative && !input.req.flags.bonus {
        return "up_additional".to_owned();
    }
    super::connection::tariff_code(input.req, input.legal_form == "sole_trader").to_owned()
}

/// Prices a connection by the same `pricing::quote` the calculator uses, so the licence
/// always costs what the quote says (one pricing path); the refusal names the rule.
///
/// # Errors
/// Database errors (the outer result); the pricing rule's refusal (the inner one).
pub async fn processing_quote<C: sea_orm::ConnectionTrait>(
    db: &C,
    input: &ProcessingInput<'_>,
) -> Result<Result<Quote, pricing::Refusal>, sea_orm::DbErr> {
    let item = processing_item(input);
    let mut q = QuoteRequest {
        item: item.clone(),
        date: input.today,
        zone: Some(input.zone),
        // Верное решение is only ever a primary connection (audit C8): for a known
        // organisation it is refused as «previously connected», not sold as a renewal.
        // A new account of a connected organisation is a new connection (manual §3.1.1).
        primary: !input.known_subscriber
            || item == "right_choice"
            || input.req.action == Some(super::connection::SecondaryAction::NewAccount),
        organisations: 1,
        // As the calculator quotes by default: the catalog's current promotions apply.
        apply_promotions: true,
        region_code: Some(input.region_code.to_owned()),
        legal_form: Some(input.legal_form.to_owned()),
        previously_connected: input.known_subscriber,
        fns_directions: Some(input.fns_directions),
        in_group: input.req.flags.group_head_inn.is_some(),
        special_offer_registered_on: input.permit.map(|p| {
            p.registered_at
                .with_timezone(&crate::clock::moscow())
                .date_naive()
        }),
        ..Default::default()
    };
    if item == "bonus" {
        let subscribers = subscriber::Entity::find()
            .filter(subscriber::Column::PartnerId.eq(input.partner_id))
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.id);
        let licences = licence::Entity::find()
            .filter(licence::Column::SubscriberId.is_in(subscribers))
            .filter(licence::Column::State.ne(LicenceState::Revoked.as_str()))
            .all(db)
            .await?;
        let facts = bonus::facts(&licences, input.today);
        q.bonus_held = facts.held;
        q.previous_bonus_ended = Some(facts.previous_ended);
        q.current_subscribers = Some(facts.current_subscribers);
    }
    quote_with_catalog(db, &q).await
}

/// The special-offer permit a request names, among those of the partner's sales center
/// (F15); `None` when none is named or found.
///
/// # Errors
/// Database errors.
pub async fn permit_of<C: sea_orm::ConnectionTrait>(
    db: &C,
    req: &super::connection::ProcessRequest,
    sales_center_id: i32,
) -> AppResult<Option<crate::entities::special_offer_permit::Model>> {
    match req.flags.special_offer_code.as_deref() {
        Some(number) if !number.trim().is_empty() => {
            super::permits::find(db, Some(sales_center_id), number).await
        }
        _ => Ok(None),
    }
}

/// The tariff zone licences in `region_code` are priced in: the region's, the partner's
/// only when the region has none on record.
///
/// # Errors
/// Database errors.
pub async fn zone_for<C: sea_orm::ConnectionTrait>(
    db: &C,
    region_code: &str,
    partner: &crate::entities::partner::Model,
) -> Result<i16, sea_orm::DbErr> {
    Ok(
        crate::entities::region::Entity::find_by_id(region_code.to_owned())
            .one(db)
            .await?
            .map_or(partner.tariff_zone, |r| r.tariff_zone),
    )
}

/// Prices «В обработку» of `app` for `partner`: the guard and the preparation both ask
/// here, so they cannot price differently.
///
/// # Errors
/// Database errors and a corrupt stored row (the outer result); the pricing rule's
/// refusal (the inner one).
pub async fn price_processing<C: sea_orm::ConnectionTrait>(
    db: &C,
    app: &crate::entities::application::Model,
    req: &super::connection::ProcessRequest,
    partner: &crate::entities::partner::Model,
    permit: Option<&crate::entities::special_offer_permit::Model>,
    known_subscriber: bool,
    today: chrono::NaiveDate,
) -> AppResult<Result<Quote, pricing::Refusal>> {
    let directions: Vec<crate::organisation::Direction> =
        crate::organisation::stored("directions", &app.directions)?;
    let fns = directions
        .iter()
        .filter(|d| d.authority == crate::organisation::Authority::Fns)
        .count();
    let input = ProcessingInput {
        req,
        partner_id: partner.id,
        region_code: &app.region_code,
        legal_form: &app.legal_form,
        zone: zone_for(db, &app.region_code, partner).await?,
        known_subscriber,
        fns_directions: u32::try_from(fns).unwrap_or(u32::MAX),
        permit,
        today,
    };
    Ok(processing_quote(db, &input).await?)
}
