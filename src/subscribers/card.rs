//! Editing the subscriber card (§11.1–§11.5): requisites and contacts with a version
//! check, the registration file regenerated when an address is saved, a new card when
//! the КПП changes (the live licences move to it at no cost), contact persons, product
//! contacts by usage (one recipient each), and directions.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, ModelTrait,
    QueryFilter, QueryOrder,
};
use serde::Deserialize;
use serde_json::json;

use super::service;
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{
    contact_person, direction, licence, licence_history, product_account, product_contact,
    subscriber,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::organisation::{Direction, stored};
use crate::requisites;
use crate::tariffs::licence::LicenceState;

/// The registration file: the card as the 1C program imports it.
pub fn registration_file(
    s: &subscriber::Model,
    products: &[product_account::Model],
    directions: &[direction::Model],
    at: DateTime<Utc>,
) -> String {
    let mut out = String::from("[Абонент]\r\n");
    let mut line = |k: &str, v: &str| out.push_str(&format!("{k}={v}\r\n"));
    line("ИНН", &s.inn);
    line("КПП", s.kpp.as_deref().unwrap_or(""));
    line("ОГРН", s.ogrn.as_deref().unwrap_or(""));
    line("Наименование", &s.short_name);
    line("ПолноеНаименование", &s.full_name);
    line("ЮридическийАдрес", &s.legal_address);
    line("ФактическийАдрес", &s.actual_address);
    line("Телефон", &s.phone);
    line("ЭлектроннаяПочта", &s.email);
    line(
        "Сформирован",
        &at.with_timezone(&crate::clock::moscow())
            .format("%d.%m.%Y %H:%M:%S")
            .to_string(),
    );
    for p in products {
        out.push_str(&format!(
            "[Продукт]\r\nGUID={}\r\nКонфигурация={}\r\n",
            p.guid, p.configuration
        ));
    }
    for d in directions {
        out.push_str(&format!(
            "[Направление]\r\nОрган={}\r\nКод={}\r\nКПП={}\r\n",
            d.authority,
            d.code,
            d.kpp.as_deref().unwrap_or("")
        ));
    }
    out
}

async fn regenerate<C: ConnectionTrait>(
    db: &C,
    s: &subscriber::Model,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let products = product_account::Entity::find()
        .filter(product_account::Column::SubscriberId.eq(s.id))
        .all(db)
        .await?;
    let dirs = direction::Entity::find()
        .filter(direction::Column::SubscriberId.eq(s.id))
        .order_by_asc(direction::Column::Id)
        .all(db)
        .await?;
    subscriber::Entity::update_many()
        .col_expr(
            subscriber::Column::RegistrationFile,
            Expr::value(Some(registration_file(s, &products, &dirs, at))),
        )
        .col_expr(
            subscriber::Column::RegistrationFileAt,
            Expr::value(Some(at)),
        )
        .filter(subscriber::Column::Id.eq(s.id))
        .exec(db)
        .await?;
    Ok(())
}

/// «Запросить рег. файл» (§11.6): the registration file is made again from the card as it
/// is now and put up for the subscriber to download; journalled.
///
/// # Errors
/// Scope and role errors; database errors.
pub async fn request_registration_file(
    st: &AppState,
    user: &CurrentUser,
    subscriber_id: i64,
) -> AppResult<DateTime<Utc>> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let s = super::service::find(st, user, subscriber_id).await?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let at = w.at();
    regenerate(&*w, &s, at).await?;
    w.record(
        Change::new("subscriber.registration_file", "subscriber", s.id)
            .after(json!({"registration_file_at": at})),
    );
    w.commit().await?;
    Ok(at)
}

/// Inside the pipeline: directions and product contacts from the application, and the
/// first registration file.
///
/// # Errors
/// Database errors.
pub async fn fill_from_application(
    w: &Write,
    s: &subscriber::Model,
    product: &product_account::Model,
    app: &crate::entities::application::Model,
) -> AppResult<()> {
    let dirs: Vec<Direction> = stored("directions", &app.directions)?;
    for d in dirs {
        direction::ActiveModel {
            id: NotSet,
            subscriber_id: Set(s.id),
            product_account_id: Set(Some(product.id)),
            authority: Set(d.authority.as_str().to_owned()),
            code: Set(d.code),
            kpp: Set(d.kpp),
        }
        .insert(&**w)
        .await?;
    }
    for (usage, value) in [
        ("fns_requirements", Some(app.email.clone())),
        ("status_notifications", app.mobile_phone.clone()),
    ] {
        if let Some(v) = value {
            product_contact::ActiveModel {
                id: NotSet,
                product_account_id: Set(product.id),
                usage: Set(usage.to_owned()),
                value: Set(v),
            }
            .insert(&**w)
            .await?;
        }
    }
    regenerate(&**w, s, w.at()).await
}

