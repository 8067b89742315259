//! Pages of the applications section.

use std::collections::HashMap;

use maud::{Markup, html};

use super::checks::{Check, Checks};
use super::documents::{DocumentKind, Group};
use super::processing::{Connected, ConnectionOption, ItsCheck, ItsOutcome, SecondaryAction};
use super::registry::{Folder, Page, Row, Sort};
use super::routes::RegistryParams;
use super::routes::WizardForm;
use super::service::Preview;
use super::service::Stated;
use super::state::{self, Event, State};
use crate::auth::{CurrentUser, Role};
use crate::entities::{
    application, application_document, application_history, identification_center, partner,
};
use crate::organisation::CertificateType;
use crate::web::components::{datetime_ru, table};
use crate::web::layout::{self, csrf_field};
use crate::web::urlencode;

pub struct RegistryModel {
    pub folder: Folder,
    pub folders: Vec<Folder>,
    pub counts: HashMap<Folder, u64>,
    pub page: Page,
    pub sort: Sort,
    pub params: RegistryParams,
    pub partners: Vec<partner::Model>,
    /// For the identification center: when each delegated owner's 10 working days end.
    pub deadlines: HashMap<i64, chrono::DateTime<chrono::Utc>>,
    /// For the identification center: the certificate owner who comes, by application.
    pub owners: HashMap<i64, String>,
    /// The next automatic action on each row, by application.
    pub next: HashMap<i64, crate::next_action::NextAction>,
}

pub fn state_badge(s: State) -> Markup {
    let class = match s {
        State::Registered => "badge-ok",
        State::Rejected | State::AutoRejected | State::IdentificationFailed => "badge-err",
        State::Identification | State::InProcessing | State::AwaitingReceipt => "badge-warn",
        _ => "badge-muted",
    };
    html! { span class={ "badge " (class) } { (s.title_ru()) } }
}

fn checks_badge(passed: bool) -> Markup {
    html! { @if passed { span.badge.badge-ok { "Пройдена" } } @else { span.badge.badge-err { "Ошибки" } } }
}

fn registry_href(
    folder: Folder,
    p: &RegistryParams,
    sort: Option<Sort>,
    after: Option<String>,
) -> String {
    let mut s = format!("/applications?folder={}", folder.key());
    if let Some(q) = p.q.as_deref().filter(|q| !q.is_empty()) {
        s.push_str(&format!("&q={}", urlencode(q)));
    }
    let sort = sort.or_else(|| p.sort.as_deref().and_then(Sort::parse));
    if let Some(so) = sort.filter(|s| *s != Sort::default()) {
        s.push_str(&format!("&sort={}", so.key()));
    }
    if let Some(a) = after {
        s.push_str(&format!("&after={}", urlencode(&a)));
    }
    s
}

pub fn registry(user: &CurrentUser, m: &RegistryModel) -> Markup {
    let show_partner = matches!(user.role, Role::SalesCenter | Role::Operator);
    let assign =
        m.folder == Folder::Distribution && matches!(user.role, Role::SalesCenter | Role::Operator);
    let queue = m.folder == Folder::InProcessing && user.role == Role::Operator;
    let sort_link = |label: &str, asc: Sort| {
        let active = m.sort == asc;
        html! { a.sort href=(registry_href(m.folder, &m.params, Some(asc), None)) { (label) @if active { " ▲" } } }
    };
    let active_nav = if m.folder == Folder::Distribution {
        "distribution"
    } else if user.role == Role::IdentificationCenter {
        "identification"
    } else {
        "applications"
    };
    layout::page(
        user,
        active_nav,
        if user.role == Role::IdentificationCenter {
            "Очередь идентификации"
        } else {
            "Заявки"
        },
        html! {
            (registry_toolbar(user, m))
            div.table-wrap {
                table.data {
                    thead { tr {
                        th { (sort_link("ИНН", Sort::Inn)) }
                        th { "КПП" }
                        th { (sort_link("Наименование", Sort::Name)) }
                        @if user.role == Role::IdentificationCenter {
                            th { "Владелец сертификата" }
                            th { "Делегировано" }
                            th { "Срок явки" }
                        } @else {
                        // Unclaimed applications have no registration number yet.
                        @if m.folder != Folder::Distribution { th { "Рег. номер" } }
                        th { "Логин" }
                        th { (sort_link("Дата приёма", if m.sort == Sort::NewestFirst { Sort::OldestFirst } else { Sort::NewestFirst })) }
                        th { "Дата подтверждения" }
                        th { "Проверка" }
                        th { "Автоматически" }
                        }
                        @if show_partner { th { "Партнер" } }
                        @if assign { th { "Назначить" } }
                        @if queue { th { "Удостоверяющий центр" } }
                    } }
                    tbody {
                        @if m.page.items.is_empty() {
                            tr { td.empty colspan="10" { "Нет записей для просмотра" } }
                        }
                        @if rows_per_caller(user, m) {
                            @for a in m.page.items.iter() { (registry_row(user, m, a)) }
                        } @else {
                            (kept_registry_rows(user, m))
                        }
                    }
                }
            }
            (registry_pager(m))
        },
    )
}

