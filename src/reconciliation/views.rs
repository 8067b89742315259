//! The reconciliation pages: the partner's month (manual §12: the line table, the edit
//! dialog, totals, Одобрить) and the sales center's period list with «Общий итог».

use maud::{Markup, html};

use super::builder::{Line, LineKind, MONTHS, Period, Totals};
use super::service::{Document, EditPreview, InvoiceRow, Row};
use super::state::ReconciliationState;
use crate::auth::{CurrentUser, Role};
use crate::export::Sheet;
use crate::web::components::{date_ru, datetime_ru, table};
use crate::web::layout::{self, csrf_field};

fn badge(s: ReconciliationState) -> Markup {
    let class = match s {
        ReconciliationState::Open => "badge-info",
        ReconciliationState::ApprovedByPartner => "badge-warn",
        ReconciliationState::Approved => "badge-ok",
        ReconciliationState::Returned => "badge-err",
    };
    html! { span class={ "badge " (class) } { (s.title_ru()) } }
}

/// «Показать данные сверки»: month and year (the browser's own month picker speaks the
/// browser's language, not the product's).
fn period_form(action: &str, p: Period, more: Markup) -> Markup {
    use chrono::Datelike;
    let first = p.first_day();
    html! {
        form.toolbar method="get" action=(action) {
            label { "Месяц"
                select name="month" {
                    @for (i, m) in MONTHS.iter().enumerate() {
                        option value=(i + 1) selected[first.month0() as usize == i] { (m) }
                    }
                }
            }
            label { "Год" input type="number" name="year" value=(first.year()) min="2000" max="2100" required; }
            (more)
            button.secondary type="submit" { "Показать данные сверки" }
        }
    }
}

fn totals_block(t: &Totals) -> Markup {
    html! {
        dl.kv.totals {
            dt { "Стоимость" } dd.num { (t.cost.ru()) }
            dt { "Отчисления ЦП" } dd.num { (t.sales_center_share.ru()) }
            dt { "Перечисление в КА" } dd.num { (t.transfer_to_operator.ru()) }
            dt { "в том числе услуги УЦ" } dd.num { (t.transfer_ca_services.ru()) }
            dt { "в том числе сертификаты с КриптоПро" } dd.num { (t.transfer_cryptopro.ru()) }
        }
    }
}

fn line_summary(l: &Line) -> Markup {
    html! {
        dl.kv {
            dt { "Тариф" } dd { (l.tariff_name) }
            dt { "Период действия" } dd { "с " (date_ru(l.starts_on)) " по " (date_ru(l.ends_on)) }
            dt { "Тип подключения" } dd { (if l.primary { "Первичное" } else { "Продление" }) }
            dt { "Группа компаний" } dd { (l.company_group_id.map_or("—".to_owned(), |g| format!("№ {g}"))) }
            dt { "Номер спец. разрешения" } dd { (l.special_offer_number.as_deref().unwrap_or("—")) }
            dt { "Логин ИТС" } dd { (l.its_login.as_deref().unwrap_or("—")) }
            dt { "Стоимость подключения" } dd { (l.cost.ru()) }
            dt { "Отчисления ЦП" } dd { (l.sales_center_share.ru()) }
            dt { "Расчёт" } dd { ul { @for e in &l.explanation { li { (e) } } } }
        }
    }
}

/// «Редактирование параметров подключения» (manual l.560–578, l.1975–1990): the line as
/// it is, the proposed tariff or permit priced before «Сохранить», and the revocation.
/// The edit proposed on the page (empty strings: not changed).
pub struct Proposed<'a> {
    pub tariff_code: &'a str,
    pub number: &'a str,
    pub its_login: &'a str,
}

