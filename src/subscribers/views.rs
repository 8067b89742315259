//! Pages of the subscribers section.

use maud::{Markup, html};

use super::certificates::{Reason, RequestState};
use super::routes::ListParams;
use crate::auth::{CurrentUser, Role};
use crate::entities::{
    certificate, company_group, contact_person, direction, licence, licence_history,
    product_account, product_contact, revocation_request, subscriber,
};
use crate::labels::{actor_title, licence_event_title};
use crate::tariffs::licence::{LicenceEvent, LicenceState};
use crate::web::components::{date_ru, datetime_ru, table, yes_no};
use crate::web::layout::{self, csrf_field};
use crate::web::urlencode;

pub fn licence_state_title(s: &str) -> &'static str {
    LicenceState::ALL
        .into_iter()
        .find(|x| x.as_str() == s)
        .map_or("неизвестно", LicenceState::title_ru)
}

pub fn status_badge(s: super::service::Status) -> Markup {
    use super::service::Status;
    let class = match s {
        Status::Connected => "badge-ok",
        Status::Connecting => "badge-info",
        Status::Blocked => "badge-warn",
        Status::Disconnected => "badge-err",
    };
    html! { span class={ "badge " (class) } { (s.title_ru()) } }
}

pub fn list(
    user: &CurrentUser,
    rows: &[subscriber::Model],
    statuses: &std::collections::HashMap<i64, super::service::Status>,
    total: u64,
    page: u64,
    p: &ListParams,
) -> Markup {
    let q = p.q.clone().unwrap_or_default();
    layout::page(
        user,
        "subscribers",
        "Абоненты",
        html! {
            nav.tabs {
                a.active href="/subscribers" { "Абоненты" }
                a href="/np8-licences" { "Лицензии на 1С:НП 8" }
            }
            form.toolbar method="get" action="/subscribers" {
                label { "ИНН, наименование, GUID продукта, логин ИТС или номер ПФР" input type="text" name="q" value=(q) size="50"; }
                button.primary type="submit" { "Найти" }
                a.button.secondary href={ "/subscribers/export.csv?q=" (urlencode(&q)) } { "Экспорт CSV" }
                a.button.secondary href={ "/subscribers/export.xlsx?q=" (urlencode(&q)) } { "Экспорт XLSX" }
            }
            (table(&["ИНН", "КПП", "Наименование", "Состояние", "Создан"], rows.iter().map(|s| html! { tr {
                td { (s.inn) } td { (s.kpp.as_deref().unwrap_or("")) }
                td { a href={ "/subscribers/" (s.id) } { (s.short_name) } }
                td { (status_badge(statuses.get(&s.id).copied().unwrap_or(super::service::Status::of(s.connected, &[])))) }
                td.nowrap { (datetime_ru(s.created_at)) }
            } })))
            div.pager {
                span { "Всего: " b { (total) } }
                span {
                    @if page > 1 { a.button.secondary href={ "/subscribers?q=" (urlencode(&q)) "&page=" (page - 1) } { "← Назад" } " " }
                    @if page * 50 < total { a.button.secondary href={ "/subscribers?q=" (urlencode(&q)) "&page=" (page + 1) } { "Дальше →" } }
                }
            }
        },
    )
}

fn confirm_text(e: LicenceEvent) -> &'static str {
    match e {
        // §8.1: blocking is reversible, at any time.
        LicenceEvent::Block => {
            "Блокировка тарифа является обратимым способом влияния на учетную запись Абонента. Заблокировать тариф?"
        }
        LicenceEvent::Resume => {
            "Возобновить тариф? Состояние тарифа изменится на «Зарегистрировано»."
        }
        // §8.2: the manual's warning, plus what revoking does.
        LicenceEvent::Revoke => {
            "Отзыв тарифа рекомендуется выполнять в следующих ситуациях: расторгнут договор с Абонентом; договор не оплачен Абонентом; тариф добавлен ошибочно. Отзыв необратим: если это единственная лицензия, абонент будет отключён, а платный абонент подключается повторно только на платной основе. Отозвать тариф?"
        }
        LicenceEvent::Register => "",
    }
}