/// Above the registry: the partner's «Получить заявку», the folders and the search.
fn registry_toolbar(user: &CurrentUser, m: &RegistryModel) -> Markup {
    html! {
        @if user.role == Role::Partner {
            form.toolbar.claim method="post" action="/applications/claim" {
                (csrf_field(user))
                label { "ИНН" input type="text" name="inn" required pattern="[0-9]{10}|[0-9]{12}" placeholder="10 или 12 цифр"; }
                label { "КПП" input type="text" name="kpp" pattern="[0-9A-Z]{9}" placeholder="для организаций"; }
                button.primary type="submit" { "Получить заявку" }
            }
        }
        nav.tabs {
            @for f in &m.folders {
                a href=(registry_href(*f, &m.params, None, None)) class=[(*f == m.folder).then_some("active")] {
                    (f.title_ru()) " " span.count { (m.counts.get(f).copied().unwrap_or(0)) }
                }
            }
        }
        form.toolbar method="get" action="/applications" {
            input type="hidden" name="folder" value=(m.folder.key());
            label { "Поиск по ИНН, КПП или наименованию"
                input type="text" name="q" value=[m.params.q.as_deref()] size="40";
            }
            button.primary type="submit" { "Найти" }
            @if m.params.q.as_deref().is_some_and(|q| !q.is_empty()) {
                a.button.secondary href=(registry_href(m.folder, &RegistryParams::default(), None, None)) { "Сбросить" }
            }
        }
        // A search looks through every folder: say where the matches are when the open
        // one has none.
        @if m.params.q.as_deref().is_some_and(|q| !q.trim().is_empty())
            && m.counts.get(&m.folder).copied().unwrap_or(0) == 0
        {
            @let elsewhere: Vec<&Folder> = m.folders.iter().filter(|f| m.counts.get(f).copied().unwrap_or(0) > 0).collect();
            @if !elsewhere.is_empty() {
                p.flash.flash-info.search-elsewhere {
                    "В папке «" (m.folder.title_ru()) "» совпадений нет. Найдено: "
                    @for (i, f) in elsewhere.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href=(registry_href(**f, &m.params, None, None)) { (f.title_ru()) " (" (m.counts.get(*f).copied().unwrap_or(0)) ")" }
                    }
                    "."
                }
            }
        }
    }
}

/// Whether the registry's rows hold something of the caller: the assignment and
/// processing forms carry the session's CSRF token (and the identification center's
/// pages are not kept).
fn rows_per_caller(user: &CurrentUser, m: &RegistryModel) -> bool {
    user.role == Role::IdentificationCenter
        || (m.folder == Folder::Distribution
            && matches!(user.role, Role::SalesCenter | Role::Operator))
        || (m.folder == Folder::InProcessing && user.role == Role::Operator)
}

/// The registry's rows, made once per kept page ([`super::registry::Rows::html`]) for
/// what else they read: the role, the folder and the coming automatic actions (a new
/// production calendar moves those without moving the page's stamp).
fn kept_registry_rows(
    user: &CurrentUser,
    m: &RegistryModel,
) -> maud::PreEscaped<std::sync::Arc<str>> {
    use std::fmt::Write as _;
    let mut key = format!("{}/{}", user.role.as_str(), m.folder.key());
    for a in m.page.items.iter() {
        if let Some(n) = m.next.get(&a.id) {
            let _ = write!(
                key,
                " {}:{}@{}",
                a.id,
                n.kind.as_str(),
                n.at.timestamp_micros()
            );
        }
    }
    maud::PreEscaped(m.page.items.html(&key, || {
        html! { @for a in m.page.items.iter() { (registry_row(user, m, a)) } }.into_string()
    }))
}

/// One application of the registry, with the columns the role reads.
fn registry_row(user: &CurrentUser, m: &RegistryModel, a: &Row) -> Markup {
    let show_partner = matches!(user.role, Role::SalesCenter | Role::Operator);
    let assign =
        m.folder == Folder::Distribution && matches!(user.role, Role::SalesCenter | Role::Operator);
    let queue = m.folder == Folder::InProcessing && user.role == Role::Operator;
    html! {
        tr {
            td.nowrap { (a.inn) }
            td.nowrap { (a.kpp.as_deref().unwrap_or("")) }
            td { a href={ "/applications/" (a.id) } { (a.short_name) } }
            @if user.role == Role::IdentificationCenter {
                td { (m.owners.get(&a.id).map_or("", String::as_str)) }
                td.nowrap { (a.delegated_at.map(datetime_ru).unwrap_or_default()) }
                td.nowrap { (m.deadlines.get(&a.id).copied().map(datetime_ru).unwrap_or_else(|| "—".to_owned())) }
            } @else {
            @if m.folder != Folder::Distribution { td { (a.registration_number.as_deref().unwrap_or("")) } }
            td.nowrap { (a.its_login.as_deref().unwrap_or("")) }
            td.nowrap { (datetime_ru(a.received_at)) }
            td.nowrap { (a.confirmed_at.map(datetime_ru).unwrap_or_default()) }
            td { (checks_badge(a.checks_passed)) }
            td.small { @if let Some(n) = m.next.get(&a.id) { (next_short(n.kind)) br; span.nowrap { (datetime_ru(n.at)) } } }
            }
            @if show_partner { td { (a.partner_code.as_deref().unwrap_or("—")) } }
            @if assign {
                td {
                    form.inline method="post" action={ "/applications/" (a.id) "/assign" } {
                        (csrf_field(user))
                        input type="hidden" name="version" value=(a.version);
                        input type="hidden" name="back" value="/applications?folder=distribution";
                        select name="partner_code" required {
                            option value="" { "— партнер —" }
                            @for p in &m.partners { option value=(p.code) { (p.name) } }
                        }
                        button.primary type="submit" { "Назначить" }
                    }
                }
            }
            @if queue { td { (processing_actions(user, a, "/applications?folder=in_processing")) } }
        }
    }
}

