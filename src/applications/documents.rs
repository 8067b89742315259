//! Document kinds of an application (§5) and the rules which are required to send it
//! to processing and which may still be attached. File storage is in `files`.

use crate::tariffs::connection::ProcessRequest;

crate::code_enum! {
    pub enum DocumentKind {
        ApplicationForm = "application_form",
        IdentityDocument = "identity_document",
        OwnerPhoto = "owner_photo",
        PowerOfAttorney = "power_of_attorney",
        SignedCertificate = "signed_certificate",
        RepresentativePassport = "representative_passport",
        RepresentativePhoto = "representative_photo",
        RepresentativePowerOfAttorney = "representative_power_of_attorney",
        EgrulExtract = "egrul_extract",
        Contract = "contract",
        TransferAct = "transfer_act",
        PromoDocument = "promo_document",
        Other = "other",
    }
}

/// The three groups of the Файлы tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Owner,
    Representative,
    Common,
}

impl DocumentKind {
    pub fn title_ru(self) -> &'static str {
        match self {
            DocumentKind::ApplicationForm => "Заявление на подключение",
            DocumentKind::IdentityDocument => "Документ, удостоверяющий личность",
            DocumentKind::OwnerPhoto => "Фото владельца сертификата с паспортом",
            DocumentKind::PowerOfAttorney => "Доверенность (документ, подтверждающий полномочия)",
            DocumentKind::SignedCertificate => "Подписанный сертификат",
            DocumentKind::RepresentativePassport => "Паспорт представителя заявителя",
            DocumentKind::RepresentativePhoto => "Фото представителя с паспортом",
            DocumentKind::RepresentativePowerOfAttorney => {
                "Доверенность на предоставление документов"
            }
            DocumentKind::EgrulExtract => "Выписка из ЕГРЮЛ/ЕГРИП",
            DocumentKind::Contract => "Договор",
            DocumentKind::TransferAct => "Акт приема-передачи",
            DocumentKind::PromoDocument => "Документ для акций",
            DocumentKind::Other => "Произвольный документ",
        }
    }

    pub fn group(self) -> Group {
        use DocumentKind::*;
        match self {
            ApplicationForm | IdentityDocument | OwnerPhoto | PowerOfAttorney
            | SignedCertificate => Group::Owner,
            RepresentativePassport | RepresentativePhoto | RepresentativePowerOfAttorney => {
                Group::Representative
            }
            EgrulExtract | Contract | TransferAct | PromoDocument | Other => Group::Common,
        }
    }

    /// When the kind is required (manual §5, l.885–947; audit C9).
    pub fn requirement(self) -> Requirement {
        use DocumentKind::*;
        match self {
            ApplicationForm | IdentityDocument | OwnerPhoto => Requirement::Always,
            // The manual exempts them only for the ITS tariff (and a certificate change
            // without renewal).
            Contract | TransferAct => Requirement::UnlessIts,
            // The signed certificate follows its issuance: uploaded while the receipt is
            // awaited or after registration, never demanded before processing.
            SignedCertificate => Requirement::AfterIssuance,
            _ => Requirement::No,
        }
    }

    /// Whether a document of this kind may still be attached in `state`: until the
    /// application is closed, and the signed certificate also after registration.
    pub fn attachable_in(self, state: crate::applications::state::State) -> bool {
        !state.is_final()
            || (self == DocumentKind::SignedCertificate
                && state == crate::applications::state::State::Registered)
    }
}

/// When a kind of document must be attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Before «В обработку», always.
    Always,
    /// Before «В обработку», unless the connection is by the ITS tariff.
    UnlessIts,
    /// After the certificate is issued (not a condition of processing).
    AfterIssuance,
    No,
}

impl Requirement {
    /// The mark on the Файлы tab.
    pub fn mark(self) -> Option<&'static str> {
        match self {
            Requirement::Always => Some(" *"),
            Requirement::UnlessIts => Some(" * (кроме тарифа ИТС)"),
            Requirement::AfterIssuance => Some(" (после выпуска сертификата)"),
            Requirement::No => None,
        }
    }
}

/// Required documents still missing before «В обработку» of `req`: the contract and
/// the transfer act only when a licence other than ITS is connected (not for a
/// certificate change or an additional configuration, domain.md §5).
pub fn missing_required(present: &[DocumentKind], req: &ProcessRequest) -> Vec<DocumentKind> {
    let its = req.by_its() || !req.connects_licence();
    DocumentKind::ALL
        .into_iter()
        .filter(|k| match k.requirement() {
            Requirement::Always => true,
            Requirement::UnlessIts => !its,
            Requirement::AfterIssuance | Requirement::No => false,
        })
        .filter(|k| !present.contains(k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DocumentKind::parse("passport"), None);
    }

    fn req(json: serde_json::Value) -> ProcessRequest {
        serde_json::from_value(json).unwrap()
    }

    /// Audit C9: the signed certificate follows issuance; the contract and the transfer
    /// act are required except for the ITS tariff and an action that connects no
    /// licence (a certificate change, an additional configuration).
    #[test]
    fn what_processing_requires_depends_on_the_tariff() {
        use DocumentKind::*;
        use serde_json::json;
        let present = [ApplicationForm, Contract];
        assert_eq!(
            missing_required(&present, &req(json!({"option": "basic_1y"}))),
            vec![IdentityDocument, OwnerPhoto, TransferAct]
        );
        assert_eq!(
            missing_required(&present, &req(json!({"option": "its_free"}))),
            vec![IdentityDocument, OwnerPhoto]
        );
        assert!(
            missing_required(
                &[ApplicationForm, IdentityDocument, OwnerPhoto],
                &req(json!({"option": "deferred_its"}))
            )
            .is_empty()
        );
        assert_eq!(
            missing_required(&present, &req(json!({"action": "change"}))),
            vec![IdentityDocument, OwnerPhoto]
        );
        assert_eq!(
            missing_required(
                &present,
                &req(json!({"action": "renewal", "option": "basic_1y"}))
            ),
            vec![IdentityDocument, OwnerPhoto, TransferAct]
        );
    }

    #[test]
    fn the_signed_certificate_may_follow_registration_and_nothing_else_may() {
        use crate::applications::state::State;
        assert!(DocumentKind::SignedCertificate.attachable_in(State::AwaitingReceipt));
        assert!(DocumentKind::SignedCertificate.attachable_in(State::Registered));
        assert!(!DocumentKind::SignedCertificate.attachable_in(State::Rejected));
        assert!(!DocumentKind::Contract.attachable_in(State::Registered));
        assert!(DocumentKind::Contract.attachable_in(State::InProcessing));
    }
}
