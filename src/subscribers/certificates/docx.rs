//! The revocation application as a real Word document (WordprocessingML in a zip),
//! prefilled from the certificate.

use std::io::Write as _;

use chrono::NaiveDate;

use super::Reason;
use crate::entities::{certificate, subscriber};
use crate::error::{AppError, AppResult};

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The revocation application as a real Word document (WordprocessingML in a zip),
/// prefilled from the certificate.
///
/// # Errors
/// The zip writer failed.
pub fn application_docx(
    c: &certificate::Model,
    s: &subscriber::Model,
    reason: Reason,
    today: NaiveDate,
) -> AppResult<Vec<u8>> {
    let paragraphs = [
        (
            "Заявление на отзыв квалифицированного сертификата ключа проверки электронной подписи",
            true,
        ),
        ("В удостоверяющий центр: УЦ «Калуга Астрал»", false),
        (
            &*format!(
                "Заявитель: {} (ИНН {}{})",
                s.full_name,
                s.inn,
                s.kpp
                    .as_deref()
                    .map(|k| format!(", КПП {k}"))
                    .unwrap_or_default()
            ),
            false,
        ),
        (
            &*format!(
                "Владелец сертификата: {}, СНИЛС {}{}",
                c.owner_name,
                c.owner_snils,
                c.owner_position
                    .as_deref()
                    .map(|p| format!(", {p}"))
                    .unwrap_or_default()
            ),
            false,
        ),
        (&*format!("Серийный номер сертификата: {}", c.serial), false),
        (
            &*format!(
                "Срок действия: с {} по {}",
                c.valid_from.format("%d.%m.%Y"),
                c.valid_to.format("%d.%m.%Y")
            ),
            false,
        ),
        (
            &*format!(
                "Прошу отозвать указанный сертификат. Причина: {}.",
                reason.title_ru()
            ),
            false,
        ),
        (&*format!("Дата: {}", today.format("%d.%m.%Y")), false),
        (
            "Руководитель организации ____________________ / ____________________ /",
            false,
        ),
        ("М.П.", false),
    ];
    word(&paragraphs)
}

/// «Экспорт заявления» (§11.7, manual l.1945): the application for the making of the
/// qualified certificate, as the certificate was issued, for the owner to sign.
///
/// # Errors
/// The zip writer failed.
pub fn issue_application_docx(
    c: &certificate::Model,
    s: &subscriber::Model,
    today: NaiveDate,
) -> AppResult<Vec<u8>> {
    let kpp = s
        .kpp
        .as_deref()
        .map(|k| format!(", КПП {k}"))
        .unwrap_or_default();
    let paragraphs = [
        (
            "Заявление на изготовление квалифицированного сертификата ключа проверки электронной подписи".to_owned(),
            true,
        ),
        (format!("В удостоверяющий центр: {}", c.provider), false),
        (format!("Заявитель: {} (ИНН {}{kpp})", s.full_name, s.inn), false),
        (format!("ОГРН: {}", s.ogrn.as_deref().unwrap_or("—")), false),
        (format!("Адрес: {}", s.legal_address), false),
        (
            format!(
                "Прошу изготовить квалифицированный сертификат ключа проверки электронной подписи владельца: {}, СНИЛС {}{}.",
                c.owner_name,
                c.owner_snils,
                c.owner_position
                    .as_deref()
                    .map(|p| format!(", {p}"))
                    .unwrap_or_default()
            ),
            false,
        ),
        (
            format!(
                "Тип сертификата: {}",
                if c.kind == "qualified_cryptopro" {
                    "КЭП + Лицензия КриптоПро"
                } else {
                    "КЭП"
                }
            ),
            false,
        ),
        (format!("Серийный номер выпущенного сертификата: {}", c.serial), false),
        (
            format!(
                "Срок действия: с {} по {}",
                c.valid_from.format("%d.%m.%Y"),
                c.valid_to.format("%d.%m.%Y")
            ),
            false,
        ),
        (
            "С информацией, содержащейся в сертификате, ознакомлен(а) и согласен(на).".to_owned(),
            false,
        ),
        (format!("Дата: {}", today.format("%d.%m.%Y")), false),
        (
            "Владелец сертификата ____________________ / ____________________ /".to_owned(),
            false,
        ),
        (
            "Руководитель организации ____________________ / ____________________ /".to_owned(),
            false,
        ),
        ("М.П.".to_owned(), false),
    ];
    let paragraphs: Vec<(&str, bool)> = paragraphs.iter().map(|(t, b)| (t.as_str(), *b)).collect();
    word(&paragraphs)
}

/// A Word document of paragraphs (bold ones as headings).
fn word(paragraphs: &[(&str, bool)]) -> AppResult<Vec<u8>> {
    let body: String = paragraphs
        .iter()
        .map(|(text, bold)| {
            let rpr = if *bold {
                "<w:rPr><w:b/><w:sz w:val=\"28\"/></w:rPr>"
            } else {
                ""
            };
            format!(
                "<w:p><w:r>{rpr}<w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                xml_escape(text)
            )
        })
        .collect();
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}\
<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1134\" w:right=\"850\" w:bottom=\"1134\" w:left=\"1701\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    );
    let content_types = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
</Types>";
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
</Relationships>";
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let zerr = |e: zip::result::ZipError| AppError::Internal(e.into());
    for (name, text) in [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", rels),
        ("word/document.xml", document.as_str()),
    ] {
        z.start_file(name, opts).map_err(zerr)?;
        z.write_all(text.as_bytes())
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(z.finish().map_err(zerr)?.into_inner())
}