/// The operator's hand in the processing queue: what the certification authority did —
/// issued the certificate (or processed without one), or refused with a reason.
fn processing_actions(user: &CurrentUser, a: &Row, back: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/applications/" (a.id) "/issue" } {
            (csrf_field(user)) input type="hidden" name="version" value=(a.version);
            input type="hidden" name="back" value=(back);
            @if a.certificate_requested {
                button.primary type="submit" data-confirm="Отметить, что удостоверяющий центр выпустил сертификат?" { "Сертификат выпущен" }
            } @else {
                button.primary type="submit" data-confirm="Отметить, что удостоверяющий центр обработал заявление?" { "Обработано" }
            }
        }
        details.reject {
            summary.button.danger { "Отказать" }
            form method="post" action={ "/applications/" (a.id) "/refuse" } {
                (csrf_field(user)) input type="hidden" name="version" value=(a.version);
                input type="hidden" name="back" value=(back);
                label { "Причина отказа" textarea name="reason" required rows="3" cols="50" {} }
                button.danger type="submit" { "Отказать в выпуске" }
            }
        }
    }
}

/// A coming automatic action in a registry cell.
fn next_short(kind: crate::next_action::NextKind) -> &'static str {
    use crate::next_action::NextKind;
    match kind {
        NextKind::AutoReject => "отклонение",
        NextKind::IdentificationFails => "неявка",
        NextKind::DeferredItsBlock => "блокировка",
    }
}

