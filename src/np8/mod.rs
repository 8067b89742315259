//! Licences for 1С:Налогоплательщик 8 (§15, manual l.2555–2635): users of 1С:Предприятие
//! 7.7 programs need one to connect. A partner issues a registration number and a PIN for
//! an organisation's ИНН/КПП, either paid («Базовый договор»: base versions and ITS ТЕХНО,
//! only once the subscriber has paid) or free (a current ITS PROF contract registered on
//! the ITS portal, chosen under «Опция» after the portal login and e-mail are applied).
//!
//! The rules are here ([`decide`]); [`service`] loads the facts, asks them and saves;
//! [`server`] is the port to the licence server that hands out numbers and PINs;
//! [`routes`] are the pages and the API.

pub mod routes;
pub mod server;
pub mod service;

use chrono::NaiveDate;

use crate::entities::its_subscription;
use crate::error::AppError;

crate::code_enum! {
    /// On what grounds a licence is issued.
    #[derive(utoipa::ToSchema)]
    pub enum Basis {
        /// «Базовый договор»: paid by the subscriber.
        Paid = "paid",
        /// Free with a current ITS PROF contract on the portal.
        ItsProf = "its_prof",
    }
}

impl Basis {
    pub fn title_ru(self) -> &'static str {
        match self {
            Basis::Paid => "Платно (базовый договор)",
            Basis::ItsProf => "Бесплатно (договор 1С:ИТС ПРОФ)",
        }
    }
}

/// What a request to issue a licence is decided by.
#[derive(Debug, Clone)]
pub struct IssueFacts<'a> {
    pub basis: Basis,
    /// The partner confirmed that the subscriber has paid (the confirmation's «Выдать
    /// лицензию» on a paid licence; `paid: true` in the API).
    pub paid: bool,
    pub inn: &'a str,
    pub kpp: Option<&'a str>,
    /// The ITS contract a free licence is asked by (`None`: none named or none found).
    pub contract: Option<&'a its_subscription::Model>,
    /// A licence already issued by that contract.
    pub contract_used: bool,
    /// The licence the organisation already holds: its number when the caller's own
    /// partner issued it (another partner's is not named).
    pub existing: Option<Option<String>>,
    pub today: NaiveDate,
}

/// Why a licence is not issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A paid licence without the partner's confirmation that the subscriber has paid.
    NotPaid,
    /// A free licence without a contract, or one the portal does not hold.
    NoContract,
    /// The contract is not ITS PROF.
    NotProf,
    /// The contract has not started or has ended.
    ContractNotCurrent {
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    },
    /// The contract is another organisation's.
    ContractOfAnother,
    /// The contract has already given its free licence.
    ContractUsed,
    /// The organisation already holds a licence.
    AlreadyIssued { number: Option<String> },
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        use crate::web::components::date_ru;
        match r {
            Refusal::NotPaid => AppError::invalid(
                "paid",
                "платная лицензия выдается только после того, как абонент оплатил ее стоимость: подтвердите оплату",
            ),
            Refusal::NoContract => AppError::invalid(
                "its_subscription",
                "выберите договор 1С:ИТС, зарегистрированный на портале ИТС для указанного логина",
            ),
            Refusal::NotProf => AppError::invalid(
                "its_subscription",
                "бесплатно лицензия выдается только по договору 1С:ИТС уровня ПРОФ; для договора ТЕХНО выдайте платную (базовый договор)",
            ),
            Refusal::ContractNotCurrent { starts_on, ends_on } => AppError::invalid(
                "its_subscription",
                format!(
                    "договор 1С:ИТС действует с {} по {}: бесплатно лицензия выдается только по действующему договору",
                    date_ru(starts_on),
                    date_ru(ends_on)
                ),
            ),
            Refusal::ContractOfAnother => AppError::invalid(
                "its_subscription",
                "договор 1С:ИТС заключен с другой организацией: ИНН в договоре и ИНН абонента должны совпадать",
            ),
            Refusal::ContractUsed => AppError::refused(
                "its_contract_used",
                "По этому договору 1С:ИТС лицензия на 1С:Налогоплательщик 8 уже выдана.",
            ),
            Refusal::AlreadyIssued { number: Some(n) } => AppError::refused(
                "already_issued",
                format!(
                    "Организации с этими ИНН и КПП уже выдана лицензия на 1С:Налогоплательщик 8 № {n}: она в разделе «Выданные лицензии»."
                ),
            ),
            Refusal::AlreadyIssued { number: None } => AppError::refused(
                "already_issued",
                "Организации с этими ИНН и КПП уже выдана лицензия на 1С:Налогоплательщик 8 другим партнером.",
            ),
        }
    }
}

