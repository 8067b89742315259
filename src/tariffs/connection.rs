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

crate::code_enum! {
    /// What a secondary application (manual §3) asks for: the wizard's «Тип заявления».
    #[derive(utoipa::ToSchema)]
    pub enum SecondaryAction {
        /// Создание новой учетной записи (новое подключение): a new product account and
        /// a new licence.
        NewAccount = "new_account",
        /// Подключение дополнительной конфигурации без создания сертификата.
        AdditionalConfiguration = "additional_configuration",
        /// Подключение дополнительной конфигурации с созданием сертификата.
        AdditionalConfigurationWithCertificate = "additional_configuration_with_certificate",
        /// Продление лицензии.
        Renewal = "renewal",
        /// Изменение реквизитов, направлений, замена сертификата.
        Change = "change",
    }
}

impl SecondaryAction {
    pub fn title_ru(self) -> &'static str {
        match self {
            SecondaryAction::NewAccount => "Создание новой учетной записи (новое подключение)",
            SecondaryAction::AdditionalConfiguration => {
                "Подключение дополнительной конфигурации без создания сертификата"
            }
            SecondaryAction::AdditionalConfigurationWithCertificate => {
                "Подключение дополнительной конфигурации с созданием сертификата"
            }
            SecondaryAction::Renewal => "Продление лицензии",
            SecondaryAction::Change => "Изменение реквизитов, направлений, замена сертификата",
        }
    }

    /// The choices the wizard offers for a request type (manual l.615, l.715–731):
    /// «Создание» from a connected organisation, or «Изменение».
    pub fn for_request_type(request_type: &str) -> &'static [SecondaryAction] {
        use SecondaryAction::*;
        if request_type == "change" {
            &[Change, Renewal]
        } else {
            &[
                NewAccount,
                AdditionalConfigurationWithCertificate,
                AdditionalConfiguration,
            ]
        }
    }

    /// Whether the action connects a licence (and so takes a connection option and the
    /// tariff flags): a new account and a renewal do; an additional configuration and a
    /// change keep the current licence (l.671–684, l.862–871).
    pub fn connects_licence(self) -> bool {
        matches!(self, SecondaryAction::NewAccount | SecondaryAction::Renewal)
    }

    /// Whether the certification authority makes a certificate: the additional
    /// configuration says so itself; otherwise the application's own request decides.
    pub fn issues_certificate(self, requested: bool) -> bool {
        match self {
            SecondaryAction::AdditionalConfiguration => false,
            SecondaryAction::AdditionalConfigurationWithCertificate => true,
            _ => requested,
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
    /// The connection option; absent for an action that connects no licence.
    #[serde(default)]
    pub option: Option<ConnectionOption>,
    /// The secondary application's action (manual §3); absent for a primary one.
    #[serde(default)]
    pub action: Option<SecondaryAction>,
    #[serde(default)]
    pub its_subscription: Option<String>,
    #[serde(default)]
    pub flags: ProcessFlags,
}

impl ProcessRequest {
    /// A primary paid connection, «Основной (1 год)»: the strictest document demands.
    pub fn paid() -> ProcessRequest {
        ProcessRequest {
            option: Some(ConnectionOption::Basic1y),
            action: None,
            its_subscription: None,
            flags: ProcessFlags::default(),
        }
    }

    /// Whether «В обработку» connects a licence: a primary application, a new account
    /// or a renewal.
    pub fn connects_licence(&self) -> bool {
        self.action.is_none_or(SecondaryAction::connects_licence)
    }

    /// Whether the certification authority makes a certificate for the application.
    pub fn issues_certificate(&self, requested: bool) -> bool {
        self.action
            .map_or(requested, |a| a.issues_certificate(requested))
    }

    /// Whether the connection is by the ITS tariff (free or deferred).
    pub fn by_its(&self) -> bool {
        matches!(
            self.option,
            Some(ConnectionOption::ItsFree | ConnectionOption::DeferredIts)
        )
    }
}

/// The catalog code a connection option stands for.
pub fn tariff_code(req: &ProcessRequest, sole_trader: bool) -> &'static str {
    if req.flags.right_choice {
        return "right_choice";
    }
    if req.flags.bonus {
        return "bonus";
    }
    match req.option.unwrap_or(ConnectionOption::Basic1y) {
        ConnectionOption::ItsFree | ConnectionOption::DeferredIts => "its",
        ConnectionOption::Basic2y => "basic_2y",
        ConnectionOption::Basic1y if sole_trader && req.flags.basic_sole_trader != Some(false) => {
            "basic_sole_trader"
        }
        ConnectionOption::Basic1y => "basic_1y",
    }
}
