//! Issuing and finding 1С:Налогоплательщик 8 licences: loads the facts, asks
//! [`super::decide`], asks the licence server, saves with the journal entry. Who may do
//! what is decided here, so the pages and the API cannot disagree: partners issue and see
//! their own; a sales center sees its partners'; the operator sees all. The PIN is shown
//! at issue and once more to the issuing partner, then erased; nobody else ever sees it.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use super::server::Request;
use super::{Basis, IssueFacts};
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role, Scope};
use crate::entities::{its_subscription as its, np8_licence, subscriber};
use crate::error::{AppError, AppResult, FieldError};

/// A request to issue a licence, as the form or the API sends it.
#[derive(Debug, Clone, Default)]
pub struct IssueRequest {
    pub inn: String,
    pub kpp: Option<String>,
    pub basis: Option<Basis>,
    /// The ITS contract's registration number (a free licence).
    pub its_subscription: Option<String>,
    /// The portal login the contract was chosen under (the form's «Логин»): the contract
    /// must be that login's.
    pub its_login: Option<String>,
    /// The subscriber has paid (a paid licence).
    pub paid: bool,
}

/// What [`check`] found the request to be: the organisation and the contract.
#[derive(Debug, Clone)]
pub struct Checked {
    pub inn: String,
    pub kpp: Option<String>,
    pub basis: Basis,
    pub contract: Option<its::Model>,
    /// The partner's subscriber with these ИНН/КПП, if any.
    pub name: String,
}

/// A licence just issued, with its PIN (shown this once).
#[derive(Debug, Clone)]
pub struct Issued {
    pub licence: np8_licence::Model,
    pub pin: String,
}

fn partner_of(user: &CurrentUser) -> AppResult<(i32, i32)> {
    match user.scope {
        Scope::Partner {
            partner_id,
            sales_center_id,
        } => Ok((partner_id, sales_center_id)),
        _ => Err(AppError::Forbidden),
    }
}

/// The licences a caller may see.
fn visible(user: &CurrentUser) -> AppResult<Condition> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])?;
    Ok(match user.scope {
        Scope::Operator => Condition::all(),
        Scope::Partner { partner_id, .. } => {
            Condition::all().add(np8_licence::Column::PartnerId.eq(partner_id))
        }
        Scope::SalesCenter { sales_center_id } => {
            Condition::all().add(np8_licence::Column::SalesCenterId.eq(sales_center_id))
        }
        Scope::IdentificationCenter { .. } | Scope::Intake => return Err(AppError::Forbidden),
    })
}

/// The contracts the portal holds for a login, once the login's e-mail is given as the
/// portal knows it («Изменение параметров подключения ИТС»: Логин, Email, Применить).
///
/// # Errors
/// `Invalid` naming `its_login` (empty, not on the portal) or `email` (malformed, not the
/// portal's for this login); `Forbidden` for anyone but a partner.
pub async fn contracts_of_login(
    st: &AppState,
    user: &CurrentUser,
    login: &str,
    email: &str,
) -> AppResult<Vec<its::Model>> {
    partner_of(user)?;
    let login = login.trim();
    if login.is_empty() {
        return Err(AppError::invalid("its_login", "укажите логин портала ИТС"));
    }
    let email = crate::requisites::email(email).map_err(|m| AppError::invalid("email", m))?;
    let mut contracts = its::Entity::find()
        .filter(its::Column::PortalLogin.eq(login))
        .order_by_desc(its::Column::EndsOn)
        .all(&st.db)
        .await?;
    if contracts.is_empty() {
        return Err(AppError::invalid(
            "its_login",
            "логин не зарегистрирован на портале ИТС",
        ));
    }
    let known: Vec<&str> = contracts
        .iter()
        .filter_map(|c| c.email.as_deref())
        .collect();
    if !known.is_empty() && !known.iter().any(|k| k.eq_ignore_ascii_case(&email)) {
        return Err(AppError::invalid(
            "email",
            "e-mail не совпадает с указанным на портале ИТС для этого логина",
        ));
    }
    contracts.sort_by_key(|c| (c.level != "PROF", std::cmp::Reverse(c.ends_on)));
    Ok(contracts)
}

/// Checks a request without issuing: what the confirmation («Выдать лицензию» / «Не
/// выдавать лицензию») is shown for. The payment is not asked yet: the confirmation asks it.
///
/// # Errors
/// As [`issue`], except `paid`.
pub async fn check(st: &AppState, user: &CurrentUser, r: &IssueRequest) -> AppResult<Checked> {
    checked(st, user, r, true).await
}

