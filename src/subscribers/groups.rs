//! Groups of companies (§2.5, §11.1, §12.3): a head and members; who may join; who is
//! active (a current licence, or within 30 days after it ended); the group form and its
//! export.

use crate::extract::Path;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, NaiveDate};
use maud::{Markup, html};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, ModelTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service;
use crate::AppState;
use crate::api::ApiJson;
use crate::audit::{Change, Write};
use crate::auth::{Csrf, CurrentUser, Role};
use crate::entities::{company_group, company_group_member, licence, subscriber};
use crate::error::{AppError, AppResult};
use crate::tariffs::licence::LicenceState;
use crate::web::components::{date_ru, table, yes_no};
use crate::web::layout::{self, csrf_field};

/// Days a member stays active after its licence ended (time to renew).
pub const GRACE_DAYS: i64 = 30;

/// A licence as the activity rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    pub state: LicenceState,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Active while a licence is current, and for 30 days after it ends.
pub fn is_active(terms: &[Term], on: NaiveDate) -> bool {
    terms.iter().any(|t| {
        t.state != LicenceState::Revoked
            && t.starts_on <= on
            && on <= t.ends_on + Duration::days(GRACE_DAYS)
    })
}

/// The tariff licences of a subscriber as the activity rule reads them.
pub fn terms(licences: &[licence::Model]) -> Vec<Term> {
    licences
        .iter()
        .filter(|l| l.kind == "tariff")
        .map(|l| Term {
            state: l.state,
            starts_on: l.starts_on,
            ends_on: l.ends_on,
        })
        .collect()
}

async fn licences_of(st: &AppState, subscriber_id: i64) -> AppResult<Vec<licence::Model>> {
    Ok(licence::Entity::find()
        .filter(licence::Column::SubscriberId.eq(subscriber_id))
        .all(&st.db)
        .await?)
}

fn on_right_choice(ls: &[licence::Model]) -> bool {
    ls.iter()
        .any(|l| l.tariff_code == "right_choice" && l.state != LicenceState::Revoked)
}

