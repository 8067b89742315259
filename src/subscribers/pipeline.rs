//! The processing pipeline, step by step with the application's lifecycle: at
//! «В обработку» the organisation becomes (or stays) a subscriber with its product
//! account and the licences chosen, «В ожидании» ([`prepare`]); when the certification
//! authority issues the owner's certificate it appears on the card
//! ([`certificate_issued`]); at registration the licences are registered and the
//! subscriber connected ([`register`]); a refusal revokes what was prepared
//! ([`refused`]). Licences are priced from the catalog in the zone of the subscriber's
//! region (the partner's zone only when the region has none).

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::standing;
use crate::audit::{Change, Write};
use crate::clock::moscow;
use crate::entities::{application, licence, partner, product_account, subscriber, tariff};
use crate::error::{AppError, AppResult};
use crate::tariffs::connection::{ConnectionOption, ProcessRequest, SecondaryAction};
use crate::tariffs::licence::{LicenceEvent, LicenceState};

async fn catalog_row(
    w: &Write,
    code: &str,
    zone: i16,
    on: chrono::NaiveDate,
) -> AppResult<tariff::Model> {
    crate::tariffs::catalog::list(&**w, Some(zone), Some(on))
        .await?
        .into_iter()
        .find(|t| t.code == code)
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("the catalog has no {code} for zone {zone}"))
        })
}

/// A licence «В обработку» connects, as the pipeline decided it.
struct NewLicence<'a> {
    product: Option<i64>,
    tariff: &'a tariff::Model,
    primary: bool,
    option: Option<&'a str>,
    app_id: i64,
    /// The end of the current licence a renewal continues.
    continues: Option<chrono::NaiveDate>,
    special_offer_number: Option<String>,
}

async fn add_licence(w: &mut Write, sub: &subscriber::Model, n: NewLicence<'_>) -> AppResult<()> {
    let NewLicence {
        product,
        tariff: t,
        primary,
        option,
        app_id,
        continues,
        special_offer_number,
    } = n;
    let now = w.at();
    let (starts, ends) = standing::period(
        now.with_timezone(&moscow()).date_naive(),
        continues,
        u32::try_from(t.term_months).unwrap_or(12),
    );
    let l = licence::ActiveModel {
        id: NotSet,
        version: Set(0),
        subscriber_id: Set(sub.id),
        product_account_id: Set(product),
        tariff_code: Set(t.code.clone()),
        tariff_name: Set(t.name.clone()),
        kind: Set(t.kind.clone()),
        zone: Set(t.zone),
        is_primary: Set(primary),
        state: Set(LicenceState::Pending),
        starts_on: Set(starts),
        ends_on: Set(ends),
        cost: Set(if primary {
            t.primary_price
        } else {
            t.renewal_price
        }),
        sales_center_share: Set(if primary {
            t.sales_center_share
        } else {
            t.renewal_sales_center_share
        }),
        revocable: Set(t.revocable),
        approved_in_reconciliation: Set(false),
        connection_option: Set(option.map(str::to_owned)),
        application_id: Set(Some(app_id)),
        created_at: Set(now),
        registered_on: Set(None),
        special_offer_number: Set(special_offer_number),
    }
    .insert(&**w)
    .await?;
    w.record(Change::new("licence.create", "licence", l.id).after(json!({
        "subscriber": sub.id, "tariff": l.tariff_code, "cost": l.cost, "ends_on": l.ends_on,
        "state": l.state, "application": app_id,
    })));
    Ok(())
}

