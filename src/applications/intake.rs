//! The intake document the 1C program sends (interfaces.md), and its validation.
//!
//! Shape errors (unknown fields, wrong types) are caught while parsing; content errors
//! (lengths, e-mail, checksums, the ИП ⇔ 12-digit ИНН rule) by [`validate`], which names
//! every bad field at once.

use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::error::FieldError;
pub use crate::organisation::{Authority, CertificateType, Direction, Owner};
use crate::requisites;
pub use crate::subscribers::category::Category;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    Create,
    Change,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalForm {
    LegalEntity,
    SoleTrader,
}

impl LegalForm {
    pub fn title_ru(self) -> &'static str {
        match self {
            LegalForm::LegalEntity => "ЮЛ",
            LegalForm::SoleTrader => "ИП",
        }
    }
}

fn valid_inn(s: &str) -> Result<(), ValidationError> {
    requisites::inn(s)
        .map(drop)
        .map_err(|m| ValidationError::new("inn").with_message(m.into()))
}

fn valid_kpp(s: &str) -> Result<(), ValidationError> {
    requisites::kpp(s)
        .map(drop)
        .map_err(|m| ValidationError::new("kpp").with_message(m.into()))
}

fn valid_phone(s: &str) -> Result<(), ValidationError> {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let allowed = s.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if allowed && (5..=20).contains(&digits) {
        Ok(())
    } else {
        Err(ValidationError::new("phone")
            .with_message("телефон: цифры, пробелы, +, -, скобки; от 5 до 20 цифр".into()))
    }
}

fn valid_format_version(s: &str) -> Result<(), ValidationError> {
    let parts: Vec<&str> = s.trim().split('.').collect();
    if parts.len() <= 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
    {
        Ok(())
    } else {
        Err(ValidationError::new("format_version")
            .with_message("версия формата — числа через точку, например 1.8".into()))
    }
}

fn valid_region(s: &str) -> Result<(), ValidationError> {
    if s.trim().len() == 2 && s.trim().chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ValidationError::new("region_code").with_message("код региона — 2 цифры".into()))
    }
}

fn valid_guid(s: &str) -> Result<(), ValidationError> {
    uuid::Uuid::parse_str(s.trim()).map(drop).map_err(|_| {
        ValidationError::new("product_guid").with_message(
            "идентификатор продукта — GUID вида 0f8fad5b-d9cb-469f-a165-70867728950e".into(),
        )
    })
}

fn valid_email(s: &str) -> Result<(), ValidationError> {
    requisites::email(s)
        .map(drop)
        .map_err(|m| ValidationError::new("email").with_message(m.into()))
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeDocument {
    pub partner_code: Option<String>,
    pub request_type: RequestType,
    pub legal_form: LegalForm,
    pub category: Category,
    #[serde(default)]
    pub paperless_renewal: bool,
    #[validate(custom(function = "valid_inn"))]
    pub inn: String,
    #[validate(custom(function = "valid_kpp"))]
    pub kpp: Option<String>,
    pub ogrn: Option<String>,
    #[validate(length(min = 3, max = 1000, message = "от 3 до 1000 знаков"))]
    pub full_name: String,
    #[validate(length(min = 3, max = 255, message = "от 3 до 255 знаков"))]
    pub short_name: String,
    #[validate(length(max = 20, message = "не длиннее 20 знаков"))]
    pub pfr_number: Option<String>,
    #[validate(length(max = 20, message = "не длиннее 20 знаков"))]
    pub fss_number: Option<String>,
    #[validate(custom(function = "valid_phone"))]
    pub phone: String,
    #[validate(custom(function = "valid_phone"))]
    pub mobile_phone: Option<String>,
    #[validate(custom(function = "valid_email"))]
    pub email: String,
    #[validate(length(max = 1000, message = "не длиннее 1000 знаков"))]
    pub legal_address: String,
    #[validate(length(max = 1000, message = "не длиннее 1000 знаков"))]
    pub actual_address: String,
    #[validate(custom(function = "valid_region"))]
    pub region_code: String,
    #[validate(length(min = 1, max = 200, message = "укажите конфигурацию 1С"))]
    pub configuration: String,
    #[validate(custom(function = "valid_format_version"))]
    pub format_version: String,
    pub certificate_requested: bool,
    #[serde(default)]
    pub cryptopro_licence: bool,
    /// «Подключить ЛК»: connect the ЛК Базовый extension with this application.
    #[serde(default)]
    pub connect_lk: bool,
    #[validate(length(min = 1, max = 100, message = "от 1 до 100 знаков"))]
    pub its_login: Option<String>,
    #[validate(custom(function = "valid_email"))]
    pub its_email: Option<String>,
    #[validate(nested)]
    pub owner: Owner,
    #[validate(
        length(min = 1, max = 100, message = "от 1 до 100 направлений"),
        nested
    )]
    pub directions: Vec<Direction>,
    #[validate(custom(function = "valid_inn"))]
    pub authorized_representative_inn: Option<String>,
    #[validate(custom(function = "valid_guid"))]
    pub product_guid: Option<String>,
}