/// Below the registry: the total and the way to the next page.
fn registry_pager(m: &RegistryModel) -> Markup {
    html! {
        div.pager {
            span { "Всего: " b { (m.page.total) } }
            span {
                @if m.params.after.is_some() || m.page.page > 1 {
                    a.button.secondary href=(registry_href(m.folder, &m.params, None, None)) { "← В начало" }
                    " "
                }
                @if let Some(next) = &m.page.next {
                    a.button.secondary href=(registry_href(m.folder, &m.params, None, Some(next.encode()))) { "Дальше →" }
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Details,
    Checks,
    Files,
    History,
}

impl Tab {
    pub fn parse(s: Option<&str>) -> Tab {
        match s {
            Some("checks") => Tab::Checks,
            Some("files") => Tab::Files,
            Some("history") => Tab::History,
            _ => Tab::Details,
        }
    }
}

pub struct DetailModel<'a> {
    pub app: &'a application::Model,
    pub state: State,
    pub tab: Tab,
    pub documents: Vec<application_document::Model>,
    pub history: Vec<application_history::Model>,
    pub partner: Option<partner::Model>,
    pub center: Option<identification_center::Model>,
    pub partners: Vec<partner::Model>,
    /// Full names of the people in the history, by login.
    pub people: HashMap<String, String>,
    /// While delegated: when the 10 working days the owner has to show up run out.
    pub identification_deadline: Option<chrono::DateTime<chrono::Utc>>,
    /// The owner, directions and checks the application states.
    pub stated: Stated,
    /// What the product does by itself next, and when.
    pub next: Option<crate::next_action::NextAction>,
}

fn version_field(app: &application::Model) -> Markup {
    html! { input type="hidden" name="version" value=(app.version); }
}

fn actions(user: &CurrentUser, m: &DetailModel) -> Markup {
    let a = m.app;
    let available = state::available(m.state, user.role);
    html! {
        div.actions {
            @for e in &available {
                @match e {
                    Event::Claim => {
                        form.inline method="post" action={ "/applications/" (a.id) "/claim" } {
                            (csrf_field(user)) (version_field(a))
                            button.primary type="submit" { "Получить заявку" }
                        }
                    }
                    Event::DelegateIdentification => {
                        a.button href={ "/applications/" (a.id) "/delegate" } { "Делегировать идентификацию" }
                    }
                    Event::SendToProcessing => {
                        a.button href={ "/applications/" (a.id) "/process" } { "В обработку" }
                    }
                    _ => {}
                }
            }
            @if available.contains(&Event::Assign) {
                form.inline method="post" action={ "/applications/" (a.id) "/assign" } {
                    (csrf_field(user)) (version_field(a))
                    select name="partner_code" required {
                        option value="" { "— партнер —" }
                        @for p in &m.partners { option value=(p.code) { (p.name) } }
                    }
                    button.primary type="submit" { "Назначить" }
                }
            }
            @if available.contains(&Event::IdentificationPassed) {
                form.inline method="post" action={ "/applications/" (a.id) "/identification" } {
                    (csrf_field(user)) (version_field(a))
                    input type="hidden" name="result" value="passed";
                    button.primary type="submit" data-confirm="Подтвердить, что владелец сертификата прошёл идентификацию?" { "Идентификация пройдена" }
                }
                form.inline method="post" action={ "/applications/" (a.id) "/identification" } {
                    (csrf_field(user)) (version_field(a))
                    input type="hidden" name="result" value="failed";
                    input type="text" name="reason" required placeholder="Причина отказа" size="30";
                    button.danger type="submit" { "Не пройдена" }
                }
            }
            @if available.contains(&Event::Reject) {
                details.reject {
                    summary.button.danger { "Отклонить" }
                    form method="post" action={ "/applications/" (a.id) "/reject" } {
                        (csrf_field(user)) (version_field(a))
                        label { "Причина отклонения" textarea name="reason" required rows="3" cols="60" {} }
                        button.danger type="submit" { "Отклонить заявление" }
                    }
                }
            }
            @if available.contains(&Event::CaRefused) {
                (processing_actions(user, &Row::from(a), &format!("/applications/{}", a.id)))
            }
            @if m.state == State::Identification && user.role == Role::Partner {
                span.muted { "Заявление передано на идентификацию и заблокировано до её завершения." }
            }
        }
    }
}

fn tab_link(app: &application::Model, tab: Tab, current: Tab, label: &str, key: &str) -> Markup {
    html! { a href={ "/applications/" (app.id) "?tab=" (key) } class=[(tab == current).then_some("active")] { (label) } }
}

pub fn detail(user: &CurrentUser, m: &DetailModel) -> Markup {
    let a = m.app;
    layout::page(
        user,
        if user.role == Role::IdentificationCenter {
            "identification"
        } else {
            "applications"
        },
        &a.short_name,
        html! {
            div.summary {
                (state_badge(m.state))
                span { "ИНН " b { (a.inn) } @if let Some(k) = &a.kpp { " · КПП " b { (k) } } }
                span { "Принято " (datetime_ru(a.received_at)) }
                @if let Some(p) = &m.partner { span { "Партнер: " (p.name) } }
                @if let Some(c) = &m.center { span { "Центр идентификации: " (c.office_name) } }
                @if let Some(d) = m.identification_deadline { span { "Срок явки на идентификацию: до " b { (datetime_ru(d)) } } }
                @if let Some(n) = m.next { span.next-action { (n.kind.title_ru()) ": " b { (datetime_ru(n.at)) } } }
            }
            @if let Some(r) = &a.reject_reason { div.flash.flash-error { "Причина отклонения: " (r) } }
            @if m.state == State::IdentificationFailed {
                @if let Some(r) = m.history.iter().rev().find(|h| h.to_state == State::IdentificationFailed.as_str()).and_then(|h| h.reason.as_deref()) {
                    div.flash.flash-error { "Идентификация не пройдена: " (r) ". Заявление можно только просмотреть или отклонить." }
                }
            }
            (actions(user, m))
            nav.tabs {
                (tab_link(a, Tab::Details, m.tab, "Реквизиты", "details"))
                (tab_link(a, Tab::Checks, m.tab, "Проверки", "checks"))
                (tab_link(a, Tab::Files, m.tab, "Файлы", "files"))
                (tab_link(a, Tab::History, m.tab, "История", "history"))
            }
            div.tab-body {
                @match m.tab {
                    Tab::Details => (details_tab(a, &m.stated)),
                    Tab::Checks => (checks_tab(&m.stated.checks)),
                    Tab::Files => (files_tab(user, a, m.state, &m.documents)),
                    Tab::History => (history_tab(&m.history, &m.people)),
                }
            }
        },
    )
}

fn yes(v: bool) -> &'static str {
    if v { "Да" } else { "Нет" }
}

fn details_tab(a: &application::Model, stated: &Stated) -> Markup {
    let owner = &stated.owner;
    html! {
        div.columns {
            dl.kv {
                dt { "Форма" } dd { (if a.legal_form == "sole_trader" { "ИП" } else { "ЮЛ" }) }
                dt { "Тип запроса" } dd { (if a.request_type == "change" { "Изменение" } else { "Создание" }) }
                dt { "Категория" } dd { (category_title(&a.category)) }
                dt { "Полное наименование" } dd { (a.full_name) }
                dt { "ИНН / КПП" } dd { (a.inn) " / " (a.kpp.as_deref().unwrap_or("—")) }
                dt { "ОГРН" } dd { (a.ogrn.as_deref().unwrap_or("—")) }
                dt { "Рег. номер ПФР / ФСС" } dd { (a.pfr_number.as_deref().unwrap_or("—")) " / " (a.fss_number.as_deref().unwrap_or("—")) }
                dt { "Юридический адрес" } dd { (a.legal_address) }
                dt { "Фактический адрес" } dd { (a.actual_address) }
                dt { "Телефон" } dd { (a.phone) @if let Some(m) = &a.mobile_phone { ", " (m) } }
                dt { "E-mail" } dd { (a.email) }
            }
            dl.kv {
                dt { "Конфигурация" } dd { (a.configuration) " (формат " (a.format_version) ")" }
                dt { "Выпуск сертификата" } dd { (yes(a.certificate_requested)) }
                dt { "Лицензия КриптоПро" } dd { (yes(a.cryptopro_licence)) }
                dt { "Подключить ЛК" } dd { (yes(a.connect_lk)) }
                dt { "Безбумажное продление" } dd { (yes(a.paperless_renewal)) }
                dt { "Логин портала ИТС" } dd { (a.its_login.as_deref().unwrap_or("—")) @if let Some(e) = &a.its_email { " (" (e) ")" } }
                dt { "Владелец сертификата" } dd { (owner.full_name) @if let Some(p) = &owner.position { ", " (p) } }
                dt { "СНИЛС владельца" } dd { (owner.snils) }
                dt { "Тип сертификата" } dd { (if owner.certificate_type == CertificateType::QualifiedCryptopro { "КЭП + Лицензия КриптоПро" } else { "КЭП" }) }
                dt { "Уполномоченный представитель" } dd { (a.authorized_representative_inn.as_deref().unwrap_or("—")) }
                dt { "Направления" } dd {
                    @for d in &stated.directions {
                        div { (d.authority.title_ru()) " " (d.code) @if let Some(k) = &d.kpp { " (КПП " (k) ")" } }
                    }
                }
            }
        }
    }
}

fn category_title(c: &str) -> &str {
    super::intake::Category::title_of(c)
}

fn check_rows(checks: &[Check]) -> Vec<Markup> {
    checks
        .iter()
        .map(|c| html! { tr { td { @if c.passed { span.badge.badge-ok { "Пройдена" } } @else { span.badge.badge-err { "Ошибка" } } } td { (c.message) } } })
        .collect()
}

fn checks_tab(c: &Checks) -> Markup {
    html! {
        p { "Итог обязательных проверок: " (checks_badge(c.passed)) }
        h2 { "Обязательные проверки" }
        p.muted { "Ошибка обязательной проверки не позволяет отправить заявление в обработку." }
        (table(&["Результат", "Проверка"], check_rows(&c.mandatory)))
        h2 { "Дополнительные проверки" }
        p.muted { "Результат дополнительных проверок не влияет на работу с заявлением." }
        (table(&["Результат", "Проверка"], check_rows(&c.optional)))
    }
}

fn files_tab(
    user: &CurrentUser,
    a: &application::Model,
    state: State,
    docs: &[application_document::Model],
) -> Markup {
    let can_upload = matches!(user.role, Role::Partner | Role::Operator) && !state.is_final();
    let by_kind: HashMap<&str, &application_document::Model> =
        docs.iter().map(|d| (d.kind.as_str(), d)).collect();
    let group = |g: Group, title: &str| {
        html! {
            h2 { (title) }
            div.table-wrap { table.data {
                thead { tr { th { "Документ" } th { "Файл" } th { "Дата загрузки" } @if can_upload { th { "Загрузить / заменить" } } } }
                tbody {
                    @for k in DocumentKind::ALL.iter().filter(|k| k.group() == g) {
                        @let doc = by_kind.get(k.as_str());
                        tr {
                            td { (k.title_ru()) @if let Some(mark) = k.requirement().mark() { b.required { (mark) } } }
                            td { @if let Some(d) = doc { a href={ "/applications/" (a.id) "/documents/" (k.as_str()) } { (d.file_name) } " " span.muted { "(" (d.size_bytes / 1024 + 1) " КБ)" } } @else { span.muted { "—" } } }
                            td.nowrap { (doc.map(|d| datetime_ru(d.uploaded_at)).unwrap_or_default()) }
                            @if can_upload {
                                td {
                                    form.inline method="post" enctype="multipart/form-data" action={ "/applications/" (a.id) "/documents/" (k.as_str()) } {
                                        (csrf_field(user))
                                        input type="file" name="file" required accept=".pdf,.jpg,.jpeg,.png,.tif,.tiff,.zip";
                                        button.secondary type="submit" { (if doc.is_some() { "Заменить" } else { "Прикрепить файл" }) }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
        }
    };
    html! {
        (group(Group::Owner, "Владелец ЭП"))
        (group(Group::Representative, "Представитель заявителя"))
        (group(Group::Common, "Общие"))
        p.muted { "* Обязательный документ. Допускаются PDF, JPEG, PNG, TIFF и ZIP до 10 МБ. Договор и акт приема-передачи можно не прикреплять при смене сертификата без продления лицензии и при подключении по тарифу ИТС." }
        @if !docs.is_empty() { a.button.secondary href={ "/applications/" (a.id) "/documents.zip" } { "Скачать все" } }
    }
}

fn history_tab(history: &[application_history::Model], people: &HashMap<String, String>) -> Markup {
    table(
        &["Когда", "Кто", "Событие", "Было", "Стало", "Комментарий"],
        history.iter().map(|h| {
            let title = |s: &Option<String>| {
                s.as_deref()
                    .and_then(|s| s.parse::<State>().ok())
                    .map_or("—", State::title_ru)
            };
            let event = history_event_title(&h.event);
            html! { tr {
                td.nowrap { (datetime_ru(h.at)) }
                td { (crate::labels::actor_title(&h.actor_login, people.get(&h.actor_login).map(String::as_str))) }
                td { (event) }
                td { (title(&h.from_state)) }
                td { (title(&Some(h.to_state.clone()))) }
                td { (h.reason.as_deref().unwrap_or("")) }
            } }
        }),
    )
}

/// An event as a history line reads it: what happened, not the button's verb.
pub fn history_event_title(code: &str) -> &'static str {
    match code {
        "submit" => "Заявление получено из 1С",
        "distribute" => "Передано в распределение",
        "claim" => "Заявка получена партнером",
        "assign" => "Назначено партнеру",
        "delegate_identification" => "Идентификация делегирована",
        "identification_passed" => "Идентификация пройдена",
        "identification_failed" => "Идентификация не пройдена",
        "send_to_processing" => "Отправлено в обработку",
        "certificate_issued" => "Сертификат выпущен",
        "processing_done" => "Обработка завершена",
        "receipt" => "Расписка получена",
        "reject" => "Отклонено",
        "auto_reject" => "Отклонено автоматически",
        "ca_refused" => "Отказ удостоверяющего центра",
        "its_login_changed" => "Изменён логин ИТС",
        "paperless_renewal_held" => "Безбумажное продление ждёт партнера",
        _ => "Изменение",
    }
}

pub fn delegate(
    user: &CurrentUser,
    a: &application::Model,
    ranked: &[(identification_center::Model, Option<f64>)],
) -> Markup {
    layout::page(
        user,
        "applications",
        "Делегирование идентификации абонента",
        html! {
            p { (a.short_name) ", ИНН " (a.inn) }
            p.muted { "Фактический адрес: " (a.actual_address) }
            @if ranked.is_empty() {
                div.flash.flash-error { "В регионе абонента нет центров идентификации." }
            } @else {
                form method="post" action={ "/applications/" (a.id) "/delegate" } {
                    (csrf_field(user)) (version_field(a))
                    div.table-wrap { table.data {
                        thead { tr { th {} th { "Центр идентификации" } th { "Адрес" } th { "Расписание" } th { "Телефон" } th { "E-mail" } th.num { "Расстояние" } } }
                        tbody {
                            @for (i, (c, d)) in ranked.iter().enumerate() {
                                tr {
                                    td { input type="radio" name="center_id" value=(c.id) checked[i == 0] id={ "c" (c.id) }; }
                                    td { label for={ "c" (c.id) } { (c.office_name) } }
                                    td { (c.address) }
                                    td { (c.schedule) }
                                    td.nowrap { (c.phone) }
                                    td { (c.email) }
                                    td.num { @if let Some(d) = d { (format!("{d:.1} км").replace('.', ",")) } @else { "—" } }
                                }
                            }
                        }
                    } }
                    p.muted { "Ближайший к фактическому адресу центр выбран автоматически; можно выбрать другой центр региона. Абоненту уйдёт письмо с адресом, расписанием и телефоном центра. Если абонент не явится в течение 10 рабочих дней, идентификация будет считаться не пройденной." }
                    button.primary type="submit" { "Делегировать" }
                    " "
                    a.button.secondary href={ "/applications/" (a.id) } { "Закрыть" }
                }
            }
        },
    )
}

/// The wizard's steps (manual §3): «Тип заявления» only for a secondary application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Type,
    Its,
    Summary,
}

impl Step {
    pub fn of(step: Option<&str>, secondary: bool) -> Step {
        match step {
            Some("summary") => Step::Summary,
            Some("its") => Step::Its,
            Some("type") if secondary => Step::Type,
            _ if secondary => Step::Type,
            _ => Step::Its,
        }
    }
}

pub struct WizardModel<'a> {
    pub user: &'a CurrentUser,
    pub app: &'a application::Model,
    pub step: Step,
    pub connected: Option<&'a Connected>,
    pub form: &'a WizardForm,
    pub check: &'a ItsCheck,
    /// The ITS login looked up with «Найти», not yet applied, and what the portal holds
    /// for it.
    pub looked_up: Option<(&'a str, &'a ItsCheck)>,
    pub missing: &'a [DocumentKind],
    pub preview: Option<&'a Preview>,
    /// What the guard refused in the choices, each named by its field.
    pub refusals: &'a [crate::error::FieldError],
}

impl WizardModel<'_> {
    /// The refusal of the field `name` (a form field or the request's `flags.name`).
    fn refusal(&self, name: &str) -> Option<&str> {
        self.refusals
            .iter()
            .find(|e| e.field == name || e.field.strip_prefix("flags.") == Some(name))
            .map(|e| e.message.as_str())
    }

    /// A text field of the ITS step, marked when refused.
    fn text_field(&self, name: &str, value: &str, pattern: Option<&str>) -> Markup {
        let refused = self.refusal(name);
        html! {
            input type="text" name=(name) value=(value) pattern=[pattern]
                class=[refused.map(|_| "invalid")] aria-invalid=[refused.map(|_| "true")];
            @if let Some(m) = refused { span.field-error { (m) } }
        }
    }
}

fn refusals_flash(m: &WizardModel<'_>) -> Markup {
    html! {
        @if !m.refusals.is_empty() {
            div.flash.flash-error {
                "Отправить в обработку нельзя:"
                ul { @for e in m.refusals { li { (crate::labels::field_title(&e.field)) ": " (e.message) } } }
            }
        }
    }
}

fn steps_bar(m: &WizardModel<'_>) -> Markup {
    let mut steps = vec![(Step::Its, "Параметры ИТС"), (Step::Summary, "Суммарно")];
    if m.connected.is_some() {
        steps.insert(0, (Step::Type, "Тип заявления"));
    }
    html! {
        ol.steps {
            @for (s, title) in steps {
                li class=[(s == m.step).then_some("current")] { (title) }
            }
        }
    }
}

/// The action chosen, when it is one.
fn chosen_action(m: &WizardModel<'_>) -> Option<SecondaryAction> {
    m.form.action.as_deref().and_then(SecondaryAction::parse)
}

pub fn process(m: &WizardModel<'_>) -> Markup {
    let a = m.app;
    let title = if m.connected.is_some() {
        "Заявление на изменение"
    } else {
        "Параметры подключения"
    };
    layout::page(
        m.user,
        "applications",
        title,
        html! {
            p { (a.short_name) ", ИНН " (a.inn) @if let Some(k) = &a.kpp { ", КПП " (k) } }
            (steps_bar(m))
            @match m.step {
                Step::Type => (type_step(m)),
                Step::Its => (its_step(m)),
                Step::Summary => (summary_step(m)),
            }
        },
    )
}

fn type_step(m: &WizardModel<'_>) -> Markup {
    let a = m.app;
    let choices = SecondaryAction::for_request_type(&a.request_type);
    let current = chosen_action(m)
        .filter(|c| choices.contains(c))
        .unwrap_or(choices[0]);
    html! {
        form.wizard method="get" action={ "/applications/" (a.id) "/process" } {
            input type="hidden" name="step" value="its";
            p { "Данная организация уже подключена к сервису «1С-Отчетность»." br; "Необходимо выбрать дальнейшее действие:" }
            fieldset {
                legend { "Тип заявления: " (if a.request_type == "change" { "Изменение" } else { "Создание" }) }
                @for c in choices {
                    label.option { input type="radio" name="action" value=(c.as_str()) checked[*c == current]; " " (c.title_ru()) }
                }
            }
            @if let Some(c) = m.connected {
                p.muted { "Учетных записей: " (c.products)
                    @if let Some((from, to)) = c.licence { ". Текущая лицензия: с " (from.format("%d.%m.%Y")) " до " (to.format("%d.%m.%Y")) }
                    @if !c.certificate { ". Сертификат по первой конфигурации ещё не изготовлен." }
                }
            }
            button.primary type="submit" { "Далее" }
            " "
            a.button.secondary href={ "/applications/" (a.id) } { "Отмена" }
        }
    }
}

/// The PROF subscriptions an ITS check found, with «Используется» (by another subscriber).
fn its_subscriptions(check: &ItsCheck) -> Markup {
    html! {
        @if !check.subscriptions.is_empty() {
            (table(&["Рег. номер", "Тариф", "Начало", "Окончание", "Используется"], check.subscriptions.iter().map(|s| html! { tr {
                td { (s.registration_number) } td { (s.tariff_name) }
                td { (s.starts_on.format("%d.%m.%Y")) } td { (s.ends_on.format("%d.%m.%Y")) }
                td { @if s.activated_for_other { "другим абонентом" } @else { "нет" } }
            } })))
        }
    }
}

/// §7: «Изменить» → Логин + Email → «Найти» shows what the portal holds for that login,
/// «Применить» links the application to it.
fn its_login_change(m: &WizardModel<'_>) -> Markup {
    let a = m.app;
    let login = m.looked_up.map_or_else(
        || a.its_login.clone().unwrap_or_default(),
        |(l, _)| l.to_owned(),
    );
    let email = m
        .form
        .find_email
        .clone()
        .or_else(|| a.its_email.clone())
        .unwrap_or_default();
    html! {
        details.its-login open[m.looked_up.is_some()] {
            summary { "Изменить логин ИТС" }
            form.toolbar method="get" action={ "/applications/" (a.id) "/process" } {
                input type="hidden" name="step" value="its";
                @if let Some(act) = &m.form.action { input type="hidden" name="action" value=(act); }
                label { "Логин" input type="text" name="find_login" value=(login) required maxlength="100"; }
                label { "Email" input type="email" name="find_email" value=(email) maxlength="254"; }
                button.secondary type="submit" { "Найти" }
            }
            @if let Some((found, check)) = m.looked_up {
                p { "Подписки ИТС ПРОФ по логину «" (found) "»: " (check.outcome.title_ru()) }
                (its_subscriptions(check))
                form method="post" action={ "/applications/" (a.id) "/its-login" } {
                    (csrf_field(m.user)) (version_field(a))
                    input type="hidden" name="its_login" value=(found);
                    input type="hidden" name="its_email" value=(email);
                    @if let Some(act) = &m.form.action { input type="hidden" name="action" value=(act); }
                    button.primary type="submit" { "Применить" }
                }
            }
        }
    }
}

fn its_step(m: &WizardModel<'_>) -> Markup {
    let a = m.app;
    let check = m.check;
    let action = chosen_action(m);
    let back = m.form.href(a.id, "type");
    if let Some(act) = action.filter(|x| !x.connects_licence()) {
        return html! {
            (refusals_flash(m))
            form.wizard method="get" action={ "/applications/" (a.id) "/process" } {
                input type="hidden" name="step" value="summary";
                input type="hidden" name="action" value=(act.as_str());
                @if act == SecondaryAction::Change {
                    div.flash.flash-error { "Внимание! Будет произведено изменение данных в учетной записи пользователя." }
                } @else {
                    div.flash.flash-info { "Для организации будет произведено подключение к сервису «1С-Отчетность» дополнительной конфигурации"
                        @if act == SecondaryAction::AdditionalConfigurationWithCertificate { " с созданием сертификата" } @else { " с тем же сертификатом" } "." }
                }
                p.muted { "Нажмите кнопку «Далее» или вернитесь на предыдущий шаг определения типа заявления." }
                a.button.secondary href=(back) { "Назад" }
                " "
                button.primary type="submit" { "Далее" }
            }
        };
    }
    let usable: Vec<_> = check
        .subscriptions
        .iter()
        .filter(|s| !s.activated_for_other)
        .collect();
    let chosen = m.form.option.as_deref().and_then(ConnectionOption::parse);
    let default = if check.outcome == ItsOutcome::Active {
        ConnectionOption::ItsFree
    } else {
        ConnectionOption::Basic1y
    };
    let selected = chosen
        .filter(|o| check.options.contains(o))
        .unwrap_or(default);
    let checked = |v: &Option<String>| v.is_some();
    let fresh = m.form.option.is_none();
    html! {
        (refusals_flash(m))
        div class={ "flash " (if check.outcome == ItsOutcome::Active { "flash-success" } else { "flash-info" }) } {
            "Проверка договора 1С:ИТС ПРОФ (логин «" (a.its_login.as_deref().unwrap_or("не указан")) "»): " (check.outcome.title_ru())
        }
        (its_subscriptions(check))
        (its_login_change(m))
        @if !a.checks_passed { div.flash.flash-error { "Обязательные проверки реквизитов не пройдены — отправка в обработку невозможна." } }
        @if !m.missing.is_empty() && m.refusal("documents").is_none() {
            div.flash.flash-error { "Не прикреплены обязательные документы: " (m.missing.iter().map(|k| format!("{}{}", k.title_ru(), if k.requirement() == super::documents::Requirement::UnlessIts { " (кроме тарифа ИТС)" } else { "" })).collect::<Vec<_>>().join(", ")) ". "
                a href={ "/applications/" (a.id) "?tab=files" } { "Перейти к файлам" } }
        }
        form.process method="get" action={ "/applications/" (a.id) "/process" } {
            input type="hidden" name="step" value="summary";
            @if let Some(act) = action { input type="hidden" name="action" value=(act.as_str()); }
            @if action.is_some() {
                p.muted { "Если с данной организацией в течение месяца будет заключен договор ИТС уровня ПРОФ — пометьте подключение как «Отложенное подключение в рамках договора ИТС уровня ПРОФ»." }
            }
            fieldset {
                legend { "Подключить на платной основе" }
                @for o in ConnectionOption::ALL {
                    @let enabled = check.options.contains(&o);
                    label.option class=[(!enabled).then_some("disabled")] {
                        input type="radio" name="option" value=(o.as_str()) disabled[!enabled] checked[enabled && o == selected];
                        " " (o.title_ru())
                    }
                }
                @if check.outcome != ItsOutcome::Active { p.muted { "Доступные опции отсутствуют" } }
            }
            @if usable.len() > 1 {
                label { "Подписка ИТС для льготного подключения"
                    select name="its_subscription" {
                        @for s in &usable { option value=(s.registration_number) selected[m.form.its_subscription == s.registration_number] { (s.registration_number) " — " (s.tariff_name) " " (s.starts_on.format("%d.%m.%Y")) "-" (s.ends_on.format("%d.%m.%Y")) } }
                    }
                }
            }
            fieldset {
                legend { "Тарифные признаки" }
                label { "ИНН головной организации группы компаний " (m.text_field("group_head_inn", &m.form.group_head_inn, Some("[0-9]{10}|[0-9]{12}"))) }
                label { "КПП головной организации " (m.text_field("group_head_kpp", &m.form.group_head_kpp, Some("[0-9A-Z]{9}"))) }
                label { "Номер специального предложения " (m.text_field("special_offer_code", &m.form.special_offer_code, None)) }
                label.option { input type="checkbox" name="bonus" value="1" checked[checked(&m.form.bonus)]; " Бонус (подключение будет осуществлено бесплатно)" }
                label.option { input type="checkbox" name="right_choice" value="1" checked[checked(&m.form.right_choice)]; " Верное решение" }
                label.option { input type="checkbox" name="authorized_representative" value="1" checked[checked(&m.form.authorized_representative)]; " Уполномоченный представитель (УП)" }
                @if a.legal_form == "sole_trader" {
                    // §2.2: «Основной для ИП» is chosen for a sole trader unless turned off.
                    input type="hidden" name="basic_sole_trader_offered" value="1";
                    label.option { input type="checkbox" name="basic_sole_trader" value="1" checked[fresh || checked(&m.form.basic_sole_trader)]; " Основной для ИП" }
                }
            }
            @if action.is_some() { a.button.secondary href=(back) { "Назад" } " " }
            button.primary type="submit" { "Далее" }
            " "
            a.button.secondary href={ "/applications/" (a.id) } { "Отмена" }
        }
    }
}

fn summary_step(m: &WizardModel<'_>) -> Markup {
    let a = m.app;
    let action = chosen_action(m);
    let back = m.form.href(a.id, "its");
    let option = m
        .form
        .option
        .as_deref()
        .and_then(ConnectionOption::parse)
        .filter(|_| action.is_none_or(SecondaryAction::connects_licence));
    let directions: Vec<crate::organisation::Direction> =
        crate::organisation::stored("directions", &a.directions).unwrap_or_default();
    let empty = Preview::default();
    let p = m.preview.unwrap_or(&empty);
    html! {
        h2 { "Суммарная информация при отправке заявки в обработку:" }
        @if !p.refusals.is_empty() {
            div.flash.flash-error {
                "Отправить в обработку нельзя:"
                ul { @for e in &p.refusals { li { (crate::labels::field_title(&e.field)) ": " (e.message) } } }
            }
        }
        dl.kv.wizard-summary {
            dt { "Действие" } dd { (action.map_or("Первичное подключение", SecondaryAction::title_ru)) }
            @if let Some(o) = option { dt { "Вариант подключения" } dd { (o.title_ru()) } }
            @if let Some((name, cost)) = &p.tariff {
                dt { "Тариф" } dd { (name) ", " (cost.ru()) }
            }
            @if m.form.bonus.is_some() && option.is_some() { dt { "Бонус" } dd { "Подключение будет осуществлено бесплатно" } }
            dt { "Время действия лицензии" } dd {
                @if let Some((from, to)) = p.period { "с " (from.format("%d.%m.%Y")) " до " (to.format("%d.%m.%Y")) } @else { "—" }
            }
            dt { "Подключенные направления продукта" } dd { (directions.iter().map(|d| match &d.kpp { Some(k) => format!("{} {} ({})", d.authority.title_ru(), d.code, k), None => format!("{} {}", d.authority.title_ru(), d.code) }).collect::<Vec<_>>().join(", ")) }
            dt { "Конфигурация" } dd { (a.configuration) }
            dt { "GUID продукта" } dd { (p.guid.as_deref().unwrap_or("будет создан при подключении")) }
        }
        @if a.cryptopro_licence && action.is_none_or(|x| x.issues_certificate(a.certificate_requested)) {
            div.flash.flash-info { "Запрошена лицензия СКЗИ «КриптоПро CSP» в составе сертификата: расширение оплачивается отдельно (590 ₽) и не может быть отозвано." }
        }
        @if a.connect_lk {
            div.flash.flash-info { "Запрошено расширение «ЛК Базовый»: оно подключается до окончания основной лицензии, стоимость — по числу полных месяцев до ее окончания (1 200 ₽ за 12 месяцев, на тарифе «Группа пользователей» — 600 ₽), и продлевается вместе с ней." }
        }
        @if matches!(action, Some(SecondaryAction::Renewal | SecondaryAction::Change)) {
            p.muted { "Если существуют расхождения в сроке действия лицензии, обратитесь в Ваш Центр продаж." }
        }
        form.process method="post" action={ "/applications/" (a.id) "/process" } {
            (csrf_field(m.user)) (version_field(a))
            @for (name, value) in m.form.hidden_fields() { input type="hidden" name=(name) value=(value); }
            a.button.secondary href=(back) { "Назад" }
            " "
            @if p.refusals.is_empty() { button.primary type="submit" { "В обработку" } }
        }
    }
}