/// «В обработку»: the organisation becomes (or stays) a subscriber of the partner — a new
/// one not yet connected — with the product account and the licences chosen,
/// «В ожидании» until registration (manual l.1343). A secondary application (§3) acts on
/// the organisation as it stands: a new account or an additional configuration gets its
/// own product account (the one its GUID names, or a new one); a renewal or a change
/// acts on the account it is about, and only a new account or a renewal connects a
/// licence — the renewal continuing from the current licence's end. Inside the caller's
/// transaction; `app` as saved by the transition.
///
/// # Errors
/// The application has no partner or no processing request; database errors.
pub async fn prepare(w: &mut Write, app: &application::Model) -> AppResult<()> {
    let partner_id = app.partner_id.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("application {} has no partner", app.id))
    })?;
    let partner = partner::Entity::find_by_id(partner_id)
        .one(&**w)
        .await?
        .ok_or(AppError::NotFound)?;
    let req = request_of(app)?;
    let action = req.as_ref().and_then(|r| r.action);
    let standing = match action {
        Some(_) => {
            standing::of(
                &**w,
                &app.inn,
                app.kpp.as_deref(),
                app.product_guid.as_deref(),
            )
            .await?
        }
        None => None,
    };
    let (sub, new) = match &standing {
        Some(s) => (s.subscriber.clone(), false),
        None => subscriber_for(w, app, &partner).await?,
    };
    let product = match (action, &standing) {
        (Some(SecondaryAction::Renewal | SecondaryAction::Change), Some(s)) => {
            s.product.clone().ok_or_else(|| {
                AppError::invalid(
                    "product_guid",
                    "у организации несколько учетных записей: заявление должно указывать GUID продукта",
                )
            })?
        }
        _ => product_for(w, &sub, app).await?,
    };
    let zone = zone_of(w, &sub, &partner).await?;
    let today = w.at().with_timezone(&moscow()).date_naive();
    if let Some(req) = req.as_ref().filter(|r| r.connects_licence()) {
        let t = priced(w, app, req, &partner, zone, !new, today).await?;
        let continues = match action {
            Some(SecondaryAction::Renewal) => standing
                .as_ref()
                .and_then(|s| s.licence.as_ref())
                .map(|l| l.ends_on),
            _ => None,
        };
        let primary = new || action == Some(SecondaryAction::NewAccount);
        let option = req.option.map(ConnectionOption::as_str);
        let (lk_starts, lk_ends) =
            standing::period(today, continues, u32::try_from(t.term_months).unwrap_or(12));
        let special_offer_number = req
            .flags
            .special_offer_code
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        add_licence(
            w,
            &sub,
            NewLicence {
                product: Some(product.id),
                tariff: &t,
                primary,
                option,
                app_id: app.id,
                continues,
                special_offer_number,
            },
        )
        .await?;
        // ЛК Базовый follows the main licence: asked for now, or renewed with it.
        let main = super::lk::Main {
            tariff_code: &t.code,
            tariff_name: &t.name,
            zone,
            ends_on: lk_ends,
            product: Some(product.id),
        };
        if app.connect_lk {
            if super::lk::live(&**w, sub.id, Some(product.id), lk_ends)
                .await?
                .is_none()
            {
                super::lk::add_in(w, &sub, &main, lk_starts, Some(app.id)).await?;
            }
        } else if let Some(old_end) = continues {
            super::lk::renew_in(w, &sub, &main, lk_starts, old_end, Some(app.id)).await?;
        }
    } else if app.connect_lk {
        // «Подключить ЛК» on an application that connects no licence: to the current one.
        let current = standing::current_licence(&**w, sub.id, Some(product.id), Some(app.id))
            .await?
            .filter(|l| l.starts_on <= today && today < l.ends_on)
            .ok_or_else(|| {
                AppError::invalid(
                    "connect_lk",
                    "ЛК Базовый подключается только к действующей лицензии 1С-Отчетности: у абонента ее нет",
                )
            })?;
        if super::lk::live(&**w, sub.id, Some(product.id), today)
            .await?
            .is_none()
        {
            super::lk::add_in(w, &sub, &super::lk::Main::of(&current), today, Some(app.id)).await?;
        }
    }
    let certificate = req
        .as_ref()
        .is_none_or(|r| r.action.is_none() || r.issues_certificate(app.certificate_requested));
    if app.cryptopro_licence && certificate {
        // An extension of the certificate, never a primary connection (manual l.2328).
        let t = catalog_row(w, "cryptopro", zone, today).await?;
        let extension = NewLicence {
            product: Some(product.id),
            tariff: &t,
            primary: false,
            option: None,
            app_id: app.id,
            continues: None,
            special_offer_number: None,
        };
        add_licence(w, &sub, extension).await?;
    }
    let owner: crate::organisation::Owner = crate::organisation::stored("owner", &app.owner)?;
    if owner.cloud_signature && certificate {
        // «Расширение … с применением Облачной подписи» (manual l.2842–2847): free.
        let t = catalog_row(w, "cloud_signature", zone, today).await?;
        let extension = NewLicence {
            product: Some(product.id),
            tariff: &t,
            primary: false,
            option: None,
            app_id: app.id,
            continues: None,
            special_offer_number: None,
        };
        add_licence(w, &sub, extension).await?;
    }
    Ok(())
}