pub async fn group_of<C: sea_orm::ConnectionTrait>(
    db: &C,
    subscriber_id: i64,
) -> AppResult<Option<company_group::Model>> {
    if let Some(g) = company_group::Entity::find()
        .filter(company_group::Column::HeadSubscriberId.eq(subscriber_id))
        .one(db)
        .await?
    {
        return Ok(Some(g));
    }
    let Some(m) = company_group_member::Entity::find()
        .filter(company_group_member::Column::SubscriberId.eq(subscriber_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(company_group::Entity::find_by_id(m.group_id)
        .one(db)
        .await?)
}

/// A group the user may see.
///
/// # Errors
/// `NotFound` for another partner's group.
pub async fn find(st: &AppState, user: &CurrentUser, id: i64) -> AppResult<company_group::Model> {
    company_group::Entity::find_by_id(id)
        .filter(user.scope.partner_column(company_group::Column::PartnerId))
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Creates a group headed by a subscriber of the user's partner.
///
/// # Errors
/// `Invalid` naming `head_subscriber_id` when the rules refuse.
pub async fn create(
    st: &AppState,
    user: &CurrentUser,
    head_id: i64,
    name: Option<String>,
) -> AppResult<company_group::Model> {
    user.require(&[Role::Partner])?;
    let head = service::find(st, user, head_id).await?;
    if group_of(&st.db, head.id).await?.is_some() {
        return Err(AppError::invalid(
            "head_subscriber_id",
            "организация уже состоит в группе компаний",
        ));
    }
    if on_right_choice(&licences_of(st, head.id).await?) {
        return Err(AppError::invalid(
            "head_subscriber_id",
            "абонент на тарифе «Верное решение» не может входить в группу",
        ));
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let g = company_group::ActiveModel {
        id: NotSet,
        partner_id: Set(head.partner_id),
        head_subscriber_id: Set(head.id),
        name: Set(name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("Группа «{}»", head.short_name))),
        created_at: Set(w.at()),
    }
    .insert(&*w)
    .await?;
    w.record(
        Change::new("company_group.create", "company_group", g.id)
            .after(json!({"head": head.id, "name": g.name})),
    );
    w.commit().await?;
    Ok(g)
}

/// Adds a member (§2.5: only after the head is registered; Верное решение is refused).
///
/// # Errors
/// `Invalid` naming `subscriber_id` when the rules refuse.
pub async fn add_member(
    st: &AppState,
    user: &CurrentUser,
    group_id: i64,
    subscriber_id: i64,
) -> AppResult<()> {
    user.require(&[Role::Partner])?;
    let g = find(st, user, group_id).await?;
    let member = service::find(st, user, subscriber_id).await?;
    if group_of(&st.db, member.id).await?.is_some() {
        return Err(AppError::invalid(
            "subscriber_id",
            "организация уже состоит в группе компаний",
        ));
    }
    if on_right_choice(&licences_of(st, member.id).await?) {
        return Err(AppError::invalid(
            "subscriber_id",
            "абонент на тарифе «Верное решение» не может входить в группу",
        ));
    }
    // §2.5: members attach only after the head's certificate is registered; the head's
    // registered licence is the registration that tells so.
    let head_registered = licences_of(st, g.head_subscriber_id)
        .await?
        .iter()
        .any(|l| l.state == LicenceState::Registered);
    if !head_registered {
        return Err(AppError::invalid(
            "subscriber_id",
            "участника можно присоединить только после регистрации головной организации",
        ));
    }
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    company_group_member::ActiveModel {
        id: NotSet,
        group_id: Set(g.id),
        subscriber_id: Set(member.id),
        joined_at: Set(w.at()),
    }
    .insert(&*w)
    .await?;
    w.record(
        Change::new("company_group.add_member", "company_group", g.id)
            .after(json!({"subscriber": member.id})),
    );
    w.commit().await
}

/// Joins `member_id` to the group headed by the subscriber with ИНН `head_inn` (and
/// `head_kpp`, none for a sole trader) — from the member's card, as the manual's form
/// asks (l.1420–1424). The head must be one of the partner's subscribers heading a group;
/// the member rules of [`add_member`] apply.
///
/// # Errors
/// `Invalid` naming `head_inn` when no such head is found, or `subscriber_id` as
/// [`add_member`] refuses.
pub async fn join_by_head(
    st: &AppState,
    user: &CurrentUser,
    member_id: i64,
    head_inn: &str,
    head_kpp: Option<&str>,
) -> AppResult<company_group::Model> {
    user.require(&[Role::Partner])?;
    let inn = head_inn.trim();
    crate::requisites::inn(inn).map_err(|m| AppError::invalid("head_inn", m))?;
    let kpp = head_kpp.map(str::trim).filter(|k| !k.is_empty());
    if let Some(k) = kpp {
        crate::requisites::kpp(k).map_err(|m| AppError::invalid("head_kpp", m))?;
    }
    let heads = subscriber::Entity::find()
        .filter(user.scope.subscribers())
        .filter(subscriber::Column::Inn.eq(inn))
        .filter(match kpp {
            Some(k) => subscriber::Column::Kpp.eq(k),
            None => subscriber::Column::Kpp.is_null(),
        })
        .all(&st.db)
        .await?;
    if heads.is_empty() {
        return Err(AppError::invalid(
            "head_inn",
            "головная организация с такими ИНН/КПП не найдена среди ваших абонентов",
        ));
    }
    let group = company_group::Entity::find()
        .filter(company_group::Column::HeadSubscriberId.is_in(heads.iter().map(|h| h.id)))
        .filter(user.scope.partner_column(company_group::Column::PartnerId))
        .one(&st.db)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "head_inn",
                "организация с такими ИНН/КПП не возглавляет группу компаний — сначала создайте группу на ее карточке",
            )
        })?;
    add_member(st, user, group.id, member_id).await?;
    Ok(group)
}

/// Removes a member; the head is removed only from its own card (by dissolving the group).
///
/// # Errors
/// `Invalid` for the head; `NotFound` for someone who is not a member.
pub async fn remove_member(
    st: &AppState,
    user: &CurrentUser,
    group_id: i64,
    subscriber_id: i64,
) -> AppResult<()> {
    user.require(&[Role::Partner])?;
    let g = find(st, user, group_id).await?;
    if subscriber_id == g.head_subscriber_id {
        return Err(AppError::invalid(
            "subscriber_id",
            "головная организация удаляется из группы только из своей карточки",
        ));
    }
    let m = company_group_member::Entity::find()
        .filter(company_group_member::Column::GroupId.eq(g.id))
        .filter(company_group_member::Column::SubscriberId.eq(subscriber_id))
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    m.delete(&*w).await?;
    w.record(
        Change::new("company_group.remove_member", "company_group", g.id)
            .before(json!({"subscriber": subscriber_id})),
    );
    w.commit().await
}

