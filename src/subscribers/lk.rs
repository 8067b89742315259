//! ЛК Базовый as an extension licence (LK announcement l.46–72; audit B9). It is asked for
//! with «Подключить ЛК» on an application or from the card, needs a current 1С-Отчетность
//! licence, is refused on the free promo tariffs, costs `floor(months to the main
//! licence's end) × price / 12` (1 200 ₽ a year, 600 ₽ on «Группа пользователей»), ends
//! with the main licence and is renewed with it at the full price. Its price is the
//! pricing engine's (`tariffs::pricing`, item `lk_basic`), promotions included: they are
//! catalog data (`promotions`), and a renewal during one is free as well.

use chrono::NaiveDate;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{licence, subscriber, tariff};
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::tariffs::licence::{LicenceEvent, LicenceState};
use crate::tariffs::pricing::{self, QuoteRequest};

/// The catalog codes of the extension (the group tariff's is half the price).
pub const CODES: [&str; 2] = ["lk_basic", "lk_basic_group"];

/// The main licence the extension follows.
#[derive(Debug, Clone)]
pub struct Main<'a> {
    pub tariff_code: &'a str,
    pub tariff_name: &'a str,
    pub zone: i16,
    pub ends_on: NaiveDate,
    pub product: Option<i64>,
}

impl<'a> Main<'a> {
    pub fn of(l: &'a licence::Model) -> Self {
        Main {
            tariff_code: &l.tariff_code,
            tariff_name: &l.tariff_name,
            zone: l.zone,
            ends_on: l.ends_on,
            product: l.product_account_id,
        }
    }
}

/// The extension's price for `[starts, main.ends_on]`, decided on `today`.
///
/// # Errors
/// `Invalid` naming `connect_lk` (a free promo tariff, no period left); database errors.
pub async fn priced<C: ConnectionTrait>(
    db: &C,
    main: &Main<'_>,
    starts: NaiveDate,
    today: NaiveDate,
) -> AppResult<(tariff::Model, pricing::Quote)> {
    let group = main.tariff_code.starts_with("group_");
    let code = if group { CODES[1] } else { CODES[0] };
    let quote = crate::tariffs::service::quote_with_catalog(
        db,
        &QuoteRequest {
            item: CODES[0].to_owned(),
            date: today,
            zone: Some(main.zone),
            primary: true,
            organisations: 1,
            apply_promotions: true,
            licence_end: Some(main.ends_on),
            connect_date: Some(starts),
            group_tariff: group,
            main_tariff: Some(main.tariff_name.to_owned()),
            ..QuoteRequest::default()
        },
    )
    .await?
    .map_err(|r| {
        AppError::invalid(
            "connect_lk",
            match r.field {
                "licence_end" => {
                    "ЛК Базовый подключается только к действующей лицензии 1С-Отчетности".to_owned()
                }
                _ => r.message,
            },
        )
    })?;
    let row = crate::tariffs::catalog::list(db, Some(main.zone), Some(today))
        .await?
        .into_iter()
        .find(|t| t.code == code)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the catalog has no {code}")))?;
    Ok((row, quote))
}

/// Adds the extension for `[starts, main.ends_on]` «В ожидании», inside `w`.
///
/// # Errors
/// As [`priced`].
pub async fn add_in(
    w: &mut Write,
    sub: &subscriber::Model,
    main: &Main<'_>,
    starts: NaiveDate,
    application: Option<i64>,
) -> AppResult<licence::Model> {
    let today = w.at().with_timezone(&crate::clock::moscow()).date_naive();
    let (row, quote) = priced(&**w, main, starts, today).await?;
    let l = licence::ActiveModel {
        id: NotSet,
        version: Set(0),
        subscriber_id: Set(sub.id),
        product_account_id: Set(main.product),
        tariff_code: Set(row.code.clone()),
        tariff_name: Set(row.name.clone()),
        kind: Set(row.kind.clone()),
        zone: Set(main.zone),
        is_primary: Set(false),
        state: Set(LicenceState::Pending),
        starts_on: Set(starts),
        ends_on: Set(main.ends_on),
        cost: Set(quote.total),
        sales_center_share: Set(quote.sales_center_share),
        revocable: Set(row.revocable),
        approved_in_reconciliation: Set(false),
        connection_option: Set(None),
        application_id: Set(application),
        created_at: Set(w.at()),
        registered_on: Set(None),
        special_offer_number: Set(None),
    }
    .insert(&**w)
    .await?;
    w.record(Change::new("licence.create", "licence", l.id).after(json!({
        "subscriber": sub.id, "tariff": l.tariff_code, "cost": l.cost, "ends_on": l.ends_on,
        "state": l.state, "application": application,
    })));
    Ok(l)
}

