//! Requisite checks (domain.md §4): mandatory ones block processing, optional ones are
//! shown and never block. Computed at intake and again before processing; stored with
//! the application for the Проверки tab and the registry's Проверка column.

use serde::{Deserialize, Serialize};

use super::intake::{IntakeDocument, LegalForm};
use crate::requisites;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub code: String,
    pub passed: bool,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Checks {
    /// All mandatory checks passed.
    pub passed: bool,
    pub mandatory: Vec<Check>,
    pub optional: Vec<Check>,
}

fn check<T>(code: &str, result: Result<T, String>, ok: &str) -> Check {
    match result {
        Ok(_) => Check {
            code: code.to_owned(),
            passed: true,
            message: ok.to_owned(),
        },
        Err(m) => Check {
            code: code.to_owned(),
            passed: false,
            message: m,
        },
    }
}

/// What the checks need besides the document: facts only the database knows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// Another application for the same ИНН/КПП is still open.
    pub other_open_application: bool,
}

/// Runs every check of §4 over an application's requisites.
pub fn run(doc: &IntakeDocument, ctx: Context) -> Checks {
    let sole = doc.legal_form == LegalForm::SoleTrader;
    let mut mandatory = vec![check(
        "inn_checksum",
        requisites::inn(&doc.inn),
        "ИНН корректен",
    )];
    if !sole {
        mandatory.push(check(
            "kpp_format",
            doc.kpp
                .as_deref()
                .map_or_else(|| Err("КПП не указан".to_owned()), requisites::kpp),
            "КПП корректен",
        ));
    }
    if let Some(ogrn) = doc.ogrn.as_deref().filter(|s| !s.trim().is_empty()) {
        mandatory.push(check(
            if sole {
                "ogrnip_checksum"
            } else {
                "ogrn_checksum"
            },
            requisites::ogrn(ogrn, sole),
            if sole {
                "ОГРНИП корректен"
            } else {
                "ОГРН корректен"
            },
        ));
    }
    mandatory.push(check(
        "owner_snils_checksum",
        requisites::snils(&doc.owner.snils),
        "СНИЛС владельца сертификата корректен",
    ));
    mandatory.push(check(
        "email_format",
        requisites::email(&doc.email),
        "Адрес электронной почты корректен",
    ));
    let form_matches = (doc.inn.trim().len() == 12) == sole;
    mandatory.push(Check {
        code: "legal_form_matches_inn".to_owned(),
        passed: form_matches,
        message: if form_matches {
            "Форма (ЮЛ/ИП) соответствует длине ИНН".to_owned()
        } else {
            "ИП должен иметь ИНН из 12 цифр, организация — из 10".to_owned()
        },
    });

    let address = !doc.legal_address.trim().is_empty() && !doc.actual_address.trim().is_empty();
    let mut optional = vec![Check {
        code: "address_present".to_owned(),
        passed: address,
        message: if address {
            "Юридический и фактический адреса указаны"
        } else {
            "Не указан юридический или фактический адрес"
        }
        .to_owned(),
    }];
    if doc.ogrn.as_deref().is_none_or(|s| s.trim().is_empty()) {
        optional.push(Check {
            code: "ogrn_present".to_owned(),
            passed: false,
            message: if sole {
                "ОГРНИП не указан"
            } else {
                "ОГРН не указан"
            }
            .to_owned(),
        });
    }
    if let Some(fss) = doc.fss_number.as_deref().filter(|s| !s.trim().is_empty()) {
        optional.push(check(
            "fss_number_format",
            requisites::fss_number(fss),
            "Регистрационный номер ФСС корректен",
        ));
    }
    optional.push(Check {
        code: "no_other_open_application".to_owned(),
        passed: !ctx.other_open_application,
        message: if ctx.other_open_application {
            "По этим ИНН/КПП есть другое необработанное заявление"
        } else {
            "Других необработанных заявлений по этим ИНН/КПП нет"
        }
        .to_owned(),
    });

    Checks {
        passed: mandatory.iter().all(|c| c.passed),
        mandatory,
        optional,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applications::intake::tests::sample;

    #[test]
    fn a_clean_application_passes_and_optional_results_do_not_block() {
        let c = run(
            &sample(),
            Context {
                other_open_application: true,
            },
        );
        assert!(c.passed);
        let other = c
            .optional
            .iter()
            .find(|c| c.code == "no_other_open_application")
            .unwrap();
        assert!(!other.passed);
    }

    #[test]
    fn a_bad_checksum_fails_a_mandatory_check() {
        let mut d = sample();
        d.owner.snils = "112-233-445 96".into();
        let c = run(&d, Context::default());
        assert!(!c.passed);
        assert_eq!(
            c.mandatory
                .iter()
                .filter(|c| !c.passed)
                .map(|c| c.code.as_str())
                .collect::<Vec<_>>(),
            vec!["owner_snils_checksum"]
        );
    }

    #[test]
    fn a_missing_address_is_only_a_warning() {
        let mut d = sample();
        d.actual_address = String::new();
        let c = run(&d, Context::default());
        assert!(c.passed);
        assert!(!c.optional[0].passed);
    }
}