/// One row of the group form.
pub struct MemberRow {
    pub subscriber: subscriber::Model,
    pub head: bool,
    pub certificate_end: Option<NaiveDate>,
    pub licence_end: Option<NaiveDate>,
    pub active: bool,
}

/// The group form: members with licence end, active flag; head first.
///
/// # Errors
/// Database errors.
pub async fn rows(st: &AppState, g: &company_group::Model) -> AppResult<Vec<MemberRow>> {
    let mut ids = vec![g.head_subscriber_id];
    ids.extend(
        company_group_member::Entity::find()
            .filter(company_group_member::Column::GroupId.eq(g.id))
            .order_by_asc(company_group_member::Column::Id)
            .all(&st.db)
            .await?
            .into_iter()
            .map(|m| m.subscriber_id),
    );
    let today = st.clock.today();
    let mut out = Vec::new();
    for id in ids {
        let Some(s) = subscriber::Entity::find_by_id(id).one(&st.db).await? else {
            continue;
        };
        let ls = licences_of(st, id).await?;
        let t = terms(&ls);
        let certificate_end = crate::entities::certificate::Entity::find()
            .filter(crate::entities::certificate::Column::SubscriberId.eq(id))
            .filter(crate::entities::certificate::Column::State.eq("active"))
            .all(&st.db)
            .await?
            .iter()
            .map(|c| c.valid_to)
            .max();
        out.push(MemberRow {
            head: id == g.head_subscriber_id,
            certificate_end,
            licence_end: t
                .iter()
                .filter(|t| t.state != LicenceState::Revoked)
                .map(|t| t.ends_on)
                .max(),
            active: is_active(&t, today),
            subscriber: s,
        });
    }
    Ok(out)
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_create))
        .routes(routes!(api_show))
        .routes(routes!(api_add))
        .routes(routes!(api_remove))
        .routes(routes!(api_join))
}

