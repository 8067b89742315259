//! The calculator's use cases: load the catalog, build a comparison for what was asked
//! (pricing 1С's own tariffs from the tariff catalog in the region's zone), and the
//! operator's edits of a tariff (version-checked, journalled).

use std::collections::BTreeMap;

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Criteria, DIRECTIONS, OrganisationType, Taxation};
use crate::AppState;
use crate::audit::{Change, Write};
use crate::auth::{CurrentUser, Role, Scope};
use crate::entities::{calculator_capability, calculator_tariff, partner, region, sales_center};
use crate::error::{AppError, AppResult, FieldError};
use crate::money::Money;
use crate::organisation::Authority;

/// Who uses the calculator: partners with their clients, sales centers, the operator.
fn may_use(user: &CurrentUser) -> AppResult<()> {
    user.require(&[Role::Partner, Role::SalesCenter, Role::Operator])
}

/// The calculator's catalog, in the fixture's order.
pub struct Catalog {
    pub capabilities: Vec<calculator_capability::Model>,
    pub tariffs: Vec<calculator_tariff::Model>,
}

/// # Errors
/// `Forbidden` for roles without the calculator; database errors.
pub async fn catalog(st: &AppState, user: &CurrentUser) -> AppResult<Catalog> {
    may_use(user)?;
    Ok(Catalog {
        capabilities: calculator_capability::Entity::find()
            .order_by_asc(calculator_capability::Column::Position)
            .all(&st.db)
            .await?,
        tariffs: calculator_tariff::Entity::find()
            .order_by_asc(calculator_tariff::Column::Position)
            .order_by_asc(calculator_tariff::Column::Id)
            .all(&st.db)
            .await?,
    })
}

/// What the form (or the API's query) asks, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    pub region: Option<String>,
    pub organisation: Option<String>,
    pub taxation: Option<String>,
    pub directions: Vec<String>,
    pub tariff: Option<String>,
    pub compare: Vec<String>,
    pub all: bool,
    /// Taken out of the comparison (the trash icon).
    pub removed: Vec<String>,
}

impl Asked {
    /// From a query string with repeated keys (`dir=fns&dir=pfr&compare=…`).
    pub fn parse(query: &str) -> Asked {
        let mut a = Asked::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let v = v.trim().to_owned();
            match k.as_ref() {
                "region" if !v.is_empty() => a.region = Some(v),
                "organisation" if !v.is_empty() => a.organisation = Some(v),
                "taxation" if !v.is_empty() => a.taxation = Some(v),
                "dir" if !v.is_empty() => a.directions.push(v),
                "tariff" => a.tariff = Some(v),
                "compare" if !v.is_empty() => a.compare.push(v),
                "all" => a.all = v == "1",
                "remove" if !v.is_empty() => a.removed.push(v),
                _ => {}
            }
        }
        a
    }

    /// Back to a query string, the comparison's columns spelled out.
    pub fn query(&self, compare: &[&str], all: bool) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("region", &self.region),
            ("organisation", &self.organisation),
            ("taxation", &self.taxation),
        ] {
            if let Some(v) = v {
                s.append_pair(k, v);
            }
        }
        for d in &self.directions {
            s.append_pair("dir", d);
        }
        if let Some(t) = &self.tariff {
            s.append_pair("tariff", t);
        }
        for c in compare {
            s.append_pair("compare", c);
        }
        if all {
            s.append_pair("all", "1");
        }
        for r in &self.removed {
            s.append_pair("remove", r);
        }
        s.finish()
    }
}

/// A tariff in the comparison with its prices.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Column {
    /// Код тарифа
    pub code: String,
    /// Продукт: «1С», «Контур», «СБИС»
    pub product: String,
    /// Тариф
    pub title: String,
    /// Тариф 1С-Отчетности
    pub own: bool,
    /// Направления, как их предлагает тариф
    pub directions: String,
    /// Цена подключения (для 1С — по тарифной зоне региона; пусто — нет данных)
    #[schema(value_type = Option<String>)]
    pub price: Option<Money>,
    /// Цена продления лицензии
    #[schema(value_type = Option<String>)]
    pub renewal_price: Option<Money>,
    /// Возможности: код → да / нет (нет ключа — нет данных)
    #[schema(value_type = Object)]
    pub capabilities: BTreeMap<String, bool>,
}

/// A row of «Возможности» / «доп. возможности».
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Capability {
    /// Код
    pub code: String,
    /// Название
    pub title: String,
    /// Дополнительная возможность
    pub extra: bool,
}

