//! Document kinds of an application (§5) and the rule which are required to send it to
//! processing. File storage is in `service::documents`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    ApplicationForm,
    IdentityDocument,
    OwnerPhoto,
    PowerOfAttorney,
    SignedCertificate,
    RepresentativePassport,
    RepresentativePhoto,
    RepresentativePowerOfAttorney,
    EgrulExtract,
    Contract,
    TransferAct,
    PromoDocument,
    Other,
}

/// The three groups of the Файлы tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Owner,
    Representative,
    Common,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 13] = [
        DocumentKind::ApplicationForm,
        DocumentKind::IdentityDocument,
        DocumentKind::OwnerPhoto,
        DocumentKind::PowerOfAttorney,
        DocumentKind::SignedCertificate,
        DocumentKind::RepresentativePassport,
        DocumentKind::RepresentativePhoto,
        DocumentKind::RepresentativePowerOfAttorney,
        DocumentKind::EgrulExtract,
        DocumentKind::Contract,
        DocumentKind::TransferAct,
        DocumentKind::PromoDocument,
        DocumentKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::ApplicationForm => "application_form",
            DocumentKind::IdentityDocument => "identity_document",
            DocumentKind::OwnerPhoto => "owner_photo",
            DocumentKind::PowerOfAttorney => "power_of_attorney",
            DocumentKind::SignedCertificate => "signed_certificate",
            DocumentKind::RepresentativePassport => "representative_passport",
            DocumentKind::RepresentativePhoto => "representative_photo",
            DocumentKind::RepresentativePowerOfAttorney => "representative_power_of_attorney",
            DocumentKind::EgrulExtract => "egrul_extract",
            DocumentKind::Contract => "contract",
            DocumentKind::TransferAct => "transfer_act",
            DocumentKind::PromoDocument => "promo_document",
            DocumentKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

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

    /// Marked * on the Файлы tab: required to send to processing.
    pub fn is_required(self) -> bool {
        use DocumentKind::*;
        matches!(
            self,
            ApplicationForm | IdentityDocument | OwnerPhoto | SignedCertificate
        )
    }
}

/// Accepted upload types: scans and photos.
/// Required documents still missing before "В обработку". The contract and the transfer
/// act are not among the required kinds, which already covers the manual's two
/// exceptions (a certificate change without renewal, and the ITS tariff).
pub fn missing_required(
    present: &[DocumentKind],
    certificate_requested: bool,
) -> Vec<DocumentKind> {
    DocumentKind::ALL
        .into_iter()
        .filter(|k| k.is_required())
        // Without a certificate request there is no certificate to sign.
        .filter(|k| certificate_requested || *k != DocumentKind::SignedCertificate)
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

    #[test]
    fn the_four_starred_documents_are_required() {
        let missing = missing_required(
            &[DocumentKind::ApplicationForm, DocumentKind::Contract],
            true,
        );
        assert_eq!(
            missing,
            vec![
                DocumentKind::IdentityDocument,
                DocumentKind::OwnerPhoto,
                DocumentKind::SignedCertificate
            ]
        );
        assert_eq!(
            missing_required(
                &[
                    DocumentKind::ApplicationForm,
                    DocumentKind::IdentityDocument,
                    DocumentKind::OwnerPhoto
                ],
                false
            ),
            vec![]
        );
    }
}