pub fn web_routes() -> Router<AppState> {
    Router::new()
        .route("/company-groups/{id}", get(page))
        .route("/company-groups/{id}/export.csv", get(export))
        .route("/company-groups/{id}/members", post(web_add))
        .route(
            "/company-groups/{id}/members/{subscriber}/remove",
            post(web_remove),
        )
        .route("/subscribers/{id}/company-group", post(web_create))
        .route("/subscribers/{id}/join-group", post(web_join))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupCreateBody {
    head_subscriber_id: i64,
    name: Option<String>,
}

fn group_json(g: &company_group::Model, rows: &[MemberRow]) -> Value {
    json!({
        "id": g.id, "name": g.name, "head_subscriber_id": g.head_subscriber_id,
        "active": rows.iter().filter(|r| r.active).count(), "total": rows.len(),
        "members": rows.iter().map(|r| json!({
            "subscriber_id": r.subscriber.id, "inn": r.subscriber.inn, "kpp": r.subscriber.kpp,
            "short_name": r.subscriber.short_name, "head": r.head, "licence_end": r.licence_end,
            "certificate_end": r.certificate_end, "active": r.active,
        })).collect::<Vec<_>>(),
    })
}

#[utoipa::path(post, path = "/company-groups", tag = "Группы компаний", summary = "Создать группу вокруг головной организации", request_body = GroupCreateBody, responses((status = 200, description = "Группа", body = Object), crate::openapi::Refusals))]
async fn api_create(
    State(st): State<AppState>,
    user: CurrentUser,
    ApiJson(b): ApiJson<GroupCreateBody>,
) -> AppResult<Json<Value>> {
    let g = create(&st, &user, b.head_subscriber_id, b.name).await?;
    Ok(Json(group_json(&g, &rows(&st, &g).await?)))
}

#[utoipa::path(get, path = "/company-groups/{id}", tag = "Группы компаний", summary = "Группа: участники, окончание лицензий, активность", params(("id" = i64, Path, description = "Группа")), responses((status = 200, description = "`{id, name, members, active, total}`", body = Object), crate::openapi::Refusals))]
async fn api_show(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Value>> {
    let g = find(&st, &user, id).await?;
    Ok(Json(group_json(&g, &rows(&st, &g).await?)))
}

/// Joining a group from the member's card.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct JoinBody {
    /// ИНН головной организации
    head_inn: String,
    /// КПП головной организации (для ИП не указывается)
    #[serde(default)]
    head_kpp: Option<String>,
}

#[utoipa::path(post, path = "/subscribers/{id}/join-group", tag = "Группы компаний", summary = "Вступить в группу компаний с карточки участника: по ИНН/КПП головной организации (партнер)", params(("id" = i64, Path, description = "Абонент-участник")), request_body = JoinBody, responses((status = 200, description = "Группа", body = Object), crate::openapi::Refusals))]
async fn api_join(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<JoinBody>,
) -> AppResult<Json<Value>> {
    let g = join_by_head(&st, &user, id, &b.head_inn, b.head_kpp.as_deref()).await?;
    Ok(Json(group_json(&g, &rows(&st, &g).await?)))
}

#[derive(Deserialize)]
struct JoinForm {
    head_inn: String,
    #[serde(default)]
    head_kpp: String,
}

async fn web_join(
    State(st): State<AppState>,
    Path(sub): Path<i64>,
    Csrf(user, f): Csrf<JoinForm>,
) -> AppResult<Response> {
    let r = join_by_head(&st, &user, sub, &f.head_inn, Some(f.head_kpp.as_str()))
        .await
        .map(|g| format!("Организация вступила в группу «{}».", g.name));
    flash_and_back(&st, &user, format!("/subscribers/{sub}"), r).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupMemberBody {
    subscriber_id: i64,
}

#[utoipa::path(post, path = "/company-groups/{id}/members", tag = "Группы компаний", summary = "Добавить участника", params(("id" = i64, Path, description = "Группа")), request_body = GroupMemberBody, responses((status = 200, description = "Группа", body = Object), crate::openapi::Refusals))]
async fn api_add(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<GroupMemberBody>,
) -> AppResult<Json<Value>> {
    add_member(&st, &user, id, b.subscriber_id).await?;
    let g = find(&st, &user, id).await?;
    Ok(Json(group_json(&g, &rows(&st, &g).await?)))
}

#[utoipa::path(delete, path = "/company-groups/{id}/members/{subscriber}", tag = "Группы компаний", summary = "Исключить участника", params(("id" = i64, Path, description = "Группа"), ("subscriber" = i64, Path, description = "Абонент")), responses((status = 200, description = "Группа", body = Object), crate::openapi::Refusals))]
async fn api_remove(
    State(st): State<AppState>,
    user: CurrentUser,
    Path((id, sub)): Path<(i64, i64)>,
) -> AppResult<Json<Value>> {
    remove_member(&st, &user, id, sub).await?;
    let g = find(&st, &user, id).await?;
    Ok(Json(group_json(&g, &rows(&st, &g).await?)))
}

async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let g = find(&st, &user, id).await?;
    let rows = rows(&st, &g).await?;
    let active = rows.iter().filter(|r| r.active).count();
    Ok(layout::page(
        &user,
        "subscribers",
        &g.name,
        html! {
            p { "Активных участников: " b { (active) " / " (rows.len()) } span.muted { " — участник активен, пока действует его лицензия, и 30 дней после её окончания." } }
            (table(&["Организация", "ИНН", "КПП", "Роль", "Окончание сертификата", "Окончание лицензии", "Активен", ""], rows.iter().map(|r| html! { tr {
                td { a href={ "/subscribers/" (r.subscriber.id) } { (r.subscriber.short_name) } }
                td { (r.subscriber.inn) } td { (r.subscriber.kpp.as_deref().unwrap_or("")) }
                td { (if r.head { "Головная" } else { "Участник" }) }
                td { (r.certificate_end.map(date_ru).unwrap_or_default()) }
                td { (r.licence_end.map(date_ru).unwrap_or_default()) }
                td { (yes_no(r.active)) }
                td { @if !r.head && user.role == Role::Partner {
                    form.inline method="post" action={ "/company-groups/" (g.id) "/members/" (r.subscriber.id) "/remove" } {
                        (csrf_field(&user))
                        button.secondary type="submit" data-confirm="Исключить организацию из группы компаний?" { "Исключить" }
                    }
                } }
            } })))
            @if user.role == Role::Partner {
                form.toolbar method="post" action={ "/company-groups/" (g.id) "/members" } {
                    (csrf_field(&user))
                    label { "ИНН участника" input type="text" name="inn" required pattern="[0-9]{10}|[0-9]{12}"; }
                    label { "КПП" input type="text" name="kpp"; }
                    button.primary type="submit" { "Добавить в группу" }
                }
            }
            a.button.secondary href={ "/company-groups/" (g.id) "/export.csv" } { "Экспорт (CSV)" }
        },
    ))
}

async fn export(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let g = find(&st, &user, id).await?;
    let rows = rows(&st, &g).await?;
    let sheet = crate::export::Sheet {
        title: g.name.clone(),
        headers: vec![
            "Организация",
            "ИНН",
            "КПП",
            "Роль",
            "Окончание лицензии",
            "Активен",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.subscriber.short_name.clone(),
                    r.subscriber.inn.clone(),
                    r.subscriber.kpp.clone().unwrap_or_default(),
                    if r.head {
                        "Головная"
                    } else {
                        "Участник"
                    }
                    .to_owned(),
                    r.licence_end.map(date_ru).unwrap_or_default(),
                    if r.active { "Да" } else { "Нет" }.to_owned(),
                ]
            })
            .collect(),
    };
    crate::export::respond(&sheet, "csv", &format!("gruppa-{}", g.id))
}