/// The licence's buttons: exactly the actions `licence::available` allows this person,
/// so the card never offers one the service then refuses.
fn licence_actions(user: &CurrentUser, l: &licence::Model) -> Markup {
    let events = super::licences::facts(l, user.role)
        .map(|f| crate::tariffs::licence::available(&f))
        .unwrap_or_default();
    html! {
        @for e in events {
            form.inline method="post" action={ "/licences/" (l.id) "/action" } {
                (csrf_field(user))
                input type="hidden" name="version" value=(l.version);
                input type="hidden" name="action" value=(e.as_str());
                button class=(if e == LicenceEvent::Revoke { "danger" } else { "secondary" }) type="submit" data-confirm=(confirm_text(e)) { (e.title_ru()) }
            }
        }
    }
}

/// Everything the card shows.
pub struct CardModel<'a> {
    pub subscriber: &'a subscriber::Model,
    pub products: &'a [product_account::Model],
    pub licences: &'a [licence::Model],
    pub history: &'a [licence_history::Model],
    pub group: Option<&'a company_group::Model>,
    pub certificates: &'a [certificate::Model],
    pub cloud: &'a [crate::entities::cloud_signature_account::Model],
    pub revocations: &'a [revocation_request::Model],
    pub persons: &'a [contact_person::Model],
    pub directions: &'a [direction::Model],
    pub product_contacts: &'a [product_contact::Model],
    pub status: super::service::Status,
    /// Full names of the people in the history, by user id.
    pub people: &'a std::collections::HashMap<String, String>,
}

/// The card's tabs: key in the address, title on the page.
pub const CARD_TABS: [(&str, &str); 8] = [
    ("main", "Основные"),
    ("contacts", "Контакты"),
    ("products", "Продукты"),
    ("tariffs", "Тарифы"),
    ("directions", "Направления"),
    ("manage", "Управление"),
    ("certificates", "Сертификаты"),
    ("history", "История"),
];

/// A tab key from a request, or the first tab: only known keys reach a URL (F11).
pub fn tab_key(raw: Option<&str>) -> &'static str {
    CARD_TABS
        .iter()
        .find(|(k, _)| Some(*k) == raw)
        .map_or("main", |(k, _)| k)
}

