//! One place where codes become the Russian words people read (pages, messages and the
//! problem documents' `detail`): form fields, system
//! actors, journal actions and object types, licence and product states, tariff tiers.
//! Pages and messages ask here; a code with no title falls back to a neutral word,
//! never to the code itself.

use std::borrow::Cow;

/// The Russian name of a form or document field, as error messages mention it.
/// Paths name the item: `directions[1].kpp` → «Направление 2 — КПП».
pub fn field_title(field: &str) -> Cow<'static, str> {
    if let Some((head, rest)) = field.split_once('[')
        && let Some((index, tail)) = rest.split_once(']')
        && let Ok(i) = index.parse::<usize>()
    {
        let item = match head {
            "directions" => "Направление",
            "members" => "Участник",
            _ => "Строка",
        };
        let tail = tail.trim_start_matches('.');
        return if tail.is_empty() {
            Cow::Owned(format!("{item} {}", i + 1))
        } else {
            Cow::Owned(format!("{item} {} — {}", i + 1, field_title(tail)))
        };
    }
    Cow::Borrowed(
        FIELD_TITLES
            .iter()
            .find(|(codes, _)| codes.contains(&field))
            .map_or("Поле", |(_, title)| title),
    )
}

/// Field names as error messages mention them; several codes may share one title.
const FIELD_TITLES: &[(&[&str], &str)] = &[
    (&["reason"], "Причина"),
    (&["documents"], "Документы"),
    (&["checks"], "Проверки реквизитов"),
    (&["option"], "Вариант подключения"),
    (&["its_subscription"], "Подписка ИТС"),
    (&["center_id"], "Центр идентификации"),
    (&["partner_code"], "Партнер"),
    (&["file"], "Файл"),
    (&["scan"], "Подписанный скан"),
    (&["kind"], "Вид документа"),
    (&["flags.right_choice", "right_choice"], "Верное решение"),
    (&["flags.bonus", "bonus"], "Бонусное подключение"),
    (
        &[
            "flags.special_offer_code",
            "special_offer_code",
            "special_offer_number",
        ],
        "Номер специального предложения",
    ),
    (
        &["flags.group_head_inn", "group_head_inn"],
        "ИНН головной организации",
    ),
    (
        &["flags.group_head_kpp", "group_head_kpp"],
        "КПП головной организации",
    ),
    (
        &[
            "flags.authorized_representative",
            "authorized_representative",
        ],
        "Уполномоченный представитель",
    ),
    (&["inn"], "ИНН"),
    (&["kpp"], "КПП"),
    (&["ogrn"], "ОГРН"),
    (&["short_name"], "Краткое наименование"),
    (&["full_name"], "Полное наименование"),
    (&["note"], "Примечание"),
    (&["legal_address"], "Юридический адрес"),
    (&["actual_address"], "Фактический адрес"),
    (&["phone"], "Телефон"),
    (&["mobile_phone"], "Мобильный телефон"),
    (&["fax"], "Факс"),
    (&["email"], "E-mail"),
    (&["its_login"], "Логин ИТС"),
    (&["its_email"], "E-mail ИТС"),
    (&["pfr_number"], "Рег. номер ПФР"),
    (&["fss_number"], "Рег. номер ФСС"),
    (&["region_code"], "Регион"),
    (&["category"], "Категория"),
    (&["configuration"], "Конфигурация 1С"),
    (&["format_version"], "Версия формата"),
    (&["product_guid"], "Идентификатор продукта"),
    (
        &["authorized_representative_inn"],
        "ИНН уполномоченного представителя",
    ),
    (&["owner.full_name"], "ФИО владельца сертификата"),
    (&["owner.snils"], "СНИЛС владельца сертификата"),
    (&["owner.position"], "Должность владельца сертификата"),
    (&["owner.certificate_type"], "Тип сертификата"),
    (&["directions"], "Направления"),
    (&["position"], "Должность"),
    (&["authority"], "Орган"),
    (&["code"], "Код органа"),
    (&["usage"], "Назначение"),
    (&["value"], "Получатель"),
    (&["alias"], "Псевдоним"),
    (&["action"], "Действие"),
    (&["offer"], "Специальное предложение"),
    (&["number"], "Номер спец. разрешения"),
    (&["subscriber_id", "member"], "Абонент"),
    (&["head_subscriber_id"], "Головная организация"),
    (&["name"], "Название"),
    (&["licence", "licences"], "Лицензии"),
    (&["organisations"], "Организаций"),
    (&["zone"], "Тарифная зона"),
    (&["date"], "Дата"),
    (&["item"], "Тариф"),
    (&["licence_end"], "Окончание лицензии"),
    (&["connect_date"], "Дата подключения"),
    (&["active_members"], "Активных участников группы"),
    (&["year"], "Год"),
    (&["page"], "Страница"),
    (&["per_page"], "Записей на странице"),
    (&["q"], "Поиск"),
    (&["sort"], "Сортировка"),
    (&["folder"], "Папка"),
    (&["state"], "Состояние"),
    (&["after"], "Позиция страницы"),
    (&["as_of"], "Момент запуска"),
    (&["days"], "Срок действия"),
    (&["login"], "Логин"),
    (&["password"], "Пароль"),
    (&["version"], "Версия данных"),
    (&["tab"], "Вкладка"),
    (&["Idempotency-Key"], "Ключ идемпотентности"),
    (&["If-Match"], "Версия (If-Match)"),
    (&["body", "form"], "Форма"),
    (&["request_type"], "Тип заявления"),
    (&["basis"], "Основание выдачи"),
    (&["paid"], "Оплата"),
    (&["step"], "Шаг формы"),
    (&["legal_form"], "Организационно-правовая форма"),
    (&["paperless_renewal"], "Безбумажное продление"),
    (&["certificate_requested"], "Запрос сертификата"),
    (&["cryptopro_licence"], "Лицензия КриптоПро"),
    (&["connect_lk"], "Подключить ЛК"),
    (&["owner"], "Владелец сертификата"),
    (&["owner.cloud_signature"], "Облачная подпись"),
    (&["tariff_code"], "Тариф"),
    (&["special_offer_number"], "Номер спец. разрешения"),
    (&["period"], "Период"),
    (&["from"], "Начало периода"),
    (&["to"], "Конец периода"),
    (&["on"], "На дату"),
    (&["quarter"], "Квартал"),
    (&["region"], "Регион"),
    (&["connection"], "Подключения"),
    (&["revoke"], "Отзыв лицензии"),
    (&["comment"], "Комментарий"),
    (&["flags"], "Тарифные признаки"),
];