pub fn edit_page(user: &CurrentUser, p: &EditPreview, proposed: Proposed<'_>) -> Markup {
    let Proposed {
        tariff_code,
        number,
        its_login,
    } = proposed;
    let d = &p.document;
    let l = &p.before;
    let action = format!("/finance/{}/{}/lines/{}", d.partner_code, d.period, l.id);
    layout::page(
        user,
        "finance",
        "Редактирование параметров подключения",
        html! {
            p { a href={ "/finance/" (d.partner_code) "/" (d.period) } { "← К сверке" } }
            p { strong { (l.name) } ", ИНН " (l.inn) @if let Some(k) = &l.kpp { ", КПП " (k) } }
            div.columns {
                div {
                    h2 { "Сейчас" }
                    (line_summary(l))
                }
                div {
                    h2 { "После изменения" }
                    @match &p.after {
                        None => { p.muted { "Выберите тариф или введите номер спец. разрешения и нажмите «Рассчитать»." } }
                        Some(Ok(after)) => { (line_summary(after)) }
                        Some(Err(e)) => {
                            div.flash.flash-error { (crate::refusals::sentence(&match e {
                                crate::error::AppError::Invalid(errors) => crate::labels::invalid_text(errors),
                                other => other.to_string(),
                            })) }
                        }
                    }
                }
            }
            @if d.state.editable() && l.kind == LineKind::Licence && !l.revoked {
                form.card-form method="get" action=(action) {
                    label { "Тариф"
                        select name="tariff_code" {
                            option value="" { "— не менять (" (l.tariff_name) ") —" }
                            @for (code, name) in &p.choices {
                                option value=(code) selected[tariff_code == *code] { (name) }
                            }
                        }
                    }
                    label { "Номер спец. разрешения" input type="text" name="special_offer_number" value=(number) maxlength="32"; }
                    label { "Логин ИТС (сейчас: " (l.its_login.as_deref().unwrap_or("не указан")) ")" input type="text" name="its_login" value=(its_login) maxlength="100"; }
                    button.secondary type="submit" { "Рассчитать" }
                }
                @if matches!(p.after, Some(Ok(_))) {
                    form method="post" action=(action) {
                        (csrf_field(user))
                        input type="hidden" name="version" value=(d.version);
                        input type="hidden" name="tariff_code" value=(tariff_code);
                        input type="hidden" name="special_offer_number" value=(number);
                        input type="hidden" name="its_login" value=(its_login);
                        p.muted { "Изменение попадет в карточку абонента после одобрения сверки партнером и центром продаж." }
                        button.primary type="submit" { "Сохранить" }
                    }
                }
                @if l.revocable {
                    details.reject {
                        summary { "Отозвать лицензию" }
                        form method="post" action={ (action) "/revoke" } {
                            (csrf_field(user))
                            input type="hidden" name="version" value=(d.version);
                            p { "Отзыв необратим. Если у абонента нет других лицензий, он будет отключен; повторное подключение платного абонента — только на платной основе." }
                            label { "Причина" input type="text" name="reason" maxlength="2000" required; }
                            button.primary type="submit" { "Отозвать" }
                        }
                    }
                }
            } @else {
                p.muted { "Строка не меняется: сверка в состоянии «" (d.state.title_ru()) "»." }
            }
        },
    )
}

fn lines_table(user: &CurrentUser, d: &Document) -> Markup {
    let editable = user.role == Role::Partner && d.state.editable();
    let mut headers = vec![
        "Идентификатор",
        "ИНН",
        "КПП",
        "Наименование",
        "Дата регистрации",
        "Логин",
        "Тариф",
        "Зона",
        "Первичное",
        "Стоимость",
        "Отчисления ЦП",
    ];
    if editable {
        headers.push("Изменение");
    }
    html! {
        (table(&headers, d.lines.iter().map(|l| html! {
            tr class=[l.revoked.then_some("revoked")] {
                td.small { (l.guid.as_deref().unwrap_or("—")) }
                td { (l.inn) }
                td { (l.kpp.as_deref().unwrap_or("—")) }
                td { (l.name) }
                td { (l.registered_on.map(date_ru).unwrap_or_default()) }
                td { (l.its_login.as_deref().unwrap_or("—")) }
                td {
                    @if let Some(month) = l.adjusts.as_deref().and_then(|m| Period::parse(m).ok()) {
                        span.badge.badge-warn { "Корректировка за " (month.title_ru()) } " "
                    } @else if l.kind != LineKind::Licence { "↳ " }
                    (l.tariff_name)
                    @if l.revoked { " " span.badge.badge-err { "Отозвана" } }
                    @if l.edited { " " span.badge.badge-warn { "Изменено в сверке" } }
                    @if let Some(n) = &l.special_offer_number { br; span.muted { "Спец. разрешение " (n) } }
                    @if !l.explanation.is_empty() {
                        details.why { summary { "Расчёт" } ul { @for e in &l.explanation { li { (e) } } } }
                    }
                }
                td.num { (l.zone) }
                td { @if l.primary { "Да" } @else { "Нет" } }
                td.num.nowrap { (l.cost.ru()) }
                td.num.nowrap { (l.sales_center_share.ru()) }
                @if editable { td { @if !l.revoked && l.kind == LineKind::Licence {
                    a.button.secondary href={ "/finance/" (d.partner_code) "/" (d.period) "/lines/" (l.id) } { "Изменить" }
                } } }
            }
        })))
        p { strong { "Итого: " } (d.totals.cost.ru()) " · Отчисления ЦП " (d.totals.sales_center_share.ru()) }
    }
}

