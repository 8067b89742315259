//! What «В обработку» asks for (§2.1–§2.8): the connection option, the tariff flags, and
//! the catalog code they stand for. Tariff vocabulary, so applications name it and the
//! subscribers' pipeline prices it without either depending on the other.

use serde::{Deserialize, Serialize};

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

/// The catalog code a connection option stands for.
pub fn tariff_code(req: &ProcessRequest, sole_trader: bool) -> &'static str {
    if req.flags.right_choice {
        return "right_choice";
    }
    if req.flags.bonus {
        return "bonus";
    }
    match req.option {
        ConnectionOption::ItsFree | ConnectionOption::DeferredIts => "its",
        ConnectionOption::Basic2y => "basic_2y",
        ConnectionOption::Basic1y if sole_trader && req.flags.basic_sole_trader != Some(false) => {
            "basic_sole_trader"
        }
        ConnectionOption::Basic1y => "basic_1y",
    }
}