/// A refusal of invalid input as one sentence a person reads: «Причина: укажите причину;
/// ИНН: неверная контрольная сумма».
pub fn invalid_text(errors: &[crate::error::FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", field_title(&e.field), e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Who did something, as a person reads it: a system actor by what it is, a person by
/// the name the caller looked up (or the login when none was found).
pub fn actor_title(login: &str, full_name: Option<&str>) -> String {
    if let Some(job) = login.strip_prefix("system:") {
        return format!(
            "Система: {}",
            match job {
                "auto_reject" => "автоотклонение (30 дней)",
                "identification_no_show" => "неявка на идентификацию (10 рабочих дней)",
                "distribution" => "распределение (2 дня)",
                "deferred_its" => "отложенное подключение ИТС",
                "certificate_revocations" => "обновление списка отозванных сертификатов",
                "outbox" => "отправка писем",
                "sessions" => "очистка сеансов",
                "processing" => "обработка в удостоверяющем центре",
                "cli" => "командная строка",
                "seed" => "загрузка справочников",
                "demo" => "демонстрационные данные",
                "auth" => "вход в систему",
                "test" => "тест",
                _ => "служебная операция",
            }
        );
    }
    full_name
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| login.to_owned(), str::to_owned)
}

/// Journal actions (`application.claim`, `licence.revoke`…) as the operator reads them.
pub fn action_title(action: &str) -> Cow<'static, str> {
    let (object, verb) = action.split_once('.').unwrap_or(("", action));
    if object == "application"
        && let Some(e) = crate::applications::state::Event::ALL
            .into_iter()
            .find(|e| e.as_str() == verb)
    {
        return Cow::Owned(format!("Заявление: {}", e.title_ru().to_lowercase()));
    }
    if object == "cloud_signature"
        && let Some(e) = crate::subscribers::cloud_signature::AccountEvent::parse(verb)
    {
        return Cow::Owned(format!("Облачная подпись: {}", e.title_ru()));
    }
    if object == "licence"
        && let Some(e) = crate::tariffs::licence::LicenceEvent::parse(verb)
    {
        return Cow::Owned(format!("Лицензия: {}", licence_event_title(e)));
    }
    Cow::Borrowed(match action {
        "application.submit" => "Заявление: получено из 1С",
        "auth.login" => "Вход в систему",
        "auth.login_failed" => "Неудачная попытка входа",
        "auth.locked" => "Вход заблокирован после трёх неудачных попыток",
        "auth.login_refused_locked" => "Попытка входа при блокировке",
        "auth.logout" => "Выход из системы",
        "auth.logout_everywhere" => "Выход на всех устройствах",
        "token.create" => "Выпуск API-токена",
        "token.revoke" => "Отзыв API-токена",
        "user.create" => "Создание пользователя",
        "jobs.run" => "Запуск заданий",
        "sessions.purge" => "Удаление истёкших сеансов",
        "seed.sync" => "Загрузка справочников",
        "application.document_attach" => "Заявление: прикреплён документ",
        "application.document_replace" => "Заявление: заменён документ",
        "application.distribute" => "Заявление: передано в распределение",
        "subscriber.register" => "Абонент: регистрация",
        "subscriber.update" => "Абонент: изменение карточки",
        "subscriber.kpp_change" => "Абонент: смена КПП",
        "subscriber.block" => "Абонент: блокировка",
        "subscriber.resume" => "Абонент: разблокировка",
        "subscriber.detach_its" => "Абонент: отключение ИТС",
        "subscriber.extend_its" => "Абонент: продление ИТС",
        "subscriber.registration_file" => "Абонент: запрошен регистрационный файл",
        "subscriber.disconnect" => "Абонент: отключение",
        "subscriber.contact_person" => "Абонент: контактное лицо",
        "subscriber.direction_add" => "Абонент: добавлено направление",
        "subscriber.direction_remove" => "Абонент: удалено направление",
        "product.update" => "Продукт: изменение",
        "product.contact" => "Продукт: получатель уведомлений",
        "company_group.create" => "Группа компаний: создание",
        "company_group.add_member" => "Группа компаний: добавлен участник",
        "company_group.remove_member" => "Группа компаний: исключён участник",
        "certificate.issue" => "Сертификат: выпуск",
        "certificate.revocation_request" => "Сертификат: заявление на отзыв",
        "certificate.revocation_scan" => "Сертификат: подписанный скан заявления",
        "certificate.revocation_send" => "Сертификат: заявление отправлено в УЦ",
        "certificate.revoked" => "Сертификат: отозван",
        "special_offer.register" => "Спецпредложение: регистрация номера",
        "its.activate" => "ИТС: подписка активирована",
        "its.release" => "ИТС: подписка освобождена",
        "audit.verify" => "Проверка целостности журнала",
        "cloud_signature.open" => "Облачная подпись: учетная запись создана",
        "np8.issue" => "Лицензия на 1С:НП 8: выдача",
        "np8.show_pin" => "Лицензия на 1С:НП 8: пин-код показан повторно",
        _ => match object {
            "application" => "Заявление: изменение",
            "subscriber" => "Абонент: изменение",
            "licence" => "Лицензия: изменение",
            "certificate" => "Сертификат: изменение",
            "company_group" => "Группа компаний: изменение",
            "auth" => "Вход в систему",
            _ => "Изменение данных",
        },
    })
}