fn actions(user: &CurrentUser, d: &Document) -> Markup {
    let base = format!("/finance/{}/{}", d.partner_code, d.period);
    html! {
        div.toolbar {
            @if user.role == Role::Partner && d.state.editable() {
                @if d.closed {
                    form method="post" action={ (base) "/approve" } {
                        (csrf_field(user))
                        input type="hidden" name="version" value=(d.version);
                        button.primary type="submit" { "Одобрить" }
                    }
                } @else {
                    span.muted { "Месяц ещё не закончился: это предварительный расчёт, одобрить сверку можно с " (date_ru(Period::parse(&d.period).map(|p| p.next().first_day()).unwrap_or(d.due_on))) "." }
                }
            }
            @if user.role == Role::SalesCenter && d.state == ReconciliationState::ApprovedByPartner {
                form method="post" action={ (base) "/approve" } {
                    (csrf_field(user))
                    input type="hidden" name="version" value=(d.version);
                    button.primary type="submit" { "Одобрить" }
                }
                details.reject {
                    summary { "Вернуть партнеру" }
                    form method="post" action={ (base) "/return" } {
                        (csrf_field(user))
                        input type="hidden" name="version" value=(d.version);
                        label { "Что исправить" textarea name="comment" rows="3" maxlength="2000" required {} }
                        button.primary type="submit" { "Вернуть" }
                    }
                }
            }
            a.button.secondary href={ (base) "/export.csv" } { "Экспорт CSV" }
            a.button.secondary href={ (base) "/export.xlsx" } { "Экспорт XLSX" }
        }
    }
}

/// The document's tabs (manual l.1951–1955).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Licences,
    Up,
}

impl Tab {
    pub fn parse(s: Option<&str>) -> Tab {
        match s {
            Some("up") => Tab::Up,
            _ => Tab::Licences,
        }
    }
}

/// «Транзакции уполномоченных представителей» (manual l.2300): one line per
/// representative for the quarter, «Подробнее в Excel» by client organisation.
fn up_table(d: &Document) -> Markup {
    let period = Period::parse(&d.period).ok();
    let quarter = period.map(super::up::Quarter::of);
    let base = format!("/finance/{}/{}", d.partner_code, d.period);
    html! {
        @match quarter {
            Some(q) if q.last_month() != period.unwrap_or(q.last_month()) => {
                p.muted {
                    "Транзакции уполномоченных представителей сверяются поквартально: "
                    (q.title_ru()) " — в сверке за " (q.last_month().title_ru()) "."
                }
            }
            _ => {
                @if d.up_transactions.is_empty() {
                    p.muted { "Нет записей для просмотра." }
                } @else {
                    div.wrap-heads { (table(&["ИНН", "КПП", "Наименование", "Дата регистрации", "Тариф", "Тарифная зона", "Количество", "Новое количество", "Стоимость", "Отчисление партнёра", "Отчисление ЦП"], d.up_transactions.iter().map(|l| html! { tr {
                        td { (l.inn) } td { (l.kpp.as_deref().unwrap_or("—")) }
                        td { (l.name) br; a.small href={ (base) "/up-" (l.representative_id) ".xlsx" } { "Подробнее в Excel" } }
                        td.nowrap { (l.registered_on.map(date_ru).unwrap_or_default()) }
                        td { (l.tariff_name) details.why { summary { "Расчёт" } ul { @for e in &l.explanation { li { (e) } } } } }
                        td.num { (l.zone) } td.num { (l.count) }
                        td.num { @if l.new_count != l.count { strong { (l.new_count) } } @else { (l.new_count) } }
                        td.num.nowrap { (l.cost.ru()) } td.num.nowrap { (l.partner_share.ru()) } td.num.nowrap { (l.sales_center_share.ru()) }
                    } }))) }
                    p {
                        a.button.secondary href={ (base) "/up.csv" } { "Экспорт CSV" } " "
                        a.button.secondary href={ (base) "/up.xlsx" } { "Экспорт XLSX" }
                    }
                }
                p.muted { "Если вы не согласны с количеством транзакций, сообщите в ваш центр продаж и одобряйте сверку после решения разногласия: «Одобрить» одобряет обе вкладки." }
            }
        }
    }
}