pub fn card(user: &CurrentUser, m: &CardModel, tab: &str) -> Markup {
    let CardModel {
        subscriber: s,
        products,
        licences,
        history,
        group,
        certificates,
        cloud,
        revocations,
        persons,
        directions,
        product_contacts,
        status,
        people,
    } = *m;
    let tabs = CARD_TABS;
    layout::page(
        user,
        "subscribers",
        &s.short_name,
        html! {
            div.summary {
                (status_badge(status))
                span { "ИНН " b { (s.inn) } @if let Some(k) = &s.kpp { " · КПП " b { (k) } } }
                @if s.paid_basis_only { span.badge.badge-warn { "Повторное подключение только на платной основе" } }
                @if let Some(n) = super::service::next_action(licences) { span.next-action { (n.kind.title_ru()) ": " b { (datetime_ru(n.at)) } } }
            }
            nav.tabs {
                @for (key, label) in tabs {
                    a href={ "/subscribers/" (s.id) "?tab=" (key) } class=[(key == tab).then_some("active")] { (label) }
                }
            }
            @match tab {
                "products" => (products_tab(user, products, product_contacts)),
                "tariffs" => (table(&["Тариф", "Начало", "Окончание", "Зона", "Первичное", "Стоимость", "Состояние", "Действия"], licences.iter().map(|l| html! { tr {
                    td { (l.tariff_name) @if l.approved_in_reconciliation { br; small.muted { "одобрено в сверке" } } }
                    @if l.state == LicenceState::Pending {
                        td.nowrap { "—" } td.nowrap { "—" }
                    } @else {
                        td.nowrap { (date_ru(l.starts_on)) } td.nowrap { (date_ru(l.ends_on)) }
                    }
                    td.num { (l.zone) }
                    td { (yes_no(l.is_primary)) } td.num { (l.cost.ru()) }
                    td { (l.state.title_ru()) }
                    td { (licence_actions(user, l)) }
                } }))),
                "manage" => div { div.actions {
                    form.inline method="post" action={ "/subscribers/" (s.id) "/manage" } {
                        (csrf_field(user))
                        input type="hidden" name="action" value="detach_its";
                        button.secondary type="submit" data-confirm="Отключить ИТС? Действующие лицензии ИТС абонента будут отозваны, а подписка ИТС освободится для другого подключения." { "Отключить ИТС" }
                    }
                    form.inline method="post" action={ "/subscribers/" (s.id) "/manage" } {
                        (csrf_field(user))
                        input type="hidden" name="action" value="extend_its";
                        button.secondary type="submit" { "Продлить ИТС" }
                    }
                    form.inline method="post" action={ "/subscribers/" (s.id) "/manage" } {
                        (csrf_field(user))
                        input type="hidden" name="action" value="request_registration_file";
                        button.secondary type="submit" { "Запросить рег. файл" }
                    }
                    @if s.registration_file_at.is_some() {
                        a.button.secondary href={ "/subscribers/" (s.id) "/registration-file" } { "Получить рег. файл" }
                    }
                    form.inline method="post" action={ "/subscribers/" (s.id) "/manage" } {
                        (csrf_field(user))
                        input type="hidden" name="action" value="connect_lk";
                        button.secondary type="submit" data-confirm="Подключить расширение «ЛК Базовый» до окончания основной лицензии? Стоимость — по числу полных месяцев до ее окончания." { "Подключить ЛК" }
                    }
                    @if status == super::service::Status::Blocked {
                        form.inline method="post" action={ "/subscribers/" (s.id) "/manage" } {
                            (csrf_field(user))
                            input type="hidden" name="action" value="resume";
                            button.primary type="submit" data-confirm="Разблокировать абонента? Все его заблокированные лицензии снова станут действующими." { "Разблокировать абонента" }
                        }
                    } @else {
                        form.inline method="post" action={ "/subscribers/" (s.id) "/manage" } {
                            (csrf_field(user))
                            input type="hidden" name="action" value="block";
                            button.danger type="submit" data-confirm="Заблокировать абонента? Будут заблокированы все его зарегистрированные лицензии. Лицензии, начинающиеся в будущем, нужно сначала отозвать." { "Заблокировать абонента" }
                        }
                    }
                } p.muted { "«Отключить ИТС» отзывает действующие лицензии ИТС абонента и освобождает подписку ИТС для другого подключения (§7). «Продлить ИТС» добавляет следующую лицензию ИТС со дня окончания текущей — не раньше чем за 30 дней до ее окончания и при действующем договоре ИТС ПРОФ на портале. «Запросить рег. файл» формирует регистрационный файл заново по карточке и выкладывает его для скачивания абонентом; «Получить рег. файл» сохраняет его. «Подключить ЛК» подключает расширение «ЛК Базовый» до окончания основной лицензии: стоимость — полные месяцы до ее окончания × цена за год / 12, дальше оно продлевается вместе с лицензией. «Заблокировать абонента» блокирует все его зарегистрированные лицензии — это обратимо: «Разблокировать абонента» возвращает их. Лицензии, начинающиеся в будущем, перед блокировкой нужно отозвать на вкладке «Тарифы»." } },
                "certificates" => (certificates_tab(user, certificates, revocations, cloud)),
                "contacts" => (contacts_tab(user, s, persons)),
                "directions" => (directions_tab(user, s, directions)),
                "history" => (table(&["Когда", "Кто", "Лицензия", "Событие", "Было", "Стало", "Комментарий"], history.iter().map(|h| html! { tr {
                    td.nowrap { (datetime_ru(h.at)) } td { (actor_title(&h.actor_login, people.get(&h.actor_login).map(String::as_str))) }
                    td { (licences.iter().find(|l| l.id == h.licence_id).map_or("", |l| l.tariff_name.as_str())) }
                    td { (LicenceEvent::parse(&h.event).map_or("изменена", licence_event_title)) } td { (h.from_state.as_deref().map_or("—", licence_state_title)) } td { (licence_state_title(&h.to_state)) }
                    td { (h.reason.as_deref().unwrap_or("")) }
                } }))),
                _ => (main_tab(user, s, group)),
            }
        },
    )
}

