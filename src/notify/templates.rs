//! The texts of the e-mails the product sends. The auto-rejection text is verbatim from
//! the manual (§1) and must not be reworded.

use super::Message;
use crate::entities::{application, identification_center};

/// §1, verbatim.
pub const AUTO_REJECT_TEXT: &str = "Заявление отклонено автоматически, т.к. не было рассмотрено в течение 30 дней. Рекомендуем отправить заявление повторно и самостоятельно связаться с одним из партнеров фирмы 1С для подключения к 1С-Отчетности.";

fn related(app_id: i64) -> Option<(String, String)> {
    Some(("application".to_owned(), app_id.to_string()))
}

pub fn auto_rejected(app: &application::Model) -> Message {
    Message {
        to: app.email.clone(),
        subject: "Заявление на подключение к 1С-Отчетности отклонено".to_owned(),
        body: format!(
            "Здравствуйте!\n\nЗаявление {} (ИНН {}) от {}.\n\n{AUTO_REJECT_TEXT}\n",
            app.short_name,
            app.inn,
            app.received_at
                .with_timezone(&crate::clock::moscow())
                .format("%d.%m.%Y"),
        ),
        related: related(app.id),
    }
}

pub fn identification_invitation(
    app: &application::Model,
    center: &identification_center::Model,
) -> Message {
    Message {
        to: app.email.clone(),
        subject: "Приглашение на идентификацию для подключения к 1С-Отчетности".to_owned(),
        body: format!(
            "Здравствуйте!\n\nДля выпуска сертификата электронной подписи по заявлению {} (ИНН {}) \
             владельцу сертификата необходимо лично пройти идентификацию с паспортом.\n\n\
             Центр идентификации: {}\nАдрес: {}\nРежим работы: {}\nТелефон: {}\nЭлектронная почта: {}\n\n\
             Пожалуйста, посетите центр в течение 10 рабочих дней: после этого срока \
             идентификация будет считаться не пройденной («Идентификация не пройдена»), и \
             подключение потребует нового заявления.\n",
            app.short_name,
            app.inn,
            center.office_name,
            center.address,
            center.schedule,
            center.phone,
            center.email,
        ),
        related: related(app.id),
    }
}

/// One message to a sales center about the applications that went to its distribution.
pub fn distribution_digest(to: &str, apps: &[&application::Model]) -> Message {
    let list: String = apps
        .iter()
        .map(|a| {
            format!(
                "  • {} — ИНН {}{}, принято {}\n",
                a.short_name,
                a.inn,
                a.kpp
                    .as_deref()
                    .map(|k| format!(", КПП {k}"))
                    .unwrap_or_default(),
                a.received_at
                    .with_timezone(&crate::clock::moscow())
                    .format("%d.%m.%Y %H:%M")
            )
        })
        .collect();
    Message {
        to: to.to_owned(),
        subject: format!(
            "Распределение: {} заявл. без партнера более 2 суток",
            apps.len()
        ),
        body: format!(
            "Здравствуйте!\n\nЭти заявления вашего региона не получил ни один партнер в течение 2 суток \
             и переданы в раздел «Распределение»:\n\n{list}\nСвяжитесь с клиентами и назначьте заявления партнерам. \
             Необработанные заявления отклоняются автоматически через 30 дней после приёма.\n"
        ),
        related: None,
    }
}