pub fn document(user: &CurrentUser, d: &Document, tab: Tab, invoices: &[InvoiceRow]) -> Markup {
    let period = Period::parse(&d.period).ok();
    let title = format!(
        "Сверка 1С-Отчетность: {} за {}",
        d.partner_name,
        period.map(Period::title_ru).unwrap_or_default()
    );
    html! {
        (layout::page(user, "finance", &title, html! {
            @if user.role == Role::Partner { @if let Some(p) = period { (period_form("/finance", p, html! {})) } }
            @else { p { a href={ "/finance?period=" (d.period) } { "← Сверки партнеров за период" } } }
            div.summary {
                (badge(d.state))
                span { "Срок одобрения партнером: " strong { (date_ru(d.due_on)) } }
                @if d.overdue { span.badge.badge-err { "Просрочено" } }
                span { "Строк: " (d.lines.len()) }
                @if let Some(h) = &d.snapshot_hash { span.muted.small { "Снимок SHA-256: " (h) } }
            }
            @if let Some(c) = &d.comment { div.flash.flash-error { "Центр продаж вернул сверку: " (c) } }
            div.flash.flash-info { "Во время сверки обязательно проверяйте период действия выданного тарифа!" }
            nav.tabs {
                a href={ "/finance/" (d.partner_code) "/" (d.period) } class=[(tab == Tab::Licences).then_some("active")] { "Основные лицензии" }
                a href={ "/finance/" (d.partner_code) "/" (d.period) "?tab=up" } class=[(tab == Tab::Up).then_some("active")] {
                    "Транзакции уполномоченных представителей"
                    @if !d.up_transactions.is_empty() { " (" (d.up_transactions.len()) ")" }
                }
            }
            @match tab {
                Tab::Licences => (lines_table(user, d)),
                Tab::Up => (up_table(d)),
            }
            (totals_block(&d.totals))
            (comparison(d))
            (actions(user, d))
            (invoice_block(user, d, invoices))
            @if !d.history.is_empty() {
                h2 { "История" }
                (table(&["Когда", "Кто", "Действие", "Комментарий"], d.history.iter().map(|h| html! { tr {
                    td.nowrap { (datetime_ru(h.at)) } td { (h.actor) }
                    td { (event_title(&h.event)) } td { (h.comment.as_deref().unwrap_or("")) }
                } })))
            }
        }))
    }
}

/// «Счета»: «Получить счёт» once the sales center approved, and «Список счетов» (manual
/// §12: Номер, Дата, Сумма, Акт с НДС, Счёт-фактура с НДС, Акт без НДС, Счёт-фактура без
/// НДС).
fn invoice_block(user: &CurrentUser, d: &Document, invoices: &[InvoiceRow]) -> Markup {
    let may_issue = matches!(user.role, Role::Partner | Role::SalesCenter)
        && d.state == ReconciliationState::Approved
        && d.totals.cost > crate::money::Money::ZERO
        && !invoices.iter().any(|i| i.period == d.period);
    html! {
        h2 { "Счета" }
        @if may_issue {
            form method="post" action={ "/finance/" (d.partner_code) "/" (d.period) "/invoice" } {
                (csrf_field(user))
                button.primary type="submit" { "Получить счёт" }
            }
        } @else if d.state != ReconciliationState::Approved {
            p.muted { "Счёт выставляется после одобрения сверки центром продаж." }
        }
        (invoice_table(invoices))
    }
}

