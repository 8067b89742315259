//! Fixtures: reference data (regions, sales centers, partners, identification centers,
//! the tariff catalog, the production calendar, ITS portal data) and the demo users.
//!
//! Loading is an idempotent sync by natural key: missing rows are inserted, rows that
//! differ are updated, equal rows are left alone, so a second run changes nothing (not
//! even the journal). Users are created only for `--demo` and never overwritten.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, Iterable, ModelTrait, PrimaryKeyToColumn,
};
use serde::Deserialize;
use serde_json::json;

use crate::audit::{Actor, Change, Write};
use crate::auth::{Role, password};
use crate::calendar::{YearSpec, expand_year};
use crate::entities::{
    calculator_capability, calculator_tariff, calendar_day, identification_center,
    its_subscription, locality, partner, promotion, region, sales_center, special_offer, tariff,
    user,
};
use crate::error::AppError;
use crate::money::Money;

/// The demo password of every demo login (README and `serve --demo` say it too).
pub const DEMO_PASSWORD: &str = "demo2026";

const REFERENCE: &str = include_str!("../fixtures/reference.json");
const TARIFFS: &str = include_str!("../fixtures/tariffs.json");
const CALENDAR: &str = include_str!("../fixtures/calendar.json");
const ITS: &str = include_str!("../fixtures/its.json");
const LOCALITIES: &str = include_str!("../fixtures/localities.json");
const OFFERS: &str = include_str!("../fixtures/offers.json");
const DEMO: &str = include_str!("../fixtures/demo.json");
const CALCULATOR: &str = include_str!("../fixtures/calculator.json");

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    #[serde(default)]
    pub regions: Vec<RegionFx>,
    #[serde(default)]
    pub sales_centers: Vec<SalesCenterFx>,
    #[serde(default)]
    pub partners: Vec<PartnerFx>,
    #[serde(default)]
    pub identification_centers: Vec<CenterFx>,
    #[serde(default)]
    pub tariffs: Vec<TariffFx>,
    #[serde(default)]
    pub calendar: Vec<YearSpec>,
    #[serde(default)]
    pub its_subscriptions: Vec<ItsFx>,
    #[serde(default)]
    pub localities: Vec<LocalityFx>,
    #[serde(default)]
    pub special_offers: Vec<SpecialOfferFx>,
    #[serde(default)]
    pub promotions: Vec<PromotionFx>,
    #[serde(default)]
    pub calculator_capabilities: Vec<CapabilityFx>,
    #[serde(default)]
    pub calculator_tariffs: Vec<CalculatorTariffFx>,
    #[serde(default)]
    pub users: Vec<UserFx>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilityFx {
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub extra: bool,
}

