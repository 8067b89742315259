//! Editing a line while the partner works on the reconciliation (manual §12.1–§12.6): a
//! tariff or a permit number re-prices the line and waits for the approvals; a
//! revocation acts at once through the licence machine.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use super::chain::{check_version, header_for_write, record_history};
use super::{CatalogRows, Document, assemble, partner_in_scope, period};
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role};
use crate::entities::{
    licence, partner, product_account, reconciliation, reconciliation_edit, subscriber,
};
use crate::error::{AppError, AppResult};
use crate::reconciliation::builder::{Line, Period};

/// A line edit (interfaces.md: `{tariff_code?, special_offer_number?, revoke?}`).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineEdit {
    /// Новый тариф строки: `paid_licence`, `basic_1y`, `its`, `bonus`, `right_choice`…
    #[serde(default)]
    pub tariff_code: Option<String>,
    /// Номер специального разрешения (УСН, Нулевка), зарегистрированный центром продаж
    #[serde(default)]
    pub special_offer_number: Option<String>,
    /// Новый логин пользователя портала ИТС для учётной записи строки
    #[serde(default)]
    pub its_login: Option<String>,
    /// Отозвать лицензию (необратимо)
    #[serde(default)]
    pub revoke: bool,
    /// Причина отзыва
    #[serde(default)]
    pub reason: Option<String>,
}

/// Tariffs a line may be switched to in the reconciliation (manual §12.1–§12.4).
pub const EDITABLE_TARIFFS: [&str; 6] = [
    "paid_licence",
    "basic_1y",
    "its",
    "bonus",
    "right_choice",
    "promo_month",
];