impl IntakeDocument {
    pub fn is_sole_trader(&self) -> bool {
        self.legal_form == LegalForm::SoleTrader
    }
}

/// Every problem of the document, each naming its field (`owner.snils`, `directions[1].kpp`).
///
/// # Errors
/// The list of field errors when there is at least one.
pub fn validate(doc: &IntakeDocument) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if let Err(e) = doc.validate() {
        flatten("", &e, &mut errors);
    }
    // No field of the document is free to carry control characters (NUL among them,
    // which PostgreSQL cannot store at all).
    if let Ok(v) = serde_json::to_value(doc) {
        control_characters("", &v, &mut errors);
    }
    // Cross-field rules of §4.
    let inn_digits = doc.inn.trim().len();
    match doc.legal_form {
        LegalForm::SoleTrader if inn_digits != 12 => {
            errors.push(FieldError::new("inn", "у ИП ИНН из 12 цифр"));
        }
        LegalForm::LegalEntity if inn_digits != 10 => {
            errors.push(FieldError::new("inn", "у организации ИНН из 10 цифр"));
        }
        _ => {}
    }
    if doc.legal_form == LegalForm::LegalEntity
        && doc.kpp.as_deref().is_none_or(|k| k.trim().is_empty())
    {
        errors.push(FieldError::new("kpp", "у организации КПП обязателен"));
    }
    if let Some(ogrn) = doc.ogrn.as_deref().filter(|s| !s.trim().is_empty())
        && let Err(m) = requisites::ogrn(ogrn, doc.is_sole_trader())
    {
        errors.push(FieldError::new("ogrn", m));
    }
    if doc.cryptopro_licence && doc.owner.certificate_type != CertificateType::QualifiedCryptopro {
        errors.push(FieldError::new(
            "owner.certificate_type",
            "лицензия КриптоПро запрошена: тип сертификата qualified_cryptopro",
        ));
    }
    // The cloud signature is bound to a phone by an SMS code (§17, manual l.2920–2935).
    if doc.owner.cloud_signature
        && doc
            .mobile_phone
            .as_deref()
            .is_none_or(|p| p.trim().is_empty())
    {
        errors.push(FieldError::new(
            "mobile_phone",
            "для облачной подписи нужен мобильный телефон: на него придет СМС с кодом активации myDSS",
        ));
    }
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    errors.dedup();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn control_characters(path: &str, v: &serde_json::Value, out: &mut Vec<FieldError>) {
    use serde_json::Value;
    match v {
        Value::String(s) if s.chars().any(char::is_control) => out.push(FieldError::new(
            path,
            "недопустимые управляющие символы (переводы строк, табуляция, NUL)",
        )),
        Value::Object(m) => {
            for (k, v) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                control_characters(&p, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                control_characters(&format!("{path}[{i}]"), v, out);
            }
        }
        _ => {}
    }
}