/// The subscriber's live extension that runs at least to `until` for the product.
///
/// # Errors
/// Database errors.
pub async fn live<C: ConnectionTrait>(
    db: &C,
    subscriber_id: i64,
    product: Option<i64>,
    until: NaiveDate,
) -> AppResult<Option<licence::Model>> {
    let mut q = licence::Entity::find()
        .filter(licence::Column::SubscriberId.eq(subscriber_id))
        .filter(licence::Column::TariffCode.is_in(CODES))
        .filter(licence::Column::State.is_in([
            LicenceState::Pending,
            LicenceState::Registered,
            LicenceState::Blocked,
        ]))
        .filter(licence::Column::EndsOn.gte(until));
    if let Some(p) = product {
        q = q.filter(licence::Column::ProductAccountId.eq(p));
    }
    Ok(q.one(db).await?)
}

/// The renewal of a main licence that ended (or ends) on `old_end` brings the extension's
/// next period with it, at the full price, when the extension ran to that end.
///
/// # Errors
/// As [`add_in`].
pub async fn renew_in(
    w: &mut Write,
    sub: &subscriber::Model,
    main: &Main<'_>,
    starts: NaiveDate,
    old_end: NaiveDate,
    application: Option<i64>,
) -> AppResult<Option<licence::Model>> {
    if live(&**w, sub.id, main.product, old_end).await?.is_none()
        || live(&**w, sub.id, main.product, main.ends_on)
            .await?
            .is_some()
    {
        return Ok(None);
    }
    Ok(Some(add_in(w, sub, main, starts, application).await?))
}

/// «Подключить ЛК» from the card: the extension to the current main licence, from today,
/// registered at once.
///
/// # Errors
/// `Refused` naming `no_current_licence` or `lk_already_connected`; `Invalid` naming
/// `connect_lk` (a free promo tariff); scope and role errors.
pub async fn connect(
    st: &AppState,
    user: &CurrentUser,
    subscriber_id: i64,
) -> AppResult<licence::Model> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let sub = super::service::find(st, user, subscriber_id).await?;
    let today = st.clock.today();
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let main = super::standing::current_licence(&*w, sub.id, None, None)
        .await?
        .filter(|l| l.state == LicenceState::Registered && l.starts_on <= today && today < l.ends_on)
        .ok_or_else(|| {
            AppError::refused(
                "no_current_licence",
                "ЛК Базовый подключается только к действующей лицензии 1С-Отчетности: у абонента ее нет.",
            )
        })?;
    if let Some(l) = live(&*w, sub.id, main.product_account_id, today).await? {
        return Err(AppError::refused(
            "lk_already_connected",
            format!(
                "ЛК Базовый уже подключен до {}.",
                crate::web::components::date_ru(l.ends_on)
            ),
        ));
    }
    let l = add_in(&mut w, &sub, &Main::of(&main), today, None).await?;
    registered(&mut w, &l, today).await?;
    w.commit().await?;
    licence::Entity::find_by_id(l.id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Registers a pending extension now (the card's action and «Продлить ИТС»).
///
/// # Errors
/// Database errors; the licence machine's refusals.
pub async fn registered(w: &mut Write, l: &licence::Model, today: NaiveDate) -> AppResult<()> {
    licence::Entity::update_many()
        .col_expr(
            licence::Column::RegisteredOn,
            sea_orm::sea_query::Expr::value(Some(today)),
        )
        .filter(licence::Column::Id.eq(l.id))
        .exec(&**w)
        .await?;
    super::licences::licence_transition_in(
        w,
        l,
        LicenceEvent::Register,
        Some("Подключить ЛК".to_owned()),
    )
    .await
    .map(drop)
}

/// What the extension costs, for a message.
pub fn cost_text(l: &licence::Model) -> String {
    if l.cost == Money::ZERO {
        "бесплатно по акции".to_owned()
    } else {
        l.cost.ru()
    }
}
