//! Document kinds of an application (§5) and the rule which are required to send it to
//! processing. File storage is in `service::documents`.

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