/// A tariff of the calculator (the manual's list and matrix, l.2408–2416, l.2492–2510).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalculatorTariffFx {
    pub code: String,
    pub product: String,
    pub product_title: String,
    pub title: String,
    #[serde(default)]
    pub own: bool,
    #[serde(default)]
    pub catalog_item: Option<String>,
    pub organisation_types: Vec<String>,
    pub taxation: Vec<String>,
    pub directions: Vec<String>,
    pub directions_note: String,
    #[serde(default)]
    pub direction_limit: Option<i32>,
    pub capabilities: BTreeMap<String, bool>,
    #[serde(default)]
    pub price: Option<Money>,
    #[serde(default)]
    pub renewal_price: Option<Money>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialOfferFx {
    pub code: String,
    pub name: String,
    pub price: Money,
    pub sales_center_share: Money,
    pub regions: Vec<String>,
    pub term_months: i32,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromotionFx {
    pub code: String,
    pub name: String,
    pub item: String,
    pub discount_percent: i16,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalityFx {
    pub name: String,
    pub region_code: String,
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionFx {
    pub code: String,
    pub name: String,
    /// 1, 2 or 3; regions listed without one are in zone 1.
    #[serde(default = "zone_one")]
    pub tariff_zone: i16,
}

fn zone_one() -> i16 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesCenterFx {
    pub code: String,
    pub name: String,
    pub region_code: String,
    pub email: Option<String>,
    #[serde(default)]
    pub inn: Option<String>,
    #[serde(default)]
    pub kpp: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub bank_account: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerFx {
    pub code: String,
    pub name: String,
    pub region_code: String,
    pub sales_center: String,
    pub tariff_zone: i16,
    pub inn: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CenterFx {
    pub code: String,
    pub office_name: String,
    pub address: String,
    pub region_code: String,
    pub latitude: f64,
    pub longitude: f64,
    pub schedule: String,
    pub phone: String,
    pub email: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffFx {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub term_months: i32,
    pub revocable: bool,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// Prices by zone ("1", "2", "3").
    pub zones: BTreeMap<String, ZonePrices>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZonePrices {
    pub primary: Money,
    pub renewal: Money,
    pub share: Money,
    pub renewal_share: Money,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItsFx {
    pub registration_number: String,
    pub owner_inn: String,
    pub owner_kpp: Option<String>,
    pub tariff_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub level: String,
    pub portal_login: String,
    pub email: Option<String>,
    pub activated_for_inn: Option<String>,
    pub activated_for_kpp: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFx {
    pub login: String,
    pub full_name: String,
    pub role: Role,
    /// Code of the partner, sales center or identification center.
    pub organisation: Option<String>,
}

impl Fixture {
    /// # Errors
    /// The JSON does not match the fixture format; the message names the place.
    pub fn parse(name: &str, text: &str) -> anyhow::Result<Fixture> {
        serde_json::from_str(text).map_err(|e| anyhow::anyhow!("{name}: {e}"))
    }

    fn merge(&mut self, other: Fixture) {
        self.regions.extend(other.regions);
        self.sales_centers.extend(other.sales_centers);
        self.partners.extend(other.partners);
        self.identification_centers
            .extend(other.identification_centers);
        self.tariffs.extend(other.tariffs);
        self.calendar.extend(other.calendar);
        self.its_subscriptions.extend(other.its_subscriptions);
        self.localities.extend(other.localities);
        self.special_offers.extend(other.special_offers);
        self.promotions.extend(other.promotions);
        self.calculator_capabilities
            .extend(other.calculator_capabilities);
        self.calculator_tariffs.extend(other.calculator_tariffs);
        self.users.extend(other.users);
    }

    /// Several fixtures as one.
    pub fn combine(parts: impl IntoIterator<Item = Fixture>) -> Fixture {
        let mut all = Fixture::default();
        for p in parts {
            all.merge(p);
        }
        all
    }
}

/// The reference data shipped in `fixtures/` (compiled in, so `seed` works anywhere).
///
/// # Errors
/// A shipped fixture does not parse (a build defect, caught by the tests).
pub fn builtin_reference() -> anyhow::Result<Fixture> {
    Ok(Fixture::combine([
        Fixture::parse("fixtures/reference.json", REFERENCE)?,
        Fixture::parse("fixtures/tariffs.json", TARIFFS)?,
        Fixture::parse("fixtures/calendar.json", CALENDAR)?,
        Fixture::parse("fixtures/its.json", ITS)?,
        Fixture::parse("fixtures/localities.json", LOCALITIES)?,
        Fixture::parse("fixtures/offers.json", OFFERS)?,
        Fixture::parse("fixtures/calculator.json", CALCULATOR)?,
    ]))
}

/// The demo users.
///
/// # Errors
/// The shipped fixture does not parse.
pub fn builtin_demo() -> anyhow::Result<Fixture> {
    Fixture::parse("fixtures/demo.json", DEMO)
}

/// The shipped production calendar.
///
/// # Errors
/// The shipped fixture does not parse.
pub fn builtin_calendar() -> anyhow::Result<Vec<YearSpec>> {
    Ok(Fixture::parse("fixtures/calendar.json", CALENDAR)?.calendar)
}

/// What a sync did to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableReport {
    pub table: &'static str,
    pub inserted: usize,
    pub updated: usize,
}

/// Inserts the missing rows and updates the differing ones of one table.
async fn sync<E>(
    w: &mut Write,
    table: &'static str,
    key_of: impl Fn(&E::Model) -> String,
    desired: Vec<(String, E::ActiveModel)>,
) -> Result<TableReport, DbErr>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    let existing: HashMap<String, E::Model> = E::find()
        .all(&**w)
        .await?
        .into_iter()
        .map(|m| (key_of(&m), m))
        .collect();
    let mut report = TableReport {
        table,
        ..TableReport::default()
    };
    let mut inserts = Vec::new();
    for (key, mut am) in desired {
        match existing.get(&key) {
            None => inserts.push(am),
            Some(m) => {
                let differs = E::Column::iter().any(|c| match am.get(c) {
                    ActiveValue::Set(v) => m.get(c) != v,
                    _ => false,
                });
                if differs {
                    for pk in E::PrimaryKey::iter() {
                        let col = pk.into_column();
                        am.set(col, m.get(col));
                    }
                    am.update(&**w).await?;
                    report.updated += 1;
                }
            }
        }
    }
    report.inserted = inserts.len();
    let mut rest = inserts.into_iter().peekable();
    while rest.peek().is_some() {
        let chunk: Vec<E::ActiveModel> = rest.by_ref().take(200).collect();
        E::insert_many(chunk).exec(&**w).await?;
    }
    if report.inserted + report.updated > 0 {
        w.record(
            Change::new("seed.sync", table, "*")
                .after(json!({"inserted": report.inserted, "updated": report.updated})),
        );
    }
    Ok(report)
}

/// Loads a fixture. Users need `demo_password` (they are demo users by definition).
///
/// # Errors
/// Invalid references between fixture rows (an unknown sales center code, say), users
/// without `--demo`, or database errors. Nothing is written on error.
pub async fn apply(
    db: &DatabaseConnection,
    fx: &Fixture,
    demo_password: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<TableReport>, AppError> {
    if !fx.users.is_empty() && demo_password.is_none() {
        return Err(AppError::invalid(
            "users",
            "пользователи из фикстур создаются только с --demo",
        ));
    }
    if let Some(r) = fx
        .regions
        .iter()
        .find(|r| !(1..=3).contains(&r.tariff_zone))
    {
        return Err(AppError::invalid(
            format!("regions[{}].tariff_zone", r.code),
            "зона от 1 до 3",
        ));
    }
    let mut w = Write::begin(db, Actor::system("seed"), now).await?;
    let mut reports = Vec::new();

    reports.push(
        sync::<region::Entity>(
            &mut w,
            "regions",
            |m| m.code.clone(),
            fx.regions
                .iter()
                .map(|r| {
                    (
                        r.code.clone(),
                        region::ActiveModel {
                            code: Set(r.code.clone()),
                            name: Set(r.name.clone()),
                            tariff_zone: Set(r.tariff_zone),
                        },
                    )
                })
                .collect(),
        )
        .await?,
    );

    reports.push(
        sync::<sales_center::Entity>(
            &mut w,
            "sales_centers",
            |m| m.code.clone(),
            fx.sales_centers
                .iter()
                .map(|s| {
                    (
                        s.code.clone(),
                        sales_center::ActiveModel {
                            id: NotSet,
                            code: Set(s.code.clone()),
                            name: Set(s.name.clone()),
                            region_code: Set(s.region_code.clone()),
                            email: Set(s.email.clone()),
                            inn: Set(s.inn.clone()),
                            kpp: Set(s.kpp.clone()),
                            address: Set(s.address.clone()),
                            bank_account: Set(s.bank_account.clone()),
                        },
                    )
                })
                .collect(),
        )
        .await?,
    );
    let sc_ids: HashMap<String, i32> = sales_center::Entity::find()
        .all(&*w)
        .await?
        .into_iter()
        .map(|s| (s.code, s.id))
        .collect();

    let mut partners = Vec::new();
    for p in &fx.partners {
        let sc = *sc_ids.get(&p.sales_center).ok_or_else(|| {
            AppError::invalid(
                format!("partners[{}].sales_center", p.code),
                "неизвестный центр продаж",
            )
        })?;
        if !(1..=3).contains(&p.tariff_zone) {
            return Err(AppError::invalid(
                format!("partners[{}].tariff_zone", p.code),
                "зона от 1 до 3",
            ));
        }
        partners.push((
            p.code.clone(),
            partner::ActiveModel {
                id: NotSet,
                code: Set(p.code.clone()),
                name: Set(p.name.clone()),
                region_code: Set(p.region_code.clone()),
                sales_center_id: Set(sc),
                tariff_zone: Set(p.tariff_zone),
                inn: Set(p.inn.clone()),
                email: Set(p.email.clone()),
                phone: Set(p.phone.clone()),
            },
        ));
    }
    reports.push(sync::<partner::Entity>(&mut w, "partners", |m| m.code.clone(), partners).await?);

    reports.push(
        sync::<identification_center::Entity>(
            &mut w,
            "identification_centers",
            |m| m.code.clone(),
            fx.identification_centers
                .iter()
                .map(|c| {
                    (
                        c.code.clone(),
                        identification_center::ActiveModel {
                            id: NotSet,
                            code: Set(c.code.clone()),
                            office_name: Set(c.office_name.clone()),
                            address: Set(c.address.clone()),
                            region_code: Set(c.region_code.clone()),
                            latitude: Set(c.latitude),
                            longitude: Set(c.longitude),
                            schedule: Set(c.schedule.clone()),
                            phone: Set(c.phone.clone()),
                            email: Set(c.email.clone()),
                        },
                    )
                })
                .collect(),
        )
        .await?,
    );

    let tariff_key = |code: &str, zone: i16, from: NaiveDate| format!("{code}/{zone}/{from}");
    let mut tariffs = Vec::new();
    for t in &fx.tariffs {
        for (zone, p) in &t.zones {
            let zone: i16 = zone
                .parse()
                .ok()
                .filter(|z| (1..=3).contains(z))
                .ok_or_else(|| {
                    AppError::invalid(format!("tariffs[{}].zones", t.code), "зона от 1 до 3")
                })?;
            tariffs.push((
                tariff_key(&t.code, zone, t.valid_from),
                tariff::ActiveModel {
                    id: NotSet,
                    code: Set(t.code.clone()),
                    name: Set(t.name.clone()),
                    kind: Set(t.kind.clone()),
                    term_months: Set(t.term_months),
                    zone: Set(zone),
                    primary_price: Set(p.primary),
                    renewal_price: Set(p.renewal),
                    sales_center_share: Set(p.share),
                    renewal_sales_center_share: Set(p.renewal_share),
                    revocable: Set(t.revocable),
                    valid_from: Set(t.valid_from),
                    valid_to: Set(t.valid_to),
                },
            ));
        }
    }
    reports.push(
        sync::<tariff::Entity>(
            &mut w,
            "tariffs",
            move |m| tariff_key(&m.code, m.zone, m.valid_from),
            tariffs,
        )
        .await?,
    );

    reports.push(
        sync::<calendar_day::Entity>(
            &mut w,
            "calendar_days",
            |m| m.day.to_string(),
            fx.calendar
                .iter()
                .flat_map(expand_year)
                .map(|(day, working, note)| {
                    (
                        day.to_string(),
                        calendar_day::ActiveModel {
                            day: Set(day),
                            is_working: Set(working),
                            note: Set(note),
                        },
                    )
                })
                .collect(),
        )
        .await?,
    );

    reports.push(
        sync::<its_subscription::Entity>(
            &mut w,
            "its_subscriptions",
            |m| m.registration_number.clone(),
            fx.its_subscriptions
                .iter()
                .map(|s| {
                    (
                        s.registration_number.clone(),
                        its_subscription::ActiveModel {
                            id: NotSet,
                            registration_number: Set(s.registration_number.clone()),
                            owner_inn: Set(s.owner_inn.clone()),
                            owner_kpp: Set(s.owner_kpp.clone()),
                            tariff_name: Set(s.tariff_name.clone()),
                            starts_on: Set(s.starts_on),
                            ends_on: Set(s.ends_on),
                            level: Set(s.level.clone()),
                            portal_login: Set(s.portal_login.clone()),
                            email: Set(s.email.clone()),
                            activated_for_inn: Set(s.activated_for_inn.clone()),
                            activated_for_kpp: Set(s.activated_for_kpp.clone()),
                        },
                    )
                })
                .collect(),
        )
        .await?,
    );

    reports.push(
        sync::<locality::Entity>(
            &mut w,
            "localities",
            |m| format!("{}/{}", m.region_code, m.name),
            fx.localities
                .iter()
                .map(|l| {
                    (
                        format!("{}/{}", l.region_code, l.name),
                        locality::ActiveModel {
                            id: NotSet,
                            name: Set(l.name.clone()),
                            region_code: Set(l.region_code.clone()),
                            latitude: Set(l.latitude),
                            longitude: Set(l.longitude),
                        },
                    )
                })
                .collect(),
        )
        .await?,
    );

    reports.push(
        sync::<special_offer::Entity>(
            &mut w,
            "special_offers",
            |m| m.code.clone(),
            fx.special_offers
                .iter()
                .map(|o| {
                    (
                        o.code.clone(),
                        special_offer::ActiveModel {
                            id: NotSet,
                            code: Set(o.code.clone()),
                            name: Set(o.name.clone()),
                            price: Set(o.price),
                            sales_center_share: Set(o.sales_center_share),
                            regions: Set(o.regions.join(",")),
                            term_months: Set(o.term_months),
                            valid_from: Set(o.valid_from),
                            valid_to: Set(o.valid_to),
                        },
                    )
                })
                .collect(),
        )
        .await?,
    );
    reports.push(
        sync::<promotion::Entity>(
            &mut w,
            "promotions",
            |m| m.code.clone(),
            fx.promotions
                .iter()
                .map(|p| {
                    (
                        p.code.clone(),
                        promotion::ActiveModel {
                            id: NotSet,
                            code: Set(p.code.clone()),
                            name: Set(p.name.clone()),
                            item: Set(p.item.clone()),
                            discount_percent: Set(p.discount_percent),
                            valid_from: Set(p.valid_from),
                            valid_to: Set(p.valid_to),
                        },
                    )
                })
                .collect(),
        )
        .await?,
    );

    reports.push(
        sync::<calculator_capability::Entity>(
            &mut w,
            "calculator_capabilities",
            |m| m.code.clone(),
            fx.calculator_capabilities
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    (
                        c.code.clone(),
                        calculator_capability::ActiveModel {
                            id: NotSet,
                            code: Set(c.code.clone()),
                            title: Set(c.title.clone()),
                            extra: Set(c.extra),
                            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                        },
                    )
                })
                .collect(),
        )
        .await?,
    );
    // The calculator's tariffs are the operator's once loaded: a seed adds the missing
    // ones and leaves an edited one as the operator left it.
    let known: std::collections::HashSet<String> = calculator_tariff::Entity::find()
        .all(&*w)
        .await?
        .into_iter()
        .map(|t| t.code)
        .collect();
    reports.push(
        sync::<calculator_tariff::Entity>(
            &mut w,
            "calculator_tariffs",
            |m| m.code.clone(),
            fx.calculator_tariffs
                .iter()
                .enumerate()
                .filter(|(_, t)| !known.contains(&t.code))
                .map(|(i, t)| {
                    (
                        t.code.clone(),
                        calculator_tariff::ActiveModel {
                            id: NotSet,
                            code: Set(t.code.clone()),
                            product: Set(t.product.clone()),
                            product_title: Set(t.product_title.clone()),
                            title: Set(t.title.clone()),
                            own: Set(t.own),
                            catalog_item: Set(t.catalog_item.clone()),
                            organisation_types: Set(t.organisation_types.join(",")),
                            taxation: Set(t.taxation.join(",")),
                            directions: Set(t.directions.join(",")),
                            directions_note: Set(t.directions_note.clone()),
                            direction_limit: Set(t.direction_limit),
                            capabilities: Set(json!(t.capabilities).to_string()),
                            price: Set(t.price),
                            renewal_price: Set(t.renewal_price),
                            position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                            version: Set(1),
                            updated_at: Set(now),
                        },
                    )
                })
                .collect(),
        )
        .await?,
    );

    if let Some(pw) = demo_password.filter(|_| !fx.users.is_empty()) {
        reports.push(create_users(&mut w, &fx.users, pw, now).await?);
    }

    if reports.iter().any(|r| r.inserted + r.updated > 0) {
        w.commit().await?;
    }
    // Otherwise the transaction is dropped (rolled back): nothing changed.
    Ok(reports)
}

/// Creates the users that do not exist yet; existing users (and their passwords) are
/// left as they are.
async fn create_users(
    w: &mut Write,
    users: &[UserFx],
    pw: &str,
    now: DateTime<Utc>,
) -> Result<TableReport, AppError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let existing: Vec<String> = user::Entity::find()
        .filter(user::Column::Login.is_in(users.iter().map(|u| u.login.clone())))
        .all(&**w)
        .await?
        .into_iter()
        .map(|u| u.login)
        .collect();
    let missing: Vec<&UserFx> = users
        .iter()
        .filter(|u| !existing.contains(&u.login))
        .collect();
    let mut report = TableReport {
        table: "users",
        ..TableReport::default()
    };
    if missing.is_empty() {
        return Ok(report);
    }
    // One hash for the shared demo password keeps seeding fast; each real user gets
    // their own salt when they set a password.
    let hash = password::hash_async(pw.to_owned()).await?;
    let partners: HashMap<String, i32> = partner::Entity::find()
        .all(&**w)
        .await?
        .into_iter()
        .map(|p| (p.code, p.id))
        .collect();
    let centers: HashMap<String, i32> = sales_center::Entity::find()
        .all(&**w)
        .await?
        .into_iter()
        .map(|s| (s.code, s.id))
        .collect();
    let offices: HashMap<String, i32> = identification_center::Entity::find()
        .all(&**w)
        .await?
        .into_iter()
        .map(|c| (c.code, c.id))
        .collect();
    for u in missing {
        let org = u.organisation.as_deref().unwrap_or_default();
        let lookup = |map: &HashMap<String, i32>| {
            map.get(org).copied().map(Some).ok_or_else(|| {
                AppError::invalid(
                    format!("users[{}].organisation", u.login),
                    "неизвестная организация",
                )
            })
        };
        let (partner_id, sales_center_id, identification_center_id) = match u.role {
            Role::Partner => (lookup(&partners)?, None, None),
            Role::SalesCenter => (None, lookup(&centers)?, None),
            Role::IdentificationCenter => (None, None, lookup(&offices)?),
            Role::Operator | Role::Intake => (None, None, None),
        };
        let row = user::ActiveModel {
            id: NotSet,
            login: Set(u.login.clone()),
            // The 1C intake integration works with API tokens only: no password signs it in.
            password_hash: Set(if u.role == Role::Intake {
                password::NO_PASSWORD.to_owned()
            } else {
                hash.clone()
            }),
            full_name: Set(u.full_name.clone()),
            role: Set(u.role),
            partner_id: Set(partner_id),
            sales_center_id: Set(sales_center_id),
            identification_center_id: Set(identification_center_id),
            failed_attempts: Set(0),
            locked_until: Set(None),
            active: Set(true),
            created_at: Set(now),
        }
        .insert(&**w)
        .await?;
        w.record(
            Change::new("user.create", "user", row.id)
                .after(json!({"login": row.login, "role": row.role.as_str()})),
        );
        report.inserted += 1;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_fixtures_parse() {
        let fx = builtin_reference().unwrap();
        assert_eq!(fx.sales_centers.len(), 2);
        assert_eq!(fx.partners.len(), 6);
        assert_eq!(fx.identification_centers.len(), 4);
        assert_eq!(
            fx.calendar.iter().map(|y| y.year).collect::<Vec<_>>(),
            vec![2024, 2025, 2026]
        );
        let demo = builtin_demo().unwrap();
        assert_eq!(demo.users.len(), 14);
    }

    #[test]
    fn catalog_has_every_code_of_the_contract_in_every_zone() {
        let fx = builtin_reference().unwrap();
        for code in [
            "paid_licence",
            "basic_1y",
            "basic_2y",
            "basic_sole_trader",
            "its",
            "right_choice",
            "bonus",
            "promo_month",
            "promo_test_drive",
            "group_3_5",
            "group_6_10",
            "group_11_15",
            "group_16_25",
            "group_26_50",
            "group_51_100",
            "group_101_plus",
            "up_additional",
            "up_transactions_200",
            "account_service_prior_contract",
            "cryptopro",
            "cloud_signature",
            "lk_basic",
        ] {
            let t = fx
                .tariffs
                .iter()
                .find(|t| t.code == code)
                .unwrap_or_else(|| panic!("{code} missing"));
            for z in ["1", "2", "3"] {
                assert!(t.zones.contains_key(z), "{code} has no zone {z}");
            }
        }
        let paid = fx
            .tariffs
            .iter()
            .find(|t| t.code == "paid_licence")
            .unwrap();
        assert_eq!(paid.zones["2"].primary, Money::rubles(4900));
        assert_eq!(paid.zones["2"].share, Money::rubles(2450));
        let cp = fx.tariffs.iter().find(|t| t.code == "cryptopro").unwrap();
        assert_eq!(
            (cp.zones["1"].primary, cp.zones["1"].share, cp.revocable),
            (Money::rubles(590), Money::rubles(490), false)
        );
        let rc = fx
            .tariffs
            .iter()
            .find(|t| t.code == "right_choice")
            .unwrap();
        assert!(rc.zones.values().all(|p| p.primary == Money::rubles(1200)));
    }
}