/// A tariff «Сравнить с:» offers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Offer {
    /// Код тарифа
    pub code: String,
    /// «Оптимальный (Контур)»
    pub label: String,
}

/// The answer: what was asked, checked, and the comparison.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// Регион
    pub region: String,
    /// Название региона
    pub region_name: String,
    /// Тарифная зона региона
    pub zone: i16,
    /// Тип организации
    pub organisation: OrganisationType,
    /// Тип налогообложения
    pub taxation: Taxation,
    /// Направления
    pub directions: Vec<Authority>,
    /// Тарифы в сравнении: выбранный первым
    pub columns: Vec<Column>,
    /// Строки возможностей
    pub capabilities: Vec<Capability>,
    /// «Сравнить с:» — подходящие тарифы, которых нет в сравнении
    pub to_add: Vec<Offer>,
}

/// The region a partner's (or sales center's) comparison starts from: its own.
///
/// # Errors
/// Database errors.
pub async fn own_region(st: &AppState, user: &CurrentUser) -> AppResult<Option<String>> {
    Ok(match user.scope {
        Scope::Partner { partner_id, .. } => partner::Entity::find_by_id(partner_id)
            .one(&st.db)
            .await?
            .map(|p| p.region_code),
        Scope::SalesCenter { sales_center_id } => sales_center::Entity::find_by_id(sales_center_id)
            .one(&st.db)
            .await?
            .map(|s| s.region_code),
        _ => None,
    })
}

