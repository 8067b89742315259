//! The processing pipeline's registration step: when an application reaches
//! `registered`, its organisation becomes (or stays) a subscriber of the partner, gets a
//! product account, and the licence chosen at "В обработку" (plus the CryptoPro
//! extension when requested), priced from the catalog for the partner's zone.

use chrono::{DateTime, Months, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::audit::{Change, Write};
use crate::clock::moscow;
use crate::entities::{application, licence, partner, product_account, subscriber, tariff};
use crate::error::{AppError, AppResult};
use crate::tariffs::connection::{ConnectionOption, ProcessRequest, tariff_code};
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

#[allow(clippy::too_many_arguments)]
async fn add_licence(
    w: &mut Write,
    sub: &subscriber::Model,
    product: Option<i64>,
    t: &tariff::Model,
    primary: bool,
    option: Option<&str>,
    app_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let starts = now.with_timezone(&moscow()).date_naive();
    let ends = starts
        .checked_add_months(Months::new(u32::try_from(t.term_months).unwrap_or(12)))
        .unwrap_or(starts);
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
    }
    .insert(&**w)
    .await?;
    w.record(Change::new("licence.create", "licence", l.id).after(json!({
        "subscriber": sub.id, "tariff": l.tariff_code, "cost": l.cost, "ends_on": l.ends_on,
        "state": l.state,
    })));
    // Born «В ожидании» and registered through the machine, like every licence change.
    super::licences::licence_transition_in(
        w,
        &l,
        LicenceEvent::Register,
        Some(format!("Заявление №{app_id}")),
    )
    .await?;
    Ok(())
}

/// Registers the subscriber, product account and licences of a registered application,
/// inside the caller's transaction.
///
/// # Errors
/// The application has no partner or no processing request; database errors.
pub async fn register(w: &mut Write, app: &application::Model) -> AppResult<subscriber::Model> {
    let now = w.at();
    let partner_id = app.partner_id.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("application {} has no partner", app.id))
    })?;
    let partner = partner::Entity::find_by_id(partner_id)
        .one(&**w)
        .await?
        .ok_or(AppError::NotFound)?;
    let req: Option<ProcessRequest> = app
        .processing_params
        .as_deref()
        .map(serde_json::from_str)
        .transpose()?;

    let (sub, new) = subscriber_for(w, app, &partner).await?;
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
        created_at: Set(now),
    }
    .insert(&**w)
    .await?;
    super::card::fill_from_application(w, &sub, &product, app).await?;
    let today = now.with_timezone(&moscow()).date_naive();
    if let Some(req) = req
        .as_ref()
        .filter(|r| r.option == ConnectionOption::ItsFree)
    {
        activate_its(w, app, req, today).await?;
    }
    if let Some(req) = &req {
        let code = tariff_code(req, app.legal_form == "sole_trader");
        let t = catalog_row(w, code, partner.tariff_zone, today).await?;
        add_licence(
            w,
            &sub,
            Some(product.id),
            &t,
            new,
            Some(req.option.as_str()),
            app.id,
            now,
        )
        .await?;
    }
    if app.certificate_requested {
        super::certificates::issue(w, &sub, Some(product.id), app).await?;
    }
    if app.cryptopro_licence {
        let t = catalog_row(w, "cryptopro", partner.tariff_zone, today).await?;
        add_licence(w, &sub, Some(product.id), &t, true, None, app.id, now).await?;
    }
    if !new && !sub.connected {
        subscriber::Entity::update_many()
            .col_expr(
                subscriber::Column::Connected,
                sea_orm::sea_query::Expr::value(true),
            )
            .filter(subscriber::Column::Id.eq(sub.id))
            .exec(&**w)
            .await?;
    }
    Ok(sub)
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
                connected: Set(true),
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