/// Journal object types.
pub fn object_type_title(t: &str) -> &'static str {
    match t {
        "application" => "Заявление",
        "subscriber" => "Абонент",
        "licence" => "Лицензия",
        "product_account" | "product" => "Продукт",
        "certificate" => "Сертификат",
        "revocation_request" => "Заявление на отзыв",
        "company_group" => "Группа компаний",
        "user" => "Пользователь",
        "login" => "Логин",
        "api_token" => "API-токен",
        "special_offer_permit" => "Спецпредложение",
        "jobs" => "Задания",
        "session" => "Сеансы",
        "seed" | "reference" => "Справочники",
        "its_subscription" => "Подписка ИТС",
        "direction" => "Направление",
        "contact_person" => "Контактное лицо",
        "audit" => "Журнал",
        "np8_licence" => "Лицензия на 1С:НП 8",
        "cloud_signature" => "Облачная подпись",
        _ => "Объект",
    }
}

/// Where the page of a journal object is, for the types that have one.
pub fn object_href(t: &str, id: &str) -> Option<String> {
    let prefix = match t {
        "application" => "/applications/",
        "subscriber" => "/subscribers/",
        "company_group" => "/company-groups/",
        _ => return None,
    };
    id.chars()
        .all(|c| c.is_ascii_digit())
        .then(|| format!("{prefix}{id}"))
}