/// Whether a licence may be issued on these facts; the first reason it may not.
///
/// # Errors
/// The [`Refusal`].
pub fn decide(f: &IssueFacts<'_>) -> Result<(), Refusal> {
    if let Some(number) = &f.existing {
        return Err(Refusal::AlreadyIssued {
            number: number.clone(),
        });
    }
    match f.basis {
        Basis::Paid if !f.paid => Err(Refusal::NotPaid),
        Basis::Paid => Ok(()),
        Basis::ItsProf => {
            let c = f.contract.ok_or(Refusal::NoContract)?;
            if c.level != "PROF" {
                return Err(Refusal::NotProf);
            }
            if c.starts_on > f.today || c.ends_on < f.today {
                return Err(Refusal::ContractNotCurrent {
                    starts_on: c.starts_on,
                    ends_on: c.ends_on,
                });
            }
            let kpp_fits = c.owner_kpp.as_deref().is_none_or(|k| Some(k) == f.kpp);
            if c.owner_inn != f.inn || !kpp_fits {
                return Err(Refusal::ContractOfAnother);
            }
            if f.contract_used {
                return Err(Refusal::ContractUsed);
            }
            Ok(())
        }
    }
}

/// The contract's line under «Опция», as the manual shows it:
/// «Информационно-технологическое сопровождение 1С(31.05.2019 - 30.05.2020)».
pub fn option_title(c: &its_subscription::Model) -> String {
    use crate::web::components::date_ru;
    format!(
        "{}({} - {})",
        c.tariff_name,
        date_ru(c.starts_on),
        date_ru(c.ends_on)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn contract(level: &str) -> its_subscription::Model {
        its_subscription::Model {
            id: 1,
            registration_number: "ITS-1".into(),
            owner_inn: "4027291410".into(),
            owner_kpp: None,
            tariff_name: "Информационно-технологическое сопровождение 1С".into(),
            starts_on: day(2025, 1, 1),
            ends_on: day(2025, 12, 31),
            level: level.into(),
            portal_login: "its-active".into(),
            email: None,
            activated_for_inn: None,
            activated_for_kpp: None,
        }
    }

    fn facts<'a>(basis: Basis, c: Option<&'a its_subscription::Model>) -> IssueFacts<'a> {
        IssueFacts {
            basis,
            paid: false,
            inn: "4027291410",
            kpp: Some("402701001"),
            contract: c,
            contract_used: false,
            existing: None,
            today: day(2025, 3, 3),
        }
    }

    #[test]
    fn a_paid_licence_waits_for_the_payment() {
        assert_eq!(decide(&facts(Basis::Paid, None)), Err(Refusal::NotPaid));
        let paid = IssueFacts {
            paid: true,
            ..facts(Basis::Paid, None)
        };
        assert_eq!(decide(&paid), Ok(()));
    }

    #[test]
    fn a_free_licence_needs_a_current_prof_contract_of_the_organisation() {
        let prof = contract("PROF");
        assert_eq!(decide(&facts(Basis::ItsProf, Some(&prof))), Ok(()));
        assert_eq!(
            decide(&facts(Basis::ItsProf, None)),
            Err(Refusal::NoContract)
        );
        let techno = contract("TECHNO");
        assert_eq!(
            decide(&facts(Basis::ItsProf, Some(&techno))),
            Err(Refusal::NotProf)
        );
        let late = IssueFacts {
            today: day(2026, 1, 1),
            ..facts(Basis::ItsProf, Some(&prof))
        };
        assert!(matches!(
            decide(&late),
            Err(Refusal::ContractNotCurrent { .. })
        ));
        let other = IssueFacts {
            inn: "7707083893",
            ..facts(Basis::ItsProf, Some(&prof))
        };
        assert_eq!(decide(&other), Err(Refusal::ContractOfAnother));
        let used = IssueFacts {
            contract_used: true,
            ..facts(Basis::ItsProf, Some(&prof))
        };
        assert_eq!(decide(&used), Err(Refusal::ContractUsed));
    }

    #[test]
    fn an_organisation_holds_one_licence() {
        let held = IssueFacts {
            paid: true,
            existing: Some(Some("8100000001".into())),
            ..facts(Basis::Paid, None)
        };
        assert_eq!(
            decide(&held),
            Err(Refusal::AlreadyIssued {
                number: Some("8100000001".into())
            })
        );
    }
}
