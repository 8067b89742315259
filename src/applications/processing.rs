//! Sending to processing (§2.1, §7): the ITS portal check and the connection options.
//!
//! This is the seam for the processing pipeline: "В обработку" validates the request
//! here and stores it on the application; what processing does with it (tariffs, the
//! subscriber) is the pipeline's business and arrives in a later release.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::entities::its_subscription;

/// The four outcomes of the ITS check (§2.1.1–§2.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItsOutcome {
    /// A current PROF subscription: the free connection is possible.
    Active,
    /// A PROF subscription that starts in the future: paid or deferred only.
    Deferred,
    /// The subscription is activated for another subscriber: free it first (Отключить ИТС).
    UsedByOther,
    /// No subscription: paid or deferred.
    None,
}

impl ItsOutcome {
    pub fn parse(s: &str) -> Option<ItsOutcome> {
        match s {
            "active" => Some(ItsOutcome::Active),
            "deferred" => Some(ItsOutcome::Deferred),
            "used_by_other" => Some(ItsOutcome::UsedByOther),
            "none" => Some(ItsOutcome::None),
            _ => None,
        }
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            ItsOutcome::Active => "Подписка ИТС ПРОФ зарегистрирована на портале ИТС",
            ItsOutcome::Deferred => "Подписка ИТС ПРОФ зарегистрирована, но начинается в будущем",
            ItsOutcome::UsedByOther => {
                "Подписка ИТС ПРОФ активирована для другого абонента: сначала отключите ИТС у него"
            }
            ItsOutcome::None => "Подписка ИТС ПРОФ на портале ИТС не зарегистрирована",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionView {
    pub registration_number: String,
    pub tariff_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub activated_for_other: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItsCheck {
    pub outcome: ItsOutcome,
    pub subscriptions: Vec<SubscriptionView>,
    pub options: Vec<ConnectionOption>,
}

crate::code_enum! {
    /// Connection options of "В обработку".
    #[derive(utoipa::ToSchema)]
    pub enum ConnectionOption {
        /// Основной (1 год).
        Basic1y = "basic_1y",
        /// Основной (2 года).
        Basic2y = "basic_2y",
        /// Отложенное подключение в рамках договора ИТС уровня ПРОФ.
        DeferredIts = "deferred_its",
        /// Льготное подключение (ИТС).
        ItsFree = "its_free",
    }
}

impl ConnectionOption {
    pub fn title_ru(self) -> &'static str {
        match self {
            ConnectionOption::Basic1y => "Основной (1 год)",
            ConnectionOption::Basic2y => "Основной (2 года)",
            ConnectionOption::DeferredIts => {
                "Отложенное подключение в рамках договора ИТС уровня ПРОФ"
            }
            ConnectionOption::ItsFree => "Льготное подключение (ИТС)",
        }
    }
}

/// Tariff flags of §2.2–§2.8, kept for the pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessFlags {
    #[serde(default)]
    pub group_head_inn: Option<String>,
    #[serde(default)]
    pub group_head_kpp: Option<String>,
    #[serde(default)]
    pub bonus: bool,
    #[serde(default)]
    pub right_choice: bool,
    #[serde(default)]
    pub special_offer_code: Option<String>,
    /// Основной для ИП: set automatically for a sole trader unless turned off.
    #[serde(default)]
    pub basic_sole_trader: Option<bool>,
    #[serde(default)]
    pub authorized_representative: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessRequest {
    pub option: ConnectionOption,
    #[serde(default)]
    pub its_subscription: Option<String>,
    #[serde(default)]
    pub flags: ProcessFlags,
}

/// The outcome for the subscriptions found by the application's ITS login.
pub fn check(
    subs: &[its_subscription::Model],
    inn: &str,
    kpp: Option<&str>,
    today: NaiveDate,
) -> ItsCheck {
    let prof: Vec<&its_subscription::Model> = subs
        .iter()
        .filter(|s| s.level == "PROF" && s.ends_on >= today)
        .collect();
    let for_other = |s: &its_subscription::Model| {
        s.activated_for_inn
            .as_deref()
            .is_some_and(|i| i != inn || s.activated_for_kpp.as_deref() != kpp)
    };
    let current: Vec<&&its_subscription::Model> =
        prof.iter().filter(|s| s.starts_on <= today).collect();
    let outcome = if current.iter().any(|s| !for_other(s)) {
        ItsOutcome::Active
    } else if !current.is_empty() {
        ItsOutcome::UsedByOther
    } else if prof.iter().any(|s| s.starts_on > today) {
        ItsOutcome::Deferred
    } else {
        ItsOutcome::None
    };
    let options = match outcome {
        ItsOutcome::Active => ConnectionOption::ALL.to_vec(),
        _ => vec![
            ConnectionOption::Basic1y,
            ConnectionOption::Basic2y,
            ConnectionOption::DeferredIts,
        ],
    };
    ItsCheck {
        outcome,
        subscriptions: prof
            .iter()
            .map(|s| SubscriptionView {
                registration_number: s.registration_number.clone(),
                tariff_name: s.tariff_name.clone(),
                starts_on: s.starts_on,
                ends_on: s.ends_on,
                activated_for_other: for_other(s),
            })
            .collect(),
        options,
    }
}

/// Whether the request fits the check; the message names what is wrong.
///
/// # Errors
/// `(field, message)` of the first problem.
pub fn validate(
    req: &ProcessRequest,
    check: &ItsCheck,
    today: NaiveDate,
) -> Result<(), (&'static str, String)> {
    if !check.options.contains(&req.option) {
        return Err((
            "option",
            format!(
                "вариант «{}» недоступен: {}",
                req.option.title_ru(),
                check.outcome.title_ru()
            ),
        ));
    }
    if req.option == ConnectionOption::ItsFree {
        let usable: Vec<&SubscriptionView> = check
            .subscriptions
            .iter()
            .filter(|s| !s.activated_for_other && s.starts_on <= today)
            .collect();
        match &req.its_subscription {
            Some(reg) if usable.iter().any(|s| &s.registration_number == reg) => {}
            Some(_) => {
                return Err((
                    "its_subscription",
                    "эта подписка ИТС недоступна для льготного подключения".to_owned(),
                ));
            }
            None if usable.len() == 1 => {}
            None => {
                return Err((
                    "its_subscription",
                    "выберите одну из подписок ИТС".to_owned(),
                ));
            }
        }
    }
    // The head of the group is named by its requisites: checked like any ИНН/КПП, not
    // only by the form's pattern (an ИНН «12345» was accepted).
    if let Some(inn) = req.flags.group_head_inn.as_deref() {
        super::requisites::inn(inn.trim()).map_err(|m| ("flags.group_head_inn", m))?;
    }
    if let Some(kpp) = req
        .flags
        .group_head_kpp
        .as_deref()
        .filter(|k| !k.trim().is_empty())
    {
        super::requisites::kpp(kpp.trim()).map_err(|m| ("flags.group_head_kpp", m))?;
    }
    if req.flags.right_choice && req.flags.group_head_inn.is_some() {
        return Err((
            "flags.right_choice",
            "тариф «Верное решение» недоступен для группы компаний".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_heads_inn_is_checked() {
        let check = ItsCheck {
            outcome: ItsOutcome::None,
            subscriptions: vec![],
            options: vec![ConnectionOption::Basic1y],
        };
        let mut req: ProcessRequest =
            serde_json::from_value(serde_json::json!({"option": "basic_1y"})).unwrap();
        req.flags.group_head_inn = Some("12345".into());
        let today = "2025-03-03".parse().unwrap();
        assert_eq!(
            validate(&req, &check, today).unwrap_err().0,
            "flags.group_head_inn"
        );
        req.flags.group_head_inn = Some("4027291410".into());
        assert_eq!(validate(&req, &check, today), Ok(()));
    }

    fn sub(
        n: &str,
        start: &str,
        end: &str,
        level: &str,
        activated_for: Option<&str>,
    ) -> its_subscription::Model {
        its_subscription::Model {
            id: 0,
            registration_number: n.into(),
            owner_inn: "4027291410".into(),
            owner_kpp: Some("402701001".into()),
            tariff_name: "1С:ИТС ПРОФ".into(),
            starts_on: start.parse().unwrap(),
            ends_on: end.parse().unwrap(),
            level: level.into(),
            portal_login: "x".into(),
            email: None,
            activated_for_inn: activated_for.map(Into::into),
            activated_for_kpp: activated_for.map(|_| "402701001".into()),
        }
    }

    fn today() -> NaiveDate {
        "2025-03-03".parse().unwrap()
    }

    #[test]
    fn option_names_match_the_contract() {
        for o in ConnectionOption::ALL {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
    }

    #[test]
    fn the_four_outcomes() {
        let inn = "4027291410";
        let kpp = Some("402701001");
        let o = |subs: &[its_subscription::Model]| check(subs, inn, kpp, today()).outcome;
        assert_eq!(
            o(&[sub("A", "2024-01-01", "2027-12-31", "PROF", None)]),
            ItsOutcome::Active
        );
        assert_eq!(
            o(&[sub("A", "2025-06-01", "2026-05-31", "PROF", None)]),
            ItsOutcome::Deferred
        );
        assert_eq!(
            o(&[sub(
                "A",
                "2024-01-01",
                "2027-12-31",
                "PROF",
                Some("5036065113")
            )]),
            ItsOutcome::UsedByOther
        );
        assert_eq!(
            o(&[sub("A", "2024-01-01", "2027-12-31", "PROF", Some(inn))]),
            ItsOutcome::Active,
            "activated for itself"
        );
        assert_eq!(o(&[]), ItsOutcome::None);
        assert_eq!(
            o(&[sub("A", "2024-01-01", "2027-12-31", "TECHNO", None)]),
            ItsOutcome::None
        );
        assert_eq!(
            o(&[sub("A", "2023-01-01", "2024-12-31", "PROF", None)]),
            ItsOutcome::None,
            "expired"
        );
    }

    #[test]
    fn the_free_option_needs_a_usable_subscription() {
        let subs = [
            sub("A", "2024-01-01", "2027-12-31", "PROF", None),
            sub("B", "2024-01-01", "2027-12-31", "PROF", None),
        ];
        let c = check(&subs, "4027291410", Some("402701001"), today());
        let req = |s: Option<&str>| ProcessRequest {
            option: ConnectionOption::ItsFree,
            its_subscription: s.map(Into::into),
            flags: ProcessFlags::default(),
        };
        assert_eq!(
            validate(&req(None), &c, today()).unwrap_err().0,
            "its_subscription",
            "two to choose from"
        );
        assert!(validate(&req(Some("B")), &c, today()).is_ok());
        assert!(validate(&req(Some("Z")), &c, today()).is_err());

        let none = check(&[], "4027291410", Some("402701001"), today());
        assert_eq!(
            validate(&req(None), &none, today()).unwrap_err().0,
            "option"
        );
        let paid = ProcessRequest {
            option: ConnectionOption::Basic1y,
            its_subscription: None,
            flags: ProcessFlags::default(),
        };
        assert!(validate(&paid, &none, today()).is_ok());
    }
}
