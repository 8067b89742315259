//! The demo's past: fifteen months of subscribers of four partners connected, renewed or
//! lapsed, some on ITS, one company group, sends to the authorities and a
//! representative's transactions — so that «Аналитика» shows trends on a fresh demo.
//! Written directly as rows (what registration and renewal would have left), after the
//! service-driven demo applications; deterministic, so every demo looks the same.

use chrono::{Datelike, Duration, Months};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::AppState;
use crate::entities::{
    certificate, company_group, company_group_member, licence, partner, product_account,
    subscriber, subscriber_send, tariff, up_transaction,
};
use crate::error::{AppError, AppResult};
use crate::money::Money;
use crate::organisation::Authority;
use crate::tariffs::licence::LicenceState;

/// The partners with a history, and how many subscribers each connected a month.
const PARTNERS: [(&str, u64); 4] = [
    ("p-klg-1", 3),
    ("p-klg-2", 2),
    ("p-msk-1", 3),
    ("p-msk-2", 1),
];
/// Months of history before the current one.
const MONTHS: u32 = 15;

/// A repeatable spread of numbers 0..100 for the i-th subscriber.
fn dice(i: u64, salt: u64) -> u64 {
    (i.wrapping_mul(2_654_435_761)
        .wrapping_add(salt.wrapping_mul(40_503))
        >> 7)
        % 100
}