async fn checked(
    st: &AppState,
    user: &CurrentUser,
    r: &IssueRequest,
    before_confirmation: bool,
) -> AppResult<Checked> {
    let (partner_id, _) = partner_of(user)?;
    let mut errors = Vec::new();
    let basis = r.basis;
    if basis.is_none() {
        errors.push(FieldError::new(
            "basis",
            "выберите основание: базовый договор (платно) или договор 1С:ИТС ПРОФ (бесплатно)",
        ));
    }
    let requisites = match crate::requisites::inn_kpp(&r.inn, r.kpp.as_deref()) {
        Ok((inn, kpp)) => {
            let sole_trader = inn.as_str().len() == 12;
            match (sole_trader, &kpp) {
                (true, Some(_)) => {
                    errors.push(FieldError::new(
                        "kpp",
                        "у индивидуального предпринимателя нет КПП",
                    ));
                    None
                }
                (false, None) => {
                    errors.push(FieldError::new("kpp", "укажите КПП организации"));
                    None
                }
                _ => Some((inn.into_string(), kpp.map(|k| k.into_string()))),
            }
        }
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let its_number = r
        .its_subscription
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if basis == Some(Basis::Paid) && its_number.is_some() {
        errors.push(FieldError::new(
            "its_subscription",
            "платная лицензия выдается без договора 1С:ИТС: снимите выбор договора или выберите бесплатную выдачу",
        ));
    }
    let (Some(basis), Some((inn, kpp)), true) = (basis, requisites, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let contract = match (basis, its_number) {
        (Basis::ItsProf, Some(n)) => {
            let mut q = its::Entity::find().filter(its::Column::RegistrationNumber.eq(n));
            if let Some(login) = r
                .its_login
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
            {
                q = q.filter(its::Column::PortalLogin.eq(login));
            }
            q.one(&st.db).await?
        }
        _ => None,
    };
    let contract_used = match &contract {
        Some(c) => np8_licence::Entity::find()
            .filter(np8_licence::Column::ItsRegistrationNumber.eq(&c.registration_number))
            .one(&st.db)
            .await?
            .is_some(),
        None => false,
    };
    let existing = np8_licence::Entity::find()
        .filter(np8_licence::Column::Inn.eq(&inn))
        .filter(np8_licence::Column::Kpp.eq(kpp.clone().unwrap_or_default()))
        .one(&st.db)
        .await?
        .map(|l| (l.partner_id == partner_id).then_some(l.number));
    super::decide(&IssueFacts {
        basis,
        paid: r.paid || before_confirmation,
        inn: &inn,
        kpp: kpp.as_deref(),
        contract: contract.as_ref(),
        contract_used,
        existing,
        today: st.clock.today(),
    })?;
    let name = subscriber::Entity::find()
        .filter(user.scope.subscribers())
        .filter(subscriber::Column::Inn.eq(&inn))
        .filter(match &kpp {
            Some(k) => subscriber::Column::Kpp.eq(k),
            None => subscriber::Column::Kpp.is_null(),
        })
        .order_by_desc(subscriber::Column::Id)
        .one(&st.db)
        .await?
        .map(|s| s.short_name)
        .unwrap_or_default();
    Ok(Checked {
        inn,
        kpp,
        basis,
        contract,
        name,
    })
}

/// «Выдать лицензию»: checks the request, asks the licence server for a number and a PIN,
/// saves the licence and journals it (without the PIN).
///
/// # Errors
/// `Forbidden` for anyone but a partner; `Invalid` naming `basis`, `inn`, `kpp`, `paid`
/// or `its_subscription`; `Refused` naming `already_issued` or `its_contract_used`;
/// `Refused` (`licence_server`) when the licence server refuses.
pub async fn issue(st: &AppState, user: &CurrentUser, r: &IssueRequest) -> AppResult<Issued> {
    let (partner_id, sales_center_id) = partner_of(user)?;
    let c = checked(st, user, r, false).await?;
    let request = Request {
        inn: &c.inn,
        kpp: c.kpp.as_deref(),
        basis: c.basis,
    };
    let mut issued = None;
    for _ in 0..3 {
        let i = st.np8.issue(&request).map_err(|m| {
            AppError::refused("licence_server", format!("Сервер лицензий отказал: {m}"))
        })?;
        let taken = np8_licence::Entity::find()
            .filter(np8_licence::Column::Number.eq(&i.number))
            .one(&st.db)
            .await?
            .is_some();
        if !taken {
            issued = Some(i);
            break;
        }
    }
    let issued = issued.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("the licence server repeated taken numbers"))
    })?;
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let inserted = np8_licence::ActiveModel {
        id: NotSet,
        partner_id: Set(partner_id),
        sales_center_id: Set(sales_center_id),
        inn: Set(c.inn.clone()),
        kpp: Set(c.kpp.clone().unwrap_or_default()),
        name: Set(c.name.clone()),
        basis: Set(c.basis),
        its_registration_number: Set(c.contract.as_ref().map(|k| k.registration_number.clone())),
        number: Set(issued.number.clone()),
        pin: Set(Some(issued.pin.clone())),
        pin_shown_again_at: Set(None),
        issued_at: Set(w.at()),
        issued_by: Set(user.login.clone()),
    }
    .insert(&*w)
    .await;
    let licence = match inserted {
        Ok(l) => l,
        // Two partners pressed «Выдать лицензию» for one organisation at once: the
        // unique index kept one; the other hears why.
        Err(e) => {
            drop(w);
            checked(st, user, r, false).await?;
            return Err(e.into());
        }
    };
    w.record(
        Change::new("np8.issue", "np8_licence", licence.id).after(json!({
            "inn": licence.inn, "kpp": licence.kpp, "basis": licence.basis,
            "number": licence.number, "its_subscription": licence.its_registration_number,
        })),
    );
    w.commit().await?;
    Ok(Issued {
        licence,
        pin: issued.pin,
    })
}