/// A renewal names its product: the configuration and ITS login it was sent from are
/// kept on the account (a GUID that names an account updates it, never a second one).
///
/// # Errors
/// Database errors.
pub async fn refresh_product(
    w: &mut Write,
    product: &product_account::Model,
    app: &crate::entities::application::Model,
) -> AppResult<()> {
    let its_login = app.its_login.clone().or_else(|| product.its_login.clone());
    if product.configuration == app.configuration && product.its_login == its_login {
        return Ok(());
    }
    product_account::Entity::update_many()
        .col_expr(
            product_account::Column::Configuration,
            Expr::value(app.configuration.clone()),
        )
        .col_expr(
            product_account::Column::ItsLogin,
            Expr::value(its_login.clone()),
        )
        .filter(product_account::Column::Id.eq(product.id))
        .exec(&**w)
        .await?;
    w.record(
        Change::new("product_account.update", "product_account", product.id)
            .before(json!({"configuration": product.configuration, "its_login": product.its_login}))
            .after(json!({"configuration": app.configuration, "its_login": its_login, "application": app.id})),
    );
    Ok(())
}

/// «Изменение реквизитов, направлений, замена сертификата» (manual §3.2.2): the
/// requisites and contacts of the card, the account's configuration and its directions
/// become the application's; the card's version moves, so an edit opened before fails
/// instead of overwriting; the registration file is made again.
///
/// # Errors
/// Database errors.
pub async fn apply_change(
    w: &mut Write,
    s: &subscriber::Model,
    product: &product_account::Model,
    app: &crate::entities::application::Model,
) -> AppResult<()> {
    refresh_product(w, product, app).await?;
    let before = json!({
        "full_name": s.full_name, "short_name": s.short_name, "ogrn": s.ogrn,
        "pfr_number": s.pfr_number, "fss_number": s.fss_number, "legal_address": s.legal_address,
        "actual_address": s.actual_address, "phone": s.phone, "email": s.email,
    });
    let after = json!({
        "full_name": app.full_name, "short_name": app.short_name, "ogrn": app.ogrn,
        "pfr_number": app.pfr_number, "fss_number": app.fss_number, "legal_address": app.legal_address,
        "actual_address": app.actual_address, "phone": app.phone, "email": app.email,
    });
    let mut changed = s.clone().into_active_model();
    changed.full_name = Set(app.full_name.clone());
    changed.short_name = Set(app.short_name.clone());
    changed.search_key = Set(app.search_key.clone());
    changed.ogrn = Set(app.ogrn.clone());
    changed.pfr_number = Set(app.pfr_number.clone());
    changed.fss_number = Set(app.fss_number.clone());
    changed.legal_address = Set(app.legal_address.clone());
    changed.actual_address = Set(app.actual_address.clone());
    changed.phone = Set(app.phone.clone());
    changed.email = Set(app.email.clone());
    changed.version = Set(s.version + 1);
    let saved = changed.update(&**w).await?;
    direction::Entity::delete_many()
        .filter(direction::Column::ProductAccountId.eq(product.id))
        .exec(&**w)
        .await?;
    let dirs: Vec<Direction> = stored("directions", &app.directions)?;
    for d in &dirs {
        direction::ActiveModel {
            id: NotSet,
            subscriber_id: Set(s.id),
            product_account_id: Set(Some(product.id)),
            authority: Set(d.authority.as_str().to_owned()),
            code: Set(d.code.clone()),
            kpp: Set(d.kpp.clone()),
        }
        .insert(&**w)
        .await?;
    }
    w.record(
        Change::new("subscriber.change_by_application", "subscriber", s.id)
            .before(before)
            .after(json!({"card": after, "directions": dirs.len(), "application": app.id})),
    );
    regenerate(&**w, &saved, w.at()).await
}

/// What may be edited on the card; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardPatch {
    pub short_name: Option<String>,
    pub full_name: Option<String>,
    pub note: Option<String>,
    pub legal_address: Option<String>,
    pub actual_address: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email: Option<String>,
    pub kpp: Option<String>,
}

