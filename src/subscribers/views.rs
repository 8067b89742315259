//! Pages of the subscribers section.

use maud::{Markup, html};

use super::certificates::{Reason, RequestState};
use super::routes::ListParams;
use crate::auth::{CurrentUser, Role};
use crate::entities::{
    certificate, company_group, licence, licence_history, product_account, revocation_request,
    subscriber,
};
use crate::tariffs::licence::{LicenceEvent, LicenceState, apply};
use crate::web::components::{date_ru, datetime_ru, table, yes_no};
use crate::web::layout::{self, csrf_field};
use crate::web::urlencode;

pub fn licence_state_title(s: &str) -> &'static str {
    LicenceState::ALL
        .into_iter()
        .find(|x| x.as_str() == s)
        .map_or("неизвестно", LicenceState::title_ru)
}

pub fn list(
    user: &CurrentUser,
    rows: &[subscriber::Model],
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
            form.toolbar method="get" action="/subscribers" {
                label { "ИНН, наименование, GUID продукта, логин ИТС или номер ПФР" input type="text" name="q" value=(q) size="50"; }
                button.primary type="submit" { "Найти" }
                a.button.secondary href={ "/subscribers/export.csv?q=" (urlencode(&q)) } { "Экспорт CSV" }
                a.button.secondary href={ "/subscribers/export.xlsx?q=" (urlencode(&q)) } { "Экспорт XLSX" }
            }
            (table(&["ИНН", "КПП", "Наименование", "Подключен", "Создан"], rows.iter().map(|s| html! { tr {
                td { (s.inn) } td { (s.kpp.as_deref().unwrap_or("")) }
                td { a href={ "/subscribers/" (s.id) } { (s.short_name) } }
                td { (yes_no(s.connected)) }
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
        LicenceEvent::Block => {
            "Заблокировать тариф? Абонент не сможет отправлять отчётность, пока тариф не будет возобновлён."
        }
        LicenceEvent::Resume => "Возобновить тариф?",
        LicenceEvent::Revoke => {
            "Отозвать тариф? Отзыв необратим. Если это единственная лицензия, абонент будет отключён, а повторное подключение платного абонента — только на платной основе."
        }
        LicenceEvent::Register => "",
    }
}

fn licence_actions(user: &CurrentUser, l: &licence::Model) -> Markup {
    let state = LicenceState::ALL
        .into_iter()
        .find(|s| s.as_str() == l.state);
    let may_act = matches!(
        user.role,
        Role::Partner | Role::SalesCenter | Role::Operator
    );
    html! {
        @if let (Some(state), true) = (state, may_act) {
            @for (e, label) in [(LicenceEvent::Block, "Заблокировать"), (LicenceEvent::Resume, "Возобновить"), (LicenceEvent::Revoke, "Отозвать")] {
                @if apply(state, e).is_ok() && (e != LicenceEvent::Revoke || l.revocable) {
                    form.inline method="post" action={ "/licences/" (l.id) "/action" } {
                        (csrf_field(user))
                        input type="hidden" name="version" value=(l.version);
                        input type="hidden" name="action" value=(e.as_str());
                        button class=(if e == LicenceEvent::Revoke { "danger" } else { "secondary" }) type="submit" onclick={ "return confirm('" (confirm_text(e)) "')" } { (label) }
                    }
                }
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
    pub revocations: &'a [revocation_request::Model],
}

pub fn card(user: &CurrentUser, m: &CardModel, tab: &str) -> Markup {
    let CardModel {
        subscriber: s,
        products,
        licences,
        history,
        group,
        certificates,
        revocations,
    } = *m;
    let tabs = [
        ("main", "Основные"),
        ("products", "Продукты"),
        ("tariffs", "Тарифы"),
        ("manage", "Управление"),
        ("certificates", "Сертификаты"),
        ("history", "История"),
    ];
    layout::page(
        user,
        "subscribers",
        &s.short_name,
        html! {
            div.summary {
                @if s.connected { span.badge.badge-ok { "Подключен" } } @else { span.badge.badge-err { "Отключен" } }
                span { "ИНН " b { (s.inn) } @if let Some(k) = &s.kpp { " · КПП " b { (k) } } }
                @if s.paid_basis_only { span.badge.badge-warn { "Повторное подключение только на платной основе" } }
            }
            nav.tabs {
                @for (key, label) in tabs {
                    a href={ "/subscribers/" (s.id) "?tab=" (key) } class=[(key == tab).then_some("active")] { (label) }
                }
            }
            @match tab {
                "products" => (table(&["GUID", "Конфигурация", "Состояние", "Категория", "Активен", "Псевдоним", "Логин ИТС", "Создан"], products.iter().map(|p| html! { tr {
                    td { code { (p.guid) } } td { (p.configuration) } td { (p.state) } td { (p.category) }
                    td { (yes_no(p.active)) } td { (p.alias.as_deref().unwrap_or("")) } td { (p.its_login.as_deref().unwrap_or("")) }
                    td.nowrap { (datetime_ru(p.created_at)) }
                } }))),
                "tariffs" => (table(&["Тариф", "Начало", "Окончание", "Зона", "Первичное", "Стоимость", "Состояние", "Действия"], licences.iter().map(|l| html! { tr {
                    td { (l.tariff_name) @if l.approved_in_reconciliation { br; small.muted { "одобрено в сверке" } } }
                    td.nowrap { (date_ru(l.starts_on)) } td.nowrap { (date_ru(l.ends_on)) } td.num { (l.zone) }
                    td { (yes_no(l.is_primary)) } td.num { (l.cost.ru()) }
                    td { (licence_state_title(&l.state)) }
                    td { (licence_actions(user, l)) }
                } }))),
                "manage" => div.actions {
                    form.inline method="post" action={ "/subscribers/" (s.id) "/manage" } {
                        (csrf_field(user))
                        input type="hidden" name="action" value="detach_its";
                        button.secondary type="submit" onclick="return confirm('Отключить ИТС? Действующие лицензии ИТС абонента будут отозваны, а подписка ИТС освободится для другого подключения.')" { "Отключить ИТС" }
                    }
                    form.inline method="post" action={ "/subscribers/" (s.id) "/manage" } {
                        (csrf_field(user))
                        input type="hidden" name="action" value="block";
                        button.danger type="submit" onclick="return confirm('Заблокировать абонента? Будут заблокированы все его зарегистрированные лицензии. Лицензии, начинающиеся в будущем, нужно сначала отозвать.')" { "Заблокировать абонента" }
                    }
                },
                "certificates" => (certificates_tab(user, certificates, revocations)),
                "history" => (table(&["Когда", "Кто", "Лицензия", "Событие", "Было", "Стало", "Комментарий"], history.iter().map(|h| html! { tr {
                    td.nowrap { (datetime_ru(h.at)) } td { (h.actor_login) }
                    td { (licences.iter().find(|l| l.id == h.licence_id).map_or("", |l| l.tariff_name.as_str())) }
                    td { (h.event) } td { (h.from_state.as_deref().map_or("—", licence_state_title)) } td { (licence_state_title(&h.to_state)) }
                    td { (h.reason.as_deref().unwrap_or("")) }
                } }))),
                _ => div.columns {
                    dl.kv {
                        dt { "ИНН / КПП" } dd { (s.inn) " / " (s.kpp.as_deref().unwrap_or("—")) }
                        dt { "Краткое наименование" } dd { (s.short_name) }
                        dt { "Полное наименование" } dd { (s.full_name) }
                        dt { "ОГРН" } dd { (s.ogrn.as_deref().unwrap_or("—")) }
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
                            } @else { "—" }
                        }
                        dt { "Рег. номер ПФР / ФСС" } dd { (s.pfr_number.as_deref().unwrap_or("—")) " / " (s.fss_number.as_deref().unwrap_or("—")) }
                    }
                    dl.kv {
                        dt { "Юридический адрес" } dd { (s.legal_address) }
                        dt { "Фактический адрес" } dd { (s.actual_address) }
                        dt { "Телефон" } dd { (s.phone) }
                        dt { "E-mail" } dd { (s.email) }
                        dt { "Примечание" } dd { (s.note.as_deref().unwrap_or("—")) }
                    }
                },
            }
        },
    )
}

fn certificates_tab(
    user: &CurrentUser,
    certs: &[certificate::Model],
    requests: &[revocation_request::Model],
) -> Markup {
    let may = matches!(
        user.role,
        Role::Partner | Role::SalesCenter | Role::Operator
    );
    html! {
        (table(&["Серийный номер", "Владелец", "Тип", "Действует", "Поставщик", "Состояние", "Отзыв"], certs.iter().map(|c| {
            let open = requests.iter().any(|r| r.certificate_id == c.id && r.state != "revoked");
            html! { tr {
                td { code { (c.serial) } }
                td { (c.owner_name) }
                td { (if c.kind == "qualified_cryptopro" { "КЭП + Лицензия КриптоПро" } else { "КЭП" }) }
                td.nowrap { (date_ru(c.valid_from)) " — " (date_ru(c.valid_to)) }
                td { (c.provider) }
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
                let state = RequestState::parse(&r.state);
                html! { tr {
                    td { (r.id) }
                    td { code { (certs.iter().find(|c| c.id == r.certificate_id).map_or("", |c| c.serial.as_str())) } }
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
                                    button.primary type="submit" onclick="return confirm('Отправить заявление на отзыв сертификата в удостоверяющий центр?')" { "Отправить" }
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