fn certificates_tab(
    user: &CurrentUser,
    certs: &[certificate::Model],
    requests: &[revocation_request::Model],
    cloud: &[crate::entities::cloud_signature_account::Model],
) -> Markup {
    let may = matches!(
        user.role,
        Role::Partner | Role::SalesCenter | Role::Operator
    );
    html! {
        (table(&["Серийный номер", "Владелец", "Тип", "Действует", "Поставщик", "Состояние", "Отзыв"], certs.iter().map(|c| {
            let open = requests.iter().any(|r| r.certificate_id == c.id && r.state != RequestState::Revoked);
            html! { tr {
                td { a href={ "/certificates/" (c.id) } title="Просмотреть и распечатать" { code.serial { (c.serial) } } }
                td { (c.owner_name) }
                td { (if c.kind == "qualified_cryptopro" { "КЭП + Лицензия КриптоПро" } else { "КЭП" }) }
                td.nowrap { (date_ru(c.valid_from)) " — " (date_ru(c.valid_to)) }
                td {
                    (c.provider)
                    @if let Some(a) = cloud.iter().find(|a| a.certificate_id == c.id) {
                        br; a.button.secondary href={ "/cloud-signatures/" (a.id) } { "Облачная подпись" }
                    }
                }
                td { (if c.state == "revoked" { "Отозван" } else { "Действует" }) }
                td {
                    @if may && c.state == "active" && !open {
                        form.inline method="post" action={ "/certificates/" (c.id) "/revocation" } {
                            (csrf_field(user))
                            select name="reason" required {
                                option value="" { "— причина —" }
                                @for r in Reason::ALL { option value=(r.as_str()) { (r.title_ru()) } }
                            }
                            button.secondary type="submit" { "Заявление на отзыв" }
                        }
                    }
                }
            } }
        })))
        @if !requests.is_empty() {
            h2 { "Заявления на отзыв" }
            (table(&["№", "Сертификат", "Причина", "Состояние", "Создано", "Документы", ""], requests.iter().map(|r| {
                let state = Some(r.state);
                html! { tr {
                    td { (r.id) }
                    td { code.serial { (certs.iter().find(|c| c.id == r.certificate_id).map_or("", |c| c.serial.as_str())) } }
                    td { (Reason::parse(&r.reason).map_or("", Reason::title_ru)) }
                    td { (state.map_or("", RequestState::title_ru)) }
                    td.nowrap { (datetime_ru(r.created_at)) }
                    td {
                        a href={ "/revocation-requests/" (r.id) "/application.docx" } { "Заявление (.docx)" }
                        @if r.scan_key.is_some() { br; span.muted { "скан прикреплён" } }
                    }
                    td {
                        @if state == Some(RequestState::Draft) && may {
                            form.inline method="post" enctype="multipart/form-data" action={ "/revocation-requests/" (r.id) "/scan" } {
                                (csrf_field(user))
                                input type="file" name="file" required accept=".pdf,.jpg,.jpeg,.png,.tif,.tiff";
                                button.secondary type="submit" { "Прикрепить скан" }
                            }
                            @if r.scan_key.is_some() {
                                form.inline method="post" action={ "/revocation-requests/" (r.id) "/send" } {
                                    (csrf_field(user))
                                    button.primary type="submit" data-confirm="Отправить заявление на отзыв сертификата в удостоверяющий центр?" { "Отправить" }
                                }
                            }
                        }
                    }
                } }
            })))
        }
        p.muted { "Уже отозванные сертификаты к отзыву не предлагаются. Список отозванных обновляется раз в сутки." }
    }
}