/// Saves the card. A new КПП makes a new card (returned) and moves the live licences and
/// products to it at no cost; the old card stays, disconnected.
///
/// # Errors
/// `Invalid` naming each bad field; `Stale` on an old version; scope errors.
pub async fn update(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    patch: CardPatch,
    expected_version: Option<i32>,
) -> AppResult<subscriber::Model> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    let s = service::find(st, user, id).await?;
    if expected_version.is_some_and(|v| v != s.version) {
        return Err(AppError::Stale {
            current_state: None,
        });
    }
    let new_kpp = check_patch(&s, &patch)?;
    let now = st.clock.now();
    let mut w = Write::begin(&st.db, user.actor(), now).await?;
    let address_changed = patch
        .legal_address
        .as_deref()
        .is_some_and(|a| a.trim() != s.legal_address)
        || patch
            .actual_address
            .as_deref()
            .is_some_and(|a| a.trim() != s.actual_address);
    let am = patched(&s, &patch);
    let saved_now = crate::db::update_versioned(
        &*w,
        subscriber::Entity::update_many().set(am),
        (subscriber::Column::Id, s.id),
        (subscriber::Column::Version, s.version),
    )
    .await?;
    if !saved_now {
        return Err(AppError::Stale {
            current_state: None,
        });
    }
    let saved = subscriber::Entity::find_by_id(s.id)
        .one(&*w)
        .await?
        .ok_or(AppError::NotFound)?;
    if address_changed {
        regenerate(&*w, &saved, now).await?;
    }
    w.record(
        Change::new("subscriber.update", "subscriber", s.id)
            .before(json!({"short_name": s.short_name, "legal_address": s.legal_address, "actual_address": s.actual_address, "email": s.email}))
            .after(json!({"short_name": saved.short_name, "legal_address": saved.legal_address, "actual_address": saved.actual_address, "email": saved.email, "registration_file_regenerated": address_changed})),
    );
    let result = match new_kpp {
        None => saved,
        Some(k) => move_to_new_kpp(&mut w, &saved, &k).await?,
    };
    w.commit().await?;
    Ok(subscriber::Entity::find_by_id(result.id)
        .one(&st.db)
        .await?
        .unwrap_or(result))
}