/// «Список счетов».
pub fn invoice_table(invoices: &[InvoiceRow]) -> Markup {
    let link = |i: &InvoiceRow, file: &'static str| -> Markup {
        html! {
            @if i.documents.contains(&file) {
                a href={ "/finance/" (i.partner_code) "/" (i.period) "/" (file) } { "PDF" }
            } @else { span.muted { "—" } }
        }
    };
    html! {
        @if invoices.is_empty() {
            p.muted { "Счетов пока нет." }
        } @else {
            div.wrap-heads { (table(&["Номер счёта", "Дата счёта", "Партнер", "Сверка за", "Сумма счёта", "В том числе НДС", "Акт с НДС", "Счёт-фактура с НДС", "Акт без НДС", "Счёт-фактура без НДС"], invoices.iter().map(|i| html! { tr {
                td { a href={ "/finance/" (i.partner_code) "/" (i.period) "/invoice.pdf" } { "№ " (i.number) } }
                td.nowrap { (date_ru(i.issued_on)) }
                td { (i.partner_name) }
                td.nowrap { (Period::parse(&i.period).map(Period::title_ru).unwrap_or_default()) }
                td.num.nowrap { (i.amount.ru()) }
                td.num.nowrap { @if i.vat_amount == crate::money::Money::ZERO { "без НДС" } @else { (i.vat_amount.ru()) " (" (i.vat_rate) " %)" } }
                td { (link(i, "act-vat.pdf")) }
                td { (link(i, "factura-vat.pdf")) }
                td { (link(i, "act.pdf")) }
                td { (link(i, "factura.pdf")) }
            } }))) }
        }
    }
}

/// This month beside the last approved one (what changed, what was revoked since).
fn comparison(d: &Document) -> Markup {
    let Some(c) = &d.compared_with else {
        return html! {};
    };
    let then = Period::parse(&c.period)
        .map(Period::title_ru)
        .unwrap_or_default();
    let delta = d.totals.cost - c.totals.cost;
    html! {
        h2 { "Сравнение со сверкой за " (then) " (одобрена)" }
        p {
            "Строк: " (d.lines.iter().filter(|l| !l.revoked).count()) " (было " (c.lines) ") · "
            "стоимость: " (d.totals.cost.ru()) " (было " (c.totals.cost.ru()) ", "
            @if delta >= crate::money::Money::ZERO { "+" } (delta.ru()) ")"
        }
        (table(&["Тариф", "Сейчас", "Было"], c.by_tariff.iter().map(|(name, now, was)| html! { tr {
            td { (name) } td.num { (now) } td.num { (was) }
        } })))
        @if !c.revoked_since.is_empty() {
            div.flash.flash-error {
                "После одобрения сверки за " (then) " отозваны лицензии: "
                (c.revoked_since.iter().map(|l| format!("{} ({}, {})", l.name, l.tariff_name, l.cost.ru())).collect::<Vec<_>>().join("; "))
                ". Их стоимость сторнируется строкой «Корректировка» в сверке месяца отзыва; одобренная сверка не меняется."
            }
        }
    }
}

fn event_title(e: &str) -> &'static str {
    match e {
        "approve_by_partner" => "Одобрено партнером",
        "approve" => "Одобрено центром продаж",
        "return" => "Возвращено партнеру",
        "edit_line" => "Изменена строка",
        "revoke_line" => "Отозвана лицензия",
        "up_transactions" => "Получены транзакции УП",
        _ => "Изменение",
    }
}

/// The sales center's filter of its partners' reconciliations.
pub const FILTERS: [(&str, &str); 6] = [
    ("", "Все"),
    ("open", "Открыта"),
    ("returned", "Возвращена партнеру"),
    ("approved_by_partner", "Одобрена партнером"),
    ("approved", "Одобрено центром продаж"),
    ("overdue", "Просрочено"),
];

/// Whether `r` passes the filter `f` (a code of [`FILTERS`]).
pub fn passes(r: &Row, f: &str) -> bool {
    match f {
        "" => true,
        "overdue" => r.overdue,
        state => r.state.as_str() == state,
    }
}

