//! The five roles of the product. A module of its own so the pure rule modules can name
//! who may act without depending on authentication.

use sea_orm::entity::prelude::*;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

/// Who a signed-in user (or an API token) acts as.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[sea_orm(string_value = "operator")]
    Operator,
    #[sea_orm(string_value = "sales_center")]
    SalesCenter,
    #[sea_orm(string_value = "partner")]
    Partner,
    #[sea_orm(string_value = "identification_center")]
    IdentificationCenter,
    #[sea_orm(string_value = "intake")]
    Intake,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Operator,
        Role::SalesCenter,
        Role::Partner,
        Role::IdentificationCenter,
        Role::Intake,
    ];

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::SalesCenter => "sales_center",
            Role::Partner => "partner",
            Role::IdentificationCenter => "identification_center",
            Role::Intake => "intake",
        }
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            Role::Operator => "Оператор",
            Role::SalesCenter => "Центр продаж",
            Role::Partner => "Партнер",
            Role::IdentificationCenter => "Центр идентификации",
            Role::Intake => "Интеграция 1С",
        }
    }
}