/// The patch's refusals, every bad field named; the new КПП when it changes.
fn check_patch(s: &subscriber::Model, patch: &CardPatch) -> AppResult<Option<requisites::Kpp>> {
    let mut errors = Vec::new();
    let mut text = |field: &str, v: &Option<String>, max: usize| {
        if let Some(v) = v
            && (v.trim().is_empty() || v.chars().count() > max)
        {
            errors.push(FieldError::new(field, format!("от 1 до {max} знаков")));
        }
    };
    text("short_name", &patch.short_name, 255);
    text("full_name", &patch.full_name, 1000);
    text("legal_address", &patch.legal_address, 1000);
    text("actual_address", &patch.actual_address, 1000);
    text("phone", &patch.phone, 40);
    if let Some(e) = &patch.email
        && let Err(m) = requisites::email(e)
    {
        errors.push(FieldError::new("email", m));
    }
    let changed = patch
        .kpp
        .as_deref()
        .map(str::trim)
        .filter(|k| Some(*k) != s.kpp.as_deref());
    let mut new_kpp = None;
    if let Some(k) = changed {
        if s.legal_form == "sole_trader" {
            errors.push(FieldError::new("kpp", "у ИП нет КПП"));
        } else {
            match requisites::kpp(k) {
                Ok(k) => new_kpp = Some(k),
                Err(m) => errors.push(FieldError::new("kpp", m)),
            }
        }
    }
    if errors.is_empty() {
        Ok(new_kpp)
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// The card with the patch applied (trimmed; an emptied note or fax is removed) and its
/// search key.
fn patched(s: &subscriber::Model, patch: &CardPatch) -> subscriber::ActiveModel {
    let mut am = s.clone().into_active_model();
    let set = |v: &Option<String>| v.as_ref().map(|x| x.trim().to_owned());
    if let Some(v) = set(&patch.short_name) {
        am.short_name = Set(v);
    }
    if let Some(v) = set(&patch.full_name) {
        am.full_name = Set(v);
    }
    if let Some(v) = &patch.note {
        am.note = Set(Some(v.trim().to_owned()).filter(|n| !n.is_empty()));
    }
    if let Some(v) = set(&patch.legal_address) {
        am.legal_address = Set(v);
    }
    if let Some(v) = set(&patch.actual_address) {
        am.actual_address = Set(v);
    }
    if let Some(v) = set(&patch.phone) {
        am.phone = Set(v);
    }
    if let Some(v) = &patch.fax {
        am.fax = Set(Some(v.trim().to_owned()).filter(|n| !n.is_empty()));
    }
    if let Some(v) = set(&patch.email) {
        am.email = Set(v);
    }
    let short = am.short_name.clone().unwrap();
    let full = am.full_name.clone().unwrap();
    am.search_key = Set(format!("{short} {full}").to_lowercase().replace('ё', "е"));
    am
}

async fn move_to_new_kpp(
    w: &mut Write,
    s: &subscriber::Model,
    kpp: &requisites::Kpp,
) -> AppResult<subscriber::Model> {
    let now = w.at();
    let mut copy = s.clone().into_active_model();
    copy.id = NotSet;
    copy.version = Set(0);
    copy.kpp = Set(Some(kpp.to_string()));
    copy.connected = Set(true);
    copy.created_at = Set(now);
    let new = copy.insert(&**w).await?;
    let live = licence::Entity::find()
        .filter(licence::Column::SubscriberId.eq(s.id))
        .filter(licence::Column::State.ne(LicenceState::Revoked.as_str()))
        .all(&**w)
        .await?;
    for l in &live {
        licence::Entity::update_many()
            .col_expr(licence::Column::SubscriberId, Expr::value(new.id))
            .col_expr(
                licence::Column::Version,
                Expr::col(licence::Column::Version).add(1),
            )
            .filter(licence::Column::Id.eq(l.id))
            .exec(&**w)
            .await?;
        licence_history::ActiveModel {
            id: NotSet,
            licence_id: Set(l.id),
            at: Set(now),
            actor_login: Set(w.actor().login.clone()),
            event: Set("move".to_owned()),
            from_state: Set(Some(l.state.as_str().to_owned())),
            to_state: Set(l.state.as_str().to_owned()),
            reason: Set(Some(format!(
                "Смена КПП {} → {kpp}: перенос на новую карточку без оплаты",
                s.kpp.as_deref().unwrap_or("—")
            ))),
        }
        .insert(&**w)
        .await?;
    }
    for (table_update, name) in [
        (
            product_account::Entity::update_many()
                .col_expr(product_account::Column::SubscriberId, Expr::value(new.id))
                .filter(product_account::Column::SubscriberId.eq(s.id))
                .exec(&**w)
                .await?,
            "products",
        ),
        (
            direction::Entity::update_many()
                .col_expr(direction::Column::SubscriberId, Expr::value(new.id))
                .filter(direction::Column::SubscriberId.eq(s.id))
                .exec(&**w)
                .await?,
            "directions",
        ),
    ] {
        tracing::debug!(
            moved = table_update.rows_affected,
            what = name,
            "kpp change"
        );
    }
    subscriber::Entity::update_many()
        .col_expr(subscriber::Column::Connected, Expr::value(false))
        .filter(subscriber::Column::Id.eq(s.id))
        .exec(&**w)
        .await?;
    regenerate(&**w, &new, now).await?;
    w.record(
        Change::new("subscriber.change_kpp", "subscriber", s.id)
            .after(json!({"new_subscriber": new.id, "kpp": kpp, "licences_moved": live.len()})),
    );
    Ok(new)
}

/// Adds a contact person.
///
/// # Errors
/// `Invalid` naming `full_name` or `email`.
pub async fn add_contact_person(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    full_name: &str,
    position: Option<String>,
    phone: Option<String>,
    email: Option<String>,
) -> AppResult<contact_person::Model> {
    let s = service::find(st, user, id).await?;
    if full_name.trim().chars().count() < 3 {
        return Err(AppError::invalid("full_name", "укажите ФИО"));
    }
    if let Some(e) = email.as_deref().filter(|e| !e.trim().is_empty())
        && let Err(m) = requisites::email(e)
    {
        return Err(AppError::invalid("email", m));
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let c = contact_person::ActiveModel {
        id: NotSet,
        subscriber_id: Set(s.id),
        full_name: Set(full_name.trim().to_owned()),
        position: Set(position.filter(|p| !p.trim().is_empty())),
        phone: Set(phone.filter(|p| !p.trim().is_empty())),
        email: Set(email.filter(|e| !e.trim().is_empty())),
    }
    .insert(&*w)
    .await?;
    w.record(
        Change::new("subscriber.contact_person_add", "subscriber", s.id)
            .after(json!({"name": c.full_name})),
    );
    w.commit().await?;
    Ok(c)
}

/// Sets the one recipient of a notification usage for a product account.
///
/// # Errors
/// `Invalid` naming `usage` or `value`.
pub async fn set_product_contact(
    st: &AppState,
    user: &CurrentUser,
    product_id: i64,
    usage: &str,
    value: &str,
) -> AppResult<product_contact::Model> {
    let p = product_in_scope(st, user, product_id).await?;
    check_contact(usage, value)?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let c = put_contact(&mut w, p.id, usage, value).await?;
    w.commit().await?;
    Ok(c)
}

async fn product_in_scope(
    st: &AppState,
    user: &CurrentUser,
    product_id: i64,
) -> AppResult<product_account::Model> {
    let p = product_account::Entity::find_by_id(product_id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    service::find(st, user, p.subscriber_id).await?;
    Ok(p)
}

/// Whether `value` can receive `usage`'s notifications.
fn check_contact(usage: &str, value: &str) -> AppResult<()> {
    match usage {
        // «Уведомление о требованиях ФНС» goes to an e-mail address.
        "fns_requirements" => {
            requisites::email(value).map_err(|m| AppError::invalid("value", m))?;
        }
        // «Уведомление о статусах» goes to a mobile phone.
        "status_notifications" => {
            let digits = value.chars().filter(char::is_ascii_digit).count();
            if !(10..=15).contains(&digits) {
                return Err(AppError::invalid(
                    "value",
                    "мобильный телефон: от 10 до 15 цифр",
                ));
            }
        }
        _ => {
            return Err(AppError::invalid(
                "usage",
                "fns_requirements или status_notifications",
            ));
        }
    }
    Ok(())
}

/// Replaces the recipient of `usage` within `w`.
async fn put_contact(
    w: &mut Write,
    product_id: i64,
    usage: &str,
    value: &str,
) -> AppResult<product_contact::Model> {
    if let Some(old) = product_contact::Entity::find()
        .filter(product_contact::Column::ProductAccountId.eq(product_id))
        .filter(product_contact::Column::Usage.eq(usage))
        .one(&**w)
        .await?
    {
        old.delete(&**w).await?;
    }
    let c = product_contact::ActiveModel {
        id: NotSet,
        product_account_id: Set(product_id),
        usage: Set(usage.to_owned()),
        value: Set(value.trim().to_owned()),
    }
    .insert(&**w)
    .await?;
    w.record(
        Change::new("product.contact_set", "product_account", product_id)
            .after(json!({"usage": usage, "value": c.value})),
    );
    Ok(c)
}

/// A Russian mobile number: +7 9…, 8 9… or 9… with ten digits after the country code.
pub fn is_mobile(phone: &str) -> bool {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        11 => digits.starts_with("79") || digits.starts_with("89"),
        10 => digits.starts_with('9'),
        _ => false,
    }
}

/// «Копировать из основных реквизитов» (l.1724–1737): the subscriber's e-mail becomes the
/// product's «Уведомление о требованиях ФНС» recipient and its mobile — the card's phone
/// when it is one, else the mobile its application gave — the «Уведомление о статусах»
/// one; both in one transaction. Answers what was set.
///
/// # Errors
/// `Invalid` naming `email` when the card's e-mail cannot receive notifications.
pub async fn copy_contacts_from_requisites(
    st: &AppState,
    user: &CurrentUser,
    product_id: i64,
) -> AppResult<Vec<product_contact::Model>> {
    let p = product_in_scope(st, user, product_id).await?;
    let s = service::find(st, user, p.subscriber_id).await?;
    check_contact("fns_requirements", &s.email)
        .map_err(|_| AppError::invalid("email", "в основных реквизитах нет верного e-mail"))?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    // The card keeps one phone; the mobile the application gave is the other requisite.
    let application_mobile = match p.application_id {
        Some(a) => crate::entities::application::Entity::find_by_id(a)
            .one(&*w)
            .await?
            .and_then(|a| a.mobile_phone),
        None => None,
    };
    let mobile = Some(s.phone.clone())
        .filter(|m| is_mobile(m))
        .or(application_mobile.filter(|m| is_mobile(m)));
    let mut set = vec![put_contact(&mut w, p.id, "fns_requirements", &s.email).await?];
    if let Some(m) = mobile {
        set.push(put_contact(&mut w, p.id, "status_notifications", &m).await?);
    }
    w.commit().await?;
    Ok(set)
}

/// Adds a direction (ФНС inspection with КПП, ПФР office, …).
///
/// # Errors
/// `Invalid` naming `authority`, `code` or `kpp`.
pub async fn add_direction(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    authority: &str,
    code: &str,
    kpp: Option<&str>,
) -> AppResult<direction::Model> {
    let s = service::find(st, user, id).await?;
    // Every problem at once, each naming its field (a too-long code with a bad КПП said
    // only «укажите код органа»).
    let mut errors = Vec::new();
    if !["fns", "pfr", "fss", "rosstat", "rar", "rpn", "fts"].contains(&authority) {
        errors.push(FieldError::new(
            "authority",
            "выберите орган: ФНС, ПФР, ФСС, Росстат, РАР, РПН или ФТС",
        ));
    }
    let code_len = code.trim().chars().count();
    if code_len == 0 {
        errors.push(FieldError::new("code", "укажите код органа"));
    } else if code_len > 20 {
        errors.push(FieldError::new("code", "код органа — не длиннее 20 знаков"));
    }
    let kpp = kpp.map(str::trim).filter(|k| !k.is_empty());
    if let Some(k) = kpp
        && let Err(m) = requisites::kpp(k)
    {
        errors.push(FieldError::new("kpp", m));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let d = direction::ActiveModel {
        id: NotSet,
        subscriber_id: Set(s.id),
        product_account_id: Set(None),
        authority: Set(authority.to_owned()),
        code: Set(code.trim().to_owned()),
        kpp: Set(kpp.map(str::to_owned)),
    }
    .insert(&*w)
    .await?;
    regenerate(&*w, &s, w.at()).await?;
    w.record(
        Change::new("subscriber.direction_add", "subscriber", s.id)
            .after(json!({"authority": d.authority, "code": d.code, "kpp": d.kpp})),
    );
    w.commit().await?;
    Ok(d)
}

/// Removes a direction.
///
/// # Errors
/// `NotFound` for a direction of another subscriber.
pub async fn remove_direction(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
    direction_id: i64,
) -> AppResult<()> {
    let s = service::find(st, user, id).await?;
    let d = direction::Entity::find_by_id(direction_id)
        .filter(direction::Column::SubscriberId.eq(s.id))
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    d.clone().delete(&*w).await?;
    regenerate(&*w, &s, w.at()).await?;
    w.record(
        Change::new("subscriber.direction_remove", "subscriber", s.id)
            .before(json!({"authority": d.authority, "code": d.code})),
    );
    w.commit().await
}

/// Product account settings the card edits: the alias and the active flag (inactive
/// accounts are left out of renewal work and expiry reports).
///
/// # Errors
/// `Invalid` naming `alias`; scope errors.
pub async fn update_product(
    st: &AppState,
    user: &CurrentUser,
    product_id: i64,
    alias: Option<String>,
    active: Option<bool>,
) -> AppResult<product_account::Model> {
    let p = product_account::Entity::find_by_id(product_id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    service::find(st, user, p.subscriber_id).await?;
    let alias = alias.map(|a| a.trim().to_owned());
    if alias.as_deref().is_some_and(|a| a.chars().count() > 100) {
        return Err(AppError::invalid("alias", "не длиннее 100 знаков"));
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let mut am = p.clone().into_active_model();
    if let Some(a) = &alias {
        am.alias = Set(Some(a.clone()).filter(|a| !a.is_empty()));
    }
    if let Some(v) = active {
        am.active = Set(v);
    }
    let saved = am.update(&*w).await?;
    w.record(
        Change::new("product.update", "product_account", p.id)
            .before(json!({"alias": p.alias, "active": p.active}))
            .after(json!({"alias": saved.alias, "active": saved.active})),
    );
    w.commit().await?;
    Ok(saved)
}

#[cfg(test)]
mod mobile_tests {
    #[test]
    fn a_mobile_is_told_from_a_landline() {
        assert!(super::is_mobile("+7 916 123-45-67"));
        assert!(super::is_mobile("8 (916) 123-45-67"));
        assert!(super::is_mobile("9161234567"));
        assert!(!super::is_mobile("+7 4842 40-10-01"), "a Kaluga landline");
        assert!(!super::is_mobile("+7 495 000-00-00"));
        assert!(!super::is_mobile("12345"));
    }
}