/// Licence events as verbs in the past, for histories: «заблокирована».
pub fn licence_event_title(e: crate::tariffs::licence::LicenceEvent) -> &'static str {
    use crate::tariffs::licence::LicenceEvent as E;
    match e {
        E::Register => "зарегистрирована",
        E::Block => "заблокирована",
        E::Resume => "возобновлена",
        E::Revoke => "отозвана",
    }
}

/// Product account states.
pub fn product_state_title(s: &str) -> &'static str {
    match s {
        "active" => "Действует",
        "disconnected" => "Отключён",
        "blocked" => "Заблокирован",
        "closed" => "Закрыт",
        _ => "Неизвестно",
    }
}

/// A stored state code as people read it: an application's, a licence's, a revocation
/// request's.
pub fn state_title(code: &str) -> &'static str {
    if let Some(s) = crate::applications::state::State::parse(code) {
        return s.title_ru();
    }
    if let Some(s) = crate::tariffs::licence::LicenceState::parse(code) {
        return s.title_ru();
    }
    match code {
        "draft" => "Черновик",
        "sent" => "Отправлено в УЦ",
        "active" => "Действует",
        _ => "неизвестно",
    }
}

/// A company-group tariff tier (`group_6_10`) as its catalog name reads.
pub fn tier_title(code: &str) -> Cow<'static, str> {
    match code.strip_prefix("group_") {
        Some("101_plus") => Cow::Borrowed("Группа компаний 101+"),
        Some(range) if range.contains('_') => {
            Cow::Owned(format!("Группа компаний {}", range.replace('_', "-")))
        }
        _ => Cow::Borrowed("тариф группы компаний"),
    }
}