fn request_of(app: &application::Model) -> AppResult<Option<ProcessRequest>> {
    Ok(app
        .processing_params
        .as_deref()
        .map(serde_json::from_str)
        .transpose()?)
}

/// The licence «В обработку» connects, priced by `pricing::quote` exactly as the guard
/// and the calculator price it: the catalog row's terms with the quote's item, name, cost
/// and share (a special offer is its own item, priced from its own table).
async fn priced(
    w: &Write,
    app: &application::Model,
    req: &ProcessRequest,
    partner: &partner::Model,
    zone: i16,
    known_subscriber: bool,
    today: chrono::NaiveDate,
) -> AppResult<tariff::Model> {
    let permit = crate::tariffs::service::permit_of(&**w, req, partner.sales_center_id).await?;
    let quote = crate::tariffs::service::price_processing(
        &**w,
        app,
        req,
        partner,
        permit.as_ref(),
        known_subscriber,
        today,
    )
    .await?
    .map_err(|r| AppError::invalid(r.field, r.message))?;
    // The terms (period, kind, revocability) are the catalog's; a special offer runs 12
    // months and is revocable like the licence it stands in for.
    let mut t = match catalog_row(w, &quote.item, zone, today).await {
        Ok(t) => t,
        Err(_) => catalog_row(w, "paid_licence", zone, today).await?,
    };
    t.code = quote.item.clone();
    t.name = quote.name.clone();
    t.primary_price = quote.total;
    t.renewal_price = quote.total;
    t.sales_center_share = quote.sales_center_share;
    t.renewal_sales_center_share = quote.sales_center_share;
    Ok(t)
}

/// The tariff zone a subscriber's licences are priced in: its region's (domain.md), the
/// partner's only when the region has none on record.
async fn zone_of(w: &Write, sub: &subscriber::Model, partner: &partner::Model) -> AppResult<i16> {
    Ok(crate::tariffs::service::zone_for(&**w, &sub.region_code, partner).await?)
}