/// The checked criteria and region (defaults: the partner's region, ЮЛ, ОСНО, all four
/// directions — until the form is sent without any).
async fn checked(
    st: &AppState,
    user: &CurrentUser,
    asked: &Asked,
) -> AppResult<(region::Model, Criteria)> {
    let mut errors = Vec::new();
    let own_region = own_region(st, user).await?;
    let code = asked.region.clone().or(own_region);
    let region = match &code {
        None => None,
        Some(c) => region::Entity::find_by_id(c.clone()).one(&st.db).await?,
    };
    if region.is_none() {
        errors.push(FieldError::new(
            "region",
            if code.is_none() {
                "укажите регион"
            } else {
                "регион не найден"
            },
        ));
    }
    let organisation = match asked.organisation.as_deref() {
        None => OrganisationType::Legal,
        Some(s) => OrganisationType::parse(s).unwrap_or_else(|| {
            errors.push(FieldError::new("organisation", "ИП, ЮЛ, ГК или НП"));
            OrganisationType::Legal
        }),
    };
    let taxation = match asked.taxation.as_deref() {
        None => Taxation::General,
        Some(s) => Taxation::parse(s).unwrap_or_else(|| {
            errors.push(FieldError::new("taxation", "ОСНО, УСН/ЕНВД или Бюджет"));
            Taxation::General
        }),
    };
    let mut directions = Vec::new();
    for d in &asked.directions {
        match Authority::parse(d).filter(|a| DIRECTIONS.contains(a)) {
            Some(a) if !directions.contains(&a) => directions.push(a),
            Some(_) => {}
            None => errors.push(FieldError::new("dir", "ФНС, ПФР, ФСС или Росстат")),
        }
    }
    if directions.is_empty() {
        if asked.tariff.is_some() {
            errors.push(FieldError::new("dir", "выберите хотя бы одно направление"));
        } else {
            directions = DIRECTIONS.to_vec();
        }
    }
    directions.sort_by_key(|a| DIRECTIONS.iter().position(|d| d == a));
    match (region, errors.is_empty()) {
        (Some(r), true) => Ok((
            r,
            Criteria {
                organisation,
                taxation,
                directions,
            },
        )),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Builds the comparison asked for; `None` until a tariff is chosen.
///
/// # Errors
/// `Forbidden` for roles without the calculator; `Invalid` naming `region`,
/// `organisation`, `taxation`, `dir` or `tariff`; database errors.
pub async fn compare(
    st: &AppState,
    user: &CurrentUser,
    asked: &Asked,
) -> AppResult<Option<Comparison>> {
    let catalog = catalog(st, user).await?;
    let (region, criteria) = checked(st, user, asked).await?;
    let Some(typed) = asked.tariff.as_deref() else {
        return Ok(None);
    };
    let chosen = match typed.trim() {
        "" => Err("начните печатать название тарифа и выберите его из списка"),
        t => super::find(&catalog.tariffs, t).ok_or("тариф не найден: выберите его из списка"),
    }
    .map_err(|m| AppError::invalid("tariff", m))?;
    let shown = super::columns(
        chosen,
        &catalog.tariffs,
        &asked.compare,
        asked.all,
        &asked.removed,
        &criteria,
    );
    let prices =
        crate::tariffs::catalog::list(&st.db, Some(region.tariff_zone), Some(st.clock.today()))
            .await?;
    let columns = shown
        .iter()
        .map(|t| {
            let item = t
                .catalog_item
                .as_deref()
                .and_then(|c| prices.iter().find(|p| p.code == c));
            Column {
                code: t.code.clone(),
                product: t.product_title.clone(),
                title: t.title.clone(),
                own: t.own,
                directions: t.directions_note.clone(),
                price: item.map(|p| p.primary_price).or(t.price),
                renewal_price: item.map(|p| p.renewal_price).or(t.renewal_price),
                capabilities: super::capabilities(t),
            }
        })
        .collect();
    Ok(Some(Comparison {
        region: region.code.clone(),
        region_name: region.name.clone(),
        zone: region.tariff_zone,
        organisation: criteria.organisation,
        taxation: criteria.taxation,
        directions: criteria.directions.clone(),
        columns,
        capabilities: catalog
            .capabilities
            .iter()
            .map(|c| Capability {
                code: c.code.clone(),
                title: c.title.clone(),
                extra: c.extra,
            })
            .collect(),
        to_add: super::to_add(&shown, &catalog.tariffs, &criteria)
            .into_iter()
            .map(|t| Offer {
                code: t.code.clone(),
                label: super::label(t),
            })
            .collect(),
    }))
}

/// `PUT /calculator/tariffs/{code}`: a tariff as the operator keeps it. A new code adds
/// a competitor's tariff.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TariffEdit {
    /// Код продукта (латиницей), для нового тарифа: `kontur`, `sbis`
    #[serde(default)]
    pub product: Option<String>,
    /// Продукт, как его показывает сравнение: «Контур»
    pub product_title: String,
    /// Название тарифа
    pub title: String,
    /// Типы организаций: `ip`, `ul`, `gk`, `np`
    pub organisation_types: Vec<OrganisationType>,
    /// Типы налогообложения: `osno`, `usn`, `budget`
    pub taxation: Vec<Taxation>,
    /// Направления: `fns`, `pfr`, `fss`, `rosstat`
    pub directions: Vec<Authority>,
    /// Направления, как их печатает сравнение
    pub directions_note: String,
    /// Сколько направлений одновременно (пусто — все)
    #[serde(default)]
    pub direction_limit: Option<i32>,
    /// Возможности: код → да / нет (нет ключа — нет данных)
    #[schema(value_type = Object)]
    pub capabilities: BTreeMap<String, bool>,
    /// Цена подключения (тарифам 1С — из каталога тарифов, не здесь)
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub price: Option<Money>,
    /// Цена продления
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub renewal_price: Option<Money>,
    /// Версия, которую правили (для существующего тарифа)
    #[serde(default)]
    pub version: Option<i32>,
}

/// The highest price the calculator accepts (ten million roubles).
const MAX_PRICE: i64 = 10_000_000;

fn code_like(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn check_edit(
    code: &str,
    e: &TariffEdit,
    existing: Option<&calculator_tariff::Model>,
    capabilities: &[calculator_capability::Model],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut need = |ok: bool, field: &str, message: &str| {
        if !ok {
            errors.push(FieldError::new(field, message));
        }
    };
    need(
        code_like(code, 64),
        "code",
        "код: латинские строчные буквы, цифры и _, до 64 знаков",
    );
    if existing.is_none() {
        need(
            e.product.as_deref().is_some_and(|p| code_like(p, 32)),
            "product",
            "код продукта: латинские строчные буквы, цифры и _, до 32 знаков",
        );
    }
    let len = |s: &str| s.trim().chars().count();
    need(
        (1..=100).contains(&len(&e.product_title)),
        "product_title",
        "от 1 до 100 знаков",
    );
    need(
        (1..=200).contains(&len(&e.title)),
        "title",
        "от 1 до 200 знаков",
    );
    need(
        (1..=300).contains(&len(&e.directions_note)),
        "directions_note",
        "от 1 до 300 знаков",
    );
    need(
        !e.organisation_types.is_empty(),
        "organisation_types",
        "отметьте хотя бы один тип организации",
    );
    need(
        !e.taxation.is_empty(),
        "taxation",
        "отметьте хотя бы один тип налогообложения",
    );
    need(
        !e.directions.is_empty() && e.directions.iter().all(|d| DIRECTIONS.contains(d)),
        "directions",
        "отметьте направления из ФНС, ПФР, ФСС, Росстат",
    );
    need(
        e.direction_limit.is_none_or(|n| (1..=4).contains(&n)),
        "direction_limit",
        "от 1 до 4",
    );
    if let Some(unknown) = e
        .capabilities
        .keys()
        .find(|k| !capabilities.iter().any(|c| &c.code == *k))
    {
        errors.push(FieldError::new(
            format!("capabilities.{unknown}"),
            "нет такой возможности",
        ));
    }
    let own = existing.is_some_and(|t| t.own);
    for (field, price) in [("price", e.price), ("renewal_price", e.renewal_price)] {
        if let Some(p) = price {
            if own {
                errors.push(FieldError::new(
                    field,
                    "цена тарифа 1С берется из каталога тарифов по зоне региона",
                ));
            } else if p < Money::ZERO || p > Money::rubles(MAX_PRICE) {
                errors.push(FieldError::new(field, "от 0 до 10 000 000 ₽"));
            }
        }
    }
    errors
}

/// Saves the operator's edit of tariff `code` (or adds it), journalled, with a version
/// check against a concurrent edit.
///
/// # Errors
/// `Forbidden` for other roles; `Invalid` naming the field; `Stale` when the tariff
/// changed since `version`.
pub async fn save(
    st: &AppState,
    user: &CurrentUser,
    code: &str,
    e: &TariffEdit,
) -> AppResult<calculator_tariff::Model> {
    user.require(&[Role::Operator])?;
    let capabilities = calculator_capability::Entity::find().all(&st.db).await?;
    let w = Write::begin(&st.db, user.actor(), st.clock.now()).await?;
    let existing = calculator_tariff::Entity::find()
        .filter(calculator_tariff::Column::Code.eq(code))
        .one(&*w)
        .await?;
    let errors = check_edit(code, e, existing.as_ref(), &capabilities);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let join = |v: Vec<&str>| v.join(",");
    let mut am = calculator_tariff::ActiveModel {
        product_title: Set(e.product_title.trim().to_owned()),
        title: Set(e.title.trim().to_owned()),
        organisation_types: Set(join(
            e.organisation_types.iter().map(|o| o.as_str()).collect(),
        )),
        taxation: Set(join(e.taxation.iter().map(|t| t.as_str()).collect())),
        directions: Set(join(
            DIRECTIONS
                .iter()
                .filter(|d| e.directions.contains(d))
                .map(|d| d.as_str())
                .collect(),
        )),
        directions_note: Set(e.directions_note.trim().to_owned()),
        direction_limit: Set(e.direction_limit),
        capabilities: Set(json!(e.capabilities).to_string()),
        price: Set(e.price),
        renewal_price: Set(e.renewal_price),
        updated_at: Set(w.at()),
        ..Default::default()
    };
    let mut w = w;
    let saved = match &existing {
        Some(old) => {
            if e.version.is_some_and(|v| v != old.version) {
                return Err(AppError::Stale {
                    current_state: None,
                });
            }
            am.id = Set(old.id);
            am.version = Set(old.version + 1);
            let updated = calculator_tariff::Entity::update_many()
                .set(am)
                .filter(calculator_tariff::Column::Id.eq(old.id))
                .filter(calculator_tariff::Column::Version.eq(old.version))
                .exec(&*w)
                .await?;
            if updated.rows_affected == 0 {
                return Err(AppError::Stale {
                    current_state: None,
                });
            }
            calculator_tariff::Entity::find_by_id(old.id)
                .one(&*w)
                .await?
                .ok_or(AppError::NotFound)?
        }
        None => {
            let position = calculator_tariff::Entity::find()
                .order_by_desc(calculator_tariff::Column::Position)
                .one(&*w)
                .await?
                .map_or(0, |t| t.position + 1);
            am.id = NotSet;
            am.code = Set(code.to_owned());
            am.product = Set(e.product.clone().unwrap_or_default());
            am.own = Set(false);
            am.catalog_item = Set(None);
            am.position = Set(position);
            am.version = Set(1);
            am.insert(&*w).await?
        }
    };
    let view = |t: &calculator_tariff::Model| {
        json!({
            "title": t.title, "product_title": t.product_title,
            "organisation_types": t.organisation_types, "taxation": t.taxation,
            "directions": t.directions, "directions_note": t.directions_note,
            "direction_limit": t.direction_limit, "capabilities": t.capabilities,
            "price": t.price, "renewal_price": t.renewal_price,
        })
    };
    let mut change =
        Change::new("calculator.tariff_saved", "calculator_tariff", saved.id).after(view(&saved));
    if let Some(old) = &existing {
        change = change.before(view(old));
    }
    w.record(change);
    w.commit().await?;
    Ok(saved)
}