fn contacts_tab(
    user: &CurrentUser,
    s: &subscriber::Model,
    persons: &[contact_person::Model],
) -> Markup {
    html! {
        form.card-form method="post" action={ "/subscribers/" (s.id) "/edit" } {
            (csrf_field(user))
            input type="hidden" name="version" value=(s.version);
            input type="hidden" name="tab" value="contacts";
            label { "Юридический адрес" input type="text" name="legal_address" value=(s.legal_address) size="80" required; }
            label { "Фактический адрес" input type="text" name="actual_address" value=(s.actual_address) size="80" required; }
            label { "Телефон" input type="text" name="phone" value=(s.phone) required; }
            label { "Факс" input type="text" name="fax" value=(s.fax.as_deref().unwrap_or("")); }
            label { "E-mail" input type="text" name="email" value=(s.email) required; }
            button.primary type="submit" { "Сохранить" }
            " "
            @if s.registration_file_at.is_some() {
                a.button.secondary href={ "/subscribers/" (s.id) "/registration-file" } { "Рег. файл" }
                span.muted { " сформирован " (s.registration_file_at.map(datetime_ru).unwrap_or_default()) "; при сохранении адреса формируется заново" }
            }
        }
        h2 { "Контактные лица" }
        (table(&["ФИО", "Должность", "Телефон", "E-mail"], persons.iter().map(|p| html! { tr {
            td { (p.full_name) } td { (p.position.as_deref().unwrap_or("")) } td { (p.phone.as_deref().unwrap_or("")) } td { (p.email.as_deref().unwrap_or("")) }
        } })))
        form.toolbar method="post" action={ "/subscribers/" (s.id) "/contact-persons" } {
            (csrf_field(user))
            label { "ФИО" input type="text" name="full_name" required; }
            label { "Должность" input type="text" name="position"; }
            label { "Телефон" input type="text" name="phone"; }
            label { "E-mail" input type="text" name="email"; }
            button.secondary type="submit" { "Добавить" }
        }
    }
}

fn directions_tab(
    user: &CurrentUser,
    s: &subscriber::Model,
    directions: &[direction::Model],
) -> Markup {
    let authorities = [
        ("fns", "ФНС"),
        ("pfr", "ПФР"),
        ("fss", "ФСС"),
        ("rosstat", "Росстат"),
        ("rar", "РАР"),
        ("rpn", "РПН"),
        ("fts", "ФТС"),
    ];
    html! {
        (table(&["Орган", "Код", "КПП", ""], directions.iter().map(|d| html! { tr {
            td { (authorities.iter().find(|a| a.0 == d.authority).map_or(d.authority.as_str(), |a| a.1)) }
            td { (d.code) } td { (d.kpp.as_deref().unwrap_or("")) }
            td { form.inline method="post" action={ "/subscribers/" (s.id) "/directions/" (d.id) "/remove" } {
                (csrf_field(user))
                button.secondary type="submit" data-confirm="Удалить направление?" { "Удалить" }
            } }
        } })))
        form.toolbar method="post" action={ "/subscribers/" (s.id) "/directions" } {
            (csrf_field(user))
            label { "Орган" select name="authority" { @for (k, t) in authorities { option value=(k) { (t) } } } }
            label { "Код инспекции / органа" input type="text" name="code" required; }
            label { "КПП (для ФНС)" input type="text" name="kpp"; }
            button.secondary type="submit" { "Добавить направление" }
        }
    }
}