/// The product account the application is about: the one its GUID names (a renewal or
/// a change keeps its product), or a new one filled from the application.
async fn product_for(
    w: &mut Write,
    sub: &subscriber::Model,
    app: &application::Model,
) -> AppResult<product_account::Model> {
    if let Some(guid) = &app.product_guid
        && let Some(known) = product_account::Entity::find()
            .filter(product_account::Column::Guid.eq(guid))
            .one(&**w)
            .await?
    {
        if known.subscriber_id != sub.id {
            return Err(AppError::invalid(
                "product_guid",
                "GUID продукта принадлежит учетной записи другой организации",
            ));
        }
        return Ok(known);
    }
    let product = product_account::ActiveModel {
        id: NotSet,
        subscriber_id: Set(sub.id),
        guid: Set(app
            .product_guid
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
        configuration: Set(app.configuration.clone()),
        state: Set("active".to_owned()),
        category: Set(app.category.clone()),
        active: Set(true),
        alias: Set(None),
        its_login: Set(app.its_login.clone()),
        application_id: Set(Some(app.id)),
        created_at: Set(w.at()),
    }
    .insert(&**w)
    .await?;
    super::card::fill_from_application(w, sub, &product, app).await?;
    Ok(product)
}

/// The subscriber and product account prepared for `app`, preparing them first for an
/// application sent before preparation existed.
async fn prepared(
    w: &mut Write,
    app: &application::Model,
) -> AppResult<(subscriber::Model, product_account::Model)> {
    for _ in 0..2 {
        let by_application = product_account::Entity::find()
            .filter(product_account::Column::ApplicationId.eq(app.id))
            .one(&**w)
            .await?;
        let by_guid = match (&by_application, &app.product_guid) {
            (None, Some(guid)) => {
                product_account::Entity::find()
                    .filter(product_account::Column::Guid.eq(guid))
                    .one(&**w)
                    .await?
            }
            _ => None,
        };
        let acted_on = match request_of(app)?.and_then(|r| r.action) {
            Some(SecondaryAction::Renewal | SecondaryAction::Change) => standing::of(
                &**w,
                &app.inn,
                app.kpp.as_deref(),
                app.product_guid.as_deref(),
            )
            .await?
            .and_then(|s| s.product),
            _ => None,
        };
        if let Some(product) = by_application.or(by_guid).or(acted_on) {
            let sub = subscriber::Entity::find_by_id(product.subscriber_id)
                .one(&**w)
                .await?
                .ok_or(AppError::NotFound)?;
            return Ok((sub, product));
        }
        prepare(w, app).await?;
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "application {} could not be prepared",
        app.id
    )))
}

/// The certification authority issued the owner's certificate: it exists from now on
/// and shows on the card while the receipt is awaited (manual l.593).
///
/// # Errors
/// Database errors.
pub async fn certificate_issued(
    w: &mut Write,
    app: &application::Model,
    dss: &dyn super::cloud_signature::dss::SignatureService,
) -> AppResult<()> {
    let (sub, product) = prepared(w, app).await?;
    let cert = super::certificates::issue(w, &sub, Some(product.id), app).await?;
    let owner: crate::organisation::Owner = crate::organisation::stored("owner", &app.owner)?;
    if owner.cloud_signature {
        super::cloud_signature::service::open_account(w, dss, &sub, &cert, app).await?;
    }
    Ok(())
}

/// The application is registered: its licences leave «В ожидании» through the licence
/// machine, a free ITS connection takes its PROF subscription, and the subscriber is
/// connected. Inside the caller's transaction.
///
/// # Errors
/// Database errors.
pub async fn register(w: &mut Write, app: &application::Model) -> AppResult<subscriber::Model> {
    let (sub, product) = prepared(w, app).await?;
    let today = w.at().with_timezone(&moscow()).date_naive();
    let req = request_of(app)?;
    let action = req.as_ref().and_then(|r| r.action);
    for l in pending_of(w, app.id).await? {
        // The period runs from the registration, not from «В обработку» (manual
        // l.1343: a waiting licence has no registration date yet); a renewal continues
        // from the current licence's end, whenever that is.
        let continues = match action {
            // ЛК Базовый renewed with the tariff keeps the tariff's period.
            Some(SecondaryAction::Renewal)
                if l.kind == "tariff" || super::lk::CODES.contains(&l.tariff_code.as_str()) =>
            {
                standing::current_licence(&**w, sub.id, l.product_account_id, Some(app.id))
                    .await?
                    .map(|c| c.ends_on)
            }
            _ => None,
        };
        let (starts, _) = standing::period(today, continues, 0);
        let shift = starts - l.starts_on;
        licence::Entity::update_many()
            .col_expr(licence::Column::RegisteredOn, Expr::value(Some(today)))
            .col_expr(licence::Column::StartsOn, Expr::value(starts))
            .col_expr(licence::Column::EndsOn, Expr::value(l.ends_on + shift))
            .filter(licence::Column::Id.eq(l.id))
            .exec(&**w)
            .await?;
        let reason = Some(format!("Заявление №{} зарегистрировано", app.id));
        super::licences::licence_transition_in(w, &l, LicenceEvent::Register, reason).await?;
    }
    match action {
        Some(SecondaryAction::Change) => super::card::apply_change(w, &sub, &product, app).await?,
        Some(SecondaryAction::Renewal) => super::card::refresh_product(w, &product, app).await?,
        _ => {}
    }
    if let Some(req) = req
        .as_ref()
        .filter(|r| r.option == Some(ConnectionOption::ItsFree))
    {
        activate_its(w, app, req, today).await?;
    }
    join_group(w, &sub, req.as_ref()).await?;
    if !sub.connected {
        subscriber::Entity::update_many()
            .col_expr(
                subscriber::Column::Connected,
                sea_orm::sea_query::Expr::value(true),
            )
            .filter(subscriber::Column::Id.eq(sub.id))
            .exec(&**w)
            .await?;
        w.record(
            Change::new("subscriber.connect", "subscriber", sub.id)
                .after(json!({"application": app.id})),
        );
    }
    Ok(sub)
}