/// A field of a journal entry's before/after summary.
pub fn journal_key_title(key: &str) -> Cow<'static, str> {
    Cow::Borrowed(match key {
        "state" => "Состояние",
        "version" => "Версия",
        "cost" => "Стоимость",
        "starts_on" => "Начало",
        "ends_on" => "Окончание",
        "tariff" | "tariff_code" => "Тариф",
        "partner" => "Партнер",
        "inn" => "ИНН",
        "kpp" => "КПП",
        "file" => "Файл",
        "sha256" => "Контрольная сумма",
        "size" => "Размер, байт",
        "kind" => "Вид",
        "option" => "Вариант подключения",
        "its_outcome" => "Проверка ИТС",
        "identification_center" => "Центр идентификации",
        "failed_attempts" => "Неудачных попыток",
        "locked" => "Заблокирован",
        "client" => "Адрес клиента",
        "user" => "Пользователь",
        "prefix" => "Начало токена",
        "expires_at" => "Действует до",
        "revoked_at" => "Отозван",
        "as_of" => "На момент",
        "sessions" => "Сеансов",
        "form_tokens" => "Токенов форм",
        "reason" => "Причина",
        "login" => "Логин",
        "role" => "Роль",
        "offer" => "Предложение",
        "number" => "Номер",
        "serial" => "Серийный номер",
        "subscriber" | "subscriber_id" => "Абонент",
        "certificate_id" => "Сертификат",
        "valid_from" => "Действует с",
        "valid_to" => "Действует по",
        "provider" => "Поставщик",
        "owner_name" => "Владелец",
        "container" => "Контейнер",
        "is_primary" => "Первичное",
        "tariff_name" => "Тариф",
        "sales_center_share" => "Отчисления ЦП",
        "registration_number" => "Рег. номер",
        "registered_at" => "Зарегистрирован",
        "paid_basis_only" => "Только платное подключение",
        "connected" => "Подключен",
        "head" | "head_subscriber_id" => "Головная организация",
        "members" => "Участники",
        "guid" => "GUID продукта",
        "product_account_id" => "Продукт",
        "new_subscriber" => "Новая карточка",
        "licences_moved" => "Перенесено лицензий",
        "registration_file_regenerated" => "Рег. файл обновлен",
        "subscriptions_freed" => "Освобождено подписок ИТС",
        "revoked" => "Отозвано",
        "blocked" => "Заблокировано",
        "resumed" => "Возобновлено",
        "removed" => "Удалено",
        "count" => "Количество",
        "inserted" => "Добавлено",
        "updated" => "Изменено",
        "approved_in_reconciliation" => "Одобрено в сверке",
        "revocable" => "Можно отозвать",
        "processing_option" | "connection_option" => "Вариант подключения",
        "scan_attached" => "Скан прикреплен",
        "sent_at" => "Отправлено",
        "address" => "Адрес",
        "certificate_end" => "Окончание сертификата",
        "id" => "Номер",
        "entries" => "Записей",
        "intact" => "Цепочка цела",
        "broken_id" => "Нарушена на записи",
        other => return field_title(other),
    })
}

/// A value of a journal entry's field, for the fields whose values are codes.
pub fn journal_value_title(key: &str, code: &str) -> Option<&'static str> {
    use crate::applications::documents::DocumentKind;
    use crate::applications::processing::{ConnectionOption, ItsOutcome};
    match key {
        "option" | "processing_option" | "connection_option" => {
            ConnectionOption::parse(code).map(ConnectionOption::title_ru)
        }
        "its_outcome" => ItsOutcome::parse(code).map(ItsOutcome::title_ru),
        "kind" => DocumentKind::parse(code).map(DocumentKind::title_ru),
        "role" => crate::role::Role::parse(code).map(crate::role::Role::title_ru),
        "usage" => match code {
            "fns_requirements" => Some("Уведомление о требованиях ФНС"),
            "status_notifications" => Some("Уведомление о статусах"),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_codes_read_in_russian() {
        assert_eq!(field_title("directions[1].kpp"), "Направление 2 — КПП");
        assert_eq!(
            field_title("flags.special_offer_code"),
            "Номер специального предложения"
        );
        assert_eq!(field_title("something_new"), "Поле");
        assert_eq!(
            actor_title("system:distribution", None),
            "Система: распределение (2 дня)"
        );
        assert_eq!(actor_title("p-klg-1", Some("Иванова Анна")), "Иванова Анна");
        assert_eq!(tier_title("group_6_10"), "Группа компаний 6-10");
        assert_eq!(tier_title("group_101_plus"), "Группа компаний 101+");
        assert_eq!(
            action_title("application.claim"),
            "Заявление: получить заявку"
        );
    }
}
