//! What an organisation states about itself in its application and keeps as a
//! subscriber: its directions of reporting and the owner of its certificate. Shared by
//! applications (which receive them) and subscribers (which keep them), so stored JSON
//! reads back as these types — a corrupt row is an error, not an empty default.

use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::error::AppError;
use crate::requisites;

crate::code_enum! {
    /// The kind of certificate requested.
    #[derive(utoipa::ToSchema)]
    pub enum CertificateType {
        /// КЭП.
        Qualified = "qualified",
        /// КЭП + Лицензия КриптоПро.
        QualifiedCryptopro = "qualified_cryptopro",
    }
}

crate::code_enum! {
    /// A supervisory authority reports go to.
    #[derive(utoipa::ToSchema)]
    pub enum Authority {
        Fns = "fns",
        Pfr = "pfr",
        Fss = "fss",
        Rosstat = "rosstat",
        Rar = "rar",
        Rpn = "rpn",
        Fts = "fts",
    }
}

impl Authority {
    pub fn title_ru(self) -> &'static str {
        match self {
            Authority::Fns => "ФНС",
            Authority::Pfr => "ПФР",
            Authority::Fss => "ФСС",
            Authority::Rosstat => "Росстат",
            Authority::Rar => "РАР",
            Authority::Rpn => "РПН",
            Authority::Fts => "ФТС",
        }
    }
}

fn valid_kpp(s: &str) -> Result<(), ValidationError> {
    requisites::kpp(s)
        .map(drop)
        .map_err(|m| ValidationError::new("kpp").with_message(m.into()))
}

fn valid_snils(s: &str) -> Result<(), ValidationError> {
    requisites::snils(s)
        .map(drop)
        .map_err(|m| ValidationError::new("snils").with_message(m.into()))
}

/// The certificate owner (владелец ЭП).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    #[validate(length(min = 5, max = 300, message = "укажите ФИО полностью"))]
    pub full_name: String,
    #[validate(custom(function = "valid_snils"))]
    pub snils: String,
    #[validate(length(max = 200, message = "не длиннее 200 знаков"))]
    pub position: Option<String>,
    pub certificate_type: CertificateType,
    #[serde(default)]
    pub cloud_signature: bool,
}

/// A direction of reporting (направление сдачи отчётности).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Direction {
    pub authority: Authority,
    #[validate(length(min = 1, max = 20, message = "код органа — от 1 до 20 знаков"))]
    pub code: String,
    #[validate(custom(function = "valid_kpp"))]
    pub kpp: Option<String>,
}

/// Reads a stored JSON column as its type; a corrupt row is an internal error naming
/// the column.
///
/// # Errors
/// `Internal` when the text is not the type.
pub fn stored<T: serde::de::DeserializeOwned>(
    column: &'static str,
    text: &str,
) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| {
        AppError::Internal(anyhow::Error::new(e).context(format!("stored {column} is corrupt")))
    })
}