#[derive(Deserialize)]
struct AddForm {
    inn: String,
    #[serde(default)]
    kpp: String,
}

async fn flash_and_back(
    st: &AppState,
    user: &CurrentUser,
    back: String,
    result: AppResult<String>,
) -> AppResult<Response> {
    crate::web::after_action(st, user, &back, crate::web::Subject::Other, result).await
}

async fn web_add(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Csrf(user, f): Csrf<AddForm>,
) -> AppResult<Response> {
    let kpp = Some(f.kpp.trim()).filter(|k| !k.is_empty());
    let mut q = subscriber::Entity::find()
        .filter(user.scope.subscribers())
        .filter(subscriber::Column::Inn.eq(f.inn.trim()));
    if let Some(k) = kpp {
        q = q.filter(subscriber::Column::Kpp.eq(k));
    }
    let result = match q.one(&st.db).await? {
        Some(s) => add_member(&st, &user, id, s.id)
            .await
            .map(|()| format!("«{}» добавлена в группу.", s.short_name)),
        None => Err(AppError::invalid(
            "inn",
            "абонент с этими ИНН и КПП не найден среди ваших абонентов",
        )),
    };
    flash_and_back(&st, &user, format!("/company-groups/{id}"), result).await
}

async fn web_remove(
    State(st): State<AppState>,
    Path((id, sub)): Path<(i64, i64)>,
    Csrf(user, _): Csrf<crate::auth::NoFields>,
) -> AppResult<Response> {
    let result = remove_member(&st, &user, id, sub)
        .await
        .map(|()| "Организация исключена из группы.".to_owned());
    flash_and_back(&st, &user, format!("/company-groups/{id}"), result).await
}

async fn web_create(
    State(st): State<AppState>,
    Path(sub): Path<i64>,
    Csrf(user, _): Csrf<crate::auth::NoFields>,
) -> AppResult<Response> {
    match create(&st, &user, sub, None).await {
        Ok(g) => {
            flash_and_back(
                &st,
                &user,
                format!("/company-groups/{}", g.id),
                Ok("Группа компаний создана.".to_owned()),
            )
            .await
        }
        Err(e) => flash_and_back(&st, &user, format!("/subscribers/{sub}"), Err(e)).await,
    }
}

/// The group a subscriber heads or belongs to, for its card.
///
/// # Errors
/// Database errors.
pub async fn of_subscriber(
    st: &AppState,
    subscriber_id: i64,
) -> AppResult<Option<company_group::Model>> {
    group_of(&st.db, subscriber_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_stays_active_30_days_after_its_licence_ends() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let t = [Term {
            state: LicenceState::Registered,
            starts_on: d("2024-03-01"),
            ends_on: d("2025-03-01"),
        }];
        assert!(is_active(&t, d("2025-03-31")));
        assert!(!is_active(&t, d("2025-04-01")), "31 days after the end");
        assert!(!is_active(
            &[Term {
                state: LicenceState::Revoked,
                ..t[0]
            }],
            d("2025-02-01")
        ));
        assert!(!is_active(&t, d("2024-02-01")), "not started yet");
    }
}