/// Edits line `line` of an open (or returned) reconciliation: a tariff or a permit number
/// re-prices it now and reaches the licence at approval; a revocation is immediate and
/// irreversible, by the card's own rules.
///
/// # Errors
/// `NotFound` outside the scope or for a line not in the month; `Conflict` naming the
/// state once the partner approved; `Invalid` naming the field the rules refuse;
/// `Stale` on an old version.
pub async fn edit_line(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
    period_text: &str,
    line_id: i64,
    e: &LineEdit,
    expected_version: Option<i32>,
) -> AppResult<Document> {
    let p = period(period_text)?;
    let partner = partner_in_scope(st, user, code).await?;
    user.require(&[Role::Partner])?;
    let l = licence::Entity::find_by_id(line_id)
        .one(&st.db)
        .await?
        .filter(|l| {
            l.registered_on
                .is_some_and(|r| p.first_day() <= r && r <= p.last_day())
        })
        .ok_or(AppError::NotFound)?;
    let owner = subscriber::Entity::find_by_id(l.subscriber_id)
        .one(&st.db)
        .await?
        .filter(|s| s.partner_id == partner.id)
        .ok_or(AppError::NotFound)?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let h = header_for_write(&w, &partner, p).await?;
    check_version(&h, expected_version)?;
    if !h.state.editable() {
        return Err(AppError::conflict(
            h.state.as_str(),
            "edit_line",
            format!(
                "Строки сверки меняются, пока она у партнера; сверка в состоянии «{}».",
                h.state.title_ru()
            ),
        ));
    }
    if e.revoke {
        // One transaction: the state and version checked above, the revocation by the
        // card's rules, and the reconciliation's new version.
        let reason = e
            .reason
            .clone()
            .filter(|r| !r.trim().is_empty())
            .unwrap_or_else(|| format!("Отозвано в сверке за {}", p.title_ru()));
        crate::subscribers::licences::licence_action_in(
            &mut w,
            st,
            user,
            l.id,
            crate::tariffs::licence::LicenceEvent::Revoke,
            Some(reason),
        )
        .await?;
        bump(
            &mut w,
            &h,
            "revoke_line",
            Some(format!("Лицензия {} отозвана", l.id)),
        )
        .await?;
        w.commit().await?;
        return assemble(st, &partner, p).await;
    }
    // A partial edit keeps what an earlier one of this line proposed.
    let earlier = reconciliation_edit::Entity::find()
        .filter(reconciliation_edit::Column::ReconciliationId.eq(h.id))
        .filter(reconciliation_edit::Column::LicenceId.eq(l.id))
        .one(&*w)
        .await?;
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let merged = LineEdit {
        tariff_code: if given(&e.tariff_code) {
            e.tariff_code.clone()
        } else {
            earlier.as_ref().and_then(|x| x.tariff_code.clone())
        },
        special_offer_number: if given(&e.special_offer_number) {
            e.special_offer_number.clone()
        } else {
            earlier
                .as_ref()
                .and_then(|x| x.special_offer_number.clone())
        },
        its_login: if given(&e.its_login) {
            e.its_login.clone()
        } else {
            earlier.as_ref().and_then(|x| x.its_login.clone())
        },
        ..LineEdit::default()
    };
    let (tariff_code, number, its_login) = validated(st, &partner, &owner, &l, &merged).await?;
    let (tariff_code, number) = (tariff_code.as_deref(), number.as_deref());
    reconciliation_edit::Entity::delete_many()
        .filter(reconciliation_edit::Column::ReconciliationId.eq(h.id))
        .filter(reconciliation_edit::Column::LicenceId.eq(l.id))
        .exec(&*w)
        .await?;
    reconciliation_edit::ActiveModel {
        id: NotSet,
        reconciliation_id: Set(h.id),
        licence_id: Set(l.id),
        tariff_code: Set(tariff_code.map(str::to_owned)),
        special_offer_number: Set(number.map(str::to_owned)),
        edited_by: Set(user.login.clone()),
        edited_at: Set(w.at()),
        its_login: Set(its_login.clone()),
    }
    .insert(&*w)
    .await?;
    let what = [
        tariff_code.map(|c| format!("тариф {c}")),
        number.map(|n| format!("спец. разрешение {n}")),
        its_login.as_ref().map(|n| format!("логин ИТС {n}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    bump(
        &mut w,
        &h,
        "edit_line",
        Some(format!("Лицензия {}: {what}", l.id)),
    )
    .await?;
    w.commit().await?;
    assemble(st, &partner, p).await
}

/// The tariff and permit number of an edit, checked by the rules (without saving).
async fn validated(
    st: &AppState,
    partner: &partner::Model,
    owner: &subscriber::Model,
    l: &licence::Model,
    e: &LineEdit,
) -> AppResult<(Option<String>, Option<String>, Option<String>)> {
    if l.kind != "tariff" {
        return Err(AppError::invalid(
            "tariff_code",
            "расширение (КриптоПро) не меняется в сверке",
        ));
    }
    let tariff_code = e
        .tariff_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let number = e
        .special_offer_number
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let its_login = e
        .its_login
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if its_login.is_some_and(|l| l.chars().count() > 100 || l.contains(char::is_whitespace)) {
        return Err(AppError::invalid(
            "its_login",
            "логин пользователя портала ИТС: до 100 знаков, без пробелов",
        ));
    }
    if tariff_code.is_none() && number.is_none() && its_login.is_none() {
        return Err(AppError::invalid(
            "tariff_code",
            "укажите новый тариф, номер специального разрешения или логин ИТС",
        ));
    }
    if let Some(c) = tariff_code
        && !EDITABLE_TARIFFS.contains(&c)
    {
        return Err(AppError::invalid(
            "tariff_code",
            "выберите тариф из списка: Платная лицензия, Основной (1 год), ИТС, Бонус, Верное решение, Промо",
        ));
    }
    check_edit(st, partner, owner, l, (tariff_code, number, its_login)).await?;
    Ok((
        tariff_code.map(str::to_owned),
        number.map(str::to_owned),
        its_login.map(str::to_owned),
    ))
}

/// A line as it is and, for a proposed edit, as it would be — priced by the same
/// builder, or the rule that refuses it (manual §12: «Стоимость подключения» recomputed
/// before «Сохранить»).
pub struct EditPreview {
    /// The tariffs the line may be switched to, `(code, the catalog's name)`.
    pub choices: Vec<(&'static str, String)>,
    pub document: Document,
    pub before: Line,
    pub after: Option<Result<Line, AppError>>,
}

/// The preview of editing line `line_id` with `e` (nothing is saved).
///
/// # Errors
/// `NotFound` outside the scope or for a line not in the month; `Forbidden` for roles
/// other than the partner.
pub async fn preview_edit(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
    period_text: &str,
    line_id: i64,
    e: Option<&LineEdit>,
) -> AppResult<EditPreview> {
    let p = period(period_text)?;
    let partner = partner_in_scope(st, user, code).await?;
    user.require(&[Role::Partner])?;
    let document = assemble(st, &partner, p).await?;
    let before = document
        .lines
        .iter()
        .find(|l| l.id == line_id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let after = match e {
        None => None,
        Some(e) => Some(priced_after(st, &partner, p, line_id, e).await?),
    };
    let catalog = CatalogRows::load(&st.db).await?;
    let choices = EDITABLE_TARIFFS
        .iter()
        .map(|c| (*c, catalog.catalog().name_of(c)))
        .collect();
    Ok(EditPreview {
        choices,
        document,
        before,
        after,
    })
}

async fn priced_after(
    st: &AppState,
    partner: &partner::Model,
    p: Period,
    line_id: i64,
    e: &LineEdit,
) -> AppResult<Result<Line, AppError>> {
    let l = licence::Entity::find_by_id(line_id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = subscriber::Entity::find_by_id(l.subscriber_id)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let (tariff_code, number, its_login) = match validated(st, partner, &owner, &l, e).await {
        Ok(v) => v,
        Err(refusal @ AppError::Invalid(_)) => return Ok(Err(refusal)),
        Err(other) => return Err(other),
    };
    let proposed = reconciliation_edit::Model {
        id: 0,
        reconciliation_id: 0,
        licence_id: l.id,
        tariff_code,
        special_offer_number: number,
        edited_by: String::new(),
        edited_at: st.clock.now(),
        its_login,
    };
    let inputs = super::inputs_for(&st.db, std::slice::from_ref(partner), p, &[proposed])
        .await?
        .remove(&partner.id)
        .unwrap_or_default();
    let catalog = CatalogRows::load(&st.db).await?;
    Ok(inputs
        .iter()
        .find(|i| i.licence.id == line_id)
        .map(|i| crate::reconciliation::builder::line(i, &catalog.catalog()))
        .ok_or(AppError::NotFound))
}

/// An edit moves the reconciliation's version (so a page opened before fails its next
/// write) and is kept in its history and the journal.
pub(super) async fn bump(
    w: &mut Write,
    h: &reconciliation::Model,
    event: &str,
    comment: Option<String>,
) -> AppResult<()> {
    if !crate::db::update_versioned(
        &**w,
        reconciliation::Entity::update_many(),
        (reconciliation::Column::Id, h.id),
        (reconciliation::Column::Version, h.version),
    )
    .await?
    {
        return Err(AppError::Stale {
            current_state: Some(h.state.as_str().to_owned()),
        });
    }
    record_history(w, h, event, h.state, comment.clone()).await?;
    w.record(
        Change::new(&format!("reconciliation.{event}"), "reconciliation", h.id)
            .after(json!({"comment": comment})),
    );
    Ok(())
}

/// The rules of the tariff chosen in the reconciliation, by the calculator's quote with
/// the facts processing uses: ITS needs a usable PROF subscription, Бонус its limits,
/// Верное решение a primary connection with one ФНС direction, an offer its region and a
/// permit of the sales center.
async fn check_edit(
    st: &AppState,
    partner: &partner::Model,
    owner: &subscriber::Model,
    l: &licence::Model,
    (tariff_code, number, its_login): (Option<&str>, Option<&str>, Option<&str>),
) -> AppResult<()> {
    use crate::tariffs::pricing::{QuoteRequest, quote};
    let catalog = CatalogRows::load(&st.db).await?;
    let date = l.registered_on.unwrap_or(l.starts_on);
    let mut req = QuoteRequest {
        item: tariff_code.unwrap_or(&l.tariff_code).to_owned(),
        date,
        zone: Some(l.zone),
        primary: l.is_primary,
        organisations: 1,
        apply_promotions: true,
        region_code: Some(owner.region_code.clone()),
        legal_form: Some(owner.legal_form.clone()),
        ..QuoteRequest::default()
    };
    if let Some(n) = number {
        apply_permit(st, partner, owner, n, &mut req).await?;
    }
    if req.item == "its" && !its_usable(st, owner, l, its_login).await? {
        return Err(AppError::invalid(
            if tariff_code.is_some() {
                "tariff_code"
            } else {
                "its_login"
            },
            "у абонента нет действующей подписки ИТС ПРОФ, зарегистрированной на портале ИТС: тариф ИТС недоступен",
        ));
    }
    rule_facts(st, partner, owner, l, &mut req).await?;
    quote(&req, &catalog.catalog()).map_err(|r| {
        let field = match r.field {
            "special_offer_registered_on" | "region_code" | "date" if number.is_some() => {
                "special_offer_number"
            }
            _ => "tariff_code",
        };
        AppError::invalid(field, r.message)
    })?;
    Ok(())
}

/// The offer a permit number names, for its client or any client of its region, priced
/// from the day the number became usable (manual l.549: an offer may be applied in the
/// reconciliation to a licence sold before).
async fn apply_permit(
    st: &AppState,
    partner: &partner::Model,
    owner: &subscriber::Model,
    number: &str,
    req: &mut crate::tariffs::pricing::QuoteRequest,
) -> AppResult<()> {
    let permit = crate::tariffs::permits::find(&st.db, Some(partner.sales_center_id), number)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "special_offer_number",
                "номер специального разрешения не зарегистрирован центром продаж",
            )
        })?;
    crate::tariffs::permits::check(Some(&permit), &owner.inn, st.clock.now())
        .map_err(|m| AppError::invalid("special_offer_number", m))?;
    let registered = permit
        .registered_at
        .with_timezone(&crate::clock::moscow())
        .date_naive();
    req.item = permit.offer_code.clone();
    req.primary = true;
    req.special_offer_registered_on = Some(registered);
    req.date = crate::reconciliation::builder::offer_date(req.date, registered);
    Ok(())
}

/// The facts the chosen tariff's rules read: Верное решение — a primary connection, the
/// ФНС directions and the group; Бонус — the partner's other licences (§2.3).
async fn rule_facts(
    st: &AppState,
    partner: &partner::Model,
    owner: &subscriber::Model,
    l: &licence::Model,
    req: &mut crate::tariffs::pricing::QuoteRequest,
) -> AppResult<()> {
    match req.item.as_str() {
        "right_choice" => {
            req.primary = true;
            req.previously_connected = !l.is_primary;
            let fns = crate::entities::direction::Entity::find()
                .filter(crate::entities::direction::Column::SubscriberId.eq(owner.id))
                .filter(crate::entities::direction::Column::Authority.eq("fns"))
                .count(&st.db)
                .await?;
            req.fns_directions = Some(u32::try_from(fns).unwrap_or(u32::MAX));
            req.in_group = crate::subscribers::groups::group_of(&st.db, owner.id)
                .await?
                .is_some();
        }
        "bonus" => {
            let of_partner = Query::select()
                .column(subscriber::Column::Id)
                .from(subscriber::Entity)
                .and_where(Expr::col(subscriber::Column::PartnerId).eq(partner.id))
                .to_owned();
            let licences = licence::Entity::find()
                .filter(licence::Column::SubscriberId.in_subquery(of_partner))
                .filter(licence::Column::Id.ne(l.id))
                .filter(
                    licence::Column::State
                        .ne(crate::tariffs::licence::LicenceState::Revoked.as_str()),
                )
                .all(&st.db)
                .await?;
            let facts = crate::tariffs::bonus::facts(&licences, req.date);
            req.bonus_held = facts.held;
            req.previous_bonus_ended = Some(facts.previous_ended);
            req.current_subscribers = Some(facts.current_subscribers);
        }
        _ => {}
    }
    Ok(())
}

/// A PROF subscription of the line's ITS login (or one activated for the subscriber) is
/// current on the line's date and not used by another subscriber (§12.1).
async fn its_usable(
    st: &AppState,
    owner: &subscriber::Model,
    l: &licence::Model,
    new_login: Option<&str>,
) -> AppResult<bool> {
    use crate::entities::its_subscription as its;
    let login = match (new_login, l.product_account_id) {
        (Some(login), _) => Some(login.to_owned()),
        (None, Some(id)) => product_account::Entity::find_by_id(id)
            .one(&st.db)
            .await?
            .and_then(|p| p.its_login),
        (None, None) => None,
    };
    let day = l.registered_on.unwrap_or(l.starts_on);
    let mut cond =
        sea_orm::Condition::any().add(its::Column::ActivatedForInn.eq(owner.inn.clone()));
    if let Some(login) = login {
        cond = cond.add(its::Column::PortalLogin.eq(login));
    }
    Ok(its::Entity::find()
        .filter(cond)
        .filter(its::Column::Level.eq("PROF"))
        .filter(its::Column::StartsOn.lte(day))
        .filter(its::Column::EndsOn.gte(day))
        .all(&st.db)
        .await?
        .iter()
        .any(|s| {
            s.activated_for_inn.is_none()
                || (s.activated_for_inn.as_deref() == Some(owner.inn.as_str())
                    && s.activated_for_kpp == owner.kpp)
        }))
}