/// The sales center's period: its partners' reconciliations, «Общий итог», bulk
/// approval, exports of everything and of the УП tabs, the period's invoices.
pub fn list(
    user: &CurrentUser,
    p: Period,
    (rows, filter): (&[Row], &str),
    totals: &Totals,
    invoices: &[InvoiceRow],
) -> Markup {
    let waiting = rows
        .iter()
        .filter(|r| r.state == ReconciliationState::ApprovedByPartner)
        .count();
    html! {
        (layout::page(user, "finance", &format!("Сверки партнеров за {}", p.title_ru()), html! {
            (period_form("/finance", p, html! {
                label { "Состояние"
                    select name="state" {
                        @for (code, title) in FILTERS {
                            option value=(code) selected[code == filter] { (title) }
                        }
                    }
                }
            }))
            @if rows.is_empty() {
                p.muted { "Нет сверок для показа." }
            } @else {
                (table(&["Партнер", "Состояние", "Срок одобрения", "Строк", "Стоимость", "Отчисления ЦП", "Перечисление в КА", ""], rows.iter().map(|r| html! { tr {
                    td { (r.partner_name) br; span.muted.small { (r.partner_code) } }
                    td { (badge(r.state)) @if r.overdue { " " span.badge.badge-err { "Просрочено" } } }
                    td { (date_ru(r.due_on)) }
                    td.num { (r.lines) }
                    td.num.nowrap { (r.totals.cost.ru()) }
                    td.num.nowrap { (r.totals.sales_center_share.ru()) }
                    td.num.nowrap { (r.totals.transfer_to_operator.ru()) }
                    td { a href={ "/finance/" (r.partner_code) "/" (r.period) } { "Открыть" } }
                } })))
            }
            h2 { "Общий итог" @if !filter.is_empty() { " (по показанным партнерам)" } }
            dl.kv.totals {
                dt { "Отчисление от партнёров" } dd.num { (totals.cost.ru()) }
                dt { "Прибыль ЦП" } dd.num { (totals.sales_center_share.ru()) }
                dt { "Перечисление в КА" } dd.num { (totals.transfer_to_operator.ru()) }
                dt { "Перечисление в КА (Услуги УЦ)" } dd.num { (totals.transfer_ca_services.ru()) }
                dt { "Перечисление в КА (Сертификат с КриптоПро)" } dd.num { (totals.transfer_cryptopro.ru()) }
            }
            div.toolbar {
                @if user.role == Role::SalesCenter {
                    form method="post" action={ "/finance/approve-all?period=" (p) } {
                        (csrf_field(user))
                        button.primary type="submit" disabled[waiting == 0] { "Одобрить всё за партнёров (" (waiting) ")" }
                    }
                }
                a.button.secondary href={ "/finance/export.xlsx?period=" (p) } { "Экспортировать все данные" }
                a.button.secondary href={ "/finance/export-up.xlsx?period=" (p) } { "Экспортировать все данные по УП" }
                a.button.secondary href={ "/finance/export.csv?period=" (p) } { "CSV" }
            }
            h2 { "Счета за " (p.title_ru()) }
            (invoice_table(invoices))
        }))
    }
}

/// Every partner's lines of a period in one table («Экспортировать все данные»).
pub fn all_sheet(p: Period, months: &[(Row, super::service::Snapshot)]) -> Sheet {
    let mut rows = Vec::new();
    for (r, m) in months {
        for mut line in sheet_rows(&m.lines, &m.totals) {
            line.insert(0, r.partner_code.clone());
            line.insert(1, r.state.title_ru().to_owned());
            rows.push(line);
        }
    }
    let mut headers = vec!["Партнер", "Состояние сверки"];
    headers.extend(sheet_headers());
    Sheet {
        title: format!("Сверка {p}"),
        headers,
        rows,
    }
}

/// The document as a table to export.
pub fn sheet(d: &Document) -> Sheet {
    Sheet {
        title: format!("Сверка {} {}", d.partner_code, d.period),
        headers: sheet_headers(),
        rows: sheet_rows(&d.lines, &d.totals),
    }
}