/// Writes the history; returns how many subscribers it made.
///
/// # Errors
/// Database errors; a partner or tariff of the shipped fixtures missing.
pub async fn seed(st: &AppState) -> AppResult<usize> {
    let db = &st.db;
    let today = st.clock.today();
    let now = st.clock.now();
    let first = today
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(MONTHS)))
        .ok_or(AppError::NotFound)?;
    let price = |code: &'static str, zone: i16| async move {
        tariff::Entity::find()
            .filter(tariff::Column::Code.eq(code))
            .filter(tariff::Column::Zone.eq(zone))
            .one(db)
            .await?
            .ok_or(AppError::NotFound)
    };
    let mut made = 0usize;
    let mut n: u64 = 0;
    for (code, per_month) in PARTNERS {
        let p = partner::Entity::find()
            .filter(partner::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or(AppError::NotFound)?;
        let basic = price("basic_1y", p.tariff_zone).await?;
        // ИНН that start with the region's code, as real ones do.
        let region_base = p.region_code.parse::<u64>().unwrap_or(77) * 10_000_000;
        let mut members = Vec::new();
        for m in 0..MONTHS {
            let month = first
                .checked_add_months(Months::new(m))
                .ok_or(AppError::NotFound)?;
            for k in 0..per_month {
                n += 1;
                let day = month + Duration::days(i64::try_from(2 + (k * 9) % 25).unwrap_or(2));
                let its = dice(n, 1) < 25;
                let sub = subscriber::Entity::insert(subscriber::ActiveModel {
                    id: NotSet,
                    version: Set(0),
                    partner_id: Set(p.id),
                    region_code: Set(p.region_code.clone()),
                    legal_form: Set("legal_entity".to_owned()),
                    inn: Set(super::generate::inn10(region_base + 81_000 + n)),
                    kpp: Set(Some(format!("{}0101001", p.region_code))),
                    ogrn: Set(None),
                    full_name: Set(format!("Общество с ограниченной ответственностью «Клиент {n:03}»")),
                    short_name: Set(format!("ООО «Клиент {n:03}»")),
                    search_key: Set(format!("ооо «клиент {n:03}» общество с ограниченной ответственностью «клиент {n:03}»")),
                    pfr_number: Set(None),
                    fss_number: Set(None),
                    legal_address: Set(format!("Регион {}, ул. Садовая, д. {n}", p.region_code)),
                    actual_address: Set(format!("Регион {}, ул. Садовая, д. {n}", p.region_code)),
                    phone: Set(format!("+7 900 000-{:02}-{:02}", n / 100, n % 100)),
                    email: Set(format!("client{n}@example.ru")),
                    note: Set(None),
                    connected: Set(true),
                    paid_basis_only: Set(false),
                    created_at: Set(day.and_hms_opt(9, 0, 0).unwrap_or_default().and_utc()),
                    fax: Set(None),
                    registration_file: Set(None),
                    registration_file_at: Set(None),
                })
                .exec(db)
                .await?
                .last_insert_id;
                let account = product_account::Entity::insert(product_account::ActiveModel {
                    id: NotSet,
                    subscriber_id: Set(sub),
                    guid: Set(uuid::Uuid::new_v4().to_string()),
                    configuration: Set("Бухгалтерия предприятия, редакция 3.0".to_owned()),
                    state: Set("active".to_owned()),
                    category: Set("taxpayer".to_owned()),
                    active: Set(dice(n, 7) > 5),
                    alias: Set(None),
                    its_login: Set(its.then(|| format!("its{n}"))),
                    application_id: Set(None),
                    created_at: Set(day.and_hms_opt(9, 0, 0).unwrap_or_default().and_utc()),
                })
                .exec(db)
                .await?
                .last_insert_id;
                let mut terms = vec![(day, true)];
                // Most renew when the year is up (a few days late at most); some lapse.
                let mut start = day;
                loop {
                    let end = start.checked_add_months(Months::new(12)).unwrap_or(start);
                    if end >= today || dice(n + u64::from(start.year().unsigned_abs()), 3) >= 65 {
                        break;
                    }
                    start = end + Duration::days(1);
                    terms.push((start, false));
                }
                let (latest, _) = terms[terms.len() - 1];
                certificate::Entity::insert(certificate::ActiveModel {
                    id: NotSet,
                    subscriber_id: Set(sub),
                    product_account_id: Set(Some(account)),
                    serial: Set(format!("{:040x}", 0x5eed_0000_u64 + n)),
                    owner_name: Set(format!("Руководитель Клиента {n:03}")),
                    owner_snils: Set("112-233-445 95".to_owned()),
                    owner_position: Set(Some("Генеральный директор".to_owned())),
                    kind: Set("qualified".to_owned()),
                    state: Set("active".to_owned()),
                    valid_from: Set(latest),
                    valid_to: Set(latest.checked_add_months(Months::new(12)).unwrap_or(latest)),
                    container: Set(format!("registrar-demo-{n}")),
                    provider: Set("УЦ «Калуга Астрал»".to_owned()),
                    application_id: Set(None),
                    created_at: Set(latest.and_hms_opt(11, 0, 0).unwrap_or_default().and_utc()),
                    revoked_at: Set(None),
                    der: Set(None),
                })
                .exec(db)
                .await?;
                for (starts, primary) in terms {
                    let ends = starts.checked_add_months(Months::new(12)).unwrap_or(starts);
                    let (code, name, cost, share) = if its {
                        (
                            "its",
                            "Информационно-технологическое сопровождение 1С",
                            Money::ZERO,
                            Money::ZERO,
                        )
                    } else if primary {
                        (
                            "basic_1y",
                            basic.name.as_str(),
                            basic.primary_price,
                            basic.sales_center_share,
                        )
                    } else {
                        (
                            "basic_1y",
                            basic.name.as_str(),
                            basic.renewal_price,
                            basic.renewal_sales_center_share,
                        )
                    };
                    let registered = if primary {
                        starts
                    } else {
                        starts - Duration::days(20)
                    };
                    licence::Entity::insert(licence::ActiveModel {
                        id: NotSet,
                        version: Set(0),
                        subscriber_id: Set(sub),
                        product_account_id: Set(Some(account)),
                        tariff_code: Set(code.to_owned()),
                        tariff_name: Set(name.to_owned()),
                        kind: Set("tariff".to_owned()),
                        zone: Set(p.tariff_zone),
                        is_primary: Set(primary),
                        state: Set(LicenceState::Registered),
                        starts_on: Set(starts),
                        ends_on: Set(ends),
                        cost: Set(cost),
                        sales_center_share: Set(share),
                        revocable: Set(true),
                        approved_in_reconciliation: Set(
                            registered < today.with_day(1).unwrap_or(today) - Months::new(1)
                        ),
                        connection_option: Set(Some(
                            if its { "its" } else { "basic_1y" }.to_owned(),
                        )),
                        application_id: Set(None),
                        created_at: Set(registered
                            .and_hms_opt(10, 0, 0)
                            .unwrap_or_default()
                            .and_utc()),
                        registered_on: Set(Some(registered)),
                        special_offer_number: Set(None),
                    })
                    .exec(db)
                    .await?;
                }
                // Sends: most send every month or so; a few fell silent long ago.
                let last = today - Duration::days(i64::try_from(dice(n, 11) * 2).unwrap_or(0));
                if last >= day {
                    for a in [Authority::Fns, Authority::Pfr] {
                        subscriber_send::Entity::insert(subscriber_send::ActiveModel {
                            id: NotSet,
                            subscriber_id: Set(sub),
                            authority: Set(a),
                            last_sent_on: Set(last),
                            updated_at: Set(now),
                        })
                        .exec(db)
                        .await?;
                    }
                }
                if code == "p-klg-1" && members.len() < 4 && m >= MONTHS - 6 {
                    members.push(sub);
                }
                made += 1;
            }
        }
        if let [head, ..] = members.as_slice() {
            let group = company_group::Entity::insert(company_group::ActiveModel {
                id: NotSet,
                partner_id: Set(p.id),
                head_subscriber_id: Set(*head),
                name: Set("Группа «Клиент»".to_owned()),
                created_at: Set(now),
            })
            .exec(db)
            .await?
            .last_insert_id;
            for s in &members {
                company_group_member::Entity::insert(company_group_member::ActiveModel {
                    id: NotSet,
                    group_id: Set(group),
                    subscriber_id: Set(*s),
                    joined_at: Set(now),
                })
                .exec(db)
                .await?;
            }
            // The head reports for clients as an authorized representative.
            let quarter = crate::reports::rules::Quarter::of(today).previous();
            for (i, (a, count)) in [
                (Authority::Fns, 14),
                (Authority::Pfr, 9),
                (Authority::Rosstat, 3),
            ]
            .into_iter()
            .enumerate()
            {
                up_transaction::Entity::insert(up_transaction::ActiveModel {
                    id: NotSet,
                    quarter: Set(quarter.code()),
                    representative_id: Set(*head),
                    partner_id: Set(p.id),
                    client_inn: Set(super::generate::inn10(8_900_000 + i as u64)),
                    client_kpp: Set(format!("{}0101001", p.region_code)),
                    client_name: Set(format!("ООО «Доверитель {}»", i + 1)),
                    authority: Set(a),
                    reported_count: Set(count),
                    count: Set(count),
                    received_at: Set(now),
                    updated_at: Set(now),
                })
                .exec(db)
                .await?;
            }
        }
    }
    Ok(made)
}