/// One licence the caller may see.
///
/// # Errors
/// `NotFound` outside the caller's scope; `Forbidden` for other roles.
pub async fn find(st: &AppState, user: &CurrentUser, id: i64) -> AppResult<np8_licence::Model> {
    np8_licence::Entity::find_by_id(id)
        .filter(visible(user)?)
        .one(&st.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// «Выданные лицензии на 1С:НП 8»: newest first; `q` finds by ИНН or licence number
/// (prefix), the ITS contract's number, or a part of the name.
///
/// # Errors
/// `Forbidden` for roles without the section.
pub async fn search(
    st: &AppState,
    user: &CurrentUser,
    q: Option<&str>,
    page: u64,
    per_page: u64,
) -> AppResult<(Vec<np8_licence::Model>, u64)> {
    let mut s = np8_licence::Entity::find().filter(visible(user)?);
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let mut c = Condition::any()
            .add(np8_licence::Column::ItsRegistrationNumber.eq(q))
            .add(crate::db::contains(np8_licence::Column::Name, q));
        if q.chars().all(|c| c.is_ascii_digit()) {
            c = c
                .add(np8_licence::Column::Inn.starts_with(q))
                .add(np8_licence::Column::Number.starts_with(q));
        }
        s = s.filter(c);
    }
    let total = s.clone().count(&st.db).await?;
    let rows = if per_page == 0 {
        s.order_by_desc(np8_licence::Column::Id).all(&st.db).await?
    } else {
        s.order_by_desc(np8_licence::Column::Id)
            .offset((page.clamp(1, crate::params::MAX_PAGE) - 1) * per_page)
            .limit(per_page)
            .all(&st.db)
            .await?
    };
    Ok((rows, total))
}

/// Whether this caller may ask for the PIN once more: the issuing partner, while it is kept.
pub fn may_show_pin(user: &CurrentUser, l: &np8_licence::Model) -> bool {
    matches!(user.scope, Scope::Partner { partner_id, .. } if partner_id == l.partner_id)
        && l.pin.is_some()
}

/// «Показать пин-код»: the PIN once more, to the issuing partner only; then it is erased.
/// Journalled (without the PIN).
///
/// # Errors
/// `NotFound` outside the scope; `Forbidden` for a sales center or the operator (they
/// never see PINs); `Refused` (`pin_already_shown`) the second time.
pub async fn show_pin(
    st: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<(np8_licence::Model, String)> {
    let l = find(st, user, id).await?;
    partner_of(user)?;
    let Some(pin) = l.pin.clone() else {
        let when = l
            .pin_shown_again_at
            .map(crate::web::components::datetime_ru)
            .unwrap_or_default();
        return Err(AppError::refused(
            "pin_already_shown",
            format!(
                "Пин-код лицензии № {} уже был показан повторно {when} и больше не хранится. Если абонент его потерял, обратитесь на линию консультаций 1С.",
                l.number
            ),
        ));
    };
    let mut w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    // Erased only if nobody erased it first: the PIN is handed out once.
    let res = np8_licence::Entity::update_many()
        .col_expr(
            np8_licence::Column::Pin,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .col_expr(
            np8_licence::Column::PinShownAgainAt,
            sea_orm::sea_query::Expr::value(w.at()),
        )
        .filter(np8_licence::Column::Id.eq(l.id))
        .filter(np8_licence::Column::Pin.is_not_null())
        .exec(&*w)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::Stale {
            current_state: None,
        });
    }
    w.record(Change::new("np8.show_pin", "np8_licence", l.id).after(json!({"number": l.number})));
    w.commit().await?;
    Ok((l, pin))
}

/// The registry as a sheet for CSV and XLSX (PINs are never exported).
pub fn sheet(
    rows: &[np8_licence::Model],
    partners: &std::collections::HashMap<i32, String>,
) -> crate::export::Sheet {
    use crate::web::components::datetime_ru;
    crate::export::Sheet {
        title: "Лицензии на 1С:НП 8".to_owned(),
        headers: vec![
            "Рег. номер лицензии",
            "ИНН",
            "КПП",
            "Наименование",
            "Основание",
            "Договор 1С:ИТС",
            "Партнер",
            "Выдана",
            "Выдал",
        ],
        rows: rows
            .iter()
            .map(|l| {
                vec![
                    l.number.clone(),
                    l.inn.clone(),
                    l.kpp.clone(),
                    l.name.clone(),
                    l.basis.title_ru().to_owned(),
                    l.its_registration_number.clone().unwrap_or_default(),
                    partners.get(&l.partner_id).cloned().unwrap_or_default(),
                    datetime_ru(l.issued_at),
                    l.issued_by.clone(),
                ]
            })
            .collect(),
    }
}