fn products_tab(
    user: &CurrentUser,
    products: &[product_account::Model],
    contacts: &[product_contact::Model],
) -> Markup {
    let usage_title = |u: &str| {
        if u == "fns_requirements" {
            "Уведомление о требованиях ФНС (e-mail)"
        } else {
            "Уведомление о статусах (мобильный)"
        }
    };
    html! {
        (table(&["GUID", "Конфигурация", "Состояние", "Категория", "Активен", "Псевдоним", "Логин ИТС", "Создан"], products.iter().map(|p| html! { tr {
            td { code { (p.guid) } } td { (p.configuration) } td { (crate::labels::product_state_title(&p.state)) } td { (super::category::Category::title_of(&p.category)) }
            td { (yes_no(p.active)) } td { (p.alias.as_deref().unwrap_or("")) } td { (p.its_login.as_deref().unwrap_or("")) }
            td.nowrap { (datetime_ru(p.created_at)) }
        } })))
        @for p in products {
            h2 { "Продукт " code { (p.guid) } " " a.small href={ "/products/" (p.id) } { "Информация" } }
            form.toolbar method="post" action={ "/products/" (p.id) "/edit" } {
                (csrf_field(user))
                label { "Псевдоним" input type="text" name="alias" value=(p.alias.as_deref().unwrap_or("")); }
                label { input type="checkbox" name="active" value="1" checked[p.active]; " активен (неактивные не попадают в продления и отчёты об окончании)" }
                button.secondary type="submit" { "Сохранить" }
            }
            (table(&["Уведомление", "Получатель"], contacts.iter().filter(|c| c.product_account_id == p.id).map(|c| html! { tr { td { (usage_title(&c.usage)) } td { (c.value) } } })))
            form.toolbar method="post" action={ "/products/" (p.id) "/contacts" } {
                (csrf_field(user))
                label { "Уведомление" select name="usage" {
                    option value="fns_requirements" { (usage_title("fns_requirements")) }
                    option value="status_notifications" { (usage_title("status_notifications")) }
                } }
                label { "Получатель" input type="text" name="value" required; }
                button.secondary type="submit" { "Назначить (один получатель)" }
            }
            form.inline method="post" action={ "/products/" (p.id) "/contacts/copy" } {
                (csrf_field(user))
                button.secondary type="submit" { "Копировать из основных реквизитов" }
            }
        }
    }
}

fn main_tab(
    user: &CurrentUser,
    s: &subscriber::Model,
    group: Option<&company_group::Model>,
) -> Markup {
    html! {
        form.card-form method="post" action={ "/subscribers/" (s.id) "/edit" } {
            (csrf_field(user))
            input type="hidden" name="version" value=(s.version);
            input type="hidden" name="tab" value="main";
            label { "Краткое наименование" input type="text" name="short_name" value=(s.short_name) size="60" required; }
            label { "Полное наименование" input type="text" name="full_name" value=(s.full_name) size="80" required; }
            @if s.legal_form != "sole_trader" {
                label { "КПП" input type="text" name="kpp" value=(s.kpp.as_deref().unwrap_or("")) pattern="[0-9]{4}[0-9A-Z]{2}[0-9]{3}"; }
            }
            label { "Примечание" input type="text" name="note" value=(s.note.as_deref().unwrap_or("")) size="80"; }
            button.primary type="submit" data-confirm-if-changed="kpp" data-confirm="Смена КПП создаст новую карточку абонента и перенесёт на неё действующие лицензии без оплаты. Продолжить?" { "Сохранить" }
        }
        dl.kv {
            dt { "ИНН" } dd { (s.inn) }
            dt { "ОГРН" } dd { (s.ogrn.as_deref().unwrap_or("—")) }
            dt { "Рег. номер ПФР / ФСС" } dd { (s.pfr_number.as_deref().unwrap_or("—")) " / " (s.fss_number.as_deref().unwrap_or("—")) }
            dt { "Группа компаний" }
            dd {
                @if let Some(g) = group {
                    a href={ "/company-groups/" (g.id) } { (g.name) }
                    @if g.head_subscriber_id == s.id { " (головная организация)" }
                } @else if user.role == Role::Partner {
                    form.inline method="post" action={ "/subscribers/" (s.id) "/company-group" } {
                        (csrf_field(user))
                        button.secondary type="submit" { "Создать группу (головная)" }
                    }
                    form.inline method="post" action={ "/subscribers/" (s.id) "/join-group" } {
                        (csrf_field(user))
                        label { "ИНН головной" input type="text" name="head_inn" required inputmode="numeric" pattern="[0-9]{10}|[0-9]{12}" size="12"; }
                        label { "КПП" input type="text" name="head_kpp" size="9"; }
                        button.secondary type="submit" { "Вступить в группу" }
                    }
                } @else { "—" }
            }
        }
    }
}