/// «ИНН/КПП группы компаний» at «В обработку» (manual l.389–415, audit C7): at
/// registration the subscriber joins the group its head leads (made now when the head
/// has none); the final tier is settled in the reconciliation. The guard already checked
/// that the head is a registered subscriber of the same partner.
async fn join_group(
    w: &mut Write,
    sub: &subscriber::Model,
    req: Option<&ProcessRequest>,
) -> AppResult<()> {
    use crate::entities::{company_group, company_group_member};
    let Some(inn) = req
        .and_then(|r| r.flags.group_head_inn.as_deref())
        .map(str::trim)
        .filter(|i| !i.is_empty())
    else {
        return Ok(());
    };
    let kpp = req
        .and_then(|r| r.flags.group_head_kpp.as_deref())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let Some(head) = subscriber::Entity::find()
        .filter(super::service::by_requisites(inn, kpp))
        .filter(subscriber::Column::PartnerId.eq(sub.partner_id))
        .one(&**w)
        .await?
    else {
        return Ok(());
    };
    if head.id == sub.id || super::groups::group_of(&**w, sub.id).await?.is_some() {
        return Ok(());
    }
    let group = match company_group::Entity::find()
        .filter(company_group::Column::HeadSubscriberId.eq(head.id))
        .one(&**w)
        .await?
    {
        Some(g) => g,
        None => {
            let g = company_group::ActiveModel {
                id: NotSet,
                partner_id: Set(head.partner_id),
                head_subscriber_id: Set(head.id),
                name: Set(format!("Группа «{}»", head.short_name)),
                created_at: Set(w.at()),
            }
            .insert(&**w)
            .await?;
            w.record(
                Change::new("company_group.create", "company_group", g.id)
                    .after(json!({"head": head.id, "name": g.name})),
            );
            g
        }
    };
    company_group_member::ActiveModel {
        id: NotSet,
        group_id: Set(group.id),
        subscriber_id: Set(sub.id),
        joined_at: Set(w.at()),
    }
    .insert(&**w)
    .await?;
    w.record(
        Change::new("company_group.add_member", "company_group", group.id)
            .after(json!({"subscriber": sub.id, "at_registration": true})),
    );
    Ok(())
}

/// The certification authority refused: the licences prepared for the application are
/// revoked (they never served).
///
/// # Errors
/// Database errors.
pub async fn refused(w: &mut Write, app: &application::Model, reason: &str) -> AppResult<()> {
    for l in pending_of(w, app.id).await? {
        let why = Some(format!("Отказ удостоверяющего центра: {reason}"));
        super::licences::licence_transition_in(w, &l, LicenceEvent::Revoke, why).await?;
    }
    Ok(())
}

