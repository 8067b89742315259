//! Where an already-connected organisation stands when a secondary application arrives
//! (manual §3): its product accounts, the one the application is about, that product's
//! current licence and whether a certificate was made for it. The guard of
//! «В обработку» and the pipeline read the same [`Standing`], so what the wizard showed
//! is what processing does.

use chrono::{Duration, Months, NaiveDate};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::{certificate, licence, product_account, subscriber};
use crate::tariffs::licence::LicenceState;

#[derive(Debug, Clone)]
pub struct Standing {
    pub subscriber: subscriber::Model,
    /// Its active product accounts.
    pub products: Vec<product_account::Model>,
    /// The account the application is about: the one its GUID names, or the only one.
    pub product: Option<product_account::Model>,
    /// The GUID of the application names one of the organisation's accounts.
    pub product_known: bool,
    /// The latest-ending live licence of that account (its tariff, not an extension).
    pub licence: Option<licence::Model>,
    /// An active certificate was made for the organisation.
    pub certificate: bool,
}

impl Standing {
    /// The current licence period, as the wizard's summary shows it.
    pub fn period(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.licence.as_ref().map(|l| (l.starts_on, l.ends_on))
    }
}

/// The standing of the organisation `inn`/`kpp` if it is connected to the service;
/// `None` for an organisation never connected (a primary application).
///
/// # Errors
/// Database errors.
pub async fn of<C: ConnectionTrait>(
    db: &C,
    inn: &str,
    kpp: Option<&str>,
    guid: Option<&str>,
) -> Result<Option<Standing>, sea_orm::DbErr> {
    let Some(sub) = subscriber::Entity::find()
        .filter(super::service::by_requisites(inn, kpp))
        .filter(subscriber::Column::Connected.eq(true))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let products = product_account::Entity::find()
        .filter(product_account::Column::SubscriberId.eq(sub.id))
        .filter(product_account::Column::Active.eq(true))
        .order_by_asc(product_account::Column::Id)
        .all(db)
        .await?;
    let named = guid
        .and_then(|g| products.iter().find(|p| p.guid == g))
        .cloned();
    let product_known = named.is_some();
    let product = named.or_else(|| match products.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    });
    let licence = match &product {
        Some(p) => current_licence(db, sub.id, Some(p.id), None).await?,
        None => None,
    };
    let certificate = certificate::Entity::find()
        .filter(certificate::Column::SubscriberId.eq(sub.id))
        .filter(certificate::Column::State.eq("active"))
        .one(db)
        .await?
        .is_some();
    Ok(Some(Standing {
        subscriber: sub,
        products,
        product,
        product_known,
        licence,
        certificate,
    }))
}

/// The latest-ending live tariff licence of a product account (licences recorded
/// before accounts were linked, with none, count for every account of the subscriber),
/// leaving out those of `except_application` (a renewal's own).
///
/// # Errors
/// Database errors.
pub async fn current_licence<C: ConnectionTrait>(
    db: &C,
    subscriber_id: i64,
    product_id: Option<i64>,
    except_application: Option<i64>,
) -> Result<Option<licence::Model>, sea_orm::DbErr> {
    let mut q = licence::Entity::find()
        .filter(licence::Column::SubscriberId.eq(subscriber_id))
        .filter(licence::Column::Kind.eq("tariff"))
        .filter(licence::Column::State.is_in([LicenceState::Registered, LicenceState::Blocked]));
    if let Some(p) = product_id {
        q = q.filter(
            Condition::any()
                .add(licence::Column::ProductAccountId.eq(p))
                .add(licence::Column::ProductAccountId.is_null()),
        );
    }
    if let Some(a) = except_application {
        q = q.filter(
            Condition::any()
                .add(licence::Column::ApplicationId.ne(a))
                .add(licence::Column::ApplicationId.is_null()),
        );
    }
    q.order_by_desc(licence::Column::EndsOn).one(db).await
}

/// The period of a licence of `term_months` connected on `today`: a renewal continues
/// from the day after the current licence ends, so periods never overlap (manual
/// l.818–826, §12 l.1965); otherwise — and after a lapse — it starts today.
pub fn period(
    today: NaiveDate,
    continues: Option<NaiveDate>,
    term_months: u32,
) -> (NaiveDate, NaiveDate) {
    let starts = continues
        .map(|end| end + Duration::days(1))
        .filter(|next| *next > today)
        .unwrap_or(today);
    let ends = starts
        .checked_add_months(Months::new(term_months))
        .unwrap_or(starts);
    (starts, ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_renewal_continues_from_the_day_after_the_current_end() {
        assert_eq!(
            period(d("2025-02-10"), Some(d("2025-03-03")), 12),
            (d("2025-03-04"), d("2026-03-04"))
        );
        // After a lapse, or with nothing to continue, it starts on the day.
        assert_eq!(
            period(d("2025-05-10"), Some(d("2025-03-03")), 12),
            (d("2025-05-10"), d("2026-05-10"))
        );
        assert_eq!(
            period(d("2025-05-10"), None, 24),
            (d("2025-05-10"), d("2027-05-10"))
        );
        // Ending yesterday: today is the next day anyway.
        assert_eq!(
            period(d("2025-03-04"), Some(d("2025-03-03")), 12),
            (d("2025-03-04"), d("2026-03-04"))
        );
    }
}