fn flatten(prefix: &str, e: &ValidationErrors, out: &mut Vec<FieldError>) {
    for (field, kind) in e.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for v in list {
                    let message = v
                        .message
                        .as_ref()
                        .map_or_else(|| v.code.to_string(), ToString::to_string);
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten(&format!("{path}[{i}]"), inner, out);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample() -> IntakeDocument {
        serde_json::from_value(serde_json::json!({
            "partner_code": "p-klg-1",
            "request_type": "create",
            "legal_form": "legal_entity",
            "category": "taxpayer",
            "paperless_renewal": false,
            "inn": "4027291410", "kpp": "402701001", "ogrn": "1706690743912",
            "full_name": "Общество с ограниченной ответственностью \"Ромашка\"", "short_name": "ООО \"Ромашка\"",
            "pfr_number": "099-999-999999", "fss_number": null,
            "phone": "+7 4842 000000", "mobile_phone": "+7 900 000 0000", "email": "info@example.ru",
            "legal_address": "248001, Калужская область, г. Калуга, ул. Кирова, д. 1",
            "actual_address": "248001, Калужская область, г. Калуга, ул. Кирова, д. 1",
            "region_code": "40",
            "configuration": "1С:БУХГАЛТЕРИЯ КОРП 3.0", "format_version": "1.8",
            "certificate_requested": true, "cryptopro_licence": false,
            "its_login": "user123", "its_email": "user123@example.ru",
            "owner": { "full_name": "Иванов Иван Иванович", "snils": "112-233-445 95", "position": "Директор",
                       "certificate_type": "qualified", "cloud_signature": false },
            "directions": [ { "authority": "fns", "code": "4027", "kpp": "402701001" },
                            { "authority": "pfr", "code": "040-001" } ],
            "authorized_representative_inn": null,
            "product_guid": null
        }))
        .unwrap()
    }

    fn fields(doc: &IntakeDocument) -> Vec<String> {
        validate(doc)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn the_contract_example_is_valid() {
        assert_eq!(validate(&sample()), Ok(()));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut d = sample();
        d.inn = "4027291411".into();
        d.owner.snils = "112-233-445 96".into();
        d.email = "info@".into();
        d.directions[0].kpp = Some("40270".into());
        d.ogrn = Some("1027700132196".into());
        assert_eq!(
            fields(&d),
            vec!["directions[0].kpp", "email", "inn", "ogrn", "owner.snils"]
        );
    }

    #[test]
    fn a_sole_trader_has_a_12_digit_inn_and_an_organisation_a_10_digit_one() {
        let mut d = sample();
        d.legal_form = LegalForm::SoleTrader;
        d.kpp = None;
        d.ogrn = None;
        assert_eq!(fields(&d), vec!["inn"]);
        d.inn = "500100732259".into();
        assert_eq!(fields(&d), Vec::<String>::new());
        d.legal_form = LegalForm::LegalEntity;
        d.kpp = Some("402701001".into());
        assert_eq!(fields(&d), vec!["inn"]);
    }

    #[test]
    fn an_organisation_needs_a_kpp() {
        let mut d = sample();
        d.kpp = None;
        assert_eq!(fields(&d), vec!["kpp"]);
    }

    #[test]
    fn at_least_one_direction() {
        let mut d = sample();
        d.directions.clear();
        assert_eq!(fields(&d), vec!["directions"]);
    }

    #[test]
    fn codes_phones_versions_and_guids_have_their_shapes() {
        let mut d = sample();
        d.phone = "позвоните".into();
        d.format_version = "1.8; DROP".into();
        d.product_guid = Some("not-a-guid".into());
        d.region_code = "4x".into();
        d.owner.position = Some("Директор\u{0}".into());
        d.directions = (0..101).map(|_| d.directions[0].clone()).collect();
        assert_eq!(
            fields(&d),
            vec![
                "directions",
                "format_version",
                "owner.position",
                "phone",
                "product_guid",
                "region_code"
            ]
        );
    }

    #[test]
    fn the_category_is_one_of_the_list() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["category"] = "<b>boss</b>".into();
        assert!(serde_json::from_value::<IntakeDocument>(v).is_err());
    }

    #[test]
    fn unknown_fields_are_refused_while_parsing() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["colour"] = "red".into();
        assert!(serde_json::from_value::<IntakeDocument>(v).is_err());
    }
}