async fn pending_of(w: &Write, application_id: i64) -> AppResult<Vec<licence::Model>> {
    Ok(licence::Entity::find()
        .filter(licence::Column::ApplicationId.eq(application_id))
        .filter(licence::Column::State.eq(LicenceState::Pending.as_str()))
        .all(&**w)
        .await?)
}

/// The subscriber with the application's ИНН/КПП, created for the partner when new;
/// `true` when it was created now.
async fn subscriber_for(
    w: &mut Write,
    app: &application::Model,
    partner: &partner::Model,
) -> AppResult<(subscriber::Model, bool)> {
    let now = w.at();
    let existing = subscriber::Entity::find()
        .filter(super::service::by_requisites(&app.inn, app.kpp.as_deref()))
        .one(&**w)
        .await?;
    Ok(match existing {
        Some(s) => (s, false),
        None => {
            let s = subscriber::ActiveModel {
                id: NotSet,
                version: Set(0),
                partner_id: Set(partner.id),
                region_code: Set(app.region_code.clone()),
                legal_form: Set(app.legal_form.clone()),
                inn: Set(app.inn.clone()),
                kpp: Set(app.kpp.clone()),
                ogrn: Set(app.ogrn.clone()),
                full_name: Set(app.full_name.clone()),
                short_name: Set(app.short_name.clone()),
                search_key: Set(app.search_key.clone()),
                pfr_number: Set(app.pfr_number.clone()),
                fss_number: Set(app.fss_number.clone()),
                legal_address: Set(app.legal_address.clone()),
                actual_address: Set(app.actual_address.clone()),
                phone: Set(app.phone.clone()),
                email: Set(app.email.clone()),
                note: Set(None),
                connected: Set(false),
                paid_basis_only: Set(false),
                created_at: Set(now),
                fax: Set(None),
                registration_file: Set(None),
                registration_file_at: Set(None),
            }
            .insert(&**w)
            .await?;
            w.record(
                Change::new("subscriber.create", "subscriber", s.id)
                    .after(json!({"inn": s.inn, "kpp": s.kpp, "partner": partner.code})),
            );
            (s, true)
        }
    })
}

/// A free ITS connection uses a PROF subscription: it is now activated for this
/// subscriber (§2.1.3), so it cannot serve another until «Отключить ИТС».
async fn activate_its(
    w: &mut Write,
    app: &application::Model,
    req: &ProcessRequest,
    today: chrono::NaiveDate,
) -> AppResult<()> {
    use crate::entities::its_subscription as its;
    let Some(login) = &app.its_login else {
        return Ok(());
    };
    let usable: Vec<its::Model> = its::Entity::find()
        .filter(its::Column::PortalLogin.eq(login))
        .filter(its::Column::Level.eq("PROF"))
        .filter(its::Column::StartsOn.lte(today))
        .filter(its::Column::EndsOn.gte(today))
        .all(&**w)
        .await?
        .into_iter()
        .filter(|s| {
            s.activated_for_inn.is_none()
                || (s.activated_for_inn.as_ref() == Some(&app.inn)
                    && s.activated_for_kpp == app.kpp)
        })
        .collect();
    let chosen = match &req.its_subscription {
        Some(reg) => usable.iter().find(|s| &s.registration_number == reg),
        None => usable.first(),
    };
    if let Some(s) = chosen {
        its::Entity::update_many()
            .col_expr(
                its::Column::ActivatedForInn,
                sea_orm::sea_query::Expr::value(Some(app.inn.clone())),
            )
            .col_expr(
                its::Column::ActivatedForKpp,
                sea_orm::sea_query::Expr::value(app.kpp.clone()),
            )
            .filter(its::Column::Id.eq(s.id))
            .exec(&**w)
            .await?;
        w.record(
            Change::new(
                "its_subscription.activate",
                "its_subscription",
                &s.registration_number,
            )
            .after(json!({"inn": app.inn, "kpp": app.kpp})),
        );
    }
    Ok(())
}
