//! §2.5, the facts of the bonus rule as a partner's licences show them: whether it holds
//! a live bonus licence, whether an earlier one has ended, and how many of its
//! subscribers have a current licence (Промо and the УП additional licence do not count).

use chrono::NaiveDate;

use crate::entities::licence;

/// Tariffs whose licences do not make a subscriber count for the bonus.
const NOT_COUNTED: [&str; 3] = ["promo_month", "promo_test_drive", "up_additional"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BonusFacts {
    /// A bonus licence that has not ended yet.
    pub held: bool,
    /// No live bonus, and an earlier one ended.
    pub previous_ended: bool,
    /// Subscribers with a licence current today.
    pub current_subscribers: u32,
}

/// The facts from the partner's licences that are not revoked.
pub fn facts(licences: &[licence::Model], today: NaiveDate) -> BonusFacts {
    let bonuses = || licences.iter().filter(|l| l.tariff_code == "bonus");
    let held = bonuses().any(|l| l.ends_on >= today);
    let mut current: Vec<i64> = licences
        .iter()
        .filter(|l| l.starts_on <= today && today <= l.ends_on)
        .filter(|l| !NOT_COUNTED.contains(&l.tariff_code.as_str()))
        .map(|l| l.subscriber_id)
        .collect();
    current.sort_unstable();
    current.dedup();
    BonusFacts {
        held,
        previous_ended: !held && bonuses().any(|l| l.ends_on < today),
        current_subscribers: u32::try_from(current.len()).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn licence(subscriber_id: i64, tariff: &str, starts: &str, ends: &str) -> licence::Model {
        licence::Model {
            id: 0,
            version: 0,
            subscriber_id,
            product_account_id: None,
            tariff_code: tariff.into(),
            tariff_name: tariff.into(),
            kind: "licence".into(),
            zone: 1,
            is_primary: true,
            state: crate::tariffs::licence::LicenceState::Registered,
            starts_on: starts.parse().unwrap(),
            ends_on: ends.parse().unwrap(),
            cost: crate::money::Money::ZERO,
            sales_center_share: crate::money::Money::ZERO,
            revocable: true,
            approved_in_reconciliation: false,
            connection_option: None,
            application_id: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            registered_on: None,
            special_offer_number: None,
        }
    }

    #[test]
    fn a_live_bonus_is_held_and_an_ended_one_counts_only_without_it() {
        let today = "2025-06-01".parse().unwrap();
        let ended = licence(1, "bonus", "2024-01-01", "2024-12-31");
        let live = licence(2, "bonus", "2025-01-01", "2025-12-31");
        assert_eq!(
            facts(std::slice::from_ref(&ended), today),
            BonusFacts {
                held: false,
                previous_ended: true,
                current_subscribers: 0
            }
        );
        let both = facts(&[ended, live], today);
        assert!(both.held && !both.previous_ended);
    }

    #[test]
    fn promo_and_up_additional_do_not_count_and_a_subscriber_counts_once() {
        let today = "2025-06-01".parse().unwrap();
        let licences = [
            licence(1, "basic_1y", "2025-01-01", "2025-12-31"),
            licence(1, "cryptopro", "2025-01-01", "2025-12-31"),
            licence(2, "promo_month", "2025-05-15", "2025-06-15"),
            licence(3, "up_additional", "2025-01-01", "2025-12-31"),
            licence(4, "basic_1y", "2025-07-01", "2026-06-30"),
            licence(5, "its", "2024-01-01", "2025-05-31"),
        ];
        assert_eq!(facts(&licences, today).current_subscribers, 1);
    }
}