fn sheet_rows(lines: &[Line], t: &Totals) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.guid.clone().unwrap_or_default(),
                l.inn.clone(),
                l.kpp.clone().unwrap_or_default(),
                l.name.clone(),
                l.registered_on.map(date_ru).unwrap_or_default(),
                l.its_login.clone().unwrap_or_default(),
                l.tariff_name.clone(),
                l.zone.to_string(),
                if l.primary { "Да" } else { "Нет" }.to_owned(),
                l.cost.to_string(),
                l.sales_center_share.to_string(),
                match (l.revoked, &l.adjusts) {
                    (true, _) => "Отозвана".to_owned(),
                    (false, Some(month)) => format!("Корректировка за {month}"),
                    (false, None) => String::new(),
                },
                l.explanation.join("; "),
            ]
        })
        .collect();
    // The totals under the lines: cost and share in their columns, then the transfer to
    // the operator and its parts (domain.md §5) in the cost column.
    for (label, cost, share) in [
        (
            "Итого",
            t.cost.to_string(),
            t.sales_center_share.to_string(),
        ),
        (
            "Перечисление в КА",
            t.transfer_to_operator.to_string(),
            String::new(),
        ),
        (
            "в том числе услуги УЦ",
            t.transfer_ca_services.to_string(),
            String::new(),
        ),
        (
            "в том числе сертификаты с КриптоПро",
            t.transfer_cryptopro.to_string(),
            String::new(),
        ),
    ] {
        let mut row = vec![String::new(); 13];
        row[3] = label.to_owned();
        row[9] = cost;
        row[10] = share;
        rows.push(row);
    }
    rows
}

fn sheet_headers() -> Vec<&'static str> {
    vec![
        "Идентификатор",
        "ИНН",
        "КПП",
        "Наименование",
        "Дата регистрации",
        "Логин",
        "Тариф",
        "Тарифная зона",
        "Первичное подключение",
        "Стоимость",
        "Отчисления ЦП",
        "Отзыв / корректировка",
        "Расчёт",
    ]
}

/// The representatives' tab as a table to export («… по УП»).
pub fn up_sheet(title: String, rows: &[(&str, &super::up::UpLine)]) -> Sheet {
    Sheet {
        title,
        headers: vec![
            "Партнер",
            "ИНН",
            "КПП",
            "Наименование",
            "Дата регистрации",
            "Квартал",
            "Тариф",
            "Тарифная зона",
            "Количество",
            "Новое количество",
            "Стоимость",
            "Отчисление партнёра",
            "Отчисление ЦП",
        ],
        rows: rows
            .iter()
            .map(|(partner, l)| {
                vec![
                    (*partner).to_owned(),
                    l.inn.clone(),
                    l.kpp.clone().unwrap_or_default(),
                    l.name.clone(),
                    l.registered_on.map(date_ru).unwrap_or_default(),
                    l.quarter.clone(),
                    l.tariff_name.clone(),
                    l.zone.to_string(),
                    l.count.to_string(),
                    l.new_count.to_string(),
                    l.cost.to_string(),
                    l.partner_share.to_string(),
                    l.sales_center_share.to_string(),
                ]
            })
            .collect(),
    }
}

/// «Подробнее в Excel» (manual l.2308–2311): a representative's sends by client
/// organisation and authority.
pub fn up_detail_sheet(l: &super::up::UpLine) -> Sheet {
    let mut rows: Vec<Vec<String>> = l
        .clients
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.inn.clone(),
                c.kpp.clone().unwrap_or_default(),
                c.total.to_string(),
                c.fns.to_string(),
                c.pfr.to_string(),
                c.rosstat.to_string(),
                c.fss.to_string(),
                c.rar.to_string(),
                c.rpn.to_string(),
                c.fts.to_string(),
            ]
        })
        .collect();
    let sum = |f: fn(&super::up::UpClient) -> i64| l.clients.iter().map(f).sum::<i64>().to_string();
    rows.push(vec![
        "Итого".to_owned(),
        String::new(),
        String::new(),
        sum(|c| c.total),
        sum(|c| c.fns),
        sum(|c| c.pfr),
        sum(|c| c.rosstat),
        sum(|c| c.fss),
        sum(|c| c.rar),
        sum(|c| c.rpn),
        sum(|c| c.fts),
    ]);
    Sheet {
        title: format!("УП {} {}", l.inn, l.quarter),
        headers: vec![
            "Наименование",
            "ИНН",
            "КПП",
            "Общее количество отправок",
            "ФНС",
            "ПФР",
            "Росстат",
            "ФСС",
            "ФС РАР",
            "РПН",
            "ФТС",
        ],
        rows,
    }
}
